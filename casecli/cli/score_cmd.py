"""Measures and goals: ``score``, ``goals set``, ``goals list``."""

import textwrap
from typing import Annotated, Any

import typer

from casecli.cli.options import Settings, command, echo
from casecli.cli.usage import Group

WORKER = Annotated[str | None, typer.Option("--worker", help="A worker's score (staff id).")]
UNIT = Annotated[str | None, typer.Option("--unit", help="A unit's score (unit id).")]
OFFICE = Annotated[str | None, typer.Option("--office", help="An office's score (office id).")]
PERIOD = Annotated[
    str | None,
    typer.Option(
        "--period",
        help="YYYY-MM, FFY2026 or YYYY-MM-DD..YYYY-MM-DD (default: each measure's own: this "
        "federal fiscal year for the fiscal-year measures, this month for the others).",
    ),
]
SCALES = {
    "percent": "percent",
    "rate": "per 1,000 days",
    "ratio": "dollars collected per dollar spent",
}


def open_store(settings: Settings, write: str | None = None) -> tuple[Any, Any]:
    conn = settings.connect(write=write)
    return conn, settings.actor(conn)


def measure_options(settings: Settings) -> Any:
    from casecli.cli.common import books
    from casecli.core.measures import measures

    return measures.Options.from_playbooks(books(settings))


def _scope_choice(worker: str | None, unit: str | None, office: str | None) -> tuple[Any, Any]:
    from casecli.core.errors import UsageError

    given = [(k, v) for k, v in (("worker", worker), ("unit", unit), ("office", office)) if v]
    if len(given) > 1:
        raise UsageError("Choose one of --worker, --unit or --office.")
    return given[0] if given else (None, None)


def register(app: typer.Typer) -> None:
    @command(app, "score", playbooks=True, team=True)
    def score(
        settings: Settings,
        worker: WORKER = None,
        unit: UNIT = None,
        office: OFFICE = None,
        period: PERIOD = None,
    ) -> None:
        """Measures against goals, beside the unit and the office, with the gap in work.

        Without --period each measure is for its own period: the fiscal-year measures
        (IV-D, permanency, re-entry, placement stability, cost-effectiveness) for this
        federal fiscal year, the others (visits, timely response, investigations) for
        this month; each line says which."""
        from casecli.core.measures import periods
        from casecli.core.measures import score as sc

        kind, scope_id = _scope_choice(worker, unit, office)
        conn, who = open_store(settings)
        try:
            when = (
                periods.parse(period, settings.today, started=True)
                if period and period.strip()
                else None
            )
            scope = sc.resolve_scope(conn, who, kind, scope_id)
            card = sc.scorecard(
                conn, scope, when, settings.today, options=measure_options(settings)
            )
        finally:
            conn.close()
        if settings.json:
            from casecli.render import write_json

            write_json(score_json(card) | settings.freshness_fields())
            return
        show_score(card, who, settings.redact, settings.freshness())

    goals_app = typer.Typer(cls=Group, help="Performance goals: set, list.", no_args_is_help=True)
    app.add_typer(goals_app, name="goals")

    @command(goals_app, "set", team=True)
    def goals_set(
        settings: Settings,
        scope: Annotated[str, typer.Argument(help="worker:STAFF_ID, unit:UNIT_ID or office:ID.")],
        measure: Annotated[str, typer.Argument(help="The measure id, e.g. monthly_visits.")],
        target: Annotated[
            str,
            typer.Argument(
                show_default=False,
                help="The target: a percent, a rate (per 1,000 or 100,000 days), or dollars "
                "collected per dollar spent (4.5).",
            ),
        ],
        period: Annotated[
            str | None,
            typer.Option("--period", help="Only for this period (default: every period)."),
        ] = None,
    ) -> None:
        """Set a goal for a worker, a unit or an office (the latest set wins).

        MEASURE: support_orders, current_collections, arrears_collections,
        paternity_establishment, monthly_visits, visits_in_home, timely_response,
        investigations_closed_on_time, investigations_overdue, permanency_12_months,
        permanency_12_23_months, permanency_24_months, reentry_12_months,
        placement_stability (moves per 1,000 days), maltreatment_in_care (victimisations
        per 100,000 days), recurrence_12_months or cost_effectiveness (dollars collected
        per dollar spent, for an office only); the others are percents. A worker inherits
        the unit's goal, a unit the office's.
        """
        from casecli.core.measures import goals, measures

        kind, scope_id = goals.parse_scope(scope)
        value = goals.parse_target(target, measures.get(measure))
        conn, who = open_store(settings, write="local")
        try:
            goal = goals.set_goal(conn, who, kind, scope_id, measure, value, period)
        finally:
            conn.close()
        if settings.json:
            from casecli.render import write_json

            write_json(goal_json(goal))
            return
        m = measures.get(goal.measure)
        sign = "≥" if m.direction == "higher" else "≤"
        echo(
            f"Goal set: {goal.measure} {sign} {measure_number(goal.target, m)} for {goal.scope_kind} "
            f"{goal.scope_id}, {goal.period or 'every period'} (#{goal.id})."
        )

    @command(goals_app, "list", team=True)
    def goals_list(
        settings: Settings,
        scope: Annotated[
            str | None, typer.Option("--scope", help="Only this scope, e.g. unit:U1.")
        ] = None,
        measure: Annotated[str | None, typer.Option("--measure", help="Only this measure.")] = None,
        history: Annotated[
            bool, typer.Option("--history", help="Also the goals later ones replaced.")
        ] = False,
    ) -> None:
        """The goals you can see: your reach and what you inherit."""
        from casecli.core.measures import goals

        kind, scope_id = goals.parse_scope(scope) if scope else (None, None)
        conn, who = open_store(settings)
        try:
            rows = goals.list_goals(
                conn, who, scope_kind=kind, scope_id=scope_id, measure=measure, history=history
            )
            example = goals.example_scope(conn, who)
        finally:
            conn.close()
        if settings.json:
            from casecli.render import write_json

            write_json([goal_json(g) for g in rows])
            return
        show_goals(rows, example)


