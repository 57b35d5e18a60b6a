"""``casecli db warm`` (issue 15: the first view of a day): after it, the morning's
commands read what it kept, evaluate nothing and print exactly what they print on a store
with nothing kept."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.core.local import nextcache
from casecli.core.measures import measures
from casecli.core.views import caseload
from tests.tui.helpers import copy_sample

runner = CliRunner()
ENV = {"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "100"}


def cli(db: Path, user: str, *args: str, today: str = "2026-11-24") -> Any:
    result = runner.invoke(app, ["--db", str(db), "--as", user, "--today", today, *args], env=ENV)
    assert result.exit_code == 0, result.stderr
    return result


def unkept_copy(db: Path, where: Path) -> Path:
    """The store, copied where nothing is kept beside it."""
    where.mkdir()
    shutil.copy(db, where / db.name)
    return where / db.name


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many cases were evaluated through the kept path (briefs), how many whole
    caseloads, and how many measure families computed."""
    seen = {"briefs": 0, "caseloads": 0, "measures": 0}
    real_views, real_fill = caseload.views, measures.Calculator._fill

    def views(conn: sqlite3.Connection, where: str, params: Any, **kw: Any) -> Any:
        out = real_views(conn, where, params, **kw)
        if "temp.kept_ids" in where:
            seen["briefs"] += len(out)
        elif "worker_id IS NULL" not in where:  # unassigned cases are always evaluated
            seen["caseloads"] += 1
        return out

    def fill(self: Any, *args: Any) -> Any:
        seen["measures"] += 1
        return real_fill(self, *args)

    monkeypatch.setattr(caseload, "views", views)
    monkeypatch.setattr(measures.Calculator, "_fill", fill)
    return seen


MANAGER = [
    ("next",), ("next", "--json", "-n", "40"), ("unit",), ("unit", "--json"), ("caseload",),
    ("waiting",), ("score",), ("score", "--office", "O01"),
    ("score", "--period", "2026-11"), ("focus",),
    ("bottlenecks", "--office", "O01"),
]  # fmt: skip
SUPERVISOR = [("next",), ("unit",), ("caseload",), ("waiting",), ("score",), ("focus",)]


@pytest.mark.parametrize(
    "user, role, cases, assigned, commands",
    [
        ("S0001", "manager", 859, 853, MANAGER),  # 6 unassigned: evaluated on every view
        ("S0002", "supervisor", 167, 165, SUPERVISOR),  # 2 unassigned in the unit
    ],
)
@pytest.mark.parametrize("with_goals", [False, True])
def test_after_a_warm_the_mornings_commands_evaluate_nothing_and_say_the_same(
    tmp_path: Path,
    work: dict[str, int],
    user: str,
    role: str,
    cases: int,
    assigned: int,
    commands: list[Any],
    with_goals: bool,
) -> None:
    db = copy_sample(tmp_path)
    if with_goals:  # workers behind a goal: their cases ranked with the goal's weight
        cli(db, "S0001", "goals", "set", "unit:U001", "monthly_visits", "95")
        cli(db, "S0001", "goals", "set", "office:O01", "current_collections", "80")
    plain = unkept_copy(db, tmp_path / "plain")
    warmed = json.loads(cli(db, user, "db", "warm", "--json").stdout)
    assert {k: warmed[k] for k in ("staff_id", "role", "today", "cases")} == {
        "staff_id": user, "role": role, "today": "2026-11-24", "cases": cases,
    }  # fmt: skip
    # every case once, and those of workers behind a goal once more (the goal's variant)
    assert work["briefs"] >= assigned and work["measures"] > 0
    assert (work["briefs"] > assigned) == with_goals
    seen = dict.fromkeys(work, 0)
    work.update(seen)
    after = [cli(db, user, *c).stdout for c in commands]
    assert work == seen  # not one case evaluated, not one measure computed
    assert after == [cli(plain, user, *c).stdout for c in commands]
    assert work["briefs"] >= assigned  # the copy, with nothing kept, evaluated every case


def test_a_workers_warm_keeps_their_next(tmp_path: Path, work: dict[str, int]) -> None:
    db = copy_sample(tmp_path)
    out = cli(db, "S0004", "db", "warm").stdout
    assert out.startswith("Kept 2026-11-24's evaluations of 37 open cases for S0004 (worker) in ")
    assert work["caseloads"] == 1
    assert nextcache.read(db, "S0004", False, _stamp(db, "2026-11-24")) is not None
    cli(db, "S0004", "next")
    assert work["caseloads"] == 1  # read, not evaluated


def test_a_warm_for_tomorrow_serves_tomorrow_not_today(
    tmp_path: Path, work: dict[str, int]
) -> None:
    # The nightly run may start before midnight: --today names the day it is for.
    db = copy_sample(tmp_path)
    cli(db, "S0001", "db", "warm", today="2026-11-25")
    before = dict(work)
    cli(db, "S0001", "unit", today="2026-11-25")
    assert work == before
    cli(db, "S0001", "unit", today="2026-11-24")  # a brief is a day's: evaluated again
    assert work["briefs"] == 2 * before["briefs"]


