"""The order of consequences (DOMAIN.md, "Urgency: what a ranking must respect"; issue 12).

Each fixture is a pair of hand-made cases, as of 2026-11-24, with the sentence that says
why one action must outrank the other. The engine ranks them with the default
coefficients (``urgency.TERMS``); nothing here sets a special case. Then the properties:
for two otherwise-equal steps more overdue ranks higher, and no compliance or court step,
however old, outranks an overdue safety step.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from casecli.core.engine import playbooks, urgency
from casecli.core.engine.casedata import CaseData
from casecli.core.engine.engine import Action, evaluate
from casecli.core.views import load, unit
from casecli.core.views.caseload import ranked_actions
from tests.test_engine import case, event, foster_case, investigation, person

TODAY = date(2026, 11, 24)
BOOKS = playbooks.load()
COEF = urgency.coefficients()


def rank(*cases: CaseData, coef: dict[str, float] | None = None) -> list[Action]:
    views = [
        evaluate(d, playbooks.for_case(BOOKS, d.case["case_type"]), TODAY, coef or COEF)
        for d in cases
    ]
    return ranked_actions(views)


def first(actions: list[Action], case_id: str, step: str | None = None) -> int:
    """The rank (0 = top) of the case's first action (of ``step``, if given)."""
    return next(i for i, a in enumerate(actions) if a.case_id == case_id and step in (None, a.step))


def removal(case_id: str, person_id: str, on: str) -> dict[str, Any]:
    return {"removal_id": f"R-{case_id}-{person_id}", "case_id": case_id, "person_id": person_id,
            "removed_on": on, "discharged_on": None, "discharge_reason": None}  # fmt: skip


def stale_foster_case(case_id: str, review_done: str, risk: str = "very_high") -> CaseData:
    """A child in care since March 2024, visited this month, case plan written, the last
    periodic review on ``review_done``: the next was due six months later."""
    data = with_risk(foster_case(case_id), risk)
    data.case["opened_on"] = "2024-03-01"
    data.removals[0]["removed_on"] = "2024-03-01"
    data.events = [e for e in data.events if e["kind"] != "periodic_review"]
    data.events.append(event("PR", case_id, "periodic_review", on=review_done))
    data.events.append(event("PH", case_id, "permanency_hearing", on="2026-05-01"))
    data.events.append(event("TP", case_id, "asfa_exception", on="2025-06-01"))
    return data


def with_risk(data: CaseData, risk: str | None) -> CaseData:
    data.case["risk_level"] = risk
    return data


def signal(case_id: str, person_id: str, kind: str, on: str) -> dict[str, Any]:
    return {"signal_id": f"G-{case_id}", "case_id": case_id, "person_id": person_id, "kind": kind,
            "observed_on": on, "source": "wage_records", "detail": None}  # fmt: skip


def support_case(case_id: str, **kw: Any) -> CaseData:
    """An enforcement case: order in January 2025, withholding issued; the paying parent paid
    nothing of October's current support."""
    return CaseData(
        case(case_id, "enforcement", **({"program": "child_support", "risk_level": None,
             "order_established_on": "2025-01-10", "opened_on": "2024-06-01"} | kw)),
        people=[person("N1", case_id, role="noncustodial_parent", name="Ray Jones"),
                person("K1", case_id)],
        events=[event("IW", case_id, "income_withholding", on="2025-01-20"),
                event("EA", case_id, "enforcement_action", on="2026-10-05")],
        payments=[{"case_id": case_id, "month": "2026-10", "current_due": 400.0,
                   "current_paid": 0.0, "arrears_due": 0.0, "arrears_paid": 0.0}],
    )  # fmt: skip


# The argued fixtures ----------------------------------------------------------------


