"""Measure counts kept beside the store (issue 15 items 1 and 2), in the file of
:mod:`casecli.core.local.kept`, and brought up to date by the sync that changes them.

**Kept** (:class:`KeptCounts`): a measure family's counts per worker for one set of cases
and one period, as ``score``, ``focus``, the digests and the unit and office views compute
them, read back by the views of the same day: the same ``today`` (in the key), store, code
and settings (the key carries the measure options), and the same latest sync, audit entry
and local rows (the marks, with their lineage), or local writes since that no count reads
or that a few cases' workers counted again alone bring up to date
(:meth:`KeptCounts.read`). A sync that did not bring them up to date makes the next view
count them again.

**Brought up to date by a sync** (:func:`refresh`, item 2's "kept figures, refreshed by
sync"): for the families whose every count belongs to one case and reads only that
case's rows (``measures.PER_CASE``: support orders, collections, paternity, visits,
timely response, investigations), a case's share of a worker's counts changes only when
that case changes. So before the sync commits, each such kept count of a unit or an
office (kept as of the store just before the sync) is counted for the cases the sync
changed alone, as they were (on a second connection, which still sees the store as it
was before the sync), and after the commit again, as they are; the kept count less the
first plus the second is the count after the sync. Paid once by the sync, not by the first
view of each command after it: at the 60,000-case office of a 1.3M-case store, a 1% delta
(69,633 cases changed, 3,822 of the office's) took the sync about 1.1 s more, and
``score --office`` after it went from 3.4 s to 0.9 s, ``focus`` from 2.5 s to 0.85 s
(benchmarks/RESULTS.md). A store with nothing kept costs the sync one read of an empty
table.

- The cases a sync changed: ``sync_cases`` (every case a row it wrote names, a person's
  every case); a table it loaded whole: nothing is brought up to date. A worker the staff
  file moved into or out of a unit or an office (no case row changes) brings in every case
  they hold.
- A worker whose count comes to nothing (their last counted case left) is counted again
  alone, so a count is kept exactly when a whole count would have it.
- Only what was true just before the sync is brought up to date: the kept marks must be
  the store's as the sync began, and after the commit nothing else may have been written
  before the counts are read; else it is left for the next view to count whole.
- The cross-case families (permanency, re-entry, maltreatment in care, recurrence: a
  child's removals and findings across cases) are counted again whole by the next view.

All of it is best effort: a kept file that cannot be read or written, or anything going
wrong here, leaves the sync as it is (committed) and the counts to the next view.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from datetime import date
from typing import Any

from casecli.core.local import kept
from casecli.core.local.kept import _oldest, marks_now, stamp
from casecli.core.local.kept_places import _Beside
from casecli.core.measures.periods import Period
from casecli.core.measures.query import Options, Query
from casecli.core.store.scope import workers_clause

COUNTS = "counts_v3"  # (key, stamp, made_on, marks, value, spec)
MOST = 250_000  # a sync changing more cases than this (a fifth of a state): left to the views
MOST_CASES = 2_000  # more cases with events recorded since a count was kept: counted whole
RECORDED = kept.MARKS.index("recorded_events")  # the one local table counts read

# The sets of cases a sync brings kept counts up to date for: a unit's and an office's (a
# worker's are many, each cheap to count again; all offices' are an admin's alone)
MANY = {workers_clause("unit", None)[0], workers_clause("office", None)[0]}
Counted = dict[str, dict[str | None, tuple[int, int, int]]]  # one period's: measure -> worker
Rows = dict[tuple[int, str | None], tuple[int, int, int]]
TABLE = (
    f"CREATE TABLE IF NOT EXISTS {COUNTS} (key TEXT PRIMARY KEY, stamp TEXT NOT NULL,"
    " made_on TEXT NOT NULL, marks TEXT NOT NULL, value TEXT NOT NULL, spec TEXT NOT NULL)"
    " WITHOUT ROWID"
)


class KeptCounts(_Beside):
    """A measure family's counts per worker for one scope and period, kept beside the
    store for the views of the same day (``measures.Calculator(keep=...)``). Best effort:
    with no cache folder, nothing is kept."""

    def __init__(self, conn: sqlite3.Connection, today: date) -> None:
        super().__init__(conn, TABLE)
        self.conn, self.today = conn, today
        self.code = stamp(conn, None, None, False)
        # the marks before the counts; their lineage tells a restored store apart
        self.now, self.marks = marks_now(conn)
        self._since: dict[str, frozenset[str] | None] = {}  # per kept marks, read once
        self._workers: dict[frozenset[str], list[str] | None] = {}

    def read(
        self, family: Any, where: str, params: tuple[Any, ...],
        wanted: list[tuple[str, Period]], options: Options,
    ) -> dict[Period, Counted]:  # fmt: skip
        """The counts kept for each (key, period) of ``wanted``: one ``family`` over the
        cases ``where`` selects. Those kept as of the marks now; those kept before local
        writes that recorded no event (no count reads another local table: a barrier, a
        note, goal progress leave every count as it was), or that recorded events a family
        does not read (``measures.READS_RECORDED``: permanency and re-entry read none);
        and, of a per-case family (``measures.PER_CASE``), those kept before events were
        recorded on a few cases, with the workers of those cases counted again alone and
        put in place of theirs (every count belongs to one case, and is its worker's). What is brought forward
        is kept again as of now. A team store is written all day: before this, any write
        in an office made its manager's next score count the office again (9 s at 60,000
        cases). Anything else (a sync since, events recorded on an unassigned case or on
        more than :data:`MOST_CASES`, an event read by a family that follows a child across
        cases, a store restored from a backup) is not returned: the caller counts it whole."""
        if self.side is None or not wanted:
            return {}
        try:
            rows = {
                str(key): (value, marks)
                for key, value, marks in self.side.execute(
                    f"SELECT key, value, marks FROM {COUNTS} WHERE stamp = ? AND made_on = ?"
                    " AND key IN (SELECT value FROM json_each(?))",
                    (self.code, self.today.isoformat(), json.dumps([k for k, _ in wanted])),
                )
            }
        except sqlite3.Error:
            return {}
        out: dict[Period, Counted] = {}
        again: dict[frozenset[str], list[tuple[str, str, Period, Counted]]] = {}
        for key, period in wanted:
            if key not in rows:
                continue
            value, marks = rows[key]
            try:
                counts = _counted(value)
            except (ValueError, TypeError):
                continue
            if marks == self.marks:
                out[period] = counts
                continue
            cases = self._recorded_since(marks)
            if cases is not None and (not cases or family not in _measures().READS_RECORDED):
                again.setdefault(frozenset(), []).append((key, marks, period, counts))
            elif cases is not None and family in _measures().PER_CASE:
                again.setdefault(cases, []).append((key, marks, period, counts))
        brought: list[tuple[str, str, Counted]] = []
        for cases, items in again.items():
            if cases:
                workers = self._workers_of(cases)
                if workers is None:
                    continue
                periods = tuple(p for _, _, p, _ in items)
                holes = ", ".join("?" * len(workers))
                new = dict(family(Query(self.conn, f"({where}) AND c.worker_id IN ({holes})",
                                        (*params, *workers), periods, self.today, options)))  # fmt: skip
                for i, (_, _, _, counts) in enumerate(items):
                    _put_in_place(counts, workers, new, i)
            for key, marks, period, counts in items:
                out[period] = counts
                brought.append((key, marks, counts))
        if brought:

            def work(side: sqlite3.Connection) -> None:
                side.executemany(
                    f"UPDATE {COUNTS} SET marks = ?, value = ? WHERE key = ? AND stamp = ?"
                    " AND made_on = ? AND marks = ?",
                    [
                        (self.marks, _text(c), key, self.code, self.today.isoformat(), marks)
                        for key, marks, c in brought
                    ],
                )  # fmt: skip  (not over counts another view kept meanwhile)

            self._write(work)
        return out

    def _recorded_since(self, text: str) -> frozenset[str] | None:
        """The cases with events recorded since the kept marks ``text`` (none: nothing a
        count reads was written since); None when what was kept must be counted whole: a
        sync since, marks not this store's history, an event of no case or on more than
        :data:`MOST_CASES` cases."""
        if text not in self._since:
            found: frozenset[str] | None = None
            changed = kept.written_since(self.conn, text, self.now, tables=True)
            if changed is not None:
                recorded = changed[RECORDED]
                if "*" not in recorded and len(recorded) <= MOST_CASES:
                    found = frozenset(recorded)
            self._since[text] = found
        return self._since[text]

    def _workers_of(self, cases: frozenset[str]) -> list[str] | None:
        """The workers of ``cases``, in order, read once per set; None when one of them has
        none (its counts are no one's: counted whole), none is found (a sync since hid the
        cases: counted whole) or there are more than 500."""
        if cases not in self._workers:
            self._workers[cases] = self._read_workers(cases)
        return self._workers[cases]

    def _read_workers(self, cases: frozenset[str]) -> list[str] | None:
        found: set[Any] = set()
        ids = sorted(cases)
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            found.update(
                r[0]
                for r in self.conn.execute(
                    f"SELECT DISTINCT worker_id FROM cases WHERE case_id IN ({', '.join('?' * len(part))})",
                    part,
                )
            )
        if None in found or not found or len(found) > 500:
            return None
        return sorted(map(str, found))

    def put(self, items: list[tuple[str, Counted, dict[str, Any]]]) -> None:
        """Keep counts (key, counts, what they were computed from: ``Calculator._spec``)."""
        if self.side is None or not items:
            return
        day = self.today.isoformat()
        rows = [
            (key, self.code, day, self.marks, _text(value), json.dumps(spec))
            for key, value, spec in items
        ]

        def work(side: sqlite3.Connection) -> None:
            side.execute(
                f"DELETE FROM {COUNTS} WHERE made_on < ? OR (made_on = ? AND stamp <> ?)",
                (_oldest(self.today), day, self.code),
            )
            side.executemany(f"INSERT OR REPLACE INTO {COUNTS} VALUES (?, ?, ?, ?, ?, ?)", rows)

        self._write(work)


def _measures() -> Any:
    """``casecli.core.measures.measures`` (imported when first asked, as :func:`_groups`
    does)."""
    from casecli.core.measures import measures

    return measures


def _put_in_place(counts: Counted, workers: list[str], new: dict[str, Rows], i: int) -> None:
    """``counts`` (period ``i``'s) with ``workers``' rows those of ``new`` (their cases
    counted again alone), in place."""
    for m in list(counts):
        for w in workers:
            counts[m].pop(w, None)
    for m, rows in new.items():
        for (j, who), row in rows.items():
            if j == i:
                a, b, c = row
                counts.setdefault(m, {})[None if who is None else str(who)] = (a, b, c)
    for m in [m for m, by in counts.items() if not by]:
        del counts[m]


def _text(value: Counted) -> str:
    return json.dumps([[m, w, *row] for m, ws in value.items() for w, row in ws.items()])


def _counted(text: str) -> Counted:
    """Counts as :func:`_text` wrote them; raises ValueError or TypeError when not."""
    out: Counted = {}
    for m, w, a, b, c in json.loads(text):
        if not all(type(x) is int for x in (a, b, c)) or not isinstance(m, str):
            raise TypeError("not counts as kept")
        out.setdefault(m, {})[None if w is None else str(w)] = (a, b, c)
    return out


# Brought up to date by a sync -----------------------------------------------------------

After = Callable[[sqlite3.Connection], None]


def refresh(conn: sqlite3.Connection, sync_id: int, today: date | None = None) -> After | None:
    """A sync's hook (``sync(before_commit=...)``), called inside its transaction once
    everything is written: count the per-case families' kept counts of units and offices
    (kept for ``today`` or later; None: any day) for the cases this sync changed as they
    were before it, and return what to do after the commit (count them again as they are
    now and keep the difference); None when nothing can be brought up to date. Never
    raises for what it cannot do."""
    try:
        return _before(conn, sync_id, today)
    except (sqlite3.Error, ValueError, TypeError, KeyError, OSError):
        return None


class _Group:
    """Kept counts computed by one statement: one family over one set of cases, with the
    same options and day, for some periods (``rows``: key, counts as kept, period)."""

    def __init__(self, family: Any, where: str, params: tuple[Any, ...], options: Options,
                 today: date) -> None:  # fmt: skip
        self.family, self.where, self.params = family, where, params
        self.options, self.today = options, today
        self.rows: list[tuple[str, Counted, Period]] = []
        self.ids = "[]"  # the changed cases of its scope (a JSON list)
        self.old: dict[str, Rows] = {}

    def run(self, conn: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> dict[str, Rows]:
        periods = tuple(p for _, _, p in self.rows)
        return dict(self.family(Query(conn, where, params, periods, self.today, self.options)))

    def changed(self, conn: sqlite3.Connection, ids: str) -> dict[str, Rows]:
        """The counts of the changed cases ``ids`` (a JSON list) alone."""
        return self.run(conn, f"({self.where}) AND c.case_id IN (SELECT value FROM json_each(?))",
                        (*self.params, ids))  # fmt: skip


def _before(conn: sqlite3.Connection, sync_id: int, today: date | None) -> After | None:
    from casecli.core.store import store

    path = kept.store_path(conn)
    side = kept.open_kept(path)  # none: nothing kept, and nothing made beside the store
    if side is None:
        return None
    try:
        side.execute(TABLE)
        if side.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {COUNTS})").fetchone()[0]:
            return None
        before = store.sibling(conn)  # sees the store as it was before this sync
        if before is None:
            return None
        try:
            before.execute("BEGIN")
            then, then_text = marks_now(before)
            code = stamp(before, None, None, False)
            groups = _groups(side, code, then_text, today)
            if not groups:
                return None
            touched = [r[0] for r in conn.execute(
                "SELECT case_id FROM sync_cases WHERE sync_id = ?", (sync_id,))]  # fmt: skip
            moved = _moved_cases(conn, before, sync_id)
            if "*" in touched or moved is None or len(touched) + len(moved) > MOST:
                return None
            ids = json.dumps(sorted(set(touched) | moved))
            # where each changed case was and is: its worker's unit and office (one read of
            # each state, not one per unit: a state's sync changes 70,000 cases)
            places = [_places(before, ids), _places(conn, ids)]
            for group in groups:
                column = 0 if group.where == workers_clause("unit", None)[0] else 1
                mine = {c for held in places for c, at in held.items()
                        if at[column] == group.params[0]}  # fmt: skip
                group.ids = json.dumps(sorted(mine))
                group.old = group.changed(before, group.ids) if mine else {}
            before.execute("COMMIT")
        finally:
            before.close()
    finally:
        side.close()
    return lambda after: _after(after, path, groups, (then, then_text), code, sync_id)


def _groups(
    side: sqlite3.Connection, code: str, then_text: str, today: date | None
) -> list[_Group]:
    """The kept counts a sync can bring up to date: per-case families over a unit's or an
    office's cases, kept as of the store just before it (``then_text``), by this code, for
    ``today`` or later (None: any day)."""
    from casecli.core.measures import measures

    out: dict[tuple[Any, ...], _Group] = {}
    cur = side.execute(
        f"SELECT key, value, spec FROM {COUNTS} WHERE stamp = ? AND marks = ? AND made_on >= ?",
        (code, then_text, today.isoformat() if today else ""),
    )
    for key, value, spec_text in cur:
        with contextlib.suppress(ValueError, TypeError, KeyError, IndexError):
            spec = json.loads(spec_text)
            family = measures.FAMILIES.get(spec["family"])
            params = tuple(spec["params"])
            if family not in measures.PER_CASE or spec["where"] not in MANY or len(params) != 1:
                continue
            start, end, label, kind = spec["period"]
            period = Period(date.fromisoformat(start), date.fromisoformat(end), str(label),
                            str(kind))  # fmt: skip
            options = Options(int(spec["options"][0]), int(spec["options"][1]))
            day = date.fromisoformat(spec["today"])
            counts = _counted(value)  # (a count not as kept: left to the next view)
            at = (spec["family"], spec["where"], params, options, day)
            if at not in out:
                out[at] = _Group(family, spec["where"], params, options, day)
            out[at].rows.append((str(key), counts, period))
    return list(out.values())


def _places(conn: sqlite3.Connection, ids: str) -> dict[str, tuple[Any, Any]]:
    """The unit and office of the worker of each of the cases ``ids`` (a JSON list), as
    ``conn`` sees the store: what puts a case in a unit's and an office's counts."""
    return {
        str(c): (unit, office)
        for c, unit, office in conn.execute(
            "SELECT c.case_id, s.unit_id, s.office_id FROM cases c"
            " LEFT JOIN staff s ON s.staff_id = c.worker_id"
            " WHERE c.case_id IN (SELECT value FROM json_each(?))",
            (ids,),
        )
    }


def _moved_cases(
    now: sqlite3.Connection, before: sqlite3.Connection, sync_id: int
) -> set[str] | None:
    """The cases of the workers this sync moved into or out of a unit or an office (no
    case row changes, but which counts their cases are in does), as they are held before
    the sync and after it; None: more than :data:`MOST`."""
    sql = "SELECT staff_id, unit_id, office_id FROM staff WHERE staff_id IN ({})"
    written = [r[0] for r in now.execute("SELECT staff_id FROM staff WHERE _sync_id = ?",
                                         (sync_id,))]  # fmt: skip
    moved: list[str] = []
    for i in range(0, len(written), 500):
        part = written[i : i + 500]
        marks = ", ".join("?" * len(part))
        was = {r[0]: r[1:] for r in before.execute(sql.format(marks), part)}
        moved += [r[0] for r in now.execute(sql.format(marks), part) if was.get(r[0]) != r[1:]]
    out: set[str] = set()
    for i in range(0, len(moved), 500):
        part = moved[i : i + 500]
        cases = f"SELECT case_id FROM cases WHERE worker_id IN ({', '.join('?' * len(part))})"
        for conn in (now, before):
            out.update(str(r[0]) for r in conn.execute(cases, part))
        if len(out) > MOST:
            return None
    return out


def _after(
    conn: sqlite3.Connection, path: Any, groups: list[_Group],
    then: tuple[tuple[int, ...], str], code: str, sync_id: int,
) -> None:  # fmt: skip
    """After the commit: count the changed cases again as they are, and keep each count
    less what they counted before plus what they count now, as of the store now (only if
    nothing but this sync was written since the counts were kept, and nobody kept them
    again meanwhile)."""
    with contextlib.suppress(sqlite3.Error, ValueError, TypeError, KeyError, OSError):
        conn.execute("BEGIN")
        try:
            now, now_text = marks_now(conn)
            if now != (sync_id, *then[0][1:]) or stamp(conn, None, None, False) != code:
                return
            out: list[tuple[str, Counted]] = []
            for group in groups:
                new = group.changed(conn, group.ids)
                counts = [c for _, c, _ in group.rows]  # (changed in place: once)
                for i, mine in enumerate(counts):
                    _apply(mine, group.old, new, i)
                _exact(conn, group, counts, group.old, new)
                out.extend((key, c) for (key, _, _), c in zip(group.rows, counts, strict=True))
        finally:
            conn.execute("COMMIT")
        side = kept.open_kept(path)
        if side is None:
            return
        try:
            side.execute("BEGIN IMMEDIATE")
            side.executemany(
                f"UPDATE {COUNTS} SET marks = ?, value = ? WHERE key = ? AND stamp = ?"
                " AND marks = ?",
                [(now_text, _text(c), key, code, then[1]) for key, c in out],
            )
            side.execute("COMMIT")
        finally:
            side.close()


def _apply(counts: Counted, old: dict[str, Rows], new: dict[str, Rows], i: int) -> None:
    """``counts`` (period ``i``'s) less ``old``'s plus ``new``'s, in place."""
    for rows, sign in ((old, -1), (new, 1)):
        for m, by in rows.items():
            mine = counts.setdefault(m, {})
            for (j, w), (a, b, c) in by.items():
                if j == i:
                    x, y, z = mine.get(w, (0, 0, 0))
                    mine[w] = (x + sign * a, y + sign * b, z + sign * c)


def _exact(
    conn: sqlite3.Connection, group: _Group, counts: list[Counted], old: dict[str, Rows],
    new: dict[str, Rows],
) -> None:  # fmt: skip
    """Count again alone, and put in place, the workers whose count came to nothing in a
    period where their changed cases counted before and count no more (or below nothing):
    a whole count has a worker's count only when one of their cases is counted, which
    nothing kept says. (A count their changed cases still make is in a whole count.)"""
    again = sorted(
        {str(w) for i, c in enumerate(counts) for m, by in c.items() for w, row in by.items()
         if w is not None and (min(row) < 0 or not any(row) and (i, w) in old.get(m, {})
                               and (i, w) not in new.get(m, {}))}
    )  # fmt: skip
    if not again:
        return
    marks = ", ".join("?" * len(again))  # (a list, not json_each: read by worker, indexed)
    exact = group.run(conn, f"({group.where}) AND c.worker_id IN ({marks})",
                      (*group.params, *again))  # fmt: skip
    for i, mine in enumerate(counts):
        for m in set(mine) | set(exact):
            by = mine.setdefault(m, {})
            for gone in again:
                by.pop(gone, None)
            for (j, w), row in exact.get(m, {}).items():
                if j == i:
                    by[w] = row
            if not by:
                del mine[m]
