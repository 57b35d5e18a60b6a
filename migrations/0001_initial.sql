-- casecli store, schema 1.
-- Export-sourced tables carry the contract's names (../shared/EXPORTS.md) so that
-- admins can query them with sqlite3, sqlite-utils or Datasette. Two bookkeeping
-- columns start with an underscore: _gone_on (the date a full export stopped
-- containing the record; records are never deleted) and _sync_id (the sync that last
-- inserted or changed the row).
-- Local tables (what users record in casecli) are separate: a sync never writes them.

CREATE TABLE staff (
    staff_id       TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    unit_id        TEXT,
    unit_name      TEXT,
    office_id      TEXT,
    office_name    TEXT,
    supervisor_id  TEXT,
    hours_per_week REAL,
    active         INTEGER,
    _gone_on TEXT, _sync_id INTEGER
) WITHOUT ROWID;
CREATE INDEX staff_unit ON staff(unit_id);
CREATE INDEX staff_office ON staff(office_id);

CREATE TABLE cases (
    case_id              TEXT PRIMARY KEY,
    program              TEXT NOT NULL,
    case_type            TEXT NOT NULL,
    status               TEXT NOT NULL,
    opened_on            TEXT NOT NULL,
    closed_on            TEXT,
    worker_id            TEXT,
    name                 TEXT,
    risk_level           TEXT,
    response_hours       INTEGER,
    permanency_goal      TEXT,
    goal_target_on       TEXT,
    order_established_on TEXT,
    updated_at           TEXT,
    _gone_on TEXT, _sync_id INTEGER
) WITHOUT ROWID;
CREATE INDEX cases_worker ON cases(worker_id, status);

CREATE TABLE people (
    person_id                TEXT NOT NULL,
    case_id                  TEXT NOT NULL,
    role                     TEXT NOT NULL,
    name                     TEXT,
    birth_on                 TEXT,
    born_out_of_wedlock      INTEGER,
    paternity_established_on TEXT,
    _gone_on TEXT, _sync_id INTEGER,
    PRIMARY KEY (person_id, case_id)
) WITHOUT ROWID;
CREATE INDEX people_case ON people(case_id);

CREATE TABLE events (
    event_id     TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL,
    scheduled_on TEXT,
    completed_on TEXT,
    person_id    TEXT,
    staff_id     TEXT,
    location     TEXT,
    result       TEXT,
    _gone_on TEXT, _sync_id INTEGER
) WITHOUT ROWID;
CREATE INDEX events_case ON events(case_id);

CREATE TABLE referrals (
    referral_id TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL,
    service     TEXT NOT NULL,
    status      TEXT NOT NULL,
    referred_on TEXT NOT NULL,
    person_id   TEXT,
    provider    TEXT,
    started_on  TEXT,
    ended_on    TEXT,
    _gone_on TEXT, _sync_id INTEGER
) WITHOUT ROWID;
CREATE INDEX referrals_case ON referrals(case_id);

CREATE TABLE signals (
    signal_id   TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    observed_on TEXT NOT NULL,
    person_id   TEXT,
    case_id     TEXT,
    source      TEXT,
    detail      TEXT,
    _gone_on TEXT, _sync_id INTEGER
) WITHOUT ROWID;
CREATE INDEX signals_case ON signals(case_id);
CREATE INDEX signals_person ON signals(person_id);

CREATE TABLE payments (
    case_id      TEXT NOT NULL,
    month        TEXT NOT NULL,
    current_due  INTEGER NOT NULL,
    current_paid INTEGER NOT NULL,
    arrears_due  INTEGER,
    arrears_paid INTEGER,
    _gone_on TEXT, _sync_id INTEGER,
    PRIMARY KEY (case_id, month)
) WITHOUT ROWID;

CREATE TABLE removals (
    removal_id       TEXT PRIMARY KEY,
    case_id          TEXT NOT NULL,
    person_id        TEXT NOT NULL,
    removed_on       TEXT NOT NULL,
    discharged_on    TEXT,
    discharge_reason TEXT,
    _gone_on TEXT, _sync_id INTEGER
) WITHOUT ROWID;
CREATE INDEX removals_case ON removals(case_id);

CREATE TABLE placements (
    placement_id TEXT PRIMARY KEY,
    removal_id   TEXT NOT NULL,
    setting      TEXT NOT NULL,
    start_on     TEXT NOT NULL,
    end_on       TEXT,
    _gone_on TEXT, _sync_id INTEGER
) WITHOUT ROWID;
CREATE INDEX placements_removal ON placements(removal_id);

