"""Acting from the case screen: modal forms that write through casecli.core.record."""

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
        await press(app, pilot, "ctrl+s")
        text = screen_text(app)
        assert "Case C0000620" in text and "caseworker visit completed (recorded here)" in text

    drive("S0002", body, db=db)
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT kind, occurred_at, note, recorded_by FROM recorded_events WHERE case_id = 'C0000620'"
        ).fetchone()
        assert row == ("caseworker_visit", "2026-11-24", "Met at home", "S0002")
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
        await press(app, pilot, "g")
        select = app.screen.query_one("#goal_id", Select)
        select.value = select._options[-1][1]
        await press(app, pilot, "ctrl+s")
        assert "Give exactly one of --percent" in screen_text(app)
        app.screen.query_one("#percent", Input).value = "60"
        await press(app, pilot, "ctrl+s")
        assert "Case C0000620" in screen_text(app)

    drive("S0002", body, db=db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT percent FROM goal_progress").fetchone() == (60,)
