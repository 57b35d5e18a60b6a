"""What every data screen shares: load in a thread worker, show, reload on change, filter."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static

from casecli.render import printable
from tui.messages import Casecli, Loaded, LoadFailed, user_error
from tui.widgets.filter import FilterInput
from tui.widgets.table import PagedTable


class DataScreen(Screen[None]):
    """Subclasses give ``fetch()`` (runs in a thread: the store, never widgets) and
    ``show(payload)`` (runs on the UI: widgets, never the store)."""

    BINDINGS = [
        Binding("escape", "back", "back"),
        Binding("slash", "filter", "filter"),
        Binding("f5", "reload", "refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.loaded_generation = -1
        # "data as of 2026-12-01 (8 days ago)" when the newest export is more than a day
        # older than today (casecli.core.store.freshness): each view's header says so
        self.stale: str | None = None

    @property
    def casecli(self) -> Casecli:
        return self.app  # type: ignore[return-value]

    def status(self, text: str) -> None:
        """A line under the view ("Loading…", a failed read): plain text, no escape codes."""
        for s in self.query("#status").results(Static):
            s.update(Text(printable(text)))
            s.display = bool(text)

    def on_mount(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loaded_generation not in (-1, self.casecli.generation):
            self.reload()

    def reload(self) -> None:
        if self.loaded_generation == -1:
            self.status("Loading…")
        self._load(self.casecli.generation)

    @work(thread=True, exclusive=True, group="load")
    def _load(self, generation: int) -> None:
        try:
            payload = self.fetch()
            stale = self.casecli.session.freshness()
        except Exception as exc:  # one place turns every failure into a sentence
            self.post_message(LoadFailed(user_error(exc)))
            return
        self.post_message(Loaded(payload, generation, stale))

    def on_loaded(self, message: Loaded) -> None:
        self.loaded_generation = message.generation
        self.stale = message.stale
        self.status("")
        self.show(message.payload)

    def on_load_failed(self, message: LoadFailed) -> None:
        self.loaded_generation = self.casecli.generation
        self.status(message.error)
        self.notify(message.error, severity="error", timeout=8)

    def fetch(self) -> Any:
        raise NotImplementedError

    def show(self, payload: Any) -> None:
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return len(self.app.screen_stack) > 1
        if action == "filter":
            return bool(self.query(FilterInput))
        return True

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.casecli.back()

    def action_filter(self) -> None:
        for f in self.query(FilterInput):
            f.add_class("open")
            f.focus()

    def _filter_target(self) -> PagedTable | None:
        tables = list(self.query(PagedTable))
        focused = next((t for t in tables if t.has_focus), None)
        return focused or getattr(self, "_last_table", None) or (tables[0] if tables else None)

    def on_descendant_focus(self, event: Any) -> None:
        if isinstance(event.widget, PagedTable):
            self._last_table = event.widget

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            table = self._filter_target()
            if table is not None:
                table.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            table = self._filter_target()
            if table is not None:
                table.focus()


class MyWork(DataScreen):
    """A worker's own views of their work, side by side: next actions (``a``), caseload
    (``c``), waiting (``w``) and score (``s``), as ``casecli next``, ``caseload``,
    ``waiting`` and ``score`` show them. A key swaps the view in place over the next
    actions, so Esc goes back to them from any of the others."""

    VIEW = ""
    BINDINGS = [
        Binding("a", "view('next')", "next", tooltip="Your next actions"),
        Binding("c", "view('caseload')", "caseload", tooltip="Your cases, one line each"),
        Binding("w", "view('waiting')", "waiting", tooltip="What your cases wait on"),
        Binding("s", "view('score')", "score", tooltip="Your measures against goals"),
    ]

    def action_view(self, name: str) -> None:
        if name == self.VIEW:
            return
        stack = self.app.screen_stack
        below = stack[-2] if len(stack) > 1 else None
        if isinstance(below, MyWork) and name == below.VIEW:
            self.app.pop_screen()  # back to the view underneath (the next actions)
        elif below is None:
            self.app.push_screen(self.casecli.my_work(name))  # the first screen is never switched out
        else:
            self.app.switch_screen(self.casecli.my_work(name))
