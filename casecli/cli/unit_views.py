"""Text renderings of the unit, office and bottleneck views, readable at 80 columns."""

from __future__ import annotations

from typing import Any

from casecli.cli.options import Settings
from casecli.render import console, initials, printable, safe

TOP = 3


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _fit(text: str, width: int) -> str:
    text = printable(text)
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _name(name: str | None, settings: Settings) -> str:
    return initials(name) if settings.redact else (name or "")


def _figures_line(f: Any) -> str:
    return (
        f"{f.open_cases} open cases · {f.due_now} due now · {f.overdue} overdue · "
        f"{f.waiting} waiting · capacity used {_pct(f.capacity)}"
    )


def unit_text(v: Any, settings: Settings) -> None:
    out = console()
    width = max(out.width, 60)
    who = f" · supervisor {safe(_name(v.supervisor, settings))}" if v.supervisor else ""
    out.print(
        f"[bold]{safe(v.unit_name)}[/] ({safe(v.unit_id)}){who} · as of {settings.today.isoformat()}"
    )
    out.print(_figures_line(v.figures))
    name_w = max(20, width - 46)
    out.print(
        f"\n[bold]{'worker':<{name_w}}  {'cases':>5}  {'due now':>7}  {'overdue':>7}  {'waiting':>7}  {'capacity':>8}[/]"
    )
    for w in v.workers:
        label = f"{w.staff_id} {_name(w.name, settings)}" + ("" if w.active else " (inactive)")
        f = w.figures
        out.print(
            f"{safe(_fit(label, name_w)):<{name_w}}  {f.open_cases:>5}  {f.due_now:>7}  "
            f"{f.overdue:>7}  {f.waiting:>7}  {_pct(f.capacity):>8}",
            highlight=False,
        )
    out.print("[dim]capacity: effort hours due in the next 14 days over two weeks of hours.[/]")
    _board(out, v.board, width)
    _groups(out, v.bottlenecks, width, top=0, limit=8)
    out.print("[dim]casecli bottlenecks shows the oldest cases of each; casecli case ID a case.[/]")


def _board(out: Any, board: Any, width: int) -> None:
    out.print("\n[bold]Situation[/]")
    for g in board:
        ids = " ".join(g.case_ids[:TOP]) + (" …" if g.count > TOP else "")
        out.print(f"  {g.situation:<11} {g.count:>5}  {safe(_fit(ids, width - 21))}")


def _groups(
    out: Any, groups: Any, width: int, *, top: int, limit: int | None = None, head: bool = True
) -> None:
    from casecli.core.unit import bottleneck_words

    if head:
        out.print("\n[bold]Bottlenecks[/]")
    if not groups:
        out.print("  nothing is waiting on anyone.")
        return
    shown = list(groups)[:limit] if limit else list(groups)
    for g in shown:
        out.print(f"  {safe(_fit(f'{bottleneck_words(g)}, oldest {g.oldest_days}', width - 2))}")
        for cid, b in g.items[:top]:
            out.print(f"    {safe(cid):<10} {b.age_days:>4} days  {safe(_fit(b.what, width - 26))}")
    if len(shown) < len(groups):
        out.print(f"  [dim]… and {len(groups) - len(shown)} more kinds of wait[/]")


def office_text(v: Any, settings: Settings) -> None:
    out = console()
    width = max(out.width, 60)
    out.print(
        f"[bold]{safe(v.office_name)}[/] ({safe(v.office_id)}) · as of {settings.today.isoformat()}"
    )
    out.print(_figures_line(v.figures))
    name_w = max(20, width - 53)
    out.print(
        f"\n[bold]{'unit':<{name_w}}  {'staff':>5}  {'cases':>5}  {'due now':>7}  {'overdue':>7}  {'waiting':>7}  {'capacity':>8}[/]"
    )
    for u in v.units:
        f = u.figures
        out.print(
            f"{safe(_fit(f'{u.unit_id} {u.unit_name}', name_w)):<{name_w}}  {len(u.workers):>5}  "
            f"{f.open_cases:>5}  {f.due_now:>7}  {f.overdue:>7}  {f.waiting:>7}  {_pct(f.capacity):>8}",
            highlight=False,
        )
    _board(out, v.board, width)
    _groups(out, v.bottlenecks, width, top=0, limit=8)
    out.print("[dim]casecli unit UNIT_ID shows a unit's workers.[/]")


def bottlenecks_text(title: str, groups: Any, settings: Settings) -> None:
    out = console()
    width = max(out.width, 60)
    out.print(f"[bold]What {safe(title)} waits on[/] · as of {settings.today.isoformat()}")
    _groups(out, groups, width, top=TOP, head=False)
