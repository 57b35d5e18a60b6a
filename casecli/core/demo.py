"""A realistic synthetic export (EXPORTS.md) for demos, tests and benchmarks.

``write_demo`` writes the organisation (offices, units, workers with uneven loads) and,
case by case, everything that hangs off each case, streaming every file at once, so that
memory stays flat from 300 to 1.3 million cases. The same cases, seed and day give
byte-identical files: one ``random.Random(seed)`` drives everything and the clock is read
only to time the run.
"""

from __future__ import annotations

import csv
import math
import random
import time
from bisect import bisect_right
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from casecli.core.demo_base import COLUMNS, Ctx, money
from casecli.core.demo_support import support_case
from casecli.core.demo_welfare import welfare_case

OFFICES = (
    "North County", "South County", "East Valley", "West Valley", "Central", "Harbor",
    "Lakeside", "Riverside", "Hillcrest", "Bayview", "Mountain View", "Desert Springs",
    "Coastal", "Pine Ridge", "Oak Grove", "Mission", "Fairview", "Valley Center",
)  # fmt: skip
PROGRAMS = {"child_welfare": "Child Welfare", "child_support": "Child Support"}
CASES_PER_WORKER = {"child_welfare": 20, "child_support": 225}  # open cases, on average
FLUSH_EVERY = 1000  # cases between writes: bounds memory
PROGRESS_EVERY = 10_000


@dataclass(frozen=True)
class DemoSummary:
    folder: Path
    cases: int
    files: dict[str, int]  # file name (e.g. "cases.csv") -> data rows written
    seconds: float


@dataclass
class _Workers:
    """The workers of one program and how much of its intake each one gets."""

    ids: list[str]
    offices: list[int]
    diligence: list[float]  # share of monthly visits done on time
    cum: list[float]  # cumulative intake weights

    def pick(self, u: float) -> int:
        return bisect_right(self.cum, u * self.cum[-1])


def welfare_share(cases: int) -> float:
    """Child welfare's share of cases: 60% in a small sample, 15% at state scale."""
    if cases <= 5_000:
        return 0.6
    if cases >= 100_000:
        return 0.15
    return 0.6 - 0.45 * (cases - 5_000) / 95_000


