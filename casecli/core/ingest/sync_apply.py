"""Applying a sync's staged rows to their table: the set-based step after validation.

The good rows of ``temp.stage`` (no parse error, no failed check) are applied in three
statements rather than one upsert: the stored rows they change are updated in key order
(an upsert visits them in file order, one random page each), those whose indexed columns
are unchanged without rewriting their index entries; then the new rows are inserted. At
1.3M cases a 1% delta spent ~2.3 s of its 4.1 s in the upsert of events and its commit
(benchmarks/RESULTS.md). Columns absent from the file keep their stored values; a row a
full export had marked gone comes back.
"""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

from casecli.core.ingest import checks as ck
from casecli.core.store.contract import RecordType

STAGE = "temp.stage"
GOOD = "_err IS NULL AND _chk IS NULL"  # a staged row that parsed and passed every check
LINE = "coalesce(_line, rowid + 1)"  # the fast path leaves _line empty: row n is on line n + 1


class Applied(NamedTuple):
    was_empty: bool  # the table had no rows before
    good: int  # staged rows applied or found unchanged
    inserted: int
    updated: int


Touched = set[tuple[str, str]]  # (link column, value): the cases a sync changed, found later


def case_links(rt: RecordType) -> tuple[str, ...]:
    """The columns of ``rt`` that name (or lead to) the cases a row bears on: its
    ``case_id``; a placement's ``removal_id``; and a signal's ``person_id`` too (a signal
    reaches every case its person is on, ``casedata``). None for staff and costs."""
    names = set(rt.names)
    if "case_id" in names:
        return ("case_id", "person_id") if rt.name == "signals" else ("case_id",)
    return ("removal_id",) if "removal_id" in names else ()


def _note(touched: Touched, links: tuple[str, ...] | list[str], row: tuple[Any, ...]) -> None:
    """Add a written row's link values (``links``, in the row's order) to ``touched``."""
    touched.update((c, str(v)) for c, v in zip(links, row, strict=True) if v is not None)


def counted(
    conn: sqlite3.Connection, sql: str, table: str, links: tuple[str, ...], touched: Touched,
    params: tuple[Any, ...] = (),
) -> int:  # fmt: skip
    """Run an INSERT or UPDATE of ``table``; with ``links``, add the linked ids of the rows
    it wrote to ``touched`` (RETURNING: the values after the write, for each row written)."""
    if not links:
        return int(conn.execute(sql, params).rowcount)
    rows = conn.execute(f"{sql} RETURNING {', '.join(f'{table}.{ck.q(c)}' for c in links)}", params)
    n = 0
    for row in rows:
        n += 1
        _note(touched, links, row)
    return n


def apply_staged(
    conn: sqlite3.Connection,
    rt: RecordType,
    header_columns: tuple[str, ...],
    sync_id: int,
    touched: Touched | None = None,
    was_empty: bool | None = None,
) -> Applied:
    """Apply the good staged rows of ``rt`` with the file's ``header_columns``; into
    ``touched``, the ``case_links`` of the rows written, before and after (not when the
    table was empty: then every case may have changed, which the caller records).
    ``was_empty``: whether the table holds no row (the caller may know; else it is read)."""
    table = ck.q(rt.name)
    if was_empty is None:
        was_empty = not conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]
    good = conn.execute(f"SELECT count(*) FROM {STAGE} WHERE {GOOD}").fetchone()[0]
    if not good:
        return Applied(was_empty, 0, 0, 0)
    links = case_links(rt) if touched is not None and not was_empty else ()
    ids: Touched = set()
    updated = 0 if was_empty else _update_existing(conn, rt, header_columns, sync_id, links, ids)
    select = ", ".join(ck.normalised(rt.column(c)) for c in rt.names)
    # The key as stored (a typed key cell is trimmed and formatted), as the update matched it.
    match = " AND ".join(f"t.{ck.q(k)} = {ck.normalised(rt.column(k))}" for k in rt.key)
    inserted = counted(
        conn,
        f"INSERT INTO {table} ({', '.join(ck.q(c) for c in rt.names)}, _gone_on, _sync_id)"
        f" SELECT {select}, NULL, {sync_id} FROM {STAGE} WHERE {GOOD}"
        + ("" if was_empty else f" AND NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})")
        + " ORDER BY rowid",
        table,
        links,
        ids,
    )
    if touched is not None:
        touched.update(ids)
    return Applied(was_empty, good, inserted, updated)


def _update_existing(
    conn: sqlite3.Connection,
    rt: RecordType,
    header_columns: tuple[str, ...],
    sync_id: int,
    links: tuple[str, ...] = (),
    touched: Touched | None = None,
) -> int:
    """Update the stored rows that the good staged rows change (or bring back from gone);
    return how many."""
    table = ck.q(rt.name)
    settable = [c for c in header_columns if c not in rt.key]
    key_cols = [ck.q(k) for k in rt.key]
    staged = ", ".join(f"{ck.normalised(rt.column(c))} AS {ck.q(c)}" for c in (*rt.key, *settable))
    match = " AND ".join(f"{table}.{k} = s.{k}" for k in key_cols)
    in_index = indexed_columns(conn, rt.name)
    indexed = [c for c in settable if c in in_index]
    plain = [c for c in settable if c not in in_index]

    def changed(columns: list[str]) -> str:
        return " OR ".join(f"{table}.{ck.q(c)} IS NOT s.{ck.q(c)}" for c in columns)

    source = f"(SELECT {staged} FROM {STAGE} WHERE {GOOD} ORDER BY {', '.join(key_cols)}) AS s"
    out: Touched = touched if touched is not None else set()
    # A row that moves to another case (its case_id or removal_id changes) changed the case
    # it leaves as well: RETURNING gives the new value, so the old one is read first.
    moving = [c for c in links if c in settable]
    if moving:
        for row in conn.execute(
            f"SELECT {', '.join(f'{table}.{ck.q(c)}' for c in moving)} FROM {table}, {source}"
            f" WHERE {match} AND ({changed(moving)})"
        ):
            _note(out, moving, row)

    def update(columns: list[str], where: str) -> int:
        sets = "".join(f"{ck.q(c)} = s.{ck.q(c)}, " for c in columns)
        return counted(
            conn,
            f"UPDATE {table} SET {sets}_gone_on = NULL, _sync_id = {sync_id}"
            f" FROM {source} WHERE {match} AND ({where})",
            table,
            links,
            out,
        )

    revived = f"{table}._gone_on IS NOT NULL"
    rest = " OR ".join(filter(None, [changed(plain), revived]))
    if not indexed:
        return update(plain, rest)
    moved = update(settable, changed(indexed))  # an index entry moves
    same_index = " AND ".join(f"{table}.{ck.q(c)} IS s.{ck.q(c)}" for c in indexed)
    return moved + update(plain, f"{same_index} AND ({rest})")


def indexed_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The columns of ``table``'s secondary indexes (its primary key excluded)."""
    out: set[str] = set()
    for row in conn.execute(f"PRAGMA main.index_list({ck.lit(table)})").fetchall():
        if row[3] == "pk":
            continue
        for info in conn.execute(f"PRAGMA main.index_info({ck.lit(row[1])})"):
            if info[2] is not None:
                out.add(str(info[2]))
    return out
