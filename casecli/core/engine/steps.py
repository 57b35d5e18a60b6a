"""Where each playbook step of a case stands today: done, open, overdue, blocked, waiting.

Pure functions over a case's records (``CaseData``) with ``today`` passed in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from casecli.core import when
from casecli.core.engine import asfa
from casecli.core.engine.casedata import CaseData, Row
from casecli.core.engine.playbooks import Playbook, Step
from casecli.core.when import add_months, month_end

HEARINGS = ("court_hearing", "permanency_hearing")
INCOME_SIGNALS = ("job_loss", "disability", "incarceration", "new_employment", "release")


def to_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    return when.to_date(str(value))


def to_datetime(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    return when.to_datetime(str(value))


def _hours(value: object) -> int | None:
    """A case's response hours as the contract allows them (1 to 8,760), else None: a
    store written before the sync enforced the limit may hold anything."""
    try:
        hours = int(str(value))
    except ValueError:
        return None
    return hours if 1 <= hours <= 8760 else None


def add_business_days(d: date, n: int) -> date:
    """``d`` moved ``n`` days forward counting Monday to Friday only (a Friday + 2 is the
    Tuesday after). Holidays are not in the exports: the date is never later than the
    jurisdiction's own calendar would make it."""
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


class StepState(NamedTuple):
    step: Step
    status: str  # done | open | overdue | blocked | waiting
    due_on: date | None
    person_id: str | None = None  # for a step per child
    done_on: date | None = None
    scheduled_on: date | None = None
    blocked_by: str | None = None  # words: what it waits on


class Facts:
    """What the step rules ask of a case, computed once."""

    def __init__(self, data: CaseData, book: Playbook, today: date) -> None:
        self.data, self.book, self.today = data, book, today
        case = data.case
        self.opened_at = to_datetime(case["opened_on"]) or datetime.combine(
            today, datetime.min.time()
        )
        self.open_removals = [r for r in data.removals if not r["discharged_on"]]
        removal_dates = [d for d in (to_date(r["removed_on"]) for r in self.open_removals) if d]
        self.removal = min(removal_dates) if removal_dates else None
        self.entry = entry_date(self.removal, data.events)
        self.order = to_date(case["order_established_on"])
        self.completed = sorted(
            (e for e in data.events if e["status"] == "completed" and to_date(e["completed_on"])),
            key=lambda e: str(e["completed_on"]),
        )
        upcoming = [
            d
            for e in data.events
            if e["kind"] in HEARINGS and e["status"] == "scheduled"
            for d in [to_date(e["scheduled_on"])]
            if d and d >= today
        ]
        self.next_hearing = min(upcoming) if upcoming else None
        past = [
            d
            for e in self.completed
            if e["kind"] in HEARINGS
            for d in [to_date(e["completed_on"])]
            if d and d <= today
        ]
        self.last_hearing = max(past) if past else None
        self.income_change = self._income_change()
        self.employment = self._employment()

    def asfa_month_15(self, person: str | None) -> tuple[date | None, date | None]:
        """(the day the child's 15th month in care of the most recent 22 ends, the first
        removal the count includes): :mod:`casecli.core.engine.asfa`, from every episode of the
        child in this case, each counted from its date of entry (an ``adjudication`` for
        this child or naming no one), trial home visits and runaway time left out."""
        mine = [
            (r, d)
            for r in self.data.removals
            if r["person_id"] == person
            for d in [to_date(r["removed_on"])]
            if d is not None and d <= self.today
        ]
        if not mine:
            return None, None
        events = [e for e in self.data.events if e["person_id"] in (None, person)]
        episodes = [
            (entry_date(removed, events) or removed, to_date(r["discharged_on"]))
            for r, removed in mine
        ]
        ids = {r["removal_id"] for r, _ in mine}
        away = [
            (start, to_date(p["end_on"]))
            for p in self.data.placements
            if p["removal_id"] in ids and p["setting"] in asfa.NOT_COUNTED
            for start in [to_date(p["start_on"])]
            if start is not None
        ]
        due = asfa.month_15(asfa.counted_spans(episodes, away))
        return due, min(d for _, d in mine)

    def children(self, in_care: bool) -> list[Row]:
        kids = [p for p in self.data.people if p["role"] == "child"]
        if in_care:
            ids = {r["person_id"] for r in self.open_removals}
            kids = [p for p in kids if p["person_id"] in ids]
        return kids

    def _income_change(self) -> date | None:
        """The latest change in the paying parent's income of the last 180 days that no
        ``modification_review`` has answered since."""
        return self._unanswered(INCOME_SIGNALS, "modification_review", date.min)

    def _employment(self) -> date | None:
        """The day the agency learned of the paying parent's new job, when an income
        withholding notice is owed for it: the latest ``new_employment`` signal of the
        last 180 days (for the paying parent, or naming no one), on or after the order,
        with no ``income_withholding`` completed on or after it (45 CFR 303.100(e))."""
        if self.order is None:
            return None
        return self._unanswered(("new_employment",), "income_withholding", self.order)

    def _unanswered(self, kinds: tuple[str, ...], answer: str, since: date) -> date | None:
        """The latest signal of ``kinds`` about the paying parent (or naming no one),
        observed from ``since`` to today and in the last 180 days, unless an ``answer``
        event was completed on or after it."""
        payers = {
            p["person_id"]
            for p in self.data.people
            if p["role"] in ("noncustodial_parent", "father", "parent")
        }
        dates = [
            d
            for s in self.data.signals
            if s["kind"] in kinds and (s["person_id"] is None or s["person_id"] in payers)
            for d in [to_date(s["observed_on"])]
            if d and since <= d <= self.today and (self.today - d).days <= 180
        ]
        if not dates:
            return None
        latest = max(dates)
        answered = any(
            e["kind"] == answer and (to_date(e["completed_on"]) or date.min) >= latest
            for e in self.completed
        )
        return None if answered else latest

    def condition(self, name: str | None) -> bool:
        if name is None:
            return True
        if name == "in_care":
            return bool(self.open_removals)
        if name == "paternity_needed":
            return any(
                p["role"] == "child"
                and p["born_out_of_wedlock"] == 1
                and not p["paternity_established_on"]
                for p in self.data.people
            )
        if name == "not_paying":
            month = self.today.strftime("%Y-%m")
            last = [p for p in self.data.payments if p["month"] < month]
            return bool(last) and last[-1]["current_paid"] < last[-1]["current_due"]
        if name == "income_changed":
            return self.income_change is not None
        if name == "employment_learned":
            return self.employment is not None
        if name == "order_recent":  # established in the last year: follow-up work is due
            return self.order is not None and (self.today - self.order).days <= 365
        return False

    def completions(self, step: Step, person_id: str | None, since: date | None) -> list[date]:
        out = []
        for e in self.completed:
            if e["kind"] not in step.done_by:
                continue
            if person_id is not None and e["person_id"] not in (None, person_id):
                continue
            d = to_date(e["completed_on"])
            if d and (since is None or d >= since) and d <= self.today:
                out.append(d)
        return out

    def scheduled(self, step: Step, person_id: str | None) -> date | None:
        dates = [
            d
            for e in self.data.events
            if e["status"] == "scheduled" and e["kind"] in step.done_by
            and (person_id is None or e["person_id"] in (None, person_id))
            for d in [to_date(e["scheduled_on"])]
            if d and d >= self.today
        ]  # fmt: skip
        return min(dates) if dates else None


