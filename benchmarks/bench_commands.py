"""Time every casecli command on one store size, plus full, unchanged and 1% delta syncs.

    python benchmarks/bench_commands.py --cases 100000 [--runs 5] [--sync-runs R]
    python benchmarks/bench_commands.py --cases 1300000 --runs 3 --sync-runs 1

The store is built once with ``casecli --db STORE --today 2026-11-24 sync EXPORT`` and
cached in ``benchmarks/data/stores/cmd-N.db`` (reused while its last sync is of the same
export with the same manifest). The export comes from make_data.py. Each command then
runs as its own process (wall, CPU and peak RSS from os.wait4), in a rotating order,
after one warm-up run each; the medians go into a table and
``benchmarks/out/commands-N-STAMP.json``. Who runs what is chosen from the store:

  next              the worker with the most open cases, and a typical worker (median caseload),
                    as run again (their actions kept beside the store); and the busiest worker
                    with nothing kept (the first run of the day: it evaluates the caseload)
  case              one of that busiest worker's open cases
  caseload, waiting the busiest worker
  unit, focus       the supervisor of the largest unit (by open cases)
  bottlenecks, score --office O   the manager of that unit's office (score: current month)
  tui               bench_tui.py's first paint for that supervisor (one process per run; the
                    figure is the first paint measured inside it, the process time is kept too)
  import baseline   python -c "import typer, rich.table" (DESIGN.md: next within 1.3x)

The sync figures use fresh stores (deleted afterwards): a full sync, the same export
again (unchanged), then a delta export (benchmarks/data/export-N.delta1/: 1% of cases
rows and 1% of events rows changed plus a few new events, manifest kind = "delta").
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    BENCH,
    DATA,
    OUT,
    TODAY,
    Measured,
    export_dir,
    fresh,
    git_revision,
    log,
    measure,
    read_manifest,
    sources_digest,
    tool,
)
from make_data import make  # noqa: E402

STORES = DATA / "stores"
MONTH = TODAY[:7]
NEW_EVENTS = 25
FIRST_NEXT = "next (busiest, first of the day)"
TARGETS = {  # DESIGN.md, "Performance targets"
    "next (busiest)": "<= 1.3x import baseline",
    "next (typical)": "<= 1.3x import baseline",
    FIRST_NEXT: "(no target: once a day, and after a sync or another user's write)",
    "unit": "< 2 s",
    "bottlenecks --office": "< 2 s",
    "score --office": "< 2 s",
    "focus": "< 2 s",
    "tui first paint": "< 1.5 s",
    "resync": "< 5% of full",
    "delta 1%": "in proportion (~1% of full)",
}


# --- the store ---------------------------------------------------------------------
def casecli(store: Path, *args: str) -> list[str]:
    return [*tool("casecli"), "--db", str(store), "--today", TODAY, *args]


def sync_info(run: Measured) -> dict[str, object]:
    try:
        result = json.loads(run.stdout)
    except json.JSONDecodeError:
        return {"exit": run.returncode, "stderr": run.stderr[-500:]}
    files = result.get("files", {})
    totals: dict[str, object] = {
        k: sum(int(f.get(k, 0)) for f in files.values())
        for k in ("rows", "inserted", "updated", "unchanged", "gone", "rejected")
    }
    totals["skipped_files"] = sum(1 for f in files.values() if f.get("skipped"))
    return {"status": result.get("status"), "exit": run.returncode, **totals}


def run_sync(store: Path, folder: Path) -> tuple[Measured, dict[str, object]]:
    run = measure(casecli(store, "--json", "sync", str(folder)))
    if run.returncode not in (0, 3):
        sys.exit(f"casecli sync {folder} failed (exit {run.returncode}):\n{run.stderr[-3000:]}")
    return run, sync_info(run)


def store_matches(store: Path, export: Path) -> bool:
    """The cached store's last sync was of this export (same folder, same as_of), applied."""
    if not store.is_file():
        return False
    manifest = read_manifest(export) or {}
    as_of = manifest.get("as_of")
    as_of = as_of.isoformat() if hasattr(as_of, "isoformat") else as_of  # type: ignore[union-attr]
    try:
        conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
        row = conn.execute(
            "SELECT folder, as_of, kind, finished_at FROM sync_log ORDER BY sync_id DESC LIMIT 1"
        ).fetchone()
        conn.close()
    except sqlite3.Error:
        return False
    return bool(
        row and row[0] == str(export.resolve()) and row[1] == as_of and row[2] == "full" and row[3]
    )


