"""Urgency: one number per action, a sum of named terms, each with a tunable coefficient.

In the spirit of Taskwarrior's ``urgency.*`` but built for casework, and without its two
most common complaints: the overdue curve keeps growing (no 7-day cap), and every
coefficient can be changed (``casecli config set urgency.overdue 4``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

from casecli.core import words as w

# term -> (default coefficient, what it means)
TERMS: dict[str, tuple[float, str]] = {
    "safety": (8.0, "the case's risk level, for actions about a child's safety"),
    "due": (6.0, "how close the due date is (full weight on the day, none 14+ days out)"),
    "overdue": (2.0, "per sqrt(day) past due: keeps growing, never capped"),
    "statutory": (1.5, "multiplier on due/overdue for a legal deadline"),
    "court": (1.8, "multiplier on due/overdue for a court deadline"),
    "idle": (1.0, "per 30 days since anything happened on the case (up to 90)"),
    "barrier": (1.0, "per week a wait has gone on past a week: chase it"),
    "signal": (5.0, "a life change seen in outside data, fading over 14 days"),
    "goal_impact": (
        0.2,
        "per point the worker is behind their goal on a measure the action moves "
        "(capped at 25 points: at most 5 with the default)",
    ),
}
DEFAULTS: dict[str, float] = {name: value for name, (value, _) in TERMS.items()}


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
    """Due proximity and overdue days. Never falls as a step gets later: a property test."""
    weight = (coef["court"] if court else 1.0) * (coef["statutory"] if statutory else 1.0)
    kind = "court deadline" if court else "legal deadline" if statutory else "due"
    if days_left >= 0:
        points = coef["due"] * weight * max(0.0, (14 - days_left) / 14)
        if points <= 0:
            return []
        when = "today" if days_left == 0 else f"in {w.days(days_left)}"
        return [Term("due", round(points, 2), f"{kind} {when}")]
    late = -days_left
    return [
        Term("due", round(coef["due"] * weight, 2), f"{kind} passed"),
        Term(
            "overdue",
            round(coef["overdue"] * weight * math.sqrt(late), 2),
            w.days_overdue(late),
        ),
    ]


RISK_WEIGHT = {"low": 0.0, "moderate": 0.5, "high": 1.0, "very_high": 1.5}


def safety_term(risk_level: str | None, coef: dict[str, float]) -> list[Term]:
    level = risk_level or ""
    weight = RISK_WEIGHT.get(level, 0.0)
    if not weight:
        return []
    return [Term("safety", round(coef["safety"] * weight, 2), f"{level.replace('_', ' ')} risk")]


def idle_term(idle_days: int | None, coef: dict[str, float]) -> list[Term]:
    if idle_days is None or idle_days < 14:
        return []
    points = coef["idle"] * min(idle_days, 90) / 30
    return [Term("idle", round(points, 2), f"nothing recorded on the case for {w.days(idle_days)}")]


def barrier_term(age_days: int, coef: dict[str, float], what: str) -> list[Term]:
    if age_days <= 7:
        return []
    return [
        Term(
            "barrier", round(coef["barrier"] * (age_days - 7) / 7, 2), f"{what} {w.days(age_days)}"
        )
    ]


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


def total(terms: list[Term]) -> float:
    return round(sum(t.points for t in terms), 2)
