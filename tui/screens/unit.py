"""The unit view: the figures, the workers table, the situation board, the bottlenecks."""

from __future__ import annotations

import textwrap
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Static

from casecli.core.views import staffing
from casecli.core.views.caseload import WaitGroup
from casecli.core.views.load import NEAR_FULL
from casecli.core.views.staffing import Owners
from casecli.core.views.unit import KeyScore, SituationGroup, UnitView
from casecli.render import SHORT_MEASURES, printable, score_cell
from tui.screens.base import DataScreen
from tui.widgets.figures import FiguresBar, pct, person
from tui.widgets.filter import FilterInput
from tui.widgets.table import PagedTable, Row

WORKER_COLUMNS = [("worker", 24), "cases", "due now", "overdue", "waiting", "capacity",
                  ("vs goal", 20)]  # fmt: skip  # "76%/90% ▇█▇▆██ 97%"
BOTTLENECK_COLUMNS: list[str | tuple[str, int]] = [("waiting on", 0), "cases", "median", "oldest"]
NARROW_WORKER_COLUMNS = [("worker", 20), "cases", "due", "overdue", "wait", "cap",
                         ("vs goal", 20)]  # fmt: skip


def marked(name: str, active: bool, width: int, staff_id: str = "") -> str:
    """A worker's name in a column ``width`` wide: an inactive worker's name is cut so
    that ' (inactive)' always shows whole. A redacted name ('A.S. (S0006)') that does
    not fit gives way to its id ('S0006'), never cut: two cut ids could be taken for
    one worker."""
    if active:
        return name
    mark = " (inactive)"
    room = max(width - len(mark), 2)
    if len(name) > room and staff_id and name.endswith(f"({staff_id})"):
        name = staff_id
    return (name if len(name) <= room else name[: room - 1] + "…") + mark


def num(value: object) -> Text:
    return Text(f"{value:,}" if isinstance(value, int) else str(value), justify="right")


def capacity_cell(value: float | None) -> Text:
    bold = "bold" if value is not None and value >= NEAR_FULL else ""
    return Text(pct(value), style=bold, justify="right")


def score_text(score: KeyScore | None, label: bool = False) -> Text:
    """A key measure against its goal, with its trend; bold when short of the goal."""
    if score is None:
        return Text("–")
    style = "" if score.met is None or score.met else "bold"
    short = f"{SHORT_MEASURES.get(score.measure, score.measure)} " if label else ""
    text = Text.from_markup(escape(short) + score_cell(score, markup=True))  # short of goal: yellow
    text.stylize(style)
    return text


class Overview(DataScreen):
    """A unit or an office: a main table over the situation board and the bottlenecks."""

    BINDINGS = [Binding("g", "set_goal", "set goal")]

    MAIN_COLUMNS: list[Any] = []
    NARROW_COLUMNS: list[Any] | None = None  # on a narrower terminal: shorter labels
    NARROW_BELOW = 100
    group_label = ""
    board: tuple[SituationGroup, ...] = ()
    waits: tuple[WaitGroup, ...] = ()

    def compose(self) -> ComposeResult:
        yield FiguresBar("Loading…", id="figures")
        yield PagedTable([("", 9), "owner"], wrap=True, show_header=False, id="owners")
        yield PagedTable(
            self.MAIN_COLUMNS, narrow=self.NARROW_COLUMNS, narrow_below=self.NARROW_BELOW, id="main"
        )
        with Horizontal(id="lower"):
            # an office's counts run to six figures ("14,903" was cut to "14,90")
            yield PagedTable([("situation", 10), ("cases", 7)], id="board")
            # what is awaited takes the box's width (wrapping if it must), its figures in
            # columns of their own: a wait reads whole at 100 columns (a fixed 46 wide
            # "what — 7 cases, median 35 days" was cut to "— 7 c")
            yield PagedTable(BOTTLENECK_COLUMNS, wrap=True, id="bottlenecks")
        yield FilterInput()
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#owners").border_title = "Needs an owner"
        self.query_one("#board").border_title = "Situation"
        self.query_one("#bottlenecks").border_title = "Bottlenecks"
        super().on_mount()

    def show_lower(
        self, name: str, board: tuple[SituationGroup, ...], waits: tuple[WaitGroup, ...]
    ) -> None:
        self.group_label, self.board, self.waits = name, board, waits
        self.query_one("#board", PagedTable).set_rows(
            [Row(g.situation, (g.situation, num(g.count)), g.situation) for g in board]
        )
        self.query_one("#bottlenecks", PagedTable).set_rows(
            [
                Row(
                    g.what,
                    (
                        printable(g.what),
                        num(g.count),
                        num(f"{round(g.median_days)}d"),
                        num(f"{g.oldest_days}d"),
                    ),
                    g.what.lower(),
                )  # fmt: skip
                for g in waits
            ]
        )

    def show_owners(self, owners: Owners) -> None:
        """Unassigned cases (who could take each) and inactive workers holding cases,
        over the main table; hidden when there are none."""
        self.owners = owners
        redact = self.casecli.session.redact

        def name(n: str | None) -> str:
            return person(n, redact)

        def label(w: staffing.Worker) -> str:  # 'P.W. (S0007)' redacted: two P.W. stay two
            return person(w.name, redact, w.staff_id)

        # wrapped here, to the width the bordered table leaves (key column, padding,
        # scroll bar), so that no sentence runs past the border at 80 columns
        width = max(30, self.app.size.width - 22)
        rows = []
        for u in owners.unassigned:
            text = printable(staffing.assign_sentence(u, name, label))
            cell = "\n".join(textwrap.wrap(text, width))
            rows.append(Row(f"case:{u.case_id}", (u.case_id, cell), text.lower()))
        for h in owners.held:
            text = printable(staffing.reassign_sentence(h, name, label))
            sid = h.worker.staff_id
            cell = "\n".join(textwrap.wrap(text, width))
            rows.append(Row(f"worker:{sid}", (sid, cell), text.lower()))
        table = self.query_one("#owners", PagedTable)
        table.set_class(bool(rows), "shown")
        table.set_rows(rows)
        if not self.owners_shown and table.has_focus:  # the screen opens on its main table
            self.query_one("#main", PagedTable).focus()
        self.owners_shown = True

    owners_shown = False  # the first load has been shown (later ones keep the focus)
    owners: Owners | None = None

    def on_resize(self) -> None:
        if self.owners is not None:  # wrapped again for the new width
            self.show_owners(self.owners)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value)
        table = event.data_table.id
        if table == "owners":
            kind, _, ident = key.partition(":")
            if kind == "case":
                self.casecli.open_case(ident)
            else:
                self.casecli.open_worker(ident)
        elif table == "main":
            self.open_main(key)
        elif table == "board":
            group = next(g for g in self.board if g.situation == key)
            self.casecli.open_cases(f"{self.group_label}: {key}", list(group.case_ids))
        elif table == "bottlenecks":
            wait = next(g for g in self.waits if g.what == key)
            ids = list(dict.fromkeys(cid for cid, _ in wait.items))
            self.casecli.open_cases(f"{self.group_label}: waiting on {key}", ids)

    def open_main(self, key: str) -> None:
        raise NotImplementedError

    def goal_choices(self) -> tuple[list[tuple[str, str]], str, list[str], str | None] | None:
        """(scopes to choose from, the one preselected, measures, the measure preselected)."""
        raise NotImplementedError

    def highlighted(self) -> str | None:
        """The main table's highlighted row when the table has the focus."""
        main = self.query_one("#main", PagedTable)
        return main.current_key if main.has_focus else None

    def action_set_goal(self) -> None:
        from tui.screens.forms import GoalForm

        choices = self.goal_choices()
        if choices is None:
            self.notify("The view has not loaded.", severity="warning")
            return

        def done(summary: str | None) -> None:
            if summary:
                self.notify(summary)
                self.casecli.changed()

        self.app.push_screen(GoalForm(*choices), done)