def evaluate_steps(data: CaseData, book: Playbook, today: date) -> list[StepState]:
    if data.case["status"] != "open":
        return []
    facts = Facts(data, book, today)
    states: dict[tuple[str, str | None], StepState] = {}
    out: list[StepState] = []
    for step in book.steps:
        if not facts.condition(step.only_if) or data.case["permanency_goal"] in step.unless_goal:
            continue
        if step.per == "case":
            people: list[str | None] = [None]
        else:
            people = [p["person_id"] for p in facts.children(in_care=step.per == "child_in_care")]
        for person in people:
            state = _one(step, person, facts, states)
            if state is not None:
                states[(step.id, person)] = state
                out.append(state)
    return [_waiting(s, data) for s in out]


def _waiting(state: StepState, data: CaseData) -> StepState:
    """An open step held by a recorded barrier or a service not yet started is waiting."""
    if state.status not in ("open", "overdue"):
        return state
    held = [b["what"] for b in data.barriers if b["step"] == state.step.id]
    held += [
        f"{r['service'].replace('_', ' ')} ({r['status']})"
        for r in data.referrals
        if r["service"] in state.step.services
        and r["status"] in ("waitlisted", "referred")
        and not r["started_on"]
    ]
    if not held:
        return state
    return StepState(
        state.step, "waiting", state.due_on, state.person_id, None, state.scheduled_on, held[0]
    )


