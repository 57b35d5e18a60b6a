"""``score`` and ``goals`` through the CLI, on tests/fixtures/measures as of 2026-11-24.

The store is built as in tests/test_measures.py (the export, a second full export
without K8 and E3, three events recorded by W1), where the figures are argued; here:
the JSON shape, the scope each role gets and may ask for, goals and their gaps in
units of work, the 80-column text.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.core.engine import playbooks
from tests.conftest import FIXTURES, TEAMS, as_team, casecli, drop_team, login_of

runner = CliRunner()
REQUIRED = {
    "measure", "numerator", "denominator", "performance", "direction", "goal", "gap",
    "unit", "office", "applicable_percentage",
}  # fmt: skip
CW = [
    "monthly_visits", "visits_in_home", "timely_response", "investigations_closed_on_time",
    "investigations_overdue", "permanency_12_months", "permanency_12_23_months",
    "permanency_24_months", "reentry_12_months", "placement_stability", "maltreatment_in_care",
    "recurrence_12_months",
]  # fmt: skip
FAMILY = (  # what a team store's login is told of a measure that follows a child beyond it
    "follows each child across every case they have been in, and on this team store your"
    " login reads only some of them: an admin's score shows it"
)
CS = ["support_orders", "current_collections", "arrears_collections", "paternity_establishment"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, backend: object | None) -> Iterator[Path | str]:
    """The store; on a team store the events are recorded and the goals set by each
    person's own login, as on the personal store by --as."""
    store = score_store(tmp_path_factory.mktemp("score"), backend)
    yield store
    drop_team(store)


def score_store(tmp: Path, backend: object | None) -> Path | str:
    """The store of this module's ``db`` made in ``tmp`` (a team store on ``backend``, a
    server: dropped by the caller, ``drop_team``)."""
    path = tmp / "m.db"
    later = tmp / "later"
    shutil.copytree(FIXTURES / "measures", later)
    for name, key in (("cases", "K8,"), ("people", "P8,"), ("payments", "K8,"), ("events", "E3,")):
        lines = (later / f"{name}.csv").read_text().splitlines(keepends=True)
        (later / f"{name}.csv").write_text("".join(x for x in lines if not x.startswith(key)))
    for folder in (FIXTURES / "measures", later):
        result = cli(path, "A1", "sync", str(folder))
        assert result.exit_code == 0, result.stderr
    store: Path | str = as_team(path, backend)
    for args in (
        ("F1", "caseworker_visit", "--person", "P10", "--on", "2026-10-05", "--location", "home"),
        (
            "F2",
            "caseworker_visit",
            "--person",
            "P12",
            "--on",
            "2026-10-20",
            "--location",
            "placement",
        ),
        ("I7", "face_to_face_contact", "--person", "P27", "--on", "2026-10-31T09:00"),
    ):
        result = cli(store, "W1", "record", *args)
        assert result.exit_code == 0, result.stderr
    for user, args in (
        ("M1", ("office:O1", "support_orders", "80")),
        ("S1", ("unit:U1", "monthly_visits", "95")),
        ("S1", ("worker:W2", "current_collections", "70", "--period", "2026-10")),
        ("M1", ("office:O1", "investigations_overdue", "10")),
    ):
        result = cli(store, user, "goals", "set", *args)
        assert result.exit_code == 0, result.stderr
    return store


def cli(db: Path | str, user: str | None, *args: str, columns: int = 80):  # type: ignore[no-untyped-def]
    login = login_of(db, user, args[0])
    if login is None:
        base = ["--db", str(db), "--today", "2026-11-24"] + (["--as", user] if user else [])
    else:
        base = ["--db", login, "--today", "2026-11-24"]
    return runner.invoke(
        app,
        [*base, *args],
        env={"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": str(columns)},
    )


