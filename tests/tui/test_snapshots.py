"""Snapshots (SVG) of the unit, office and case screens at 100x30 on sample.db, as of
2026-11-24. After a deliberate change to what they show, or a Textual upgrade:
``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at the new SVGs."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import pytest

from tests.tui.helpers import SAMPLE, TODAY, settle

pytest.importorskip("pytest_textual_snapshot")

TAKEN_WITH = "8.2.8"  # Textual's rendering changes between releases
pytestmark = pytest.mark.skipif(
    version("textual") != TAKEN_WITH,
    reason=f"snapshots were taken with textual {TAKEN_WITH}; run with --snapshot-update",
)
SIZE = (100, 30)


def _app(user: str) -> Any:
    from tui.app import make_app

    return make_app(SAMPLE, user, TODAY, watch=False)


def _settled(*keys: str) -> Any:
    async def run_before(pilot: Any) -> None:
        await settle(pilot.app, pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot.app, pilot)

    return run_before


def test_unit_screen(snap_compare: Any) -> None:
    assert snap_compare(_app("S0002"), terminal_size=SIZE, run_before=_settled())


def test_office_screen(snap_compare: Any) -> None:
    assert snap_compare(_app("S0001"), terminal_size=SIZE, run_before=_settled())


def test_case_screen(snap_compare: Any) -> None:
    assert snap_compare(_app("S0002"), terminal_size=SIZE, run_before=_settled("enter", "enter"))
