"""The TUI's views and drill-downs on sample.db as of 2026-11-24, read off the screen."""

from __future__ import annotations

from typing import Any

from tests.tui.helpers import drive, press, screen_text


def test_supervisor_opens_on_their_unit_with_workers_board_and_bottlenecks() -> None:
    async def body(app: Any, pilot: Any) -> None:
        text = screen_text(app)
        assert "Child Welfare Unit 1 (U001)" in text
        # 45 overdue: one action per case and step (three children unseen are one line);
        # 14 of them investigations whose finding is recorded but that are still open past
        # their limit, overdue for closing (issue 14 item 3; before, "on track")
        assert "167 open cases" in text and "45 overdue" in text
        assert "11 steps stuck > 90 days — reconcile with the system of record" in text
        assert "Olivia Wilson" in text and "237%" in text  # most behind first, far over full
        assert "Aiden Sanchez (inactive)" in text
        assert "overdue" in text and "on track" in text
        wait = next(line for line in text.splitlines() if "substance treatment" in line)
        assert wait.split()[-4:-2] == ["33", "38d"]  # cases, median days (then the oldest)

    drive("S0002", body)


def test_unit_view_is_readable_at_80_by_24() -> None:
    async def body(app: Any, pilot: Any) -> None:
        lines = screen_text(app).splitlines()
        assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
        text = "\n".join(lines)
        for seen in ("167 open cases", "Barbara Peterson", "court soon", "drug-screen result"):
            assert seen in text
        assert "q quit" in lines[-1]

    drive("S0002", body, size=(80, 24))


def test_unit_to_worker_to_case_and_back_with_escape() -> None:
    async def body(app: Any, pilot: Any) -> None:
        await press(app, pilot, "enter")  # the first worker: Olivia Wilson, most behind
        text = screen_text(app)
        assert "Olivia Wilson (S0004)" in text and "37 open cases" in text
        assert "C0000530" in text  # her most urgent case first: a child's safety
        await press(app, pilot, "enter")
        text = screen_text(app)
        assert "Case C0000530 · investigation" in text
        assert "Complete the safety assessment — due in 1 day" in text
        assert "safety         +100.00  a child's safety" in text  # the urgency explained
        await press(app, pilot, "escape")
        assert "Olivia Wilson (S0004)" in screen_text(app)
        await press(app, pilot, "escape")
        assert "Child Welfare Unit 1 (U001)" in screen_text(app)

    drive("S0002", body)


def test_board_and_bottleneck_open_their_cases() -> None:
    async def body(app: Any, pilot: Any) -> None:
        await press(app, pilot, "tab", "enter")  # the board's first column: overdue
        text = screen_text(app)
        assert "Child Welfare Unit 1: overdue — 44 cases" in text and "C0000789" in text
        await press(app, pilot, "escape", "tab", "enter")
        text = screen_text(app)
        assert "waiting on substance treatment — 33 cases" in text

    drive("S0002", body)


def test_manager_opens_on_the_office_and_drills_to_a_unit() -> None:
    async def body(app: Any, pilot: Any) -> None:
        text = screen_text(app)
        assert "North County Office (O01)" in text and "859 open cases" in text
        for unit in ("U001 Child Welfare Unit 1", "U004 Child Support Unit 1"):
            assert unit in text
        wait = next(line for line in text.splitlines() if "substance treatment" in line)
        assert wait.split()[-4] == "100"
        await press(app, pilot, "down", "down", "down", "enter")
        text = screen_text(app)
        assert "Child Support Unit 1 (U004)" in text and "Miguel Turner" in text

    drive("S0001", body)


def test_worker_opens_on_their_next_actions() -> None:
    async def body(app: Any, pilot: Any) -> None:
        text = screen_text(app)
        assert "Your next actions" in text
        await press(app, pilot, "enter")
        assert "Case C" in screen_text(app)

    drive("S0003", body)


def test_filter_narrows_the_workers_table() -> None:
    async def body(app: Any, pilot: Any) -> None:
        await press(app, pilot, "slash", *"peterson")
        text = screen_text(app)
        assert "Juan Peterson" in text and "Barbara Peterson" in text
        assert "Olivia Wilson" not in text
        await press(app, pilot, "escape")
        assert "Olivia Wilson" in screen_text(app)

    drive("S0002", body)


def test_redact_toggle_shows_initials_everywhere() -> None:
    async def body(app: Any, pilot: Any) -> None:
        await press(app, pilot, "r")
        text = screen_text(app)
        assert "O.W." in text and "Olivia Wilson" not in text
        assert "supervisor I.M." in text
        await press(app, pilot, "enter", "enter")
        text = screen_text(app)
        assert "Case C0000530" in text and "Stewart" not in text and "M.S." in text

    drive("S0002", body)