def test_an_unseen_child_outranks_long_overdue_paperwork() -> None:
    # I1: a low-risk investigation opened yesterday morning, the child not yet seen, the
    # 72-hour response still running (due in 2 days). F1: the six-month periodic review is
    # 75 days overdue on a very-high-risk case (not yet "stuck": < 90 days). Paperwork,
    # however late, is compliance; a child not yet seen is safety (DOMAIN rule 1).
    actions = rank(
        investigation("I1", opened="2026-11-23T09:00", risk="low", hours=72),
        stale_foster_case("F1", review_done="2026-03-10"),
    )
    assert first(actions, "I1") < first(actions, "F1", "periodic_review")
    review = actions[first(actions, "F1", "periodic_review")]
    assert review.action == "Hold the six-month periodic review — 75 days overdue"
    assert actions[0].action == "See the child face to face (Ana) — due in 2 days"
    assert [t.term for t in actions[0].terms] == ["due", "safety"]


def test_the_report_for_a_hearing_in_two_days_outranks_a_stale_review() -> None:
    # F1: a hearing on 2026-11-26 and no court report filed (it was due 10 days before).
    # F2: a review 80 days overdue on a very-high-risk case. The hearing happens in two days
    # whatever the worker does; the review will still be late next week (DOMAIN rule 2
    # before rule 3).
    hearing = foster_case("F1")
    hearing.events.append(event("H", "F1", "court_hearing", "scheduled", on="2026-11-26T09:00"))
    actions = rank(hearing, stale_foster_case("F2", review_done="2026-03-05"))
    assert first(actions, "F1", "court_report") < first(actions, "F2", "periodic_review")
    report = actions[first(actions, "F1", "court_report")]
    assert report.action == "File the court report — court hearing in 2 days, report not filed"
    assert ("court_imminent", 40.0, "court hearing in 2 days") in report.terms


def test_a_fresh_job_loss_outranks_routine_enforcement() -> None:
    # S1: the paying parent lost a job yesterday: the moment to review the order (and to
    # reach the parent before arrears build) is now. S2: no payment for October, an
    # enforcement action due by the end of the month, routine (DOMAIN rule 2 before 3).
    job_loss = support_case("S1")
    job_loss.signals.append(signal("S1", "N1", "job_loss", "2026-11-23"))
    actions = rank(job_loss, support_case("S2"))
    assert actions[0].case_id == "S1" and actions[0].kind == "modification"
    assert first(actions, "S1") < first(actions, "S2", "enforcement_action")


def test_the_higher_risk_child_comes_first_among_equally_overdue_visits() -> None:
    # F1 and F2: the same foster case, neither child visited in November, both visits due
    # 2026-11-30. F2's child is at high risk, F1's at low: the riskier visit first.
    low, high = with_risk(foster_case("F1"), "low"), with_risk(foster_case("F2"), "high")
    for d in (low, high):
        d.events = [e for e in d.events if e["kind"] != "caseworker_visit"]
    actions = rank(low, high)
    assert first(actions, "F2", "monthly_visit") < first(actions, "F1", "monthly_visit")
    visit = actions[first(actions, "F2", "monthly_visit")]
    assert ("risk", 4.0, "high risk") in visit.terms


def test_a_safety_assessment_due_tomorrow_outranks_a_case_plan_30_days_late() -> None:
    # I1: the child was seen yesterday; the safety assessment is due a day after that
    # contact, tomorrow. F1: the case plan was due 60 days after removal, 30 days ago.
    seen = investigation("I1", risk="low")
    seen.events.append(event("FC", "I1", "face_to_face_contact", on="2026-11-24", person_id="C1"))
    late_plan = foster_case("F1")
    late_plan.removals[0]["removed_on"] = "2026-08-26"  # + 60 days = 2026-10-25
    late_plan.events = [e for e in late_plan.events if e["kind"] != "case_plan"]
    actions = rank(seen, late_plan)
    assert first(actions, "I1", "safety_assessment") < first(actions, "F1", "case_plan")
    plan = actions[first(actions, "F1", "case_plan")]
    assert plan.action == "Write the case plan — 30 days overdue"


