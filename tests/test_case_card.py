"""The case card (issue 14 items 1-10): `casecli case ID`, its `--json`, and the TUI's card.

On the basic fixture as of 2026-11-24 (tests/fixtures/basic), as admin A1, plus a delta:
- C300: an in-home case opened 2025-05-01, closed 2026-05-01.
- C100: a child in care since 2025-12-01 (a shelter, then a foster family from
  2025-12-10), worker W1 Avery Cole of Unit One; goals CG1 and CG2.
- C200: child support, order 2024-06-01; paid September in full, half of October.
- I9 (delta): an investigation opened 2026-10-07, the child seen, assessed, the finding
  recorded on 2026-11-14, still open: 18 days past the 30-day limit.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from casecli.core.engine import payments, playbooks, urgency
from casecli.core.engine.actions import chase_sentence, no_payment_sentence
from casecli.core.engine.barriers import Barrier
from casecli.core.engine.casedata import CaseData
from casecli.core.views import card as cards
from tests.conftest import CASES_HEADER, EVENTS_HEADER, PEOPLE_HEADER, basic_plus, run_json
from tests.test_engine import event, investigation, view

TODAY = date(2026, 11, 24)


@pytest.fixture
def run(tmp_path: Path, backend: object | None):  # type: ignore[no-untyped-def]
    return basic_plus(
        tmp_path,
        {
            "cases.csv": CASES_HEADER
            + "I9,child_welfare,investigation,open,2026-10-07T09:00,,W1,Park,moderate,72,,,,\n",
            "people.csv": PEOPLE_HEADER + "P90,I9,child,Mia Park,2020-01-01,,\n",
            "events.csv": EVENTS_HEADER
            + "E90,I9,face_to_face_contact,completed,,2026-10-08,P90,W1,home,\n"
            + "E91,I9,safety_assessment,completed,,2026-10-09,,W1,home,\n"
            + "E92,I9,collateral_contact,completed,,2026-10-15,,W1,school,\n"
            + "E93,I9,collateral_contact,completed,,2026-10-16,,W1,other,\n"
            + "E94,I9,finding,completed,,2026-11-14,P90,W1,office,unsubstantiated\n",
        },
        team=backend,
    )


def lines(run: Any, *args: str) -> list[str]:
    done = run(*args)
    assert done.exit_code == 0, done.stderr
    return [line.rstrip() for line in done.stdout.splitlines()]


# 1. closed since its closing date ------------------------------------------------------


def test_a_closed_case_is_closed_since_its_closing_date(run: Any) -> None:
    shown = lines(run, "case", "C300")
    assert shown[1] == "closed since 2026-05-01 (opened 2025-05-01) · risk low"
    assert run_json(run, "case", "C300")["closed_on"] == "2026-05-01"


# 2. done work is never blocked ---------------------------------------------------------


def test_collateral_contacts_made_are_done_though_the_child_is_not_yet_recorded_seen() -> None:
    data = investigation("I1", opened="2026-11-10T09:00", hours=72)
    data.events += [event("C1", "I1", "collateral_contact", on="2026-11-12"),
                    event("C2", "I1", "school_contact", on="2026-11-13")]  # fmt: skip
    v = view(data)
    collaterals = next(s for s in v.steps if s.step.id == "collaterals")
    assert (collaterals.status, collaterals.done_on) == ("done", date(2026, 11, 13))
    assert collaterals.blocked_by is None
    # what is still to do waits as before: the assessment follows the first contact
    assessment = next(s for s in v.steps if s.step.id == "safety_assessment")
    assert (assessment.status, assessment.blocked_by) == (
        "blocked",
        "see the child face to face first",
    )


# 3. one rule for the card, next and focus ----------------------------------------------


def test_a_finding_recorded_past_the_limit_leaves_closing_the_case(run: Any) -> None:
    card = run_json(run, "case", "I9")
    assert card["situation"] == "overdue"
    assert [a["action"] for a in card["actions"]] == [
        "Close the investigation — the finding is recorded (2026-11-14); 18 days overdue"
    ]
    shown = lines(run, "case", "I9")
    assert "nothing to do now" not in shown
    at = shown.index("Now")
    assert shown[at + 1 : at + 3] == [  # at 80 columns, wrapped under its own text
        "   16.9  Close the investigation — the finding is recorded (2026-11-14); 18 days",
        "         overdue",
    ]


def test_focus_says_the_same_of_an_investigation_past_its_limit(run: Any, tmp_path: Path) -> None:
    from casecli.core.measures import focus_cases, periods
    from casecli.core.store import store

    conn = store.connect(tmp_path / "s.db")
    found = focus_cases.cases_for(
        conn, "investigations_overdue", "c.worker_id = ?", ["W1"],
        periods.parse("2026-11", TODAY), TODAY,
    )  # fmt: skip
    reasons = {f.case_id: f.reason for f in found}
    assert reasons["I9"] == (
        "open 48 days, 18 days past the 30-day limit: the finding is recorded (2026-11-14), "
        "close the investigation"
    )
    assert reasons["004"] == "open 2 days; the 30-day closure limit is in 28 days"


# 4. an achieved goal --------------------------------------------------------------------


def test_an_achieved_goal_reads_achieved_not_a_percent(run: Any) -> None:
    assert run("progress", "C100", "CG1", "--percent", "40").exit_code == 0
    assert "  CG1  in progress 40%, target 2026-12-01" in lines(run, "case", "C100")
    assert run("progress", "C100", "CG1", "--status", "achieved").exit_code == 0
    assert "  CG1  achieved, target 2026-12-01" in lines(run, "case", "C100")
    goal = next(g for g in run_json(run, "case", "C100")["goals"] if g["goal_id"] == "CG1")
    assert (goal["status"], goal["percent"]) == ("achieved", 100)
    assert run("progress", "C100", "CG1", "--percent", "60").exit_code == 0  # reopened
    goal = next(g for g in run_json(run, "case", "C100")["goals"] if g["goal_id"] == "CG1")
    assert (goal["status"], goal["percent"]) == ("in_progress", 60)


# 5. a milestone of the case's own program, ahead ----------------------------------------


def test_a_support_cases_milestone_is_its_orders_next_review(run: Any) -> None:
    card = run_json(run, "case", "C200")
    assert card["milestone"] == {
        "what": "order review (every 3 years)", "on": "2027-06-01", "days_left": 189,
    }  # fmt: skip
    text = "\n".join(lines(run, "case", "C200")).lower()
    for word in ("permanency", "asfa", "case plan", "investigation", "reunification"):
        assert word not in text
    passed = run_json(run, "case", "C200", today="2027-06-02")
    assert passed["milestone"] is None  # a passed review is no milestone


# 6. barrier numbers ----------------------------------------------------------------------


def test_a_barrier_shows_its_number_and_resolve_takes_either_form(run: Any) -> None:
    assert run("wait", "C100", "court date from the clerk").exit_code == 0
    assert "  #1 court date from the clerk — 0 days (since 2026-11-24)" in lines(
        run, "case", "C100"
    )
    recorded = [b for b in run_json(run, "case", "C100")["barriers"] if b["kind"] == "recorded"]
    assert [(b["id"], b["number"]) for b in recorded] == [("barrier:1", 1)]
    assert "#1 court date from the clerk" in run("waiting").stdout
    for bad, sentence in (
        ("referral:R1", "casecli: referral:R1 is not a recorded barrier: it ends when the "
         "service starts or the result comes in; casecli resolve takes the numbers casecli "
         "waiting shows (#5, or barrier:5).\n"),
        ("one", "casecli: 'one' is not a barrier number; give the number casecli waiting "
         "shows (5, #5 or barrier:5).\n"),
    ):  # fmt: skip
        done = run("resolve", bad)
        assert (done.exit_code, done.stderr, done.stdout) == (2, sentence, "")
    done = run("resolve", "barrier:1")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.startswith("Resolved barrier #1 on case C100")


# 7. a template per kind of action --------------------------------------------------------


def _barrier(kind: str, what: str, **kw: Any) -> Barrier:
    return Barrier(f"{kind}:1", kind, what, date(2026, 11, 12), 12, **kw)


def test_every_kind_of_chase_reads_as_a_sentence() -> None:
    said = [
        chase_sentence(b)[0]
        for b in (
            _barrier("service", "mental health (waitlisted)", service="mental_health",
                     status="waitlisted"),
            _barrier("service", "parenting (referred)", service="parenting", status="referred"),
            _barrier("result", "drug-screen result"),
            _barrier("court", "a new hearing date after the continuance"),
            _barrier("approval", "supervisor approval"),
            Barrier("barrier:5", "recorded", "a new hearing date", date(2026, 11, 12), 12,
                    expect_on=date(2026, 12, 1)),
        )
    ]  # fmt: skip
    assert said == [
        "Chase the mental health referral — waitlisted for 12 days",
        "Chase the parenting referral — referred 12 days ago, not started",
        "Chase the drug-screen result — pending 12 days",
        "Ask the court for a new hearing date — continued 12 days ago, none set",
        "Chase the supervisor's approval — waiting 12 days",
        "Follow up on barrier #5: a new hearing date — waiting 12 days (expected 2026-12-01)",
    ]


def test_the_other_kinds_of_action_read_as_sentences() -> None:
    coef = urgency.coefficients()
    assert [t.why for t in urgency.due_terms(-3, coef, statutory=False, court=False)] == [
        "due date passed", "3 days overdue",
    ]  # fmt: skip
    assert no_payment_sentence(payments.Gap(6, "2026-04", "2026-05"), TODAY) == (
        "No payment since April (6 months) — check employment, consider withholding"
    )
    assert no_payment_sentence(payments.Gap(1, "2025-12", "2026-01"), date(2026, 2, 3)) == (
        "No payment since December 2025 (1 month) — check employment, consider withholding"
    )
    assert no_payment_sentence(payments.Gap(13, None, "2025-10"), TODAY) == (
        "No payment on record since October 2025 (13 months) — check employment, "
        "consider withholding"
    )
    assert urgency.unpaid_term(2, coef)[0].why == "no support payment for 2 months"
    assert urgency.unpaid_term(1, coef) == []  # under urgency.no_payment_months


# 8. a support case's money ---------------------------------------------------------------


def test_a_support_card_shows_the_money(run: Any) -> None:
    shown = lines(run, "case", "C200")
    at = shown.index("Support")
    assert shown[at + 1 : at + 6] == [
        "  Order established 2024-06-01.",
        "  Current support, September to October: $700.00 due, $525.50 paid (75%).",
        "  Arrears: $1,150.50 owed at the start of October; $50.00 paid toward them in",
        "  these months.",
        "  Last payment in October.",
    ]
    support = run_json(run, "case", "C200")["support"]
    assert {k: v for k, v in support.items() if k != "months"} == {
        "order_established_on": "2024-06-01", "current_due": 70000, "current_paid": 52550,
        "arrears_balance": 115050, "arrears_paid": 5000, "last_paid_month": "2026-10",
        "months_without_payment": 0,
    }  # fmt: skip
    assert [m["month"] for m in support["months"]] == ["2026-09", "2026-10"]


def _ledger(case_id: str, paid_until: str) -> list[dict[str, Any]]:
    """November 2025 to November 2026, $400 due a month, paid through ``paid_until``."""
    out = []
    for i in range(13):
        month = payments.month_of(payments.month_index("2025-11") + i)
        out.append({"case_id": case_id, "month": month, "current_due": 40000,
                    "current_paid": 40000 if month <= paid_until else 0,
                    "arrears_due": 0, "arrears_paid": 0})  # fmt: skip
    return out


def test_four_months_unpaid_is_an_action_not_on_track() -> None:
    from tests.test_urgency_order import support_case

    data = support_case("S1")
    data.payments = _ledger("S1", "2026-06")  # nothing since June: July to October
    data.events = [e for e in data.events if e["kind"] != "enforcement_action"]
    v = view(data)
    assert v.situation == "act now"
    assert [(a.kind, a.action) for a in v.actions] == [
        ("no_payment", "No payment since June (4 months) — check employment, consider withholding")
    ]
    assert ("unpaid", 4.83, "no support payment for 4 months") in v.actions[0].terms
    # worked this month (an enforcement action on 2026-11-05): no action, but the card
    # still says how long it has gone unpaid
    data.events.append(event("EA", "S1", "enforcement_action", on="2026-11-05"))
    assert [a.kind for a in view(data).actions] == []
    money = cards.support(data, TODAY)
    assert money is not None and (money.months_unpaid, money.last_paid) == (4, "2026-06")
    # the threshold is a setting: at urgency.no_payment_months 6, four months are not yet
    data.events.pop()
    late = urgency.coefficients({"no_payment_months": 6})
    book = playbooks.for_case(playbooks.load(), "enforcement")
    from casecli.core.engine.engine import evaluate

    assert [a.kind for a in evaluate(data, book, TODAY, late).actions] == ["step"]


# 9. each child in care -------------------------------------------------------------------


def test_a_foster_card_shows_each_child_in_care(run: Any) -> None:
    shown = lines(run, "case", "C100")
    at = shown.index("Children in care")
    assert shown[at + 1 : at + 4] == [
        "  Kai (P3): removed 2025-12-01, in care 11 months",
        "    ASFA month 10 of 15 (month 15 ends 2027-04-29)",
        "    with a foster family since 2025-12-10; 1 placement move",
    ]
    card = run_json(run, "case", "C100")
    assert card["children_in_care"] == [{
        "person_id": "P3", "removed_on": "2025-12-01", "entered_on": "2026-01-30",
        "days_in_care": 358, "asfa_month": 10, "asfa_month_15": "2027-04-29",
        "asfa_done_on": None, "placement": "foster_family", "placement_since": "2025-12-10",
        "placement_moves": 1,
    }]  # fmt: skip
    # the card and the engine agree: the TPR step is due the day month 15 ends
    tpr = next(s for s in card["steps"] if s["step"] == "tpr_petition")
    assert tpr["due_on"] == "2027-04-29"


def _placement(pid: str, setting: str, start: str, provider: str | None) -> dict[str, Any]:
    return {"placement_id": pid, "removal_id": "R1", "setting": setting, "start_on": start,
            "end_on": None, "provider_id": provider}  # fmt: skip


def test_placement_moves_are_counted_as_the_stability_measure_counts_them() -> None:
    # the first home; respite and back to it (no move); a runaway and back to it (no
    # move); a trial home visit (no move); a new home (a move); back to the first home
    # (a move: not a return from respite or runaway); one without a provider (a move).
    history = [
        _placement("A", "foster_family", "2026-01-01", "H1"),
        _placement("B", "respite", "2026-02-01", "R9"),
        _placement("C", "foster_family", "2026-02-03", "H1"),
        _placement("D", "runaway", "2026-03-01", None),
        _placement("E", "foster_family", "2026-03-05", "H1"),
        _placement("F", "trial_home_visit", "2026-04-01", None),
        _placement("G", "relative", "2026-05-01", "H2"),
        _placement("H", "foster_family", "2026-06-01", "H1"),
        _placement("I", "group_home", "2026-07-01", None),
    ]
    assert cards.placement_moves(history) == 3
    assert cards.placement_moves(history[:1]) == 0


# 10. the worker by name and unit; the TUI shows the same card ----------------------------


def test_the_card_names_the_worker_and_unit_and_redacts_them(run: Any) -> None:
    assert lines(run, "case", "C100")[2] == "Worker Avery Cole (W1), Unit One"
    assert lines(run, "case", "C100", "--redact")[2] == "Worker A.C. (W1), Unit One"
    worker = run_json(run, "case", "C100")["worker"]
    assert worker == {"staff_id": "W1", "name": "Avery Cole", "unit_id": "U1",
                      "unit_name": "Unit One"}  # fmt: skip


def test_the_tui_card_shows_the_same_sentences(run: Any, tmp_path: Path) -> None:
    from casecli.core.store import store
    from tui.widgets.case_card import card_text

    conn = store.connect(tmp_path / "s.db")
    books, coef = playbooks.load(), urgency.coefficients()
    for case_id in ("C100", "C200", "C300"):
        card = cards.load(conn, case_id, today=TODAY, books=books, coef=coef)
        assert card is not None
        tui = [line.rstrip() for line in card_text(card, TODAY, False).plain.splitlines()]
        cli = lines(run, "case", case_id)
        for line in cli:
            if line.startswith("  ") and any(
                line.strip().startswith(x) for x in ("Order", "Current", "Kai", "ASFA", "#")
            ) or line.startswith(("Worker", "closed", "open")):  # fmt: skip
                assert line in tui, (case_id, line)


def test_an_empty_store_case_data_has_no_money_or_children() -> None:
    data = CaseData(investigation().case)
    assert cards.support(data, TODAY) is None
