"""Time every casecli command on one store size, plus full, unchanged and 1% delta syncs.

    python benchmarks/bench_commands.py --cases 100000 [--runs 5] [--sync-runs R]
    python benchmarks/bench_commands.py --cases 1300000 --runs 3 --sync-runs 1
    python benchmarks/bench_commands.py --cases 1300000 --office-cases 60000 --runs 3

The store is built once with ``casecli --db STORE --today 2026-11-24 sync EXPORT`` and
cached in ``benchmarks/data/stores/cmd-N.db`` (``cmd-N-office-M.db`` with
``--office-cases M``; reused while its last sync is of the same export with the same
manifest). The export comes from make_data.py (``export-N/``, or ``export-N-office-M/``
made by ``make_data.py --cases N --office-cases M``). Each command then runs as its own
process (wall, CPU and peak RSS from os.wait4), in a rotating order, after one warm-up
run each; the medians go into a table (with each row's ratio to its DESIGN.md target) and
``benchmarks/out/commands-N[-office-M]-STAMP.json``. Who runs what is chosen from the store:

  next              the worker with the most open cases, and a typical worker (median caseload),
                    as run again (their actions kept beside the store); and the busiest worker
                    with nothing kept (the first run of the day: it evaluates the caseload)
  case              one of that busiest worker's open cases
  caseload, waiting the busiest worker
  the office        the office with the most open cases (with --office-cases: O01, the
                    office of M open cases) and its manager
  the unit          the largest unit (by open cases; with --office-cases: of O01) and its
                    supervisor
  unit, focus, tui  as that supervisor (tui: bench_tui.py's first paint, one process per run;
                    the figure is the first paint measured inside it, the process time is kept)
  manager           unit (the office), bottlenecks --office O, score --office O (this month,
                    and without --period: each measure's own period), focus, focus --month
                    YYYY-MM --out DIR (a digest for every worker of the office), caseload,
                    waiting, the first next of the day (their kept next file forgotten) and
                    the TUI's office view, all as the office's manager
  import baseline   python -c "import typer, rich.table" (DESIGN.md: next within 1.3x)
  db warm           the nightly run (README: "The nightly run"), as the manager and as the
                    supervisor, each its own row: timed in the [after warm] state below

Kept evaluations (casecli.core.local.kept: ``STORE-cache/evals.db``, valid for the same --today,
dropped for a case a sync or a local write touches): every supervisor and manager row
above is reported in four states:

  [cold]         STORE-cache/evals.db* deleted just before the run: nothing kept
  [warm]         the same command again straight after its cold run: nothing changed
  [after warm]   the morning's first run after the nightly ``casecli db warm``. Per run, on
                 the cached store: evals.db* and the manager's and the supervisor's kept
                 next files deleted, ``db warm`` run as the manager, then as the supervisor
                 (the ``db warm`` rows), and STORE-cache/ as they left it saved; before each
                 command that saved folder is put back, so each command's run is the first
                 after the warm-up (nothing kept by another command's run).
  [after delta]  the first run after the 1% delta export was synced into a copy of the
                 store whose kept evaluations were warm for every one of these commands.
                 Per run: a fresh copy of the cached store and its evals.db, the delta
                 synced into it, then evals.db as the sync left it saved; before each
                 command that saved evals.db is put back, so each command's run is the
                 first since the sync (reads never write the store). Not with --skip-sync.

After the last round each command's [after warm] output, and after the last delta round
its [after delta] output, is compared with a cold run on the same store (``PROBLEM:`` when
they differ).

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
import shutil
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
MANAGER_NEXT = "next (manager, first of the day)"
FOCUS_OUT = "focus --out (manager)"
TUI = ("tui first paint (supervisor)", "tui first paint (manager)")
# of the kept evaluations (module docstring), in the table's order
STATES = ("cold", "warm", "after warm", "after delta")
# The supervisor's and the manager's rows: they evaluate a unit or an office, so each is
# reported [cold], [warm], [after warm] and [after delta].
KEPT = (
    "unit (supervisor)",
    "focus (supervisor)",
    TUI[0],
    "unit (manager)",
    "bottlenecks --office",
    "score --office (this month)",
    "score --office (default periods)",
    "focus (manager)",
    FOCUS_OUT,
    "caseload (manager)",
    "waiting (manager)",
    MANAGER_NEXT,
    TUI[1],
)
# The nightly warm-up that makes the [after warm] state, as each of the KEPT rows' users.
WARM_UP = ("db warm (manager)", "db warm (supervisor)")
UNDER_2S = "< 2 s"
TARGETS = {  # DESIGN.md, "Performance targets"; a KEPT row's is for all but [cold]
    "next (busiest)": "<= 1.3x import baseline",
    "next (typical)": "<= 1.3x import baseline",
    FIRST_NEXT: "(no target: once a day, and after a sync or another user's write)",
    **{name: UNDER_2S for name in KEPT},
    TUI[0]: "< 1.5 s",
    TUI[1]: "< 1.5 s",
    FOCUS_OUT: "< 2 s (DESIGN.md; issue 15 item 4 asks < 5 s)",
    "resync": "< 5% of full",
    "delta 1%": "in proportion (~1% of full)",
    **{name: "(nightly: no target)" for name in WARM_UP},
}
# Issue 15 sets the targets warm and after a delta; the morning after the nightly warm-up
# is held to the same (that is what the warm-up is for); cold is reported, with no target.
COLD_NOTE = "(cold: no target; the target is for warm, after warm and after a delta)"


def row(name: str, state: str) -> str:
    return f"{name} [{state}]"


def target_of(name: str) -> str:
    """The target of a table row (a kept row's is its command's, but for [cold])."""
    for state in STATES:
        if name.endswith(f" [{state}]"):
            return COLD_NOTE if state == "cold" else TARGETS.get(name[: -len(state) - 3], "")
    return TARGETS.get(name, "")


def over_target(name: str, s: dict[str, object]) -> float | None:
    """The row's figure divided by its target (1.0 = exactly on it; < 1 meets it)."""
    target = target_of(name)
    words = target.split()
    try:
        if target.startswith("< ") and words[2] == "s":  # "< 2 s"
            return float(s["median_s"]) / float(words[1])  # type: ignore[arg-type]
        if target.startswith("<= ") and "import baseline" in target:  # "<= 1.3x ..."
            return float(s["over_import"]) / float(words[1].rstrip("x"))  # type: ignore[arg-type]
        if target.startswith("< ") and target.endswith("% of full"):  # "< 5% of full"
            return float(s["over_full"]) / (float(words[1].rstrip("%")) / 100)  # type: ignore[arg-type]
        if "~1% of full" in target:
            return float(s["over_1pct_of_full"])  # type: ignore[arg-type]
    except (KeyError, IndexError, ValueError, TypeError):
        return None
    return None


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


