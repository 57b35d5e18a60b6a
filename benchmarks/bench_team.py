"""Time the commands on a team store (PostgreSQL) beside the same store on SQLite (issue 17
item 8).

    python benchmarks/bench_team.py --cases 1300000 --office-cases 60000 \\
        --url 'postgresql://OWNER@/teambench?host=/tmp/pgbench' [--runs 3] [--reload]

The SQLite store is bench_commands.py's (``benchmarks/data/stores/cmd-N[-office-M].db``:
run that first; the database's name must not begin with casecli_, which casecli db grant
never grants to). Its export tables are loaded into the team store at ``--url`` (a database
its owner, a login with CREATEROLE, owns; made again with --reload, or when it holds
another sync than the SQLite store): ``casecli db init``'s schema, each table streamed by
``sqlite3 -csv`` into ``COPY``, then ``ANALYZE``. Only the people timed get a login
(``<database>_<staff id>``, granted by ``casecli db grant``): a state's 13,900 roles would
be the server's, not this benchmark's.

Who runs what is bench_commands.py's choice (``choose_people``): the busiest worker and a
typical one, the largest unit's supervisor, the largest office's manager. Each command
runs as its own process, in a rotating order, after one warm-up run: on the team store as
that person's login, and on a copy of the SQLite store ``--as`` them with nothing kept
(its ``-cache`` folder removed before each run: the same work the team store does, which
keeps nothing), so the two columns compare like for like. The SQLite store's morning
figures, with its kept evaluations, are bench_commands.py's (RESULTS.md). ``--after-warm``
times the morning instead: ``casecli db warm`` as each person on both stores first (a team
store's login keeps what it reads in its own cache folder, here
``benchmarks/data/stores/team-…-cache-home``: casecli.core.local.nextcache.team_place), then
each command reading what was kept; ``--after-write`` with it, the day after the warm: before
each timed run the supervisor records a barrier on one of their unit's cases (on the same
store: a team store is written all day), so each command reads what was kept less what that
write changed (``--after-write visit``: a caseworker visit to a child in care instead,
which the visit measure counts, by the manager on a case of their office). Medians go into
a table and ``benchmarks/out/team-N[-office-M]-STAMP.json``; each command's output on the
two stores is compared (``PROBLEM:`` when they differ, but for the difference the README
describes: a login is shown no figure of a scope it cannot read).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_commands import MONTH, TODAY, choose_people  # noqa: E402
from common import DATA, OUT, Measured, git_revision, measure, tool  # noqa: E402

TABLES = ("staff", "cases", "people", "events", "referrals", "signals", "payments", "removals",
          "placements", "case_goals", "costs", "sync_log", "sync_files")  # fmt: skip


def _connect(url: str) -> Any:
    from casecli.core.store import team

    return team.connect(url)


def loaded(url: str, store: Path) -> bool:
    """Whether the team store holds the SQLite store's sync (its log's first row)."""
    import sqlite3

    src = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    want = src.execute("SELECT sync_id, started_at FROM sync_log ORDER BY sync_id").fetchall()
    src.close()
    try:
        with _connect(url) as conn:
            got = conn.execute("SELECT sync_id, started_at FROM sync_log ORDER BY sync_id")
            return [tuple(r) for r in got.fetchall()] == [tuple(r) for r in want]
    except Exception:  # noqa: BLE001  (not initialised, not there: load it)
        return False


def load(url: str, store: Path, people: list[str]) -> float:
    """Make the team store at ``url`` hold ``store``'s export tables; the seconds it took."""
    from casecli.core.store import team

    started = time.perf_counter()
    conn = _connect(url)
    name = conn.execute("SELECT current_database()").fetchone()[0]
    conn.execute("DROP SCHEMA public CASCADE")
    conn.execute("CREATE SCHEMA public")
    team.init(conn)
    with conn.transaction():
        for table in TABLES:
            cols = [r[1] for r in _pragma(store, table)]
            print(f"  loading {table}…", flush=True)
            dump = subprocess.Popen(
                ["sqlite3", "-readonly", "-csv", str(store),
                 f"SELECT {', '.join(cols)} FROM {table}"],
                stdout=subprocess.PIPE,
            )  # fmt: skip
            assert dump.stdout is not None
            with conn.cursor().copy(
                f"COPY {table} ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv)"
            ) as copy:
                while chunk := dump.stdout.read(1 << 20):
                    copy.write(chunk)
            if dump.wait() != 0:
                raise SystemExit(f"sqlite3 could not read {table} from {store}")
        conn.execute("UPDATE staff SET login = NULL")
        for staff_id in people:
            conn.execute(
                "UPDATE staff SET login = %s WHERE staff_id = %s", (login(name, staff_id), staff_id)
            )
    grants = team.grant(conn)
    print(f"  granted {len(grants.granted)} logins", flush=True)
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


