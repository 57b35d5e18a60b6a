"""The cheap checks of a sync's fast paths, generated from the contract.

Nearly every cell of a real export is valid, so each is first judged by a cheap test
that, when true, proves every exact check of its column (``checks.checks``) would pass:
``fast_ok``. A row it cannot vouch for gets the exact checks, so being conservative here
costs speed, never correctness. ``direct_insert`` validates and writes a row of a first
load in one statement; ``any_failure`` picks the staged rows that need the exact checks.

How much a cheap test must prove depends on what the file's bytes held (``Seen``, noted
by ``casecli.core.ingest.lines.LineGuard`` as the file is read): a file of printable ASCII with
short lines cannot hold a control, zero-width or NUL character, nor a text cell over the
contract's 64 KiB, so its ids need only their first character and length checked (an
id's full cheap check costs ~7,000 instructions, callgrind) and its text cells nothing.
"""

from __future__ import annotations

from typing import NamedTuple

from casecli.core.ingest.checks import Check, cell, lit, q, stored
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
    MONTH,
    NUMBER,
    REF_KEY,
    TEXT,
    TEXT_LIMIT,
    Column,
    RecordType,
    ref_target,
)


class Seen(NamedTuple):
    """What a fast read saw in a file's bytes (``casecli.core.ingest.source``), which decides how
    much the cheap checks must prove: a file of printable ASCII with short lines cannot
    hold a control, zero-width or NUL character nor a cell over 64 KiB, so its ids need
    only their length and first character checked, and its text cells nothing."""

    non_ascii: bool = True  # a byte over 0x7F (outside a leading BOM)
    control: bool = True  # a control byte other than a line break (tab and NUL included)
    long_lines: bool = True  # a line over 64 KiB


NOTHING_SEEN = Seen(False, False, False)  # the best case, before a fast read has looked
UNSEEN_FILE = Seen()  # nothing known: every check


def member(expr: str, values: tuple[str, ...]) -> str:
    """``expr IN values`` as a CASE: SQLite builds a lookup table for IN on each execution,
    which dominates when one statement runs once per CSV row, and a CASE of a dozen
    comparisons costs a quarter of the instructions of searching a joined list (measured
    with callgrind, benchmarks/RESULTS.md)."""
    whens = " ".join(f"WHEN {lit(v)} THEN 1" for v in values)
    return f"(CASE {expr} {whens} ELSE 0 END)"


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
        ok = member(r, col.values)
    elif col.type == DATE:
        # date(r) would give '2026-02-30' back: only a julian day makes it 2026-03-02
        ok = f"(date(julianday({r})) = {r} AND {years})"
    elif col.type == DATETIME:
        ok = f"({_iso_equal(r)} AND {years})"
    elif col.type == BOOL:
        ok = member(r, BOOL_TRUE + BOOL_FALSE)
    elif col.type == MONEY:  # 125.50 or 125: formatting the number gives the cell back;
        # 12 characters at most with 2 decimals, 9 without: inside the contract's limit
        ok = (
            f"(length({r}) <= 12 AND (printf('%.2f', {r}) = {r}"
            f" OR (length({r}) <= 9 AND CAST({r} AS INTEGER) || '' = {r}))"
        )
        if col.low is not None:  # a floor (costs' expenditures above 0)
            ok += f" AND CAST({r} AS REAL) {'>' if col.low_open else '>='} {col.low:g}"
        ok += ")"
    elif col.type in (INT, NUMBER):
        ok = f"(length({r}) <= 15 AND CAST({r} AS INTEGER) || '' = {r}"
        if col.low is not None and col.high is not None:
            low = ">" if col.low_open else ">="
            ok += f" AND CAST({r} AS INTEGER) {low} {col.low:g} AND CAST({r} AS INTEGER) <= {col.high:g}"
        ok += ")"
    elif col.type == MONTH:
        ok = f"(({r} GLOB '{_YEAR}-0[1-9]' OR {r} GLOB '{_YEAR}-1[0-2]') AND {years})"
    elif col.type == FFY:  # upper-case already, a year the contract allows
        ok = f"({r} GLOB 'FFY{_YEAR}' AND substr({r}, 4) BETWEEN '{FIRST_DAY[:4]}' AND '{LAST_DAY[:4]}')"
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
    """The stored value of a cell that passed ``fast_ok``: it is already canonical. A CASE
    rather than NULLIF(): opcodes, not a function call, once per cell of a first load
    (1-3% of its instructions, callgrind)."""
    return stored(col, f"(CASE {r} WHEN '' THEN NULL ELSE {r} END)", canonical=True)


def after_load(rt: RecordType, seen: Seen) -> str | None:
    """For a table just loaded by ``direct_insert``: one query, true if a row points at
    nothing (a reference), or holds a value that the file's bytes, as ``seen``, leave
    unproven by the cheap checks ``direct_insert`` made (they assumed printable ASCII and
    short lines). One set-based pass over the table after the load costs less than a
    lookup sub-query run once per row, and one pass for every column less than one each.
    ``NOT IN (SELECT key …)`` probes the referenced table's key directly (15% faster than
    ``NOT EXISTS``); a reference that leads the table's key (payments' case_id) is looked
    up once per distinct value, read in key order: 9.3M lookups become 1.1M at 1.3M cases
    (3.4 s -> 1.0 s)."""
    bad, leading = [], []
    for c in rt.columns:
        col = f"t.{q(c.name)}"
        if c.ref is not None:
            table, key = ref_target(c.ref)
            keys = f"SELECT {q(key)} FROM main.{q(table)}"
            if key != REF_KEY.get(c.ref):  # not a key: NULLs would make NOT IN unknown
                keys += f" WHERE {q(key)} IS NOT NULL"
            if len(rt.key) > 1 and c.name == rt.key[0]:
                leading.append(
                    f"EXISTS (SELECT 1 FROM (SELECT DISTINCT {q(c.name)} AS v"
                    f" FROM main.{q(rt.name)}) WHERE v NOT IN ({keys}))"
                )
            else:
                bad.append(f"{col} NOT IN ({keys})")  # NULL NOT IN (…) is NULL: not bad
        full = fast_ok(c, seen, col)
        if full and full != fast_ok(c, NOTHING_SEEN, col):
            bad.append(f"({col} IS NOT NULL AND NOT coalesce({full}, 0))")
    if bad:
        leading.append(f"EXISTS (SELECT 1 FROM main.{q(rt.name)} t WHERE {' OR '.join(bad)})")
    return f"SELECT {' OR '.join(leading)}" if leading else None


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
        f
        for c in rt.columns
        if c.name in pos and (f := fast_ok(c, NOTHING_SEEN, f"?{pos[c.name]}"))
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