def cache_folder(store: Path) -> Path:
    """``STORE-cache/``: the kept next files and evals.db (casecli.core.local.nextcache, kept)."""
    return store.with_name(store.name + "-cache")


def cached_store(tag: str, export: Path) -> tuple[Path, dict[str, object] | None]:
    store = STORES / f"cmd-{tag}.db"
    if store_matches(store, export):
        log(f"{store} matches {export.name}; reusing it.")
        return store, None
    log(f"building {store} from {export} ...")
    subprocess.run(["rm", "-rf", str(cache_folder(store))], check=True)  # a former store's
    run, info = run_sync(fresh(store), export)
    log(f"  built in {run.wall_s:.1f} s ({info})")
    return store, {"wall_s": round(run.wall_s, 3), "cpu_s": round(run.cpu_s, 3), **info}


def copy_store(src: Path, dest: Path) -> None:
    """``src`` (and its WAL, if any: no process has it open) and its kept evaluations
    into ``dest``; ``dest``'s kept next files are dropped."""
    fresh(dest)
    subprocess.run(["rm", "-rf", str(cache_folder(dest))], check=True)
    for suffix in ("", "-wal"):
        if Path(f"{src}{suffix}").is_file():
            shutil.copy2(f"{src}{suffix}", f"{dest}{suffix}")
    copy_kept(cache_folder(src), dest)


