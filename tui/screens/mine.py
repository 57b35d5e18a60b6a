"""A worker's caseload, waits and score, beside their next actions (tui/screens/cases.py):
the values ``casecli caseload``, ``casecli waiting`` and ``casecli score`` show, from the
same core functions (casecli.core.views.caseload, casecli.core.measures.score)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Static

from casecli.core.engine.engine import CaseView
from casecli.core.measures import score as sc
from casecli.core.views.caseload import WaitGroup
from casecli.core.views.unit import wait_counts
from casecli.core.words import days, plural
from casecli.render import measure_value, printable, trend_text
from tui.screens.base import MyWork
from tui.screens.cases import CASE_COLUMNS, case_rows
from tui.widgets.filter import FilterInput
from tui.widgets.table import PagedTable, Row

WAIT_COLUMNS: list[str | tuple[str, int]] = [
    ("waiting on", 24),
    ("case", 9),
    ("age", 8),
    ("barrier", 0),  # the rest of the width, wrapped
]
SCORE_COLUMNS: list[str | tuple[str, int]] = [
    ("measure", 0),  # the title, and under it the counts and the gap in work
    ("you", 6),
    ("goal", 6),
    ("unit", 6),
    ("office", 6),
    ("6 months", 11),
]


class Mine(MyWork):
    """One table under a heading; Enter opens the case of the row (a key 'Cxxx' or
    'anything:Cxxx')."""

    COLUMNS: list[str | tuple[str, int]] = []
    TITLE_WORDS = ""

    def compose(self) -> ComposeResult:
        yield Static(Text(self.TITLE_WORDS, style="bold"), id="figures")
        yield PagedTable(self.COLUMNS, wrap=True, id="main")
        yield FilterInput()
        yield Static(id="status")
        yield Footer(compact=True)  # a c w s beside the rest, at 80 columns

    def heading(self, note: str) -> None:
        text = Text.assemble((self.TITLE_WORDS, "bold"), f" · {note}")
        if self.stale:
            text.append(f" · {self.stale}", style="bold")
        self.query_one("#figures", Static).update(text)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value).rsplit(":", 1)[-1]
        if key:
            self.casecli.open_case(key)


class CaseloadScreen(Mine):
    """``casecli caseload``: each open case, its situation and next action."""

    VIEW = "caseload"
    COLUMNS = CASE_COLUMNS
    TITLE_WORDS = "Your caseload"

    def fetch(self) -> list[CaseView]:
        return self.casecli.session.my_cases()

    def show(self, payload: Any) -> None:
        self.heading(f"{plural(len(payload), 'open case')} · Enter opens the case")
        redact = self.casecli.session.redact
        self.query_one("#main", PagedTable).set_rows(case_rows(payload, redact))


class WaitingScreen(Mine):
    """``casecli waiting``: what the cases wait on, grouped, with counts and ages."""

    VIEW = "waiting"
    COLUMNS = WAIT_COLUMNS
    TITLE_WORDS = "What your cases wait on"

    def fetch(self) -> list[WaitGroup]:
        return self.casecli.session.waiting()

    def show(self, payload: Any) -> None:
        groups: list[WaitGroup] = payload
        cases = len({cid for g in groups for cid, _ in g.items})
        self.heading(f"{plural(cases, 'case')} · Enter opens the case")
        rows = []
        for g in groups:
            for i, (cid, b) in enumerate(g.items):
                # the wait and its counts on its first case's row (the cell wraps)
                head = f"{printable(g.what)}\n{wait_counts(g)}" if i == 0 else ""
                ref = f"#{b.number} " if b.number is not None else ""
                text = f"{ref}{printable(b.what)}"
                cells = (head, cid, days(b.age_days), text)
                rows.append(Row(f"{g.what}:{i}:{cid}", cells, f"{g.what} {cid} {text}".lower()))
        if not rows:
            self.heading("nothing is waiting on anyone")
        self.query_one("#main", PagedTable).set_rows(rows)


class ScoreScreen(Mine):
    """``casecli score``: your measures against goals, beside your unit and office; under
    each, its counts and the gap in work ("4 more child visits this month")."""

    VIEW = "score"
    COLUMNS = SCORE_COLUMNS
    TITLE_WORDS = "Your score"

    def fetch(self) -> sc.Scorecard:
        return self.casecli.session.score()

    def show(self, payload: Any) -> None:
        card: sc.Scorecard = payload
        self.heading(f"as of {card.today.isoformat()} · 6 months: the months before, oldest first")
        rows = []
        for line in card.lines:
            m, r = line.measure, line.result
            # the period leads the line under the name: "(this month)" after the name
            # wrapped it at 80 columns ("Children visited monthly (this" / "month)")
            words = [sc.when_words(line.period, card.today)]
            if line.applicable:
                words.append(sc.count_words(m, r))
            elif sc.read_in_part(line):  # a team store: why there is no figure
                words.append("no figure: it follows each child across cases you read in part")
            if line.gap_work:
                words.append(line.gap_work)
            title = Text(m.title)
            behind = line.behind
            title.stylize("bold" if behind else "")
            title.append("\n" + printable(" · ".join(words)), style="dim")
            target = line.goal.target if line.goal else None
            cells = (
                title,
                *(
                    Text(measure_value(v, m.unit, 0), justify="right")
                    for v in (r.performance, target, line.unit, line.office)
                ),
                trend_text([v for _, v in line.trend], m.unit, target),
            )
            rows.append(Row(f"{m.id}:", cells, m.title.lower()))
        self.query_one("#main", PagedTable).set_rows(rows)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """A measure is no case: nothing to open."""
