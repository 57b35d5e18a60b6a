"""Kept evaluations: each open case's evaluation, kept beside the store so that a unit or
an office view re-evaluates only the cases that changed (issue 15).

What is kept is a :class:`Brief` per case: exactly what the unit and office views read
of a case's evaluation (its situation, urgency, its share of the worker's figures, what it
waits on, its most urgent action), not the whole ``CaseView``; the briefs of one worker's
cases are kept together, one row per worker (``TABLE``), so that an office's 60,000 are
read as 700 rows.

Where (the choice issue 15 item 1 leaves open): a SQLite file beside the store,
``STORE-cache/evals.db`` (the folder of ``casecli.core.local.nextcache``, 0700, the file 0600).
A read never writes the store: a read-only store, a store on a share, ``sample.db`` under
version control stay as they are; deleting the folder is always safe (the next view
rebuilds what it needs); when the folder cannot be written, views work as before, without
the shortcut. A cache table inside the store, written only by sync and local writes, would
have made every sync evaluate the state (minutes at 1.3M cases, breaking the sync's
targets) or left the first view to write the store anyway.

On a team store (issue 17 item 8) each login keeps its own, in the same kind of file on the
machine it runs on: ``$XDG_CACHE_HOME/casecli/team-DIGEST-cache/`` (``nextcache.team_place``:
the digest of the server, the database and the login), holding what that login may read and
nothing more. It is checked against everyone's changes, not the login's own: the marks
there are the latest sync and the latest change the session sees in ``casecli_changes``,
which a trigger on every local write fills as it commits, numbered in the order of commits
(:func:`marks`); who the login is (staff member, role, unit, office, casecli roles) is in
the stamp. Chosen over tables inside the team store, which would need the owner to evaluate
every scope of the state each night and policies on every kept row; the cost is that each
person's first view of a day evaluates their scope (or their nightly ``casecli db warm``
does), and that the sync, run by an admin elsewhere, does not bring anyone else's kept
counts up to date (their next view counts them again; their briefs are re-evaluated for the
cases the sync changed alone).

When a kept brief is used, for ``today``:

* it was made for the same ``today``: a brief's ages, urgency and due counts are a day's.
  Issue 15 item 1 asks for each to be kept "until the date at which it changes"; but
  every urgency term but safety and risk moves with the date (days overdue, idle, a wait's
  or a signal's age), and of 3,000 open cases of the largest 1.3M office only 37% had the
  same brief the next day, so a day's validity would spare a third of the first view's
  work, not the wait. ``casecli db warm`` (a nightly job, after the sync) pays the day's
  first evaluation ahead instead (README: "The nightly run");
* the store is the same (its first sync's start and its schema), and so are casecli's
  code, the playbooks and the urgency settings (the *stamp*; any change drops them all);
* no sync since its worker's row was made touched its case (``sync_cases``: the cases
  each sync changed, '*' for all), and no local write since names its case (``audit_log``; a local
  write that names no case, a goal, drops them all).

Marks are read *before* the cases are, so a write landing in between leaves a brief
older than its data, which only costs a re-evaluation, never a stale answer. A connection
inside a transaction of its own keeps nothing (what it sees may be rolled back).

The same file keeps measure counts (:mod:`casecli.core.measures.kept_counts`) for
``score``, ``focus``, the digests and the views' key measures, and what units and offices
show (:mod:`casecli.core.local.kept_places`: whole office views, each place's waits).

What none of this sees: another program editing a row of the store in place, bypassing
casecli (a new row it does see). The store's promise is that only ``sync`` and casecli's
audited writes change it.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from casecli.core.engine.actions import Action, Part
from casecli.core.engine.barriers import Barrier
from casecli.core.engine.engine import CaseView, Milestone
from casecli.core.engine.urgency import Term
from casecli.core.local import nextcache
from casecli.core.store.store import on_team

VERSION = 8  # of the layout (4: columns, a digest; 5: next action; 6: a row per day;
# 7: a row per worker, holding their cases' briefs; 8: a line per brief in that row)
FILE = "evals.db"
TABLE = f"kept_v{VERSION}"  # a new layout, a new table
# A brief's values after its case_id, in the order ``row_of`` gives them: what every
# view reads of each case (its worker, unit, type, status, situation, urgency and share of
# the figures, the words of its next action: a caseload's line) as plain values; what
# fewer read (its waits: ``bars``; its most urgent action and milestone: ``body``) and
# what only the ranked lists read (the other actions: ``rest``) as JSON text, read when
# first asked.
COLUMNS = (
    "worker_id", "unit_id", "case_type", "status", "situation", "urgency",
    "due_now", "overdue", "waiting", "effort", "stuck", "monthly", "next_action", "bars",
    "body", "rest",
)  # fmt: skip
# A kept row is one worker's open cases, for one variant, stamp and day: ``briefs`` a JSON
# array of each case's values but the other actions (case_id first), ``rest`` a JSON array
# of their other actions' texts in the same order. Reading 60,000 briefs as a row each
# took 0.8 s (a lookup and 19 values a case, and a digest of each); as 700 workers' rows,
# 0.35 s, most of it making the briefs.
HEAD = ("worker_id", "variant", "stamp", "made_on", "marks", "digest")
BODY = ("briefs", "rest")
CASE_FIELDS = ("case_id", "worker_id", "unit_id", "case_type", "status")
Figures6 = tuple[int, int, int, float, int, float]  # load.case_figures' parts


class Brief:
    """What the views over many cases read of one open case's evaluation. Duck-types the
    parts of ``CaseView`` they use (``case``, ``case_id``, ``situation``, ``urgency``,
    ``barriers``, ``milestone``, ``actions``, ``steps`` (none: the figures are worked
    out)). ``actions`` is the most urgent one alone unless the rest was read too
    (``briefs(full=True)``: the ranked lists of ``next`` and ``caseload``).

    ``bars`` is the barriers, or a kept row's JSON text of them; ``body`` (the most urgent
    action as kept, the milestone as kept) or its JSON text; ``rest`` the other actions as
    kept, their JSON text, or None (not read). Text is read when first asked: most views
    never ask for most cases. A kept row's text is read only when its digest matched
    (``_unbundle``), so it reads."""

    def __init__(
        self, case: dict[str, Any], situation: str, urgency: float, figures: Figures6,
        next_action: str | None, bars: list[Barrier] | str,
        body: tuple[list[Any], list[Any] | None] | str,
        rest: list[Any] | str | None = None,
    ) -> None:  # fmt: skip
        self.case = case  # case_id, worker_id, unit_id, case_type, status
        self.situation = situation
        self.urgency = urgency
        self.figures = figures
        self.next_action = next_action  # the most urgent action's words (None: no action)
        if bars == "[]":  # most cases wait on nothing: no text to read when asked
            bars = []
        if not isinstance(bars, str):
            self.__dict__["barriers"] = bars  # what ``barriers`` would make
        self._bars = bars
        self._body = body
        self._rest = rest

    @functools.cached_property
    def barriers(self) -> list[Barrier]:
        if not isinstance(self._bars, str):
            return self._bars
        if self._bars == "[]":  # most cases wait on nothing
            return []
        return [
            Barrier(i, k, w, date.fromisoformat(s), int(age), st, sv, _undate(e), status)
            for i, k, w, s, age, st, sv, e, status in json.loads(self._bars)
        ]

    @functools.cached_property
    def _parts(self) -> tuple[list[Any], list[Any] | None]:
        if not isinstance(self._body, str):
            return self._body
        top, mile = json.loads(self._body)
        return top, mile

    @property
    def top(self) -> list[Any]:
        """The most urgent action, if any, as kept (``actions`` reads it)."""
        return self._parts[0]

    @property
    def mile(self) -> list[Any] | None:
        """The next milestone as kept: what, on, days left."""
        return self._parts[1]

    @functools.cached_property
    def rest(self) -> list[Any] | None:
        """The other actions as kept; None: not read."""
        return json.loads(self._rest) if isinstance(self._rest, str) else self._rest

    @functools.cached_property
    def actions(self) -> list[Action]:
        """The most urgent action (and the rest when read), made when first asked."""
        return [
            Action(
                cid, text_, kind, step, _undate(due), urg, _unterms(terms), person,
                tuple(Part(p, _undate(d), u, _unterms(t)) for p, d, u, t in people),
                _undate(sched),
            )
            for cid, text_, kind, step, due, urg, terms, person, people, sched
            in [*self.top, *(self.rest or [])]
        ]  # fmt: skip

    @property
    def milestone(self) -> Milestone | None:
        if self.mile is None:
            return None
        what, on, days_left = self.mile
        return Milestone(str(what), date.fromisoformat(on), int(days_left))

    @property
    def case_id(self) -> str:
        return str(self.case["case_id"])

    @property
    def steps(self) -> list[Any]:
        return []

    def _key(self) -> tuple[Any, ...]:
        return (self.case, self.situation, self.urgency, self.figures, self.next_action,
                self.barriers, self.top, self.mile, self.rest)  # fmt: skip

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Brief) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Brief({self.case_id}, {self.situation!r}, {self.urgency})"


def brief_of(view: CaseView, figures: Figures6) -> Brief:
    return Brief(
        {k: view.case.get(k) for k in CASE_FIELDS},
        view.situation,
        view.urgency,
        figures,
        view.next_action,
        list(view.barriers),
        (
            [_action_raw(x) for x in view.actions[:1]],
            [m.what, m.on.isoformat(), m.days_left] if (m := view.milestone) else None,
        ),
        [_action_raw(x) for x in view.actions[1:]],
    )


_BULK = threading.Lock()
_bulk_depth = 0  # views inside bulk() now, in any thread
_bulk_was = True  # whether the collector ran when the first of them began


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Pause Python's cycle collector while a view makes tens of thousands of objects (the
    briefs of a large office, their figures, its board): none of them form cycles, yet each
    collection walks every one made so far. A 60,000-case office view took 2.2 s with it
    running, 1.6 s paused. What is left over is collected as usual once it runs again.
    Also a decorator. The collector is process-wide: views in several threads (the TUI's)
    pause it together, and the last to end starts it again if it ran before the first."""
    global _bulk_depth, _bulk_was
    with _BULK:
        if _bulk_depth == 0:
            _bulk_was = gc.isenabled()
            gc.disable()
        _bulk_depth += 1
    try:
        yield
    finally:
        with _BULK:
            _bulk_depth -= 1
            if _bulk_depth == 0 and _bulk_was:
                gc.enable()


