-- casecli store, schema 9: which cases each sync changed (issue 15). A view that keeps
-- per-case evaluations beside the store (casecli.core.local.kept) re-evaluates only the cases a
-- later sync touched: a row of a case inserted, updated, brought back or marked gone in any
-- of its record types (a placement through its removal). case_id '*' means "every case":
-- a record type that was empty before the sync was loaded whole, without listing them.
CREATE TABLE sync_cases (
    sync_id INTEGER NOT NULL,
    case_id TEXT NOT NULL,
    PRIMARY KEY (sync_id, case_id)
) WITHOUT ROWID;
