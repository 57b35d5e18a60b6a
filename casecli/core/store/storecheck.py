"""The quick check a write runs when it opens the store (``store.connect(write=...)``).

A damaged store must not be written to, and a write must stay cheap: ``record`` instant,
an unchanged re-sync under 5% of a full sync. A full ``PRAGMA quick_check`` reads and checks every cell: 6.1 s on
the 1.3-million-case store (1.86 GB, 450,000 pages; ``quick_check(cases)`` alone 0.51 s),
so each write checks what it will write in full, and walks what it reads:

* SQLite itself, on the first statement: the header (a file that is not a database, or
  whose first page was overwritten), the page size, and the page count in the header
  against the file's size (a truncated file), then the schema.
* ``PRAGMA quick_check(TABLE)`` (SQLite 3.33+) of each table the write puts rows into,
  with its indexes: the local tables for ``record``, ``wait``, ``resolve``, ``progress``
  and ``goals set`` (recorded_events, barriers, goal_progress, notes, performance_goals,
  audit_log); ``sync_log``, ``sync_files`` and ``rejects`` for ``sync``; and the schema.
* A walk of every page of the b-trees the write reads and may rewrite: ``SELECT count(*)``
  over each table and index, so SQLite loads and checks each page's header (a zeroed or
  overwritten page, a page beyond the end of the file, a child pointer out of range),
  through its page cache (a memory-mapped walk is 3-6x faster, but every page it touches
  counts in the process's resident memory: 1.8 GB for a sync of the 1.3M store, against
  the sync's 300 MB promise). A local write walks
  ``staff`` and ``cases`` (its actor, its case and the case's scope); a sync walks every
  table and index (it may rewrite any of them). ``casecli sync`` runs its check before
  ``sync.sync_store`` reads the export.
* ``db migrate`` (and a migration any command starts) runs the full ``PRAGMA
  quick_check``: it copies every page into its backup anyway.

Measured on the shared 2-core machine (SQLite 3.40.1; other work shares it, so figures
vary about 2x from one hour to the next), with the page cache warm / just dropped: on the
1.3M-case store, a local write's check 64-70 ms warm (10-29 ms memory-mapped), a sync's
check 0.64 s warm / 3.9 s cold (0.10-0.24 s / 1.3-2.3 s memory-mapped; the unchanged
re-sync of bench_sync.py takes 1.8-2.1 s in all, 1.7% of a full sync), the full check of a
migration 6.1 s; on sample.db (1,000 cases) 0.4 ms,
1 ms and 6.5 ms. Damage the check does not reach (a few bytes inside a cell of a table the
write only reads, or of an export table a local write never reads) is reported by the
first read that touches it, and always by ``db check`` (a full ``integrity_check``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from casecli.core.store.faults import damaged, is_damage, report_lines

LOCAL_TABLES = ("recorded_events", "barriers", "goal_progress", "notes", "performance_goals",
                "audit_log")  # fmt: skip
SYNC_TABLES = ("sync_log", "sync_files", "rejects")
# What each kind of write checks at open: (tables it writes: quick_check; tables it
# reads and may rewrite: walked; None = every table).
WRITES: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    "local": (LOCAL_TABLES, ("staff", "cases")),
    "sync": (SYNC_TABLES, None),
}



def verify(conn: sqlite3.Connection, path: Path, write: str) -> None:
    """Refuse, in one sentence, a store that fails the quick check of ``write`` (a key of
    ``WRITES``, or "migrate" for the full ``quick_check``): see the module docstring."""
    try:
        if write == "migrate":
            found = report_lines(conn.execute("PRAGMA quick_check(20)").fetchall())
        else:
            writes, reads = WRITES[write]
            found = _quick_check(conn, ("sqlite_master", *writes))
            if not found:
                _walk(conn, reads)
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        found = [str(exc)]
    if found:
        raise damaged(path, "; ".join(found[:3]), then=", so nothing was applied")


def _quick_check(conn: sqlite3.Connection, tables: tuple[str, ...]) -> list[str]:
    if sqlite3.sqlite_version_info < (3, 33, 0):  # no quick_check(TABLE) yet: walk them
        _walk(conn, tables)
        return []
    found: list[str] = []
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in tables:
        if table in have or table == "sqlite_master":
            found.extend(report_lines(conn.execute(f'PRAGMA quick_check("{table}")').fetchall()))
    return found


def _walk(conn: sqlite3.Connection, tables: tuple[str, ...] | None) -> None:
    """Load every page of the b-trees of ``tables`` (None: all) and their indexes, which
    makes SQLite check each page's header and child pointers; raises on damage."""
    rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master"
        " WHERE type IN ('table', 'index') AND rootpage > 0 AND tbl_name NOT LIKE 'sqlite_%'"
    ).fetchall()
    # Read through SQLite's page cache, not memory-mapped: a mapped walk is faster, but
    # every page it touches counts in the process's resident memory (1.8 GB for a sync of
    # the 1.3M store, against the sync's 300 MB promise).
    conn.execute("BEGIN")  # one snapshot for the walk
    try:
        for kind, name, table, sql in rows:
            if tables is not None and table not in tables:
                continue
            if kind == "table":
                conn.execute(f'SELECT count(*) FROM "{name}" NOT INDEXED').fetchone()
            elif sql is None or " WHERE " not in sql.upper():  # a partial index: skipped
                conn.execute(f'SELECT count(*) FROM "{table}" INDEXED BY "{name}"').fetchone()
    finally:
        conn.execute("COMMIT")
