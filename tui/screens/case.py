"""The case screen: the case card, and the forms that record what was done."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from casecli.render import printable
from tui.data import CaseCard
from tui.screens.base import DataScreen
from tui.widgets.case_card import card_text


class CaseScreen(DataScreen):
    # short descriptions, so that every key fits the footer at 80 columns (? says more)
    BINDINGS = [
        Binding("v", "record", "visit", tooltip="Record a visit or contact"),
        Binding("b", "barrier", "barrier", tooltip="Add a barrier: what the case waits on"),
        Binding("x", "resolve", "resolve", tooltip="Resolve a barrier"),
        # g sets a performance goal everywhere else: plan goal progress is u ("update")
        Binding("u", "progress", "progress", tooltip="Update plan goal progress"),
    ]

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.card: CaseCard | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="card-scroll"):
            yield Static(Text(f"Case {printable(self.case_id)}"), id="card")
        yield Static(id="status")
        yield Footer(compact=True, show_command_palette=False)  # Ctrl+P still opens it

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("record", "barrier", "resolve", "progress"):
            return self.card is not None
        return super().check_action(action, parameters)

    def fetch(self) -> CaseCard:
        return self.casecli.session.case(self.case_id)

    def show(self, payload: Any) -> None:
        self.card = payload
        self.refresh_bindings()
        session = self.casecli.session
        width = self.size.width - 4  # the card's padding (2) and a scrollbar's room (2)
        card = card_text(payload, session.today, session.redact, stale=self.stale, width=width)
        self.query_one("#card", Static).update(card)
        self.query_one("#card-scroll").focus()

    def on_resize(self) -> None:
        """Wrap the card again for the new width."""
        if self.card is not None:
            self.show(self.card)

    def _open_form(self, form: Any) -> None:
        if self.card is None:
            self.notify("The case has not loaded.", severity="warning")
            return

        def done(summary: str | None) -> None:
            if summary:
                self.notify(summary)
                self.casecli.changed()

        self.app.push_screen(form, done)

    def action_record(self) -> None:
        from tui.screens.forms import RecordForm

        if self.card is not None:
            self._open_form(RecordForm(self.card))

    def action_barrier(self) -> None:
        from tui.screens.forms import BarrierForm

        if self.card is not None:
            self._open_form(BarrierForm(self.card))

    def action_resolve(self) -> None:
        from tui.screens.forms import ResolveForm

        if self.card is not None:
            self._open_form(ResolveForm(self.card))

    def action_progress(self) -> None:
        from tui.screens.forms import ProgressForm

        if self.card is not None:
            self._open_form(ProgressForm(self.card))