def test_a_stuck_step_does_not_crowd_out_todays_work() -> None:
    # S1: service was made on 2025-03-01; the order, due 6 months later (2025-09-01, the
    # 45 CFR 303.101 standard), is 449 days overdue: stuck, most likely data that never
    # came back from the state system (DOMAIN rule 4). S2: the paying parent's new job
    # was learned of on Wednesday 2026-11-18 and no withholding notice went out: due two
    # business days later (45 CFR 303.100(e)), on 2026-11-20, 4 days ago. The withholding
    # notice is today's work; the stuck order is shown, marked "stuck", below it.
    stuck = CaseData(
        case("S1", "establishment", program="child_support", risk_level=None,
             opened_on="2024-12-01"),
        people=[person("N1", "S1", role="noncustodial_parent")],
        events=[event("L", "S1", "locate", on="2025-01-15"),
                event("SP", "S1", "service_of_process", on="2025-03-01")],
    )  # fmt: skip
    withholding = support_case("S2", order_established_on="2026-11-05")
    withholding.events = []
    withholding.payments = []
    withholding.signals.append(signal("S2", "N1", "new_employment", "2026-11-18"))
    actions = rank(stuck, withholding)
    order = actions[first(actions, "S1", "order")]
    assert order.action == "Establish the support order — stuck, 449 days overdue"
    assert next((t.term, t.points) for t in order.terms if t.term == "stuck") == ("stuck", -15.0)
    notice = actions[first(actions, "S2", "income_withholding")]
    assert notice.due_on == date(2026, 11, 20)
    assert first(actions, "S2", "income_withholding") < first(actions, "S1", "order")
    # the supervisor's count: one step stuck on S1, none on S2
    views = [
        evaluate(d, playbooks.for_case(BOOKS, d.case["case_type"]), TODAY, COEF)
        for d in (stuck, withholding)
    ]
    assert [load.case_figures(v, TODAY, BOOKS).stuck for v in views] == [1, 0]
    # with urgency.stuck set to 0 the step is not moved down, but it is still stuck
    free = urgency.coefficients({"stuck": 0})
    again = evaluate(stuck, playbooks.for_case(BOOKS, "establishment"), TODAY, free)
    assert load.case_figures(again, TODAY, BOOKS).stuck == 1
    assert ("stuck", 0.0) in [(t.term, t.points) for a in again.actions for t in a.terms]
    assert unit.stuck_words(1, 90) == (
        "1 step stuck > 90 days — reconcile with the system of record"
    )


def test_three_children_visited_monthly_are_one_action_naming_them() -> None:
    # One foster case, three children in care, none visited in November: one line, not
    # three, ranked by its most urgent child; each child's part stays in ``people``.
    data = foster_case("F1")
    data.events = [e for e in data.events if e["kind"] != "caseworker_visit"]
    data.people = [person("K1", "F1", name="Ana Lee"), person("K2", "F1", name="Paul Lee"),
                   person("K3", "F1", name="Amy Lee")]  # fmt: skip
    data.removals = [removal("F1", k, "2026-03-01") for k in ("K1", "K2", "K3")]
    visits = [a for a in rank(data) if a.step == "monthly_visit"]
    assert len(visits) == 1
    v = visits[0]
    assert v.action == (
        "Visit the children (Ana, Paul, Amy) — not yet done this month, due in 6 days"
    )
    assert [p.person_id for p in v.people] == ["K1", "K2", "K3"]
    assert v.urgency == max(p.urgency for p in v.people) and v.person_id is None


def test_a_visit_scheduled_after_its_deadline_is_flagged() -> None:
    # The November visit is booked for December 2nd: after the month it counts for.
    data = foster_case("F1")
    data.events = [e for e in data.events if e["kind"] != "caseworker_visit"]
    data.events.append(event("V", "F1", "caseworker_visit", "scheduled", on="2026-12-02",
                             person_id="K1"))  # fmt: skip
    visit = next(a for a in rank(data) if a.step == "monthly_visit")
    assert visit.action.endswith("; scheduled 2026-12-02, after the deadline")
    assert visit.scheduled_late
    data.events[-1]["scheduled_on"] = "2026-11-28"
    visit = next(a for a in rank(data) if a.step == "monthly_visit")
    assert visit.action.endswith("; scheduled 2026-11-28") and not visit.scheduled_late


def test_every_actions_terms_add_up_to_its_urgency() -> None:
    job_loss = support_case("S1")
    job_loss.signals.append(signal("S1", "N1", "job_loss", "2026-11-23"))
    hearing = foster_case("F1")
    hearing.events.append(event("H", "F1", "court_hearing", "scheduled", on="2026-11-26T09:00"))
    actions = rank(job_loss, hearing, investigation(), stale_foster_case("F2", "2025-01-01"))
    assert len(actions) >= 5
    for a in actions:
        assert round(sum(t.points for t in a.terms), 2) == a.urgency, a.action


