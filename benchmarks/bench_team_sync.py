"""Time ``casecli sync`` into a team store (PostgreSQL) against a bare ``COPY`` of the same
files (issue 17 item 3: within 1.5x of it at 1.3M cases, peak memory < 300 MB, an unchanged
re-sync < 5% of a full one).

    python benchmarks/bench_team_sync.py --cases 1300000 \\
        --url 'postgresql://OWNER@/syncbench?host=/tmp/pgdev' [--runs 3]

The export is make_data.py's (``benchmarks/data/export-N``: made first if missing). The
database at ``--url`` (its owner's: a login with CREATEROLE that owns it; its name must
not begin with casecli_) is emptied and initialised again (``casecli db init``) before
each full sync. Each run, in a rotating order:

  bare      benchmarks/bare_copy.py: each file's bytes into COPY … FROM STDIN (FORMAT
            csv), one unindexed text table per file, one transaction: the lower bound
  casecli   casecli sync (the real CLI, --json) into the empty team store, as its owner
  resync    the same export again into it: every file skipped (unchanged)
  delta     then bench_commands.py's 1% delta (1% of the cases and events changed, a few
            new events), as a nightly sync

Every command is a child process (wall, CPU and peak RSS are its own: the server's are
not counted, for either). Medians (min, max) are printed and written to
``benchmarks/out/team-sync-N-STAMP.json``. The machine is shared and noisy: compare the
ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_commands import delta_export  # noqa: E402
from common import OUT, TODAY, Measured, export_dir, git_revision, log, measure, tool  # noqa: E402


def reset(url: str) -> None:
    """The team store at ``url`` emptied: a new schema, as ``casecli db init`` makes it."""
    from casecli.core.store import team

    conn = team.connect(url)
    try:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
        team.init(conn)
    finally:
        conn.close()


def summary(runs: list[Measured]) -> dict[str, Any]:
    walls = [r.wall_s for r in runs]
    return {
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "max_s": max(walls),
        "median_cpu_s": statistics.median(r.cpu_s for r in runs),
        "max_rss_mb": max(r.max_rss_kb for r in runs) / 1024,
        "runs": [r.public() for r in runs],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, required=True)
    ap.add_argument("--url", required=True, help="the team store's database, as its owner")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    export = export_dir(args.cases)
    if not (export / "cases.csv").is_file():
        made = measure([sys.executable, str(BENCH / "make_data.py"), "--cases", str(args.cases)])
        if made.returncode:
            sys.exit(made.stderr)
    cli = tool("casecli")
    delta, _ = delta_export(export)
    times: dict[str, list[Measured]] = {"bare": [], "casecli": [], "resync": [], "delta": []}
    synced: dict[str, Any] = {}

    def bare() -> None:
        reset(args.url)
        run = measure([sys.executable, str(BENCH / "bare_copy.py"), str(export), args.url])
        if run.returncode:
            sys.exit(f"bare_copy failed:\n{run.stderr}")
        times["bare"].append(run)
        log(f"  bare COPY   {run.wall_s:8.2f} s  {run.max_rss_kb / 1024:6.1f} MB"
            f"  ({int(run.stdout.strip()):,} rows)")  # fmt: skip

    def full() -> None:
        reset(args.url)
        sync = [*cli, "--db", args.url, "--json", "--today", TODAY, "sync"]
        for name, folder in (("casecli", export), ("resync", export), ("delta", delta)):
            run = measure([*sync, str(folder)])
            if run.returncode not in (0, 3):
                sys.exit(f"casecli sync failed (exit {run.returncode}):\n{run.stderr}")
            times[name].append(run)
            out = json.loads(run.stdout)
            synced[name] = {"status": out["status"], "rejects": len(out["rejects"])}
            log(f"  {name:<10} {run.wall_s:8.2f} s  {run.max_rss_kb / 1024:6.1f} MB"
                f"  ({out['status']})")  # fmt: skip

    steps = [bare, full]
    for i in range(args.runs):
        log(f"run {i + 1} of {args.runs}")
        for step in steps[i % 2 :] + steps[: i % 2]:
            step()
    reset(args.url)  # (the bare tables gone; the store empty)
    result = {k: summary(v) for k, v in times.items()}
    ratios = {
        "casecli_over_bare": result["casecli"]["median_s"] / result["bare"]["median_s"],
        "casecli_over_bare_cpu": result["casecli"]["median_cpu_s"] / result["bare"]["median_cpu_s"],
        "resync_over_casecli": result["resync"]["median_s"] / result["casecli"]["median_s"],
        "delta_over_casecli": result["delta"]["median_s"] / result["casecli"]["median_s"],
    }
    for name, s in result.items():
        print(f"{name:<8} median {s['median_s']:8.2f} s  ({s['min_s']:.2f} - {s['max_s']:.2f})"
              f"  CPU {s['median_cpu_s']:8.2f} s  peak {s['max_rss_mb']:6.1f} MB")  # fmt: skip
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}")
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = OUT / f"team-sync-{args.cases}-{stamp}.json"
    path.write_text(json.dumps({
        "cases": args.cases, "runs": args.runs, "revision": git_revision(),
        "machine": {"python": platform.python_version(), "node": platform.node(),
                    "cpus": __import__("os").cpu_count()},
        "results": result, "ratios": ratios, "synced": synced,
    }, indent=2))  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