def write_demo(
    folder: Path,
    cases: int = 1000,
    seed: int = 1,
    today: date = date(2026, 11, 24),
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Write a synthetic export of ``cases`` cases, as of ``today`` 23:00, into ``folder``."""
    if cases < 1:
        raise ValueError("cases must be at least 1")
    started = time.perf_counter()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    c = Ctx(random.Random(seed), today, cases)
    rng = c.rng
    n_welfare = round(cases * welfare_share(cases))
    staff, programs = _organisation(c, cases, n_welfare)
    welfare, support = programs["child_welfare"], programs["child_support"]
    counts = dict.fromkeys(COLUMNS, 0)
    collected: dict[int, dict[str, int]] = {}  # office -> FFY -> support distributed, cents
    width = max(7, len(str(cases)))
    with ExitStack() as stack:
        writers = {}
        for name, columns in COLUMNS.items():
            f = stack.enter_context(open(folder / name, "w", encoding="utf-8", newline=""))
            writers[name] = csv.writer(f, lineterminator="\n")
            writers[name].writerow(columns)
        writers["staff.csv"].writerows(staff)
        counts["staff.csv"] = len(staff)

        def flush() -> None:
            for name, rows in c.rows.items():
                if rows:
                    writers[name].writerows(rows)
                    counts[name] += len(rows)
                    rows.clear()

        for i in range(cases):
            cid = f"C{i + 1:0{width}d}"
            closed = rng.random() < 0.15
            if (i + 1) * n_welfare // cases != i * n_welfare // cases:  # evenly interleaved
                w = welfare.pick(rng.random())
                welfare_case(
                    c, cid, welfare.ids[w], welfare.offices[w], welfare.diligence[w], closed
                )
            else:
                w = support.pick(rng.random())
                c.collected = collected.setdefault(support.offices[w], {})
                support_case(c, cid, support.ids[w], closed)
            if (i + 1) % FLUSH_EVERY == 0:
                flush()
            if progress is not None and (i + 1) % PROGRESS_EVERY == 0:
                progress(i + 1)
        c.rows["costs.csv"].extend(_costs(collected, seed))
        flush()
    (folder / "manifest.toml").write_text(
        f'source = "casecli demo"\nas_of = {today.isoformat()}T23:00:00\nkind = "full"\n'
        f'profile = "standard"\nseed = {seed}\ncases = {cases}\n',
        encoding="utf-8",
    )
    if progress is not None and cases % PROGRESS_EVERY:
        progress(cases)
    return DemoSummary(folder, cases, counts, time.perf_counter() - started)


def _costs(collected: dict[int, dict[str, int]], seed: int) -> list[tuple[str, str, str]]:
    """costs.csv: each office's IV-D expenditures for each fiscal year its cases collected
    support in, set so that it collects $3.20 to $6.20 per dollar spent (states reported
    about $4 to $7 in recent years), the running year's to date like its collections.
    A random stream of its own, so the cases are the same with or without this file."""
    rng = random.Random(f"costs {seed}")
    rows = []
    for office in sorted(collected):
        ratio = rng.uniform(3.2, 6.2)
        for fy in sorted(collected[office]):
            cents = collected[office][fy]
            spent = max(1, round(cents / (ratio * rng.uniform(0.92, 1.08))))
            rows.append((f"O{office + 1:02d}", fy, money(spent)))
    return rows


def _unit_sizes(workers: int) -> list[int]:
    """Split workers into units of 5-9 (fewer only when the program has fewer workers)."""
    if workers == 0:
        return []
    n = math.ceil(workers / 9)
    return [workers // n + (i < workers % n) for i in range(n)]


def _organisation(c: Ctx, cases: int, n_welfare: int) -> tuple[list[tuple], dict[str, _Workers]]:
    """Offices with a manager, program units with a supervisor, workers, one admin.

    Loads are uneven on purpose: about 15% of workers take far more than their share,
    15% far less, part-timers less still; a couple of workers have left (inactive) with a
    few cases not yet reassigned.
    """
    rng = c.rng
    r, uniform = rng.random, rng.uniform
    n_offices = max(1, round(cases / 25_000))  # one per ~25,000 cases, at least one
    open_cases = {"child_welfare": n_welfare * 0.85, "child_support": (cases - n_welfare) * 0.85}
    units = [
        (program, size)
        for program, n in open_cases.items()
        if n
        for size in _unit_sizes(max(5, round(n / CASES_PER_WORKER[program])))
    ]
    total = n_offices + len(units) + sum(size for _, size in units) + 1
    staff_width = max(4, len(str(total)))
    unit_width = max(3, len(str(len(units))))
    serial = iter(range(1, total + 1))

    def staff_id() -> str:
        return f"S{next(serial):0{staff_width}d}"

    def name() -> str:  # synthetic, see demo_base
        return c.name(r() < 0.6)

    rows: list[tuple] = []
    programs = {p: _Workers([], [], [], []) for p in PROGRAMS}
    weight = dict.fromkeys(PROGRAMS, 0.0)
    n_workers = 0
    for office in range(n_offices):
        oid = f"O{office + 1:02d}"
        place = OFFICES[office] if office < len(OFFICES) else f"District {office + 1}"
        oname = f"{place} Office"
        manager = staff_id()
        rows.append((manager, name(), "manager", "", "", oid, oname, "", "40", "true"))
        c.professionals.append(
            {
                role: [(c.new_id("P"), name()) for _ in range(k)]
                for role, k in (("gal", 8), ("attorney", 12))
            }
        )
        numbers = dict.fromkeys(PROGRAMS, 0)
        for u, (program, size) in enumerate(units):
            if u % n_offices != office:
                continue
            numbers[program] += 1
            uid = f"U{u + 1:0{unit_width}d}"
            uname = f"{PROGRAMS[program]} Unit {numbers[program]}"
            if n_offices > 1:
                uname = f"{place} {uname}"
            supervisor = staff_id()
            rows.append(
                (supervisor, name(), "supervisor", uid, uname, oid, oname, manager, "40", "true")
            )
            workers = programs[program]
            for j in range(size):
                wid = staff_id()
                hours = rng.choices((40, 32, 20), cum_weights=(85, 95, 100))[0]
                draw = r()  # every unit has someone overloaded and someone light
                if j == 1 or draw < 0.08:
                    load = uniform(1.45, 1.75)
                elif j == size - 1 or draw < 0.16:
                    load = uniform(0.5, 0.75)
                else:
                    load = uniform(0.8, 1.2)
                active = n_workers not in (3, 11) and r() > 0.01
                n_workers += 1
                weight[program] += load * hours / 40 * (1 if active else 0.06)
                workers.ids.append(wid)
                workers.offices.append(office)
                workers.diligence.append(
                    min(0.995, 0.99 - 0.15 * max(0.0, load - 1.1) - 0.05 * r())
                )
                workers.cum.append(weight[program])
                c.supervisor[wid] = supervisor
                c.unit_of[wid] = uid
                rows.append(
                    (wid, name(), "worker", uid, uname, oid, oname, supervisor, str(hours),
                     "true" if active else "false")
                )  # fmt: skip
    rows.append((staff_id(), name(), "admin", "", "", "", "", "", "40", "true"))
    # Each with a login (staff.csv's last column): the staff id in lower case, so that a
    # demo store shows --as defaulting by login (LOGNAME=s0003 casecli next).
    return [(*row, row[0].lower()) for row in rows], programs