def copy_kept(folder: Path, store: Path) -> None:
    """Put the evals.db* files of ``folder`` in place of ``store``'s kept evaluations."""
    forget_kept(store)
    cache_folder(store).mkdir(mode=0o700, parents=True, exist_ok=True)
    for f in folder.glob("evals.db*"):
        shutil.copy2(f, cache_folder(store) / f.name)


def drop_store(store: Path) -> None:
    """Delete a scratch store, its lock file and its cache folder."""
    fresh(store)
    Path(f"{store}-lock").unlink(missing_ok=True)
    subprocess.run(["rm", "-rf", str(cache_folder(store))], check=True)


def forget_kept(store: Path) -> None:
    """Delete the kept evaluations and measure counts beside ``store`` (cold)."""
    for f in cache_folder(store).glob("evals.db*"):
        f.unlink(missing_ok=True)


def save_cache(store: Path, saved: Path) -> None:
    """Copy everything in ``store``'s cache folder (evals.db*, the kept next files) to
    ``saved``, in place of what was there."""
    subprocess.run(["rm", "-rf", str(saved)], check=True)
    shutil.copytree(cache_folder(store), saved)


def restore_cache(saved: Path, store: Path) -> None:
    """Put ``saved`` (save_cache's copy) back as ``store``'s cache folder: what any run
    since kept is dropped, not merged."""
    subprocess.run(["rm", "-rf", str(cache_folder(store))], check=True)
    shutil.copytree(saved, cache_folder(store))


# --- who runs what -------------------------------------------------------------------
OPEN = "c.status = 'open' AND c._gone_on IS NULL"


def choose_people(store: Path, office: str | None = None) -> dict[str, object]:
    """The workers, the largest unit and the office (the largest, or ``office``)."""
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
    offices = conn.execute(
        "SELECT s.office_id, count(*) AS n FROM cases c JOIN staff s ON s.staff_id = c.worker_id"
        f" WHERE {OPEN} AND s.office_id IS NOT NULL GROUP BY s.office_id ORDER BY n DESC"
    ).fetchall()
    given = office
    if office is None:
        office, office_open = offices[0]
    else:
        office_open = dict(offices).get(office, 0)
    # with an office given (--office-cases), its largest unit; else the largest of all
    unit, unit_n, unit_office = conn.execute(
        "SELECT s.unit_id, count(*) AS n, s.office_id FROM cases c"
        " JOIN staff s ON s.staff_id = c.worker_id"
        f" WHERE {OPEN} AND s.unit_id IS NOT NULL AND (?1 IS NULL OR s.office_id = ?1)"
        " GROUP BY s.unit_id ORDER BY n DESC LIMIT 1",
        (given,),
    ).fetchone()
    supervisor = conn.execute(
        "SELECT staff_id FROM staff WHERE role = 'supervisor' AND unit_id = ? ORDER BY staff_id",
        (unit,),
    ).fetchone()[0]
    manager = conn.execute(
        "SELECT staff_id FROM staff WHERE role = 'manager' AND office_id = ? ORDER BY staff_id",
        (office,),
    ).fetchone()[0]
    office_workers = conn.execute(
        "SELECT count(DISTINCT c.worker_id) FROM cases c JOIN staff s ON s.staff_id = c.worker_id"
        f" WHERE {OPEN} AND s.office_id = ?",
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
        "unit_office": unit_office,
        "supervisor": supervisor,
        "office": office,
        "office_open": office_open,
        "office_workers": office_workers,
        "offices": len(offices),
        "largest_office": offices[0][0],
        "largest_office_open": offices[0][1],
        "manager": manager,
        "store_cases": total,
    }


def forget_next(store: Path, user: str) -> None:
    """Remove the actions casecli next keeps for ``user`` beside the store (the file
    casecli.core.local.nextcache writes), leaving the other users' kept actions in place."""
    for kept in cache_folder(store).glob(f"next-{user.encode().hex()}-0-*.json"):
        kept.unlink(missing_ok=True)


