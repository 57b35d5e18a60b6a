"""Time ``casecli next`` against the start-up of the libraries it is built on.

DESIGN.md: ``casecli next`` within 1.3x of ``python -c "import typer, rich.table"``.
``casecli next`` as run again (its actions kept beside the store), ``casecli next`` with
nothing kept (the first run of the day, or after a sync: it evaluates the caseload) and the
import baseline run alternately, many times, as separate processes; the medians and the
ratios are printed (and written to benchmarks/out/next-<store>.json). CPU time is shown
too: on this shared 2-core machine it is steadier than wall time.

    python benchmarks/bench_next.py                      # sample.db, its busiest worker
    python benchmarks/bench_next.py --db STORE --as STAFF_ID --runs 30
    python benchmarks/bench_next.py --login              # also with no --as: found by login

``--login`` adds a row: ``casecli next`` with no ``--as``, the operating-system user
(LOGNAME and USER) set to the staff member's ``login``, so casecli finds them by it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OUT, REPO, log, measure, tool  # noqa: E402


def busiest_worker(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    row = conn.execute(
        "SELECT worker_id FROM cases WHERE status = 'open' AND worker_id IS NOT NULL"
        " GROUP BY worker_id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    return str(row[0])


def login_of(db: Path, staff_id: str) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    row = conn.execute("SELECT login FROM staff WHERE staff_id = ?", (staff_id,)).fetchone()
    if row is None or not row[0]:
        sys.exit(f"{staff_id} has no login in {db}; --login needs one (staff.csv's login).")
    return str(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=REPO / "sample.db")
    parser.add_argument(
        "--as", dest="user", help="staff id (default: the worker with most open cases)"
    )
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument(
        "--login", action="store_true", help="also time next with no --as, found by login"
    )
    args = parser.parse_args()
    user = args.user or busiest_worker(args.db)
    next_cmd = [*tool("casecli"), "--db", str(args.db), "--as", user, "next"]
    commands = {
        "casecli next": next_cmd,
        "casecli next (first of the day)": next_cmd,  # nothing kept: evaluates the caseload
        "import typer, rich.table": [sys.executable, "-c", "import typer, rich.table"],
    }
    env: dict[str, dict[str, str]] = {}
    if args.login:
        login = login_of(args.db, user)
        commands["casecli next (by login)"] = [*tool("casecli"), "--db", str(args.db), "next"]
        env["casecli next (by login)"] = {
            **{k: v for k, v in os.environ.items() if k not in ("CASECLI_USER", "CASECLI_CONFIG")},
            "LOGNAME": login,
            "USER": login,
            "CASECLI_CONFIG": "/nonexistent/config.toml",  # no configured user in the way
        }
    kept = args.db.with_name(args.db.name + "-cache")  # casecli.core.local.nextcache.folder
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(2):  # warm the page cache and the bytecode
        for name, cmd in commands.items():
            measure(cmd, env=env.get(name))
    for _ in range(args.runs):
        for name, cmd in commands.items():
            if name.endswith("(first of the day)"):
                shutil.rmtree(kept, ignore_errors=True)
            m = measure(cmd, env=env.get(name))
            if m.returncode != 0:
                sys.exit(f"{name} failed: {m.stderr.strip()}")
            times[name].append((m.wall_s, m.cpu_s))
    result = {"db": str(args.db), "as": user, "runs": args.runs}
    for name, samples in times.items():
        result[name] = {
            "wall_median_s": statistics.median(w for w, _ in samples),
            "cpu_median_s": statistics.median(c for _, c in samples),
        }
    base, ours = result["import typer, rich.table"], result["casecli next"]
    first = result["casecli next (first of the day)"]
    result["ratio_wall"] = ours["wall_median_s"] / base["wall_median_s"]  # type: ignore[index]
    result["ratio_cpu"] = ours["cpu_median_s"] / base["cpu_median_s"]  # type: ignore[index]
    result["first_ratio_wall"] = first["wall_median_s"] / base["wall_median_s"]  # type: ignore[index]
    for name in commands:
        r = result[name]
        log(
            f"{name:<26} wall {r['wall_median_s'] * 1000:7.1f} ms   cpu {r['cpu_median_s'] * 1000:7.1f} ms"
        )  # type: ignore[index]
    log(f"ratio (target <= 1.3): wall {result['ratio_wall']:.2f}, cpu {result['ratio_cpu']:.2f}")
    log(f"first of the day (nothing kept): wall {result['first_ratio_wall']:.2f}")
    if args.login:
        by_login = result["casecli next (by login)"]
        result["login_ratio_wall"] = by_login["wall_median_s"] / base["wall_median_s"]  # type: ignore[index]
        result["login_ratio_cpu"] = by_login["cpu_median_s"] / base["cpu_median_s"]  # type: ignore[index]
        log(
            f"by login (no --as): wall {result['login_ratio_wall']:.2f}, "
            f"cpu {result['login_ratio_cpu']:.2f}"
        )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"next-{args.db.stem}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
