"""The unit and office views (casecli.core.views.unit, and `casecli unit` / `bottlenecks`)
on the basic fixture as of 2026-11-24 (see tests/test_next_cli.py for the scenario)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from casecli.core.engine import playbooks
from casecli.core.engine.engine import Action, Barrier, CaseView
from casecli.core.engine.playbooks import Step
from casecli.core.engine.steps import StepState
from casecli.core.views import load, unit
from casecli.core.views import office as offices
from tests.test_next_cli import cli, db  # noqa: F401  (the fixture)

TODAY = date(2026, 11, 24)
BOOKS = playbooks.load()
# every playbook with no steady case hours: only the steps' effort counts
NO_CASE_HOURS = {k: b._replace(case_hours_per_month=0.0) for k, b in BOOKS.items()}


def _view(
    steps: list[StepState], actions: list[Action], barriers: list[Barrier],
    case_type: str = "foster_care",
) -> CaseView:  # fmt: skip
    case = {"case_id": "X1", "worker_id": "W1", "status": "open", "case_type": case_type}
    return CaseView(case, steps, barriers, None, None, None, "on track", actions)


def _action(kind: str, due: date | None) -> Action:
    return Action("X1", "do it", kind, None, due, 1.0, ())


def test_due_now_counts_overdue_due_today_and_undated_actions_but_not_later_ones() -> None:
    actions = [
        _action("step", TODAY - timedelta(days=3)),  # overdue: due now and overdue
        _action("step", TODAY),  # due today: due now
        _action("step", TODAY + timedelta(days=1)),  # tomorrow: neither
        _action("chase", None),  # chase a wait: due now
        _action("modification", TODAY - timedelta(days=1)),  # past, but not a step: not overdue
    ]
    f = load.case_figures(_view([], actions, []), TODAY, BOOKS)
    assert (f.open_cases, f.due_now, f.overdue, f.waiting) == (1, 4, 1, 0)


def test_capacity_counts_effort_of_dated_steps_due_within_14_days_over_two_weeks() -> None:
    def state(hours: float, status: str, days: int | None, every: str | None = None) -> StepState:
        due = TODAY + timedelta(days=days) if days is not None else None
        return StepState(Step("s", "S", ("x",), every=every, effort_hours=hours), status, due)

    steps = [
        state(2.0, "overdue", -10),  # still to do: counts
        state(3.0, "open", 14),  # the last day of the window: counts
        state(5.0, "open", 15),  # past the window
        state(7.0, "blocked", 1),  # cannot be worked
        state(11.0, "done", 1),
        state(13.0, "open", None),  # no due date
        state(17.0, "open", 6, every="month"),  # recurring: in the case hours, not again
    ]
    barrier = Barrier("barrier:1", "recorded", "a result", TODAY, 0)
    worker = load.worker_load(
        {"staff_id": "W1", "name": "A", "hours_per_week": 20, "active": 1},
        [_view(steps, [], [barrier], case_type="none")],  # a type whose playbook has 0 hours
        TODAY,
        NO_CASE_HOURS,
    )
    assert worker.figures.effort_hours == 5.0
    assert worker.figures.hours_available == 40.0
    assert worker.figures.capacity == 5.0 / 40.0
    assert worker.figures.waiting == 1


def _worker(cases: int, case_type: str, hours_per_week: float, steps: list[StepState]) -> Any:
    views = [_view(steps if i == 0 else [], [], [], case_type=case_type) for i in range(cases)]
    staff = {"staff_id": "W1", "name": "A", "hours_per_week": hours_per_week, "active": 1}
    return load.worker_load(staff, views, TODAY, BOOKS)


def test_capacity_of_15_foster_care_cases_and_an_overdue_case_plan_is_65_percent() -> None:
    # The default foster care playbook: 7 hours a month per case (visits included).
    # 15 cases x 7 h = 105 h a month; over 14 days: 105 x 14 / 30.4375 = 48.30 h.
    # A case plan (4 h) overdue on one case: 48.30 + 4 = 52.30 h needed;
    # the worker has 40 x 14 / 7 = 80 h in the fortnight: 52.30 / 80 = 65.4%.
    plan = StepState(Step("case_plan", "Write the case plan", ("x",), effort_hours=4.0),
                     "overdue", TODAY - timedelta(days=3))  # fmt: skip
    visit = StepState(Step("monthly_visit", "Visit", ("x",), every="month", effort_hours=2.0),
                      "open", TODAY + timedelta(days=6))  # fmt: skip
    f = _worker(15, "foster_care", 40, [plan, visit]).figures
    assert (f.case_hours_per_month, round(f.case_hours, 2), f.effort_hours) == (105.0, 48.3, 4.0)
    assert (round(f.hours_needed, 2), f.hours_available) == (52.3, 80.0)
    assert round(f.capacity * 100, 1) == 65.4


def test_capacity_of_35_foster_care_cases_is_well_over_a_full_fortnight() -> None:
    # 35 cases x 7 h = 245 h a month; over 14 days 245 x 14 / 30.4375 = 112.69 h;
    # no steps due; 112.69 / 80 = 140.9%: the caseload needs more hours than there are.
    f = _worker(35, "foster_care", 40, []).figures
    assert round(f.capacity * 100, 1) == 140.9


def test_capacity_of_an_investigator_with_8_investigations_at_32_hours_a_week() -> None:
    # 8 investigations x 10 h a month = 80 h; over 14 days 80 x 14 / 30.4375 = 36.80 h;
    # a 32-hour week gives 32 x 2 = 64 h: 36.80 / 64 = 57.5%.
    f = _worker(8, "investigation", 32, []).figures
    assert (f.hours_available, round(f.capacity * 100, 1)) == (64.0, 57.5)


def test_capacity_of_a_child_support_worker_with_300_enforcement_cases() -> None:
    # Child support: 0.4 h a month per case. 300 x 0.4 = 120 h a month; over 14 days
    # 120 x 14 / 30.4375 = 55.19 h; / 80 h = 69.0%: hundreds of cases is a normal load.
    f = _worker(300, "enforcement", 40, []).figures
    assert (round(f.case_hours_per_month, 2), round(f.capacity * 100, 1)) == (120.0, 69.0)


def test_a_jurisdictions_playbook_sets_the_case_hours_and_an_old_one_keeps_the_default(
    tmp_path: Path,
) -> None:
    (tmp_path / "foster_care.toml").write_text(
        'name = "FC"\ncase_hours_per_month = 9.5\n'
        '[[steps]]\nid = "v"\ntitle = "Visit"\ndone_by = ["caseworker_visit"]\nevery = "month"\n'
    )
    (tmp_path / "in_home.toml").write_text(
        'name = "IH"\n[[steps]]\nid = "v"\ntitle = "Visit"\ndone_by = ["x"]\nevery = "month"\n'
    )
    (tmp_path / "kinship.toml").write_text(
        'name = "K"\n[[steps]]\nid = "v"\ntitle = "Visit"\ndone_by = ["x"]\nevery = "month"\n'
    )
    books = playbooks.load(tmp_path)
    assert playbooks.case_hours_per_month(books, "foster_care") == 9.5
    assert playbooks.case_hours_per_month(books, "in_home") == 6.0  # the default's
    assert playbooks.case_hours_per_month(books, "kinship") == 2.0  # generic's
    assert playbooks.case_hours_per_month(books, "unknown_type") == 2.0


def test_a_case_hours_setting_that_is_not_a_number_is_one_sentence() -> None:
    text = 'case_hours_per_month = "lots"\n[[steps]]\nid = "v"\ntitle = "V"\ndone_by = ["x"]\nevery = "month"\n'
    with pytest.raises(playbooks.PlaybookError) as err:
        playbooks.parse(text, "foster_care", "foster_care.toml")
    assert str(err.value) == (
        "The playbook foster_care.toml: case_hours_per_month must be a number of hours"
        " (0 or more); fix the file."
    )


def test_capacity_words_name_the_rates() -> None:
    assert load.capacity_words((("foster_care", 7.0), ("enforcement", 0.4))) == (
        "each open case's steady hours a month (foster care 7, enforcement 0.4) for 14 days,"
        " plus the effort of the dated steps due in them, over 2 weeks of the worker's hours"
    )


def test_unit_view_of_the_fixture(db: Path) -> None:  # noqa: F811
    result = cli(db, "S1", "unit", "--json")
    assert result.exit_code == 0, result.stderr
    v = json.loads(result.stdout)
    assert (v["unit_id"], v["supervisor"], v["as_of"]) == ("U1", "Dana Reyes", "2026-11-24")
    w1 = next(w for w in v["workers"] if w["staff_id"] == "W1")
    # 004's first contact and C100's court report are overdue; C100's two chases are due
    # now; the monthly visit (2026-11-30) and the periodic review (2026-12-01) are not.
    assert (w1["open_cases"], w1["due_now"], w1["overdue"], w1["waiting"]) == (2, 4, 2, 1)
    assert v["workers"][0]["staff_id"] == "W1"  # the most behind first
    assert v["bottlenecks"][0] | {"case_ids": None} == {
        "what": "substance treatment", "count": 1, "median_days": 38.0, "oldest_days": 38,
        "case_ids": None,
    }  # fmt: skip
    board = {g["situation"]: g["case_ids"] for g in v["board"]}
    assert "004" in board["overdue"] and "C100" in board["overdue"]


def test_unit_text_reads_at_80_columns(db: Path) -> None:  # noqa: F811
    result = cli(db, "S1", "unit")
    assert result.exit_code == 0, result.stderr
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    assert "Unit One (U1) · supervisor Dana Reyes" in result.stdout
    assert "W1 Avery Cole" in result.stdout
    assert "substance treatment — 1 case, median 38 days, oldest 38" in result.stdout


def test_manager_gets_the_office_and_may_name_a_unit(db: Path) -> None:  # noqa: F811
    office = json.loads(cli(db, "M1", "unit", "--json").stdout)
    assert office["office_id"] == "O1" and [u["unit_id"] for u in office["units"]] == ["U1"]
    assert cli(db, "M1", "unit", "U1").exit_code == 0


def test_scope_a_worker_has_no_unit_view_and_an_admin_must_name_one(db: Path) -> None:  # noqa: F811
    worker = cli(db, "W1", "unit")
    assert worker.exit_code == 1
    assert "casecli next shows your work" in worker.stderr
    admin = cli(db, "A1", "unit")
    assert admin.exit_code == 1 and "Name the unit" in admin.stderr
    assert cli(db, "A1", "unit", "U1").exit_code == 0
    missing = cli(db, "S1", "unit", "U9")
    assert "There is no unit U9" in missing.stderr


def test_bottlenecks_default_to_your_unit_or_office_and_refuse_beyond_it(db: Path) -> None:  # noqa: F811
    mine = json.loads(cli(db, "S1", "bottlenecks", "--json").stdout)
    assert [(g["what"], g["count"], g["case_ids"]) for g in mine][0] == (
        "substance treatment", 1, ["C100"],
    )  # fmt: skip
    office = json.loads(cli(db, "M1", "bottlenecks", "--json").stdout)
    assert office == mine  # one unit in the office
    refused = cli(db, "S1", "bottlenecks", "--office", "O1")
    assert refused.exit_code == 1 and "more than your unit" in refused.stderr
    both = cli(db, "M1", "bottlenecks", "--unit", "U1", "--office", "O1")
    assert both.exit_code == 2


def test_redact_shows_staff_initials(db: Path) -> None:  # noqa: F811
    v = json.loads(cli(db, "S1", "--redact", "unit", "--json").stdout)
    assert v["supervisor"] == "D.R." and {w["name"] for w in v["workers"]} == {"A.C.", "S.O."}


def _sample_kw() -> dict[str, object]:
    from casecli.core.engine import playbooks, urgency
    from casecli.core.local import config

    books = playbooks.load(config.playbooks_dir())
    return {"today": TODAY, "books": books, "coef": urgency.coefficients()}


def test_key_measure_against_goal_is_batched_and_matches_the_scorecard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sample.db: a child-welfare unit is scored on monthly visits, a child-support unit
    on current collections; the office's figures take one measure statement per key
    measure (not one per worker or per month) and one goal read per unit and program."""
    from casecli.core.measures import goals, periods, score
    from casecli.core.store import scope, store
    from tests.tui.helpers import copy_sample

    conn = store.connect(copy_sample(tmp_path))
    manager, supervisor = scope.actor(conn, "S0001"), scope.actor(conn, "S0002")
    goals.set_goal(conn, manager, "office", "O01", "monthly_visits", 90)
    goals.set_goal(conn, supervisor, "worker", "S0004", "monthly_visits", 80, "2026-11")
    from casecli.core.measures import measures

    statements: list[str] = []
    filled: list[tuple[str, int]] = []  # the measure statements (run side by side: prefetch)
    real = measures.Calculator._fill

    def spy(self: Any, family: Any, where: str, params: Any, periods: Any, c: Any) -> None:
        filled.append((family.__name__, len(periods)))
        real(self, family, where, params, periods, c)

    monkeypatch.setattr(measures.Calculator, "_fill", spy)
    conn.set_trace_callback(statements.append)
    office = offices.office_view(conn, manager, "O01", **_sample_kw())  # type: ignore[arg-type]
    conn.set_trace_callback(None)
    assert sorted(filled) == [("collections", 7), ("visits", 7)]  # one per measure, 7 months
    assert sum("performance_goals" in s for s in statements) == len(office.units) + 2
    keys = {u.unit_id: u.score.measure for u in office.units if u.score}
    assert keys == {"U001": "monthly_visits", "U002": "monthly_visits",
                    "U003": "monthly_visits", "U004": "current_collections"}  # fmt: skip
    assert [s.measure for s in office.scores] == ["monthly_visits", "current_collections"]

    u001 = unit.unit_view(conn, supervisor, "U001", **_sample_kw())  # type: ignore[arg-type]
    assert u001.score is not None
    assert (u001.score.performance, u001.score.target, u001.score.goal_scope) == (
        75.4, 90.0, "office:O01",
    )  # fmt: skip
    assert u001.score.gap == 14.6 and u001.score.met is False
    assert [p for p, _ in u001.score.trend] == [f"2026-{m:02d}" for m in range(5, 11)]
    olivia = next(w for w in u001.workers if w.staff_id == "S0004")
    assert olivia.score is not None and olivia.score.target == 80.0  # her own goal wins
    # the same figures as casecli score for the worker
    card = score.scorecard(
        conn, score.resolve_scope(conn, supervisor, "worker", "S0004"),
        periods.month_of(TODAY), TODAY, measure_ids=["monthly_visits"],
    )  # fmt: skip
    line = card.lines[0]
    assert olivia.score.performance == line.result.performance
    assert olivia.score.trend == line.trend
    assert olivia.score.gap == line.gap


