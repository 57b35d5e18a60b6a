"""Child support (IV-D) cases for the synthetic export: establishment and enforcement.

Establishment cases work toward paternity and an order; enforcement cases have an order
and a monthly ledger whose payers range from always-in-full to never, including parents
who stopped paying after losing a job (with the wage-record signal that shows it).
"""

from __future__ import annotations

from casecli.demo.base import LAST, NOW, YEAR, Ctx, money

PATTERNS = ("full", "partial", "none", "stopped", "irregular")
ACTIONS = ("license_suspension", "tax_intercept", "credit_report", "lien", "contempt_filed")
NCP_SIGNALS = (
    ("new_employment", "new_hires", "New hire reported by an employer"),
    ("job_loss", "wage_records", "No wages reported this quarter after prior employment"),
    ("incarceration", "jail_booking", "Booked into county jail"),
    ("release", "corrections", "Released from state prison"),
    ("address_change", "dmv", "Address updated on a driver license record"),
    ("benefits_change", "ui_claims", "Unemployment insurance claim filed"),
    ("disability", "ssa", "Disability benefits awarded"),
)
CP_SIGNALS = (
    ("wic_stopped", "wic", "WIC benefits not picked up for two months"),
    ("snap_stopped", "snap", "SNAP case closed"),
    ("address_change", "usps", "Change of address filed"),
)


def support_case(c: Ctx, cid: str, worker: str, closed: bool) -> None:
    """Write one child support case: parents, children, events, ledger and signals."""
    rng = c.rng
    r, ri = rng.random, rng.randint
    establishment = r() < (0.25 if closed else 0.22)
    close_t = -ri(1, 700) if closed else None
    if close_t is not None:
        open_t = close_t - (ri(60, 500) if establishment else ri(200, 4000))
    elif establishment:
        open_t = -ri(0, 60) if r() < 0.3 else -ri(61, 720)
    else:
        open_t = -ri(365, 5500)
    last = 0 if close_t is None else close_t
    family = rng.choice(LAST)
    female = r() < 0.88
    adult_by = open_t - 18 * YEAR
    cp_born = open_t - ri(18 * YEAR, 45 * YEAR)
    cp, cp_born = c.adult(cid, "custodial_parent", female, cp_born, family, adult_by)
    ncp_last = rng.choice(LAST) if r() < 0.6 else family
    ncp_born = min(cp_born - ri(-4 * YEAR, 8 * YEAR), adult_by)
    ncp, ncp_born = c.adult(cid, "noncustodial_parent", not female, ncp_born, ncp_last, adult_by)
    order = None
    if not establishment and r() < 0.95:
        order = min(open_t + ri(60, 400), last - 30)
    # Children born before the case opened (and, in an open case, under 18 today).
    hi = min(open_t, cp_born + 42 * YEAR)
    younger = max(cp_born, ncp_born)
    oldest = open_t - 15 * YEAR if close_t is not None else max(open_t - 15 * YEAR, 30 - 18 * YEAR)
    lo = min(max(oldest, younger + 16 * YEAR), hi)
    in_case = []  # paternity established while the case was open: genetic test events
    pending = []  # born out of wedlock, paternity not yet established
    for born in c.births(rng.choices((1, 2, 3), cum_weights=(60, 88, 100))[0], lo, hi):
        pid = c.new_id("P")
        paternity = ""
        out_of_wedlock = r() < 0.55
        if out_of_wedlock:
            if r() < 0.5:
                pt = born + ri(0, 2)  # acknowledged at the hospital
            else:
                pt = ri(open_t + 20, max(open_t + 20, last - 1))
                if order is not None:
                    pt = min(pt, order - 1)
            if r() < (0.97 if order is not None else 0.35) and pt <= last:
                paternity = c.d(max(pt, born))
                if pt > open_t:
                    in_case.append((pid, pt))
            else:
                pending.append(pid)
        name = c.name(r() < 0.5, ncp_last if r() < 0.5 else family)
        wedlock = "true" if out_of_wedlock else "false"
        c.people.append((pid, cid, "child", name, c.d(born), wedlock, paternity))
    ev = c.event
    for pid, pt in in_case:
        if pt - 14 > open_t:
            tested = c.d(pt - ri(14, min(40, pt - open_t)))
            ev(cid, "genetic_test", "completed", tested, pid, worker, "office", "included")
        ev(cid, "paternity_established", "completed", c.d(pt), pid, worker)
    if establishment:
        _establishment(c, cid, worker, ncp, pending, open_t, close_t)
    else:
        _enforcement(c, cid, worker, ncp, order, close_t)
    if close_t is None and r() < 0.025:
        if r() < 0.8:
            kind, source, detail = rng.choice(NCP_SIGNALS)
            person = ncp
        else:
            kind, source, detail = rng.choice(CP_SIGNALS)
            person = cp
        t = -1 if r() < 0.1 else -ri(1, 14) if r() < 0.4 else -ri(15, 120)
        c.signal(kind, t, person, "" if r() < 0.2 else cid, source, detail)
    ctype = "establishment" if establishment else "enforcement"
    if close_t is None:
        updated = c.dt(max(open_t, -ri(0, 30)) * 1440 + ri(6 * 60, NOW))
    else:
        updated = c.dt(close_t * 1440 + ri(8 * 60, 18 * 60))
    c.cases.append(
        (cid, "child_support", ctype, "open" if close_t is None else "closed", c.d(open_t),
         "" if close_t is None else c.d(close_t), worker, "", "", family, "", "", "",
         c.d(open_t + 180) if establishment else "", "" if order is None else c.d(order), updated)
    )  # fmt: skip