# Properties --------------------------------------------------------------------------


@given(st.integers(min_value=1, max_value=73_000), st.booleans(), st.booleans())
def test_more_overdue_never_scores_lower_on_either_side_of_the_stuck_age(
    days: int, statutory: bool, court: bool
) -> None:
    def points(late: int) -> float:
        return urgency.total(urgency.due_terms(-late, COEF, statutory=statutory, court=court))

    stuck_at = urgency.stuck_days(COEF)
    if days != stuck_at:  # the one day the stuck term starts
        assert points(days + 1) >= points(days)
    # no 7-day cap: a week later is worth more points (past ~1,000 days the week adds less
    # than the 0.01 points are rounded to; the ranking still puts the older first: below)
    if not days <= stuck_at < days + 8:
        assert points(days + 8) > points(days) or (
            days > 1_000 and points(days + 8) >= points(days)
        )


REVIEW = playbooks.parse(
    '[[steps]]\nid = "review"\ntitle = "Review"\ndone_by = ["periodic_review"]\n'
    'due = { from = "opened", days = 0 }\nstatutory = true\n',
    "generic", "review.toml",
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_of_two_otherwise_equal_steps_the_more_overdue_ranks_higher(data: st.DataObject) -> None:
    # Two like steps (the same legal deadline, the same risk, the same idle days), both
    # under the stuck age or both past it: the more overdue ranks higher, whatever the
    # rounding of their points (ties go to the earlier due date). With urgency.stuck set
    # to 0, on any two days.
    stuck_at = urgency.stuck_days(COEF)
    past = data.draw(st.booleans())
    lo, hi = (stuck_at + 1, 20_000) if past else (1, stuck_at)
    late = data.draw(st.integers(min_value=lo, max_value=hi - 1))
    later = data.draw(st.integers(min_value=late + 1, max_value=hi))
    for coef in (COEF, urgency.coefficients({"stuck": 0})):
        cases = [CaseData(case(cid, "generic", risk_level="high")) for cid in ("A", "B")]
        for d, days in zip(cases, (late, later), strict=True):
            d.case["opened_on"] = (TODAY - timedelta(days=days)).isoformat()
        views = [evaluate(d, REVIEW, TODAY, coef) for d in cases]
        assert [x.case_id for x in ranked_actions(views)] == ["B", "A"], (late, later)
    free = urgency.coefficients({"stuck": 0})
    a, b = (urgency.total(urgency.due_terms(-d, free, statutory=True, court=False))
            for d in (data.draw(st.integers(1, 20_000)), 0))  # fmt: skip
    assert a >= b


@settings(max_examples=80, deadline=None)
@given(
    late=st.integers(min_value=1, max_value=45_000),  # removed after 1900 (the contract)
    risk=st.sampled_from(["low", "moderate", "high", "very_high", None]),
    idle=st.booleans(),
    hearing_in=st.integers(min_value=0, max_value=7),
)
def test_no_court_or_compliance_step_however_old_outranks_an_overdue_safety_step(
    late: int, risk: str | None, idle: bool, hearing_in: int
) -> None:
    # The most a non-safety action can gather with the default coefficients: a legal
    # court deadline (due 6 x 1.8 x 1.5) as late as the contract's dates allow (200 years),
    # a hearing this week (court_imminent), very high risk, 90 idle days, the goal_impact
    # cap, against the least a safety step can have: a low-risk child unseen one day.
    compliance = with_risk(foster_case("F1"), risk)
    compliance.removals[0]["removed_on"] = (TODAY - timedelta(days=late + 500)).isoformat()
    compliance.events = [] if idle else compliance.events
    compliance.events.append(
        event("H", "F1", "court_hearing", "scheduled",
              on=(TODAY + timedelta(days=hearing_in)).isoformat())
    )  # fmt: skip
    unseen = investigation("I1", opened="2026-11-22T09:00", risk="low", hours=24)
    actions = rank(compliance, unseen)
    assert actions[0].case_id == "I1" and actions[0].step == "first_contact"
    bound = (
        COEF["due"] * COEF["court"] * COEF["statutory"]
        + COEF["overdue"] * math.log1p(73_050)
        + COEF["court_imminent"] + COEF["risk"] * 1.5 + COEF["idle"] * 3
        + COEF["goal_impact"] * urgency.GOAL_IMPACT_CAP
    )  # fmt: skip
    assert bound < COEF["safety"]  # the margin the defaults keep, whatever the case
    assert all(a.urgency <= bound for a in actions if a.case_id == "F1")


def test_a_trial_home_visit_past_six_months_is_an_action() -> None:
    # Issue 13 item 15. F1's child went home on a trial visit on 2026-05-10: six months on 2026-11-10, 14
    # days ago (DOMAIN.md "Timeframes": trial home visits at most 6 months). F2's began
    # 2026-06-10: 6 months on 2026-12-10, in 16 days, inside the 30-day horizon. F3's
    # began 2026-07-10 (2027-01-10): not yet an action; F4's ended: none.
    def with_visit(case_id: str, start: str, end: str | None = None) -> CaseData:
        data = foster_case(case_id)
        data.placements = [{"placement_id": f"PL-{case_id}", "case_id": case_id,
                            "removal_id": "RM1", "setting": "trial_home_visit",
                            "start_on": start, "end_on": end}]  # fmt: skip
        return data

    cases = [with_visit("F1", "2026-05-10"), with_visit("F2", "2026-06-10"),
             with_visit("F3", "2026-07-10"), with_visit("F4", "2026-05-10", "2026-10-01")]  # fmt: skip
    found = {a.case_id: a for a in rank(*cases) if a.step == "trial_home_visit"}
    assert set(found) == {"F1", "F2"}
    assert found["F1"].action == (
        "Decide the trial home visit (Kai) — 6 months on 2026-11-10, 14 days overdue: "
        "reunify, or return to care"
    )
    assert found["F2"].action.startswith(
        "Decide the trial home visit (Kai) — 6 months on 2026-12-10, due in 16 days"
    )
    # a legal deadline: the same due and overdue terms as a statutory step
    assert [t.term for t in found["F1"].terms] == ["due", "overdue", "risk"]
    assert found["F1"].urgency > found["F2"].urgency


def test_a_case_unpaid_for_months_ranks_above_routine_enforcement_below_fresh_news() -> None:
    # Issue 14 item 8. S1: nothing paid since June (July to October: 4 whole months; a
    # case with no payment for two months or more is worked, DOMAIN.md "Timeframes").
    # S2: October's payment missed only, the routine monthly enforcement step due at the
    # month's end, as S1's. S3: the paying parent lost a job yesterday. The debt that has
    # grown four months grows again each month it is not worked: above the routine step
    # of the same day (the ``unpaid`` term), but below a fresh life change (rule 2: the
    # moment to reach the parent passes) and below any legal deadline passed (``due``
    # alone gives those 9 points; four months unpaid with the month's end in 6 days, 8.26).
    from tests.test_case_card import _ledger

    unpaid, routine, news = support_case("S1"), support_case("S2"), support_case("S3")
    for d in (unpaid, routine, news):  # not idle: the parent was located last week
        d.events = [e for e in d.events if e["kind"] != "enforcement_action"]
        d.events.append(event("LC", d.case_id, "locate", on="2026-11-17"))
    unpaid.payments = _ledger("S1", "2026-06")
    news.signals.append(signal("S3", "N1", "job_loss", "2026-11-23"))
    actions = rank(unpaid, routine, news)
    assert [(a.case_id, a.kind) for a in actions] == [
        ("S3", "modification"), ("S1", "no_payment"), ("S2", "step"), ("S3", "step"),
    ]  # fmt: skip
    s1 = actions[1]
    assert s1.action == (
        "No payment since June (4 months) — check employment, consider withholding"
    )
    assert [(t.term, t.points) for t in s1.terms] == [("due", 3.43), ("unpaid", 4.83)]
    assert s1.urgency < COEF["due"] * COEF["statutory"]  # below a legal deadline passed
