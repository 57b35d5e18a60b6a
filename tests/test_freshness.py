"""Every view says how fresh its data is when the newest export is more than a day older
than --today (issue 11 item 22): "Data as of 2026-11-23 (9 days ago)." in next, case,
caseload, waiting, unit, bottlenecks, score and focus, a --json object's data_as_of and
data_age_days, and the TUI's header. The rule is casecli.core.store.freshness.

The stores: tests/test_next_cli.py's (the basic fixture, as of 2026-11-23T23:00, then a
delta with no manifest) and tests/test_score_cli.py's (the measures fixture, as of
2026-11-24T06:00).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from casecli.core.local import nextcache
from casecli.core.store import freshness, store
from tests.conftest import FIXTURES
from tests.test_next_cli import cli, db  # noqa: F401  (the fixture)
from tests.test_nextcache import FAKE, tamper


@pytest.fixture(scope="module")
def backend() -> None:
    """SQLite alone: these tests reach into a personal store's file and the next lists
    kept beside it."""
    return None


TODAY = date(2026, 12, 9)


# The rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "note"),
    [
        (None, None),
        (date(2026, 12, 9), None),  # today's
        (date(2026, 12, 8), None),  # last night's: what a morning works from
        (date(2026, 12, 7), "data as of 2026-12-07 (2 days ago)"),
        (date(2026, 12, 1), "data as of 2026-12-01 (8 days ago)"),
        (date(2026, 12, 12), None),  # newer than --today (a report as of a past day)
    ],
)
def test_the_rule(as_of: date | None, note: str | None) -> None:
    assert freshness.note(as_of, TODAY) == note
    assert freshness.sentence(as_of, TODAY) == (f"D{note[1:]}." if note else None)
    age = None if as_of is None else (TODAY - as_of).days
    assert freshness.fields(as_of, TODAY) == {
        "data_as_of": as_of.isoformat() if as_of else None,
        "data_age_days": age,
    }


def test_the_newest_export_is_the_latest_syncs_as_of_or_when_it_finished(tmp_path: Path) -> None:
    conn = store.connect(tmp_path / "s.db", create=True)
    assert freshness.latest_export(conn) == (None, None)

    def log(as_of: str | None, finished: str, status: str = "applied") -> None:
        conn.execute(
            "INSERT INTO sync_log (started_at, finished_at, folder, source, as_of, kind,"
            " profile, status) VALUES (?, ?, 'x', 'state', ?, 'delta', 'standard', ?)",
            (finished, finished, as_of, status),
        )

    log("2026-11-23T23:00:00", "2026-11-24T06:00:00")
    assert freshness.latest_export(conn) == ("state", date(2026, 11, 23))
    log(None, "2026-12-02T06:00:00")  # no manifest: when it finished
    assert freshness.latest_export(conn) == ("state", date(2026, 12, 2))
    log("2026-12-03T23:00:00", "2026-12-04T06:00:00", "unchanged")  # it matched: still news
    assert freshness.latest_export(conn) == ("state", date(2026, 12, 3))
    log("not a date", "2026-12-05T06:00:00")  # a manifest's as_of is not checked
    assert freshness.latest_export(conn) == ("state", date(2026, 12, 5))
    conn.close()


# The commands --------------------------------------------------------------------------


def run(db: Path, user: str, today: str, *args: str) -> str:  # noqa: F811
    result = cli_on(db, user, today, *args)
    assert result.exit_code == 0, result.stderr
    return str(result.stdout)


def cli_on(db: Path, user: str, today: str, *args: str):  # type: ignore[no-untyped-def]  # noqa: F811
    from typer.testing import CliRunner

    from casecli.cli.main import app

    base = ["--db", str(db), "--today", today, "--as", user]
    return CliRunner().invoke(
        app, [*base, *args], env={"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "80"}
    )


@pytest.fixture
def old(tmp_path: Path) -> Path:
    """The basic fixture alone: its export is as of 2026-11-23 (23:00)."""
    path = tmp_path / "old.db"
    result = cli(path, "W1", "sync", str(FIXTURES / "basic"))
    assert result.exit_code == 0, result.stderr
    return path


STALE = "Data as of 2026-11-23 (9 days ago)."


def test_next_says_first_how_old_its_data_is_and_keeps_its_cache(old: Path) -> None:
    out = run(old, "W1", "2026-12-02", "next", "-n", "1")
    lines = out.splitlines()
    assert lines[0] == STALE
    assert lines[1].startswith(" # case")
    # the kept actions are used (and the line still shown) on the next run of the day
    tamper(old)
    again = run(old, "W1", "2026-12-02", "next", "-n", "1").splitlines()
    assert again[0] == STALE and FAKE in again[2]
    # a day later the stamp differs: worked out again, and one more day old
    later = run(old, "W1", "2026-12-03", "next", "-n", "1").splitlines()
    assert later[0] == "Data as of 2026-11-23 (10 days ago)." and FAKE not in "".join(later)
    # --json is a list: unchanged, nothing else on stdout (the 2nd's list, tampered with
    # above, is still kept beside the 3rd's: worked out again without it)
    shutil.rmtree(nextcache.folder(old))
    data = json.loads(run(old, "W1", "2026-12-02", "next", "--json"))
    # (the unseen child first: a case plan 306 days late is stuck paperwork, issue 12)
    assert isinstance(data, list) and data[0]["action"] == (
        "See the child face to face (Ana) — 9 days overdue"
    )
    plan = next(a for a in data if a["step"] == "case_plan")
    assert plan["action"] == "Write the case plan — stuck, 306 days overdue" and plan["stuck"]


def test_next_says_nothing_of_yesterdays_export(old: Path) -> None:
    out = run(old, "W1", "2026-11-24", "next", "-n", "1")
    assert not out.startswith("Data as of")
    assert "Data as of" not in run(old, "W1", "2026-11-24", "case", "004")


def test_the_case_card_says_it_under_the_facts_and_in_json(old: Path) -> None:
    lines = run(old, "W1", "2026-12-02", "case", "004").splitlines()
    assert lines[0].startswith("Case 004 · investigation")
    assert lines[2] == "Worker Avery Cole (W1), Unit One"  # the facts are two lines (issue 14)
    assert lines[3] == STALE
    data = json.loads(run(old, "W1", "2026-12-02", "case", "004", "--json"))
    assert (data["data_as_of"], data["data_age_days"]) == ("2026-11-23", 9)
    assert data["case_id"] == "004" and data["situation"]  # the old fields are still there
    fresh = json.loads(run(old, "W1", "2026-11-24", "case", "004", "--json"))
    assert (fresh["data_as_of"], fresh["data_age_days"]) == ("2026-11-23", 1)


def test_caseload_and_waiting_say_it_first(old: Path) -> None:
    assert run(old, "W1", "2026-12-02", "caseload").splitlines()[0] == STALE
    assert run(old, "W1", "2026-12-02", "waiting").splitlines()[0] == STALE


def test_unit_bottlenecks_score_and_focus_say_it_under_their_heading(old: Path) -> None:
    unit = run(old, "S1", "2026-12-02", "unit").splitlines()
    assert unit[0] == "Unit One (U1) · supervisor Dana Reyes · as of 2026-12-02"
    assert unit[1] == STALE
    office = run(old, "M1", "2026-12-02", "unit").splitlines()
    assert office[0].endswith("(O1) · as of 2026-12-02") and office[1] == STALE
    waits = run(old, "S1", "2026-12-02", "bottlenecks").splitlines()
    assert waits[0] == "What Unit One (U1) waits on · as of 2026-12-02" and waits[1] == STALE
    score = run(old, "W1", "2026-12-02", "score").splitlines()
    assert score[0].startswith("You W1 ") and score[1] == STALE
    focus = run(old, "W1", "2026-12-02", "focus").splitlines()
    # W1's measures are for two periods (FFY2027 and 2026-12, issue 13 item 14): the
    # heading says the day, each measure its period
    assert focus[0] == "Focus · worker W1 · as of 2026-12-02" and focus[1] == STALE
    for user in ("S1", "M1"):
        data = json.loads(run(old, user, "2026-12-02", "unit", "--json"))
        assert (data["as_of"], data["data_as_of"], data["data_age_days"]) == (
            "2026-12-02", "2026-11-23", 9,
        )  # fmt: skip
    data = json.loads(run(old, "W1", "2026-12-02", "score", "--json"))
    assert (data["data_as_of"], data["data_age_days"]) == ("2026-11-23", 9)
    assert data["period"]["as_of"] == "2026-12-02"  # the old field, unchanged
    data = json.loads(run(old, "W1", "2026-12-02", "focus", "--json"))
    assert (data["data_as_of"], data["data_age_days"]) == ("2026-11-23", 9)


def test_the_digest_says_it_too(old: Path, tmp_path: Path) -> None:
    out = tmp_path / "d"
    run(old, "W1", "2026-12-02", "focus", "--month", "2026-12", "--out", str(out))
    text = (out / "W1-2026-12.md").read_text()
    assert "· as of 2026-12-02 · **data as of 2026-11-23 (9 days ago)**\n" in text


def test_a_sync_without_a_manifest_counts_from_when_it_finished(db: Path) -> None:  # noqa: F811
    """The next_cli store ends with a delta with no manifest, synced just now: its data is
    as of today's real date, newer than --today 2026-11-24."""
    conn = sqlite3.connect(db)
    finished = conn.execute("SELECT max(finished_at) FROM sync_log").fetchone()[0]
    conn.close()
    data = json.loads(run(db, "W1", "2026-11-24", "case", "004", "--json"))
    assert data["data_as_of"] == finished[:10]
    assert "Data as of" not in run(db, "W1", "2026-11-24", "next")


