"""Time ``casecli sync`` against sqlite-utils and a bare loader, plus re-syncs and memory.

    python benchmarks/bench_sync.py --cases 20000 --runs 3
    python benchmarks/bench_sync.py --cases 1300000 --runs 3 --sqlite-utils-runs 1

Each run, each loader writes a fresh store under benchmarks/data/stores/:

  casecli        casecli sync (the real CLI, --json) into a fresh store
  resync         the same export again into that store (must take < 5% of casecli)
  touched        the same rows with every file's bytes changed (CRLF line ends by
                 default), so the whole-file hash cannot skip them
  bare           benchmarks/bare_loader.py: csv.reader + executemany, same schema and
                 PRAGMAs, one transaction, no validation: the lower bound
  sqlite-utils   one ``sqlite-utils insert DB TABLE FILE --csv --pk ...`` per file
  startup        ``casecli sync --help``: the fixed cost of any casecli process, for
                 reading the re-sync figure (at small sizes it is nearly all start-up)

Every command is a child process: wall time, CPU time and peak RSS (os.wait4) are its
own. Medians (min, max) are printed and written as JSON to benchmarks/out/. The
machine is shared and noisy: compare the ratios within one run, not across runs.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from common import (
    BENCH,
    DATA,
    OUT,
    TODAY,
    Measured,
    export_tables,
    fresh,
    git_revision,
    log,
    measure,
    read_manifest,
    snapshot_code,
    sources_digest,
    tool,
)
from make_data import generation_record, make

STORES = DATA / "stores"
TARGETS = {  # DESIGN.md, "Performance targets"
    "sqlite_utils_over_casecli": (">=", 8.0),
    "casecli_over_bare": ("<=", 1.5),
    "resync_over_full": ("<", 0.05),
    "peak_rss_mb": ("<", 300.0),
}
BOM = b"\xef\xbb\xbf"


# --- the touched export: same rows, different bytes ------------------------------


def touched_export(source: Path, mode: str) -> Path:
    """A copy of ``source`` whose files hold the same rows in different bytes (cached)."""
    target = source.with_name(f"{source.name}.touched-{mode}")
    tables = [t for t in export_tables() if (source / t.file).is_file()]
    names = [t.file + (".gz" if mode == "gzip" else "") for t in tables]
    if read_manifest(target) == read_manifest(source) and all(
        (target / n).is_file() for n in names
    ):
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    log(f"writing the touched export ({mode}) to {target} ...")
    for table, name in zip(tables, names, strict=True):
        src, dst = source / table.file, partial / name
        if mode == "crlf":  # re-write through csv so quoted newlines inside cells stay as they are
            with (
                src.open(encoding="utf-8-sig", newline="") as fin,
                dst.open("w", encoding="utf-8", newline="") as fout,
            ):
                csv.writer(fout, lineterminator="\r\n").writerows(csv.reader(fin))
        elif mode == "gzip":
            with src.open("rb") as fin, gzip.open(dst, "wb", compresslevel=1) as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
        else:  # bom
            with src.open("rb") as fin, dst.open("wb") as fout:
                head = fin.read(len(BOM))
                fout.write(head if head == BOM else BOM + head)
                shutil.copyfileobj(fin, fout, 1 << 20)
    shutil.copy2(source / "manifest.toml", partial / "manifest.toml")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


# --- one measurement of each loader ---------------------------------------------


@dataclass
class Code:
    """How to run casecli: a frozen snapshot of the working tree, or the installed one."""

    cmd: list[str]
    env: dict[str, str] | None
    label: str


class CodeBroken(Exception):
    pass


def installed_code() -> Code:
    return Code(tool("casecli"), None, f"installed ({git_revision()}, sources {sources_digest()})")


def snapshot(wait_minutes: float) -> Code:
    """Snapshot the working tree; retry until a smoke sync passes (others are editing it)."""
    deadline = time.monotonic() + wait_minutes * 60
    while True:
        path, digest = snapshot_code(DATA)
        env = {**os.environ, "PYTHONPATH": str(path), "CASECLI_DEBUG": "1"}
        code = Code([sys.executable, "-m", "casecli.cli.main"], env, f"snapshot {digest} ({path})")
        try:
            smoke(code)
            return code
        except CodeBroken as exc:
            if time.monotonic() > deadline:
                sys.exit(f"casecli does not work at {digest}, giving up:\n{exc}")
            log(f"casecli at {digest} fails a smoke sync; retrying in 60 s:\n{exc}")
            shutil.rmtree(path, ignore_errors=True)
            time.sleep(60)


def saved_snapshot(path: Path) -> Code:
    if not (path / "casecli" / "cli" / "main.py").is_file():
        sys.exit(f"{path} is not a casecli snapshot (a benchmarks/data/code-DIGEST folder).")
    env = {**os.environ, "PYTHONPATH": str(path.resolve()), "CASECLI_DEBUG": "1"}
    code = Code([sys.executable, "-m", "casecli.cli.main"], env, f"snapshot {path.resolve()}")
    try:
        smoke(code)
    except CodeBroken as exc:
        sys.exit(f"casecli in {path} fails a smoke sync:\n{exc}")
    return code


def smoke(code: Code) -> None:
    """A 300-case demo, synced twice: the code under test must work before it is timed."""
    folder = DATA / "smoke-export"
    shutil.rmtree(folder, ignore_errors=True)
    demo = [*code.cmd, "--today", TODAY, "--json", "demo", str(folder), "--cases", "300"]
    run = measure(demo, env=code.env)
    if run.returncode != 0:
        raise CodeBroken(run.stderr[-3000:])
    store = fresh(STORES / "smoke.db")
    first, second = casecli_sync(code, store, folder), casecli_sync(code, store, folder)
    fresh(store)
    if first[1]["status"] != "applied" or second[1]["status"] != "unchanged":
        raise CodeBroken(f"unexpected sync results: {first[1]}, {second[1]}")


def casecli_sync(code: Code, store: Path, folder: Path) -> tuple[Measured, dict[str, object]]:
    cmd = [*code.cmd, "--db", str(store), "--today", TODAY, "sync", str(folder), "--json"]
    run = measure(cmd, env=code.env)
    if run.returncode not in (0, 3):
        raise CodeBroken(f"casecli sync failed (exit {run.returncode}):\n{run.stderr[-3000:]}")
    result = json.loads(run.stdout)
    files = result.get("files", {})
    totals = {
        k: sum(int(f.get(k, 0)) for f in files.values())
        for k in ("rows", "inserted", "updated", "unchanged", "gone", "rejected")
    }
    totals["skipped_files"] = sum(1 for f in files.values() if f.get("skipped"))
    totals["files"] = len(files)
    return run, {"status": result.get("status"), "exit": run.returncode, **totals}


def bare_load(store: Path, folder: Path) -> Measured:
    run = measure([sys.executable, str(BENCH / "bare_loader.py"), str(folder), str(store)])
    if run.returncode != 0:
        sys.exit(f"bare_loader failed (exit {run.returncode}):\n{run.stderr}")
    return run


def sqlite_utils_load(store: Path, folder: Path, files: list[str]) -> Measured:
    """One process per file, as an admin would do it; times summed, peak RSS the max."""
    total = Measured(0.0, 0.0, 0, 0)
    by_file = {t.file: t for t in export_tables()}
    for name in files:
        table = by_file[name]
        pks = [arg for col in table.pk for arg in ("--pk", col)]
        cmd = [*tool("sqlite-utils"), "insert", str(store), table.name, str(folder / name)]
        run = measure([*cmd, "--csv", *pks])
        if run.returncode != 0:
            sys.exit(f"sqlite-utils insert {name} failed (exit {run.returncode}):\n{run.stderr}")
        total.wall_s += run.wall_s
        total.cpu_s += run.cpu_s
        total.max_rss_kb = max(total.max_rss_kb, run.max_rss_kb)
    return total


def table_counts(store: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {
            t.file: conn.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]
            for t in export_tables()
            if t.name in present
        }
    finally:
        conn.close()


def store_bytes(store: Path) -> int:
    return sum(p.stat().st_size for p in store.parent.glob(store.name + "*") if p.is_file())


# --- summary ----------------------------------------------------------------------


def summarise(runs: list[Measured]) -> dict[str, object]:
    walls = [r.wall_s for r in runs]
    return {
        "runs": len(runs),
        "median_s": round(statistics.median(walls), 3),
        "min_s": round(min(walls), 3),
        "max_s": round(max(walls), 3),
        "median_cpu_s": round(statistics.median(r.cpu_s for r in runs), 3),
        "peak_rss_mb": round(max(r.max_rss_kb for r in runs) / 1024, 1),
        "all_s": [round(w, 3) for w in walls],
    }


def verdict(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    op, target = TARGETS[name]
    ok = {
        ">=": value >= target,
        "<=": value <= target,
        "<": value < target,
    }[op]
    return "PASS" if ok else "FAIL"


def ratio(a: dict[str, object] | None, b: dict[str, object] | None, key: str) -> float | None:
    if not a or not b or not b[key]:
        return None
    return round(float(a[key]) / float(b[key]), 4)  # type: ignore[arg-type]


def tool_version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "unknown"


def print_table(summary: dict[str, dict[str, object]], rows: int) -> None:
    head = f"{'step':<14}{'median s':>10}{'min s':>9}{'max s':>9}{'cpu s':>9}"
    print(f"\n{head}{'rows/s':>11}{'peak RSS MB':>13}{'runs':>6}")
    for step, s in summary.items():
        rate = f"{rows / s['median_s']:>11,.0f}" if s["median_s"] else f"{'':>11}"  # type: ignore[operator]
        print(
            f"{step:<14}{s['median_s']:>10.2f}{s['min_s']:>9.2f}{s['max_s']:>9.2f}"
            f"{s['median_cpu_s']:>9.2f}{rate}{s['peak_rss_mb']:>13.1f}{s['runs']:>6}"
        )


# --- main -------------------------------------------------------------------------


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--cases", type=int, required=True, help="export size (benchmarks/data/export-N)"
    )
    p.add_argument("--seed", type=int, default=1, help="demo seed, if the export must be made")
    p.add_argument("--runs", type=int, default=3, help="runs of casecli and bare (default 3)")
    p.add_argument("--sqlite-utils-runs", type=int, help="runs of sqlite-utils (default: --runs)")
    p.add_argument("--skip-sqlite-utils", action="store_true", help="do not time sqlite-utils")
    p.add_argument(
        "--sqlite-utils-files",
        help="comma-separated subset of files for sqlite-utils (its time is then "
        "extrapolated by bytes and marked so; not a headline figure)",
    )
    p.add_argument(
        "--touch",
        choices=("crlf", "gzip", "bom"),
        default="crlf",
        help="how the touched re-sync changes the bytes (default crlf)",
    )
    p.add_argument(
        "--code",
        default="snapshot",
        metavar="snapshot|installed|DIR",
        help="time a frozen copy of the working tree (default; immune to edits made while "
        "the benchmark runs), the installed casecli as it is at each run, or an earlier "
        "snapshot (a benchmarks/data/code-DIGEST folder), to compare sizes on the same code",
    )
    p.add_argument(
        "--wait-minutes",
        type=float,
        default=15,
        help="with --code snapshot: how long to keep retrying while the working tree "
        "fails a smoke sync (default 15)",
    )
    p.add_argument("--keep-stores", action="store_true", help="keep the stores afterwards")
    args = p.parse_args()
    su_runs = 0 if args.skip_sqlite_utils else min(args.sqlite_utils_runs or args.runs, args.runs)
    if args.runs < 1:
        p.error("--runs must be at least 1")

    if args.code == "installed":
        code = installed_code()
    elif args.code == "snapshot":
        code = snapshot(args.wait_minutes)
    else:
        code = saved_snapshot(Path(args.code))
    log(f"timing casecli: {code.label}")
    digest_before = sources_digest()
    load_before = os.getloadavg()
    export = make(args.cases, args.seed, casecli=code.cmd, env=code.env)
    touched = touched_export(export, args.touch)
    tables = [t for t in export_tables() if (export / t.file).is_file()]
    all_files = [t.file for t in tables]
    su_files = all_files
    if args.sqlite_utils_files:
        su_files = [f.strip() for f in args.sqlite_utils_files.split(",") if f.strip()]
        unknown = sorted(set(su_files) - set(all_files))
        if unknown:
            p.error(f"not in the export: {', '.join(unknown)}")
    sizes = {f: (export / f).stat().st_size for f in all_files}
    su_fraction = sum(sizes[f] for f in su_files) / sum(sizes.values())
    record_path = generation_record(args.cases)
    generation = json.loads(record_path.read_text()) if record_path.is_file() else None

    stores = {k: STORES / f"{k}-{args.cases}.db" for k in ("casecli", "bare", "sqlite-utils")}
    times: dict[str, list[Measured]] = {
        k: [] for k in ("casecli", "resync", "touched", "startup", "bare", "sqlite-utils")
    }
    syncs: dict[str, list[dict[str, object]]] = {"casecli": [], "resync": [], "touched": []}
    checks: dict[str, object] = {}

    def run_casecli(i: int) -> None:
        run = measure([*code.cmd, "sync", "--help"], env=code.env)
        times["startup"].append(run)
        log(f"  start-up       {run.wall_s:8.2f} s  {run.max_rss_kb / 1024:6.1f} MB  (sync --help)")
        store = fresh(stores["casecli"])
        run, info = casecli_sync(code, store, export)
        times["casecli"].append(run)
        syncs["casecli"].append(info)
        log(f"  casecli sync   {run.wall_s:8.2f} s  {run.max_rss_kb / 1024:6.1f} MB  {info}")
        run, info = casecli_sync(code, store, export)
        times["resync"].append(run)
        syncs["resync"].append(info)
        log(f"  re-sync        {run.wall_s:8.2f} s  {run.max_rss_kb / 1024:6.1f} MB  {info}")
        run, info = casecli_sync(code, store, touched)
        times["touched"].append(run)
        syncs["touched"].append(info)
        log(
            f"  touched ({args.touch}) {run.wall_s:6.2f} s  {run.max_rss_kb / 1024:6.1f} MB  {info}"
        )
        if i == 0:
            checks["casecli"] = {"rows": table_counts(store), "store_bytes": store_bytes(store)}

    def run_bare(i: int) -> None:
        store = fresh(stores["bare"])
        run = bare_load(store, export)
        times["bare"].append(run)
        log(f"  bare loader    {run.wall_s:8.2f} s  {run.max_rss_kb / 1024:6.1f} MB")
        if i == 0:
            checks["bare"] = {"rows": table_counts(store), "store_bytes": store_bytes(store)}

    def run_sqlite_utils(i: int) -> None:
        if i >= su_runs:
            return
        store = fresh(stores["sqlite-utils"])
        log(f"  sqlite-utils on {len(su_files)} files ...")
        run = sqlite_utils_load(store, export, su_files)
        times["sqlite-utils"].append(run)
        log(f"  sqlite-utils   {run.wall_s:8.2f} s  {run.max_rss_kb / 1024:6.1f} MB")
        if i == 0:
            checks["sqlite-utils"] = {
                "rows": table_counts(store),
                "store_bytes": store_bytes(store),
            }

    steps = [run_casecli, run_bare, run_sqlite_utils]
    started = time.time()
    try:
        for i in range(args.runs):
            log(f"run {i + 1}/{args.runs} ({args.cases:,} cases)")
            for step in steps[i % 3 :] + steps[: i % 3]:  # rotate: no loader always first
                step(i)
    except CodeBroken as exc:
        sys.exit(str(exc))
    elapsed = time.time() - started
    if not args.keep_stores:
        for store in stores.values():
            fresh(store)

    summary = {k: summarise(v) for k, v in times.items() if v}
    expected_rows = generation["total_rows"] if generation else None
    rows = int(expected_rows or sum(checks["casecli"]["rows"].values()))  # type: ignore[index]
    su = summary.get("sqlite-utils")
    if su and su_fraction < 1:
        su = dict(su)
        for k in ("median_s", "min_s", "max_s", "median_cpu_s"):
            su[k] = round(su[k] / su_fraction, 3)  # type: ignore[operator]
        summary["sqlite-utils*"] = su  # extrapolated to every file by bytes
    peak = max(summary[k]["peak_rss_mb"] for k in ("casecli", "resync", "touched"))
    ratios: dict[str, object] = {
        "sqlite_utils_over_casecli": ratio(su, summary["casecli"], "median_s"),
        "casecli_over_bare": ratio(summary["casecli"], summary["bare"], "median_s"),
        "resync_over_full": ratio(summary["resync"], summary["casecli"], "median_s"),
        "touched_over_full": ratio(summary["touched"], summary["casecli"], "median_s"),
        "startup_over_full": ratio(summary["startup"], summary["casecli"], "median_s"),
        "peak_rss_mb": peak,
    }
    cpu_ratios = {
        "sqlite_utils_over_casecli": ratio(su, summary["casecli"], "median_cpu_s"),
        "casecli_over_bare": ratio(summary["casecli"], summary["bare"], "median_cpu_s"),
        "resync_over_full": ratio(summary["resync"], summary["casecli"], "median_cpu_s"),
        "touched_over_full": ratio(summary["touched"], summary["casecli"], "median_cpu_s"),
        "startup_over_full": ratio(summary["startup"], summary["casecli"], "median_cpu_s"),
    }
    verdicts = {k: verdict(k, ratios[k]) for k in TARGETS}  # type: ignore[arg-type]

    problems = []
    if expected_rows is not None:
        for name, check in checks.items():
            got = sum(check["rows"].values())  # type: ignore[index]
            want = expected_rows if name != "sqlite-utils" or su_fraction == 1 else None
            if want is not None and got != want:
                problems.append(f"{name} store holds {got:,} export rows, the export has {want:,}")
    for info in syncs["resync"]:
        if info["status"] != "unchanged" or info["skipped_files"] != info["files"]:
            problems.append(f"the unchanged re-sync was not skipped whole: {info}")
    for info in syncs["touched"]:
        if info["inserted"] or info["updated"] or info["gone"] or info["rejected"]:
            problems.append(f"the touched re-sync changed rows: {info}")
    digest_after = sources_digest()
    if args.code == "installed" and digest_after != digest_before:
        problems.append(
            "casecli's source changed while the benchmark ran "
            f"({digest_before} -> {digest_after}); the runs may mix versions"
        )

    result = {
        "cases": args.cases,
        "export": str(export),
        "touched_export": str(touched),
        "touch": args.touch,
        "export_rows": rows,
        "export_bytes": sum(sizes.values()),
        "generation": generation,
        "runs": args.runs,
        "sqlite_utils_runs": su_runs,
        "sqlite_utils_files": su_files,
        "sqlite_utils_extrapolated": su_fraction < 1,
        "summary": summary,
        "ratios_wall": ratios,
        "ratios_cpu": cpu_ratios,
        "targets": {k: f"{op} {v}" for k, (op, v) in TARGETS.items()},
        "verdicts": verdicts,
        "syncs": syncs,
        "stores": checks,
        "problems": problems,
        "raw": {k: [m.public() for m in v] for k, v in times.items()},
        "environment": {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "elapsed_s": round(elapsed, 1),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "sqlite_utils": tool_version([*tool("sqlite-utils"), "--version"]),
            "casecli_code": code.label,
            "casecli_revision": git_revision(),
            "working_tree_sources_before": digest_before,
            "working_tree_sources_after": digest_after,
            "cpus": os.cpu_count(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        },
    }
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(started))
    path = OUT / f"sync-{args.cases}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    shutil.copyfile(path, OUT / f"sync-{args.cases}-latest.json")

    print(f"\n{args.cases:,} cases, {rows:,} rows, {sum(sizes.values()) / 1e6:,.0f} MB of CSV")
    print_table(summary, rows)
    if su and su_fraction < 1:
        print(f"* sqlite-utils timed on {', '.join(su_files)} only, extrapolated by bytes")
    print(f"\n{'ratio':<28}{'wall':>9}{'cpu':>9}  target")
    for k, v in ratios.items():
        target = f"{TARGETS[k][0]} {TARGETS[k][1]}  {verdicts[k]}" if k in TARGETS else ""
        cpu = cpu_ratios.get(k)
        shown_v = "n/a" if v is None else f"{v:.3f}"
        shown_c = "" if cpu is None else f"{cpu:.3f}"
        print(f"{k:<28}{shown_v:>9}{shown_c:>9}  {target}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
