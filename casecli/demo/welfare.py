"""Child welfare cases for the synthetic export: investigations, in-home and foster care.

Each case gets a household, a history of events up to today and a schedule after it, so
that some work is done on time, some is overdue and some waits on services or results.
"""

from __future__ import annotations

from casecli.demo.base import FUTURE, LAST, NOW, YEAR, Ctx
from casecli.demo.care import court, removal
from casecli.demo.services import referrals_and_goals

TYPES = ("investigation", "in_home", "foster_care")
RISKS = ("low", "moderate", "high", "very_high")
FINDINGS = ("substantiated", "unsubstantiated", "unsubstantiated")
GOALS = ("reunification", "relative", "guardianship", "adoption", "appla", "none")
REASON_GOAL = {
    "reunification": "reunification",
    "relative": "relative",
    "guardianship": "guardianship",
    "adoption": "adoption",
    "emancipation": "appla",
    "transfer": "none",
}
SIGNALS = (
    ("homelessness", "hmis", "Shelter entry recorded"),
    ("law_enforcement_contact", "police_reports", "Police call to the household address"),
    ("hospitalization", "medicaid_claims", "Emergency department visit"),
    ("wic_stopped", "wic", "WIC benefits not picked up for two months"),
    ("snap_stopped", "snap", "SNAP case closed"),
    ("job_loss", "wage_records", "No wages reported this quarter after prior employment"),
    ("address_change", "usps", "Change of address filed"),
    ("incarceration", "jail_booking", "Booked into county jail"),
    ("release", "jail_booking", "Released from county jail"),
    ("benefits_change", "tanf", "Cash aid reduced"),
)
Household = tuple[str, list[tuple[str, int]], list[tuple[str, str]]]


def welfare_case(c: Ctx, cid: str, worker: str, office: int, diligence: float, closed: bool):
    """Write one child welfare case and everything that hangs off it."""
    rng = c.rng
    ctype = rng.choices(TYPES, cum_weights=(60, 80, 100) if closed else (32, 62, 100))[0]
    if ctype == "investigation":
        adults = _investigation(c, cid, worker, office, closed)
    elif ctype == "in_home":
        adults = _in_home(c, cid, worker, office, diligence, closed)
    else:
        adults = _foster_care(c, cid, worker, office, diligence, closed)
    if not closed and adults and rng.random() < 0.035:
        kind, source, detail = rng.choice(SIGNALS)
        u = rng.random()
        t = -1 if u < 0.04 else -rng.randint(1, 14) if u < 0.4 else -rng.randint(15, 120)
        person = rng.choice(adults)[0]
        c.signal(kind, t, person, "" if rng.random() < 0.2 else cid, source, detail)


