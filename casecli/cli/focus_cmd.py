"""``focus``: where to focus this month, and the monthly digests (``--month --out``)."""

import textwrap
from pathlib import Path
from typing import Annotated, Any

import typer

from casecli.cli.options import Settings, command, echo
from casecli.cli.score_cmd import PERIOD, gap_number, measure_number, measure_options, open_store


def register(app: typer.Typer) -> None:
    @command(app, "focus", playbooks=True, team=True)
    def focus(
        settings: Settings,
        period: PERIOD = None,
        limit: Annotated[
            int, typer.Option("--limit", min=1, help="Cases per measure (default 10).")
        ] = 10,
        month: Annotated[
            str | None, typer.Option("--month", help="With --out: the digests' month, YYYY-MM.")
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Write one Markdown digest per worker into this folder."),
        ] = None,
    ) -> None:
        """The measures you are behind on, the cases that close each gap fastest, and for
        a supervisor or manager the workers furthest behind and furthest ahead."""
        from casecli.core.errors import UsageError
        from casecli.core.measures import periods
        from casecli.core.measures import score as sc

        if (month is None) != (out is None):
            raise UsageError("Give --month YYYY-MM and --out DIR together to write digests.")
        if (
            month is not None
            and periods.parse(month, settings.today, started=True, option="--month").kind != "month"
        ):
            raise UsageError(f"--month {month} is not a month; use YYYY-MM.")
        conn, who = open_store(settings)
        try:
            options = measure_options(settings)
            scope = sc.resolve_scope(conn, who)
            if out is not None:
                from casecli.core.views import digest

                when = periods.parse(month, settings.today)
                paths = digest.write_digests(
                    conn, scope, when, settings.today, out,
                    options=options, limit=limit, redact=settings.redact,
                )  # fmt: skip
            else:
                from casecli.core.measures import focus as fo

                when = periods.parse(period, settings.today, started=True) if period else None
                result = fo.focus(
                    conn, scope, when, settings.today,
                    options=options, limit=limit, redact=settings.redact,
                )  # fmt: skip
        finally:
            conn.close()
        if out is not None:
            if settings.json:
                from casecli.render import write_json

                write_json({"period": month, "digests": [str(p) for p in paths]})
            else:
                from casecli.core.words import plural

                echo(f"Wrote {plural(len(paths), 'digest')} to {out}.")
            return
        if settings.json:
            from casecli.render import write_json

            write_json(focus_json(result) | settings.freshness_fields())
            return
        show_focus(result, settings.redact, settings.freshness())


def focus_json(result: Any) -> dict[str, Any]:
    """``period``: the period asked for (this month when none was, as before); each
    measure's ``period`` is the one it is for (without --period, its default)."""
    from casecli.core.measures import score as sc

    card = result.card
    unread = sc.not_counted(card)
    return {
        "period": card.period.label,
        "period_given": card.given,
        "scope": {"kind": card.scope.kind, "id": card.scope.id},
        # a team store: measures with a goal but no figure (a child's cases read in part)
        **({"not_counted": [x.measure.id for x in unread]} if unread else {}),
        "measures": [
            {
                "measure": fm.line.measure.id,
                "period": fm.line.period.label,
                "performance": fm.line.result.performance,
                "goal": fm.line.goal.target if fm.line.goal else None,
                "gap": fm.line.gap,
                "gap_work": fm.line.gap_work,
                "against": fm.against,
                "cases": [
                    {"case_id": c.case_id, "reason": c.reason}
                    | (
                        {
                            "worker_id": c.worker_id,
                            "worker": c.worker,
                            "worker_active": c.worker_active,
                        }
                        if card.scope.kind != "worker"
                        else {}
                    )
                    for c in fm.cases
                ],  # fmt: skip
            }
            for fm in result.measures
        ],
        "workers": [
            {
                "staff_id": g.staff_id,
                "measure": g.measure,
                "performance": g.performance,
                "goal": g.goal,
                "distance": g.distance,
                "active": g.active,
            }
            for g in result.workers
        ],
    }


