"""Building blocks of the synthetic export (see demo.py): names, dates, ids and row buffers.

Time is handled as whole days relative to ``today`` (0 = today, -1 = yesterday), and
minutes for the few moments that need a clock time; every date string is precomputed
once, so generating a row is list indexing and tuple building.
"""

from __future__ import annotations

import random
from collections import deque
from datetime import date

from casecli.core.store.contract import RECORD_TYPES

# Synthetic names: common US first and family names, combined at random. They describe no
# real person. (Word lists read better than 200 quoted strings.)
FEMALE = (  # noqa: SIM905
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Nancy Lisa "
    "Betty Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah "
    "Stephanie Rebecca Laura Sharon Cynthia Amy Angela Brenda Emma Olivia Maria Rosa "
    "Ana Sofia Isabella Mia Ava Aaliyah Destiny Jasmine Keisha Mei Priya Leah Hannah"
).split()
MALE = (  # noqa: SIM905
    "James Robert John Michael David William Richard Joseph Thomas Charles Christopher "
    "Daniel Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kevin Brian George "
    "Timothy Ronald Jason Edward Jeffrey Ryan Jacob Gary Nicholas Eric Jose Luis Carlos "
    "Juan Miguel Noah Liam Ethan Mason Elijah Jamal Darnell Tyrone Wei Raj Omar Aiden"
).split()
LAST = (  # noqa: SIM905
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright "
    "Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell "
    "Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins "
    "Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
    "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez "
    "Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel "
    "Myers Long Ross Foster Jimenez"
).split()

COLUMNS: dict[str, tuple[str, ...]] = {rt.file: rt.names for rt in RECORD_TYPES}