def commands(store: Path, who: dict[str, object], digests: Path) -> dict[str, list[str]]:
    def as_(user: object, *args: str) -> list[str]:
        return casecli(store, "--as", str(user), *args)

    def tui(user: object) -> list[str]:
        return [
            sys.executable,
            str(BENCH / "bench_tui.py"),
            *("--db", str(store), "--as", str(user), "--today", TODAY, "--runs", "1"),
        ]

    sup, mgr, office = who["supervisor"], who["manager"], str(who["office"])
    return {
        "import baseline": [sys.executable, "-c", "import typer, rich.table"],
        "next (busiest)": as_(who["busiest"], "next"),
        "next (typical)": as_(who["typical"], "next"),
        FIRST_NEXT: as_(who["busiest"], "next"),  # nothing kept: evaluates the caseload
        "case": as_(who["busiest"], "case", str(who["case"])),
        "caseload": as_(who["busiest"], "caseload"),
        "waiting": as_(who["busiest"], "waiting"),
        "unit (supervisor)": as_(sup, "unit"),
        "focus (supervisor)": as_(sup, "focus"),
        TUI[0]: tui(sup),
        "unit (manager)": as_(mgr, "unit"),  # a manager's default unit view is the office
        "bottlenecks --office": as_(mgr, "bottlenecks", "--office", office),
        "score --office (this month)": as_(mgr, "score", "--office", office, "--period", MONTH),
        "score --office (default periods)": as_(mgr, "score", "--office", office),
        "focus (manager)": as_(mgr, "focus"),
        FOCUS_OUT: as_(mgr, "focus", "--month", MONTH, "--out", str(digests)),
        "caseload (manager)": as_(mgr, "caseload"),
        "waiting (manager)": as_(mgr, "waiting"),
        MANAGER_NEXT: as_(mgr, "next"),  # their next file forgotten: the first of the day
        TUI[1]: tui(mgr),
    }


def warm_up_commands(store: Path, who: dict[str, object]) -> dict[str, list[str]]:
    """``casecli db warm`` as the manager and as the supervisor (WARM_UP's rows), with the
    commands' --today: what is kept is that day's, and a warm-up for another day would
    leave the morning's commands nothing to read."""
    return {
        WARM_UP[0]: casecli(store, "--as", str(who["manager"]), "db", "warm"),
        WARM_UP[1]: casecli(store, "--as", str(who["supervisor"]), "db", "warm"),
    }


def forget_warmed(store: Path, who: dict[str, object]) -> None:
    """Delete all that ``db warm`` keeps for the manager and the supervisor: the kept
    evaluations and their kept next files (the other users' are left in place)."""
    forget_kept(store)
    for user in (who["manager"], who["supervisor"]):
        forget_next(store, str(user))


def timed(
    name: str,
    cmd: list[str],
    store: Path,
    who: dict[str, object],
    digests: Path,
    *,
    after_warm: bool = False,
) -> Measured:
    """Run one command as measured, after making its state: a first next of the day has
    no kept next file (but for the manager's [after warm] run: the nightly warm-up kept it,
    which is what that run measures), focus --out an empty folder."""
    if name == FIRST_NEXT:
        forget_next(store, str(who["busiest"]))
    elif name == MANAGER_NEXT and not after_warm:
        forget_next(store, str(who["manager"]))
    elif name == FOCUS_OUT:
        subprocess.run(["rm", "-rf", str(digests)], check=True)
    m = measure(cmd)
    if m.returncode != 0:
        log(f"  {name} failed (exit {m.returncode}): {m.stderr.strip()[-400:]}")
    return m


def output_of(name: str, m: Measured, digests: Path) -> str:
    """What a run showed, to compare two runs: stdout, or for focus --out the digests."""
    if name != FOCUS_OUT:
        return m.stdout
    files = sorted(digests.glob("*")) if digests.is_dir() else []
    return "".join(f"== {f.name}\n{f.read_text(encoding='utf-8')}" for f in files)


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


