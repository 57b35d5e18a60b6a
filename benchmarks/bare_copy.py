"""The honest lower bound for a team store's sync: each export file's bytes into
PostgreSQL's ``COPY … FROM STDIN (FORMAT csv)``, nothing else (issue 17 item 3).

    python benchmarks/bare_copy.py EXPORT_FOLDER URL

Into a new table per file (``bare_<table>``: one ``text`` column per header cell, no key,
no index), in ONE transaction: no validation, no type conversion, no bookkeeping, no
change detection: the cost of reading the files and writing the same rows, and nothing
more. The tables are dropped first (and left behind for a look; bench_team_sync.py drops
them after). Prints the rows copied.
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import export_tables


def load(folder: Path, url: str) -> int:
    import psycopg

    rows = 0
    with psycopg.connect(url) as conn, conn.transaction():
        for table in export_tables():
            path = folder / table.file
            if not path.is_file():
                continue
            with path.open("rb") as fh:
                header = fh.readline().decode("utf-8-sig").rstrip("\r\n").split(",")
            name = f"bare_{table.name}"
            conn.execute(f"DROP TABLE IF EXISTS {name}")
            cols = ", ".join(f'"{c}" text' for c in header)
            conn.execute(f"CREATE TABLE {name} ({cols})")
            with path.open("rb") as fh, conn.cursor() as cur:
                with cur.copy(f"COPY {name} FROM STDIN (FORMAT csv, HEADER true)") as copy:
                    while chunk := fh.read(1 << 20):
                        copy.write(chunk)
                rows += cur.rowcount
    return rows


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: bare_copy.py EXPORT_FOLDER URL")
    print(load(Path(sys.argv[1]), sys.argv[2]))


if __name__ == "__main__":
    main()
