"""``casecli sync`` on a team store (issue 17 item 3): the same promises as on a personal
store. A run of exports, damaged ones among them, gives the same ``--json`` (counts,
rejects at their lines and columns, warnings) and the same rows on both stores; only an
admin or the owner syncs; one sync at a time; nothing of a failed sync is kept. Every
test in test_sync.py runs on a team store too; these are what is the team store's own."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.demo.export import write_demo
from tests import pgserver
from tests.conftest import FIXTURES, TODAY

RUNNER = CliRunner(env={"CASECLI_CONFIG": "/nonexistent/c.toml", "CASECLI_USER": None})
EXPORT_TABLES = ("staff", "cases", "people", "events", "referrals", "signals", "payments",
                 "removals", "placements", "case_goals", "costs")  # fmt: skip
# What each store keeps of its syncs (not when, nor where from: each its own)
LOGGED = {
    "sync_log": "sync_id, as_of, kind, profile, status, inserted, updated, unchanged, gone,"
    " rejected, resolved, run_by",
    "sync_files": "sync_id, record_type, file, sha256, fingerprint, rows, inserted, updated,"
    " unchanged, gone, rejected, skipped",
    "sync_cases": "sync_id, case_id",
    "rejects": 'sync_id, record_type, file, line, "column", value, reason, row_key, raw,'
    " retryable, resolved_sync_id, resolution, seen_sync_id",
}


@pytest.fixture
def team(pg_server: Any) -> Iterator[str]:
    """An empty team store's address, as its owner."""
    name = pg_server.empty_team()
    yield pg_server.url(pgserver.OWNER, name)
    pg_server.drop(name)


def sync(db: str, folder: Path, *args: str) -> tuple[int, dict[str, Any]]:
    got = RUNNER.invoke(app, ["--db", db, "--json", "--today", TODAY.isoformat(), "sync",
                              str(folder), *args])  # fmt: skip
    assert "Traceback" not in got.output, got.output
    try:  # (a reject's value as a team store keeps it: PostgreSQL's text holds no NUL)
        return got.exit_code, json.loads(got.stdout.replace("\\u0000", "\\ufffd"))
    except json.JSONDecodeError:
        return got.exit_code, {"output": got.output}