def after_warm(
    store: Path, tag: str, who: dict[str, object], runs: int, digests: Path
) -> tuple[dict[str, list[Measured]], list[str]]:
    """The [after warm] runs of every KEPT command and the ``db warm`` runs that make
    their state (module docstring), and the problems found comparing each output with a
    cold run."""
    cmds = commands(store, who, digests)
    warm_up = warm_up_commands(store, who)
    saved = STORES / f"cmd-{tag}-warm-cache"  # STORE-cache/ as the warm-up left it
    times: dict[str, list[Measured]] = {name: [] for name in [*WARM_UP, *KEPT]}
    shown: dict[str, str] = {}
    names = list(KEPT)
    for i in range(runs):
        log(f"after warm, run {i + 1}/{runs}: nothing kept, then db warm (manager, supervisor)")
        forget_warmed(store, who)  # the night before: nothing kept from the day's runs
        for name, cmd in warm_up.items():
            m = timed(name, cmd, store, who, digests)
            times[name].append(m)
            log(f"  {name:<34} {m.wall_s:7.2f} s  exit {m.returncode}  {m.stdout.strip()}")
        save_cache(store, saved)
        k = i % len(names)
        for name in names[k:] + names[:k]:
            restore_cache(saved, store)  # each command's is the morning's first run
            m = timed(name, cmds[name], store, who, digests, after_warm=True)
            times[name].append(m)
            shown[name] = output_of(name, m, digests)
            log(f"  {name:<34} {m.wall_s:7.2f} s  exit {m.returncode}")
    problems = []
    for name in names:  # what was shown after the warm-up = nothing kept
        if name in TUI:
            continue
        forget_warmed(store, who)
        cold = timed(name, cmds[name], store, who, digests)
        if cold.returncode != 0 or output_of(name, cold, digests) != shown[name]:
            problems.append(f"{name}: after the warm-up its output differs from a cold run's")
    subprocess.run(["rm", "-rf", str(saved)], check=True)
    return times, problems