def _one(
    step: Step, person: str | None, f: Facts, states: dict[tuple[str, str | None], StepState]
) -> StepState | None:
    """A step whose completing events exist is done, whatever its prerequisites: the
    card must never call work blocked that its own recent activity lists as done (the
    collateral contacts made before the face-to-face contact was recorded, issue 14 item
    2). Only a step not yet done waits for what it requires ("blocked")."""
    today = f.today
    needs = step.requires + ((step.due.after,) if step.due and step.due.after else ())
    blocker: StepState | None = None
    for req in dict.fromkeys(needs):
        prior = _prior(states, req, person)
        if prior is None:
            return None  # what it follows does not apply to this case
        if prior.status != "done" and blocker is None:
            blocker = prior
    since: date | None
    due: date | None
    if step.every == "month":
        due, since = month_end(today), today.replace(day=1)
    elif blocker is not None and step.due is not None and step.due.after is not None:
        due, since = None, None  # due a time after a step not yet done: not known yet
    else:
        due, since = _due(step, person, f, states)
        if due is None:
            return None  # its anchor does not exist (no removal, no order, no hearing)
    done = f.completions(step, person, since)
    if len(done) >= step.count:
        return StepState(step, "done", due, person, done_on=done[step.count - 1])
    if blocker is not None:
        return StepState(
            step, "blocked", None, person, blocked_by=f"{blocker.step.title.lower()} first"
        )
    assert due is not None
    status = "overdue" if due < today else "open"
    return StepState(step, status, due, person, scheduled_on=f.scheduled(step, person))


def _prior(
    states: dict[tuple[str, str | None], StepState], step_id: str, person: str | None
) -> StepState | None:
    """The state of a step another one follows; a step per child is done when all are."""
    exact = states.get((step_id, person)) or states.get((step_id, None))
    if exact is not None:
        return exact
    every = [s for (sid, _), s in states.items() if sid == step_id]
    if not every:
        return None
    pending = [s for s in every if s.status != "done"]
    if pending:
        return pending[0]
    return max(every, key=lambda s: s.done_on or date.min)


def entry_date(removal: date | None, events: list[Row]) -> date | None:
    """The date a child entered foster care (42 USC 675(5)(F); DOMAIN.md "Timeframes"):
    the earlier of the court's finding that the child is dependent (a completed
    ``adjudication`` event on or after the removal) and 60 days after the removal."""
    if removal is None:
        return None
    latest = removal + timedelta(days=60)
    found = [
        d
        for e in events
        if e["kind"] == "adjudication" and e["status"] == "completed"
        for d in [to_date(e["completed_on"])]
        if d is not None and removal <= d < latest
    ]
    return min(found, default=latest)


def _last_day(at: datetime) -> date:
    """The last day a deadline given to the minute can be met: a deadline at midnight
    (an intake dated 2026-11-23, a plain date, starts at its midnight; + 24 hours) has
    passed when 2026-11-24 begins, so its last day is the 23rd, as the timely-response
    measure counts it (issue 13 item 9)."""
    day = at.date()
    return day - timedelta(days=1) if at.time() == datetime.min.time() else day


def _due(
    step: Step, person: str | None, f: Facts, states: dict[tuple[str, str | None], StepState]
) -> tuple[date | None, date | None]:
    """(due date, the date completions count from) — or (None, None) if not applicable."""
    spec = step.due
    if spec is None:
        return None, None
    days = spec.days + (f.book.settings.get(spec.days_from, 0) if spec.days_from else 0)
    if spec.before == "next_hearing":
        if f.next_hearing is None:
            return None, None
        since = max(
            d for d in (f.last_hearing, f.next_hearing - timedelta(days=60)) if d is not None
        )
        return f.next_hearing - timedelta(days=days), since
    if spec.after is not None:
        prior = _prior(states, spec.after, person)
        assert prior is not None and prior.done_on is not None  # _one checked it is done
        return add_months(prior.done_on, spec.months) + timedelta(days=days), prior.done_on
    anchor: date | None
    if spec.anchor == "opened":
        if spec.hours or spec.hours_from:
            hours = _hours(f.data.case.get(spec.hours_from)) if spec.hours_from else None
            at = f.opened_at + timedelta(hours=hours or spec.hours, days=days)
            return _last_day(at), f.opened_at.date()
        anchor = f.opened_at.date()
    elif spec.anchor == "removal":
        anchor = f.removal
    elif spec.anchor == "entry":
        anchor = f.entry
    elif spec.anchor == "order":
        anchor = f.order
    elif spec.anchor == "asfa_month_15":
        due, first_removal = f.asfa_month_15(person)
        if due is None:
            return None, None
        return add_months(due, spec.months) + timedelta(days=days), first_removal
    elif spec.anchor == "employment":
        anchor = f.employment
    else:  # income_change
        anchor = f.income_change
    if anchor is None:
        return None, None
    first = add_business_days(
        add_months(anchor, spec.months) + timedelta(days=days), spec.business_days
    )
    if not spec.repeat:
        return first, anchor
    # A recurring deadline: one interval after the last time it was done.
    done = f.completions(step, person, anchor)
    if not done:
        return first, anchor
    last = max(done)
    interval = add_months(last, spec.months) if spec.months else last + timedelta(days=days)
    return interval, last + timedelta(days=1)
