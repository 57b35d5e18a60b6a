"""Foster care pieces of the synthetic export: court hearings and reports, removal episodes
and the placements that fill them."""

from __future__ import annotations

from casecli.demo.base import Ctx

HEARING_TIMES = (8 * 60 + 30, 9 * 60, 10 * 60 + 30, 13 * 60 + 30)
FIRST_SETTINGS = ("foster_family", "relative", "shelter", "group_home")
MOVES = ("foster_family", "relative", "group_home", "residential", "runaway", "respite", "other")


def court(c: Ctx, cid: str, worker: str, removed: int):
    """Hearings since removal with their reports; often a hearing ahead, its report due."""
    rng = c.rng
    r, ri = rng.random, rng.randint
    t = removed + ri(1, 3)
    c.event(cid, "court_hearing", "completed", c.d(t), "", worker, "court", "approved")
    t = removed + ri(30, 60)
    while t <= -1:
        if t - 8 > removed and r() < 0.9:
            filed = c.d(max(removed + 1, t - ri(8, 14)))
            c.event(cid, "court_report", "completed", filed, "", worker)
        result = "continued" if r() < 0.12 else "approved"
        c.event(cid, "court_hearing", "completed", c.d(t), "", worker, "court", result)
        t += ri(150, 190)
    t = removed + 365 + ri(-15, 30)
    while t <= -1:
        c.event(cid, "permanency_hearing", "completed", c.d(t), "", worker, "court", "approved")
        t += 365 + ri(-15, 30)
    if r() >= 0.6:
        return
    kind = "permanency_hearing" if t <= 45 else "court_hearing"
    hearing = t if t <= 45 else ri(0, 45)
    before = hearing - ri(14, 35)
    if r() < 0.25 and removed + 3 < before <= -1:
        c.event(cid, "court_hearing", "completed", c.d(before), "", worker, "court", "continued")
    when = c.dt(hearing * 1440 + rng.choice(HEARING_TIMES))
    c.event(cid, kind, "scheduled", when, "", worker, "court")
    due = hearing - 10  # the report is due ten days before the hearing
    u = r()
    if due <= 0:
        if u < 0.65:
            filed = c.d(max(removed + 1, due - ri(0, 4)))
            c.event(cid, "court_report", "completed", filed, "", worker)
        elif u < 0.85:
            c.event(cid, "court_report", "scheduled", c.d(due), "", worker)
    elif u < 0.25:
        c.event(cid, "court_report", "completed", c.d(-ri(0, 5)), "", worker)
    elif u < 0.7:
        c.event(cid, "court_report", "scheduled", c.d(due), "", worker)


def removal(c: Ctx, cid: str, kid: str, start: int, end: int | None, reason: str, home_visit: bool):
    """An episode in care (``end`` None = still in care) and its placements, back to back."""
    rng = c.rng
    r, ri = rng.random, rng.randint
    rid = c.new_id("RM")
    c.removals.append((rid, cid, kid, c.d(start), "" if end is None else c.d(end), reason))
    stop = 0 if end is None else end
    span = stop - start
    n = 1 + (span > 60 and r() < 0.45) + (span > 240 and r() < 0.3) + (span > 480 and r() < 0.25)
    starts = [start, *sorted(rng.sample(range(start + 1, stop), n - 1))]
    settings = [rng.choices(FIRST_SETTINGS, cum_weights=(50, 80, 95, 100))[0]]
    settings += rng.choices(MOVES, cum_weights=(45, 70, 82, 90, 94, 97, 100), k=n - 1)
    if settings[0] == "shelter" and n == 1:
        settings[0] = "foster_family"
    if settings[-1] == "respite":
        settings[-1] = "foster_family"
    if home_visit:
        thv = stop - ri(10, 170)
        if thv > starts[-1]:
            starts.append(thv)
            settings.append("trial_home_visit")
    ends = [c.d(s) for s in starts[1:]] + ["" if end is None else c.d(end)]
    home = previous = ""  # the provider of the last real placement; the setting before
    for s, setting, e in zip(starts, settings, ends, strict=True):
        pid = c.new_id("PL")  # provider ids come from it: no random draw, the same sample
        if setting in ("runaway", "trial_home_visit"):
            provider = ""  # away, or back with the family: no provider
        elif setting != "respite" and previous in ("runaway", "respite") and home:
            provider = home  # back to the home the child ran from or left for respite
        else:
            provider = f"H{pid[2:]}"  # a new home or facility
        if setting not in ("runaway", "trial_home_visit", "respite"):
            home = provider
        previous = setting
        c.placements.append((pid, rid, setting, c.d(s), e, provider))
