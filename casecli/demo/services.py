"""Service referrals and case plan goals for the synthetic export.

Substance treatment is the bottleneck: most of its referrals wait on a list for weeks,
while other services mostly start within days.
"""

from __future__ import annotations

from casecli.demo.base import Ctx

SERVICES = (
    "substance_treatment",
    "mental_health",
    "parenting",
    "housing",
    "domestic_violence",
    "drug_testing",
    "transportation",
    "child_care",
    "employment",
)
SERVICE_WEIGHTS = (26, 44, 62, 71, 78, 85, 90, 95, 100)
# Fictional providers.
PROVIDERS = {
    "substance_treatment": ("New Directions Recovery Center", "Bridgeway Treatment Services"),
    "mental_health": ("County Behavioral Health", "Harbor Family Counseling"),
    "parenting": ("Parenting Partners", "Family Resource Center"),
    "housing": ("Housing Connect", "Open Door Housing Program"),
    "domestic_violence": ("Safe Harbor Services",),
    "drug_testing": ("ClearLab Testing",),
    "transportation": ("Transit Assist",),
    "child_care": ("Little Steps Child Care", "Sunrise Early Learning"),
    "employment": ("WorkForce One",),
}
STATUSES = ("referred", "waitlisted", "active", "completed", "declined", "cancelled")
STATUS_WEIGHTS = {
    "substance_treatment": (6, 56, 78, 90, 95, 100),
    "other": (10, 17, 57, 87, 94, 100),
}
GOALS = {
    "substance_treatment": "{who} completes substance treatment",
    "mental_health": "{who} engages in mental health counseling",
    "parenting": "{who} completes a parenting program",
    "housing": "Stable housing for 6 months",
    "domestic_violence": "{who} completes a domestic violence program",
    "drug_testing": "{who} maintains sobriety with negative drug screens",
    "transportation": "Reliable transportation to visits and appointments",
    "child_care": "Safe, consistent child care in place",
    "employment": "{who} obtains steady employment",
}
GENERIC_GOALS = (
    "Children attend school regularly",
    "Safe home free of hazards",
    "Family builds a support network",
    "Children's medical and dental needs are met",
)
GOAL_STATUSES = ("not_started", "in_progress", "achieved", "not_achieved")


def referrals_and_goals(
    c: Ctx,
    cid: str,
    kids: list[tuple[str, int]],
    adults: list[tuple[str, str]],
    open_t: int,
    close_t: int | None,
    n: int,
    goals: bool = True,
    target: int | None = None,
) -> None:
    """``n`` referrals for the family and, for an open case, 1-3 plan goals that follow them."""
    rng = c.rng
    r, ri = rng.random, rng.randint
    last = -1 if close_t is None else close_t
    plan: list[tuple[str, str, str, str]] = []  # service, status, person, who
    for _ in range(n):
        service = rng.choices(SERVICES, cum_weights=SERVICE_WEIGHTS)[0]
        bottleneck = service == "substance_treatment"
        if service in ("mental_health", "child_care") and r() < 0.4:
            person, who = kids[0][0], "Child"
        else:
            person, who = adults[0] if r() < 0.75 else rng.choice(adults)
        wait = ri(20, 60) if bottleneck else ri(2, 20)
        length = ri(30, 120)
        if close_t is not None:
            status = rng.choices(("completed", "cancelled", "declined"), cum_weights=(55, 80, 100))[
                0
            ]
            ref = open_t + ri(0, max(0, close_t - open_t - 10))
        else:
            weights = STATUS_WEIGHTS["substance_treatment" if bottleneck else "other"]
            status = rng.choices(STATUSES, cum_weights=weights)[0]
            if status == "waitlisted":
                age = rng.triangular(7, 80, 35) if bottleneck else rng.triangular(2, 40, 8)
                ref = -int(age)
            elif status == "referred":
                ref = -ri(0, 10)
            elif status in ("declined", "cancelled"):
                ref = -ri(10, 150)
            else:
                ref = -ri(wait + 1, wait + length + 300)
            ref = max(ref, open_t)
        start = ref + wait
        stop = start + length
        if close_t is not None:
            if status == "completed" and stop > last:
                status = "cancelled"  # closed before the service ended
        elif status in ("active", "completed") and start > last:
            status = "waitlisted" if bottleneck or wait > 10 else "referred"
        elif status == "completed" and stop > last:
            status = "active"
        started = ended = ""
        if status in ("active", "completed"):
            started = c.d(start)
        if status == "completed":
            ended = c.d(stop)
        elif status in ("declined", "cancelled"):
            ended = c.d(min(ref + ri(3, 20), last))
        provider = rng.choice(PROVIDERS[service]) if status != "referred" or r() < 0.5 else ""
        c.referrals.append(
            (c.new_id("R"), cid, service, status, c.d(ref), person, provider, started, ended)
        )
        plan.append((service, status, person, who))
    if goals and close_t is None:
        _goals(c, cid, plan, open_t, target)


def _goals(c: Ctx, cid: str, plan: list[tuple[str, str, str, str]], open_t: int, target):
    rng = c.rng
    ri = rng.randint
    n = ri(1, 3)
    seen = set()
    written = 0
    for service, status, person, who in plan:
        text = GOALS[service].format(who=who)
        if written == n or text in seen:
            continue
        seen.add(text)
        if status in ("referred", "waitlisted"):
            goal_status = "not_started"
        elif status == "completed":
            goal_status = "achieved" if rng.random() < 0.8 else "in_progress"
        else:
            goal_status = rng.choices(GOAL_STATUSES, cum_weights=(10, 85, 90, 100))[0]
        _goal(c, cid, text, person, open_t, target, goal_status)
        written += 1
    for text in rng.sample(GENERIC_GOALS, n - written):
        status = rng.choices(GOAL_STATUSES, cum_weights=(25, 75, 95, 100))[0]
        _goal(c, cid, text, "", open_t, target, status)


def _goal(c: Ctx, cid, text, person, open_t, target, status):
    ri = c.rng.randint
    t = target + ri(-60, 0) if target is not None else open_t + ri(180, 365)
    c.goals.append((c.new_id("GL"), cid, text, person, c.d(t), status))
