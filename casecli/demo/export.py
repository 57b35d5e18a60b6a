"""A realistic synthetic export (EXPORTS.md) for demos, tests and benchmarks.

``write_demo`` writes the organisation (offices, units, workers with uneven loads) and,
case by case, everything that hangs off each case, streaming every file at once, so that
memory stays flat from 300 to 1.3 million cases. The same cases, seed and day give
byte-identical files: one ``random.Random(seed)`` drives everything and the clock is read
only to time the run.

Offices hold about 25,000 cases each, their units spread over them in turn. With
``office_cases`` the first office, O01, holds exactly that many open cases instead (and
closed ones in the same proportion as every office), with as many units and workers as
that takes at the usual caseloads: the benchmarks' "office of 60,000 open cases". The rest
are spread over the other offices as usual. Exact counts need exact shares, so in that mode
15% of each program's cases are closed exactly (drawn at random) rather than each case
being closed with a 15% chance; without it the stream, and the files, are as they were.
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

from casecli.demo.base import COLUMNS, Ctx, money
from casecli.demo.support import support_case
from casecli.demo.welfare import welfare_case

OFFICES = (
    "North County", "South County", "East Valley", "West Valley", "Central", "Harbor",
    "Lakeside", "Riverside", "Hillcrest", "Bayview", "Mountain View", "Desert Springs",
    "Coastal", "Pine Ridge", "Oak Grove", "Mission", "Fairview", "Valley Center",
)  # fmt: skip
PROGRAMS = {"child_welfare": "Child Welfare", "child_support": "Child Support"}
CASES_PER_WORKER = {"child_welfare": 20, "child_support": 225}  # open cases, on average
CASES_PER_OFFICE = 25_000
CLOSED_SHARE = 0.15
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


@dataclass(frozen=True)
class _Group:
    """Offices ``first`` to ``first + count - 1``, whose units share out ``open_cases``
    (per program) in turn; ``has`` the programs with any case there. Its workers form
    their own pool (``_Workers`` per program), so that its cases go to its workers only.
    ``professionals``: how many times the usual GALs and attorneys each office has."""

    first: int
    count: int
    open_cases: dict[str, float]
    has: frozenset[str]
    professionals: int = 1


class _BigOffice:
    """``office_cases`` mode: which cases are closed and which belong to O01, drawn so that
    the counts are exact (selection sampling: each case is picked with the chance
    still-needed / still-left, so the last ones are forced when the quota needs them)."""

    def __init__(self, cases: int, n_welfare: int, office_cases: int) -> None:
        total = {"child_welfare": n_welfare, "child_support": cases - n_welfare}
        closed = {p: round(n * CLOSED_SHARE) for p, n in total.items()}
        opened = {p: total[p] - closed[p] for p in total}
        all_open = sum(opened.values())
        if not 1 <= office_cases <= all_open:
            raise ValueError(f"office_cases must be from 1 to {all_open} for {cases} cases")
        w = round(office_cases * opened["child_welfare"] / all_open)
        office_open = {"child_welfare": w, "child_support": office_cases - w}
        office_closed = {
            p: round(closed[p] * office_open[p] / opened[p]) if opened[p] else 0 for p in total
        }
        self.left = dict(total)  # program -> cases still to write
        self.closed_left = dict(closed)
        # (program, closed) -> cases of that kind still to write / still wanted in O01
        self.kind_left = {(p, k): (closed if k else opened)[p] for p in total for k in (0, 1)}
        self.wanted = {
            (p, k): (office_closed if k else office_open)[p] for p in total for k in (0, 1)
        }
        office_total = sum(office_open.values()) + sum(office_closed.values())
        rest = {p: total[p] - office_open[p] - office_closed[p] for p in total}
        rest_open = {p: opened[p] - office_open[p] for p in total}
        n_rest = max(1, round(sum(rest.values()) / CASES_PER_OFFICE)) if any(rest.values()) else 0
        self.groups = [
            _Group(
                0,
                1,
                dict(office_open),
                frozenset(p for p in total if office_open[p] or office_closed[p]),
                max(1, round(office_total / CASES_PER_OFFICE)),
            )
        ]
        if n_rest:
            self.groups.append(
                _Group(1, n_rest, dict(rest_open), frozenset(p for p in total if rest[p]))
            )

    def draw(self, rng: random.Random, program: str) -> tuple[bool, int]:
        """Whether the next case of ``program`` is closed, and its pool (0: O01, 1: the rest)."""
        closed = _take(rng, self.closed_left[program], self.left[program])
        self.left[program] -= 1
        self.closed_left[program] -= closed
        kind = (program, int(closed))
        ours = _take(rng, self.wanted[kind], self.kind_left[kind])
        self.kind_left[kind] -= 1
        self.wanted[kind] -= ours
        return closed, 0 if ours else 1


def _take(rng: random.Random, needed: int, left: int) -> bool:
    """Pick this one of ``left`` items when ``needed`` more must be picked: always when all
    that are left are needed, never when none are, else at random (one draw, always)."""
    u = rng.random()
    return needed >= left or (needed > 0 and u * left < needed)


def most_office_cases(cases: int) -> int:
    """The most open cases ``office_cases`` can ask for: every open case of ``cases``."""
    n_welfare = round(cases * welfare_share(cases))
    return sum(n - round(n * CLOSED_SHARE) for n in (n_welfare, cases - n_welfare))


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
    office_cases: int | None = None,
) -> DemoSummary:
    """Write a synthetic export of ``cases`` cases, as of ``today`` 23:00, into ``folder``;
    with ``office_cases``, office O01 holds exactly that many open cases (see the module)."""
    if cases < 1:
        raise ValueError("cases must be at least 1")
    n_welfare = round(cases * welfare_share(cases))
    big = None if office_cases is None else _BigOffice(cases, n_welfare, office_cases)
    started = time.perf_counter()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    c = Ctx(random.Random(seed), today, cases)
    rng = c.rng
    if big is None:
        open_cases = {
            "child_welfare": n_welfare * (1 - CLOSED_SHARE),
            "child_support": (cases - n_welfare) * (1 - CLOSED_SHARE),
        }
        n_offices = max(1, round(cases / CASES_PER_OFFICE))  # at least one
        has = frozenset(p for p, n in open_cases.items() if n)
        groups = [_Group(0, n_offices, open_cases, has)]
    else:
        groups = big.groups
    staff, programs = _organisation(c, groups)
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
            pool = 0
            if big is None:
                closed = rng.random() < CLOSED_SHARE
            if (i + 1) * n_welfare // cases != i * n_welfare // cases:  # evenly interleaved
                if big is not None:
                    closed, pool = big.draw(rng, "child_welfare")
                welfare = programs["child_welfare", pool]
                w = welfare.pick(rng.random())
                welfare_case(
                    c, cid, welfare.ids[w], welfare.offices[w], welfare.diligence[w], closed
                )
            else:
                if big is not None:
                    closed, pool = big.draw(rng, "child_support")
                support = programs["child_support", pool]
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
        f'profile = "standard"\nseed = {seed}\ncases = {cases}\n'
        + ("" if office_cases is None else f"office_cases = {office_cases}\n"),
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


def _organisation(
    c: Ctx, groups: list[_Group]
) -> tuple[list[tuple], dict[tuple[str, int], _Workers]]:
    """Offices with a manager, program units with a supervisor, workers, one admin; the
    workers by program and pool (the index of their group in ``groups``).

    Loads are uneven on purpose: about 15% of workers take far more than their share,
    15% far less, part-timers less still; a couple of workers have left (inactive) with a
    few cases not yet reassigned.
    """
    rng = c.rng
    r, uniform = rng.random, rng.uniform
    n_offices = sum(g.count for g in groups)
    units = [  # (program, size, office, pool)
        (program, size, g.first + k % g.count, pool)
        for pool, g in enumerate(groups)
        for k, (program, size) in enumerate(
            (program, size)
            for program, n in g.open_cases.items()
            if program in g.has
            for size in _unit_sizes(max(5, round(n / CASES_PER_WORKER[program])))
        )
    ]
    professionals = {o: g.professionals for g in groups for o in range(g.first, g.first + g.count)}
    total = n_offices + len(units) + sum(size for _, size, _, _ in units) + 1
    staff_width = max(4, len(str(total)))
    unit_width = max(3, len(str(len(units))))
    serial = iter(range(1, total + 1))

    def staff_id() -> str:
        return f"S{next(serial):0{staff_width}d}"

    def name() -> str:  # synthetic, see casecli.demo.base
        return c.name(r() < 0.6)

    rows: list[tuple] = []
    programs = {
        (p, pool): _Workers([], [], [], []) for p in PROGRAMS for pool in range(len(groups))
    }
    weight = dict.fromkeys(programs, 0.0)
    n_workers = 0
    for office in range(n_offices):
        oid = f"O{office + 1:02d}"
        place = OFFICES[office] if office < len(OFFICES) else f"District {office + 1}"
        oname = f"{place} Office"
        manager = staff_id()
        rows.append((manager, name(), "manager", "", "", oid, oname, "", "40", "true"))
        c.professionals.append(
            {
                role: [(c.new_id("P"), name()) for _ in range(k * professionals[office])]
                for role, k in (("gal", 8), ("attorney", 12))
            }
        )
        numbers = dict.fromkeys(PROGRAMS, 0)
        for u, (program, size, at, pool) in enumerate(units):
            if at != office:
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
            workers = programs[program, pool]
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
                weight[program, pool] += load * hours / 40 * (1 if active else 0.06)
                workers.ids.append(wid)
                workers.offices.append(office)
                workers.diligence.append(
                    min(0.995, 0.99 - 0.15 * max(0.0, load - 1.1) - 0.05 * r())
                )
                workers.cum.append(weight[program, pool])
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