class UnitScreen(Overview):
    MAIN_COLUMNS = WORKER_COLUMNS
    NARROW_COLUMNS = NARROW_WORKER_COLUMNS

    def __init__(self, unit_id: str) -> None:
        super().__init__()
        self.unit_id = unit_id
        self.view: UnitView | None = None

    def fetch(self) -> UnitView:
        return self.casecli.session.unit(self.unit_id)

    def show(self, payload: Any) -> None:
        v: UnitView = payload
        self.view = v
        redact = self.casecli.session.redact
        boss = f"supervisor {person(v.supervisor, redact)} · " if v.supervisor else ""
        boss += f"as of {self.casecli.session.today.isoformat()}"
        scores = (v.score,) if v.score else ()
        self.query_one(FiguresBar).set(
            f"{v.unit_name} ({v.unit_id})",
            v.figures,
            boss,
            scores,
            stale=self.stale,
            stuck_days=v.stuck_days,
        )
        self.show_owners(v.owners)
        rows = []
        for w in v.workers:
            f = w.figures
            name = marked(
                person(w.name, redact, w.staff_id), w.active, self.name_width(), w.staff_id
            )
            counts = (f.open_cases, f.due_now, f.overdue, f.waiting)
            cells = (name, *map(num, counts), capacity_cell(f.capacity), score_text(w.score))
            rows.append(Row(w.staff_id, cells, f"{w.staff_id} {name}".lower()))
        self.query_one("#main", PagedTable).set_rows(rows)
        self.show_lower(v.unit_name, v.board, v.bottlenecks)

    def name_width(self) -> int:
        """The worker column's width at this terminal size (WORKER_COLUMNS)."""
        narrow = self.app.size.width < self.NARROW_BELOW
        return int((NARROW_WORKER_COLUMNS if narrow else WORKER_COLUMNS)[0][1])

    def open_main(self, key: str) -> None:
        self.casecli.open_worker(key)

    def goal_choices(self) -> tuple[list[tuple[str, str]], str, list[str], str | None] | None:
        from casecli.core.measures import measures

        v = self.view
        if v is None:
            return None
        redact = self.casecli.session.redact
        scopes = [(f"unit {v.unit_id} {v.unit_name}", f"unit:{v.unit_id}")]
        scopes += [(f"worker {w.staff_id} {person(w.name, redact)}", f"worker:{w.staff_id}")
                   for w in v.workers]  # fmt: skip
        row = self.highlighted()
        chosen = f"worker:{row}" if row else f"unit:{v.unit_id}"
        key = v.score.measure if v.score else None
        programs = [measures.get(key).program] if key else []
        ids = [m.id for m in measures.for_programs(programs)] or list(measures.MEASURES)
        ids = [m for m in ids if measures.get(m).level == "case"]  # a unit or its workers
        return scopes, chosen, ids, key
