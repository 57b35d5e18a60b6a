"""Messages the thread workers post back to the screens (small dataclasses), and what a
screen may ask of the app (:class:`Casecli`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from textual.message import Message

if TYPE_CHECKING:
    from textual.screen import Screen

    from casecli.core.store.scope import Actor
    from tui.data import Session


class Casecli(Protocol):
    """What a screen asks of the app (``tui.app.CasecliApp``): a protocol, so that the
    screens do not import the app, which imports them."""

    session: Session
    who: Actor
    generation: int

    def back(self) -> None: ...
    def changed(self) -> None: ...
    def open_case(self, case_id: str) -> None: ...
    def open_cases(self, title: str, case_ids: list[str]) -> None: ...
    def open_unit(self, unit_id: str) -> None: ...
    def open_worker(self, staff_id: str) -> None: ...
    def my_work(self, name: str) -> Screen[None]: ...


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