# JSON ---------------------------------------------------------------------------------


def goal_json(goal: Any) -> dict[str, Any]:
    keys = ("id", "scope_kind", "scope_id", "measure", "target", "period", "set_by", "set_at")
    return {k: getattr(goal, k) for k in keys}


def period_json(p: Any, today: Any) -> dict[str, Any]:
    return {
        "label": p.label,
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "complete": p.complete(today),
    }


def score_json(card: Any) -> dict[str, Any]:
    """The scorecard for scripts (EXPORTS.md/README): ``period`` is the period asked for
    (this month when none was, as before); ``period_given`` False says each measure is
    for its own default period, which its ``period`` names."""
    p = card.period
    out: dict[str, Any] = {
        "scope": {
            "kind": card.scope.kind,
            "id": card.scope.id,
            "unit": card.scope.unit_id,
            "office": card.scope.office_id,
        },
        "period": {
            "label": p.label,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "complete": p.complete(card.today),
            "as_of": card.today.isoformat(),
        },
        "period_given": card.given,
        "measures": [],
    }
    if card.scope.hidden:  # a team store: the comparisons the login cannot read
        out["not_shown"] = list(card.scope.hidden)
    from casecli.core.measures import score as sc
    from casecli.render import trend_text

    for line in card.lines:
        m, r = line.measure, line.result
        target = line.goal.target if line.goal else None
        out["measures"].append(
            {
                "measure": m.id,
                "title": m.title,
                "program": m.program,
                "period": period_json(line.period, card.today),
                "level": m.level,
                "applicable": line.applicable,
                "numerator": r.numerator if line.applicable else None,
                "denominator": r.denominator if line.applicable else None,
                "performance": r.performance,
                "direction": m.direction,
                "scale": f"per {m.per:,} days" if m.unit == "rate" else SCALES[m.unit],
                "counts": {"numerator": m.counts[0], "denominator": m.counts[1]},
                "goal": line.goal.target if line.goal else None,
                "goal_from": line.goal.scope if line.goal else None,
                "gap": line.gap,
                "gap_work": line.gap_work,
                "unit": line.unit,
                "office": line.office,
                "applicable_percentage": line.applicable_percentage,
                "penalty": line.penalty.below if line.penalty else None,
                "penalty_rule": line.penalty.rule if line.penalty else None,
                "previous_year": line.previous_year,
                "complete": r.complete,
                "note": r.note,
                "trend": [{"period": k, "performance": v} for k, v in line.trend],
                # the trend as the text shows it: one 0-100 scale for a percent, the last
                # month as a number, and each month against the goal (None: no goal)
                "trend_text": trend_text([v for _, v in line.trend], m.unit, target),
                "trend_met": [sc.met(v, target, m.direction) for _, v in line.trend],
            }
        )
    return out


