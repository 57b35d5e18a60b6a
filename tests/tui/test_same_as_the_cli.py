"""The TUI shows what the CLI shows: the same ranked actions and the same goal rules."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from casecli.core.errors import UsageError
from casecli.core.measures import goals
from casecli.core.store import scope
from tests.tui.helpers import TODAY, copy_sample, drive, press, screen_text
from tui.data import Session


def _cli_next(db: Path, user: str, n: int) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env["CASECLI_CONFIG"] = "/nonexistent/config.toml"
    out = subprocess.run(
        [sys.executable, "-m", "casecli.cli.main", "--db", str(db), "--as", user,
         "--today", TODAY.isoformat(), "--json", "next", "-n", str(n)],
        capture_output=True, text=True, env=env, check=True, timeout=120,
    )  # fmt: skip
    return list(json.loads(out.stdout))


def test_a_workers_next_actions_in_the_tui_weigh_their_goals_as_next_does(
    tmp_path: Path,
) -> None:
    """S0003 visits 80% of their children this month; with a 95% goal they are behind,
    and ``next`` raises their visits by the goal_impact term. The TUI's list of next
    actions used to be ranked without it (a different top ten): now it is the same."""
    db = copy_sample(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        goals.set_goal(conn, scope.actor(conn, "S0001"), "worker", "S0003", "monthly_visits", 95)
    cli = _cli_next(db, "S0003", 40)
    assert any(t["term"] == "goal_impact" for a in cli for t in a["terms"])  # it matters
    tui = Session(db, "S0003", TODAY).next_actions()[:40]
    assert [(a.case_id, a.action, round(a.urgency, 1)) for a in tui] == [
        (a["case_id"], a["action"], round(a["urgency"], 1)) for a in cli
    ]


def test_the_goal_form_refuses_a_percent_on_a_rate_as_goals_set_does(tmp_path: Path) -> None:
    """placement_stability is moves per 1,000 days: '4.5%' is refused by ``casecli goals
    set`` and, now, by the TUI's form too (it used to drop the '%' and set 4.5)."""
    from tui.screens.forms import GoalForm

    with pytest.raises(UsageError, match="placement_stability is not a percent"):
        goals.parse_target("4.5%", goals.measures.get("placement_stability"), "the target")
    db = copy_sample(tmp_path)

    async def supervisor(app: Any, pilot: Any) -> None:
        scopes = [("unit U001", "unit:U001")]
        measures = ["placement_stability"]
        app.push_screen(GoalForm(scopes, "unit:U001", measures, "placement_stability"))
        await press(app, pilot)
        app.screen.query_one("#target", Input).value = "4.5%"
        await press(app, pilot, "ctrl+s")
        text = screen_text(app)
        assert "placement_stability is not a percent: give the target as a plain" in text
        assert "number, like 4.5." in text  # the sentence wraps in the form, whole
        assert "Set a goal" in text  # the form stays open

    drive("S0002", supervisor, db=db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM performance_goals").fetchone()[0] == 0
