"""The two lines over a unit or office: what it is, and its figures."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from casecli.core.views.unit import stuck_words
from casecli.core.words import initials, initials_with_id, noun
from casecli.render import printable, score_words


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def person(name: str | None, redact: bool, ident: str | None = None) -> str:
    """A name as the TUI shows it: redacted, its initials; with ``ident`` (a staff id),
    the initials and the id ('O.W. (S0004)'), so that two 'J.P.' stay two people."""
    if not redact:
        return printable(name or "")
    return printable(initials_with_id(name, ident) if ident else initials(name))


class FiguresBar(Static):
    def set(
        self,
        title: str,
        figures: Any,
        note: str = "",
        scores: tuple[Any, ...] = (),
        stale: str | None = None,
        stuck_days: int = 90,
    ) -> None:
        """The title, the figures, and a line per key measure against its goal;
        ``stale``: how old the data is, when it is (in bold after the note); the steps stuck
        past ``stuck_days`` on a line of their own, when any are."""
        f = figures
        text = Text()
        text.append(printable(title), style="bold")
        if note:
            text.append(f" · {printable(note)}", style="dim")
        if stale:
            text.append(f" · {printable(stale)}", style="bold")
        text.append("\n")
        for value, label in (
            (f.open_cases, noun(f.open_cases, "open case")),
            (f.due_now, "due now"),
            (f.overdue, "overdue"),
            (f.waiting, "waiting"),
        ):
            text.append(f"{value:,}", style="bold")
            text.append(f" {label} · ")
        text.append(pct(f.capacity), style="bold")
        text.append(" capacity used")
        if f.stuck:
            text.append("\n")
            text.append(printable(stuck_words(f.stuck, stuck_days)), style="bold")
        for score in scores:
            style = "" if score.met is None else ("green" if score.met else "bold")
            text.append("\n")
            text.append(score_words(score), style=style)
        self.update(text)
