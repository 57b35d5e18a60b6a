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

from casecli.core import urgency as u
from casecli.core.casedata import CaseData, Row
from casecli.core.playbooks import Playbook
from casecli.core.steps import HEARINGS, StepState, add_months, evaluate_steps, to_date

HORIZON_DAYS = 30  # open steps due further out than this are "scheduled", not actions
CHASE_AFTER_DAYS = 7  # a wait older than this becomes a "chase" action
SIGNAL_DAYS = 14  # a life change this recent is a reason to make contact
PENDING_RESULTS = ("drug_screen", "genetic_test")

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


@dataclass(frozen=True)
class Barrier:
    id: str  # "referral:R1", "event:E3", "barrier:5"
    kind: str  # service | result | court | approval | recorded
    what: str  # what the case waits on, in words
    since: date
    age_days: int
    step: str | None = None
    service: str | None = None
    expect_on: date | None = None


@dataclass(frozen=True)
class Milestone:
    what: str
    on: date
    days_left: int


@dataclass(frozen=True)
class Action:
    case_id: str
    action: str  # the sentence shown
    kind: str  # step | chase | contact | modification
    step: str | None
    due_on: date | None
    urgency: float
    terms: tuple[u.Term, ...]
    person_id: str | None = None


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


def evaluate(
    data: CaseData, book: Playbook, today: date, coef: dict[str, float], *, redact: bool = False
) -> CaseView:
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
    barriers = _barriers(data, today)
    names = {p["person_id"]: _label(p, redact) for p in data.people}
    idle = (today - last).days if last else None
    actions = _step_actions(data, steps, today, coef, names, idle)
    actions += _chase_actions(data, barriers, coef)
    actions = _merge_signals(actions, _signal_actions(data, today, coef, steps))
    actions.sort(key=lambda a: (-a.urgency, a.due_on or date.max, a.action))
    milestone = _milestone(data, book, today)
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


def _barriers(data: CaseData, today: date) -> list[Barrier]:
    out: list[Barrier] = []

    def add(bid: str, kind: str, what: str, since: date | None, **kw: object) -> None:
        if since is not None:
            out.append(Barrier(bid, kind, what, since, max(0, (today - since).days), **kw))  # type: ignore[arg-type]

    for r in data.referrals:
        if r["status"] in ("waitlisted", "referred") and not r["started_on"]:
            service = r["service"]
            add(f"referral:{r['referral_id']}", "service", f"{service.replace('_', ' ')} ({r['status']})",
                to_date(r["referred_on"]), service=service)  # fmt: skip
    for e in data.events:
        if e["kind"] in PENDING_RESULTS and e["status"] == "completed" and not e["result"]:
            add(
                f"event:{e['id']}",
                "result",
                f"{e['kind'].replace('_', '-')} result",
                to_date(e["completed_on"]),
            )
        if e["kind"] == "supervisor_review" and (
            e["result"] == "pending"
            or (e["status"] == "scheduled" and (to_date(e["scheduled_on"]) or today) < today)
        ):
            add(
                f"event:{e['id']}",
                "approval",
                "supervisor approval",
                to_date(e["scheduled_on"] or e["completed_on"]),
            )
    hearings = sorted(
        (
            e
            for e in data.events
            if e["kind"] in HEARINGS and e["status"] == "completed" and to_date(e["completed_on"])
        ),
        key=lambda e: str(e["completed_on"]),
    )
    upcoming = any(
        e["kind"] in HEARINGS
        and e["status"] == "scheduled"
        and (to_date(e["scheduled_on"]) or date.min) >= today
        for e in data.events
    )
    if hearings and hearings[-1]["result"] == "continued" and not upcoming:
        add(f"event:{hearings[-1]['id']}", "court", "a new hearing date after the continuance",
            to_date(hearings[-1]["completed_on"]))  # fmt: skip
    for b in data.barriers:
        add(f"barrier:{b['barrier_id']}", "recorded", b["what"], to_date(b["opened_on"]),
            step=b["step"], service=b["service"], expect_on=to_date(b["expect_on"]))  # fmt: skip
    return sorted(out, key=lambda b: -b.age_days)