def rows(db: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a sync writes, in one order, on either store."""
    if db.startswith("postgresql://"):
        from casecli.core.store import team

        conn: Any = team.open_store(db)
    else:
        conn = sqlite3.connect(db)
    try:
        out = {}
        for table in EXPORT_TABLES:
            cols = [r[0] for r in conn.execute(f"SELECT * FROM {table} LIMIT 0").description]
            out[table] = conn.execute(
                f"SELECT * FROM {table} ORDER BY {', '.join(map(str, range(1, len(cols) + 1)))}"
            ).fetchall()
        for table, cols in LOGGED.items():
            n = len(cols.split(","))
            out[table] = conn.execute(
                f"SELECT {cols} FROM {table} ORDER BY {', '.join(map(str, range(1, n + 1)))}"
            ).fetchall()
        # PostgreSQL's text holds no NUL: a team store keeps U+FFFD (team_sync)
        return {t: [tuple(_no_nul(v) for v in r) for r in rs] for t, rs in out.items()}
    finally:
        conn.close()


def _no_nul(value: Any) -> Any:
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def both(lite: str, team: str, folder: Path, *args: str) -> dict[str, Any]:
    """Sync ``folder`` into both stores; assert the same exit code, --json and rows."""
    want, got = sync(lite, folder, *args), sync(team, folder, *args)
    assert got == want, folder
    theirs, ours = rows(team), rows(lite)
    for table, mine in ours.items():
        differ = [(a, b) for a, b in zip(theirs[table], mine, strict=False) if a != b]
        assert len(theirs[table]) == len(mine) and not differ, (table, repr(differ[:2])[:600])
    return got[1]


def put(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8", newline="")


def lines(folder: Path, name: str) -> list[str]:
    return (folder / name).read_text(encoding="utf-8").splitlines(keepends=True)


def test_a_run_of_exports_damaged_ones_among_them_is_the_same_on_both_stores(
    team: str, tmp_path: Path
) -> None:
    lite = str(tmp_path / "lite.db")
    first = tmp_path / "first"
    write_demo(first, cases=300, seed=3, today=TODAY)
    cases = lines(first, "cases.csv")
    events = lines(first, "events.csv")
    header, c1, c2 = cases[0], cases[1], cases[2]
    id1, id2 = c1.split(",")[0], c2.split(",")[0]
    hostile = [
        c1.replace(id1, "Z-9999", 1).replace(",20", ",9999", 1),  # a year past the contract's
        c1.replace(id1, "\u0421" + id1[1:], 1),  # a look-alike id (Cyrillic С): its own case
        c1.replace(id1, id1 + "\u200b", 1),  # a zero-width space in an id: rejected
        c1.replace(id1, "Z-NUL", 1).replace(",open,", ",open,", 1),
        c1.replace(id1, "Z-BIG", 1),
        "Z-RAGGED,child_welfare,in_home\n",  # a ragged row in a full export
    ]
    # a NUL in a text cell (kept, as U+FFFD on a team store) and a 70 KiB one (rejected)
    name = header.split(",").index("name")
    for at, cell in ((3, "Nul\x00Name"), (4, "x" * 70_000)):
        fields = hostile[at].split(",")
        fields[name] = cell
        hostile[at] = ",".join(fields)
    put(first, "cases.csv", "".join([header, *cases[1:], *hostile]))
    # an event of a case not yet sent (retried by every later sync), one with an offset
    e = events[1].split(",")
    late = [f"E-LATE,Z-LATER,{','.join(e[2:])}", f"E-NUL,Z\x00NUL,{','.join(e[2:])}"]
    put(first, "events.csv", "".join([*events, *late]))
    one = both(lite, team, first, "--full")
    assert one["status"] == "applied"
    assert {(r["file"], r["column"]) for r in one["rejects"]} >= {
        ("cases.csv", "opened_on"), ("cases.csv", "case_id"), ("cases.csv", "name"),
        ("events.csv", "case_id"),
    }  # fmt: skip
    # the same export again: unchanged, every file skipped
    again = both(lite, team, first, "--full")
    assert again["status"] == "unchanged"
    assert all(f["skipped"] for f in again["files"].values())
    # a delta: the late case arrives (its event applies), a case changes, a key twice
    delta = tmp_path / "delta"
    delta.mkdir()
    put(delta, "manifest.toml", 'as_of = 2026-11-24T23:30:00\nkind = "delta"\n')
    moved = c2.replace(",open,", ",closed,", 1)
    nul_key = c1.replace(id1, "Z\x00NUL", 1)  # rejected: an id holding a NUL
    # one key twice, its names differing only by a NUL and a U+FFFD: both rejected (a
    # team store keeps U+FFFD for a NUL, but the rows differ as the file has them)
    dups = []
    for cell in ("A\x00B", "A\ufffdB"):
        fields = c1.replace(id1, "Z-DUP", 1).split(",")
        fields[name] = cell
        dups.append(",".join(fields))
    put(delta, "cases.csv",
        "".join([header, c1.replace(id1, "Z-LATER", 1), moved, moved, nul_key, *dups]))  # fmt: skip
    put(delta, "events.csv", "".join([events[0], events[1].replace(",", ",", 1)]))
    two = both(lite, team, delta)
    assert [r["line"] for r in two["rejects"] if "Z-DUP" in r["value"]] == [6, 7]
    assert two["resolved"] == 1
    assert two["files"]["cases.csv"]["inserted"] == 1
    # a full export that lacks a case marks it (and nothing else) gone; the NUL row is the
    # same row again, not an update (the ragged row and the zero-width id left out: a row
    # whose key cannot be read keeps a full export from marking anything gone)
    full = tmp_path / "full"
    shutil.copytree(first, full)
    put(full, "manifest.toml", 'as_of = 2026-11-25T23:00:00\nkind = "full"\n')
    kept = [
        x
        for x in lines(first, "cases.csv")
        if not x.startswith((id2 + ",", "Z-RAGGED")) and "\u200b" not in x
    ]
    put(full, "cases.csv", "".join([*kept, c1.replace(id1, "Z-LATER", 1)]))
    three = both(lite, team, full)
    assert three["files"]["cases.csv"]["gone"] == 1
    assert three["files"]["cases.csv"]["updated"] == 0
    # a dry run and a strict run change nothing, on either
    assert both(lite, team, delta, "--dry-run", "--allow-older")["status"] in (
        "would_apply",
        "unchanged",
    )
    assert both(lite, team, first, "--strict", "--allow-older")["status"] == "failed"


def test_a_nul_in_a_text_cell_is_kept_as_the_replacement_character(
    team: str, tmp_path: Path
) -> None:
    folder = tmp_path / "e"
    shutil.copytree(FIXTURES / "basic", folder)
    text = (folder / "cases.csv").read_text()
    put(folder, "cases.csv", text.replace(",Jones,", ",Jo\x00nes,"))
    code, out = sync(team, folder)
    assert code == 0 and out["rejects"] == []
    assert [r for r in rows(team)["cases"] if "Jo\ufffdnes" in r]


# Values COPY's text format must escape, or that look like its markers
ESCAPED = ["back\\slash", "\\N", "\\.", "tab\there", "line\nbreak", "cr\rhere",
           "crlf\r\nhere", "\\\\\\", "\\t not a tab", "é 😀 \u2028 ẞ", "x" * 60_000]  # fmt: skip


def test_values_copy_escapes_arrive_as_sent_first_load_and_merge(team: str, tmp_path: Path) -> None:
    """Rows go to the server by COPY's text format: a backslash, a tab, a line break, a
    carriage return, a value that reads as COPY's NULL (\\N) or end of data (\\.), a
    60,000-character cell arrive as sent, on a first load (COPY into the table) and on a
    merge (COPY into a session table, then upserted), as on a personal store."""
    import csv

    lite = str(tmp_path / "lite.db")

    def export(name: str, values: list[str]) -> Path:
        """The basic export with ``values`` as its cases' then its people's names."""
        folder = tmp_path / name
        shutil.copytree(FIXTURES / "basic", folder)
        left = iter(values)
        for file, column in (("cases.csv", "name"), ("people.csv", "name")):
            with (folder / file).open(newline="", encoding="utf-8") as fh:
                table = list(csv.reader(fh))
            at = table[0].index(column)
            for row in table[1:]:
                row[at] = next(left)
            with (folder / file).open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh, lineterminator="\r\n").writerows(table)
        assert next(left, None) is None  # (every value placed)
        return folder

    for name, values in (("first", ESCAPED), ("again", ESCAPED[::-1])):
        out = both(lite, team, export(name, values))
        assert out["status"] == "applied" and out["rejects"] == [], out
        stored = {r[7] for r in rows(team)["cases"]} | {r[3] for r in rows(team)["people"]}
        assert set(values) <= stored


def test_only_an_admin_or_the_owner_syncs_a_team_store(pg_server: Any, tmp_path: Path) -> None:
    t = pgserver.sample_team(pg_server)
    try:
        export = tmp_path / "export"
        shutil.copytree(FIXTURES / "basic", export)  # (a delta: the sample's staff stay)
        put(export, "manifest.toml", 'as_of = 2026-11-25T23:00:00\nkind = "delta"\n')
        for staff_id in ("S0003", "S0002", "S0001"):  # a worker, a supervisor, a manager
            got = RUNNER.invoke(app, ["--db", t.url_of(staff_id), "sync", str(export)])
            assert got.exit_code == 1
            assert got.output.strip() == (
                "casecli: Only an admin (or the team store's owner) may sync a team store; ask one to"
                " run casecli sync."
            )
        with t.owner() as conn:
            assert conn.execute("SELECT count(*) FROM sync_log").fetchone()[0] == 1
        got = RUNNER.invoke(app, ["--db", t.url_of("S0037"), "--json", "sync", str(export)])
        assert got.exit_code == 0, got.output
        with t.owner() as conn:
            assert conn.execute(
                "SELECT run_by FROM sync_log ORDER BY sync_id DESC LIMIT 1"
            ).fetchone() == ("S0037",)
            # the admin's own row, as the next export has it: no longer active
            cols = [d.name for d in conn.execute("SELECT * FROM staff LIMIT 0").description]
            cols = [c for c in cols if not c.startswith("_")]
            row = conn.execute(
                f"SELECT {', '.join(cols)} FROM staff WHERE staff_id = 'S0037'"
            ).fetchone()
        demoted = tmp_path / "demoted"
        demoted.mkdir()
        put(demoted, "manifest.toml", 'as_of = 2026-11-26T23:00:00\nkind = "delta"\n')
        cells = ["false" if c == "active" else "" if v is None else str(v)
                 for c, v in zip(cols, row, strict=True)]  # fmt: skip
        put(demoted, "staff.csv", ",".join(cols) + "\n" + ",".join(cells) + "\n")
        put(demoted, "cases.csv", (export / "cases.csv").read_text().replace(",Jones,", ",Jonas,"))
        # An admin's sync that makes them inactive applies whole, as on SQLite (the staff go
        # last: the policies that let them write the rest read the staff table)
        got = RUNNER.invoke(app, ["--db", t.url_of("S0037"), "--json", "sync", str(demoted)])
        assert got.exit_code == 0, got.output
        with t.owner() as conn:
            assert conn.execute("SELECT active FROM staff WHERE staff_id = 'S0037'").fetchone() == (
                0,
            )
            assert conn.execute("SELECT count(*) FROM cases WHERE name = 'Jonas'").fetchone()[0]
            # staff.csv makes a worker an admin; until db grant their login is told so
            conn.execute("UPDATE staff SET role = 'admin' WHERE staff_id = 'S0003'")
        got = RUNNER.invoke(app, ["--db", t.url_of("S0003"), "sync", str(demoted)])
        assert got.exit_code == 1
        assert got.output.strip() == (
            "casecli: staff.csv makes S0003 an admin, but their login does not hold the admin"
            " role yet; ask the team store's owner to run casecli db grant."
        )
    finally:
        pg_server.drop(t.name)


def test_a_sync_does_not_wait_for_readers_of_a_table_it_leaves_alone(
    team: str, tmp_path: Path
) -> None:
    """An empty table (no removals in a child support store) the sync writes nothing to:
    no lock on it is taken, so a reader holding it open does not hold the sync up."""
    import threading

    from casecli.core.store import team as team_store

    folder = tmp_path / "e"
    shutil.copytree(FIXTURES / "basic", folder)
    for name in ("removals.csv", "placements.csv"):
        (folder / name).unlink()
    assert sync(team, folder)[0] == 0
    reader = team_store.connect(team)
    try:
        with reader.transaction():
            reader.execute("SELECT count(*) FROM removals")  # held until the end
            put(folder, "manifest.toml", 'as_of = 2026-11-25T23:00:00\nkind = "delta"\n')
            put(folder, "cases.csv", (folder / "cases.csv").read_text().replace("Jones", "Jo"))
            done: list[int] = []
            worker = threading.Thread(target=lambda: done.append(sync(team, folder)[0]))
            worker.start()
            worker.join(timeout=60)
            assert done == [0]
    finally:
        reader.close()


def test_a_second_sync_while_one_runs_waits_then_is_told_and_applies_nothing(
    team: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from casecli.core.ingest import team_sync
    from casecli.core.store import team as team_store

    monkeypatch.setattr(team_sync, "WAIT_MS", 700)  # (10 s in use: SQLite's busy timeout)
    holder = team_store.connect(team)
    try:
        with holder.transaction():  # another sync (or a migration) holds the lock
            holder.execute(team_store.SYNC_LOCK)
            started = time.monotonic()
            got = RUNNER.invoke(app, ["--db", team, "sync", str(FIXTURES / "basic")])
            assert time.monotonic() - started >= 0.7  # it waited
        assert got.exit_code == 1
        assert got.output.strip() == (
            "casecli: Another sync is running on this team store, so nothing was applied; try again"
            " when it finishes."
        )
    finally:
        holder.close()
    assert rows(team)["cases"] == []
    assert sync(team, FIXTURES / "basic")[0] == 0  # and once it has finished, it runs


def test_no_login_but_the_owners_and_an_admins_can_hold_syncs_up(
    pg_server: Any, tmp_path: Path
) -> None:
    # One sync at a time is the sync log's lock (team.SYNC_LOCK), which only a login that
    # may write the log may take: a worker cannot take it, and a worker's session that
    # reads the log, or holds the advisory lock syncs once took, leaves an admin's sync to
    # run.
    import psycopg

    from casecli.core.store import team as team_store

    t = pgserver.sample_team(pg_server)
    try:
        export = tmp_path / "export"
        shutil.copytree(FIXTURES / "basic", export)
        put(export, "manifest.toml", 'as_of = 2026-11-25T23:00:00\nkind = "delta"\n')
        with t.staff("S0003") as worker:
            with pytest.raises(psycopg.errors.InsufficientPrivilege), worker.transaction():
                worker.execute(team_store.SYNC_LOCK)
            with worker.transaction():
                worker.execute("SELECT pg_advisory_xact_lock(%s)", (0x63617365_73796E63,))
                worker.execute("SELECT count(*) FROM sync_log").fetchone()
                got = RUNNER.invoke(app, ["--db", t.url_of("S0037"), "--json", "sync",
                                          str(export)])  # fmt: skip
                assert got.exit_code == 0, got.output
                assert json.loads(got.stdout)["status"] == "applied"
    finally:
        pg_server.drop(t.name)


def test_a_killed_syncs_scratch_folder_is_removed_by_the_next_sync(
    team: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # kill -9 in the middle of a sync leaves its scratch file (what the export holds about
    # children, the size of the export at a first load) in TMPDIR; the user's next sync
    # removes it, and leaves alone a folder a running sync holds, one made a moment ago, an
    # earlier casecli's (no lock file), a link and anything else.
    import fcntl
    import os
    import signal
    import subprocess
    import sys
    import tempfile
    import time

    from casecli.core.ingest import team_sync

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    export = tmp_path / "export"
    write_demo(export, cases=3000, seed=5, today=TODAY)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env |= {"TMPDIR": str(tmp), "CASECLI_CONFIG": "/nonexistent/c.toml"}
    child = subprocess.Popen(
        [sys.executable, "-m", "casecli.cli.main", "--db", team, "sync", str(export)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not list(tmp.glob("casecli-sync-*/part.db")) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)  # (into it)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    (killed,) = [p.parent for p in tmp.glob("casecli-sync-*/part.db")]
    assert rows(team)["cases"] == []  # nothing of it in the store

    def folder(name: str, lock: bool = True, old: bool = True) -> Path:
        made = tmp / name
        made.mkdir()
        if lock:
            (made / "lock").touch()
        if old:
            os.utime(made, (time.time() - 3600, time.time() - 3600))
        return made

    running = folder("casecli-sync-running")
    folder("casecli-sync-young", old=False)
    folder("casecli-sync-legacy", lock=False)
    (tmp / "casecli-sync-link").symlink_to(folder("elsewhere"))
    os.utime(killed, (time.time() - 3600, time.time() - 3600))
    held = os.open(running / "lock", os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    try:
        assert sync(team, FIXTURES / "basic")[0] == 0
    finally:
        os.close(held)
    left = sorted(p.name for p in tmp.iterdir())
    assert left == ["casecli-sync-legacy", "casecli-sync-link", "casecli-sync-running",
                    "casecli-sync-young", "elsewhere"]  # fmt: skip
    assert team_sync.STALE_AFTER_S == 60  # ("old": an hour here)


def test_a_large_first_load_builds_its_indexes_after_unless_a_reader_holds_the_table(
    team: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owner's first load of a table drops its secondary indexes and builds them again
    once the rows are in (here from one row on); a table someone is reading keeps them
    (the lock is not waited for past LOCK_WAIT_MS) and loads the same."""
    from casecli.core.ingest import team_sync
    from casecli.core.store import team as team_store

    monkeypatch.setattr(team_sync, "REBUILD_FROM", 1)
    monkeypatch.setattr(team_sync, "LOCK_WAIT_MS", 200)
    listed = "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2"
    owner = team_store.connect(team)
    reader = team_store.connect(team)
    try:
        before = owner.execute(listed).fetchall()
        with reader.transaction():
            reader.execute("SELECT count(*) FROM events")  # events' lock held till the end
            assert sync(team, FIXTURES / "basic")[0] == 0
        assert owner.execute(listed).fetchall() == before
        assert owner.execute("SELECT count(*) FROM events").fetchone() == (4,)
        assert owner.execute("SELECT count(*) FROM cases").fetchone() == (4,)
    finally:
        owner.close()
        reader.close()


def test_the_owner_who_syncs_reads_the_rejects_the_sync_points_to(
    team: str, tmp_path: Path
) -> None:
    """The sync's output says `casecli rejects` lists them: the owner, who runs the first
    sync and is no staff member, may (an admin too; anyone else is refused, as before)."""
    folder = tmp_path / "e"
    shutil.copytree(FIXTURES / "basic", folder)
    put(folder, "cases.csv", (folder / "cases.csv").read_text() + "C9,child_welfare\n")
    lite = str(tmp_path / "lite.db")
    assert sync(team, folder)[0] == sync(lite, folder)[0] == 3
    shown = [
        RUNNER.invoke(app, ["--db", db, "--json", "--as", "A1", "rejects"]) for db in (lite, team)
    ]
    assert [r.exit_code for r in shown] == [0, 0], shown[1].output
    listed = [json.loads(r.stdout) for r in shown]
    assert listed[1] == listed[0] and [r["line"] for r in listed[0]] == [6]
