"""What a case is waiting on: services not started, pending results, a continued
hearing with no new date, an approval, or a barrier a worker recorded."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from casecli.core.engine.casedata import CaseData
from casecli.core.engine.steps import HEARINGS, to_date

PENDING_RESULTS = ("drug_screen", "genetic_test")


class Barrier(NamedTuple):
    id: str  # "referral:R1", "event:E3", "barrier:5"
    kind: str  # service | result | court | approval | recorded
    what: str  # what the case waits on, in words
    since: date
    age_days: int
    step: str | None = None
    service: str | None = None
    expect_on: date | None = None
    status: str | None = None  # a referral's: waitlisted | referred

    @property
    def number(self) -> int | None:
        """A recorded barrier's number, as ``casecli resolve`` takes it (``barrier:5`` ->
        5); None for a wait the store's records end by themselves (a referral, a result)."""
        kind, _, rest = self.id.partition(":")
        return int(rest) if kind == "barrier" and rest.isdigit() else None


def find_barriers(data: CaseData, today: date) -> list[Barrier]:
    out: list[Barrier] = []

    def add(bid: str, kind: str, what: str, since: date | None, **kw: object) -> None:
        if since is not None:
            out.append(Barrier(bid, kind, what, since, max(0, (today - since).days), **kw))  # type: ignore[arg-type]

    for r in data.referrals:
        if r["status"] in ("waitlisted", "referred") and not r["started_on"]:
            service = r["service"]
            add(f"referral:{r['referral_id']}", "service", f"{service.replace('_', ' ')} ({r['status']})",
                to_date(r["referred_on"]), service=service, status=r["status"])  # fmt: skip
    for e in data.events:
        if e["kind"] in PENDING_RESULTS and e["status"] == "completed" and not e["result"]:
            add(
                f"event:{e['id']}",
                "result",
                f"{e['kind'].replace('_', '-')} result",
                to_date(e["completed_on"]),
            )
        if e["kind"] == "supervisor_review" and (
            e["result"] == "pending"
            or (e["status"] == "scheduled" and (to_date(e["scheduled_on"]) or today) < today)
        ):
            add(
                f"event:{e['id']}",
                "approval",
                "supervisor approval",
                to_date(e["scheduled_on"] or e["completed_on"]),
            )
    hearings = sorted(
        (
            e
            for e in data.events
            if e["kind"] in HEARINGS and e["status"] == "completed" and to_date(e["completed_on"])
        ),
        key=lambda e: str(e["completed_on"]),
    )
    upcoming = any(
        e["kind"] in HEARINGS
        and e["status"] == "scheduled"
        and (to_date(e["scheduled_on"]) or date.min) >= today
        for e in data.events
    )
    if hearings and hearings[-1]["result"] == "continued" and not upcoming:
        add(f"event:{hearings[-1]['id']}", "court", "a new hearing date after the continuance",
            to_date(hearings[-1]["completed_on"]))  # fmt: skip
    for b in data.barriers:
        add(f"barrier:{b['barrier_id']}", "recorded", b["what"], to_date(b["opened_on"]),
            step=b["step"], service=b["service"], expect_on=to_date(b["expect_on"]))  # fmt: skip
    return sorted(out, key=lambda b: -b.age_days)


def next_hearing(data: CaseData, today: date) -> date | None:
    dates = [
        d
        for e in data.events
        if e["kind"] in HEARINGS and e["status"] == "scheduled"
        for d in [to_date(e["scheduled_on"])]
        if d and d >= today
    ]
    return min(dates) if dates else None