def _step_actions(
    data: CaseData,
    steps: list[StepState],
    today: date,
    coef: dict[str, float],
    names: dict[str, str],
    idle: int | None,
) -> list[Action]:
    out = []
    hearing = _next_hearing(data, today)
    for s in steps:
        if s.status not in ("open", "overdue") or s.due_on is None:
            continue
        left = (s.due_on - today).days
        if left > HORIZON_DAYS:
            continue
        who = f" ({names.get(s.person_id, s.person_id)})" if s.person_id else ""
        what = s.step.title + who
        reason = _due_words(left)
        if s.step.due is not None and s.step.due.before == "next_hearing" and hearing is not None:
            reason = f"court hearing {_in_days((hearing - today).days)}, report not filed"
        elif s.step.every == "month":
            reason = f"not yet done this month, {_due_words(left)}"
        if s.scheduled_on:
            reason += f"; scheduled {s.scheduled_on.isoformat()}"
        terms = u.due_terms(left, coef, statutory=s.step.statutory, court=s.step.court)
        if s.step.safety:
            terms += u.safety_term(data.case["risk_level"], coef)
        terms += u.idle_term(idle, coef)
        out.append(
            _action(data, f"{what} — {reason}", "step", s.step.id, s.due_on, terms, s.person_id)
        )
    return out


def _next_hearing(data: CaseData, today: date) -> date | None:
    dates = [
        d
        for e in data.events
        if e["kind"] in HEARINGS and e["status"] == "scheduled"
        for d in [to_date(e["scheduled_on"])]
        if d and d >= today
    ]
    return min(dates) if dates else None


def _in_days(days: int) -> str:
    return "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"


def _due_words(left: int) -> str:
    if left < 0:
        return f"{-left} day{'s' if left != -1 else ''} overdue"
    if left == 0:
        return "due today"
    return f"due in {left} day{'s' if left != 1 else ''}"


def _chase_actions(data: CaseData, barriers: list[Barrier], coef: dict[str, float]) -> list[Action]:
    out = []
    for b in barriers:
        if b.age_days <= CHASE_AFTER_DAYS:
            continue
        verb = "pending" if b.kind == "result" else "waiting"
        sentence = f"Chase the {b.what} — {verb} {b.age_days} days"
        if b.expect_on is not None:
            sentence += f" (expected {b.expect_on.isoformat()})"
        terms = u.barrier_term(b.age_days, coef, verb)
        out.append(_action(data, sentence, "chase", b.step, None, terms))
    return out


def _signal_actions(
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
        when = "today" if age == 0 else "yesterday" if age == 1 else f"{age} days ago"
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
            terms += u.safety_term(data.case["risk_level"], coef)
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


def _merge_signals(actions: list[Action], signals: list[Action]) -> list[Action]:
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
        out[out.index(twin)] = Action(
            sig.case_id,
            sig.action,
            sig.kind,
            sig.step,
            twin.due_on,
            u.total(list(terms)),
            terms,
            sig.person_id,
        )
    return out


def _action(
    data: CaseData, sentence: str, kind: str, step: str | None, due: date | None, terms: list[u.Term],
    person: str | None = None,
) -> Action:  # fmt: skip
    return Action(data.case_id, sentence, kind, step, due, u.total(terms), tuple(terms), person)


def _milestone(data: CaseData, book: Playbook, today: date) -> Milestone | None:
    case = data.case
    found: list[tuple[date, str]] = []
    hearing = _next_hearing(data, today)
    if hearing is not None:
        found.append((hearing, "court hearing"))
    removals = [
        d for r in data.removals if not r["discharged_on"] for d in [to_date(r["removed_on"])] if d
    ]
    if removals:
        entry = min(removals)
        found.append(
            (add_months(entry + timedelta(days=60), 12), "permanency deadline (12 months in care)")
        )
        if case["permanency_goal"] not in ("relative", "guardianship"):
            found.append((add_months(entry, 15), "ASFA month 15 of 22"))
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
    if not found:
        return None
    ahead = [f for f in found if f[0] >= today]
    when, what = min(ahead) if ahead else max(found)
    return Milestone(what, when, (when - today).days)


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
    if soon or any(a.kind in ("contact", "modification") for a in actions):
        return "act now"
    if milestone is not None and "hearing" in milestone.what and milestone.days_left <= 14:
        return "court soon"
    if barriers:
        return f"waiting on {barriers[0].what}"
    return "on track"
