"""The office view (a manager's): the units side by side, the office's board and waits;
and, for an admin, the list of units."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Static

from casecli.core.views.unit import OfficeView
from tui.screens.base import DataScreen
from tui.screens.unit import Overview, capacity_cell, num, score_text
from tui.widgets.figures import FiguresBar, person
from tui.widgets.filter import FilterInput
from tui.widgets.table import PagedTable, Row

UNIT_COLUMNS = [("unit", 25), ("staff", 5), "cases", "due now", "overdue", "waiting", "capacity",
                ("key measure vs goal", 0)]  # fmt: skip
# Under 115 columns the staff count is left out (the unit view has it) so that the unit's
# name and "support 56%/70% ▆▆▆▆▅▅ 62%" both fit at 80.
NARROW_UNIT_COLUMNS = [("unit", 0), None, "cases", "due", "overdue", "wait", "cap",
                       "vs goal"]  # fmt: skip


class OfficeScreen(Overview):
    MAIN_COLUMNS = UNIT_COLUMNS
    NARROW_COLUMNS = NARROW_UNIT_COLUMNS
    NARROW_BELOW = 115

    def __init__(self, office_id: str) -> None:
        super().__init__()
        self.office_id = office_id
        self.view: OfficeView | None = None

    def fetch(self) -> OfficeView:
        return self.casecli.session.office(self.office_id)

    def show(self, payload: Any) -> None:
        v: OfficeView = payload
        self.view = v
        redact = self.casecli.session.redact
        self.query_one(FiguresBar).set(
            f"{v.office_name} ({v.office_id})",
            v.figures,
            f"office · as of {self.casecli.session.today.isoformat()}",
            v.scores,
            stale=self.stale,
            stuck_days=v.stuck_days,
        )
        rows = []
        for u in v.units:
            f = u.figures
            counts = (len(u.workers), f.open_cases, f.due_now, f.overdue, f.waiting)
            cells = (
                f"{u.unit_id} {u.unit_name}", *map(num, counts), capacity_cell(f.capacity),
                score_text(u.score, label=True),
            )  # fmt: skip
            text = f"{u.unit_id} {u.unit_name} {person(u.supervisor, redact)}".lower()
            rows.append(Row(u.unit_id, cells, text))
        self.query_one("#main", PagedTable).set_rows(rows)
        self.show_owners(v.owners)
        self.show_lower(v.office_name, v.board, v.bottlenecks)

    def open_main(self, key: str) -> None:
        self.casecli.open_unit(key)

    def goal_choices(self) -> tuple[list[tuple[str, str]], str, list[str], str | None] | None:
        from casecli.core.measures import measures

        v = self.view
        if v is None:
            return None
        scopes = [(f"office {v.office_id} {v.office_name}", f"office:{v.office_id}")]
        scopes += [(f"unit {u.unit_id} {u.unit_name}", f"unit:{u.unit_id}") for u in v.units]
        row = self.highlighted()
        chosen = f"unit:{row}" if row else f"office:{v.office_id}"
        unit = next((u for u in v.units if u.unit_id == row), None)
        key = unit.score.measure if unit and unit.score else None
        key = key or (v.scores[0].measure if v.scores else None)
        return scopes, chosen, list(measures.MEASURES), key


class UnitsScreen(DataScreen):
    """Every unit (an admin's start): pick one."""

    def compose(self) -> ComposeResult:
        yield Static("[b]Units[/] · Enter opens one", id="figures")
        yield PagedTable([("unit", 8), ("name", 40)], id="main")
        yield FilterInput()
        yield Static(id="status")
        yield Footer()

    def fetch(self) -> list[tuple[str, str]]:
        return self.casecli.session.units()

    def show(self, payload: Any) -> None:
        heading = Text.assemble(("Units", "bold"), " · Enter opens one")
        if self.stale:
            heading.append(f" · {self.stale}", style="bold")
        self.query_one("#figures", Static).update(heading)
        rows = [Row(u, (u, str(n or "")), f"{u} {n}".lower()) for u, n in payload]
        self.query_one("#main", PagedTable).set_rows(rows)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.casecli.open_unit(str(event.row_key.value))
