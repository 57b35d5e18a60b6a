"""SQL for validating and normalising staged rows, generated from the contract.

Sync stages each file's raw cells as text, then validates every row in one set-based
pass (one ``CASE`` per row: the first failing check, in column order, wins) and
applies the good rows with ``INSERT … SELECT``. Keeping the per-cell work in SQLite's
C code rather than per-row Python is what makes a 1.3-million-case sync fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from casecli.core.contract import (
    BOOL,
    BOOL_FALSE,
    BOOL_TRUE,
    DATE,
    DATETIME,
    ENUM,
    FIRST_DAY,
    ID_LIMIT,
    INT,
    LAST_DAY,
    MONEY,
    MONEY_LIMIT,
    MONTH,
    NUMBER,
    REF_KEY,
    TEXT,
    TEXT_LIMIT,
    Column,
    RecordType,
)

REF_REASON = {
    "staff": "refers to a staff member who is not in the store or this export",
    "cases": "refers to a case that is not in the store or this export",
    "people": "refers to a person who is not in the store or this export",
    "removals": "refers to a removal that is not in the store or this export",
}

LOCAL_TIME = "casecli_local_time"  # an SQL function a sync defines: casecli.core.when.local_time
BLANK = 0  # a row with every cell empty (Excel's trailing rows): skipped, not rejected


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


def _member(expr: str, values: tuple[str, ...]) -> str:
    """``expr IN values`` as a CASE: SQLite builds a lookup table for IN on each execution,
    which dominates when one statement runs once per CSV row, and a CASE of a dozen
    comparisons costs a quarter of the instructions of searching a joined list (measured
    with callgrind, benchmarks/RESULTS.md)."""
    whens = " ".join(f"WHEN {lit(v)} THEN 1" for v in values)
    return f"(CASE {expr} {whens} ELSE 0 END)"


class Seen(NamedTuple):
    """What a fast read saw in a file's bytes (``casecli.core.source``), which decides how
    much the cheap checks must prove: a file of printable ASCII with short lines cannot
    hold a control, zero-width or NUL character nor a cell over 64 KiB, so its ids need
    only their length and first character checked, and its text cells nothing."""

    non_ascii: bool = True  # a byte over 0x7F (outside a leading BOM)
    control: bool = True  # a control byte other than a line break (tab and NUL included)
    long_lines: bool = True  # a line over 64 KiB


NOTHING_SEEN = Seen(False, False, False)  # the best case, before a fast read has looked
UNSEEN_FILE = Seen()  # nothing known: every check


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
    elif col.type == MONEY:
        out.append(
            (f"abs(CAST({v} AS REAL)) > {MONEY_LIMIT}",
             f"is more than {MONEY_LIMIT:,}.00 (or less than -{MONEY_LIMIT:,}.00)")
        )  # fmt: skip
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
    return _stored(col, trimmed(col, table), canonical=False)


def _stored(col: Column, v: str, *, canonical: bool) -> str:
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
    elif col.type == DATETIME and not canonical:
        # stored without offset, in the jurisdiction's local time (casecli.core.when)
        offset = f"(substr({v}, -1) IN ('Z', 'z') OR substr({v}, -6, 1) IN ('+', '-'))"
        expr = f"CASE WHEN length({v}) > 16 AND {offset} THEN {LOCAL_TIME}({v}) ELSE {v} END"
    else:
        expr = v
    if col.default is not None:
        default = _stored(
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
        key = REF_KEY[col.ref]
        v = norm[col.name]
        missing = f"NOT EXISTS (SELECT 1 FROM main.{q(col.ref)} WHERE {q(key)} = {v})"
        if col.ref == rt.name:  # e.g. a supervisor listed further down the same file
            missing += f" AND NOT EXISTS (SELECT 1 FROM {stage} s2 WHERE s2.{q(key)} = {v})"
        add(col.name, f"{v} IS NOT NULL AND {missing}", REF_REASON[col.ref], True, "ref")
    return out


def blank_condition(rt: RecordType) -> str:
    return " AND ".join(f"coalesce(trim({cell(c.name)}), '') = ''" for c in rt.columns)


def case_expression(all_checks: list[Check], rt: RecordType) -> str:
    whens = [f"WHEN {blank_condition(rt)} THEN {BLANK}"]
    whens += [f"WHEN {c.condition} THEN {c.number}" for c in all_checks]
    return "CASE " + " ".join(whens) + " END"


_YEAR = "[0-9][0-9][0-9][0-9]"


def _iso_equal(r: str) -> str:
    """True when the cell is already in canonical ISO form (so its date exists)."""
    return (
        f"CASE length({r}) WHEN 10 THEN date(julianday({r})) = {r}"
        f" WHEN 16 THEN strftime('%Y-%m-%dT%H:%M', julianday({r})) = {r}"
        f" WHEN 19 THEN strftime('%Y-%m-%dT%H:%M:%S', julianday({r})) = {r} ELSE 0 END"
    )


def fast_ok(col: Column, seen: Seen = UNSEEN_FILE, at: str | None = None) -> str | None:
    """A cheap test on the raw cell that, when true, proves every check of the column passes.

    Nearly every cell of a real export takes this path; a cell it cannot vouch for (spaces
    around a value, capitals, the 29th-31st of a month, a negative amount) is judged by the
    exact checks instead, so being conservative here costs speed, never correctness.
    ``seen``: what the read saw in the file's bytes; ``at``: the cell's SQL (default the
    staged cell).
    """
    r = at or cell(col.name)
    years = f"{r} BETWEEN {lit(FIRST_DAY)} AND '{LAST_DAY}T99'"
    if col.type == TEXT:
        text: str | None = None
        if col.ref is not None:
            pass  # a reference must equal a stored key: that proves it an id
        elif col.is_id:
            # Starts with a visible character, at most 64 bytes; where the file had other
            # bytes than printable ASCII, ASCII only (as many bytes as characters: no
            # zero-width or NUL character), and no control (json_quote() escapes C0).
            text = f"{r} >= '!' AND length(CAST({r} AS BLOB)) <= {ID_LIMIT}"
            if seen.non_ascii or seen.control:
                text += f" AND length({r}) = length(CAST({r} AS BLOB))"
            if seen.control:
                text += (
                    f" AND length(json_quote({r})) = length({r}) + 2 AND instr({r}, char(127)) = 0"
                )
            text = f"({text})"
        elif seen.long_lines:
            text = f"length(CAST({r} AS BLOB)) <= {TEXT_LIMIT}"
        if col.required:
            return f"({r} <> '' AND {text})" if text else f"{r} <> ''"
        return text
    if col.type == ENUM:
        ok = _member(r, col.values)
    elif col.type == DATE:
        ok = f"(date(julianday({r})) = {r} AND {years})"
    elif col.type == DATETIME:
        ok = f"({_iso_equal(r)} AND {years})"
    elif col.type == BOOL:
        ok = _member(r, BOOL_TRUE + BOOL_FALSE)
    elif col.type == MONEY:  # 125.50 or 125: formatting the number gives the cell back;
        # 12 characters at most with 2 decimals, 9 without: inside the contract's limit
        ok = (
            f"(length({r}) <= 12 AND (printf('%.2f', {r}) = {r}"
            f" OR (length({r}) <= 9 AND CAST({r} AS INTEGER) || '' = {r})))"
        )
    elif col.type in (INT, NUMBER):
        ok = f"(length({r}) <= 15 AND CAST({r} AS INTEGER) || '' = {r}"
        if col.low is not None and col.high is not None:
            low = ">" if col.low_open else ">="
            ok += f" AND CAST({r} AS INTEGER) {low} {col.low:g} AND CAST({r} AS INTEGER) <= {col.high:g}"
        ok += ")"
    elif col.type == MONTH:
        ok = f"(({r} GLOB '{_YEAR}-0[1-9]' OR {r} GLOB '{_YEAR}-1[0-2]') AND {years})"
    else:
        return None
    if col.required and col.default is None:
        return ok
    return f"(coalesce({r}, '') = '' OR {ok})"


def any_failure(all_checks: list[Check], rt: RecordType, seen: Seen = UNSEEN_FILE) -> str:
    """True for rows that need the exact checks: the fast path failed, or a rule or reference."""
    fast = [f for f in (fast_ok(c, seen) for c in rt.columns) if f]
    parts = [f"NOT coalesce({' AND '.join(fast)}, 0)"] if fast else []
    parts += [f"coalesce({c.condition}, 0)" for c in all_checks if c.kind != "cell"]
    return " OR ".join(parts) if parts else "0"


def _direct_value(col: Column, r: str) -> str:
    """The stored value of a cell that passed ``fast_ok``: it is already canonical."""
    return _stored(col, f"NULLIF({r}, '')", canonical=True)


def after_load(rt: RecordType, seen: Seen) -> str | None:
    """For a table just loaded by ``direct_insert``: one query, true if a row points at
    nothing (a reference), or holds a value that the file's bytes, as ``seen``, leave
    unproven by the cheap checks ``direct_insert`` made (they assumed printable ASCII and
    short lines). One set-based pass over the table after the load costs less than a
    lookup sub-query run once per row, and one pass for every column less than one each."""
    bad = []
    for c in rt.columns:
        col = f"t.{q(c.name)}"
        if c.ref is not None:
            found = f"SELECT 1 FROM main.{q(c.ref)} r WHERE r.{q(REF_KEY[c.ref])} = {col}"
            bad.append(f"({col} IS NOT NULL AND NOT EXISTS ({found}))")
        full = fast_ok(c, seen, col)
        if full and full != fast_ok(c, NOTHING_SEEN, col):
            bad.append(f"({col} IS NOT NULL AND NOT coalesce({full}, 0))")
    if not bad:
        return None
    return f"SELECT EXISTS (SELECT 1 FROM main.{q(rt.name)} t WHERE {' OR '.join(bad)})"


def direct_insert(rt: RecordType, file_columns: tuple[str, ...], sync_id: int) -> str:
    """One INSERT that validates, normalises and writes a CSV row bound as ``?1 … ?n``.

    For the first load of a table (references, and what the file's bytes leave unproven,
    are checked after it: ``after_load``). A row
    that any check could fault gets a NULL key, so
    ``OR IGNORE`` skips it (as it skips a duplicate key); the caller, seeing fewer rows
    written than read, redoes the file through staging, where each problem is found and
    reported. ``VALUES`` rather than ``SELECT … WHERE``: SQLite runs it far faster once
    per row.
    """
    pos = {name: i + 1 for i, name in enumerate(file_columns) if not name.startswith("_u")}
    # Past the fast checks (which come first in the AND chain) a cell is canonical, so
    # rules and references can use the plain stored value.
    value = {
        c.name: _direct_value(c, f"?{pos[c.name]}") if c.name in pos else "NULL" for c in rt.columns
    }
    values = [value[c.name] for c in rt.columns]
    for i, c in enumerate(rt.columns):
        if c.name not in pos and c.default is not None:
            values[i] = _direct_value(c, "NULL")
    ok = [
        f for c in rt.columns if c.name in pos and (f := fast_ok(c, NOTHING_SEEN, f"?{pos[c.name]}"))
    ]
    for rule in rt.rules:
        ok.append(
            f"NOT coalesce(({rule.when.format(**value)}) AND {value[rule.column]} IS NULL, 0)"
        )
    # every parameter must appear, or SQLite counts fewer than the row has
    ok += [f"(?{i + 1} IS NULL OR 1)" for i, n in enumerate(file_columns) if n.startswith("_u")]
    values[0] = f"CASE WHEN {' AND '.join(ok) or '1'} THEN {values[0]} END"
    cols = ", ".join(q(c) for c in rt.names)
    return (
        f"INSERT OR IGNORE INTO main.{q(rt.name)} ({cols}, _gone_on, _sync_id)"
        f" VALUES ({', '.join(values)}, NULL, {sync_id})"
    )