def score_json(db: Path | str, user: str, *args: str) -> dict:  # type: ignore[type-arg]
    result = cli(db, user, "score", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def by_id(data: dict) -> dict:  # type: ignore[type-arg]
    return {m["measure"]: m for m in data["measures"]}


def test_json_shape_for_a_worker(db: Path | str) -> None:
    data = score_json(db, "W1", "--period", "2026-10")
    team = str(db) in TEAMS  # (a worker's login reads no unit's or office's figure there)
    assert set(data) == {
        "scope", "period", "period_given", "measures", "data_as_of", "data_age_days",
    } | ({"not_shown"} if team else set())  # fmt: skip
    assert data["period_given"] is True
    assert (data["data_as_of"], data["data_age_days"]) == ("2026-11-24", 0)  # the export's day
    assert {"kind": "worker", "id": "W1"}.items() <= data["scope"].items()
    assert data["period"]["label"] == "2026-10" and data["period"]["complete"] is True
    # W1 has only child welfare cases: no IV-D rows.
    assert [m["measure"] for m in data["measures"]] == CW
    for m in data["measures"]:
        assert set(m) >= REQUIRED, m["measure"]
        assert m["applicable_percentage"] is None
    visits = by_id(data)["monthly_visits"]
    # 2 of 3 child-months; U1's goal of 95 applies to W1; the unit is W1's (W2 has no
    # children in care), the office adds W3's 2 of 2.
    assert visits | {"trend": None} == visits | {
        "numerator": 2, "denominator": 3, "performance": 66.67, "direction": "higher",
        "goal": 95.0, "goal_from": "unit:U1", "gap": 28.33,
        "unit": None if team else 66.67, "office": None if team else 80.0,
        "gap_work": "1 more child visit in 2026-10", "trend": None,
    }  # fmt: skip
    assert [t["period"] for t in visits["trend"]] == [
        "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10",
    ]  # fmt: skip
    assert visits["trend"][-1]["performance"] == 66.67
    overdue = by_id(data)["investigations_overdue"]
    # 2 of 5 open investigations overdue, goal 10%: closing 2 leaves 0 of 3.
    assert (overdue["performance"], overdue["direction"], overdue["gap"]) == (40.0, "lower", 30.0)
    assert overdue["gap_work"] == "2 fewer overdue investigations in 2026-10"
    stability = by_id(data)["placement_stability"]
    assert stability["performance"] == (None if team else 74.07)
    assert not team or stability["note"] == FAMILY


def test_json_for_an_office_includes_every_measure(db: Path | str) -> None:
    data = score_json(db, "M1", "--period", "2026-10")
    assert data["scope"]["kind"] == "office" and data["scope"]["id"] == "O1"
    assert [m["measure"] for m in data["measures"]] == [*CS, *CW, "cost_effectiveness"]
    measures = by_id(data)
    # Orders: 3 of 5 = 60%; goal 80 -> 1 more case with an order. A month has no
    # applicable percentage (45 CFR 305.33 sets them for a fiscal year: issue 13 item 14).
    orders = measures["support_orders"]
    assert (orders["performance"], orders["applicable_percentage"], orders["unit"]) == (
        60.0, None, None,
    )  # fmt: skip
    assert orders["office"] == 60.0
    assert orders["gap_work"] == "1 more case with an order in 2026-10"
    assert measures["monthly_visits"]["applicable_percentage"] is None
    # FFY2027 (to date, 2026-11-24): still 3 of 5 = 60% -> Table 1 row 60 -> 70.
    ffy = by_id(score_json(db, "M1", "--period", "FFY2027"))["support_orders"]
    assert (ffy["performance"], ffy["applicable_percentage"]) == (60.0, 70)
    # Cost-effectiveness is set for a fiscal year (costs.csv gives a year's expenditures):
    # a month has no figure, and says which period has.
    ratio = measures["cost_effectiveness"]
    assert (ratio["performance"], ratio["level"], ratio["period"]["label"]) == (
        None, "office", "2026-10",
    )  # fmt: skip
    assert ratio["note"] == (
        "a fiscal-year measure (costs.csv gives a year's expenditures): --period FFY2027 shows it"
    )
    # For the year, the fixture has no costs.csv: one sentence says so.
    ratio = by_id(score_json(db, "M1", "--period", "FFY2027"))["cost_effectiveness"]
    assert ratio["performance"] is None and ratio["applicable_percentage"] is None
    assert ratio["note"].startswith(
        "no costs.csv rows for office O1 in FFY2027: cost-effectiveness needs the office's "
        "expenditures"
    )


def test_iv_d_worker_gets_the_federal_percentage_with_last_year(db: Path | str) -> None:
    data = score_json(db, "W2", "--period", "2026-10")
    assert [m["measure"] for m in data["measures"]] == [*CS, "cost_effectiveness"]
    current = by_id(data)["current_collections"]
    # 570.00 of 850.50 = 67.02%; October 2025 was 33.33%. A month: no applicable
    # percentage. The goal (W2's, for 2026-10) of 70% needs 70% of 850.50 = 595.35:
    # $25.35 more -> $26.
    assert current["numerator"] == 57000 and current["denominator"] == 85050
    assert (current["applicable_percentage"], current["previous_year"]) == (None, 33.33)
    assert current["goal"] == 70.0 and current["goal_from"] == "worker:W2"
    assert current["gap_work"] == "$26 more current support in 2026-10"
    # W2's unit U1; the office adds W3's K7 (a worker's login on a team store: neither).
    beside = (None, None) if str(db) in TEAMS else (67.02, 53.58)
    assert (current["unit"], current["office"]) == beside
    # The office goal for orders (80) reaches W2, who is at 75%: one more case of 4.
    orders = by_id(data)["support_orders"]
    assert (orders["goal"], orders["goal_from"], orders["gap"]) == (80.0, "office:O1", 5.0)
    assert orders["gap_work"] == "1 more case with an order in 2026-10"
    # FFY2027 to date: October is its only month with payments, so 67.02% -> Table 2 row
    # 67 -> 77; the year before, FFY2026: K1 paid 100 of 300 (2025-10) and 150 of 300
    # (2026-09) = 41.67%. Arrears 50% -> row 50 -> 60.
    fiscal = by_id(score_json(db, "W2", "--period", "FFY2027"))
    current = fiscal["current_collections"]
    assert (current["applicable_percentage"], current["previous_year"]) == (77, 41.67)
    assert fiscal["arrears_collections"]["applicable_percentage"] == 60


def test_default_scope_follows_the_role(db: Path | str) -> None:
    assert score_json(db, "W1")["scope"]["id"] == "W1"
    assert score_json(db, "S1")["scope"] == {
        "kind": "unit", "id": "U1", "unit": "U1", "office": "O1",
    }  # fmt: skip
    assert score_json(db, "M2")["scope"]["id"] == "O2"
    assert score_json(db, "A1")["scope"]["kind"] == "all"


def test_the_current_month_is_to_date_and_cohorts_say_incomplete(db: Path | str) -> None:
    data = score_json(db, "W1")
    assert data["period"] | {"complete": False, "label": "2026-11"} == data["period"]
    permanency = by_id(data)["permanency_12_months"]
    assert permanency["performance"] is None and permanency["complete"] is False
    if str(db) in TEAMS:  # (a cohort follows the child beyond the login's cases: no figure)
        assert permanency["note"] == FAMILY and permanency["trend"] == []
        return
    assert permanency["note"].startswith("incomplete:")
    # The trend is of months that are over: October last.
    assert permanency["trend"][-1] == {"period": "2026-10", "performance": 50.0}


@pytest.mark.parametrize(
    ("user", "args", "says"),
    [
        ("W1", ("--worker", "W2"), "Worker W2 is outside what you can see"),
        ("S1", ("--worker", "W3"), "Worker W3 is outside what you can see"),
        ("S1", ("--unit", "U2"), "Unit U2 is outside what you can see"),
        ("M1", ("--office", "O2"), "Office O2 is outside what you can see"),
        ("M1", ("--unit", "U9"), "There is no unit U9 in the store"),
    ],
)
def test_scope_is_checked(db: Path | str, user: str, args: tuple[str, ...], says: str) -> None:
    result = cli(db, user, "score", *args)
    assert result.exit_code == 1
    assert says in result.stderr and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_what_each_may_see(db: Path | str) -> None:
    if str(db) not in TEAMS:
        assert score_json(db, "W1", "--unit", "U1")["scope"]["id"] == "U1"
    else:  # a worker's login reads their own cases alone: their unit is not counted from it
        refused = cli(db, "W1", "score", "--unit", "U1")
        assert (refused.exit_code, refused.stderr) == (1, (
            "casecli: On a team store your login reads your own cases alone, so unit U1's"
            " figures cannot be counted from it; ask its supervisor.\n"))  # fmt: skip
    assert score_json(db, "S1", "--worker", "W2")["scope"]["id"] == "W2"
    assert score_json(db, "M1", "--unit", "U2")["scope"]["id"] == "U2"
    assert score_json(db, "A1", "--office", "O2")["scope"]["id"] == "O2"


def test_usage_mistakes_exit_2(db: Path | str) -> None:
    result = cli(db, "M1", "score", "--unit", "U1", "--office", "O1")
    assert result.exit_code == 2 and "Choose one of --worker, --unit or --office" in result.stderr
    result = cli(db, "M1", "score", "--period", "Q3")
    assert result.exit_code == 2 and "--period 'Q3' is not a period" in result.stderr


def test_closure_days_come_from_the_playbook(db: Path | str, tmp_path: Path) -> None:
    text = playbooks.load()["investigation"].source
    book = (playbooks.DEFAULTS / text).read_text()
    (tmp_path / "investigation.toml").write_text(
        book.replace("closure_days = 30", "closure_days = 45")
    )
    data = score_json(db, "W1", "--period", "2026-10", "--playbooks", str(tmp_path))
    # I4 took 44 days: on time under a 45-day limit (1 of 3 under 30 days).
    assert by_id(data)["investigations_closed_on_time"]["numerator"] == 2


def test_text_fits_80_columns(db: Path | str) -> None:
    for user in ("W1", "W2", "S1", "M1", "A1"):
        result = cli(db, user, "score", "--period", "2026-10")
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert all(len(line) <= 80 for line in lines), user
    result = cli(db, "W1", "score", "--period", "2026-10")
    assert "You W1 Wes Welfare · unit U1 · office O1 · 2026-10" in result.stdout
    assert "Children visited monthly" in result.stdout
    assert "1 more child visit in 2026-10" in result.stdout
    assert "cost_effectiveness" not in result.stdout  # no IV-D rows for W1
    result = cli(db, "M1", "score")
    said = " ".join(result.stdout.split())
    assert ("on this team store" if str(db) in TEAMS else "incomplete") in said
    assert "no costs.csv rows for office O1 in FFY2027" in " ".join(result.stdout.split())
    assert "fed%" in result.stdout


def test_redact_shows_initials(db: Path | str) -> None:
    result = cli(db, "W1", "score", "--redact")
    assert "W.W." in result.stdout and "Wes Welfare" not in result.stdout


def test_goals_set_and_list(db: Path | str, tmp_path: Path) -> None:
    result = cli(db, "W1", "goals", "set", "worker:W1", "monthly_visits", "99")
    assert result.exit_code == 1
    assert result.stderr.strip() == "casecli: Workers cannot set goals; ask your supervisor."
    result = cli(db, "S1", "goals", "set", "unit:U2", "monthly_visits", "99")
    assert result.exit_code == 1 and "is not in it" in result.stderr
    result = cli(db, "S1", "goals", "set", "unit:U1", "nope", "99")
    assert result.exit_code == 2 and "not a measure casecli knows" in result.stderr
    result = cli(db, "W1", "goals", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert [
        (g["scope_kind"], g["scope_id"], g["measure"], g["target"])
        for g in json.loads(result.stdout)
    ] == [
        ("office", "O1", "investigations_overdue", 10.0),
        ("office", "O1", "support_orders", 80.0),
        ("unit", "U1", "monthly_visits", 95.0),
    ]
    text = cli(db, "M1", "goals", "list").stdout
    assert "worker:W2" in text and "2026-10" in text and "every" in text


def test_the_console_script_knows_score_and_goals(db: Path | str) -> None:
    def who(user: str) -> list[str]:
        login = login_of(db, user, "score")
        return ["--db", login] if login else ["--db", str(db), "--as", user]

    done = casecli(*who("W1"), "--today", "2026-11-24", "score", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["scope"]["id"] == "W1"
    done = casecli(*who("M1"), "goals", "list")
    assert done.returncode == 0 and "office:O1" in done.stdout


def test_goals_set_help_names_every_measure(db: Path | str) -> None:
    from casecli.core.measures import measures

    result = runner.invoke(app, ["goals", "set", "--help"], env={"COLUMNS": "200"})
    assert all(m in result.stdout for m in measures.MEASURES)


def test_gap_in_units_of_work() -> None:
    from casecli.core.measures import measures, periods
    from casecli.core.measures.measures import Counts
    from casecli.core.measures.score import gap_work
    from tests.conftest import TODAY

    now, oct_, ffy = (periods.parse(p, TODAY) for p in (None, "2026-10", "FFY2027"))

    def work(measure: str, n: int, d: int, goal: float | None, period=now) -> str | None:  # type: ignore[no-untyped-def]
        return gap_work(measures.get(measure), Counts(n, d), goal, period, TODAY)

    # 95% of 20 child-months is 19: 3 more visits than the 16 made.
    assert work("monthly_visits", 16, 20, 95) == "3 more child visits this month"
    assert work("monthly_visits", 18, 20, 95) == "1 more child visit this month"
    assert work("monthly_visits", 19, 20, 95) == "goal met"
    assert work("monthly_visits", 19, 20, None) is None
    # 31.2% of $10,000.00 due is $3,120.00, none of it paid yet.
    assert (
        work("current_collections", 0, 1_000_000, 31.2) == "$3,120 more current support this month"
    )
    assert work("support_orders", 20, 50, 50, ffy) == "5 more cases with an order this year"
    # Child-months (issue 13 item 3): 85% of 16 visited child-months is 13.6 -> 14; 12 of
    # them had a visit where the child lives, so 2 more children visited at home (a visit
    # at home to a child already visited elsewhere this month adds to the numerator only).
    assert work("visits_in_home", 12, 16, 85) == "2 more children visited at home this month"
    assert work("visits_in_home", 13, 16, 85) == "1 more child visited at home this month"
    # Closing an overdue investigation takes it off both counts: (2 - x) / (5 - x) <= 10%.
    assert (
        work("investigations_overdue", 2, 5, 10, oct_)
        == "2 fewer overdue investigations in 2026-10"
    )
    # 2 moves per 1,000 days allow 2 moves in 1,000 days; 5 were made.
    assert work("placement_stability", 5, 1000, 2.0) == "3 fewer placement moves this month"
    assert work("reentry_12_months", 1, 3, 40, oct_) == "goal met"


# Periods that fit the measure (issue 13 item 14) ------------------------------------

FISCAL = [
    *CS, "permanency_12_months", "permanency_12_23_months", "permanency_24_months",
    "reentry_12_months", "placement_stability", "maltreatment_in_care", "recurrence_12_months",
    "cost_effectiveness",
]  # fmt: skip
MONTHLY = [
    "monthly_visits", "visits_in_home", "timely_response", "investigations_closed_on_time",
    "investigations_overdue",
]  # fmt: skip


def test_without_a_period_each_measure_is_for_its_own_default(db: Path | str) -> None:
    data = score_json(db, "M1")
    # The top-level period is still this month, as before; period_given says none was
    # asked, and each line names its own.
    assert data["period"]["label"] == "2026-11" and data["period_given"] is False
    periods = {m["measure"]: m["period"] for m in data["measures"]}
    assert sorted(periods) == sorted(FISCAL + MONTHLY)
    for measure in FISCAL:  # 2026-11-24 is in FFY2027 (1 October 2026 - 30 September 2027)
        assert periods[measure] == {
            "label": "FFY2027", "start": "2026-10-01", "end": "2027-09-30", "complete": False,
        }, measure  # fmt: skip
    for measure in MONTHLY:
        assert periods[measure] == {
            "label": "2026-11", "start": "2026-11-01", "end": "2026-11-30", "complete": False,
        }, measure  # fmt: skip
    # A fiscal year: support orders gets its applicable percentage (3 of 5 = 60% -> 70,
    # as with --period FFY2027); a month's line none.
    orders = by_id(data)["support_orders"]
    assert (orders["performance"], orders["applicable_percentage"]) == (60.0, 70)
    assert by_id(data)["monthly_visits"]["applicable_percentage"] is None


def test_with_a_period_every_measure_is_for_it(db: Path | str) -> None:
    data = score_json(db, "M1", "--period", "2026-10")
    assert data["period_given"] is True
    assert {m["period"]["label"] for m in data["measures"]} == {"2026-10"}
    data = score_json(db, "M1", "--period", "FFY2026")
    assert {m["period"]["label"] for m in data["measures"]} == {"FFY2026"}
    assert all(m["period"]["complete"] for m in data["measures"])


def test_the_text_groups_the_lines_under_their_periods(db: Path | str) -> None:
    lines = cli(db, "M1", "score").stdout.splitlines()
    assert lines[0] == "Office O1 North Office · as of 2026-11-24"
    fiscal = lines.index("Fiscal-year measures: FFY2027 to 2026-11-24")
    monthly = lines.index("Monthly measures: 2026-11 to 2026-11-24")
    at = {t: i for i, x in enumerate(lines) for t in ("Cases with a support order",
          "Permanency in 12 months", "Cost-effectiveness", "Children visited monthly",
          "Open investigations overdue") if x.startswith(t)}  # fmt: skip
    assert fiscal < at["Cases with a support order"] < at["Permanency in 12 months"]
    assert at["Permanency in 12 months"] < at["Cost-effectiveness"] < monthly
    assert monthly < at["Children visited monthly"] < at["Open investigations overdue"]
    assert all(len(x) <= 80 for x in lines)
    # With a period: one period, said in the heading, no groups.
    lines = cli(db, "M1", "score", "--period", "2026-10").stdout.splitlines()
    assert lines[0] == "Office O1 North Office · 2026-10"
    assert not any(x.startswith(("Fiscal-year measures", "Monthly measures")) for x in lines)
    # A worker whose measures are all monthly or all fiscal has one period: no groups.
    lines = cli(db, "W2", "score").stdout.splitlines()
    assert lines[0].endswith("· FFY2027 to 2026-11-24")
    assert all(len(x) <= 80 for x in lines)
