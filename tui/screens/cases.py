"""Lists of cases and actions: a worker's cases, a board column or a wait's cases, and a
worker's own next actions. Enter opens the case card."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from casecli.core.engine.engine import Action, CaseView
from casecli.core.views.load import WorkerLoad
from casecli.core.views.unit import situation_group
from casecli.core.words import plural
from casecli.render import printable
from tui.screens.base import DataScreen, MyWork
from tui.widgets.figures import FiguresBar, person
from tui.widgets.filter import FilterInput
from tui.widgets.table import PagedTable, Row

CASE_COLUMNS: list[str | tuple[str, int]] = [
    ("case", 9),
    ("urg", 5),
    ("situation", 10),
    ("next action", 0),  # the rest of the width, wrapped
]
ACTION_COLUMNS: list[str | tuple[str, int]] = [
    ("#", 3),
    ("case", 9),
    ("due", 10),
    ("urg", 5),
    ("action", 0),
]


GROUP_COLUMNS: list[str | tuple[str, int]] = [
    ("case", 9),
    ("worker", 14),  # a board column or a wait spans workers: whose each case is ('O.W. (S0004)')
    ("urg", 5),
    ("situation", 10),
    ("next action", 0),
]


def worker_cell(worker: Any, redact: bool) -> str:
    """'O. Wilson' ('O.W. (S0004)' redacted); an inactive worker's '(inactive)' on its own line
    (the cell wraps): the mark is never cut; 'unassigned' for nobody's."""
    if worker is None:
        return "unassigned"
    name = person(worker.name, redact, worker.staff_id) or worker.staff_id
    parts = name.split()
    short = f"{parts[0][0]}. {parts[-1]}" if len(parts) > 1 and not redact else name
    short = short if len(short) <= 14 else short[:13] + "…"
    return short if worker.active else f"{short}\n(inactive)"


def case_rows(
    views: list[CaseView], redact: bool, workers: dict[str, Any] | None = None
) -> list[Row]:
    """One row per case; with ``workers`` (staff id -> staffing.Worker), a worker column."""
    rows = []
    for v in views:
        nxt = printable(v.next_action or "")
        kind = str(v.case["case_type"]).replace("_", " ")
        situation = situation_group(v.situation)  # "waiting on …": the card says on what
        family = person(v.case.get("name"), redact)
        text = f"{v.case_id} {kind} {printable(v.situation)} {nxt} {family}".lower()
        urg = Text(f"{v.urgency:.1f}", justify="right")
        if workers is None:
            rows.append(Row(v.case_id, (v.case_id, urg, situation, nxt), text))
            continue
        sid = v.case.get("worker_id")
        who = worker_cell(workers.get(str(sid)) if sid is not None else None, redact)
        if sid is not None and str(sid) not in workers:
            who = str(sid)
        text += f" {who}".lower()
        rows.append(Row(v.case_id, (v.case_id, who, urg, situation, nxt), text))
    return rows


class CaseList(DataScreen):
    heading = ""

    def compose(self) -> ComposeResult:
        yield FiguresBar(Text(printable(self.heading or "Loading…"), style="bold"), id="figures")
        yield PagedTable(CASE_COLUMNS, wrap=True, id="main")
        yield FilterInput()
        yield Static(id="status")
        yield Footer()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.casecli.open_case(str(event.row_key.value))


class WorkerScreen(CaseList):
    """One worker's open cases, most urgent first."""

    def __init__(self, staff_id: str) -> None:
        super().__init__()
        self.staff_id = staff_id

    def fetch(self) -> tuple[WorkerLoad, list[CaseView]]:
        return self.casecli.session.worker(self.staff_id)

    def show(self, payload: Any) -> None:
        load, views = payload
        redact = self.casecli.session.redact
        self.query_one(FiguresBar).set(
            f"{person(load.name, redact)} ({load.staff_id})", load.figures,
            f"{load.hours_per_week:g} h/week" + ("" if load.active else " · inactive"),
            stale=self.stale, stuck_days=int(self.casecli.session.coef["stuck_days"]),
        )  # fmt: skip
        self.query_one("#main", PagedTable).set_rows(case_rows(views, redact))


class GroupScreen(CaseList):
    """The cases of a board column or of a bottleneck, with whose each one is."""

    def compose(self) -> ComposeResult:
        yield FiguresBar(Text(printable(self.heading or "Loading…"), style="bold"), id="figures")
        yield PagedTable(GROUP_COLUMNS, wrap=True, id="main")
        yield FilterInput()
        yield Static(id="status")
        yield Footer()

    def __init__(self, title: str, case_ids: list[str]) -> None:
        super().__init__()
        self.heading = f"{title} — {plural(len(case_ids), 'case')}"
        self.case_ids = case_ids

    def fetch(self) -> tuple[list[CaseView], dict[str, Any]]:
        return self.casecli.session.cases_and_workers(self.case_ids)

    def show(self, payload: Any) -> None:
        heading = Text(printable(self.heading), style="bold")
        if self.stale:
            heading.append(f" · {self.stale}")
        self.query_one(FiguresBar).update(heading)
        views, workers = payload
        self.query_one("#main", PagedTable).set_rows(
            case_rows(views, self.casecli.session.redact, workers)
        )


class NextScreen(MyWork):
    """A worker's next actions across their caseload, ranked (``casecli next``)."""

    VIEW = "next"
    BINDINGS = [Binding("g", "set_goal", "set goal", show=False)]

    def action_set_goal(self) -> None:
        """Goals are for supervisors and managers; the form says so (a worker who asks
        reads the refusal there rather than finding no way to ask)."""
        from casecli.core.measures import measures
        from tui.screens.forms import GoalForm

        who = self.casecli.who
        scope = f"worker:{who.staff_id}"
        ids = [m.id for m in measures.MEASURES.values() if m.level == "case"]
        self.app.push_screen(GoalForm([(f"you ({who.staff_id})", scope)], scope, ids, None))

    def compose(self) -> ComposeResult:
        yield Static("[b]Your next actions[/] · Enter opens the case", id="figures")
        yield PagedTable(ACTION_COLUMNS, wrap=True, id="main")
        yield FilterInput()
        yield Static(id="status")
        yield Footer(compact=True)  # a c w s beside the rest, at 80 columns

    def fetch(self) -> list[Action]:
        return self.casecli.session.next_actions()

    def show(self, payload: Any) -> None:
        heading = Text.assemble(("Your next actions", "bold"), " · Enter opens the case")
        if self.stale:
            heading.append(f" · {self.stale}", style="bold")
        self.query_one("#figures", Static).update(heading)
        rows = []
        for rank, a in enumerate(payload, 1):
            due = a.due_on.isoformat() if a.due_on else ""
            text = printable(a.action)
            cells = (rank, a.case_id, due, Text(f"{a.urgency:.1f}", justify="right"), text)
            rows.append(Row(f"{rank}:{a.case_id}", cells, f"{a.case_id} {text}".lower()))
        self.query_one("#main", PagedTable).set_rows(rows)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.casecli.open_case(str(event.row_key.value).split(":", 1)[1])
