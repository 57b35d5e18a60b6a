"""The engine: for one case, what must happen now, what it waits on, what comes next.

``evaluate`` is a pure function of a case's records, its playbook, the urgency
coefficients and ``today``. It returns a ``CaseView``: the steps (``steps.py``), the
barriers, the next milestone, whether the case is ahead of or behind its plan, its
situation in a few words, and the actions to take now, each with an urgency score that
explains itself term by term.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from casecli.core.engine.actions import (
    Action,
    chase_actions,
    merge_signals,
    no_payment_actions,
    signal_actions,
    step_actions,
    trial_visit_actions,
)
from casecli.core.engine.barriers import Barrier, find_barriers, next_hearing
from casecli.core.engine.casedata import CaseData, Row
from casecli.core.engine.playbooks import Playbook
from casecli.core.engine.steps import StepState, entry_date, evaluate_steps, to_date
from casecli.core.when import add_months

__all__ = ["Action", "Barrier", "CaseView", "Milestone", "evaluate"]


class Milestone(NamedTuple):
    what: str
    on: date
    days_left: int


@dataclass(frozen=True)
class CaseView:
    case: Row
    steps: list[StepState]
    barriers: list[Barrier]
    milestone: Milestone | None
    plan: str | None  # ahead | on track | behind (None: no plan target)
    plan_why: str | None
    situation: str  # overdue | act now | court soon | waiting on … | on track | closed
    actions: list[Action]
    people: list[Row] = field(default_factory=list)
    goals: list[Row] = field(default_factory=list)
    signals: list[Row] = field(default_factory=list)
    last_activity: date | None = None

    @property
    def case_id(self) -> str:
        return str(self.case["case_id"])

    @property
    def urgency(self) -> float:
        return max((a.urgency for a in self.actions), default=0.0)

    @property
    def next_action(self) -> str | None:
        """The most urgent action's words (a caseload's line), None when there is none."""
        return self.actions[0].action if self.actions else None


def evaluate(
    data: CaseData, book: Playbook, today: date, coef: dict[str, float], *, redact: bool = False,
    behind: dict[str, float] | None = None, whose: str = "you are",
) -> CaseView:  # fmt: skip
    """``behind``: the measures the case's worker is behind their goal on, and by how many
    points (the goal_impact term); ``whose`` starts its explanation ("you are")."""
    case = data.case
    steps = evaluate_steps(data, book, today)
    last = _last_activity(data, today)
    if case["status"] != "open":
        return CaseView(
            case,
            [],
            [],
            None,
            None,
            None,
            "closed",
            [],
            data.people,
            data.goals,
            data.signals,
            last,
        )
    barriers = find_barriers(data, today)
    names = {p["person_id"]: _label(p, redact) for p in data.people}
    idle = (today - last).days if last else None
    actions = step_actions(data, steps, today, coef, names, idle, behind, whose)
    actions += trial_visit_actions(data, today, coef, names)
    actions = no_payment_actions(data, actions, steps, today, coef, idle)
    actions += chase_actions(data, barriers, coef)
    actions = merge_signals(actions, signal_actions(data, today, coef, steps))
    actions.sort(key=lambda a: (-a.urgency, a.due_on or date.max, a.action))
    milestone = _milestone(data, book, today, steps)
    plan, why = _plan(data, today)
    situation = _situation(steps, barriers, actions, milestone, data, today)
    return CaseView(
        case,
        steps,
        barriers,
        milestone,
        plan,
        why,
        situation,
        actions,
        data.people,
        data.goals,
        data.signals,
        last,
    )


def _label(person: Row, redact: bool) -> str:
    name = person.get("name") or ""
    if redact or not name:
        from_name = "".join(p[0].upper() + "." for p in name.replace(",", " ").split() if p)
        return from_name or person["role"].replace("_", " ")
    return name.split(",")[-1].split()[0] if "," in name else name.split()[0]


def _last_activity(data: CaseData, today: date) -> date | None:
    dates = [
        d
        for e in data.events
        if e["status"] == "completed"
        for d in [to_date(e["completed_on"])]
        if d and d <= today
    ]
    return max(dates) if dates else to_date(data.case["opened_on"])


def _milestone(
    data: CaseData, book: Playbook, today: date, steps: list[StepState]
) -> Milestone | None:
    """The next of the case's dates ahead, from its own program (issue 14 item 5): a
    hearing for any case; for child welfare the permanency deadline, ASFA month 15, the
    plan's target, an investigation's closure limit; for child support the order's next
    review. None when all have passed: a passed date is an action (a step overdue),
    never a "next milestone" in the past.

    The order review: 45 CFR 303.8(b) has a support order reviewed at least every 36
    months (``order_review_months`` in the playbook, default 36) from the order or the
    last ``modification_review``. The federal rule makes it due on request (or for a
    family on assistance), so a passed review is not an action by default: it simply
    stops being a milestone."""
    case = data.case
    found: list[tuple[date, str]] = []
    hearing = next_hearing(data, today)
    if hearing is not None:
        found.append((hearing, "court hearing"))
    if case["program"] == "child_support":
        found += _order_review(data, book)
    else:
        found += _welfare_milestones(data, book, steps)
    ahead = [f for f in found if f[0] >= today]
    if not ahead:
        return None
    when, what = min(ahead)
    return Milestone(what, when, (when - today).days)


ORDER_REVIEW_MONTHS = 36  # 45 CFR 303.8(b)(1): at least every three years


def _order_review(data: CaseData, book: Playbook) -> list[tuple[date, str]]:
    order = to_date(data.case["order_established_on"])
    if order is None:
        return []
    reviews = [
        d
        for e in data.events
        if e["kind"] == "modification_review" and e["status"] == "completed"
        for d in [to_date(e["completed_on"])]
        if d is not None
    ]
    months = book.settings.get("order_review_months", ORDER_REVIEW_MONTHS)
    return [(add_months(max([order, *reviews]), months), "order review (every 3 years)"
             if months == 36 else f"order review (every {months} months)")]  # fmt: skip


def _welfare_milestones(
    data: CaseData, book: Playbook, steps: list[StepState]
) -> list[tuple[date, str]]:
    case = data.case
    found: list[tuple[date, str]] = []
    removals = [
        d for r in data.removals if not r["discharged_on"] for d in [to_date(r["removed_on"])] if d
    ]
    if removals:
        removed = min(removals)
        entry = entry_date(removed, data.events) or removed
        found.append((add_months(entry, 12), "permanency deadline (12 months in care)"))
    # ASFA month 15 of 22, per child, from the playbook's step (casecli/core/engine/asfa.py): a
    # petition filed or an exception recorded ends it; once passed it is an action.
    found += [
        (s.due_on, "ASFA month 15 of 22")
        for s in steps
        if s.step.due is not None and s.step.due.anchor == "asfa_month_15"
        and s.status != "done" and s.due_on is not None
    ]  # fmt: skip
    target = to_date(case["goal_target_on"])
    if target:
        goal = (case["permanency_goal"] or "case plan").replace("_", " ")
        found.append((target, f"{goal} target"))
    if case["case_type"] == "investigation" and "closure_days" in book.settings:
        opened = to_date(case["opened_on"])
        if opened:
            found.append(
                (
                    opened + timedelta(days=book.settings["closure_days"]),
                    "investigation closure limit",
                )
            )
    return found


def _plan(data: CaseData, today: date) -> tuple[str | None, str | None]:
    case = data.case
    target = to_date(case["goal_target_on"])
    if target is None or not data.goals:
        return None, None
    starts = [d for r in data.removals for d in [to_date(r["removed_on"])] if d] or [
        to_date(case["opened_on"]) or today
    ]
    start = min(starts)
    span = max((target - start).days, 1)
    elapsed = min(max((today - start).days / span, 0.0), 1.0) * 100
    scores = {"achieved": 100.0, "not_started": 0.0, "not_achieved": 0.0}
    progress = sum(
        float(g["percent"]) if g["percent"] is not None else scores.get(g["status"], 50.0)
        for g in data.goals
    ) / len(data.goals)
    if today > target and progress < 100:
        return "behind", f"target {target.isoformat()} passed with the plan {progress:.0f}% done"
    if progress + 15 < elapsed:
        return (
            "behind",
            f"{progress:.0f}% of the plan done, {elapsed:.0f}% of the time to {target.isoformat()} gone",
        )
    if progress > elapsed + 15:
        return "ahead", f"{progress:.0f}% of the plan done, {elapsed:.0f}% of the time gone"
    return "on track", f"{progress:.0f}% of the plan done, {elapsed:.0f}% of the time gone"


def _situation(
    steps: list[StepState], barriers: list[Barrier], actions: list[Action], milestone: Milestone | None,
    data: CaseData, today: date,
) -> str:  # fmt: skip
    if any(s.status == "overdue" for s in steps):
        return "overdue"
    soon = any(
        a.due_on is not None and (a.due_on - today).days <= 2 for a in actions if a.kind == "step"
    )
    if soon or any(a.kind in ("contact", "modification", "no_payment") for a in actions):
        return "act now"
    if milestone is not None and "hearing" in milestone.what and milestone.days_left <= 14:
        return "court soon"
    if barriers:
        return f"waiting on {barriers[0].what}"
    return "on track"