def test_unit_json_and_text_carry_the_key_measure(db: Path) -> None:  # noqa: F811
    v = json.loads(cli(db, "S1", "unit", "--json").stdout)
    assert set(v["key_measure"]) >= {"measure", "performance", "goal", "gap", "trend"}
    assert all("key_measure" in w for w in v["workers"])
    text = cli(db, "S1", "unit").stdout
    assert "vs goal" in text and all(len(line) <= 80 for line in text.splitlines())


def test_bottlenecks_read_lean_equal_the_full_views_waiting() -> None:
    """casecli bottlenecks reads only what barriers depend on; it must group exactly what
    the engine's full case views would (sample.db: the office and every unit)."""
    from datetime import date
    from pathlib import Path

    from casecli.core.engine import playbooks, urgency
    from casecli.core.store import store
    from casecli.core.views import caseload

    conn = store.connect(Path(__file__).resolve().parents[1] / "sample.db")
    today = date(2026, 11, 24)
    books, coef = playbooks.load(), urgency.coefficients()
    units = [
        u for (u,) in conn.execute("SELECT DISTINCT unit_id FROM staff WHERE unit_id IS NOT NULL")
    ]
    for column, value in [("office_id", "O01"), *(("unit_id", u) for u in units)]:
        where = f"c.worker_id IN (SELECT staff_id FROM staff WHERE {column} = ?)"
        views = caseload.views(
            conn, f"{where} AND c.status = 'open'", [value], today=today, books=books, coef=coef
        )
        lean = caseload.bottlenecks(conn, where, [value], today=today)
        assert lean == caseload.waiting(views), value
        assert lean and lean[0].what == "substance treatment" or column == "unit_id"


