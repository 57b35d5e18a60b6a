"""Text renderings of the unit, office and bottleneck views, readable at 80 columns."""

from __future__ import annotations

import textwrap
from typing import Any

from casecli.cli.options import Settings
from casecli.cli.views import age_cell
from casecli.core.views.load import capacity_words
from casecli.core.words import count, plural
from casecli.render import (
    SHORT_MEASURES,
    console,
    initials,
    printable,
    safe,
    score_cell,
    score_now,
    score_words,
)

TOP = 3


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _fit(text: str, width: int) -> str:
    text = printable(text)
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _heading(out: Any, heading: str, settings: Settings) -> None:
    """The view's heading, '· as of 2026-12-09', and under it how old the data is when
    it is ('Data as of 2026-11-24 (15 days ago).', casecli.core.store.freshness)."""
    out.print(f"{heading} · as of {settings.today.isoformat()}")
    stale = settings.freshness()
    if stale:
        out.print(f"[bold]{safe(stale)}[/]")


def _name(name: str | None, settings: Settings) -> str:
    return initials(name) if settings.redact else (name or "")


def _figures_line(f: Any) -> str:
    return (
        f"{plural(f.open_cases, 'open case')} · {count(f.due_now)} due now · "
        f"{count(f.overdue)} overdue · {count(f.waiting)} waiting · "
        f"capacity used {_pct(f.capacity)}"
    )


def _stuck_line(out: Any, v: Any) -> None:
    """'14 steps stuck > 90 days — reconcile with the system of record', when any are."""
    from casecli.core.views.unit import stuck_words

    if v.figures.stuck:
        out.print(f"[bold]{stuck_words(v.figures.stuck, v.stuck_days)}[/]")


# (label, width) of the figure columns; the short labels under 100 columns
WIDE = (("cases", 5), ("due now", 7), ("overdue", 7), ("waiting", 7), ("capacity", 8))
SHORT = (("cases", 5), ("due", 4), ("overdue", 7), ("wait", 4), ("cap", 4))
GOAL_W = 20  # a worker's "76%/90% ▂▇▄▃▅▅ 97%"
UNIT_GOAL_W = 26  # an office's unit, labelled: "support 56%/90% ▂▇▄▃▅▅ 56%"
UNIT_GOAL_NARROW_W = 16  # the same under 100 columns, without the trend: "support 56%/90%"


def _columns(width: int) -> tuple[tuple[str, int], ...]:
    return WIDE if width >= 100 else SHORT


def _head(first: str, name_w: int, cols: tuple[tuple[str, int], ...], goal_w: int = GOAL_W) -> str:
    cells = "  ".join(f"{label:>{w}}" for label, w in cols)
    return f"[bold]{first:<{name_w}}  {cells}  {'vs goal':<{goal_w}}[/]"


def _row(
    label: str, name_w: int, cols: tuple[tuple[str, int], ...], values: list[str],
    active: bool = True,
) -> str:  # fmt: skip
    """A table row; an inactive worker's label ends '(inactive)', never cut away."""
    cells = "  ".join(f"{v:>{w}}" for v, (_, w) in zip(values, cols, strict=True))
    return f"{safe(fit_marked(label, name_w, active)):<{name_w}}  {cells}"


def fit_marked(name: str, width: int, active: bool) -> str:
    """``name`` cut to ``width``, with ' (inactive)' kept whole at the end when the worker
    is inactive: the name is cut, never the mark."""
    if active:
        return _fit(name, width)
    mark = " (inactive)"
    return _fit(name, max(width - len(mark), 1)) + mark


def owners_text(out: Any, owners: Any, width: int, settings: Settings, limit: int = 8) -> None:
    """'Needs an owner': the unassigned cases, most urgent first, each with who could take
    it, then the inactive workers still holding open cases. Nothing when there are none."""
    from casecli.core.views import staffing

    if not owners.unassigned and not owners.held:
        return
    out.print("\n[bold]Needs an owner[/]")
    text_w = max(width - 12, 30)

    def lines(key: str, text: str) -> None:
        for i, line in enumerate(textwrap.wrap(printable(text), text_w) or [""]):
            out.print(f"  {safe(key if i == 0 else ''):<10}{safe(line)}", highlight=False)

    def name(n: str | None) -> str:
        return _name(n, settings)

    for u in owners.unassigned[:limit]:
        lines(u.case_id, staffing.assign_sentence(u, name))
        top = max(u.view.actions, key=lambda a: a.urgency, default=None)
        if top is not None:
            lines("", f"now: {top.action}")
    if len(owners.unassigned) > limit:
        more = plural(len(owners.unassigned) - limit, "more unassigned case")
        out.print(f"  [dim]… and {more}: casecli unit UNIT_ID lists a unit's.[/]")
    for h in owners.held:
        ids = " ".join(h.case_ids[:TOP]) + (" …" if len(h.case_ids) > TOP else "")
        lines(h.worker.staff_id, f"{staffing.reassign_sentence(h, name)}: {ids}")


def _score_line(score: Any) -> str:
    return safe(score_words(score)) if score is not None else ""


def _goal_cell(score: Any, label: bool = False, trend: bool = True) -> str:
    """'visits 76%/90% ▃█▅▁▆▇ 97%'; without ``trend`` (an office's table under 100
    columns, where the unit's name needs the room; the trend is on the unit's own view)
    'visits 76%/90%'."""
    if score is None:
        return "–"
    short = f"{SHORT_MEASURES.get(score.measure, score.measure)} " if label else ""
    if not trend:
        return safe(short + score_now(score))
    return safe(short) + score_cell(score, markup=True)  # the months short of goal: yellow


