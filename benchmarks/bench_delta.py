"""Time a delta sync against the bare in-place apply of the same rows.

DESIGN.md wants a 1% delta "in proportion to its size". A delta's rows are scattered over
the store, so each changed row costs a page of its own; this script measures how far the
sync is from what SQLite itself needs to apply exactly those rows in place, the way
``bench_sync.py`` compares a first load with a bare ``executemany`` loader:

  casecli   ``casecli --db COPY sync DELTA`` (staging, validation, rejects, counts)
  bare      one process: for each CSV of the delta, ``INSERT … ON CONFLICT DO UPDATE`` of
            every row (empty cell = NULL), in key order, one transaction, no validation;
            the store's own PRAGMAs (WAL, synchronous NORMAL, 64 MiB cache, foreign keys)

Each run copies the cached store made by ``bench_commands.py`` (``benchmarks/data/stores/
cmd-N.db``, the export synced once) and lets the copy settle on disk (``os.sync``) before
the timed command, so neither variant pays for writing back the copy. The two variants
alternate; medians are printed and written to ``benchmarks/out/delta-N.json``.

    python benchmarks/bench_delta.py --cases 1300000 --runs 3
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DATA, OUT, TODAY, fresh, log, measure, tool  # noqa: E402


def bare_apply(store: Path, delta: Path) -> None:
    """Apply every row of the delta's CSV files to the tables of the same names."""
    conn = sqlite3.connect(store, isolation_level=None)
    for pragma in ("synchronous = NORMAL", "cache_size = -65536", "foreign_keys = ON"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("BEGIN IMMEDIATE")
    for path in sorted(delta.glob("*.csv")):
        table = path.stem
        key = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[5]]
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            rows = sorted(
                ([cell or None for cell in row] for row in reader),
                key=lambda r: [r[header.index(k)] or "" for k in key],
            )
        sets = ", ".join(f"{c} = excluded.{c}" for c in header if c not in key)
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(header)}) VALUES ({', '.join('?' * len(header))})"
            f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}",
            rows,
        )
    conn.execute("COMMIT")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bare", nargs=2, metavar=("STORE", "DELTA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_apply(Path(args.bare[0]), Path(args.bare[1]))
        return
    store = DATA / "stores" / f"cmd-{args.cases}.db"
    delta = DATA / f"export-{args.cases}.delta1"
    if not store.is_file() or not delta.is_dir():
        sys.exit(f"run bench_commands.py --cases {args.cases} first (it makes {store} and {delta})")
    scratch = DATA / "stores" / f"delta-{args.cases}-scratch.db"
    variants = {
        "casecli": [*tool("casecli"), "--db", str(scratch), "--today", TODAY, "sync", str(delta)],
        "bare": [
            sys.executable,
            __file__,
            "--cases",
            str(args.cases),
            "--bare",
            str(scratch),
            str(delta),
        ],
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(args.runs):
        for name, cmd in variants.items():
            fresh(scratch)
            shutil.copyfile(store, scratch)
            os.sync()
            time.sleep(1)
            m = measure(cmd)
            if m.returncode not in (0, 3):
                sys.exit(f"{name} failed (exit {m.returncode}): {m.stderr.strip()[-2000:]}")
            times[name].append(m.wall_s)
            log(f"run {i + 1}/{args.runs}  {name:<8} {m.wall_s:6.2f} s  cpu {m.cpu_s:6.2f} s")
    fresh(scratch)
    result = {name: statistics.median(ts) for name, ts in times.items()}
    ratio = result["casecli"] / result["bare"]
    log(
        f"median: casecli {result['casecli']:.2f} s, bare {result['bare']:.2f} s, ratio {ratio:.2f}"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"delta-{args.cases}.json").write_text(
        json.dumps(
            {"cases": args.cases, "runs": times, "median_s": result, "ratio": ratio}, indent=2
        )
    )


if __name__ == "__main__":
    main()