def test_help_and_command_palette_open_a_case_by_id() -> None:
    async def body(app: Any, pilot: Any) -> None:
        await press(app, pilot, "question_mark")
        assert "capacity   the hours the caseload needs" in screen_text(app)
        await press(app, pilot, "escape", "ctrl+p", *"C0000494")
        await pilot.pause(0.3)
        await press(app, pilot, "enter")
        assert "Case C0000494" in screen_text(app)

    drive("S0002", body)


def test_a_case_outside_the_unit_is_refused_in_one_sentence() -> None:
    async def body(app: Any, pilot: Any) -> None:
        app.open_case("C0000011")  # a child support case of unit U004
        await press(app, pilot)
        text = screen_text(app)
        assert "Case C0000011 is not in your unit's caseload (unit U001)" in text
        assert "Traceback" not in text

    drive("S0002", body)


def test_a_supervisor_cannot_open_another_unit() -> None:
    async def body(app: Any, pilot: Any) -> None:
        app.open_unit("U002")
        await press(app, pilot)
        assert "Unit U002 is not in your unit (U001)" in screen_text(app)

    drive("S0002", body)


def test_light_theme_renders_the_same_text() -> None:
    async def body(app: Any, pilot: Any) -> None:
        await press(app, pilot, "t")
        assert app.theme == "textual-light"
        assert "Olivia Wilson" in screen_text(app)

    drive("S0002", body)


def test_a_change_to_the_store_reloads_the_view_and_keeps_the_cursor(tmp_path: Any) -> None:
    import sqlite3

    from tests.tui.helpers import copy_sample

    db = copy_sample(tmp_path)

    async def body(app: Any, pilot: Any) -> None:
        await press(app, pilot, "down", "down")  # Angela Wright (third: most behind first)
        table = app.screen.query_one("#main")
        assert table.current_key == "S0007"
        with sqlite3.connect(db) as conn:  # another process: a barrier on an unwaiting case
            conn.execute(
                "INSERT INTO barriers (case_id, what, opened_on, opened_by)"
                " VALUES ('C0000740', 'a court date', '2026-11-20', 'S0002')"
            )
        app._check_store()  # what the 2-second timer does
        await press(app, pilot)
        assert "66 waiting" in screen_text(app)  # was 65
        assert app.screen.query_one("#main").current_key == "S0007"

    drive("S0002", body, db=db)


def test_unit_view_shows_the_key_measure_against_goal_with_a_trend() -> None:
    async def body(app: Any, pilot: Any) -> None:
        text = screen_text(app)
        assert "Children visited monthly 75.4% in Nov · no goal set · trend ▇█████ 96%" in text
        assert "vs goal" in text and "76%/– ▇█▇▆██ 97%" in text  # Olivia Wilson's row

    drive("S0002", body)


def test_case_lists_wrap_the_action_at_80_columns_instead_of_scrolling_sideways() -> None:
    async def body(app: Any, pilot: Any) -> None:
        await press(app, pilot, "enter")  # Olivia Wilson's cases
        lines = screen_text(app).splitlines()
        assert all(len(line) <= 80 for line in lines)
        row = next(i for i, line in enumerate(lines) if "C0000885" in line)
        assert "The caregiver was jailed yesterday — make" in lines[row]
        assert lines[row + 1].strip() == "contact"  # wrapped under the row, not cut off
        table = app.screen.query_one("#main")
        assert table.virtual_size.width <= table.size.width  # nothing to scroll to

    drive("S0002", body, size=(80, 24))


def test_case_screen_footer_shows_every_key_at_80_columns() -> None:
    async def body(app: Any, pilot: Any) -> None:
        await press(app, pilot, "enter", "enter")
        footer = screen_text(app).splitlines()[-1]
        for key in ("esc back", "v visit", "b barrier", "x resolve", "u progress", "q quit",
                    "? help"):  # fmt: skip
            assert key in footer

    drive("S0002", body, size=(80, 24))


def test_office_view_scores_each_unit_against_goal_at_80_columns() -> None:
    async def body(app: Any, pilot: Any) -> None:
        lines = screen_text(app).splitlines()
        assert all(len(line) <= 80 for line in lines)
        text = "\n".join(lines)
        assert "Current support collected 55.8% in Nov · no goal set" in text
        assert "support 56%/– ▆▆▆▆▅▅ 62%" in text and "visits 75%/– ▇█████ 96%" in text

    drive("S0001", body, size=(80, 24))


def test_the_case_card_wraps_a_long_action_under_itself_at_80_columns() -> None:
    # A long action used to wrap to the card's left edge, under the urgency column.
    async def body(app: Any, pilot: Any) -> None:
        await press(app, pilot, "enter", "enter")  # Olivia Wilson, then C0000530
        lines = screen_text(app).splitlines()
        row = next(i for i, line in enumerate(lines) if "Complete the safety assessment" in line)
        assert lines[row].startswith("   114.4  Complete the safety assessment")
        assert lines[row + 1].startswith("          2026-11-26, after the deadline")
        assert all(len(line) <= 80 for line in lines)

    drive("S0002", body, size=(80, 24))


