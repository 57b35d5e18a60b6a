"""The supervisor's and manager's commands: ``unit`` and ``bottlenecks``."""

from typing import Annotated, Any

import typer

from casecli.cli.options import Settings, command


def _context(settings: Settings) -> tuple[Any, Any, dict[str, Any]]:
    from casecli.cli.common import books
    from casecli.core.engine import urgency
    from casecli.core.local import config

    conn = settings.connect()
    who = settings.actor(conn)
    kw = {
        "today": settings.today,
        "books": books(settings),
        "coef": urgency.coefficients(config.urgency_overrides()),
        "redact": settings.redact,
    }
    return conn, who, kw


def register(app: typer.Typer) -> None:
    @command(app, "unit", playbooks=True, team=True)
    def unit_(
        settings: Settings,
        unit_id: Annotated[
            str | None,
            typer.Argument(help="The unit (default: yours; a manager's default is the office).", show_default=False),
        ] = None,
    ) -> None:  # fmt: skip
        """The unit view: each worker's load, the cases by situation, the bottlenecks."""
        from casecli.core.views import office, unit

        conn, who, kw = _context(settings)
        view = office.view_for(conn, who, unit_id, **kw)
        if isinstance(view, unit.OfficeView):
            return _out_office(view, settings)
        if settings.json:
            from casecli.render import write_json

            return write_json(unit_json(view, settings))
        from casecli.cli import unit_views

        unit_views.unit_text(view, settings)

    @command(app, "bottlenecks", playbooks=True, team=True)
    def bottlenecks(
        settings: Settings,
        unit_id: Annotated[str | None, typer.Option("--unit", help="A unit.")] = None,
        office_id: Annotated[str | None, typer.Option("--office", help="An office.")] = None,
    ) -> None:
        """What a unit or an office waits on: barriers grouped by service or kind, with ages."""
        from casecli.core.errors import UsageError
        from casecli.core.views import unit

        if unit_id and office_id:
            raise UsageError("Give --unit or --office, not both.")
        conn, who, kw = _context(settings)
        # Only the records barriers depend on are read; no case is evaluated (fast at scale).
        title, groups = unit.bottlenecks_of(conn, who, unit_id, office_id, today=settings.today)
        if settings.json:
            from casecli.render import write_json

            return write_json([group_json(g) for g in groups])
        from casecli.cli import unit_views

        unit_views.bottlenecks_text(title, groups, settings)


def _out_office(view: Any, settings: Settings) -> None:
    if settings.json:
        from casecli.render import write_json

        return write_json(office_json(view, settings))
    from casecli.cli import unit_views

    unit_views.office_text(view, settings)


def _name(name: str | None, settings: Settings) -> str | None:
    from casecli.render import initials

    return initials(name) if settings.redact else name


def figures_json(f: Any) -> dict[str, Any]:
    capacity = f.capacity
    return {
        "open_cases": f.open_cases,
        "due_now": f.due_now,
        "overdue": f.overdue,
        "waiting": f.waiting,
        "stuck": f.stuck,
        "effort_hours": f.effort_hours,
        "hours_available": f.hours_available,
        "capacity_used": round(capacity, 3) if capacity is not None else None,
        # the parts of capacity_used: (case_hours + effort_hours) / hours_available
        "case_hours_per_month": round(f.case_hours_per_month, 2),
        "case_hours": round(f.case_hours, 2),
        "hours_needed": round(f.hours_needed, 2),
    }


def capacity_json(v: Any) -> dict[str, Any]:
    """How capacity_used is worked out, with the playbook rates the view's cases carry."""
    from casecli.core.views import load

    return {
        "capacity": {
            "days": load.CAPACITY_DAYS,
            "days_per_month": load.DAYS_PER_MONTH,
            "case_hours_per_month": dict(v.case_hours),
            "rule": "capacity_used = (case_hours + effort_hours) / hours_available;"
            " case_hours = case_hours_per_month * days / days_per_month;"
            " effort_hours: dated steps open or overdue, due within days;"
            " hours_available = hours_per_week * days / 7",
        }
    }


