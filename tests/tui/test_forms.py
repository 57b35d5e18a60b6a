"""Acting from the case screen: modal forms that write through casecli.core.local.record."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from textual.widgets import Input, Select

from tests.tui.helpers import copy_sample, drive, press, screen_text


async def open_case(app: Any, pilot: Any, case_id: str) -> None:
    app.open_case(case_id)
    await press(app, pilot)


def test_record_a_visit_from_the_case_screen(tmp_path: Path) -> None:
    db = copy_sample(tmp_path)

    async def body(app: Any, pilot: Any) -> None:
        await open_case(app, pilot, "C0000620")
        await press(app, pilot, "v")
        assert "Record a visit or contact · case C0000620" in screen_text(app)
        app.screen.query_one("#note", Input).value = "Met at home"
        await press(app, pilot, "ctrl+s")  # two children in care: which one? (issue 12)
        text = screen_text(app)
        assert "Case C0000620 has 2 children and caseworker_visit counts for each" in text
        app.screen.query_one("#person_id", Select).value = "P0002259"
        await press(app, pilot, "ctrl+s")
        assert "Case C0000620" in screen_text(app)
        await press(app, pilot, "end")  # recent activity: at the foot of a longer card
        assert "caseworker visit completed (recorded here)" in screen_text(app)

    drive("S0002", body, db=db, size=(100, 40))  # the card's recent activity on screen
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT kind, occurred_at, note, recorded_by, person_id FROM recorded_events"
            " WHERE case_id = 'C0000620'"
        ).fetchone()
        assert row == ("caseworker_visit", "2026-11-24", "Met at home", "S0002", "P0002259")
        assert (
            conn.execute("SELECT count(*) FROM audit_log WHERE action = 'record'").fetchone()[0]
            == 1
        )


def test_a_future_date_is_refused_in_the_form_which_stays_open(tmp_path: Path) -> None:
    db = copy_sample(tmp_path)

    async def body(app: Any, pilot: Any) -> None:
        await open_case(app, pilot, "C0000620")
        await press(app, pilot, "v")
        app.screen.query_one("#on", Input).value = "2027-01-05"
        app.screen.query_one("#person_id", Select).value = "all"  # both children
        await press(app, pilot, "ctrl+s")
        text = screen_text(app)
        assert "2027-01-05 is in the future" in text
        assert "Record a visit or contact" in text  # still open, nothing saved
        await press(app, pilot, "escape")
        assert "Case C0000620" in screen_text(app)

    drive("S0002", body, db=db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM recorded_events").fetchone()[0] == 0


def test_add_then_resolve_a_barrier(tmp_path: Path) -> None:
    db = copy_sample(tmp_path)

    async def body(app: Any, pilot: Any) -> None:
        await open_case(app, pilot, "C0000620")
        await press(app, pilot, "b", "ctrl+s")
        assert "Say what case C0000620 is waiting for" in screen_text(app)  # empty: refused
        app.screen.query_one("#what", Input).value = "court date from the clerk"
        app.screen.query_one("#expect", Input).value = "2026-12-01"
        await press(app, pilot, "ctrl+s")
        assert "court date from the clerk — 0 days" in screen_text(app)
        await press(app, pilot, "x")
        select = app.screen.query_one("#barrier_id", Select)
        barrier_id = select._options[-1][1]  # the one just added
        select.value = barrier_id
        await press(app, pilot, "ctrl+s")
        assert "court date from the clerk" not in screen_text(app)

    drive("S0002", body, db=db)
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT what, resolved_by FROM barriers").fetchone()
        assert row == ("court date from the clerk", "S0002")


def test_recording_on_a_case_moved_out_of_scope_is_refused(tmp_path: Path) -> None:
    """The card loaded; then a sync moved the case to another unit: the write is refused."""
    db = copy_sample(tmp_path)

    async def body(app: Any, pilot: Any) -> None:
        await open_case(app, pilot, "C0000620")
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE cases SET worker_id = 'S0013' WHERE case_id = 'C0000620'")
        await press(app, pilot, "v", "ctrl+s")
        text = screen_text(app)
        assert "Case C0000620 is not in your unit's caseload (unit U001)" in text

    drive("S0002", body, db=db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM recorded_events").fetchone()[0] == 0


def test_goal_progress_must_be_a_percent_or_a_status(tmp_path: Path) -> None:
    db = copy_sample(tmp_path)

    async def body(app: Any, pilot: Any) -> None:
        await open_case(app, pilot, "C0000620")
        await press(app, pilot, "u")  # g sets a performance goal elsewhere
        select = app.screen.query_one("#goal_id", Select)
        select.value = select._options[-1][1]
        await press(app, pilot, "ctrl+s")
        # the form's own fields, not the CLI's flags (issue 14 item 21)
        assert "Give exactly one of “Percent done” (0 to 100) or “Status”" in screen_text(app)
        assert "--percent" not in screen_text(app)
        app.screen.query_one("#percent", Input).value = "60"
        await press(app, pilot, "ctrl+s")
        assert "Case C0000620" in screen_text(app)

    drive("S0002", body, db=db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT percent FROM goal_progress").fetchone() == (60,)


def test_supervisor_sets_a_unit_goal_and_the_unit_view_scores_against_it(tmp_path: Path) -> None:
    db = copy_sample(tmp_path)

    async def body(app: Any, pilot: Any) -> None:
        assert "Children visited monthly 75.4% in Nov · no goal set" in screen_text(app)
        await press(app, pilot, "tab", "g")  # the board has the focus: the unit's goal
        text = screen_text(app)
        assert "Set a goal · unit U001 Child Welfare Unit 1" in text
        assert "Children visited monthly (monthly_visits)" in text  # the key measure
        await press(app, pilot, "ctrl+s")
        assert "Give the target" in screen_text(app)  # nothing typed: refused, still open
        app.screen.query_one("#target", Input).value = "ninety"
        await press(app, pilot, "ctrl+s")
        assert "The target must be a number like 95 or 4.5, not 'ninety'" in screen_text(app)
        app.screen.query_one("#target", Input).value = "150"
        await press(app, pilot, "ctrl+s")
        assert "must be a percent from 0 to 100" in screen_text(app)
        app.screen.query_one("#target", Input).value = "95"
        await press(app, pilot, "ctrl+s")
        text = screen_text(app)
        assert "Children visited monthly 75.4% in Nov · 19.6 short of 95%" in text
        assert "76%/95% " in text  # each worker inherits the unit's goal

    drive("S0002", body, db=db)
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT scope_kind, scope_id, measure, target, period, set_by FROM performance_goals"
        ).fetchone()
        assert row == ("unit", "U001", "monthly_visits", 95.0, None, "S0002")
        assert (
            conn.execute("SELECT count(*) FROM audit_log WHERE action = 'goal'").fetchone()[0] == 1
        )


def test_supervisor_sets_a_goal_for_the_highlighted_worker_for_one_month(tmp_path: Path) -> None:
    db = copy_sample(tmp_path)

    async def body(app: Any, pilot: Any) -> None:
        await press(app, pilot, "g")  # the workers table has the focus: Olivia Wilson
        assert "Set a goal · worker S0004 Olivia Wilson" in screen_text(app)
        app.screen.query_one("#target", Input).value = "90"
        app.screen.query_one("#period", Input).value = "2026-11"
        await press(app, pilot, "ctrl+s")
        assert "76%/90% " in screen_text(app)

    drive("S0002", body, db=db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT scope_id, period FROM performance_goals").fetchone() == (
            "S0004", "2026-11",
        )  # fmt: skip


def test_setting_a_goal_outside_your_reach_is_refused_in_the_form(tmp_path: Path) -> None:
    from tui.screens.forms import GoalForm

    db = copy_sample(tmp_path)

    async def supervisor(app: Any, pilot: Any) -> None:
        scopes = [("unit U002", "unit:U002")]
        app.push_screen(GoalForm(scopes, "unit:U002", ["monthly_visits"], "monthly_visits"))
        await press(app, pilot)
        refusal = "Supervisors set goals for their own unit (U001) and its workers"
        assert refusal in screen_text(app)  # said when the form opens
        app.screen.query_one("#target", Input).value = "95"
        await press(app, pilot, "ctrl+s")
        assert refusal in screen_text(app) and "Set a goal" in screen_text(app)

    async def worker(app: Any, pilot: Any) -> None:
        await press(app, pilot, "g")
        assert "Workers cannot set goals; ask your supervisor." in screen_text(app)
        app.screen.query_one("#target", Input).value = "100"
        await press(app, pilot, "ctrl+s")
        assert "Workers cannot set goals; ask your supervisor." in screen_text(app)

    drive("S0002", supervisor, db=db)
    drive("S0004", worker, db=db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM performance_goals").fetchone()[0] == 0


def test_manager_sets_a_goal_for_a_unit_from_the_office_view(tmp_path: Path) -> None:
    db = copy_sample(tmp_path)

    async def body(app: Any, pilot: Any) -> None:
        await press(app, pilot, "down", "down", "down", "g")  # U004, child support
        text = screen_text(app)
        assert "Set a goal · unit U004 Child Support Unit 1" in text
        assert "Current support collected (current_collections)" in text
        app.screen.query_one("#target", Input).value = "60"
        await press(app, pilot, "ctrl+s")
        assert "support 56%/60% " in screen_text(app)

    drive("S0001", body, db=db)


def test_the_barrier_form_records_the_step_it_holds_and_names_its_own_fields(
    tmp_path: Path,
) -> None:
    """Issue 14 item 21a: the step (as casecli wait --step), and errors that name the
    form's fields ("Expected by"), never the command line's flags."""
    db = copy_sample(tmp_path)

    async def body(app: Any, pilot: Any) -> None:
        await open_case(app, pilot, "C0000620")
        await press(app, pilot, "b", "ctrl+s")
        text = screen_text(app)
        assert "Say what case C0000620 is waiting for in “Waiting for”" in text
        assert "casecli wait" not in text
        app.screen.query_one("#what", Input).value = "court date from the clerk"
        step = app.screen.query_one("#step", Select)
        assert "periodic_review" in [value for _, value in step._options]
        step.value = "periodic_review"
        app.screen.query_one("#expect", Input).value = "soon"
        await press(app, pilot, "ctrl+s")
        text = screen_text(app)
        assert "“Expected by” 'soon' is not a date; use YYYY-MM-DD." in text
        assert "--" not in text  # no flag quoted: neither --expect nor --step
        app.screen.query_one("#expect", Input).value = "2026-12-01"
        await press(app, pilot, "ctrl+s")
        assert "court date from the clerk — 0 days (since 2026-11-24) · holds periodic_review" in (
            screen_text(app)
        )

    drive("S0002", body, db=db, size=(100, 40))
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT what, step, expect_on FROM barriers").fetchone()
        assert row == ("court date from the clerk", "periodic_review", "2026-12-01")


def test_g_on_a_case_sets_no_goal_progress_u_does(tmp_path: Path) -> None:
    """Issue 14 item 21b: g is "set a goal" wherever it is bound; on a case, plan goal
    progress is u."""
    db = copy_sample(tmp_path)

    async def body(app: Any, pilot: Any) -> None:
        await open_case(app, pilot, "C0000620")
        await press(app, pilot, "g")
        assert "Record plan goal progress" not in screen_text(app)
        footer = screen_text(app).splitlines()[-1]
        assert "u progress" in footer and "g " not in footer
        await press(app, pilot, "u")
        assert "Record plan goal progress" in screen_text(app)

    drive("S0002", body, db=db)
