"""The ``/`` filter: an input under a list that narrows it as you type."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class FilterInput(Input):
    BINDINGS = [Binding("escape", "close", "close filter")]

    def __init__(self) -> None:
        super().__init__(
            placeholder="filter: words to match (Enter keeps it, Esc clears)",
            id="filter",
            compact=True,
        )

    def action_close(self) -> None:
        self.value = ""
        self.remove_class("open")
        self.screen.focus_next()