# Text ---------------------------------------------------------------------------------


def measure_number(value: float | None, m: Any) -> str:
    """75.4%, 1.93 (per 1,000 days), $4.62 (per $1 spent); – for none."""
    from casecli.core.measures.measures import figure

    return figure(value, m.unit)


def gap_number(value: float | None, m: Any) -> str:
    if value is None:
        return "–"
    return f"{value:+.2f}" if m.unit == "ratio" else f"{value:+.1f}"


def period_words(p: Any, today: Any) -> str:
    """'FFY2027 to 2026-11-24' while it runs, 'FFY2026' once over."""
    return p.label if p.complete(today) else f"{p.label} to {today.isoformat()}"


def _heading(card: Any, who: Any, redact: bool) -> str:
    from casecli.render import initials

    s = card.scope
    if s.kind == "worker":
        name = initials(s.name) if redact else (s.name or "")
        title = f"{'You' if s.id == who.staff_id else 'Worker'} {s.id} {name}".rstrip()
        title += f" · unit {s.unit_id} · office {s.office_id}"
    elif s.kind == "all":
        title = "All offices"
    else:
        title = f"{s.kind.capitalize()} {s.id} {s.name or ''}".rstrip()
        if s.kind == "unit":
            title += f" · office {s.office_id}"
    if len(card.periods) > 1:  # no --period: each group of lines says its own
        return f"{title} · as of {card.today.isoformat()}"
    return f"{title} · {period_words(card.periods[0], card.today)}"


GROUP_WORDS = {"ffy": "Fiscal-year measures", "month": "Monthly measures"}


def show_score(card: Any, who: Any, redact: bool, stale: str | None = None) -> None:
    """One row per measure (performance, goal, gap, unit, office, federal %, trend) and a
    line in words under it; fits 80 columns. Without --period the lines come in groups,
    one per period (this fiscal year, this month), each under its own heading."""
    from casecli.core.measures import score as sc
    from casecli.render import console, safe

    out = console()
    width = max(60, min(out.width, 100))
    first = {"worker": "you" if card.scope.id == who.staff_id else "worker"}.get(
        card.scope.kind, card.scope.kind
    )
    cols = [first, "goal", "gap"]
    cols += ["unit"] if card.scope.kind == "worker" else []
    cols += ["office"] if card.scope.kind in ("worker", "unit") else []
    fed = any(line.measure.iv_d for line in card.lines)
    cols += ["fed%"] if fed else []
    title_w = width - 7 * len(cols) - 15  # the trend: '▃█▅▁▆▇ 97%', up to 12
    for text in textwrap.wrap(_heading(card, who, redact), width):
        out.print(f"[bold]{safe(text)}[/]")
    if stale:  # how old the data is, when it is (casecli.core.store.freshness)
        out.print(f"[bold]{safe(stale)}[/]")
    out.print(f"[bold]{'':<{title_w}}{''.join(f'{c:>7}' for c in cols)}  6 months[/]")
    groups = card.periods
    for period in groups:
        if len(groups) > 1:
            kind = GROUP_WORDS.get(period.kind, "Measures")
            out.print(f"[bold]{kind}: {safe(period_words(period, card.today))}[/]")
        for line in (x for x in card.lines if x.period == period):
            _score_row(out, card, line, title_w, width, fed)
    notes = [
        "gap: short of the goal (+ behind)",
        "6 months: the months before, oldest first, on a 0-100% scale, then the last of them"
        " (yellow: short of the goal)",
    ]
    if len(groups) == 1 and not groups[0].complete(card.today):
        notes.insert(0, f"{groups[0].label} so far, to {card.today.isoformat()}")
    if fed:
        fed_note = "fed%: 45 CFR 305.33 applicable percentage"
        if any(x.measure.iv_d and not sc.fiscal_year(x.period) for x in card.lines):
            from casecli.core.measures.periods import ffy_of

            fed_note += f" (—: a fiscal-year measure; --period {ffy_of(card.today).label} shows it)"
        notes.insert(1, fed_note)
    if any(x.measure.unit == "ratio" for x in card.lines):
        notes.append("$ per $1: support collected per dollar the office spent (costs.csv)")
    if card.scope.hidden:
        notes.append(
            f"no {' or '.join(card.scope.hidden)} figure: on this team store your login reads"
            f" {sc.TEAM_WORDS.get(who.role, 'your own cases')} alone"
        )
    for text in textwrap.wrap("; ".join(notes) + ".", width):
        out.print(f"[dim]{safe(text)}[/]")


