"""The actions a case calls for now: open steps, waits to chase, life changes to act on,
each with its urgency terms (``urgency.py``)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, NamedTuple

from casecli.core import words as w
from casecli.core.engine import urgency as u
from casecli.core.engine.barriers import Barrier, next_hearing
from casecli.core.engine.casedata import CaseData
from casecli.core.engine.steps import StepState, to_date
from casecli.core.when import add_months, month_end

HORIZON_DAYS = 30  # open steps due further out than this are "scheduled", not actions
CHASE_AFTER_DAYS = 7  # a wait older than this becomes a "chase" action
SIGNAL_DAYS = 14  # a life change this recent is a reason to make contact

SIGNAL_WORDS = {
    "job_loss": "lost a job",
    "new_employment": "started a new job",
    "incarceration": "was jailed",
    "release": "was released from jail",
    "homelessness": "became homeless",
    "address_change": "moved",
    "wic_stopped": "stopped getting WIC",
    "snap_stopped": "stopped getting SNAP",
    "benefits_change": "had a change in benefits",
    "disability": "became disabled",
    "law_enforcement_contact": "had contact with police",
    "hospitalization": "was hospitalized",
    "death": "died",
}
ROLE_WORDS = {
    "noncustodial_parent": "the paying parent",
    "custodial_parent": "the custodial parent",
}
MODIFICATION_SIGNALS = ("job_loss", "disability")


class Part(NamedTuple):
    """One person's share of an action about several (a visit to each child in care):
    ``next --json`` lists them under ``people``."""

    person_id: str
    due_on: date | None
    urgency: float
    terms: tuple[u.Term, ...]


class Action(NamedTuple):
    case_id: str
    action: str  # the sentence shown
    kind: str  # step | chase | contact | modification | no_payment
    step: str | None
    due_on: date | None
    urgency: float
    terms: tuple[u.Term, ...]
    person_id: str | None = None  # the one person it is about, if one
    people: tuple[Part, ...] = ()  # per person, for a step done per child
    scheduled_on: date | None = None  # the step's next scheduled event, if any

    @property
    def scheduled_late(self) -> bool:
        """Scheduled after its deadline (a hearing or a visit booked too late)."""
        return bool(self.scheduled_on and self.due_on and self.scheduled_on > self.due_on)


_THE_CHILD = re.compile(r"\bthe child\b(?!ren)")


def step_actions(
    data: CaseData,
    steps: list[StepState],
    today: date,
    coef: dict[str, float],
    names: dict[str, str],
    idle: int | None,
    behind: dict[str, float] | None = None,
    whose: str = "you are",
) -> list[Action]:
    """One action per case and step: a step done per child (a monthly visit to each child
    in care) is one line naming the children, ranked by its most urgent child, with each
    child's part kept in ``people`` (DOMAIN.md, urgency rule 5)."""
    hearing = next_hearing(data, today)
    parts: dict[str, list[tuple[StepState, list[u.Term]]]] = {}
    for s in steps:
        if s.status not in ("open", "overdue") or s.due_on is None:
            continue
        left = (s.due_on - today).days
        if left > HORIZON_DAYS:
            continue
        terms = u.due_terms(left, coef, statutory=s.step.statutory, court=s.step.court)
        if s.step.safety:
            terms += u.safety_term(coef, "a child's safety")
        if s.step.due is not None and s.step.due.before == "next_hearing" and hearing is not None:
            terms += u.court_imminent_term((hearing - today).days, coef)
        terms += u.risk_term(data.case["risk_level"], coef)
        terms += u.idle_term(idle, coef)
        if behind:
            terms += u.goal_impact_term(behind, _moves(data, s), coef, whose)
        parts.setdefault(s.step.id, []).append((s, terms))
    out = []
    for group in parts.values():
        group.sort(key=lambda st: (-u.total(st[1]), st[0].due_on or date.max))
        s, terms = group[0]
        left = (s.due_on - today).days if s.due_on else 0
        reason = _after_words(s, steps) + _step_reason(s, left, today, hearing, coef)
        people = tuple(
            Part(g.person_id, g.due_on, u.total(t), tuple(t)) for g, t in group if g.person_id
        )
        out.append(
            Action(
                data.case_id, f"{_title(s, group, names)} — {reason}", "step", s.step.id,
                s.due_on, u.total(terms), tuple(terms), s.person_id if len(group) == 1 else None,
                people, s.scheduled_on,
            )
        )  # fmt: skip
    return out