# The row --------------------------------------------------------------------------------


def _day(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _undate(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def _terms(terms: Iterable[Term]) -> list[list[Any]]:
    return [[t.term, t.points, t.why] for t in terms]


def _unterms(raw: list[list[Any]]) -> tuple[Term, ...]:
    return tuple(Term(t, p, w) for t, p, w in raw)  # as kept: 0 stays 0, 0.0 stays 0.0


def _action_raw(x: Action) -> list[Any]:
    return [
        x.case_id, x.action, x.kind, x.step, _day(x.due_on), x.urgency, _terms(x.terms),
        x.person_id,
        [[p.person_id, _day(p.due_on), p.urgency, _terms(p.terms)] for p in x.people],
        _day(x.scheduled_on),
    ]  # fmt: skip


def row_of(b: Brief) -> tuple[Any, ...]:
    """A brief as a kept row's values (``COLUMNS``' order), its case id first."""
    if isinstance(b._bars, str):
        bars = b._bars
    else:
        bars = _json([
            [x.id, x.kind, x.what, _day(x.since), x.age_days, x.step, x.service,
             _day(x.expect_on), x.status]
            for x in b._bars
        ])  # fmt: skip
    body = b._body if isinstance(b._body, str) else _json(list(b._body))
    rest = b._rest if isinstance(b._rest, str) else _json(b._rest or [])
    c = b.case
    return (
        c["case_id"], c["worker_id"], c["unit_id"], c["case_type"], c["status"], b.situation,
        b.urgency, *b.figures, b.next_action, bars, body, rest,
    )  # fmt: skip


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def from_row(row: tuple[Any, ...] | list[Any]) -> Brief:
    """A brief from ``row_of``'s values (``rest`` None: not read)."""
    (
        case_id,
        worker,
        unit,
        case_type,
        status,
        situation,
        urgency,
        *fig,
        next_action,
        bars,
        body,
        rest,
    ) = row
    if not isinstance(situation, str) or not isinstance(urgency, int | float) or len(fig) != 6:
        raise ValueError("a kept brief that does not read")
    case = {"case_id": case_id, "worker_id": worker, "unit_id": unit,
            "case_type": case_type, "status": status}  # fmt: skip
    if next_action is not None and not isinstance(next_action, str):
        raise ValueError("a kept brief that does not read")
    if not isinstance(bars, str | list) or not isinstance(body, str | tuple):
        raise ValueError("a kept brief that does not read")
    if rest is not None and not isinstance(rest, str | list):
        raise ValueError("a kept brief that does not read")
    return Brief(case, situation, urgency, tuple(fig), next_action, bars, body, rest)


def _oldest(today: date) -> str:
    """The first day whose kept rows stay when rows for ``today`` are kept: yesterday (by
    the clock, or before ``today`` if that is earlier), so a warm for tomorrow and the
    views of today keep each other's."""
    return (min(today, date.today()) - timedelta(days=1)).isoformat()


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# Between the briefs of a kept row, and between their other actions: JSON text never holds
# a raw newline, so each brief's text is found again by splitting, and a row written again
# keeps the texts of the briefs still true as they are (re-making them took 0.25 s for an
# office of 60,000 after a sync that touched a case of nearly every worker).
SEP = ",\n"


def texts_of(row: tuple[Any, ...] | list[Any]) -> tuple[str, str]:
    """A brief's ``row_of`` values as the texts a kept row holds: its values but the other
    actions, and the other actions' text (as a JSON string)."""
    return _json(list(row[:-1])), _json(row[-1])


def bundle_of(parts: list[tuple[str, str]]) -> tuple[str, str, str]:
    """A worker's kept row's ``briefs`` and ``rest`` texts from each of their cases'
    :func:`texts_of`, and the row's digest."""
    briefs_text = "[" + SEP.join(b for b, _ in parts) + "]"
    rest_text = "[" + SEP.join(r for _, r in parts) + "]"
    return briefs_text, rest_text, _digest(briefs_text) + _digest(rest_text)


def _split(text: str, count: int) -> list[str] | None:
    """Each brief's text of a kept row's ``briefs`` or ``rest`` (``bundle_of``), if there
    are ``count``."""
    parts = text[1:-1].split(SEP) if count else []
    return parts if len(parts) == count and text[:1] == "[" and text[-1:] == "]" else None


def _rests(text: Any, digest: str, count: int) -> list[Any] | None:
    """A kept row's other actions' texts (``rest``), if they read as written and are
    ``count``, one per brief."""
    try:
        if not isinstance(text, str) or digest[16:] != _digest(text):
            return None
        rests = json.loads(text)
        return rests if isinstance(rests, list) and len(rests) == count else None
    except (TypeError, ValueError, UnicodeError):
        return None


def _unbundle(text: Any, rest: Any, digest: Any, full: bool) -> list[list[Any]] | None:
    """A kept row's briefs as ``row_of`` values (the other actions' text last: None when
    not read, ``full`` False), if it reads as it was written: the digest of its texts. A
    row damaged or edited since (whatever a cell holds) is evaluated again, so what a
    brief reads when first asked (its waits, its actions) is text casecli wrote from what
    it had: it reads, and a view never meets one that does not."""
    try:
        if not isinstance(digest, str) or not isinstance(text, str) or digest[:16] != _digest(text):
            return None
        rows = json.loads(text)
        if not isinstance(rows, list) or not all(
            isinstance(r, list) and r and isinstance(r[0], str) for r in rows
        ):
            return None
        if full:
            rests = _rests(rest, digest, len(rows))
            if rests is None:
                return None
            for r, x in zip(rows, rests, strict=True):
                r.append(x)
        else:
            for r in rows:
                r.append(None)
        return rows
    except (TypeError, AttributeError, ValueError, UnicodeError):
        return None


# The file -----------------------------------------------------------------------------


def store_path(conn: sqlite3.Connection) -> Path | None:
    """The store's file (None for an in-memory or temporary database, and for a team
    store, which has none: what is read there is kept at :func:`place`)."""
    if on_team(conn):
        return None
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return Path(file) if file else None
    return None


def place(conn: Any) -> Path | None:
    """Where what is read on ``conn`` is kept, as a store's path (its folder is
    ``nextcache.folder`` of it): a personal store's own file (:func:`store_path`); for a
    team store, ``nextcache.team_place``."""
    return nextcache.team_place(conn) if on_team(conn) else store_path(conn)


def stamp(conn: sqlite3.Connection, books: object, coef: object, redact: bool) -> str:
    """Everything a brief depends on besides its case's rows and ``today``."""
    first, schema = conn.execute(
        "SELECT (SELECT sync_id || '@' || started_at FROM sync_log ORDER BY sync_id LIMIT 1),"
        " (SELECT user_version FROM pragma_user_version)"
    ).fetchone()
    code = "|".join(nextcache._files_signature(d, (".py", ".toml")) for d in nextcache._CODE_DIRS)
    settings = repr(sorted(books.items())) if isinstance(books, dict) else repr(books)
    urgency = repr(sorted(coef.items())) if isinstance(coef, dict) else repr(coef)
    parts: tuple[Any, ...] = (VERSION, first, schema, int(redact), code, settings, urgency)
    if on_team(conn):
        parts += (nextcache.identity(conn),)
    return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()


# The local tables whose rows name a case, and their id column: a row written there
# since a brief was made (audited or not: another program may write the store) makes it
# stale, as does an audited change to an older row (a barrier resolved).
LOCAL = (("recorded_events", "id"), ("barriers", "barrier_id"), ("goal_progress", "id"),
         ("notes", "id"))  # fmt: skip
MARKS = ("sync_cases", "audit_log", *(t for t, _ in LOCAL))


def marks(conn: sqlite3.Connection) -> tuple[int, ...]:
    """The latest sync, audit entry and local row of each LOCAL table: what a brief made
    now has seen (in MARKS' order).

    On a team store the audit log is each login's own, and ids from a sequence follow the
    order writes began, not the order they committed: the second mark there is the latest
    change the session sees in ``casecli_changes`` (written by a trigger on every
    local write, in commit order: security.sql), and the local tables' marks are 0 (the
    changes cover them: a resolve, which adds no row, included)."""
    if on_team(conn):  # (what the TUI watches there: the same two)
        from casecli.core.store import team

        return (*team.written(conn), *(0 for _ in LOCAL))
    parts = [
        "(SELECT max(sync_id) FROM sync_log)",
        "(SELECT max(id) FROM audit_log)",
        *(f"(SELECT max({c}) FROM {t})" for t, c in LOCAL),
    ]
    row = conn.execute(f"SELECT {', '.join(parts)}").fetchone()
    return tuple(int(v or 0) for v in row)


def marks_now(conn: sqlite3.Connection) -> tuple[tuple[int, ...], str]:
    """:func:`marks` and, as kept beside what is made now, their text with their lineage."""
    now = marks(conn)
    return now, json.dumps([*now, lineage(conn, now)])


def lineage(conn: sqlite3.Connection, seen: tuple[int, ...]) -> str:
    """When the sync and the audit entry ``seen`` names were made, as this store has them:
    a store restored from a backup, then written again, reuses the ids with other times."""
    log = "casecli_changes WHERE seq" if on_team(conn) else "audit_log WHERE id"
    row = conn.execute(
        f"SELECT (SELECT started_at FROM sync_log WHERE sync_id = ?), (SELECT at FROM {log} = ?)",
        (seen[0], seen[1]),
    ).fetchone()
    return f"{row[0]}|{row[1]}"


def _still_true(conn: sqlite3.Connection, seen: tuple[Any, ...], now: tuple[int, ...]) -> bool:
    """Whether marks kept with a brief (ints in MARKS' order, then their lineage) belong to
    this store's history: none beyond what it has now (a restored store is behind them),
    and the same sync and audit entry at those ids."""
    if len(seen) != len(MARKS) + 1 or not all(type(m) is int and m >= 0 for m in seen[:-1]):
        return False  # (an id SQLite cannot hold, a bool: a cell not as casecli wrote it)
    ints = tuple(seen[:-1])
    if not all(m <= n for m, n in zip(ints, now, strict=True)):
        return False
    try:
        return lineage(conn, ints) == seen[-1]
    except OverflowError:
        return False


def _open_for(conn: sqlite3.Connection) -> sqlite3.Connection | None:
    """The kept file beside ``conn``'s store; None for a store with no file, or for a
    connection inside a transaction of its own (it sees writes that may yet be rolled
    back, and their ids reused: nothing it reads is kept)."""
    path = place(conn)
    if path is None or conn.in_transaction:
        return None
    return _open(nextcache.folder(path))


def kept_today(
    conn: sqlite3.Connection, today: date, books: Any, coef: Any, redact: bool
) -> set[str]:
    """The cases whose brief is kept for ``today`` under the current stamp (``casecli db
    warm`` checks that what it evaluated was kept, not lost to a busy or full file)."""
    side = _open_for(conn)
    if side is None:
        return set()
    try:
        out: set[str] = set()
        for (text,) in side.execute(
            f"SELECT briefs FROM {TABLE} WHERE stamp = ? AND made_on = ?",
            (stamp(conn, books, coef, redact), today.isoformat()),
        ):
            with contextlib.suppress(ValueError, TypeError, IndexError):
                out.update(str(r[0]) for r in json.loads(text))
        return out
    except sqlite3.Error:
        return set()
    finally:
        side.close()


def open_kept(path: Path | None) -> sqlite3.Connection | None:
    """The kept file beside the store at ``path`` when there is one; None (and nothing
    made: no folder beside an initial sync's new file) when there is not."""
    if path is None or not (nextcache.folder(path) / FILE).exists():
        return None
    return _open(nextcache.folder(path))


def kept_rows(conn: sqlite3.Connection, since: date) -> list[tuple[str, str, str, str]]:
    """(worker, variant, stamp, day) of every worker's row kept for ``since`` or a later
    day; nothing when no file is kept beside the store (none is made)."""
    return _listed(conn, f"SELECT worker_id, variant, stamp, made_on FROM {TABLE}", since)  # type: ignore[return-value]


def _listed(conn: sqlite3.Connection, select: str, since: date) -> list[tuple[str, ...]]:
    """``select``'s rows made for ``since`` or later, as text, from the kept file beside
    ``conn``'s store (none: nothing, and no file made; a table not there: nothing)."""
    side = None if conn.in_transaction else open_kept(place(conn))
    if side is None:
        return []
    try:
        rows = side.execute(f"{select} WHERE made_on >= ?", (since.isoformat(),))
        return [tuple(map(str, row)) for row in rows]
    except sqlite3.Error:
        return []
    finally:
        side.close()


def can_keep(conn: sqlite3.Connection) -> bool:
    """Whether anything read on ``conn`` can be kept (the folder beside its store can be
    written): ``casecli db warm`` refuses to run for nothing."""
    side = _open_for(conn)
    if side is None:
        return False
    side.close()
    return True


def _open(folder: Path) -> sqlite3.Connection | None:
    """The kept file, made 0600 in a 0700 folder; None when it cannot be (read-only). A
    file that is not a database (damaged, truncated) is removed and made anew: it is a
    cache, and left as it is nothing would ever be kept again."""
    side = _open_once(folder)
    if side is None and _damaged(folder / FILE):
        for name in (FILE, f"{FILE}-wal", f"{FILE}-shm"):
            with contextlib.suppress(OSError):
                (folder / name).unlink()
        side = _open_once(folder)
    return side


def _damaged(path: Path) -> bool:
    try:
        probe = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            probe.execute("PRAGMA schema_version").fetchone()
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        return "not a database" in str(exc) or "malformed" in str(exc)
    except sqlite3.Error:
        return False
    return False


def _open_once(folder: Path) -> sqlite3.Connection | None:
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / FILE
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        side = sqlite3.connect(path, timeout=5, isolation_level=None)
        side.execute("PRAGMA journal_mode = WAL")
        side.execute("PRAGMA synchronous = NORMAL")
        for old in range(1, VERSION):  # earlier layouts
            side.execute(f"DROP TABLE IF EXISTS kept_v{old}")
        for gone in ("counts_v1", "counts_v2"):  # kept_counts.COUNTS's earlier layouts
            side.execute(f"DROP TABLE IF EXISTS {gone}")
        have = [r[1] for r in side.execute(f"PRAGMA table_info({TABLE})")]
        if have and have != list(HEAD + BODY):  # another layout under this name (a
            side.execute(f"DROP TABLE {TABLE}")  # branch's): it would keep nothing, ever
        side.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            + ", ".join(f"{c} TEXT NOT NULL" for c in HEAD)
            + ", briefs TEXT, rest TEXT, PRIMARY KEY (worker_id, variant, stamp, made_on))"
            " WITHOUT ROWID"
        )
        return side
    except (OSError, sqlite3.Error):
        return None


def _changed_since(
    conn: sqlite3.Connection, low: tuple[int, ...], tables: bool = False
) -> list[dict[str, int]]:
    """Per mark (MARKS' order), the cases written after ``low`` and the latest id that
    wrote each; the key '*' holds the latest that touched every case.

    On a team store (whose local tables' marks are 0: :func:`marks`) the changes in commit
    order stand for the audit log; with ``tables``, each local table's are those of its
    writes too (a change noted before their table was, revision 5, is each table's), as
    ids no kept mark of a local table can be compared with (they are 0): for a caller
    that asks which tables were written, not whether a kept mark is behind."""
    queries = [
        "SELECT case_id, max(sync_id) FROM sync_cases WHERE sync_id > ? GROUP BY case_id",
        "SELECT CASE WHEN json_valid(detail) THEN coalesce(json_extract(detail, '$.case_id'),"
        " '*') ELSE '*' END, max(id) FROM audit_log WHERE id > ? GROUP BY 1",
        *(f"SELECT case_id, max({c}) FROM {t} WHERE {c} > ? GROUP BY case_id" for t, c in LOCAL),
    ]
    if on_team(conn):
        del queries[1:]
    out: list[dict[str, int]] = []
    for sql, mark in zip(queries, low[: len(queries)], strict=True):
        found: dict[str, int] = {}
        for case_id, last in conn.execute(sql, (mark,)):
            if last is not None:
                found["*" if case_id is None else str(case_id)] = int(last)
        out.append(found)
    if on_team(conn):
        out += [{} for _ in MARKS[1:]]
        names = [t for t, _ in LOCAL]
        for case_id, source, last in conn.execute(
            "SELECT case_id, source, max(seq) FROM casecli_changes WHERE seq > ? GROUP BY 1, 2",
            (low[1],),
        ):
            into = [1]
            if tables and source in names:
                into.append(2 + names.index(source))
            elif tables and source is None:  # (noted by revision 5: of any table)
                into += range(2, len(MARKS))
            for j in into:
                out[j][str(case_id)] = max(out[j].get(str(case_id), 0), int(last))
    return out


def written_since(
    conn: sqlite3.Connection, text: str, now: tuple[int, ...], tables: bool = False
) -> list[dict[str, int]] | None:
    """What local writes changed since the marks ``text`` (:func:`marks_now`'s text, kept
    with something), as :func:`_changed_since` gives it; None when what was kept cannot be
    brought forward to ``now`` (the marks as they are now) by those writes alone: marks not
    as casecli wrote them, not this store's history (a store restored from a backup), or
    a sync since (it may move a case into or out of a place, close it, change anything)."""
    try:
        seen = tuple(json.loads(text))
    except (ValueError, TypeError):
        return None
    if not _still_true(conn, seen, now) or seen[0] != now[0]:
        return None
    return _changed_since(conn, tuple(seen[:-1]), tables)


def briefs(
    conn: sqlite3.Connection,
    cases: list[tuple[str, str]],
    *,
    today: date,
    books: dict[str, Any],
    coef: dict[str, float],
    redact: bool,
    evaluate: Callable[[list[str]], list[Brief]],
    variants: dict[str, str] | None = None,
    full: bool = False,
    read: bool = True,
    changes: dict[tuple[Any, ...], list[dict[str, int]]] | None = None,
) -> list[Brief]:
    """The briefs of ``cases`` ((case id, worker id), open and assigned) for ``today``, in
    their order: kept ones still true, the rest made by ``evaluate`` (given the ids to
    evaluate) and kept for the next view. Best effort: with no cache folder (an in-memory
    store, a read-only folder) every case is evaluated.

    ``variants``: per worker, what else their cases' evaluations were given (``variant``:
    the goals the worker is behind on, whether the user is the worker); a worker's row
    kept for another variant is not used (default ""). ``full``: read every action, not
    only the most urgent. ``read`` False: only bring what is kept up to date, and return
    nothing (after a sync: the briefs kept still true are checked, not held, and only the
    cases changed since a worker's row, kept and otherwise true, are evaluated). ``changes``:
    where the cases changed since some marks are noted for the next call, as the store is
    now (a sync's calls, one per group of workers, read them once)."""
    variants = variants or {}
    ids = [c for c, _ in cases]
    side = _open_for(conn)
    if side is None:
        return evaluate(ids)
    wanted: dict[str, set[str]] = {}
    for case_id, worker in cases:
        wanted.setdefault(worker, set()).add(case_id)
    try:
        current = stamp(conn, books, coef, redact)
        now, now_text = marks_now(conn)  # before the cases are read
        side.execute(
            "CREATE TEMP TABLE want (worker_id TEXT PRIMARY KEY, variant TEXT) WITHOUT ROWID"
        )
        side.executemany(
            "INSERT INTO temp.want VALUES (?, ?)", [(w, variants.get(w, "")) for w in wanted]
        )
        parsed: dict[str, tuple[int, ...] | None] = {}  # marks' text, read once (most share it)
        rows: list[tuple[str, tuple[int, ...], str, list[list[Any]], str, Any]] = []
        for worker, text_marks, digest, text, rest in side.execute(
            "SELECT k.worker_id, k.marks, k.digest, k.briefs, k.rest"
            f" FROM temp.want w JOIN {TABLE} k ON k.worker_id = w.worker_id"
            " AND k.variant = w.variant WHERE k.stamp = ? AND k.made_on = ?",
            (current, today.isoformat()),
        ):
            if text_marks not in parsed:
                try:
                    kept_marks = tuple(json.loads(text_marks))
                except (ValueError, TypeError):  # damaged: never matches, re-evaluated
                    kept_marks = ()
                parsed[text_marks] = (
                    tuple(kept_marks[:-1]) if _still_true(conn, kept_marks, now) else None
                )
            seen = parsed[text_marks]
            found = None if seen is None else _unbundle(text, rest, digest, full)
            if seen is not None and found is not None:  # (rest: its text, read when full)
                rows.append((str(worker), seen, digest, found, text, rest))
        low = tuple(min((r[1][i] for r in rows), default=now[i]) for i in range(len(MARKS)))
        if changes is not None and (low, now) in changes:
            changed = changes[(low, now)]
        else:
            changed = _changed_since(conn, low)
            if changes is not None:  # (the last alone: most groups share their marks)
                changes.clear()
                changes[(low, now)] = changed
        stale: dict[tuple[int, ...], set[str] | None] = {}  # per marks: the cases changed since
        for seen in {r[1] for r in rows}:
            since: set[str] | None = set()
            for found_, mark in zip(changed, seen, strict=True):
                if found_.get("*", 0) > mark:
                    since = None  # every case
                    break
                since.update(c for c, last in found_.items() if last > mark)  # type: ignore[union-attr]
            stale[seen] = since
        good: dict[str, Brief | None] = {}  # (None: read, not held)
        still: dict[str, Still] = {}  # per worker: their row as read, and its briefs still true
        for worker, seen, digest, found, text, rest in rows:
            since = stale[seen]
            if since is None:
                continue
            mine = wanted[worker]
            true = [i for i, r in enumerate(found) if r[0] not in since and r[1] == worker]
            still[worker] = Still(digest, found, true, text, rest)
            for i in true:
                if found[i][0] in mine:
                    with contextlib.suppress(ValueError, TypeError, KeyError):
                        brief = from_row(found[i])
                        good[found[i][0]] = brief if read else None
        missing = [c for c in ids if c not in good]
        if not read:  # after a sync: the changed cases of rows still true, no more (a row
            # true of nothing, after a goal set, say, is left to its view, which may never come)
            moved = set().union(*(s for s in stale.values() if s is not None))
            missing = [c for c, w in cases if c not in good and c in moved and w in still]
    except sqlite3.Error:  # the kept file, not the store: evaluate as if nothing were kept
        side.close()
        return evaluate(ids)
    try:
        fresh = evaluate(missing) if missing else []
        _keep(side, current, today, now_text, fresh, variants, still)
    finally:
        side.close()
    if not read:
        return []
    made = {b.case_id: b for b in fresh}
    return [good[c] or made[c] if c in good else made[c] for c in ids if c in good or c in made]


class Still(NamedTuple):
    """A worker's kept row as a view read it: its digest, its briefs (``row_of`` values),
    the positions of those still true, its ``briefs`` text and its ``rest`` cell (checked
    against the digest only when used)."""

    digest: str
    read: list[list[Any]]
    true: list[int]
    text: str
    rest: Any


def _keep(
    side: sqlite3.Connection, current: str, today: date, seen: str, fresh: list[Brief],
    variants: dict[str, str], still: dict[str, Still],
) -> None:  # fmt: skip
    """Keep the row of each worker with ``fresh`` briefs: those with what was still true
    of their kept row (``still``; their texts as they were), as of the marks ``seen``
    (all of them were true then: the fresh were made after, the others had no change
    since their row's marks). Another view writing the same worker's row meanwhile: the
    last one written stays, each true as of its own marks."""
    if not fresh:
        return
    made: dict[str, dict[str, tuple[str, str]]] = {}
    for b in fresh:
        made.setdefault(str(b.case["worker_id"]), {})[b.case_id] = texts_of(row_of(b))
    day = today.isoformat()
    try:
        side.execute("BEGIN IMMEDIATE")
        side.execute(
            f"DELETE FROM {TABLE} WHERE made_on < ?", (_oldest(today),)
        )  # not another day's or setting's: a warm for tomorrow, --redact's, stay
        out = []
        for worker, new in made.items():
            variant = variants.get(worker, "")
            row = still.get(worker, Still("", [], [], "[]", None))
            old = [i for i in row.true if row.read[i][0] not in new]
            parts = {cid: texts for cid, texts in new.items()}
            if old:  # the texts of the briefs still true, as the row held them
                if not isinstance(row.rest, str) or row.digest[16:] != _digest(row.rest):
                    continue  # damaged: this worker's cases are evaluated next time
                texts = _split(row.text, len(row.read))
                rests = _split(row.rest, len(row.read))
                if texts is None or rests is None:
                    continue
                for i in old:
                    parts[row.read[i][0]] = (texts[i], rests[i])
            briefs_text, rest_text, digest = bundle_of([parts[c] for c in sorted(parts)])
            out.append((worker, variant, current, day, seen, digest, briefs_text, rest_text))
        side.executemany(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", out)
        side.execute("COMMIT")
    except sqlite3.Error:
        with contextlib.suppress(sqlite3.Error):
            side.execute("ROLLBACK")