def test_todays_next_leaves_the_list_a_warm_kept_for_tomorrow(tmp_path: Path) -> None:
    """The warm before midnight keeps tomorrow's ranked list; a next run that evening, for
    today, keeps today's beside it (one file per user used to hold one day)."""
    db = copy_sample(tmp_path)
    cli(db, "S0001", "db", "warm", today="2026-11-25")
    tomorrow = _stamp(db, "2026-11-25")
    # a manager's list is kept as its head: read as next reads it (7 actions)
    assert nextcache.read(db, "S0001", False, tomorrow, 7) is not None
    cli(db, "S0001", "next")  # today, 2026-11-24
    assert nextcache.read(db, "S0001", False, _stamp(db, "2026-11-24"), 7) is not None
    assert nextcache.read(db, "S0001", False, tomorrow, 7) is not None


def test_a_sync_after_the_warm_re_evaluates_the_cases_it_touched_itself(
    tmp_path: Path, work: dict[str, int]
) -> None:
    db = copy_sample(tmp_path)
    cli(db, "S0001", "db", "warm")
    delta = tmp_path / "delta"
    delta.mkdir()
    (delta / "referrals.csv").write_text(
        "referral_id,case_id,service,status,referred_on\nRW1,C0000530,housing,waitlisted,2026-11-01\n"
    )
    work["briefs"] = 0
    cli(db, "S0001", "sync", str(delta))
    assert work["briefs"] == 1  # C0000530 alone, by the sync, once it has committed
    work["briefs"] = 0
    unit_now = cli(db, "S0001", "unit").stdout
    assert work["briefs"] == 0  # so the first view after it evaluates nothing
    assert unit_now == cli(unkept_copy(db, tmp_path / "plain"), "S0001", "unit").stdout


def _stamp(db: Path, today: str) -> str:
    from datetime import date

    from casecli.core.store import store

    conn = store.connect(db)
    try:
        return nextcache.stamp(
            conn, today=date.fromisoformat(today), redact=False, urgency=None, playbooks=None
        )
    finally:
        conn.close()


def test_a_warm_that_can_keep_nothing_says_so(tmp_path: Path) -> None:
    db = copy_sample(tmp_path)
    nextcache.folder(db).write_text("")  # a file where the folder should be
    result = runner.invoke(app, ["--db", str(db), "--as", "S0001", "db", "warm"], env=ENV)
    assert result.exit_code == 1
    assert result.stderr == (
        f"casecli: Nothing can be kept beside {db}: {nextcache.folder(db)} cannot be made or"
        " written; make it writable (the views work without it, evaluating as they go).\n"
    )
    assert result.stdout == ""


def test_an_admins_warm_covers_every_office(tmp_path: Path, work: dict[str, int]) -> None:
    db = copy_sample(tmp_path)
    warmed = json.loads(cli(db, "S0037", "db", "warm", "--json").stdout)
    assert (warmed["role"], warmed["cases"]) == ("admin", 859)  # sample.db's one office
    work["briefs"] = 0
    cli(db, "S0001", "unit")  # the manager's view reads what the admin's run kept
    assert work["briefs"] == 0


def test_a_warm_for_tomorrow_and_redacted_views_are_kept_beside_todays(
    tmp_path: Path, work: dict[str, int]
) -> None:
    db = copy_sample(tmp_path)
    cli(db, "S0001", "db", "warm", today="2026-11-25")  # before midnight, for the morning
    cli(db, "S0002", "unit")  # someone's view of today keeps today's briefs...
    seen = work["briefs"]
    cli(db, "S0001", "unit", today="2026-11-25")  # ...and leaves tomorrow's
    assert work["briefs"] == seen
    cli(db, "S0001", "unit")
    cli(db, "S0001", "--redact", "unit")  # initials: kept apart
    seen = work["briefs"]
    cli(db, "S0001", "unit")
    cli(db, "S0001", "--redact", "unit")
    assert work["briefs"] == seen


def test_a_warm_whose_evaluations_were_not_kept_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casecli.core.local import kept

    db = copy_sample(tmp_path)
    monkeypatch.setattr(kept, "_keep", lambda *a, **k: None)  # the kept file busy or full
    result = runner.invoke(app, ["--db", str(db), "--as", "S0001", "db", "warm"], env=ENV)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        f"casecli: What was worked out could not all be kept in {nextcache.folder(db)} (another"
        " casecli held it too long, or the disk is full); run casecli db warm again.\n"
    )


def test_after_a_warm_the_months_digests_compute_no_measure(
    tmp_path: Path, work: dict[str, int]
) -> None:
    db = copy_sample(tmp_path)
    plain = unkept_copy(db, tmp_path / "plain")
    cli(db, "S0001", "db", "warm")
    work["measures"] = 0
    cli(db, "S0001", "focus", "--month", "2026-11", "--out", str(tmp_path / "warmed"))
    assert work["measures"] == 0
    cli(plain, "S0001", "focus", "--month", "2026-11", "--out", str(tmp_path / "fresh"))
    warmed = {p.name: p.read_text() for p in (tmp_path / "warmed").iterdir()}
    assert warmed == {p.name: p.read_text() for p in (tmp_path / "fresh").iterdir()}
    assert len(warmed) > 10  # a digest for each active worker of the office