def cached_store(cases: int, export: Path) -> tuple[Path, dict[str, object] | None]:
    store = STORES / f"cmd-{cases}.db"
    if store_matches(store, export):
        log(f"{store} matches {export.name}; reusing it.")
        return store, None
    log(f"building {store} from {export} ...")
    run, info = run_sync(fresh(store), export)
    log(f"  built in {run.wall_s:.1f} s ({info})")
    return store, {"wall_s": round(run.wall_s, 3), "cpu_s": round(run.cpu_s, 3), **info}


# --- who runs what -------------------------------------------------------------------
def choose_people(store: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    loads = conn.execute(
        "SELECT worker_id, count(*) AS n FROM cases WHERE status = 'open'"
        " AND worker_id IS NOT NULL AND _gone_on IS NULL GROUP BY worker_id ORDER BY n DESC"
    ).fetchall()
    busiest, busiest_n = loads[0]
    typical, typical_n = loads[len(loads) // 2]
    case = conn.execute(
        "SELECT case_id FROM cases WHERE worker_id = ? AND status = 'open' AND _gone_on IS NULL"
        " ORDER BY case_id LIMIT 1",
        (busiest,),
    ).fetchone()[0]
    unit, unit_n, office = conn.execute(
        "SELECT s.unit_id, count(*) AS n, s.office_id FROM cases c"
        " JOIN staff s ON s.staff_id = c.worker_id"
        " WHERE c.status = 'open' AND c._gone_on IS NULL AND s.unit_id IS NOT NULL"
        " GROUP BY s.unit_id ORDER BY n DESC LIMIT 1"
    ).fetchone()
    supervisor = conn.execute(
        "SELECT staff_id FROM staff WHERE role = 'supervisor' AND unit_id = ? ORDER BY staff_id",
        (unit,),
    ).fetchone()[0]
    manager = conn.execute(
        "SELECT staff_id FROM staff WHERE role = 'manager' AND office_id = ? ORDER BY staff_id",
        (office,),
    ).fetchone()[0]
    office_open = conn.execute(
        "SELECT count(*) FROM cases c JOIN staff s ON s.staff_id = c.worker_id"
        " WHERE c.status = 'open' AND c._gone_on IS NULL AND s.office_id = ?",
        (office,),
    ).fetchone()[0]
    total = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    conn.close()
    return {
        "busiest": busiest,
        "busiest_open": busiest_n,
        "typical": typical,
        "typical_open": typical_n,
        "case": case,
        "unit": unit,
        "unit_open": unit_n,
        "supervisor": supervisor,
        "office": office,
        "office_open": office_open,
        "manager": manager,
        "store_cases": total,
    }


def forget_next(store: Path, user: str) -> None:
    """Remove the actions casecli next keeps for ``user`` beside the store (the file
    casecli.core.nextcache writes), leaving the other users' kept actions in place."""
    kept = store.with_name(store.name + "-cache") / f"next-{user.encode().hex()}-0.json"
    kept.unlink(missing_ok=True)


def commands(store: Path, who: dict[str, str]) -> dict[str, list[str]]:
    def as_(user: str, *args: str) -> list[str]:
        return casecli(store, "--as", user, *args)

    sup, mgr, office = who["supervisor"], who["manager"], who["office"]
    return {
        "import baseline": [sys.executable, "-c", "import typer, rich.table"],
        "next (busiest)": as_(who["busiest"], "next"),
        "next (typical)": as_(who["typical"], "next"),
        FIRST_NEXT: as_(who["busiest"], "next"),  # nothing kept: evaluates the caseload
        "case": as_(who["busiest"], "case", who["case"]),
        "caseload": as_(who["busiest"], "caseload"),
        "waiting": as_(who["busiest"], "waiting"),
        "unit": as_(sup, "unit"),
        "bottlenecks --office": as_(mgr, "bottlenecks", "--office", office),
        "score --office": as_(mgr, "score", "--office", office, "--period", MONTH),
        "focus": as_(sup, "focus"),
        "tui first paint": [
            sys.executable,
            str(BENCH / "bench_tui.py"),
            *("--db", str(store), "--as", sup, "--today", TODAY, "--runs", "1"),
        ],
    }


def tui_seconds(run: Measured) -> float | None:
    """bench_tui.py prints 'first paint ...: median 0.123 s, ...'."""
    for word in run.stdout.split("median ")[1:]:
        try:
            return float(word.split()[0])
        except (ValueError, IndexError):
            pass
    return None


# --- the delta export ------------------------------------------------------------------
def delta_export(export: Path, seed: int = 6) -> tuple[Path, dict[str, int]]:
    """1% of cases rows and 1% of events rows changed, plus a few new events."""
    folder = export.with_name(export.name + ".delta1")
    stamp = folder.with_name(folder.name + ".json")  # outside: sync calls extra files unknown
    if stamp.is_file() and folder.is_dir():
        return folder, json.loads(stamp.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    partial = folder.with_name(folder.name + ".partial")
    fresh_dir(partial)
    counts: dict[str, int] = {}

    with open(export / "cases.csv", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    wi, ni, pi = header.index("worker_id"), header.index("name"), header.index("program")
    workers: dict[str, set[str]] = {}
    for row in rows:
        if row[wi]:
            workers.setdefault(row[pi], set()).add(row[wi])
    picked = rng.sample(range(len(rows)), max(1, len(rows) // 100))
    changed = []
    for n, i in enumerate(sorted(picked)):
        row = list(rows[i])
        if n % 2 and row[wi]:  # half of them move to another worker of the same program
            others = [w for w in workers[row[pi]] if w != row[wi]]
            row[wi] = rng.choice(sorted(others))
        else:
            row[ni] = (row[ni] or "Case") + "-Smith"
        changed.append(row)
    write_csv(partial / "cases.csv", header, changed)
    counts["cases_changed"] = len(changed)
    counts["cases_rows"] = len(rows)
    del rows

    with open(export / "events.csv", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    si, ei = header.index("staff_id"), header.index("event_id")
    staff = sorted({r[si] for r in rows[:50_000] if r[si]})
    picked = rng.sample(range(len(rows)), max(1, len(rows) // 100))
    changed = []
    for i in sorted(picked):
        row = list(rows[i])
        row[si] = next(s for s in iter(lambda: rng.choice(staff), None) if s != row[si])
        changed.append(row)
    width = len(rows[-1][ei]) - 1
    last = max(int(r[ei][1:]) for r in rows)
    for k in range(NEW_EVENTS):
        row = list(rows[rng.randrange(len(rows))])
        row[ei] = f"E{last + 1 + k:0{width}d}"
        changed.append(row)
    write_csv(partial / "events.csv", header, changed)
    counts["events_changed"] = len(changed) - NEW_EVENTS
    counts["events_new"] = NEW_EVENTS
    counts["events_rows"] = len(rows)
    del rows

    manifest = tomllib.loads((export / "manifest.toml").read_text(encoding="utf-8"))
    lines = [
        'source = "bench_commands.py delta"',
        f"as_of = {manifest['as_of'].isoformat()[:10]}T23:30:00",
        'kind = "delta"',
        f'profile = "{manifest.get("profile", "standard")}"',
    ]
    (partial / "manifest.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    fresh_dir(folder)
    folder.rmdir()
    partial.rename(folder)
    stamp.write_text(json.dumps(counts), encoding="utf-8")
    return folder, counts


def fresh_dir(path: Path) -> None:
    subprocess.run(["rm", "-rf", str(path)], check=True)
    path.mkdir(parents=True)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


# --- summary -----------------------------------------------------------------------
def summarise(runs: list[Measured], extra: list[float] | None = None) -> dict[str, object]:
    walls = extra if extra else [m.wall_s for m in runs]
    return {
        "median_s": round(statistics.median(walls), 4),
        "min_s": round(min(walls), 4),
        "max_s": round(max(walls), 4),
        "median_cpu_s": round(statistics.median(m.cpu_s for m in runs), 4),
        "process_median_s": round(statistics.median(m.wall_s for m in runs), 4),
        "peak_rss_mb": round(max(m.max_rss_kb for m in runs) / 1024, 1),
        "runs": len(runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--runs", type=int, help="default 5 (3 at 1M cases and over)")
    parser.add_argument("--sync-runs", type=int, help="full/resync/delta rounds (default: runs)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-sync", action="store_true", help="commands only")
    parser.add_argument("--delta-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.delta_only:  # a child process, so this one's RSS does not leak into the children
        delta_export(export_dir(args.cases))
        return
    runs = args.runs or (3 if args.cases >= 1_000_000 else 5)
    sync_runs = args.sync_runs or runs
    started = time.time()
    load_before = os.getloadavg()
    digest_before = sources_digest()

    export = make(args.cases, args.seed)
    store, built = cached_store(args.cases, export)
    who = choose_people(store)
    log(f"people: {who}")
    cmds = commands(store, who)

    for name, cmd in cmds.items():  # warm the page cache and the bytecode; check it runs
        m = measure(cmd)
        if m.returncode != 0:
            log(f"  {name} failed (exit {m.returncode}): {m.stderr.strip()[-400:]}")
    times: dict[str, list[Measured]] = {name: [] for name in cmds}
    names = list(cmds)
    for i in range(runs):
        log(f"commands, run {i + 1}/{runs}")
        k = i % len(names)
        for name in names[k:] + names[:k]:  # rotate: no command always first
            if name == FIRST_NEXT:
                forget_next(store, who["busiest"])
            times[name].append(measure(cmds[name]))
    summary = {}
    for name, ms in times.items():
        extra = [tui_seconds(m) or m.wall_s for m in ms] if name == "tui first paint" else None
        summary[name] = summarise(ms, extra)
        summary[name]["failed"] = sum(1 for m in ms if m.returncode != 0)
    base = summary["import baseline"]["median_s"]
    for name in ("next (busiest)", "next (typical)", FIRST_NEXT):
        summary[name]["over_import"] = round(summary[name]["median_s"] / base, 3)  # type: ignore[operator]

    syncs: dict[str, list[Measured]] = {"full": [], "resync": [], "delta 1%": []}
    sync_infos: dict[str, list[dict[str, object]]] = {k: [] for k in syncs}
    delta_counts = None
    if not args.skip_sync:
        # built in a child: a large parent's RSS shows up in every later child's ru_maxrss
        subprocess.run(
            [sys.executable, __file__, "--cases", str(args.cases), "--delta-only"], check=True
        )
        delta, delta_counts = delta_export(export)
        scratch = STORES / f"cmd-{args.cases}-sync.db"
        for i in range(sync_runs):
            log(f"sync, run {i + 1}/{sync_runs}")
            for name, folder in (("full", export), ("resync", export), ("delta 1%", delta)):
                if name == "full":
                    fresh(scratch)
                run, info = run_sync(scratch, folder)
                syncs[name].append(run)
                sync_infos[name].append(info)
                log(f"  {name:<9} {run.wall_s:8.2f} s  {info}")
        fresh(scratch)
        for name, ms in syncs.items():
            summary[name] = summarise(ms)
        full = summary["full"]["median_s"]
        summary["resync"]["over_full"] = round(summary["resync"]["median_s"] / full, 4)  # type: ignore[operator]
        d = summary["delta 1%"]
        d["over_full"] = round(d["median_s"] / full, 4)  # type: ignore[operator]
        d["over_1pct_of_full"] = round(d["median_s"] / (full * 0.01), 2)  # type: ignore[operator]

    result = {
        "cases": args.cases,
        "store": str(store),
        "store_built": built,
        "who": who,
        "runs": runs,
        "sync_runs": 0 if args.skip_sync else sync_runs,
        "summary": summary,
        "targets": TARGETS,
        "delta": delta_counts,
        "syncs": sync_infos,
        "commands": cmds,
        "raw": {k: [m.public() for m in v] for k, v in {**times, **syncs}.items()},
        "environment": {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "elapsed_s": round(time.time() - started, 1),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "casecli_revision": git_revision(),
            "working_tree_sources_before": digest_before,
            "working_tree_sources_after": sources_digest(),
            "cpus": os.cpu_count(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        },
    }
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(started))
    path = OUT / f"commands-{args.cases}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(f"\n{args.cases:,} cases ({runs} runs; sync {result['sync_runs']} runs)")
    print(f"{'command':<22}{'median':>9}{'min':>9}{'max':>9}{'cpu':>9}{'MB':>7}  note / target")
    for name, s in summary.items():
        note = ""
        if "over_import" in s:
            note = f"{s['over_import']:.2f}x import; "
        elif "over_1pct_of_full" in s:
            note = f"{s['over_full']:.3f} of full, {s['over_1pct_of_full']:.1f}x 1% of full; "
        elif "over_full" in s:
            note = f"{s['over_full']:.3f} of full; "
        if s.get("failed"):
            note += f"FAILED {s['failed']}x; "
        note += TARGETS.get(name, "")
        print(
            f"{name:<22}{s['median_s']:>9.3f}{s['min_s']:>9.3f}{s['max_s']:>9.3f}"
            f"{s['median_cpu_s']:>9.3f}{s['peak_rss_mb']:>7.0f}  {note}"
        )
    if (
        result["environment"]["working_tree_sources_before"]
        != result["environment"]["working_tree_sources_after"]
    ):
        print("NOTE: casecli's source changed while this ran; the runs may mix versions")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
