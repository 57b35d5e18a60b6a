"""Generate (or reuse) the synthetic export the benchmarks load.

    python benchmarks/make_data.py --cases 20000 [--seed 1] [--force]
    python benchmarks/make_data.py --cases 1300000 --office-cases 60000

Writes ``benchmarks/data/export-N/`` with ``casecli demo`` (anchor date fixed, so the
same N and seed give the same bytes), and records how long generation took in
``benchmarks/data/export-N.generation.json`` (kept outside the export folder, which
``casecli sync`` would otherwise report as an unknown file). An existing export whose
manifest matches N and seed is reused; generation goes to a ``.partial`` folder first,
so an interrupted run never looks finished. With ``--office-cases M`` (passed to
``casecli demo``) office O01 holds M open cases, DESIGN.md's "office of 60,000 open
cases"; such an export is ``export-N-office-M/``, beside the ordinary one.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from common import TODAY, export_dir, export_tables, log, measure, read_manifest, tool


def matches(folder: Path, cases: int, seed: int, office_cases: int | None = None) -> bool:
    manifest = read_manifest(folder)
    if manifest is None:
        return False
    as_of = str(manifest.get("as_of", ""))
    return (
        manifest.get("cases") == cases
        and manifest.get("seed") == seed
        and manifest.get("office_cases") == office_cases
        and as_of.startswith(TODAY)
        and all((folder / t.file).is_file() for t in export_tables())
    )


def generation_record(cases: int, office_cases: int | None = None) -> Path:
    folder = export_dir(cases, office_cases)
    return folder.with_name(folder.name + ".generation.json")


def make(
    cases: int,
    seed: int,
    force: bool = False,
    casecli: list[str] | None = None,
    env: dict[str, str] | None = None,
    office_cases: int | None = None,
) -> Path:
    folder = export_dir(cases, office_cases)
    office = "" if office_cases is None else f", office_cases={office_cases}"
    if not force and matches(folder, cases, seed, office_cases):
        log(
            f"{folder} exists with a matching manifest (cases={cases}, seed={seed}{office}); "
            "reusing it."
        )
        return folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    log(f"generating {cases:,} cases (seed {seed}{office}) into {partial} ...")
    cmd = [*(casecli or tool("casecli")), "--today", TODAY, "--json", "demo", str(partial)]
    cmd += ["--cases", str(cases), "--seed", str(seed)]
    if office_cases is not None:
        cmd += ["--office-cases", str(office_cases)]
    run = measure(cmd, env=env)
    if run.returncode != 0:
        sys.exit(f"casecli demo failed (exit {run.returncode}):\n{run.stderr}")
    summary = json.loads(run.stdout)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    sizes = {t.file: (folder / t.file).stat().st_size for t in export_tables()}
    rows = sum(summary["files"].values())
    record = {
        "cases": cases,
        "seed": seed,
        **({} if office_cases is None else {"office_cases": office_cases}),
        "today": TODAY,
        "folder": str(folder),
        "rows": summary["files"],
        "total_rows": rows,
        "bytes": sizes,
        "total_bytes": sum(sizes.values()),
        "wall_s": round(run.wall_s, 2),
        "demo_reported_s": summary.get("seconds"),
        "cpu_s": round(run.cpu_s, 2),
        "max_rss_mb": round(run.max_rss_kb / 1024, 1),
        "cases_per_minute": round(cases / run.wall_s * 60),
        "rows_per_second": round(rows / run.wall_s),
    }
    generation_record(cases, office_cases).write_text(
        json.dumps(record, indent=2) + "\n", encoding="utf-8"
    )
    log(
        f"wrote {rows:,} rows ({record['total_bytes'] / 1e6:,.0f} MB) in {run.wall_s:,.1f} s: "
        f"{record['cases_per_minute']:,} cases/minute, peak RSS {record['max_rss_mb']} MB "
        f"-> {folder}"
    )
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, required=True, help="how many cases")
    parser.add_argument("--seed", type=int, default=1, help="demo seed (default 1)")
    parser.add_argument("--force", action="store_true", help="regenerate even if cached")
    parser.add_argument(
        "--office-cases",
        type=int,
        metavar="M",
        help="office O01 holds M open cases (casecli demo --office-cases), e.g. 60000",
    )
    args = parser.parse_args()
    if args.cases < 1:
        parser.error("--cases must be at least 1")
    if args.office_cases is not None and args.office_cases < 1:
        parser.error("--office-cases must be at least 1")
    make(args.cases, args.seed, args.force, office_cases=args.office_cases)


if __name__ == "__main__":
    main()
