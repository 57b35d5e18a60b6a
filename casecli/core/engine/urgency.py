"""Urgency: one number per action, a sum of named terms, each with a tunable coefficient.

In the spirit of Taskwarrior's ``urgency.*`` but built for casework: a ranking orders
work by what one more day of waiting costs, in the order of consequences DOMAIN.md sets
("Urgency: what a ranking must respect"). The order lives in the coefficients, not in
special cases in the code:

1. **A child's safety** (``safety``, 100): an open step marked ``safety = true`` in its
   playbook (a child not yet seen face to face, the safety assessment). With the default
   coefficients nothing else can add up to 100 (at most ~93: a court and legal deadline
   200 years late, a hearing this week, very high risk, 90 idle days and the goal cap;
   tests/test_urgency_order.py adds it up), so no court or compliance step, however old,
   outranks it.
2. **What a court or a fresh event makes urgent now**: ``court_imminent`` (40), the
   preparation for a hearing held within ``court_imminent_days`` (7) that is not done (the
   court report); ``signal`` (30, fading over 14 days), a life change seen in outside data
   (a job lost or a parent jailed: the moment to make contact passes).
3. **Compliance**: ``due`` (6, weighed up for legal and court deadlines by ``statutory``
   and ``court``) as the due date nears and once it has passed, ``overdue`` rising with the
   natural log of the days past due: it keeps rising (no 7-day cap: older is still more
   urgent among like steps) but slowly, 9 points at 90 days, 12 at 400, 22 at 200 years.
4. **Stuck**: a step overdue more than ``stuck_days`` (90) is a data or process problem
   to reconcile with the system of record, a supervisor's signal (counted in the unit
   view); ``stuck`` (15) is taken off it, so it does not crowd out today's work. Among
   stuck steps older still ranks higher.

``risk`` (4 per level: moderate 0.5, high 1, very high 1.5) puts the riskier case first
among like actions; ``idle``, ``barrier`` (the natural log of a wait's weeks) and
``goal_impact`` add what their names say; ``unpaid`` ranks a support case that has gone
``no_payment_months`` (2) or more without a payment (:func:`unpaid_term`).
``stuck_days``, ``court_imminent_days`` and ``no_payment_months`` are settings, not
terms: days (months), set like the coefficients (``casecli config set
urgency.stuck_days 120``). Every action's terms add up to its urgency (``--explain``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

from casecli.core import words as w

# term -> (default coefficient, what it means)
TERMS: dict[str, tuple[float, str]] = {
    "safety": (100.0, "an open safety step: a child not yet seen, a safety assessment"),
    "court_imminent": (
        40.0,
        "preparation for a hearing held within court_imminent_days, not yet done",
    ),
    "signal": (30.0, "a life change seen in outside data, fading over 14 days"),
    "due": (6.0, "how close the due date is (full weight on the day and after, none 14+ days out)"),
    "overdue": (2.0, "per ln(1 + days past due): keeps rising, slowly, never capped"),
    "statutory": (1.5, "multiplier on due for a legal deadline"),
    "court": (1.8, "multiplier on due for a court deadline"),
    "stuck": (15.0, "taken off a step overdue more than stuck_days: reconcile it"),
    "risk": (4.0, "per risk level of the case (moderate 0.5, high 1, very high 1.5)"),
    "idle": (1.0, "per 30 days since anything happened on the case (up to 90)"),
    "barrier": (3.0, "per ln(days ÷ 7) a wait has gone on past a week: chase it"),
    "unpaid": (
        3.0,
        "per ln(1 + months) a support case has gone without a payment, from no_payment_months on",
    ),
    "goal_impact": (
        0.2,
        "per point the worker is behind their goal on a measure the action moves "
        "(capped at 25 points: at most 5 with the default)",
    ),
}
# settings, whole days (or months: *_months) -> (default, what it means); set like the
# coefficients (urgency.X)
SETTINGS: dict[str, tuple[int, str]] = {
    "stuck_days": (90, "days overdue after which a step is stuck (a supervisor's signal)"),
    "court_imminent_days": (7, "a hearing this many days away or fewer is imminent"),
    "no_payment_months": (
        2,
        "whole months without a support payment after which the case is worked",
    ),
}
DEFAULTS: dict[str, float] = {
    **{name: value for name, (value, _) in TERMS.items()},
    **{name: float(value) for name, (value, _) in SETTINGS.items()},
}


class Term(NamedTuple):
    term: str
    points: float
    why: str


def coefficients(overrides: Mapping[str, object] | None = None) -> dict[str, float]:
    out = dict(DEFAULTS)
    for name, value in (overrides or {}).items():
        if name in out and isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def due_terms(
    days_left: int, coef: dict[str, float], *, statutory: bool, court: bool
) -> list[Term]:
    """Due proximity, overdue days and, past ``stuck_days``, the stuck term.

    The sum never falls as a step gets later, except once, on the day it becomes stuck
    (property tests: on either side of that day, more overdue ranks higher)."""
    weight = (coef["court"] if court else 1.0) * (coef["statutory"] if statutory else 1.0)
    kind = "court deadline" if court else "legal deadline" if statutory else "due"
    if days_left >= 0:
        points = coef["due"] * weight * max(0.0, (14 - days_left) / 14)
        if points <= 0:
            return []
        when = "today" if days_left == 0 else f"in {w.days(days_left)}"
        return [Term("due", round(points, 2), f"{kind} {when}")]
    late = -days_left
    out = [
        # "due date passed", never "due passed" (issue 14 item 7)
        Term(
            "due", round(coef["due"] * weight, 2), f"{'due date' if kind == 'due' else kind} passed"
        ),
        Term("overdue", round(coef["overdue"] * math.log1p(late), 2), w.days_overdue(late)),
    ]
    if is_stuck(late, coef):  # even at urgency.stuck 0: the state is what unit views count
        out.append(
            Term(
                "stuck",
                round(-coef["stuck"], 2) or 0.0,  # never "-0.00"
                f"overdue more than {w.days(stuck_days(coef))}: reconcile with the "
                "system of record",
            )
        )
    return out


def stuck_days(coef: Mapping[str, float]) -> int:
    return max(int(coef["stuck_days"]), 1)


def is_stuck(days_overdue: int, coef: Mapping[str, float]) -> bool:
    """A step overdue more than ``stuck_days`` is stuck: data that never came back from the
    state system, or work that needs a supervisor, more than a worker's next action."""
    return days_overdue > stuck_days(coef)


