"""The engine on hand-built cases: the expected order is argued in each test."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from casecli.core.engine import playbooks, urgency
from casecli.core.engine.casedata import CaseData
from casecli.core.engine.engine import evaluate
from casecli.core.views.caseload import ranked_actions, waiting

TODAY = date(2026, 11, 24)
BOOKS = playbooks.load()
COEF = urgency.coefficients()


def case(case_id: str, case_type: str, **fields: Any) -> dict[str, Any]:
    row = {
        "case_id": case_id, "program": "child_welfare", "case_type": case_type, "status": "open",
        "opened_on": "2026-09-01", "closed_on": None, "worker_id": "W1", "name": "Family", "risk_level": "low",
        "response_hours": None, "permanency_goal": None, "goal_target_on": None, "order_established_on": None,
        "updated_at": None,
    }  # fmt: skip
    row.update(fields)
    return row


def person(
    pid: str, case_id: str, role: str = "child", name: str = "Kai Brown", **kw: Any
) -> dict[str, Any]:
    return {"person_id": pid, "case_id": case_id, "role": role, "name": name, "birth_on": "2017-01-01",
            "born_out_of_wedlock": None, "paternity_established_on": None} | kw  # fmt: skip


def event(
    eid: str, case_id: str, kind: str, status: str = "completed", on: str | None = None, **kw: Any
) -> dict[str, Any]:
    row = {"id": eid, "source": "export", "case_id": case_id, "kind": kind, "status": status,
           "scheduled_on": on if status == "scheduled" else None, "completed_on": on if status == "completed" else None,
           "person_id": None, "staff_id": "W1", "location": None, "result": None, "note": None}  # fmt: skip
    row.update(kw)
    return row


def view(data: CaseData, today: date = TODAY):  # type: ignore[no-untyped-def]
    return evaluate(data, playbooks.for_case(BOOKS, data.case["case_type"]), today, COEF)


def foster_case(case_id: str = "F1", **kw: Any) -> CaseData:
    """A child in care since March, visited this month, case plan done, reviews current."""
    data = CaseData(
        case(
            case_id,
            "foster_care",
            opened_on="2026-03-01",
            permanency_goal="reunification",
            risk_level="moderate",
            **kw,
        ),
        people=[person("K1", case_id)],
        removals=[
            {
                "removal_id": "RM1",
                "case_id": case_id,
                "person_id": "K1",
                "removed_on": "2026-03-01",
                "discharged_on": None,
                "discharge_reason": None,
            }
        ],  # fmt: skip
        events=[
            event(
                "E1", case_id, "caseworker_visit", on="2026-11-03", person_id="K1", location="home"
            ),
            event("E2", case_id, "case_plan", on="2026-04-15"),
            event("E3", case_id, "periodic_review", on="2026-09-01"),
            event("E4", case_id, "risk_assessment", on="2026-10-20"),
        ],
    )
    return data


def investigation(
    case_id: str = "I1", opened: str = "2026-11-22T09:00", risk: str = "high", hours: int = 24
) -> CaseData:
    return CaseData(
        case(case_id, "investigation", opened_on=opened, risk_level=risk, response_hours=hours),
        people=[person("C1", case_id, name="Ana Smith")],
    )


def test_unseen_high_risk_child_outranks_a_routine_visit_due_in_ten_days() -> None:
    # I1: opened two days ago, 24-hour response, child not seen: a statutory safety deadline
    # passed a day ago on a high-risk case. F1: the monthly visit due at month end (6 days)
    # is routine; even with the month's visit missing it must rank lower.
    urgent = view(investigation())
    routine_data = foster_case()
    routine_data.events = [e for e in routine_data.events if e["kind"] != "caseworker_visit"]
    routine = view(routine_data, date(2026, 11, 20))  # visit due 2026-11-30: 10 days out
    actions = ranked_actions([routine, urgent])
    assert actions[0].case_id == "I1"
    assert actions[0].step == "first_contact"
    assert actions[0].action == "See the child face to face (Ana) — 1 day overdue"
    assert {t.term for t in actions[0].terms} >= {"due", "overdue", "safety"}
    visit = next(a for a in actions if a.case_id == "F1" and a.step == "monthly_visit")
    assert visit.due_on == date(2026, 11, 30)
    assert visit.urgency < actions[0].urgency
    assert urgent.situation == "overdue"


def test_court_report_before_a_hearing_five_days_away_names_the_hearing() -> None:
    data = foster_case()
    data.events.append(event("H1", "F1", "court_hearing", "scheduled", on="2026-11-29T09:00"))
    v = view(data)
    report = next(a for a in v.actions if a.step == "court_report")
    assert report.action == "File the court report — court hearing in 5 days, report not filed"
    assert report.due_on == date(2026, 11, 19)  # 10 days before the hearing
    assert any(t.term == "overdue" and t.why == "5 days overdue" for t in report.terms)
    assert v.milestone is not None and (v.milestone.what, v.milestone.days_left) == (
        "court hearing",
        5,
    )


def test_a_court_report_filed_for_the_hearing_leaves_next() -> None:
    data = foster_case()
    data.events += [
        event("H1", "F1", "court_hearing", "scheduled", on="2026-11-29T09:00"),
        event("R1", "F1", "court_report", on="2026-11-18"),
    ]
    assert not any(a.step == "court_report" for a in view(data).actions)


def test_a_drug_screen_result_pending_twelve_days_gives_a_chase_action() -> None:
    data = foster_case()
    data.events.append(
        event("D1", "F1", "drug_screen", on="2026-11-12", person_id="M1", result=None)
    )
    v = view(data)
    chase = [a for a in v.actions if a.kind == "chase"]
    assert [a.action for a in chase] == ["Chase the drug-screen result — pending 12 days"]
    barrier = chase[0].terms[0]
    assert barrier.term == "barrier"
    assert barrier.points == round(3.0 * math.log(12 / 7), 2)  # urgency.barrier × ln(days ÷ 7)
    assert v.barriers[0].what == "drug-screen result" and v.barriers[0].age_days == 12


def test_a_job_loss_yesterday_gives_a_contact_action() -> None:
    data = foster_case()
    data.people.append(person("D1", "F1", role="father", name="Ray Brown"))
    data.signals.append({"signal_id": "G1", "kind": "job_loss", "observed_on": "2026-11-23", "person_id": "D1",
                         "source": "wage_records", "detail": None, "case_id": "F1"})  # fmt: skip
    v = view(data)
    contact = next(a for a in v.actions if a.kind == "contact")
    assert contact.action == "The father lost a job yesterday — make contact"
    assert contact.terms[0].term == "signal" and contact.terms[0].points == round(30.0 * 13 / 14, 2)
    assert v.situation == "act now"


def test_a_job_loss_in_child_support_asks_for_a_modification_review() -> None:
    data = CaseData(
        case(
            "S1",
            "enforcement",
            program="child_support",
            order_established_on="2025-01-10",
            risk_level=None,
        ),
        people=[
            person("N1", "S1", role="noncustodial_parent", name="Ray Jones"),
            person("K1", "S1"),
        ],
        events=[event("W1", "S1", "income_withholding", on="2025-01-20")],
        signals=[
            {
                "signal_id": "G1",
                "kind": "job_loss",
                "observed_on": "2026-11-21",
                "person_id": "N1",
                "source": "wage_records",
                "detail": None,
                "case_id": "S1",
            }
        ],  # fmt: skip
    )
    v = view(data)
    # one action, not two: the review the playbook asks for, made urgent by the signal
    reviews = [a for a in v.actions if a.step == "modification_review"]
    assert len(reviews) == 1
    review = reviews[0]
    assert (review.kind, review.due_on) == ("modification", date(2026, 12, 21))
    assert (
        review.action
        == "Review the order for modification — the paying parent lost a job 3 days ago"
    )
    # due in 27 days: no due points yet; nothing recorded since January 2025: idle
    assert [t.term for t in review.terms] == ["signal", "idle"]


def test_a_waitlisted_service_blocks_its_step_and_shows_in_waiting() -> None:
    data = foster_case()
    data.events = [
        e for e in data.events if e["kind"] != "risk_assessment"
    ]  # readiness not assessed
    data.referrals.append({"referral_id": "R1", "case_id": "F1", "service": "substance_treatment", "status": "waitlisted",
                           "referred_on": "2026-10-17", "person_id": "M1", "provider": None, "started_on": None,
                           "ended_on": None})  # fmt: skip
    v = view(data)
    step = next(s for s in v.steps if s.step.id == "reunification_assessment")
    assert (step.status, step.blocked_by) == ("waiting", "substance treatment (waitlisted)")
    assert not any(a.step == "reunification_assessment" and a.kind == "step" for a in v.actions)
    groups = waiting([v])
    assert [(g.what, g.count, g.median_days) for g in groups] == [("substance treatment", 1, 38.0)]
    assert any(
        a.action == "Chase the substance treatment referral — waitlisted for 38 days"
        for a in v.actions
    )


def test_a_recorded_barrier_moves_its_step_to_waiting() -> None:
    data = foster_case()
    data.events = [e for e in data.events if e["kind"] != "caseworker_visit"]
    data.barriers.append({"barrier_id": 5, "case_id": "F1", "what": "placement agency visit approval", "service": None,
                          "step": "monthly_visit", "expect_on": None, "opened_on": "2026-11-20", "opened_by": "W1",
                          "note": None})  # fmt: skip
    v = view(data)
    visit = next(s for s in v.steps if s.step.id == "monthly_visit")
    assert (visit.status, visit.blocked_by) == ("waiting", "placement agency visit approval")
    assert not any(a.step == "monthly_visit" for a in v.actions)


def test_closed_cases_give_nothing() -> None:
    data = investigation()
    data.case["status"] = "closed"
    data.case["closed_on"] = "2026-11-23"
    v = view(data)
    assert (v.actions, v.steps, v.situation) == ([], [], "closed")


def test_a_visit_recorded_today_removes_the_visit() -> None:
    data = foster_case()
    data.events = [e for e in data.events if e["kind"] != "caseworker_visit"]
    assert any(a.step == "monthly_visit" for a in view(data).actions)
    data.events.append(
        event(
            "local:1", "F1", "caseworker_visit", on="2026-11-24", person_id="K1", source="recorded"
        )
    )
    assert not any(a.step == "monthly_visit" for a in view(data).actions)


def test_a_case_on_track_says_so_and_names_its_milestone() -> None:
    v = view(foster_case(goal_target_on="2027-03-01"))
    assert v.situation == "on track"
    assert v.milestone is not None and v.milestone.what == "reunification target"


# More overdue ranks higher, and no 7-day cap: tests/test_urgency_order.py (issue 12).


@given(st.integers(min_value=-60, max_value=60))
def test_urgency_never_falls_as_a_due_date_approaches(days_left: int) -> None:
    def points(left: int) -> float:
        return urgency.total(urgency.due_terms(left, COEF, statutory=False, court=False))

    assert points(days_left - 1) >= points(days_left)


def test_the_permanency_hearing_is_due_12_months_after_entry_into_care() -> None:
    # Issue 13 item 8; 42 USC 675(5)(C) and (F): the hearing is due 12 months after the
    # child entered foster care, the earlier of the adjudication and 60 days after removal.
    def hearing_due(events: list[dict[str, Any]]) -> date | None:
        data = foster_case()
        data.removals[0]["removed_on"] = "2026-01-10"
        data.events = [e for e in data.events if e["kind"] != "case_plan"] + events
        v = view(data, date(2026, 11, 24))
        return next(s.due_on for s in v.steps if s.step.id == "permanency_hearing")

    # No adjudication recorded: entry = 2026-01-10 + 60 days = 2026-03-11 -> 2027-03-11.
    assert hearing_due([]) == date(2027, 3, 11)
    # Adjudicated on 2026-02-01, before the 60 days ran out: entry 2026-02-01 -> 2027-02-01.
    assert hearing_due([event("AD", "F1", "adjudication", on="2026-02-01")]) == date(2027, 2, 1)
    # An adjudication before this removal (an earlier episode) does not count; one after
    # the 60 days does not move entry later.
    before = [event("AD", "F1", "adjudication", on="2025-06-01")]
    after = [event("AD", "F1", "adjudication", on="2026-04-01")]
    assert hearing_due(before) == hearing_due(after) == date(2027, 3, 11)


def test_income_withholding_is_due_two_business_days_after_a_new_job_is_learned_of() -> None:
    # 45 CFR 303.100(e) (DOMAIN.md "Timeframes"): the notice goes to the employer within
    # 2 business days of learning of the employment. Learned on Friday 2026-11-20: Monday
    # is the first business day, Tuesday 2026-11-24 the second, so it is due today; the
    # playbook's old "15 days after the order" is gone (issue 13 item 10).
    def case(signal_on: str, sent_on: str | None = None) -> Any:
        events = [
            {"event_id": "E9", "case_id": "C9", "kind": "income_withholding",
             "status": "completed", "scheduled_on": None, "completed_on": sent_on,
             "person_id": "P9", "staff_id": "W1", "location": "office", "result": None}
        ] if sent_on else []  # fmt: skip
        data = CaseData(
            {"case_id": "C9", "program": "child_support", "case_type": "enforcement",
             "status": "open", "opened_on": "2024-01-01", "closed_on": None,
             "worker_id": "W1", "name": "Doe", "risk_level": None, "response_hours": None,
             "permanency_goal": None, "goal_target_on": None,
             "order_established_on": "2024-06-01", "updated_at": None},
            people=[{"person_id": "P9", "case_id": "C9", "role": "noncustodial_parent",
                     "name": "Ray Doe", "birth_on": None, "born_out_of_wedlock": None,
                     "paternity_established_on": None}],
            events=events,
            signals=[{"signal_id": "G9", "kind": "new_employment", "observed_on": signal_on,
                      "person_id": "P9", "case_id": "C9", "source": "new_hires",
                      "detail": None}],
        )  # fmt: skip
        return evaluate(data, BOOKS["enforcement"], TODAY, dict(urgency.DEFAULTS))

    def withholding(view: Any) -> Any:
        return next((s for s in view.steps if s.step.id == "income_withholding"), None)

    step = withholding(case("2026-11-20"))
    assert step is not None and (step.status, step.due_on) == ("open", date(2026, 11, 24))
    assert step.step.statutory is False  # a state plan timeframe, not a per-case deadline
    # Learned on Wednesday 2026-11-18: Thursday and Friday, due 2026-11-20, 4 days ago.
    step = withholding(case("2026-11-18"))
    assert step is not None and (step.status, step.due_on) == ("overdue", date(2026, 11, 20))
    # A notice sent on or after the day the job was learned of: nothing owed.
    assert withholding(case("2026-11-18", sent_on="2026-11-19")) is None
    # A notice sent before it (for an earlier job) does not cover the new one.
    step = withholding(case("2026-11-18", sent_on="2026-10-01"))
    assert step is not None and step.status == "overdue"
