"""What a worker carries: each open case's share of the work, a worker's load, and capacity
used (DOMAIN.md, "Capacity"). The unit and office views add these up
(:mod:`casecli.core.views.unit`), and so does staffing when it proposes who could take a
case (:mod:`casecli.core.views.staffing`); it sits below both so that neither imports the
other for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from casecli.core.engine import playbooks
from casecli.core.engine.engine import CaseView
from casecli.core.local import kept

if TYPE_CHECKING:
    from casecli.core.views.unit_score import KeyScore

CAPACITY_DAYS = 14
DAYS_PER_MONTH = 365.25 / 12  # 30.4375: case hours a month -> case hours in CAPACITY_DAYS
DEFAULT_HOURS_PER_WEEK = 40.0
NEAR_FULL = 0.9  # capacity used from which a worker's load is shown in bold


@dataclass(frozen=True)
class Figures:
    open_cases: int = 0
    due_now: int = 0
    overdue: int = 0
    waiting: int = 0
    effort_hours: float = 0.0
    hours_available: float = 0.0  # two weeks of everyone's hours
    stuck: int = 0  # step actions overdue past urgency.stuck_days (the "stuck" term)
    case_hours_per_month: float = 0.0  # the open cases' steady work a month (playbooks)

    @property
    def case_hours(self) -> float:
        """The open cases' steady work over the CAPACITY_DAYS window."""
        return self.case_hours_per_month * CAPACITY_DAYS / DAYS_PER_MONTH

    @property
    def hours_needed(self) -> float:
        """Case hours plus step hours (``effort_hours``) over the window."""
        return self.case_hours + self.effort_hours

    @property
    def capacity(self) -> float | None:
        return self.hours_needed / self.hours_available if self.hours_available else None

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.open_cases + other.open_cases,
            self.due_now + other.due_now,
            self.overdue + other.overdue,
            self.waiting + other.waiting,
            self.effort_hours + other.effort_hours,
            self.hours_available + other.hours_available,
            self.stuck + other.stuck,
            self.case_hours_per_month + other.case_hours_per_month,
        )


@dataclass(frozen=True)
class WorkerLoad:
    staff_id: str
    name: str
    active: bool
    hours_per_week: float
    figures: Figures
    score: KeyScore | None = None

    @property
    def behind(self) -> int:
        return self.figures.overdue


def case_figures(
    view: CaseView | kept.Brief, today: date, books: dict[str, playbooks.Playbook]
) -> Figures:
    """One open case's share of its worker's figures (hours available not included): its
    playbook's ``case_hours_per_month`` and the effort of its dated steps due in the window
    (a kept brief carries them worked out)."""
    if isinstance(view, kept.Brief):
        d, o, w, effort, stuck_, monthly = view.figures
        return Figures(1, d, o, w, effort, stuck=stuck_, case_hours_per_month=monthly)
    due_now = overdue = stuck = 0
    for a in view.actions:
        if a.due_on is None or a.due_on <= today:
            due_now += 1
        if a.kind == "step" and a.due_on is not None and a.due_on < today:
            overdue += 1
            stuck += any(t.term == "stuck" for t in a.terms)
    horizon = today + timedelta(days=CAPACITY_DAYS)
    effort = sum(
        s.step.effort_hours
        for s in view.steps
        if s.status in ("open", "overdue")
        and s.due_on is not None
        and s.due_on <= horizon
        and s.step.every is None  # a recurring step is in the case hours
    )
    monthly = playbooks.case_hours_per_month(books, str(view.case.get("case_type")))
    return Figures(
        1, due_now, overdue, 1 if view.barriers else 0, effort, stuck=stuck,
        case_hours_per_month=monthly,
    )  # fmt: skip


def worker_load(
    staff: dict[str, Any], views: list[CaseView], today: date, books: dict[str, playbooks.Playbook]
) -> WorkerLoad:
    hours = float(staff.get("hours_per_week") or DEFAULT_HOURS_PER_WEEK)
    active = bool(staff.get("active", 1))
    figures = add_up(
        Figures(hours_available=hours * CAPACITY_DAYS / 7 if active else 0.0), views, today, books
    )
    return WorkerLoad(str(staff["staff_id"]), str(staff["name"]), active, hours, figures)


def add_up(
    start: Figures, views: list[Any], today: date, books: dict[str, playbooks.Playbook]
) -> Figures:
    """``start`` plus each view's :func:`case_figures`, in order (the same sums, to the
    last bit, as adding Figures one by one), without making a Figures per case: a large
    office's view adds up each of its cases twice (its worker's load, the pool's)."""
    n, due, late, waits = start.open_cases, start.due_now, start.overdue, start.waiting
    effort, stuck, monthly = start.effort_hours, start.stuck, start.case_hours_per_month
    for v in views:  # a case's Figures always count one open case
        d, o, w, e, s, m = (
            v.figures if isinstance(v, kept.Brief) else parts_of(case_figures(v, today, books))
        )
        n, due, late, waits, effort, stuck, monthly = (
            n + 1, due + d, late + o, waits + w, effort + e, stuck + s, monthly + m
        )  # fmt: skip
    return Figures(n, due, late, waits, effort, start.hours_available, stuck, monthly)


def case_hours(
    views: list[CaseView], books: dict[str, playbooks.Playbook]
) -> tuple[tuple[str, float], ...]:
    """The ``case_hours_per_month`` of each case type among ``views``, by case type: the
    rates behind the case hours, for a reader to check the figure."""
    types = sorted({str(v.case.get("case_type")) for v in views})
    return tuple((t, playbooks.case_hours_per_month(books, t)) for t in types)


def all_case_hours(books: dict[str, playbooks.Playbook]) -> tuple[tuple[str, float], ...]:
    """Every playbook's ``case_hours_per_month``, by case type."""
    return tuple((t, playbooks.case_hours_per_month(books, t)) for t in sorted(books))


def capacity_words(rates: tuple[tuple[str, float], ...]) -> str:
    """What capacity used is, with the hours a month per case type: "each open case's
    steady hours a month (foster care 7, investigation 10) for 14 days, plus …"."""
    each = ", ".join(f"{t.replace('_', ' ')} {h:g}" for t, h in rates)
    return (
        f"each open case's steady hours a month ({each or 'none'}) for {CAPACITY_DAYS} days,"
        f" plus the effort of the dated steps due in them, over {CAPACITY_DAYS // 7} weeks"
        " of the worker's hours"
    )


def parts_of(f: Figures) -> tuple[int, int, int, float, int, float]:
    return (f.due_now, f.overdue, f.waiting, f.effort_hours, f.stuck, f.case_hours_per_month)