PAST = 80 * 366  # the oldest day that can be written (birth dates)
FUTURE = 800  # the furthest day ahead that can be written
NOW = 22 * 60  # nothing completes after 22:00 today (the export is taken at 23:00)
YEAR = 365


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class Ctx:
    """The generator's state: the random stream, date strings, id counters, row buffers."""

    def __init__(self, rng: random.Random, today: date, cases: int) -> None:
        self.rng = rng
        first = today.toordinal() - PAST
        self.days = days = [date.fromordinal(first + i).isoformat() for i in range(PAST + FUTURE)]
        self.hm = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]
        now = today.year * 12 + today.month - 1
        # month_of[PAST + t]: 0 = this month, 1 = last month, -1 = next month
        self.month_of = [now - int(s[:4]) * 12 - int(s[5:7]) + 1 for s in days]
        self.mstart: dict[int, int] = {}
        self.mend: dict[int, int] = {}
        for i, k in enumerate(self.month_of):
            self.mstart.setdefault(k, i - PAST)
            self.mend[k] = i - PAST
        self.mlabel = {k: days[PAST + t][:7] for k, t in self.mstart.items()}
        # the federal fiscal year of each month (October starts the next year's)
        self.ffy = {k: f"FFY{int(m[:4]) + (m[5:] >= '10')}" for k, m in self.mlabel.items()}
        # Support distributed (current + arrears, cents) per fiscal year in the office of
        # the case being written: the demo points it at that office's totals (costs.csv).
        self.collected: dict[str, int] = {}
        # History that measures need: from the start of the previous federal fiscal year.
        ffy = today.year if today.month >= 10 else today.year - 1
        self.window = date(ffy - 1, 10, 1).toordinal() - today.toordinal()
        self.rows: dict[str, list[tuple[str, ...]]] = {name: [] for name in COLUMNS}
        r = self.rows
        self.cases, self.people, self.events = r["cases.csv"], r["people.csv"], r["events.csv"]
        self.referrals, self.signals = r["referrals.csv"], r["signals.csv"]
        self.payments, self.goals = r["payments.csv"], r["case_goals.csv"]
        self.removals, self.placements = r["removals.csv"], r["placements.csv"]
        self.width = max(7, len(str(cases * 40)))
        self.serial: dict[str, int] = {}
        # Adults recently written, so that a few people appear in two cases.
        self.recent: deque[tuple[str, str, bool, str, int]] = deque(maxlen=64)
        self.professionals: list[dict[str, list[tuple[str, str]]]] = []  # per office, by role
        self.supervisor: dict[str, str] = {}  # worker -> their supervisor
        self.unit_of: dict[str, str] = {}  # worker -> their unit

    # -- formatting -------------------------------------------------------------------
    def d(self, t: int) -> str:
        return self.days[PAST + t]

    def dt(self, minutes: int) -> str:
        t, m = divmod(minutes, 1440)
        return f"{self.days[PAST + t]}T{self.hm[m]}"

    def month(self, t: int) -> int:
        return self.month_of[PAST + t]

    def new_id(self, prefix: str) -> str:
        n = self.serial.get(prefix, 0) + 1
        self.serial[prefix] = n
        return f"{prefix}{n:0{self.width}d}"

    # -- rows ---------------------------------------------------------------------------
    def name(self, female: bool, last: str | None = None) -> str:
        first = self.rng.choice(FEMALE if female else MALE)
        return f"{first} {last or self.rng.choice(LAST)}"

    def births(self, n: int, lo: int, hi: int) -> list[int]:
        """Birth days of up to ``n`` siblings between ``lo`` and ``hi``, a year or more apart."""
        ri = self.rng.randint
        born = [ri(lo, max(lo, hi - (n - 1) * 500))]
        for _ in range(n - 1):
            nxt = born[-1] + (0 if self.rng.random() < 0.03 else ri(330, 1100))  # 3% twins
            if nxt > hi:
                break
            born.append(nxt)
        return born

    def person(self, case_id: str, role: str, name: str, born: int | None) -> str:
        pid = self.new_id("P")
        self.people.append((pid, case_id, role, name, "" if born is None else self.d(born), "", ""))
        return pid

    def adult(
        self, case_id: str, role: str, female: bool, born: int, last: str, max_born: int = 0
    ) -> tuple[str, int]:
        """A parent: now and then one already written for another case (same id, name, birth).

        Returns the person id and birth day; a shared person is born on or before ``max_born``.
        """
        rng = self.rng
        if self.recent and rng.random() < 0.02:
            pid, other_case, was_female, name, was_born = rng.choice(self.recent)
            if other_case != case_id and was_female == female and was_born <= max_born:
                self.recent.clear()  # a shared person is shared by two cases, not more
                self.people.append((pid, case_id, role, name, self.d(was_born), "", ""))
                return pid, was_born
        name = self.name(female, last)
        pid = self.person(case_id, role, name, born)
        self.recent.append((pid, case_id, female, name, born))
        return pid, born

    def event(
        self,
        case_id: str,
        kind: str,
        status: str,
        when: str,
        person: str = "",
        staff: str = "",
        location: str = "",
        result: str = "",
    ) -> None:
        """One event; ``when`` is the scheduled date when scheduled, else the date it happened."""
        sched = when if status == "scheduled" else ""
        done = when if status == "completed" else ""
        if status in ("missed", "cancelled"):
            sched = when
        self.events.append(
            (self.new_id("E"), case_id, kind, status, sched, done, person, staff, location, result)
        )

    def signal(
        self, kind: str, t: int, person: str, case_id: str, source: str, detail: str
    ) -> None:
        self.signals.append((self.new_id("G"), kind, self.d(t), person, case_id, source, detail))

    def monthly_visits(
        self, case_id: str, child: str, staff: str, start: int, end: int, diligence: float
    ) -> None:
        """A caseworker visit each calendar month from ``start`` to ``end`` (days, <= 0 = past).

        Most months are visited, mostly at home; some are missed; this month's visit is often
        still to come.
        """
        rng = self.rng
        r = rng.random
        ri = rng.randint
        first = max(start, self.window)
        last = min(end, 0)
        if first > last:
            return
        mstart, mend = self.mstart, self.mend
        d = self.days
        for k in range(self.month(first), self.month(last) - 1, -1):
            lo, hi = max(mstart[k], first), min(mend[k], last)
            status, loc = "completed", rng.choice(_VISIT_LOC)
            if k == 0 and end >= 0:  # this month, case still open: done by now or still to come
                elapsed = (hi - mstart[0] + 1) / (mend[0] - mstart[0] + 1)
                if r() >= diligence * (0.1 + 0.8 * elapsed):
                    if mend[0] <= 0 or r() >= 0.6:
                        continue
                    status, loc, lo, hi = "scheduled", "home", 1, mend[0]
            elif r() >= diligence:
                if r() >= 0.4:
                    continue
                status, loc = ("missed" if r() < 0.6 else "cancelled"), "home"
            self.event(case_id, "caseworker_visit", status, d[PAST + ri(lo, hi)], child, staff, loc)


# Where a monthly visit takes place: mostly the child's residence (federal standard: >= 50%).
_VISIT_LOC = ("home",) * 15 + ("school", "school", "office", "placement", "other")