def score_json(score: Any) -> dict[str, Any] | None:
    """A key measure against its goal (``unit.KeyScore``), or None when there is none."""
    if score is None:
        return None
    return {
        "measure": score.measure,
        "title": score.title,
        "period": score.period,
        "performance": score.performance,
        "goal": score.target,
        "goal_set_for": score.goal_scope,
        "gap": score.gap,
        "met": score.met,
        "trend": [{"period": p, "performance": v} for p, v in score.trend],
    }


def group_json(g: Any) -> dict[str, Any]:
    return {
        "what": g.what,
        "count": g.count,
        "median_days": g.median_days,
        "oldest_days": g.oldest_days,
        "case_ids": list(dict.fromkeys(cid for cid, _ in g.items)),
    }


def owners_json(o: Any, settings: Settings) -> dict[str, Any]:
    """The unassigned cases (with who could take each) and the inactive workers still
    holding open cases (``casecli.core.views.staffing.Owners``)."""
    from casecli.core.views import staffing

    def name(n: str | None) -> str | None:
        return _name(n, settings)

    return {
        "unassigned": [
            {
                "case_id": u.case_id,
                "case_type": u.view.case["case_type"],
                "opened_on": u.view.case["opened_on"],
                "unit_id": u.view.case.get("unit_id"),
                "office_id": u.view.case.get("office_id"),
                "urgency": u.view.urgency,
                "action": staffing.assign_sentence(u, name),
                "candidates": [
                    {
                        "staff_id": w.staff_id,
                        "name": name(w.name),
                        "capacity_used": None if w.capacity is None else round(w.capacity, 3),
                    }
                    for w in u.candidates
                ],
            }
            for u in o.unassigned
        ],
        "held_by_inactive": [
            {
                "staff_id": h.worker.staff_id,
                "name": name(h.worker.name),
                "case_ids": list(h.case_ids),
                "action": staffing.reassign_sentence(h, name),
            }
            for h in o.held
        ],
    }


def unit_json(v: Any, settings: Settings) -> dict[str, Any]:
    return (
        {
            "unit_id": v.unit_id,
            "unit_name": v.unit_name,
            "office_id": v.office_id,
            "supervisor": _name(v.supervisor, settings),
            "as_of": settings.today.isoformat(),
            **settings.freshness_fields(),
            "figures": figures_json(v.figures),
            "key_measure": score_json(v.score),
            "workers": [
                {
                    "staff_id": w.staff_id,
                    "name": _name(w.name, settings),
                    "active": w.active,
                    "hours_per_week": w.hours_per_week,
                    "behind": w.behind,
                }
                | figures_json(w.figures)
                | {"key_measure": score_json(w.score)}
                for w in v.workers
            ],  # fmt: skip
            "board": [
                {"situation": g.situation, "count": g.count, "case_ids": list(g.case_ids)}
                for g in v.board
            ],
            "bottlenecks": [group_json(g) for g in v.bottlenecks],
        }
        | owners_json(v.owners, settings)
        | capacity_json(v)
    )


def office_json(v: Any, settings: Settings) -> dict[str, Any]:
    return (
        {
            "office_id": v.office_id,
            "office_name": v.office_name,
            "as_of": settings.today.isoformat(),
            **settings.freshness_fields(),
            "figures": figures_json(v.figures),
            "key_measures": [score_json(s) for s in v.scores],
            "units": [
                {
                    "unit_id": u.unit_id,
                    "unit_name": u.unit_name,
                    "supervisor": _name(u.supervisor, settings),
                    "workers": len(u.workers),
                    "board": {g.situation: g.count for g in u.board},
                }
                | figures_json(u.figures)
                | {"key_measure": score_json(u.score)}
                for u in v.units
            ],  # fmt: skip
            "board": [{"situation": g.situation, "count": g.count} for g in v.board],
            "bottlenecks": [group_json(g) for g in v.bottlenecks],
        }
        | owners_json(v.owners, settings)
        | capacity_json(v)
    )