def _establishment(c: Ctx, cid, worker, ncp, pending, open_t, close_t) -> None:
    """Locate the other parent, serve process, test paternity, set a hearing for the order."""
    rng = c.rng
    r, ri = rng.random, rng.randint
    ev = c.event
    last = 0 if close_t is None else close_t
    is_open = close_t is None
    for _ in range(ri(0, 2)):
        status = "completed" if r() < 0.6 else "missed"
        ev(cid, "contact_attempt", status, c.d(ri(open_t, last)), ncp, worker)
    located = open_t + ri(3, 40)
    if located > last or r() < 0.2:
        if is_open:
            ev(cid, "locate", "scheduled", c.d(ri(0, 14)), ncp, worker)
        return
    ev(cid, "locate", "completed", c.d(located), ncp, worker)
    served = located + ri(10, 90)
    if served <= last:
        ev(cid, "service_of_process", "completed", c.d(served), ncp, worker, "other")
    elif is_open:
        if r() < 0.3:
            ev(cid, "service_of_process", "missed", c.d(ri(located, last)), ncp, worker, "other")
        ev(cid, "service_of_process", "scheduled", c.d(min(served, 60)), ncp, worker, "other")
        return
    if not is_open:
        return
    for pid in pending:
        u = r()
        if u < 0.5:
            ev(cid, "genetic_test", "scheduled", c.d(ri(3, 30)), pid, worker, "office")
        elif u < 0.75:  # the result is not back yet
            tested = c.d(max(served, -ri(3, 40)))
            ev(cid, "genetic_test", "completed", tested, pid, worker, "office")
    if r() < 0.4:
        ev(cid, "court_hearing", "scheduled", c.d(ri(5, 60)), ncp, worker, "court")


def _enforcement(c: Ctx, cid, worker, ncp, order, close_t) -> None:
    """The order, a ledger, and the actions it calls for: withholding, enforcement, review."""
    rng = c.rng
    r, ri = rng.random, rng.randint
    ev = c.event
    last = 0 if close_t is None else close_t
    if order is None:  # e.g. an order from another state still being registered
        if close_t is None:
            ev(cid, "order_established", "scheduled", c.d(ri(5, 60)), ncp, worker, "court")
        return
    if order >= c.window - YEAR:
        ev(cid, "order_established", "completed", c.d(order), ncp, worker, "court")
    pattern = rng.choices(PATTERNS, cum_weights=(38, 65, 80, 88, 100))[0]
    arrears = _ledger(c, cid, ncp, order, last, pattern)
    if pattern in ("full", "partial", "irregular") and r() < 0.9 or r() < 0.5:
        ev(cid, "income_withholding", "completed", c.d(min(order + ri(3, 20), last)), ncp, worker)
    if arrears and pattern in ("none", "partial", "stopped") and r() < 0.4:
        t = max(order, last - ri(5, 300))
        ev(cid, "enforcement_action", "completed", c.d(t), ncp, worker, "", rng.choice(ACTIONS))
    if close_t is None and (r() < 0.05 or pattern == "stopped" and r() < 0.5):
        if r() < 0.6:
            ev(cid, "modification_review", "scheduled", c.d(ri(5, 45)), ncp, worker)
        else:
            result = "approved" if r() < 0.6 else "denied"
            when = c.d(max(order, -ri(10, 300)))
            ev(cid, "modification_review", "completed", when, ncp, worker, "", result)
    if r() < 0.3:
        status = "completed" if r() < 0.6 else "missed"
        ev(cid, "contact_attempt", status, c.d(max(order, last - ri(0, 60))), ncp, worker)
    if pattern == "none" and close_t is None and r() < 0.4:
        if r() < 0.5:
            ev(cid, "locate", "completed", c.d(-ri(1, 30)), ncp, worker)
        else:
            ev(cid, "locate", "scheduled", c.d(ri(1, 14)), ncp, worker)


def _ledger(c: Ctx, cid: str, ncp: str, order: int, last: int, pattern: str) -> int:
    """Monthly rows for the last 13 months (from the order, up to closure); returns the arrears."""
    rng = c.rng
    r, ri = rng.random, rng.randint
    first = min(12, c.month(order))
    final = c.month(last)
    if first < final:
        return 0
    due = ri(150, 900) * 100 + (0 if r() < 0.6 else ri(1, 99))
    balance = 0
    if pattern == "none":
        balance = due * ri(3, 60)
    elif r() < 0.4:
        balance = ri(200, 15000) * 100
    stop = min(ri(1, 6), first) if pattern == "stopped" else -1
    benefits = r() < 0.3  # unemployment benefits intercepted after the job loss
    if stop >= 1 and final == 0 and r() < 0.6:
        t = c.mstart[stop] - ri(5, 25)
        detail = "No wages reported after prior employment"
        c.signal("job_loss", t, ncp, cid, "wage_records", detail)
    instalment = max(2500, due // 500 * 100)
    label = c.mlabel
    rows = c.payments
    for k in range(first, final - 1, -1):
        if pattern == "full":
            paid = due if k > 0 or r() < 0.85 else 0
        elif pattern == "partial":
            u = r()
            paid = 0 if u < 0.15 else due if u < 0.35 else due * ri(30, 95) // 100
        elif pattern == "stopped":
            paid = due if k > stop else due * 3 // 10 if benefits else 0
        elif pattern == "irregular":
            paid = due if r() < 0.55 else 0
        else:
            paid = 0
        extra = 0
        if balance > 0 and paid == due and r() < 0.7:
            extra = min(balance, instalment if pattern != "irregular" else due)
        rows.append((cid, label[k], money(due), money(paid), money(balance), money(extra)))
        if paid + extra:
            fy = c.ffy[k]
            c.collected[fy] = c.collected.get(fy, 0) + paid + extra
        balance += due - paid - extra
    return balance
