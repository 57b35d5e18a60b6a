"""``?``: the keys, and what the figures mean."""

from __future__ import annotations

import textwrap

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = """\
[b]Keys[/]
  Enter   open the worker, unit, group or case under the cursor
  Esc     back            /   filter the list (Esc closes the filter)
  n / p   next / previous page of a long list     Tab  move between tables
  g       set a goal (unit, office): the highlighted row's, else the whole's
  r       initials and id, not names (screen sharing)   t  light / dark
  a c w s your next actions, caseload, waits, score (a worker)
  Ctrl+P  palette: open a unit, a case (type its id), redact, theme
  F5      read the store again (it also reloads itself after a sync)
  q       quit
[b]On a case[/]
  v  record a visit or contact     b  add a barrier (what, which step)
  x  resolve a barrier             u  update plan goal progress
[b]The figures[/]
  due now    actions due today or before; chases and contacts (undated)
  overdue    step actions past their due date (a worker with any is behind)
  waiting    cases with at least one barrier
  capacity   CAPACITY
  vs goal    the key measure (children visited monthly; current support
             collected) this month / its goal; the 6 months before ▁▂▃▄▅▆▇█
[dim]Esc or ? closes this.[/]"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "dismiss", "close"), Binding("question_mark", "dismiss", "close")]

    def __init__(self, capacity: str = "") -> None:
        super().__init__()
        self.capacity = capacity  # load.capacity_words: the rule, with the playbooks' hours

    def compose(self) -> ComposeResult:
        words = f"the hours the caseload needs, as a share of the hours the worker has (100% = a full fortnight): {self.capacity}"
        lines = textwrap.wrap(escape(words), 60)
        with VerticalScroll(id="help"):
            yield Static(HELP.replace("CAPACITY", "\n             ".join(lines)))
