"""SQL for validating and normalising staged rows, generated from the contract.

Sync stages each file's raw cells as text, then validates every row in one set-based
pass (one ``CASE`` per row: the first failing check, in column order, wins) and
applies the good rows with ``INSERT … SELECT``. Keeping the per-cell work in SQLite's
C code rather than per-row Python is what makes a 1.3-million-case sync fast. The cheap
checks that let most rows skip these are in ``casecli.core.ingest.fastchecks``.
"""

from __future__ import annotations

from dataclasses import dataclass

from casecli.core.store.contract import (
    BOOL,
    BOOL_FALSE,
    BOOL_TRUE,
    DATE,
    DATETIME,
    ENUM,
    FFY,
    FIRST_DAY,
    ID_LIMIT,
    INT,
    LAST_DAY,
    MONEY,
    MONEY_LIMIT,
    MONTH,
    NUMBER,
    TEXT,
    TEXT_LIMIT,
    Column,
    RecordType,
    ref_target,
)

REF_REASON = {
    "staff": "refers to a staff member who is not in the store or this export",
    "cases": "refers to a case that is not in the store or this export",
    "people": "refers to a person who is not in the store or this export",
    "removals": "refers to a removal that is not in the store or this export",
    "units": "refers to a unit that no staff member in the store or this export belongs to"
    " (units come from staff.csv's unit_id)",
    "offices": "refers to an office that no staff member in the store or this export belongs to"
    " (offices come from staff.csv's office_id)",
}


def ref_reason(col: Column) -> str:
    """Why a reference that points at nothing is rejected, in words."""
    return REF_REASON[str(col.ref)]


LOCAL_TIME = "casecli_local_time"  # an SQL function a sync defines: casecli.core.when.local_time


