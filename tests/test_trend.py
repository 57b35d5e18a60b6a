"""Trends people can read (issue 14 item 14): one absolute scale, the last value as a
number, the months short of the goal marked, and `score` shows the six months as numbers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.render import months_text, sparkline, trend_markup, trend_text

SAMPLE = Path(__file__).resolve().parents[1] / "sample.db"


def test_a_percent_sparkline_is_on_0_to_100_so_a_wobble_stays_a_wobble() -> None:
    # 93% to 97% was ▁ to █ on a min-max scale; on 0-100 it is the top of the scale
    assert sparkline([93.0, 97.0, 95.0]) == "███"
    assert sparkline([0.0, 50.0, 100.0, None]) == "▁▅█ "
    # two workers side by side compare: the same value is the same bar
    assert sparkline([60.0, 60.0])[0] == sparkline([10.0, 60.0, 90.0])[1] == "▅"


def test_a_rate_sparkline_is_on_0_to_its_highest_value_or_goal() -> None:
    assert sparkline([1.0, 2.0], "rate") == "▅█"
    assert sparkline([1.0, 2.0], "rate", goal=4.0) == "▃▅"


def test_the_trend_ends_with_its_last_value_as_a_number() -> None:
    assert trend_text([82.61, 100.0, 89.29, 75.0, 93.1, 96.55]) == "▇█▇▆██ 97%"
    assert trend_text([50.0, None]) == "▅  50%"  # the last month with a figure
    assert trend_text([None, None]) == "  "


def test_the_months_short_of_the_goal_are_marked() -> None:
    assert trend_markup([80.0, 95.0], "percent", 90.0) == "[yellow]▇[/]█ 95%"
    assert trend_markup([10.0, 30.0], "percent", 20.0, "lower") == "▂[yellow]▃[/] 30%"
    assert trend_markup([80.0, 95.0], "percent", None) == "▇█ 95%"


def test_the_months_as_numbers() -> None:
    trend = (("2026-09", 93.1), ("2026-10", None))
    assert months_text(trend, "percent") == "Sep 93% · Oct –"


@pytest.fixture(scope="module", params=["sqlite", "team"])
def score(request: pytest.FixtureRequest) -> Iterator[Callable[..., str]]:
    """``casecli score ARGS`` as worker S0004 at 80 columns, its output: on sample.db, or
    on a team store holding its rows, as S0004's own login (issue 17 item 7), where a
    worker's login reads their own cases alone, so no unit or office figure stands beside
    theirs (tests/test_team_commands.py says why)."""
    db, who = str(SAMPLE), ["--as", "S0004"]
    team = None
    if request.param == "team":
        from tests import pgserver

        team = pgserver.sample_team(request.getfixturevalue("pg_server"))
        db, who = team.url_of("S0004"), []

    def run(*args: str) -> str:
        env = {"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "80"}
        base = ["--db", db, *who, "--today", "2026-11-24", "score"]
        done = CliRunner().invoke(app, [*base, *args], env=env)
        assert done.exit_code == 0, done.stderr
        return str(done.stdout)

    run.team = team is not None  # type: ignore[attr-defined]
    yield run
    if team is not None:
        team.server.drop(team.name)


def test_score_shows_the_six_months_as_numbers_at_80_columns(score: Callable[..., str]) -> None:
    lines = score().splitlines()
    row = lines.index(next(x for x in lines if x.startswith("Children visited monthly")))
    beside = "      –      –" if score.team else "  75.4%  69.4%"  # type: ignore[attr-defined]
    assert lines[row] == f"Children visited monthly        75.9%      –      –{beside}  ▇█▇▆██ 97%"
    assert lines[row + 2] == (
        "  6 months: May 83% · Jun 100% · Jul 89% · Aug 75% · Sep 93% · Oct 97%"
    )
    assert all(len(x) <= 80 for x in lines)


def test_score_json_keeps_the_trend_and_adds_its_text_and_months_against_goal(
    score: Callable[..., str],
) -> None:
    m = json.loads(score("--json"))["measures"][0]
    assert m["trend"][-1] == {"period": "2026-10", "performance": 96.55}
    assert m["trend_text"] == "▇█▇▆██ 97%"
    assert m["trend_met"] == [None] * 6  # no goal set