def test_a_worker_has_caseload_waiting_and_score_beside_next_actions() -> None:
    """Issue 14 item 21c: c, w and s (a back to next actions), as casecli caseload,
    waiting and score show them; each key in the footer."""

    async def body(app: Any, pilot: Any) -> None:
        footer = screen_text(app).splitlines()[-1]
        for key in ("a next", "c caseload", "w waiting", "s score"):
            assert key in footer
        await press(app, pilot, "c")
        text = screen_text(app)
        assert "Your caseload · 37 open cases" in text
        assert "C0000530   114.4  act now     Complete the safety assessment" in text
        await press(app, pilot, "w")
        text = screen_text(app)
        assert "What your cases wait on · 13 cases" in text
        assert (
            "substance treatment       C0000450   41 days   substance treatment (waitlisted)"
            in (text)
        )
        assert "7 cases, median 34 days" in text
        await press(app, pilot, "s")
        text = screen_text(app)
        assert "Your score" in text
        assert "Children visited monthly " in text
        # the period first on the line under the name (not wrapping the name at 80)
        assert "this month · visited: 22 of 29 child-months in care" in text
        await press(app, pilot, "escape")  # back to the next actions, from any of them
        assert "Your next actions" in screen_text(app)
        await press(app, pilot, "w", "enter")
        assert "Case C0000450" in screen_text(app)
        await press(app, pilot, "escape")
        assert "What your cases wait on" in screen_text(app)

    drive("S0004", body)


def test_redacted_workers_keep_their_staff_id_so_two_initials_differ() -> None:
    """Issue 14 item 21d: 'O.W. (S0004)', not 'O.W.' alone."""

    async def body(app: Any, pilot: Any) -> None:
        await press(app, pilot, "r")
        text = screen_text(app)
        assert "O.W. (S0004)" in text and "Olivia Wilson" not in text

    drive("S0002", body)


def test_the_palette_lists_each_command_once() -> None:
    """Issue 14 item 21e: one entry for the keys (our Help, not Textual's Keys too), and
    a unit id offered as the unit only, not also as a case."""
    from textual.command import CommandList

    async def titles(app: Any, pilot: Any, query: str) -> list[str]:
        await press(app, pilot, "ctrl+p", *query)
        await pilot.pause(0.3)
        options = app.screen.query_one(CommandList)
        found = [
            str(options.get_option_at_index(i).prompt).split("\n")[0]
            for i in range(options.option_count)
        ]
        await press(app, pilot, "escape")
        return found

    async def body(app: Any, pilot: Any) -> None:
        everything = await titles(app, pilot, "")
        assert len(everything) == len(set(everything))
        assert "Help" in everything and "Keys" not in everything
        assert await titles(app, pilot, "U001") == ["Open unit U001"]

    drive("S0001", body)


def test_office_bottlenecks_read_whole_at_100_columns() -> None:
    """A long wait is not cut ("— 7 c"): its counts have columns of their own."""

    async def body(app: Any, pilot: Any) -> None:
        lines = screen_text(app).splitlines()
        assert any("cases  median  oldest" in line for line in lines)
        hearing = next(line for line in lines if "a new hearing date" in line)
        assert "a new hearing date after the continuance" in hearing
        assert hearing.split()[-4:-1] == ["7", "74d", "120d"]
        substance = next(line for line in lines if "substance treatment" in line)
        assert substance.split()[-4:-1] == ["100", "35d", "73d"]

    drive("S0001", body, size=(100, 30))


def test_a_workers_footer_shows_the_views_and_help_at_80_columns() -> None:
    async def body(app: Any, pilot: Any) -> None:
        for keys in ((), ("c",), ("w",), ("s",)):
            await press(app, pilot, *keys)
            footer = screen_text(app).splitlines()[-1]
            for key in ("a next", "c caseload", "w waiting", "s score", "? help"):
                assert key in footer, (keys, footer)

    drive("S0004", body, size=(80, 24))


def test_an_inactive_redacted_worker_keeps_a_whole_id_at_80_columns() -> None:
    # Issue 14 item 12/21: at 80 columns the worker column is 20 wide; 'A.S. (S0006)
    # (inactive)' cut to 'A.S. (S0… (inactive)' loses what tells two A.S. apart.
    from tui.screens.unit import marked

    assert marked("A.S. (S0006)", False, 20, "S0006") == "S0006 (inactive)"
    assert marked("A.S. (S0006)", False, 24, "S0006") == "A.S. (S0006) (inactive)"
    assert marked("Stephanie Nguyen-Hernandez", False, 20, "S0006") == "Stephani… (inactive)"
    assert marked("A.S. (S0006)", True, 20, "S0006") == "A.S. (S0006)"