def _name_width(room: int, labels: list[str], least: int) -> int:
    """The name column: the room the figures leave, but no wider than the longest label,
    so that at 200 columns the figures sit beside the names, not 150 characters away."""
    return max(least, min(room, max((len(x) for x in labels), default=least)))


def unit_text(v: Any, settings: Settings) -> None:
    out = console()
    width = max(out.width, 60)
    who = f" · supervisor {safe(_name(v.supervisor, settings))}" if v.supervisor else ""
    _heading(out, f"[bold]{safe(v.unit_name)}[/] ({safe(v.unit_id)}){who}", settings)
    out.print(_figures_line(v.figures))
    _stuck_line(out, v)
    if v.score is not None:
        out.print(_score_line(v.score))
    owners_text(out, v.owners, width, settings)
    cols = _columns(width)
    labels = [
        f"{w.staff_id} {_name(w.name, settings)}" + ("" if w.active else " (inactive)")
        for w in v.workers
    ]
    name_w = _name_width(width - sum(w + 2 for _, w in cols) - GOAL_W - 2, labels, 16)
    out.print("\n" + _head("worker", name_w, cols))
    for w in v.workers:
        f = w.figures
        values = [count(f.open_cases), count(f.due_now), count(f.overdue), count(f.waiting)]
        out.print(
            _row(f"{w.staff_id} {_name(w.name, settings)}", name_w, cols,
                 [*values, _pct(f.capacity)], active=w.active)
            + "  " + _goal_cell(w.score),
            highlight=False,
        )  # fmt: skip
    out.print(f"[dim]capacity: {safe(capacity_words(v.case_hours))}.[/]")
    if v.score is not None:
        out.print(
            f"[dim]vs goal: {safe(v.score.title.lower())} in {v.score.period} / the goal,"
            " then the six months before.[/]"
        )
    _board(out, v.board, width)
    _groups(out, v.bottlenecks, width, top=0, limit=8)
    out.print("[dim]casecli bottlenecks shows the oldest cases of each; casecli case ID a case.[/]")


def _board(out: Any, board: Any, width: int) -> None:
    out.print("\n[bold]Situation[/]")
    for g in board:
        ids = " ".join(g.case_ids[:TOP]) + (" …" if g.count > TOP else "")
        out.print(f"  {g.situation:<11} {count(g.count):>5}  {safe(_fit(ids, width - 21))}")


def _groups(
    out: Any, groups: Any, width: int, *, top: int, limit: int | None = None, head: bool = True
) -> None:
    from casecli.core.views.unit import bottleneck_words

    if head:
        out.print("\n[bold]Bottlenecks[/]")
    if not groups:
        out.print("  nothing is waiting on anyone.")
        return
    shown = list(groups)[:limit] if limit else list(groups)
    for g in shown:
        out.print(f"  {safe(_fit(f'{bottleneck_words(g)}, oldest {g.oldest_days}', width - 2))}")
        for cid, b in g.items[:top]:
            out.print(
                f"    {safe(cid):<10} {age_cell(b.age_days)}  "
                + (f"#{b.number} " if b.number is not None else "")
                + safe(
                    _fit(
                        b.what, width - 26 - (len(str(b.number)) + 2 if b.number is not None else 0)
                    )
                )
            )
    if len(shown) < len(groups):
        more = plural(len(groups) - len(shown), "more kind of wait", "more kinds of wait")
        out.print(f"  [dim]… and {more}[/]")


def office_text(v: Any, settings: Settings) -> None:
    out = console()
    width = max(out.width, 60)
    _heading(out, f"[bold]{safe(v.office_name)}[/] ({safe(v.office_id)})", settings)
    out.print(_figures_line(v.figures))
    _stuck_line(out, v)
    for score in v.scores:
        out.print(_score_line(score))
    owners_text(out, v.owners, width, settings)
    # The unit's name reads whole first: the staff count, then the trend, give way when
    # it would not (both are on the unit's own view): "U001 Child Welfare Unit 1" at 80.
    labels = [f"{u.unit_id} {u.unit_name}" for u in v.units]
    longest = max((len(x) for x in labels), default=12)
    for staff, trend in ((True, True), (False, True), (False, False)):
        cols = (("staff", 5), *_columns(width)) if staff else _columns(width)
        goal_w = UNIT_GOAL_W if trend else UNIT_GOAL_NARROW_W
        room = width - sum(w + 2 for _, w in cols) - goal_w - 2
        if room >= longest:
            break
    name_w = _name_width(room, labels, 12)
    out.print("\n" + _head("unit", name_w, cols, goal_w))
    for u, label in zip(v.units, labels, strict=True):
        f = u.figures
        values = [count(len(u.workers))] if staff else []
        values += [count(f.open_cases), count(f.due_now)]
        values += [count(f.overdue), count(f.waiting), _pct(f.capacity)]
        out.print(
            _row(label, name_w, cols, values) + "  " + _goal_cell(u.score, True, trend),
            highlight=False,
        )
    out.print(f"[dim]capacity: {safe(capacity_words(v.case_hours))}.[/]")
    _board(out, v.board, width)
    _groups(out, v.bottlenecks, width, top=0, limit=8)
    out.print("[dim]casecli unit UNIT_ID shows a unit's workers.[/]")


def bottlenecks_text(title: str, groups: Any, settings: Settings) -> None:
    out = console()
    width = max(out.width, 60)
    _heading(out, f"[bold]What {safe(title)} waits on[/]", settings)
    _groups(out, groups, width, top=TOP, head=False)
