"""Messages the thread workers post back to the screens: small dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class Loaded(Message):
    """A screen's data arrived (``generation``: the store's state it was read at)."""

    payload: Any
    generation: int
    stale: str | None = None  # "data as of 2026-12-01 (8 days ago)" when it is old


@dataclass
class LoadFailed(Message):
    """A read failed; ``error`` is one sentence for the user."""

    error: str


@dataclass
class Saved(Message):
    """A form's write went through; ``summary`` says what was recorded."""

    summary: str


@dataclass
class SaveFailed(Message):
    """A form's write was refused (invalid or out of scope); ``error`` says why."""

    error: str


def user_error(exc: BaseException) -> str:
    """One sentence for the screen: a casecli error's own words; for a bug, no data."""
    from casecli.core.errors import CasecliError

    if isinstance(exc, CasecliError):
        return str(exc)
    return f"Internal error ({type(exc).__name__}); nothing was changed. Please report it."