# A step done, said in the sentence of the step that follows it: what is left to do once
# it is done ("Close the investigation — the finding is recorded (2026-11-14); 18 days
# overdue", issue 14 item 3), by the id of the step required.
AFTER_WORDS = {"finding": "the finding is recorded"}


def _after_words(s: StepState, steps: list[StepState]) -> str:
    for req in s.step.requires:
        words = AFTER_WORDS.get(req)
        done = [p.done_on for p in steps if p.step.id == req and p.done_on is not None]
        if words and done:
            return f"{words} ({max(done).isoformat()}); "
    return ""


def _title(s: StepState, group: list[tuple[StepState, list[u.Term]]], names: dict[str, str]) -> str:
    """'Visit the child (Ana)', 'Visit the children (Ana, Paul, Amy)'."""
    who = [names.get(g.person_id, g.person_id) for g, _ in group if g.person_id]
    title = s.step.title
    if len(who) > 1:
        title = _THE_CHILD.sub("the children", title)
    return f"{title} ({', '.join(who)})" if who else title


def _step_reason(
    s: StepState, left: int, today: date, hearing: date | None, coef: dict[str, float]
) -> str:
    reason = _due_words(left)
    if left < 0 and u.is_stuck(-left, coef):
        reason = f"stuck, {reason}"
    if s.step.due is not None and s.step.due.before == "next_hearing" and hearing is not None:
        reason = f"court hearing {w.in_days((hearing - today).days)}, report not filed"
    elif s.step.due is not None and s.step.due.anchor == "asfa_month_15" and s.due_on:
        if left < 0:  # issue 13 item 7: an action, never a milestone in the past
            reason = (
                f"ASFA month 15 passed on {s.due_on.isoformat()}, no petition or exception recorded"
            )
            reason = f"stuck, {reason}" if u.is_stuck(-left, coef) else reason
        else:
            reason = f"ASFA month 15 ends {s.due_on.isoformat()}, {_due_words(left)}"
    elif s.step.every == "month":
        reason = f"not yet done this month, {_due_words(left)}"
    if s.scheduled_on:
        reason += f"; scheduled {s.scheduled_on.isoformat()}"
        if s.due_on is not None and s.scheduled_on > s.due_on:
            reason += ", after the deadline"
    return reason


TRIAL_VISIT_MONTHS = 6  # DOMAIN.md "Timeframes": trial home visits at most 6 months


def trial_visit_actions(
    data: CaseData, today: date, coef: dict[str, float], names: dict[str, str]
) -> list[Action]:
    """A trial home visit runs at most 6 months (DOMAIN.md, "Timeframes"; past it, a
    return to care counts as a new entry into care, 45 CFR 1355.20): one action per case
    when a child's open visit reaches 6 months within the horizon or has passed it,
    naming the children, ranked as a legal deadline (issue 13 item 15)."""
    in_care = {r["removal_id"]: r["person_id"] for r in data.removals if not r["discharged_on"]}
    parts: list[tuple[str, date, list[u.Term]]] = []
    for p in data.placements:
        start = to_date(p["start_on"])
        if p["setting"] != "trial_home_visit" or p["end_on"] or start is None:
            continue
        if p["removal_id"] not in in_care or start > today:
            continue
        due = add_months(start, TRIAL_VISIT_MONTHS)
        left = (due - today).days
        if left > HORIZON_DAYS:
            continue
        terms = u.due_terms(left, coef, statutory=True, court=False)
        terms += u.risk_term(data.case["risk_level"], coef)
        parts.append((in_care[p["removal_id"]], due, terms))
    if not parts:
        return []
    parts.sort(key=lambda x: (-u.total(x[2]), x[1]))
    person, due, terms = parts[0]
    who = ", ".join(dict.fromkeys(names.get(pid, pid) for pid, _, _ in parts))
    left = (due - today).days
    when = f"6 months on {due.isoformat()}, {_due_words(left)}"
    sentence = f"Decide the trial home visit ({who}) — {when}: reunify, or return to care"
    people = tuple(Part(pid, d, u.total(t), tuple(t)) for pid, d, t in parts)
    lone = person if len(parts) == 1 else None
    return [
        Action(
            data.case_id, sentence, "step", "trial_home_visit", due, u.total(terms),
            tuple(terms), lone, people,
        )
    ]  # fmt: skip