RISK_WEIGHT = {"low": 0.0, "moderate": 0.5, "high": 1.0, "very_high": 1.5}


def safety_term(coef: dict[str, float], what: str) -> list[Term]:
    """A child's safety: the first tier of the order of consequences."""
    if not coef["safety"]:
        return []
    return [Term("safety", round(coef["safety"], 2), what)]


def risk_term(risk_level: str | None, coef: dict[str, float]) -> list[Term]:
    level = risk_level or ""
    weight = RISK_WEIGHT.get(level, 0.0)
    if not weight or not coef["risk"]:
        return []
    return [Term("risk", round(coef["risk"] * weight, 2), f"{level.replace('_', ' ')} risk")]


def court_imminent_term(hearing_in: int, coef: dict[str, float]) -> list[Term]:
    """The preparation for a hearing ``hearing_in`` days away, not yet done."""
    if not 0 <= hearing_in <= int(coef["court_imminent_days"]) or not coef["court_imminent"]:
        return []
    return [
        Term(
            "court_imminent",
            round(coef["court_imminent"], 2),
            f"court hearing {w.in_days(hearing_in)}",
        )
    ]


def idle_term(idle_days: int | None, coef: dict[str, float]) -> list[Term]:
    if idle_days is None or idle_days < 14:
        return []
    points = coef["idle"] * min(idle_days, 90) / 30
    return [Term("idle", round(points, 2), f"nothing recorded on the case for {w.days(idle_days)}")]


def barrier_term(age_days: int, coef: dict[str, float], what: str) -> list[Term]:
    if age_days <= 7:
        return []
    points = coef["barrier"] * math.log(age_days / 7)
    return [Term("barrier", round(points, 2), f"{what} {w.days(age_days)}")]


def signal_term(age_days: int, coef: dict[str, float], what: str) -> list[Term]:
    if age_days > 14:
        return []
    points = coef["signal"] * (14 - max(age_days, 0)) / 14
    when = w.days_ago(max(age_days, 0))
    return [Term("signal", round(points, 2), f"{what} {when}")]


GOAL_IMPACT_CAP = 25.0  # points behind counted at most, over all the measures an action moves


def goal_impact_term(
    behind: dict[str, float], measure_ids: tuple[str, ...], coef: dict[str, float],
    whose: str = "you are",
) -> list[Term]:  # fmt: skip
    """Urgency for moving measures the worker is behind on: ``coef`` per point behind
    (summed over the measures the action moves, capped at :data:`GOAL_IMPACT_CAP`)."""
    hit = [(m, behind[m]) for m in measure_ids if behind.get(m, 0) > 0]
    if not hit or not coef["goal_impact"]:
        return []
    points = coef["goal_impact"] * min(sum(p for _, p in hit), GOAL_IMPACT_CAP)
    words = " and ".join(
        f"{w.plural(p, 'point')} behind {'your' if whose == 'you are' else 'the'} "
        f"goal on {m.replace('_', ' ')}"
        for m, p in hit
    )
    return [Term("goal_impact", round(points, 2), f"{whose} {words}")]


def no_payment_months(coef: Mapping[str, float]) -> int:
    return max(int(coef["no_payment_months"]), 1)


def unpaid_term(months: int, coef: dict[str, float]) -> list[Term]:
    """A support case ``months`` whole months without a payment (DOMAIN.md "Timeframes":
    a case with no payment for two months or more is worked): ``unpaid`` per ln(1 +
    months), rising with the debt but slowly, like ``overdue``. With the default 3, two
    months give 3.3 points, four 4.8, a year 7.7: enough to put the unpaid case above a
    routine enforcement step due the same day, never above a legal deadline passed (9
    points for ``due`` alone) nor a fresh life change (``signal``, up to 30)."""
    if months < no_payment_months(coef) or not coef["unpaid"]:
        return []
    points = coef["unpaid"] * math.log1p(months)
    return [Term("unpaid", round(points, 2), f"no support payment for {w.plural(months, 'month')}")]


def total(terms: list[Term]) -> float:
    return round(sum(t.points for t in terms), 2)