CREATE TABLE case_goals (
    goal_id     TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL,
    description TEXT NOT NULL,
    person_id   TEXT,
    target_on   TEXT,
    status      TEXT,
    _gone_on TEXT, _sync_id INTEGER
) WITHOUT ROWID;
CREATE INDEX case_goals_case ON case_goals(case_id);

-- Sync bookkeeping -----------------------------------------------------------

CREATE TABLE sync_log (
    sync_id     INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    folder      TEXT NOT NULL,
    source      TEXT,
    as_of       TEXT,
    kind        TEXT NOT NULL,          -- full | delta
    profile     TEXT NOT NULL,
    status      TEXT NOT NULL,          -- applied | unchanged
    inserted    INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    gone        INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    resolved    INTEGER NOT NULL DEFAULT 0,
    run_by      TEXT
);

CREATE TABLE sync_files (
    sync_id     INTEGER NOT NULL REFERENCES sync_log(sync_id),
    record_type TEXT NOT NULL,          -- staff, cases, ... (the table)
    file        TEXT NOT NULL,          -- the file name in the export folder
    sha256      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,          -- sha256 + profile + kind: equal means skippable
    rows        INTEGER NOT NULL,
    inserted    INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    gone        INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    skipped     INTEGER NOT NULL DEFAULT 0,  -- 1: identical to the last sync of this type, not re-read
    PRIMARY KEY (sync_id, record_type)
);

-- A row an export sent that broke the contract. Kept, never guessed, retried:
-- rows rejected only for a missing reference are tried again on every later sync;
-- any reject is superseded when a later export brings a valid row with the same key.
CREATE TABLE rejects (
    reject_id        INTEGER PRIMARY KEY,
    sync_id          INTEGER NOT NULL REFERENCES sync_log(sync_id),
    record_type      TEXT NOT NULL,
    file             TEXT NOT NULL,
    line             INTEGER,
    "column"         TEXT,
    value            TEXT,
    reason           TEXT NOT NULL,
    row_key          TEXT,              -- the record's key as text, when it has one
    raw              TEXT NOT NULL,     -- JSON object: contract column -> raw cell
    retryable        INTEGER NOT NULL DEFAULT 0,
    resolved_sync_id INTEGER,
    resolution       TEXT               -- applied | superseded
);
CREATE INDEX rejects_outstanding ON rejects(record_type, row_key) WHERE resolved_sync_id IS NULL;

-- Local tables: written only by users through casecli, never by a sync ------

CREATE TABLE recorded_events (
    id          INTEGER PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(case_id),
    kind        TEXT NOT NULL,
    person_id   TEXT,
    occurred_at TEXT NOT NULL,
    location    TEXT,
    result      TEXT,
    note        TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    event_id    TEXT                    -- the export event this was later linked to
);
CREATE INDEX recorded_events_case ON recorded_events(case_id);

CREATE TABLE barriers (
    barrier_id  INTEGER PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(case_id),
    what        TEXT NOT NULL,
    service     TEXT,
    step        TEXT,
    expect_on   TEXT,
    opened_on   TEXT NOT NULL,
    opened_by   TEXT NOT NULL,
    resolved_on TEXT,
    resolved_by TEXT,
    note        TEXT
);
CREATE INDEX barriers_case ON barriers(case_id);

CREATE TABLE goal_progress (
    id          INTEGER PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(case_id),
    goal_id     TEXT NOT NULL,
    percent     INTEGER,
    status      TEXT,
    note        TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX goal_progress_goal ON goal_progress(goal_id);

CREATE TABLE notes (
    id          INTEGER PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(case_id),
    text        TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX notes_case ON notes(case_id);

CREATE TABLE performance_goals (
    id         INTEGER PRIMARY KEY,
    scope_kind TEXT NOT NULL,           -- worker | unit | office
    scope_id   TEXT NOT NULL,
    measure    TEXT NOT NULL,
    target     REAL NOT NULL,
    period     TEXT,                    -- NULL: every period
    set_by     TEXT NOT NULL,
    set_at     TEXT NOT NULL
);

-- Append-only: who did what, when. Triggers refuse UPDATE and DELETE.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    who       TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT,
    detail    TEXT
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