# The measures a playbook step moves when it is done (the goal_impact term).
STEP_MEASURES: dict[str, tuple[str, ...]] = {
    "monthly_visit": ("monthly_visits",),  # + visits_in_home for a visit planned at home
    "first_contact": ("timely_response",),
    "finding": ("investigations_closed_on_time", "investigations_overdue"),
    "order": ("support_orders",),
    "genetic_test": ("paternity_establishment",),
    "enforcement_action": ("current_collections", "arrears_collections"),
    "income_withholding": ("current_collections", "arrears_collections"),
    "modification_review": ("current_collections", "arrears_collections"),
}


def _moves(data: CaseData, s: StepState) -> tuple[str, ...]:
    out = STEP_MEASURES.get(s.step.id, ())
    if s.step.id == "monthly_visit" and any(
        e["kind"] == "caseworker_visit" and e["status"] == "scheduled"
        and e["location"] == "home" and e["person_id"] in (s.person_id, None)
        for e in data.events
    ):  # fmt: skip
        out += ("visits_in_home",)
    return out


def _due_words(left: int) -> str:
    if left < 0:
        return w.days_overdue(-left)
    if left == 0:
        return "due today"
    return f"due in {w.days(left)}"


def chase_sentence(b: Barrier) -> tuple[str, str]:
    """(the sentence, the word for the wait) of the action that chases ``b``: one template
    per kind of barrier, so no sentence is ever "Chase the a new hearing date" or "Chase
    the mental health (waitlisted)" (issue 14 item 7). A recorded barrier is the worker's
    own words, quoted after its number, so whatever they wrote reads right."""
    age = w.days(b.age_days)
    if b.kind == "service":
        service = (b.service or b.what).replace("_", " ")
        if b.status == "referred":
            sentence = f"Chase the {service} referral — referred {age} ago, not started"
        else:
            sentence = f"Chase the {service} referral — waitlisted for {age}"
        verb = "waitlisted" if b.status != "referred" else "not started"
    elif b.kind == "result":
        sentence, verb = f"Chase the {b.what} — pending {age}", "pending"
    elif b.kind == "court":
        sentence = f"Ask the court for a new hearing date — continued {age} ago, none set"
        verb = "no new hearing date"
    elif b.kind == "approval":
        sentence, verb = f"Chase the supervisor's approval — waiting {age}", "waiting"
    else:  # recorded: "#5: court date from the clerk"
        sentence = f"Follow up on barrier #{b.number}: {b.what} — waiting {age}"
        verb = "waiting"
    if b.expect_on is not None:
        sentence += f" (expected {b.expect_on.isoformat()})"
    return sentence, verb


def chase_actions(data: CaseData, barriers: list[Barrier], coef: dict[str, float]) -> list[Action]:
    out = []
    for b in barriers:
        if b.age_days <= CHASE_AFTER_DAYS:
            continue
        sentence, verb = chase_sentence(b)
        terms = u.barrier_term(b.age_days, coef, verb)
        out.append(_action(data, sentence, "chase", b.step, None, terms))
    return out


NO_PAYMENT_STEP = "enforcement_action"  # the monthly step whose work answers it


