"""A DataTable that shows one page of rows at a time, filters, and keeps its cursor.

Textual's DataTable slows down past a few thousand rows, so only ``PAGE`` rows are ever
in it; the rest wait in a plain list (``n``/``p`` page through, ``/`` filters).

Columns are ``"label"`` (as wide as its cells), ``("label", width)`` or
``("label", 0)``: the one column that takes what is left of the terminal's width, so
that the table never scrolls sideways; with ``wrap`` its text wraps onto more lines
of the row. ``narrow`` is another set of the same columns (shorter labels, narrower;
``None`` leaves that column out) used while the terminal is less than ``narrow_below``
(``NARROW``) columns wide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

PAGE = 200
NARROW = 100
Columns = Sequence[str | tuple[str, int] | None]


@dataclass(frozen=True)
class Row:
    key: str
    cells: tuple[Any, ...]
    text: str  # what the filter matches, lower case


class PagedTable(DataTable[Any]):
    BINDINGS = [
        Binding("n", "page(1)", "next page", show=False),
        Binding("p", "page(-1)", "prev page", show=False),
    ]

    def __init__(
        self,
        columns: Columns,
        *,
        narrow: Columns | None = None,
        narrow_below: int = NARROW,
        wrap: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)
        self._wide = columns
        self._narrow = narrow
        self._narrow_below = narrow_below
        self._wrap = wrap
        self._layout: tuple[Any, ...] | None = None
        self._kept: list[int] = []  # the indices of the cells shown at this width
        self._rows: list[Row] = []
        self._shown: list[Row] = []
        self._filter = ""
        self._page = 0

    def on_mount(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw(self.current_key)

    def _lay_out(self, page: list[Row]) -> None:
        """Columns for this width and these rows: the fill column gets what the others
        (as wide as their label and cells) leave, so nothing scrolls sideways."""
        width = self.size.width or self.app.size.width
        wide_enough = self.app.size.width >= self._narrow_below or self._narrow is None
        spec = self._wide if wide_enough else self._narrow
        assert spec is not None
        kept = [i for i, col in enumerate(spec) if col is not None]
        widths = []
        for i, col in enumerate(spec):
            if col is None:
                continue
            if isinstance(col, tuple):
                widths.append(col[1])
            else:
                cells = (_cell_len(r.cells[i]) for r in page if i < len(r.cells))
                widths.append(max([len(col), *cells]))
        fill = max(12, width - sum(widths) - 2 * len(kept) - 2)  # 2: the scroll bar
        layout = tuple(
            (c[0], c[1] or fill) if isinstance(c, tuple) else c for c in spec if c is not None
        )
        self._kept = kept
        if layout == self._layout:
            return
        self._layout = layout
        self.clear(columns=True)
        for i, col in enumerate(layout):
            if isinstance(col, tuple):
                self.add_column(col[0], width=col[1], key=str(i))
            else:
                self.add_column(col, key=str(i))

    @property
    def total(self) -> int:
        return len(self._shown)

    @property
    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def set_rows(self, rows: list[Row]) -> None:
        """New data; the cursor stays on the same key when it is still there."""
        self._rows = rows
        self._refilter(self.current_key)

    def set_filter(self, text: str) -> None:
        self._filter = text.strip().lower()
        self._page = 0
        self._refilter(None)

    def _refilter(self, keep: str | None) -> None:
        words = self._filter.split()
        self._shown = [r for r in self._rows if all(w in r.text for w in words)]
        if keep is not None:
            index = next((i for i, r in enumerate(self._shown) if r.key == keep), None)
            if index is not None:
                self._page = index // PAGE
        self._page = min(self._page, max(0, (len(self._shown) - 1) // PAGE))
        self._draw(keep)

    def _draw(self, keep: str | None = None) -> None:
        start = self._page * PAGE
        page = self._shown[start : start + PAGE]
        self._lay_out(page)
        self.clear()
        for r in page:
            self.add_row(
                *(r.cells[i] for i in self._kept), key=r.key, height=None if self._wrap else 1
            )
        keys = [r.key for r in page]
        if keep in keys:
            self.move_cursor(row=keys.index(keep), animate=False)
        self.border_subtitle = self.summary()

    def summary(self) -> str:
        n = len(self._shown)
        if n <= PAGE and not self._filter:
            return ""
        start = self._page * PAGE
        what = f"{start + 1}–{min(start + PAGE, n)} of {n}" if n else "none"
        extra = f" matching “{self._filter}”" if self._filter else ""
        more = " · n/p page" if n > PAGE else ""
        return f"{what}{extra}{more}"

    def action_page(self, step: int) -> None:
        last = max(0, (len(self._shown) - 1) // PAGE)
        page = min(max(self._page + step, 0), last)
        if page != self._page:
            self._page = page
            self._draw()


def _cell_len(value: Any) -> int:
    return value.cell_len if isinstance(value, Text) else cell_len(str(value))