def _case(
    c: Ctx, cid, ctype, opened: int, close_t, worker, family, risk, hours="", goal="", target="",
    unit="",
):  # fmt: skip
    """The case row; ``opened`` in minutes (a whole day for all but investigations);
    ``unit``: the unit responsible for a case with no worker."""
    ri = c.rng.randint
    if close_t is None:
        updated = c.dt(max(opened + 5, -ri(0, 20) * 1440 + ri(8 * 60, NOW)))
    else:
        updated = c.dt(close_t * 1440 + ri(8 * 60, 18 * 60))
    day = c.dt(opened) if ctype == "investigation" else c.d(opened // 1440)
    c.cases.append(
        (cid, "child_welfare", ctype, "open" if close_t is None else "closed", day,
         "" if close_t is None else c.d(close_t), worker, "" if worker else unit, "", family,
         risk, hours, goal, target, "", updated)
    )  # fmt: skip


def _household(c: Ctx, cid: str, office: int, born_by: int, fc: bool) -> Household:
    """Children born by ``born_by``, their parents, sometimes a caregiver, relative, GAL."""
    rng = c.rng
    r, ri = rng.random, rng.randint
    family = rng.choice(LAST)
    adults: list[tuple[str, str]] = []
    mother_born = born_by - ri(17 * YEAR, 45 * YEAR)
    if r() < 0.9:
        pid, mother_born = c.adult(cid, "mother", True, mother_born, family, born_by - 17 * YEAR)
        adults.append((pid, "Mother"))
    lo = max(born_by - 17 * YEAR, mother_born + 16 * YEAR)
    hi = min(born_by, mother_born + 42 * YEAR)
    n = rng.choices((1, 2, 3, 4), cum_weights=(40, 70, 90, 100))[0]
    kids = [(c.person(cid, "child", c.name(r() < 0.5, family), b), b) for b in c.births(n, lo, hi)]
    if r() < 0.55:
        adult_by = min(kids[0][1] - 17 * YEAR, born_by - 18 * YEAR)
        father_born = min(mother_born - ri(-3 * YEAR, 8 * YEAR), adult_by)
        last = family if r() < 0.5 else rng.choice(LAST)
        adults.append((c.adult(cid, "father", False, father_born, last, adult_by)[0], "Father"))
    if not adults or r() < 0.15:
        born = mother_born - ri(18 * YEAR, 28 * YEAR)  # a grandmother
        adults.append((c.person(cid, "caregiver", c.name(True, family), born), "Caregiver"))
    if r() < (0.35 if fc else 0.1):
        born = mother_born - ri(-10 * YEAR, 25 * YEAR)
        c.person(cid, "relative", c.name(r() < 0.7, family), born)
    for role, p in (("gal", 0.9 if fc else 0.05), ("attorney", 0.6 if fc else 0.03)):
        if r() < p:  # professionals serve many cases of their office
            pid, name = rng.choice(c.professionals[office][role])
            c.people.append((pid, cid, role, name, "", "", ""))
    return family, kids, adults


def _investigation(c: Ctx, cid: str, worker: str, office: int, closed: bool):
    rng = c.rng
    unit = c.unit_of.get(worker, "")  # the unit the intake was routed to
    events_before = len(c.events)
    r, ri = rng.random, rng.randint
    risk = rng.choices(RISKS, cum_weights=(25, 65, 90, 100))[0]
    hours = 24 if risk in ("high", "very_high") or r() < 0.15 else 72
    close_t = -ri(1, 400) if closed else None
    if close_t is not None:
        open_t = close_t - ri(12, 55)
    else:
        open_t = -ri(0, 34) if r() < 0.85 else -ri(35, 70)
    opened = min(open_t * 1440 + ri(7 * 60, 21 * 60), NOW - ri(0, 120))
    family, kids, adults = _household(c, cid, office, open_t, False)
    end = NOW if close_t is None else close_t * 1440 - 2 * 1440
    u = r()  # how long until the children are seen
    if u < 0.78:
        delay = ri(20, hours * 54)  # within 90% of the response time
    else:
        delay = ri(hours * 60, hours * 180) if u < 0.9 else ri(2880, 64800)
    seen = min(opened + delay, end)
    was_seen = seen <= NOW and (close_t is not None or opened + delay <= NOW)
    if was_seen:
        loc = "home" if r() < 0.8 else rng.choice(("school", "office", "other"))
        for i, (kid, _) in enumerate(kids):
            c.event(cid, "face_to_face_contact", "completed", c.dt(seen + 7 * i), kid, worker, loc)
        safety = min(seen + ri(0, 2880), end if close_t is not None else NOW + 2880)
        if safety <= end:
            c.event(cid, "safety_assessment", "completed", c.dt(safety), "", worker, "home")
        else:
            c.event(cid, "safety_assessment", "scheduled", c.d(safety // 1440), "", worker, "home")
    else:
        if open_t >= -1 and r() < 0.3:
            worker = ""  # a new intake not yet assigned
        elif opened + hours * 60 < NOW and r() < 0.5:
            when = c.dt(ri(opened + 60, min(NOW, opened + hours * 60 + 1440)))
            c.event(cid, "face_to_face_contact", "missed", when, kids[0][0], worker, "home")
        if worker and r() < 0.5:
            when = c.d(ri(0, 1))
            c.event(cid, "face_to_face_contact", "scheduled", when, kids[0][0], worker, "home")
    last = 0 if close_t is None else close_t
    age = last - open_t
    for _ in range(min(3, age // 6)):
        if close_t is None and r() < 0.2:
            c.event(cid, "collateral_contact", "scheduled", c.d(ri(1, 7)), "", worker, "school")
        else:
            when, where = c.d(open_t + ri(1, age)), rng.choice(("school", "office", "other"))
            c.event(cid, "collateral_contact", "completed", when, "", worker, where)
    if was_seen and age >= 10 and r() < 0.7:
        when = c.d(min(seen // 1440 + ri(2, 9), last))
        c.event(cid, "risk_assessment", "completed", when, "", worker)
    if adults and r() < 0.25:
        drug_screens(c, cid, worker, adults[0][0], open_t, close_t)
    found = None
    if close_t is not None:
        found = close_t - ri(0, 3)
    elif was_seen and age > 21 and r() < (age - 21) / 20:
        found = open_t + ri(21, age)
    if found is not None:
        result = rng.choice(FINDINGS)
        c.event(cid, "finding", "completed", c.d(found), kids[0][0], worker, "", result)
        if close_t is not None or r() < 0.5:
            c.event(cid, "supervisor_review", "completed", c.d(min(found + ri(0, 3), last)), "",
                    c.supervisor.get(worker, ""), "", "approved")  # fmt: skip
    if close_t is None and age > 7 and r() < 0.2:
        referrals_and_goals(c, cid, kids, adults, open_t, None, 1, goals=False)
    if close_t is None and not was_seen and open_t >= -1:
        mine = c.events[events_before:]
        if not any(e[3] == "completed" for e in mine):  # nothing done yet (no draw here):
            worker = ""  # an intake waiting for assignment, nobody's bookings on it
            c.events[events_before:] = []
    _case(c, cid, "investigation", opened, close_t, worker, family, risk, str(hours), unit=unit)
    return adults


def drug_screens(c: Ctx, cid: str, worker: str, person: str, start: int, close_t: int | None):
    """A few screens over the last months: results, no-shows, results still pending, one ahead."""
    rng = c.rng
    r, ri = rng.random, rng.randint
    last = 0 if close_t is None else close_t
    for _ in range(ri(1, 4)):
        t = last - ri(1, 120)
        if t < start:
            continue
        u = r()
        if close_t is None and -30 <= t <= -5 and u < 0.25:
            c.event(cid, "drug_screen", "completed", c.d(t), person, worker, "other")  # pending
        elif u < 0.1:
            c.event(cid, "drug_screen", "missed", c.d(t), person, worker, "other")
        else:
            result = "positive" if r() < 0.3 else "negative"
            c.event(cid, "drug_screen", "completed", c.d(t), person, worker, "other", result)
    if close_t is None and r() < 0.3:
        c.event(cid, "drug_screen", "scheduled", c.d(ri(1, 10)), person, worker, "other")


def _reviews(c: Ctx, cid: str, worker: str, kind: str, first: int, last: int, open_: bool, p=0.9):
    """A review every six months from ``first``; the next one scheduled when it is near."""
    rng = c.rng
    t = first
    while t <= last:
        if rng.random() < p:
            c.event(cid, kind, "completed", c.d(max(first, t - rng.randint(0, 10))), "", worker)
        t += 182
    if open_ and t <= 45:
        c.event(cid, kind, "scheduled", c.d(t), "", worker)


def _supervision(c: Ctx, cid: str, worker: str, start: int, last: int):
    sup = c.supervisor.get(worker, "")
    for t in range(max(start, c.window) + 45, last, 120):
        if c.rng.random() < 0.75:
            c.event(cid, "supervisor_review", "completed", c.d(t), "", sup, "office", "approved")


def _in_home(c: Ctx, cid: str, worker: str, office: int, diligence: float, closed: bool):
    rng = c.rng
    r, ri = rng.random, rng.randint
    risk = rng.choices(RISKS, cum_weights=(15, 60, 90, 100))[0]
    close_t = -ri(1, 700) if closed else None
    open_t = close_t - ri(90, 400) if close_t is not None else -ri(30, 540)
    last = 0 if close_t is None else close_t
    family, kids, adults = _household(c, cid, office, open_t, False)
    c.monthly_visits(cid, kids[0][0], worker, open_t, last, diligence)
    plan = open_t + ri(15, 45)
    if plan <= last:
        c.event(cid, "case_plan", "completed", c.d(plan), "", worker, "home")
    elif close_t is None:
        c.event(cid, "case_plan", "scheduled", c.d(plan), "", worker, "home")
    _reviews(c, cid, worker, "case_plan_review", plan + 182, last - 1, close_t is None)
    if r() < 0.35:
        drug_screens(c, cid, worker, adults[0][0], open_t, close_t)
    _supervision(c, cid, worker, open_t, last)
    target = open_t + ri(180, 300)
    n = ri(1, 3) if close_t is None else ri(0, 1)
    referrals_and_goals(c, cid, kids, adults, open_t, close_t, n, target=target)
    target_on = c.d(target) if r() < 0.7 else ""
    _case(c, cid, "in_home", open_t * 1440, close_t, worker, family, risk, "", "", target_on)
    return adults


def _foster_care(c: Ctx, cid: str, worker: str, office: int, diligence: float, closed: bool):
    rng = c.rng
    r, ri = rng.random, rng.randint
    risk = rng.choices(RISKS, cum_weights=(5, 35, 80, 100))[0]
    if closed:
        close_t = -ri(1, 700)
        removed = close_t - ri(120, 1000)
        reason = rng.choices(tuple(REASON_GOAL), cum_weights=(55, 67, 77, 95, 99, 100))[0]
        goal = REASON_GOAL[reason]
    else:
        close_t, reason = None, ""
        removed = -int(rng.triangular(30, 915, 200))
        weights = (35, 45, 60, 95, 100, 100) if removed < -450 else (70, 82, 90, 97, 99, 100)
        goal = rng.choices(GOALS, cum_weights=weights)[0]
    last = 0 if close_t is None else close_t
    open_t = removed - (ri(0, 20) if r() < 0.4 else 0)
    family, kids, adults = _household(c, cid, office, removed, True)
    starts = []
    for kid, born in kids:
        start = removed if r() < 0.85 else removed + ri(1, min(60, last - removed - 1))
        starts.append(start)
        if r() < 0.07 and start - 1400 > born:  # an earlier episode: this removal is a re-entry
            prev = start - ri(450, 1400)
            removal(c, cid, kid, prev, prev + ri(60, 400), "reunification", r() < 0.3)
        home_visit = r() < (0.15 if close_t is None else 0.4) and goal == "reunification"
        removal(c, cid, kid, start, close_t, reason, home_visit)
        c.monthly_visits(cid, kid, worker, start, last, diligence)
    removed = min(starts)  # the case's clock starts with its first child in care
    if close_t is None:
        court(c, cid, worker, removed)
    else:
        final = c.d(close_t - ri(0, 5))
        c.event(cid, "court_hearing", "completed", final, "", worker, "court", "approved")
    plan = removed + (ri(20, 55) if r() < 0.9 else ri(60, 100))
    if plan <= last:
        c.event(cid, "case_plan", "completed", c.d(plan), "", worker, "office")
    elif close_t is None and r() < 0.5:
        c.event(cid, "case_plan", "scheduled", c.d(plan), "", worker, "office")
    review = removed + 182 + ri(-10, 10)
    _reviews(c, cid, worker, "periodic_review", review, last - 1, close_t is None, 0.88)
    if adults and r() < 0.5:
        drug_screens(c, cid, worker, adults[0][0], removed, close_t)
    _supervision(c, cid, worker, removed, last)
    _permanency_work(c, cid, worker, removed, last, goal, diligence)
    days = {"reunification": 365, "adoption": 730, "none": 0}.get(goal, 540)
    # An adoption planned two years from a removal weeks ago can reach past the furthest
    # day a date can be written for (base.FUTURE): it is then due on that day.
    target = min(removed + days + ri(-30, 90), FUTURE - 1) if days else None
    n = ri(1, 4) if close_t is None else ri(0, 2)
    referrals_and_goals(c, cid, kids, adults, open_t, close_t, n, target=target)
    _case(c, cid, "foster_care", open_t * 1440, close_t, worker, family, risk, "", goal,
          "" if target is None else c.d(target))  # fmt: skip
    return adults


def _permanency_work(
    c: Ctx, cid: str, worker: str, removed: int, last: int, goal: str, diligence: float
):
    """The reunification readiness assessment (month 9) and, at month 15 of care, the TPR
    petition or a documented ASFA exception; most are done on time, a few are late. With
    a goal of relative or guardianship the exception (a relative caring for the child) is
    recorded on day 440, drawing nothing from the generator."""
    rng = c.rng
    r, ri = rng.random, rng.randint
    if goal == "reunification" and last - removed > 270:
        when = removed + ri(230, 285)
        if r() < 0.75 + 0.2 * diligence and when <= last:
            c.event(cid, "risk_assessment", "completed", c.d(when), "", worker, "home")
    if goal not in ("relative", "guardianship") and last - removed > 456:
        when = removed + ri(400, 460)
        if r() < 0.8 + 0.15 * diligence and when <= last:
            kind = "tpr_petition" if goal == "adoption" else "asfa_exception"
            c.event(
                cid,
                kind,
                "completed",
                c.d(when),
                "",
                worker,
                "court" if goal == "adoption" else "office",
            )
    elif last - removed > 456:  # a relative cares for the child: the exception, documented
        c.event(cid, "asfa_exception", "completed", c.d(removed + 440), "", worker, "office")