def show_focus(result: Any, redact: bool, stale: str | None = None) -> None:
    """Per behind measure: the gap, then its cases; then the workers. Fits 80 columns."""
    from casecli.core.measures import measures
    from casecli.render import console, initials, safe

    out = console()
    width = max(60, min(out.width, 100))
    card = result.card
    s = card.scope
    mixed = len(card.periods) > 1  # no --period: each measure says its own
    when = f"as of {card.today.isoformat()}" if mixed else card.periods[0].label
    head = f"Focus · {s.kind} {s.id or ''} · {when}".replace("  ", " ")
    out.print(f"[bold]{safe(head)}[/]")
    if stale:  # how old the data is, when it is (casecli.core.store.freshness)
        out.print(f"[bold]{safe(stale)}[/]")
    from casecli.core.measures import score as sc

    unread = sc.not_counted(card)
    if unread:  # a team store: goals on measures the login cannot count
        names = ", ".join(x.measure.title for x in unread)
        out.print(
            f"{len(unread)} measure{'s' if len(unread) != 1 else ''} with a goal ({safe(names)})"
            " have no figure on this team store: they follow each child across cases your"
            " login reads only in part; an admin's casecli score shows them."
        )
    if not result.measures and unread:
        out.print("Nothing else to catch up on.")
    elif not result.measures and s.hidden:  # a team store: the peers' figures are not read
        out.print(
            "No goal missed: nothing to catch up on. (On this team store your login does not"
            f" read the {' or '.join(s.hidden)}'s cases, so nothing is compared with them.)"
        )
    elif not result.measures:
        out.print(
            "No goal missed, nothing well below the unit and the office: nothing to catch up on."
        )
    for fm in result.measures:
        m = fm.line.measure
        goal = fm.line.goal.target if fm.line.goal else None
        against = (
            f"{fm.against} ({gap_number(fm.line.gap, m)} to the unit)"
            if fm.against
            else f"{measure_number(goal, m)} ({gap_number(fm.line.gap, m)})"
        )
        line = (
            f"{m.title}{f' ({fm.line.period.label})' if mixed else ''}: "
            f"{measure_number(fm.line.result.performance, m)} against {against}"
        )
        if fm.line.gap_work:
            line += f" · {fm.line.gap_work}"
        out.print()
        for i, text in enumerate(textwrap.wrap(line, width)):
            out.print(f"[bold yellow]{safe(text)}[/]" if i == 0 else f"[yellow]{safe(text)}[/]")
        if not fm.cases:
            out.print("  [dim]no single case closes this gap this month[/]")
        for c in fm.cases:
            whose = ""
            if s.kind != "worker":  # a unit's or office's list spans workers: name each
                name = initials(c.worker) if redact else c.worker
                whose = f" · {name or c.worker_id or 'unassigned'}"
                whose += " (inactive)" if c.worker_active is False else ""
            text = f"{c.case_id}{whose} — {c.reason}"
            lines = textwrap.wrap(text, width - 2, subsequent_indent="  ")
            for text in lines:
                out.print(f"  {safe(text)}")
    if result.workers:
        out.print()
        out.print("[bold]Workers by distance from goal[/] [dim](+ behind: may need help; "
                  "− ahead: practice worth sharing)[/]")  # fmt: skip
        out.print(f"[dim]{'':<{width - 30}}{'score':>8}{'goal':>8}{'distance':>10}[/]")
        current = None
        for g in result.workers:
            m = measures.get(g.measure)
            if g.measure != current:
                current = g.measure
                out.print(f"[bold]{safe(m.title)}[/]")
            name = initials(g.name) if redact else (g.name or "")
            label = f"{g.staff_id} {name}".strip()
            mark = "" if g.active else " (inactive)"  # cut the name, never the mark
            label = label[: width - 32 - len(mark)] + mark
            row = f"  {label:<{width - 32}}{measure_number(g.performance, m):>8}{measure_number(g.goal, m):>8}"
            row += f"{g.distance:>+10.1f}"
            out.print(f"[yellow]{safe(row)}[/]" if g.distance > 0 else safe(row))