def after_delta(
    store: Path, tag: str, who: dict[str, object], delta: Path, runs: int, digests: Path
) -> tuple[dict[str, list[Measured]], list[dict[str, object]], list[str]]:
    """The [after delta] runs of every KEPT command (module docstring), the delta syncs
    into the copies, and the problems found comparing each output with a cold run."""
    cmds = commands(store, who, digests)
    log("after delta: kept evaluations made warm for every command on the cached store")
    for name in KEPT:
        timed(name, cmds[name], store, who, digests)
    scratch = STORES / f"cmd-{tag}-delta.db"
    saved = STORES / f"cmd-{tag}-delta-evals"  # evals.db* as the delta sync left them
    copied = commands(scratch, who, digests)
    times: dict[str, list[Measured]] = {name: [] for name in KEPT}
    syncs: list[dict[str, object]] = []
    shown: dict[str, str] = {}
    names = list(KEPT)
    for i in range(runs):
        log(f"after delta, run {i + 1}/{runs}: a copy of {store.name}, the delta synced into it")
        copy_store(store, scratch)
        run, info = run_sync(scratch, delta)
        syncs.append({"wall_s": round(run.wall_s, 3), "cpu_s": round(run.cpu_s, 3), **info})
        log(f"  delta into the copy {run.wall_s:8.2f} s  {info}")
        fresh_dir(saved)
        for f in cache_folder(scratch).glob("evals.db*"):
            shutil.copy2(f, saved / f.name)
        k = i % len(names)
        for name in names[k:] + names[:k]:
            copy_kept(saved, scratch)  # each command's is the first run since the sync
            m = timed(name, copied[name], scratch, who, digests)
            times[name].append(m)
            shown[name] = output_of(name, m, digests)
            log(f"  {name:<34} {m.wall_s:7.2f} s  exit {m.returncode}")
    problems = []
    for name in names:  # the last copy: what was shown after the delta = nothing kept
        if name in TUI:
            continue
        forget_kept(scratch)
        cold = timed(name, copied[name], scratch, who, digests)
        if cold.returncode != 0 or output_of(name, cold, digests) != shown[name]:
            problems.append(f"{name}: after the delta its output differs from a cold run's")
    drop_store(scratch)
    subprocess.run(["rm", "-rf", str(saved)], check=True)
    return times, syncs, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--runs", type=int, help="default 5 (3 at 1M cases and over)")
    parser.add_argument("--sync-runs", type=int, help="full/resync/delta rounds (default: runs)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--office-cases",
        type=int,
        metavar="M",
        help="use make_data.py's export-N-office-M/ and its office O01 (M open cases)",
    )
    parser.add_argument("--skip-sync", action="store_true", help="commands only (no delta)")
    parser.add_argument("--delta-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.delta_only:  # a child process, so this one's RSS does not leak into the children
        delta_export(export_dir(args.cases, args.office_cases))
        return
    runs = args.runs or (3 if args.cases >= 1_000_000 else 5)
    sync_runs = args.sync_runs or runs
    tag = f"{args.cases}" + ("" if args.office_cases is None else f"-office-{args.office_cases}")
    started = time.time()
    load_before = os.getloadavg()
    digest_before = sources_digest()

    export = make(args.cases, args.seed, office_cases=args.office_cases)
    store, built = cached_store(tag, export)
    who = choose_people(store, None if args.office_cases is None else "O01")
    log(f"people: {who}")
    digests = DATA / f"digests-{tag}"  # focus --out's folder, emptied before each run
    cmds = commands(store, who, digests)
    problems: list[str] = []

    for name, cmd in cmds.items():  # warm the page cache and the bytecode; check it runs
        m = timed(name, cmd, store, who, digests)
        log(f"  warm-up {name:<34} {m.wall_s:7.2f} s  exit {m.returncode}")
        if m.returncode != 0:
            problems.append(f"{name} exits {m.returncode}")
        if name == FOCUS_OUT:
            who["digests_written"] = len(list(digests.glob("*.md")))
            if not who["digests_written"]:
                problems.append(f"{FOCUS_OUT} wrote no digest into {digests}")
    plain = [name for name in cmds if name not in KEPT]
    times: dict[str, list[Measured]] = {name: [] for name in plain}
    times |= {row(name, state): [] for name in KEPT for state in STATES[:2]}
    names = list(cmds)
    for i in range(runs):
        log(f"commands, run {i + 1}/{runs}")
        k = i % len(names)
        for name in names[k:] + names[:k]:  # rotate: no command always first
            if name not in KEPT:
                times[name].append(timed(name, cmds[name], store, who, digests))
                continue
            forget_kept(store)  # cold: nothing kept; then warm: the same again
            for state in STATES[:2]:
                m = timed(name, cmds[name], store, who, digests)
                times[row(name, state)].append(m)
                log(f"  {row(name, state):<41} {m.wall_s:7.2f} s  exit {m.returncode}")
    found, wrong = after_warm(store, tag, who, runs, digests)
    times |= {name: found[name] for name in WARM_UP}
    times |= {row(name, "after warm"): found[name] for name in KEPT}
    problems += wrong

    syncs: dict[str, list[Measured]] = {"full": [], "resync": [], "delta 1%": []}
    sync_infos: dict[str, list[dict[str, object]]] = {k: [] for k in syncs}
    delta_counts = None
    delta_copies: list[dict[str, object]] = []
    if not args.skip_sync:
        # built in a child: a large parent's RSS shows up in every later child's ru_maxrss
        child = [sys.executable, __file__, "--cases", str(args.cases), "--delta-only"]
        if args.office_cases is not None:
            child += ["--office-cases", str(args.office_cases)]
        subprocess.run(child, check=True)
        delta, delta_counts = delta_export(export)
        scratch = STORES / f"cmd-{tag}-sync.db"
        for i in range(sync_runs):
            log(f"sync, run {i + 1}/{sync_runs}")
            for name, folder in (("full", export), ("resync", export), ("delta 1%", delta)):
                if name == "full":
                    fresh(scratch)
                run, info = run_sync(scratch, folder)
                syncs[name].append(run)
                sync_infos[name].append(info)
                log(f"  {name:<9} {run.wall_s:8.2f} s  {info}")
        drop_store(scratch)
        found, delta_copies, wrong = after_delta(store, tag, who, delta, runs, digests)
        times |= {row(name, "after delta"): ms for name, ms in found.items()}
        problems += wrong

    summary: dict[str, dict[str, object]] = {}
    order = plain + [row(name, state) for name in KEPT for state in STATES] + list(WARM_UP)
    for name in [n for n in order if n in times] + [k for k in syncs if syncs[k]]:
        ms = times.get(name) or syncs[name]
        tui = name.startswith("tui first paint")
        extra = [tui_seconds(m) or m.wall_s for m in ms] if tui else None
        summary[name] = summarise(ms, extra)
        summary[name]["failed"] = sum(1 for m in ms if m.returncode != 0)
    base = summary["import baseline"]["median_s"]
    for name in ("next (busiest)", "next (typical)", FIRST_NEXT):
        summary[name]["over_import"] = round(summary[name]["median_s"] / base, 3)  # type: ignore[operator]
    if not args.skip_sync:
        full = summary["full"]["median_s"]
        summary["resync"]["over_full"] = round(summary["resync"]["median_s"] / full, 4)  # type: ignore[operator]
        d = summary["delta 1%"]
        d["over_full"] = round(d["median_s"] / full, 4)  # type: ignore[operator]
        d["over_1pct_of_full"] = round(d["median_s"] / (full * 0.01), 2)  # type: ignore[operator]
    for name, s in summary.items():
        s["target"] = target_of(name)
        ratio = over_target(name, s)
        if ratio is not None:
            s["over_target"] = round(ratio, 3)
    problems += [f"{name} failed {s['failed']} of {s['runs']} runs" for name, s in summary.items()
                 if s["failed"]]  # fmt: skip

    result = {
        "cases": args.cases,
        "office_cases": args.office_cases,
        "store": str(store),
        "store_built": built,
        "who": who,
        "runs": runs,
        "sync_runs": 0 if args.skip_sync else sync_runs,
        "states": {
            "cold": "STORE-cache/evals.db* deleted before the run",
            "warm": "the same command again straight after its cold run",
            "after warm": "the first run after casecli db warm as the manager and the"
            " supervisor (evals.db* and their next files deleted before it; STORE-cache/ as"
            " the warm-up left it put back before each command)",
            "after delta": "the first run after the 1% delta was synced into a copy of the store"
            " whose kept evaluations were warm (evals.db as the sync left it put back before"
            " each command)",
        },
        "summary": summary,
        "targets": TARGETS,
        "problems": problems,
        "delta": delta_counts,
        "delta_into_copies": delta_copies,
        "syncs": sync_infos,
        "commands": cmds | warm_up_commands(store, who),
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
    path = OUT / f"commands-{tag}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    office = (
        f"; office {who['office']}, {who['office_open']:,} open cases, manager {who['manager']}"
    )
    print(f"\n{args.cases:,} cases{office} ({runs} runs; sync {result['sync_runs']} runs)")
    width = max(len(name) for name in summary) + 2
    print(
        f"{'command':<{width}}{'median':>8}{'min':>8}{'max':>8}{'cpu':>8}{'MB':>6}"
        f"{'÷target':>9}  note / target"
    )
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
        note += str(s["target"])
        vs = f"{s['over_target']:.2f}" if "over_target" in s else "-"
        print(
            f"{name:<{width}}{s['median_s']:>8.3f}{s['min_s']:>8.3f}{s['max_s']:>8.3f}"
            f"{s['median_cpu_s']:>8.3f}{s['peak_rss_mb']:>6.0f}{vs:>9}  {note}"
        )
    for problem in problems:
        print(f"PROBLEM: {problem}")
    if (
        result["environment"]["working_tree_sources_before"]
        != result["environment"]["working_tree_sources_after"]
    ):
        print("NOTE: casecli's source changed while this ran; the runs may mix versions")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