@dataclass(frozen=True)
class Check:
    number: int
    column: str | None  # contract column, None for row-level problems
    condition: str  # SQL that is true when the row fails
    reason: str  # plain words, after the column name
    retryable: bool = False  # a missing reference may arrive in a later export
    kind: str = "cell"  # cell: one value, covered by fast_ok; rule; ref


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """A Python string as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def cell(name: str, table: str = "stage") -> str:
    """A staged cell, qualified so that it means the staged row inside sub-queries too
    (``table``: another name for the staged rows, such as a self-join's alias)."""
    return f"{table}.{q(name)}"


def trimmed(col: Column, table: str = "stage") -> str:
    """The raw cell with '' as NULL; typed cells are trimmed, text is kept verbatim."""
    if col.type == TEXT:
        return f"NULLIF({cell(col.name, table)}, '')"
    return f"NULLIF(trim({cell(col.name, table)}), '')"


def _digits(expr: str) -> str:
    return f"({expr} <> '' AND ltrim({expr}, '0123456789') = '')"


def _unsigned(v: str) -> str:
    return f"(CASE WHEN substr({v}, 1, 1) = '-' THEN substr({v}, 2) ELSE {v} END)"


def _decimal_ok(v: str, max_places: int | None) -> str:
    m = _unsigned(v)
    longest = 16 if max_places else 18
    dot = f"instr({m}, '.')"
    whole = f"substr({m}, 1, {dot} - 1)"
    frac = f"substr({m}, {dot} + 1)"
    places = f"length({frac}) BETWEEN 1 AND {max_places}" if max_places else f"length({frac}) >= 1"
    return (
        f"(length({m}) <= {longest} AND (({dot} = 0 AND {_digits(m)}) OR "
        f"({dot} > 1 AND {_digits(whole)} AND {_digits(frac)} AND {places})))"
    )


def _date_ok(v: str) -> str:
    return (
        f"({v} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND date(julianday({v})) IS {v})"
    )


def _datetime_ok(v: str) -> str:
    day = f"substr({v}, 1, 10)"
    return (
        f"({_date_ok(v)} OR ({_date_ok(day)} AND substr({v}, 11, 1) IN ('T', ' ') "
        f"AND substr({v}, 12) GLOB '[0-2][0-9]:[0-5][0-9]*' AND substr({v}, 12, 2) <= '23'"
        f" AND datetime({v}) IS NOT NULL))"
    )


TYPE_CHECKS = {
    DATE: (_date_ok, "is not a date in the form YYYY-MM-DD"),
    DATETIME: (
        _datetime_ok,
        "is not a date or ISO 8601 date-time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)",
    ),
    BOOL: (
        lambda v: f"lower({v}) IN {_in(BOOL_TRUE + BOOL_FALSE)}",
        "is not a yes/no value (true/false, yes/no, y/n or 1/0)",
    ),
    MONEY: (
        lambda v: _decimal_ok(v, 2),
        "is not an amount of money (digits with at most 2 decimals, like 125.50)",
    ),
    INT: (lambda v: f"(length({v}) <= 18 AND {_digits(_unsigned(v))})", "is not a whole number"),
    NUMBER: (lambda v: _decimal_ok(v, None), "is not a number"),
    MONTH: (
        lambda v: (
            f"({v} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]' "
            f"AND substr({v}, 6, 2) BETWEEN '01' AND '12')"
        ),
        "is not a month in the form YYYY-MM",
    ),
    FFY: (
        lambda v: f"upper({v}) GLOB 'FFY[0-9][0-9][0-9][0-9]'",
        "is not a federal fiscal year in the form FFY2026",
    ),
}


# Characters an id may not hold: C0 and C1 controls, zero-width and bidirectional marks,
# the byte-order mark; NUL is found with instr() (it cannot sit in an SQL literal).
UNSEEN = "\x01-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff"
DAYS = f"between {FIRST_DAY} and {LAST_DAY}"


def _limits(col: Column, v: str, raw: str) -> list[tuple[str, str]]:
    """(condition true when the cell breaks a limit, reason) for a cell that passed its
    type check: the contract's "Limits" (EXPORTS.md). ``v``: trimmed, '' as NULL."""
    out: list[tuple[str, str]] = []
    if col.is_id:
        out += [
            (f"trim({raw}) = ''", "is only spaces; an id needs a visible character"),
            (f"length({v}) > {ID_LIMIT}", f"is longer than {ID_LIMIT} characters"),
            (
                f"({v} GLOB {lit('*[' + UNSEEN + ']*')} OR instr({v}, char(0)) > 0)",
                "holds a control, zero-width or NUL character, so nobody could type it",
            ),
        ]
    elif col.type == TEXT:
        out.append((f"length(CAST({v} AS BLOB)) > {TEXT_LIMIT}", "is longer than 64 KiB"))
    if col.type in (DATE, DATETIME):
        out.append(
            (f"substr({v}, 1, 10) NOT BETWEEN {lit(FIRST_DAY)} AND {lit(LAST_DAY)}",
             f"is not {DAYS}, the dates the contract allows")
        )  # fmt: skip
    elif col.type == MONTH:
        out.append(
            (f"{v} NOT BETWEEN {lit(FIRST_DAY[:7])} AND {lit(LAST_DAY[:7])}",
             f"is not between {FIRST_DAY[:7]} and {LAST_DAY[:7]}, the months the contract allows")
        )  # fmt: skip
    elif col.type == FFY:
        first, last = FIRST_DAY[:4], LAST_DAY[:4]
        out.append(
            (f"substr({v}, 4) NOT BETWEEN {lit(first)} AND {lit(last)}",
             f"is not between FFY{first} and FFY{last}, the years the contract allows")
        )  # fmt: skip
    elif col.type == MONEY:
        out.append(
            (f"abs(CAST({v} AS REAL)) > {MONEY_LIMIT}",
             f"is more than {MONEY_LIMIT:,}.00 (or less than -{MONEY_LIMIT:,}.00)")
        )  # fmt: skip
    if col.low is not None and col.high is None:  # a floor only (money above 0)
        n = f"CAST({v} AS REAL)"
        if col.low_open:
            out.append((f"{n} <= {col.low:g}", f"must be above {col.low:g}"))
        else:
            out.append((f"{n} < {col.low:g}", f"must be at least {col.low:g}"))
    if col.low is not None and col.high is not None:
        n = f"CAST({v} AS {'INTEGER' if col.type == INT else 'REAL'})"
        low, high = f"{col.low:g}", f"{col.high:g}"
        if col.low_open:
            out.append((f"NOT ({n} > {low} AND {n} <= {high})",
                        f"must be above {low} and at most {col.high:,g}"))  # fmt: skip
        else:
            out.append((f"{n} NOT BETWEEN {low} AND {high}",
                        f"is not between {low} and {col.high:,g}"))  # fmt: skip
    return out


def normalised(col: Column, table: str = "stage") -> str:
    """SQL turning a valid raw (staged) cell into the stored value."""
    return stored(col, trimmed(col, table), canonical=False)


def stored(col: Column, v: str, *, canonical: bool) -> str:
    """The stored value of ``v``, a valid cell with '' already NULL. ``canonical``: it
    passed ``fast_ok``, so it is lower-case and exactly formatted already."""
    if col.type == ENUM:
        expr = v if canonical else f"lower({v})"
    elif col.type == BOOL:
        whens = [f"WHEN {lit(t)} THEN 1" for t in BOOL_TRUE] + [
            f"WHEN {lit(f)} THEN 0" for f in BOOL_FALSE
        ]
        expr = f"CASE {v if canonical else f'lower({v})'} {' '.join(whens)} END"
    elif col.type == MONEY:
        # Exact: validation allows at most 2 decimals and 16 characters, well inside a
        # double's 53 bits, so rounding the scaled value recovers the cents.
        expr = f"CAST(round({v if canonical else f'CAST({v} AS REAL)'} * 100) AS INTEGER)"
    elif col.type == INT:
        expr = f"CAST({v} AS INTEGER)"
    elif col.type == NUMBER:
        expr = f"CAST({v} AS REAL)"
    elif col.type == FFY and not canonical:
        expr = f"upper({v})"
    elif col.type == DATETIME and not canonical:
        # stored without offset, in the jurisdiction's local time (casecli.core.when)
        offset = f"(substr({v}, -1) IN ('Z', 'z') OR substr({v}, -6, 1) IN ('+', '-'))"
        expr = f"CASE WHEN length({v}) > 16 AND {offset} THEN {LOCAL_TIME}({v}) ELSE {v} END"
    else:
        expr = v
    if col.default is not None:
        default = stored(
            Column(col.name, col.type, values=col.values), lit(col.default), canonical=False
        )
        expr = f"COALESCE({expr}, {default})"
    return expr


def checks(rt: RecordType, stage: str) -> list[Check]:
    """Every check for a record type, in the order a reader would look: column by column."""
    out: list[Check] = []

    def add(
        column: str | None, condition: str, reason: str, retryable: bool = False, kind: str = "cell"
    ) -> None:
        out.append(Check(len(out) + 1, column, condition, reason, retryable, kind))

    norm = {c.name: normalised(c) for c in rt.columns}
    for col in rt.columns:
        v = trimmed(col)
        if col.required and col.default is None:
            empty = f"{v} IS NULL" + (f" OR trim({cell(col.name)}) = ''" if col.is_id else "")
            add(col.name, empty, "is required but empty")
        if col.type == ENUM:
            add(
                col.name,
                f"{v} IS NOT NULL AND lower({v}) NOT IN {_in(col.values)}",
                "is not one of: " + ", ".join(col.values),
            )
        elif col.type in TYPE_CHECKS:
            ok, reason = TYPE_CHECKS[col.type]
            add(col.name, f"{v} IS NOT NULL AND NOT {ok(v)}", reason)
        for condition, reason in _limits(col, v, cell(col.name)):
            add(col.name, f"{v} IS NOT NULL AND {condition}", reason)
    for rule in rt.rules:
        when = rule.when.format(**norm)
        add(rule.column, f"({when}) AND {norm[rule.column]} IS NULL", rule.reason, kind="rule")
    for col in rt.columns:
        if col.ref is None:
            continue
        table, key = ref_target(col.ref)
        v = norm[col.name]
        missing = f"NOT EXISTS (SELECT 1 FROM main.{q(table)} WHERE {q(key)} = {v})"
        if col.ref == rt.name:  # e.g. a supervisor listed further down the same file
            missing += f" AND NOT EXISTS (SELECT 1 FROM {stage} s2 WHERE s2.{q(key)} = {v})"
        add(col.name, f"{v} IS NOT NULL AND {missing}", ref_reason(col), True, "ref")
    return out


def blank_condition(columns: tuple[str, ...]) -> str:
    """True for a staged row whose every cell is empty or spaces: every column of the
    file, the ones the contract does not know included (a row with a value only there is
    not blank: it is a row without a key, rejected)."""
    return " AND ".join(f"coalesce(trim({cell(c)}), '') = ''" for c in columns)


def case_expression(all_checks: list[Check]) -> str:
    whens = [f"WHEN {c.condition} THEN {c.number}" for c in all_checks]
    return "CASE " + " ".join(whens) + " END"