def no_payment_actions(
    data: CaseData, actions: list[Action], steps: list[StepState], today: date,
    coef: dict[str, float], idle: int | None,
) -> list[Action]:  # fmt: skip
    """A support case with no payment for ``urgency.no_payment_months`` (2) whole months
    or more is worked (DOMAIN.md "Timeframes"; issue 14 item 8): "No payment since April
    (6 months) — check employment, consider withholding", due by the end of this month,
    ranked by ``due`` (not a legal deadline) plus ``unpaid`` (:func:`urgency.unpaid_term`).

    Worked this month (the playbook's ``enforcement_action`` step done: an enforcement
    action or a contact attempt this month) it is not an action. The step's own action,
    when listed, becomes this one (one action per case and step), its terms kept."""
    from casecli.core.engine import payments

    if data.case["program"] != "child_support":
        return actions
    gap = payments.gap(data.payments, today)
    if gap is None or gap.months < u.no_payment_months(coef):
        return actions
    if any(s.step.id == NO_PAYMENT_STEP and s.status == "done" for s in steps):
        return actions
    sentence = no_payment_sentence(gap, today)
    twin = next((a for a in actions if a.kind == "step" and a.step == NO_PAYMENT_STEP), None)
    if twin is not None:
        terms = list(twin.terms) + u.unpaid_term(gap.months, coef)
        merged = twin._replace(
            action=sentence, kind="no_payment", urgency=u.total(terms), terms=tuple(terms)
        )
        return [merged if a is twin else a for a in actions]
    due = month_end(today)
    terms = u.due_terms((due - today).days, coef, statutory=False, court=False)
    terms += u.unpaid_term(gap.months, coef) + u.idle_term(idle, coef)
    return [*actions, _action(data, sentence, "no_payment", NO_PAYMENT_STEP, due, terms)]


def no_payment_sentence(gap: Any, today: date) -> str:
    from casecli.core.engine.payments import month_words

    months = w.plural(gap.months, "month")
    if gap.last_paid is None:
        since = f"No payment on record since {month_words(gap.counted_from, today)} ({months})"
    else:
        since = f"No payment since {month_words(gap.last_paid, today)} ({months})"
    return f"{since} — check employment, consider withholding"


def signal_actions(
    data: CaseData, today: date, coef: dict[str, float], steps: list[StepState]
) -> list[Action]:
    out = []
    roles = {p["person_id"]: p["role"] for p in data.people}
    modification = any(s.step.id == "modification_review" and s.status != "done" for s in steps)
    for sig in sorted(data.signals, key=lambda s: str(s["observed_on"]), reverse=True):
        seen = to_date(sig["observed_on"])
        if seen is None or not 0 <= (today - seen).days <= SIGNAL_DAYS:
            continue
        age = (today - seen).days
        role = roles.get(sig["person_id"], "family")
        who = ROLE_WORDS.get(role, "the " + role.replace("_", " "))
        words = f"{who[0].upper()}{who[1:]} {SIGNAL_WORDS.get(sig['kind'], sig['kind'].replace('_', ' '))}"
        when = w.days_ago(age)
        terms = u.signal_term(age, coef, f"{words.lower()}")
        if (
            data.case["program"] == "child_support"
            and sig["kind"] in MODIFICATION_SIGNALS
            and modification
        ):
            sentence = f"Review the order for modification — {words.lower()} {when}"
            out.append(
                _action(
                    data,
                    sentence,
                    "modification",
                    "modification_review",
                    seen + timedelta(days=30),
                    terms,
                )
            )
        else:
            terms += u.risk_term(data.case["risk_level"], coef)
            out.append(
                _action(
                    data,
                    f"{words} {when} — make contact",
                    "contact",
                    None,
                    None,
                    terms,
                    sig["person_id"],
                )
            )
    return out


def merge_signals(actions: list[Action], signals: list[Action]) -> list[Action]:
    """A signal that calls for a step already listed (a modification review after a job
    loss) makes that one action more urgent instead of listing it twice."""
    out = list(actions)
    for sig in signals:
        twin = next(
            (a for a in out if a.kind == "step" and sig.step is not None and a.step == sig.step),
            None,
        )
        if twin is None:
            out.append(sig)
            continue
        terms = sig.terms + tuple(t for t in twin.terms if t.term != "signal")
        out[out.index(twin)] = twin._replace(
            action=sig.action, kind=sig.kind, urgency=u.total(list(terms)), terms=terms,
            person_id=sig.person_id,
        )  # fmt: skip
    return out


def _action(
    data: CaseData, sentence: str, kind: str, step: str | None, due: date | None, terms: list[u.Term],
    person: str | None = None,
) -> Action:  # fmt: skip
    return Action(data.case_id, sentence, kind, step, due, u.total(terms), tuple(terms), person)