def test_steps_stuck_past_90_days_are_counted_for_the_supervisor() -> None:
    # issue 12 item 2: sample.db as of its export (2026-11-24). A step more than 90 days
    # overdue is stuck; the unit and the office count them (one per case and step) and say
    # what to do, so they are a supervisor's signal and not a worker's top line.
    from typer.testing import CliRunner

    from casecli.cli.main import app

    sample = Path(__file__).resolve().parents[1] / "sample.db"

    def run(user: str, *args: str) -> str:
        result = CliRunner().invoke(
            app, ["--db", str(sample), "--as", user, "unit", *args],
            env={"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "80"},
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        return result.stdout

    unit_json = json.loads(run("S0002", "--json"))
    assert unit_json["figures"]["stuck"] == 11
    assert sum(w["stuck"] for w in unit_json["workers"]) == 11
    assert "11 steps stuck > 90 days — reconcile with the system of record" in run("S0002")
    office = json.loads(run("S0001", "--json"))
    assert office["figures"]["stuck"] == sum(u["stuck"] for u in office["units"])
    assert office["figures"]["stuck"] == 82  # mostly child support: orders and locates


def test_unit_json_shows_the_parts_of_capacity_used(db: Path) -> None:  # noqa: F811
    v = json.loads(cli(db, "S1", "unit", "--json").stdout)
    assert v["capacity"]["days"] == 14 and v["capacity"]["days_per_month"] == 30.4375
    assert v["capacity"]["case_hours_per_month"]["foster_care"] == 7.0
    for f in [v["figures"], *v["workers"]]:
        if f["hours_available"]:  # (case hours + step hours) / hours available
            assert f["hours_needed"] == round(f["case_hours"] + f["effort_hours"], 2)
            assert f["capacity_used"] == round(f["hours_needed"] / f["hours_available"], 3)
            assert f["case_hours"] == round(f["case_hours_per_month"] * 14 / 30.4375, 2)
