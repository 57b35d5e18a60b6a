"""The honest lower bound for a sync: csv.reader straight into executemany, nothing else.

    python benchmarks/bare_loader.py EXPORT_FOLDER STORE.db

Creates a fresh store with casecli's schema (every file of migrations/, indexes
included) and the same PRAGMAs casecli uses (WAL, synchronous=NORMAL, 64 MiB cache),
then loads every export file the schema has a table for in ONE transaction. No
validation, no type conversion (cells are stored as the text the file holds; empty
cells stay empty strings), no bookkeeping columns, no change detection: the cost of
reading the CSV and writing the same tables and indexes, and nothing more.
"""

from __future__ import annotations

import csv
import sqlite3
import sys
from pathlib import Path

from common import export_tables, schema_sql


def load(folder: Path, db: Path) -> dict[str, int]:
    if db.exists():
        sys.exit(f"{db} exists; the bare loader only writes a fresh store.")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA cache_size = -65536")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.executescript(schema_sql())
    conn.execute("PRAGMA user_version = 1")
    counts = {}
    conn.execute("BEGIN")
    for table in export_tables():
        path = folder / table.file
        if not path.is_file():
            continue
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            names = ", ".join(f'"{c}"' for c in header)
            marks = ", ".join("?" * len(header))
            cur = conn.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", reader)
            counts[table.file] = cur.rowcount
    conn.execute("COMMIT")
    conn.close()
    return counts


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: bare_loader.py EXPORT_FOLDER STORE.db")
    counts = load(Path(sys.argv[1]), Path(sys.argv[2]))
    print(sum(counts.values()))


if __name__ == "__main__":
    main()