def _pragma(store: Path, table: str) -> list[tuple[Any, ...]]:
    import sqlite3

    src = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return src.execute(f"PRAGMA table_info({table})").fetchall()
    finally:
        src.close()


def login(database: str, staff_id: str) -> str:
    return f"{database}_{staff_id.lower()}"


def as_login(url: str, staff_id: str) -> str:
    """``url`` with its login replaced by ``staff_id``'s."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    database = parts.path.lstrip("/")
    host = parts.netloc.split("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{login(database, staff_id)}@{host}"))


def commands(who: dict[str, Any], office: str) -> dict[str, tuple[str, list[str]]]:
    """Each timed command: (who runs it, its arguments)."""
    sup, mgr = str(who["supervisor"]), str(who["manager"])
    busiest, typical = str(who["busiest"]), str(who["typical"])
    return {
        "next (busiest)": (busiest, ["next"]),
        "next (typical)": (typical, ["next"]),
        "case": (busiest, ["case", str(who["case"])]),
        "caseload": (busiest, ["caseload"]),
        "waiting": (busiest, ["waiting"]),
        "unit (supervisor)": (sup, ["unit"]),
        "focus (supervisor)": (sup, ["focus"]),
        "unit (manager)": (mgr, ["unit"]),
        "bottlenecks --office": (mgr, ["bottlenecks", "--office", office]),
        "score --office (this month)": (mgr, ["score", "--office", office, "--period", MONTH]),
        "score --office (default periods)": (mgr, ["score", "--office", office]),
        "focus (manager)": (mgr, ["focus"]),
        "caseload (manager)": (mgr, ["caseload"]),
        "waiting (manager)": (mgr, ["waiting"]),
        "next (manager)": (mgr, ["next"]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, required=True)
    ap.add_argument("--office-cases", type=int)
    ap.add_argument("--url", required=True, help="the team store, as its owner")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--reload", action="store_true")
    ap.add_argument("--only", help="comma-separated command names to time")
    ap.add_argument(
        "--after-warm",
        action="store_true",
        help="time each command after `casecli db warm` as its person on both stores (what is"
        " kept is read), not with nothing kept",
    )
    ap.add_argument(
        "--after-write",
        nargs="?",
        const="barrier",
        choices=["barrier", "visit"],
        help="with --after-warm: before each run, the supervisor records a barrier on a case of"
        " their unit (visit: the manager a caseworker visit on one of the office), the day"
        " after the warm, when others write",
    )
    args = ap.parse_args()
    if args.after_write and not args.after_warm:
        ap.error("--after-write is a day after the warm: give --after-warm too")
    tag = f"cmd-{args.cases}" + (f"-office-{args.office_cases}" if args.office_cases else "")
    store = DATA / "stores" / f"{tag}.db"
    if not store.exists():
        raise SystemExit(f"{store} is missing: run bench_commands.py with the same sizes first.")
    office = "O01" if args.office_cases else None
    who = choose_people(store, office)
    office = str(who["office"])
    people = sorted({str(who[k]) for k in ("busiest", "typical", "supervisor", "manager")})
    load_s = None
    if args.reload or not loaded(args.url, store):
        print(f"Loading {store.name} into the team store…", flush=True)
        load_s = load(args.url, store, people)
        print(f"  loaded in {load_s:.0f} s", flush=True)
    lite = DATA / "stores" / f"team-{tag}-copy.db"  # nothing kept beside it, ever
    if not lite.exists() or lite.stat().st_size != store.stat().st_size:
        shutil.copyfile(store, lite)
    cli = tool("casecli")
    # (a team store's login keeps what it reads in its cache folder: this one, emptied
    # before each run with nothing kept, as the SQLite copy's -cache folder is)
    team_cache = DATA / "stores" / f"team-{tag}-cache-home"
    env_base = {"CASECLI_CONFIG": "/nonexistent/config.toml", "PATH": "/usr/bin:/bin",
                "XDG_CACHE_HOME": str(team_cache)}  # fmt: skip
    todo = commands(who, office)
    if args.only:
        todo = {k: v for k, v in todo.items() if k in args.only.split(",")}

    def argv(backend: str, user: str, rest: list[str]) -> list[str]:
        if backend == "sqlite":
            return [*cli, "--db", str(lite), "--as", user, "--today", TODAY, *rest]
        return [*cli, "--db", as_login(args.url, user), "--today", TODAY, *rest]

    sup = str(who["supervisor"])
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as ro:
        if args.after_write == "visit":  # (the supervisor's unit may hold no child in care)
            sup = str(who["manager"])
            written, child = ro.execute(
                "SELECT c.case_id, r.person_id FROM cases c"
                " JOIN staff s ON s.staff_id = c.worker_id JOIN removals r ON r.case_id = c.case_id"
                " WHERE s.office_id = ? AND c.status = 'open' AND r.discharged_on IS NULL"
                " ORDER BY 1, 2 LIMIT 1",
                (office,),
            ).fetchone()
        else:
            written, child = ro.execute(
                "SELECT c.case_id, NULL FROM cases c JOIN staff s ON s.staff_id = c.worker_id"
                " WHERE s.unit_id = ? AND c.status = 'open' ORDER BY 1 LIMIT 1",
                (who["unit"],),
            ).fetchone()
    write = (
        ["record", written, "caseworker_visit", "--person", child, "--location", "home"]
        if args.after_write == "visit"
        else ["wait", written, "a bench's barrier"]
    )

    def run(name: str, backend: str) -> Measured:
        user, rest = todo[name]
        if args.after_write:  # (not timed)
            wrote = measure(argv(backend, sup, write), env=env_base)
            if wrote.returncode:
                print(
                    f"PROBLEM: the write before {name} exited {wrote.returncode}: {wrote.stderr[-300:]}"
                )
        if not args.after_warm:
            shutil.rmtree(f"{lite}-cache" if backend == "sqlite" else team_cache,
                          ignore_errors=True)  # fmt: skip
        return measure(argv(backend, user, rest), env=env_base)

    warmed: dict[str, dict[str, float]] = {}
    if args.after_warm:  # the nightly run, as each person, on both stores (README)
        for backend in ("sqlite", "team"):
            shutil.rmtree(f"{lite}-cache" if backend == "sqlite" else team_cache,
                          ignore_errors=True)  # fmt: skip
            for user in sorted({u for u, _ in todo.values()}):
                m = measure(argv(backend, user, ["db", "warm"]), env=env_base)
                warmed.setdefault(backend, {})[user] = round(m.wall_s, 2)
                print(f"  db warm as {user} on {backend}: {m.wall_s:.1f} s, exit {m.returncode}"
                      f" {m.stdout.strip()[:120]}", flush=True)  # fmt: skip

    runs: dict[tuple[str, str], list[Measured]] = {}
    names = list(todo)
    for name in names:  # warm-up, and the outputs compared
        a, b = run(name, "sqlite"), run(name, "team")
        if a.returncode or b.returncode:
            print(f"PROBLEM: {name} exited {a.returncode} / {b.returncode}: {b.stderr[-300:]}")
        elif a.stdout != b.stdout and "team store" in " ".join(b.stdout.split()):  # (score, focus)
            print(f"note: {name} differs as designed: the login reads its own scope alone")
        elif a.stdout != b.stdout:
            print(f"PROBLEM: {name} printed otherwise on the team store")
    for r in range(args.runs):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            for backend in ("sqlite", "team"):
                runs.setdefault((name, backend), []).append(run(name, backend))
    rows = []
    first = "SQLite warm" if args.after_warm else "SQLite cold"
    if args.after_write:
        print(f"\n(each run after {sup}'s {args.after_write} on {written}: the day after the warm)")
    print(f"\n{'command':<34}{first:>12}{'team store':>12}{'ratio':>8}{'RSS MB':>8}")
    for name in names:
        lite_s = statistics.median(m.wall_s for m in runs[(name, "sqlite")])
        team_s = statistics.median(m.wall_s for m in runs[(name, "team")])
        rss = max(m.max_rss_kb for m in runs[(name, "team")]) / 1024
        rows.append({"command": name, "as": todo[name][0], "sqlite_s": round(lite_s, 3),
                     "team_s": round(team_s, 3), "team_rss_mb": round(rss)})  # fmt: skip
        print(f"{name:<34}{lite_s:>11.2f}s{team_s:>11.2f}s{team_s / lite_s:>8.2f}{rss:>8.0f}")
    OUT.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    kind = (
        f"-after-{args.after_write}"
        if args.after_write
        else "-after-warm"
        if args.after_warm
        else ""
    )
    out = OUT / f"team-{tag.removeprefix('cmd-')}{kind}-{stamp}.json"
    out.write_text(json.dumps({
        "cases": args.cases, "office_cases": args.office_cases, "who": who, "runs": args.runs,
        "load_s": load_s, "rows": rows, "revision": git_revision(),
        "after_warm": args.after_warm, "after_write": args.after_write, "warm_s": warmed,
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
    }, indent=2))  # fmt: skip
    print(f"\n{out}")


if __name__ == "__main__":
    main()