def test_the_sample_store_says_nothing() -> None:
    sample = Path(__file__).resolve().parents[1] / "sample.db"
    from typer.testing import CliRunner

    from casecli.cli.main import app

    env = {"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "80"}
    for args in (("--as", "S0003", "case", "C0000185"), ("--as", "S0002", "unit"),
                 ("--as", "S0001", "score")):  # fmt: skip
        result = CliRunner().invoke(app, ["--db", str(sample), *args], env=env)
        assert result.exit_code == 0, result.stderr
        assert "Data as of" not in result.stdout
    result = CliRunner().invoke(app, ["--db", str(sample), "--as", "S0003", "--json", "case",
                                      "C0000185"], env=env)  # fmt: skip
    data = json.loads(result.stdout)
    assert (data["data_as_of"], data["data_age_days"]) == ("2026-11-24", 0)


# The TUI -----------------------------------------------------------------------------


def test_the_tui_header_says_it_and_drops_it_after_a_sync(tmp_path: Path) -> None:
    import asyncio

    from tests.tui.helpers import copy_sample, press, screen_text, settle
    from tui.app import make_app

    store_path = copy_sample(tmp_path)
    app = make_app(store_path, "S0002", date(2026, 12, 9), watch=False)
    note = "data as of 2026-11-24 (15 days ago)"

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            head = [line.rstrip() for line in screen_text(app).splitlines()[:2]]
            assert head == [
                " Child Welfare Unit 1 (U001) · supervisor Isabella Murphy · as of 2026-12-09 · "
                "data as of",
                " 2026-11-24 (15 days ago)",
            ]
            await press(app, pilot, "enter")  # a worker
            assert note in screen_text(app).splitlines()[0]
            await press(app, pilot, "enter")  # a case
            # under the facts: the case's, then its worker's (issue 14 item 10)
            assert "Data as of 2026-11-24 (15 days ago)." in screen_text(app).splitlines()[3]
            conn = sqlite3.connect(store_path)  # a sync of last night's export lands
            conn.execute(
                "INSERT INTO sync_log (started_at, finished_at, folder, source, as_of, kind,"
                " profile, status) VALUES ('2026-12-09T06:00', '2026-12-09T06:01', 'x',"
                " 'state', '2026-12-08T23:00:00', 'delta', 'standard', 'unchanged')"
            )
            conn.commit()
            conn.close()
            app.changed()
            await settle(app, pilot)
            assert "Data as of" not in screen_text(app)
            await press(app, pilot, "escape", "escape")
            await settle(app, pilot)
            assert "data as of" not in screen_text(app)

    asyncio.run(main())


def test_the_tui_worker_header() -> None:
    import asyncio

    from tests.tui.helpers import SAMPLE, screen_text, settle
    from tui.app import make_app

    app = make_app(SAMPLE, "S0003", date(2026, 12, 9), watch=False)

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            assert screen_text(app).splitlines()[0].rstrip() == (
                " Your next actions · Enter opens the case · data as of 2026-11-24 (15 days ago)"
            )

    asyncio.run(main())