def _score_row(out: Any, card: Any, line: Any, title_w: int, width: int, fed: bool) -> None:
    from casecli.core.measures import score as sc
    from casecli.render import months_text, printable, safe, trend_markup

    m, r = line.measure, line.result
    cells = [
        measure_number(r.performance, m),
        measure_number(line.goal.target if line.goal else None, m),
        gap_number(line.gap, m),
    ]
    if card.scope.kind == "worker":
        cells.append(measure_number(line.unit, m))
    if card.scope.kind in ("worker", "unit"):
        cells.append(measure_number(line.office, m))
    if fed:
        fiscal = m.iv_d and r.performance is not None and not sc.fiscal_year(line.period)
        pct = line.applicable_percentage
        cells.append("—" if fiscal else "" if pct is None else str(pct))
    target = line.goal.target if line.goal else None
    spark = trend_markup([v for _, v in line.trend], m.unit, target, m.direction)
    title = m.title[:title_w]
    behind = line.behind
    row = f"{title:<{title_w}}{''.join(f'{c:>7}' for c in cells)}  "
    out.print((f"[yellow]{safe(row)}[/]" if behind else safe(row)) + spark)
    words = [sc.count_words(m, r)] if line.applicable else []
    if line.penalty and line.penalty.below:  # first: a state is fined for it
        words.insert(0, f"below the penalty floor: {line.penalty.rule}")
    if line.gap_work:
        words.append(line.gap_work)
    words += [n for n in r.notes if not n.startswith("to date")]
    for text in textwrap.wrap(" · ".join(words), width - 4, break_on_hyphens=False):
        out.print(f"  [dim]{safe(printable(text))}[/]")
    if any(v is not None for _, v in line.trend):  # the six months as numbers
        months = f"6 months: {months_text(line.trend, m.unit)}"
        for text in textwrap.wrap(months, width - 4, break_on_hyphens=False):
            out.print(f"  [dim]{safe(text)}[/]")


def show_goals(rows: list[Any], example: str | None = None) -> None:
    """The goals, or 'No goals set.' with an example for a scope that exists (``example``,
    goals.example_scope), so the hint can be typed as it stands."""
    from casecli.core.measures import measures
    from casecli.render import console, safe

    out = console()
    if not rows:
        hint = f" [dim](casecli goals set {safe(example)} monthly_visits 95)[/]" if example else ""
        out.print(f"No goals set.{hint}")
        return
    scope_w = max(5, *(len(g.scope) for g in rows))
    measure_w = max(7, *(len(g.measure) for g in rows))
    out.print(
        f"[bold]{'scope':<{scope_w}}  {'measure':<{measure_w}}  {'target':>7}  "
        f"{'period':<10}  set by[/]"
    )
    for g in rows:
        m = measures.get(g.measure)
        out.print(
            safe(
                f"{g.scope:<{scope_w}}  {g.measure:<{measure_w}}  {measure_number(g.target, m):>7}  "
                f"{g.period or 'every':<10}  {g.set_by} {g.set_at[:10]}"
            )
        )
