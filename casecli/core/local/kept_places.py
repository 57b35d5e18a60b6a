"""Whole views kept beside the store, in the file of :mod:`casecli.core.local.kept`: an
office's view read back whole while nothing has changed and brought forward over local
writes (:class:`KeptView`), and what an office's cases wait on, kept per case so that a
write names the only cases read again (:class:`KeptWaits`). Both are best effort, as the
briefs are: with no cache folder, or one another user could write, nothing is kept or
read.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from casecli.core.engine.barriers import Barrier
from casecli.core.local.kept import (
    MARKS,
    _listed,
    _oldest,
    _open_for,
    bulk,
    marks_now,
    stamp,
    written_since,
)

RECORDED = MARKS.index("recorded_events")
VIEWS = "views_v1"  # whole views (an office's), kept while nothing at all changes
WAITS = "waits_v1"  # an office's or a unit's waits, per case
# More cases written since a value was kept than this (for an office's view, more cases
# to read again: the units holding them): it is made again whole (an office's 60,000
# cases' waits are read in about the time of 5,000 cases' by their ids)
PATCH_MOST = 5_000
Waits = dict[str, list[Barrier]]


def kept_views(conn: sqlite3.Connection, since: date) -> list[tuple[str, str, str, str]]:
    """(what, stamp, day, marks) of every whole view (:class:`KeptView`) kept for ``since``
    or a later day; nothing when no file is kept beside the store (none is made)."""
    return _listed(conn, f"SELECT what, stamp, made_on, marks FROM {VIEWS}", since)  # type: ignore[return-value]


class _Unpickler(pickle.Unpickler):
    """Makes only the classes a unit or office view holds, each named exactly: plain
    records (dataclasses and named tuples) whose making runs no code of theirs. Anything
    else, a dotted name included (``module`` + ``os.system`` reaches any attribute), is
    refused: the kept view is not read (a file casecli did not write)."""

    ALLOWED = frozenset({
        ("datetime", "date"),
        ("casecli.core.engine.actions", "Action"), ("casecli.core.engine.actions", "Part"),
        ("casecli.core.engine.barriers", "Barrier"),
        ("casecli.core.engine.engine", "CaseView"), ("casecli.core.engine.engine", "Milestone"),
        ("casecli.core.engine.playbooks", "Due"), ("casecli.core.engine.playbooks", "Step"),
        ("casecli.core.engine.steps", "StepState"), ("casecli.core.engine.urgency", "Term"),
        ("casecli.core.views.caseload", "WaitGroup"),
        ("casecli.core.views.load", "Figures"), ("casecli.core.views.load", "WorkerLoad"),
        ("casecli.core.views.staffing", "HeldByInactive"),
        ("casecli.core.views.staffing", "Owners"), ("casecli.core.views.staffing", "Unassigned"),
        ("casecli.core.views.staffing", "Worker"),
        ("casecli.core.views.unit", "OfficeView"), ("casecli.core.views.unit", "SituationGroup"),
        ("casecli.core.views.unit", "UnitView"), ("casecli.core.views.unit_score", "KeyScore"),
    })  # fmt: skip

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a view's")


def _ours(path: Path) -> bool:
    """Whether the kept file and its folder are this user's and no one else may write them
    (0700, 0600 as made): what a view is read back from is then as trusted as the user's
    own files."""
    try:
        for p in (path.parent, path):
            st = p.stat()
            if st.st_uid != os.getuid() or st.st_mode & 0o022:
                return False
    except (OSError, AttributeError):  # no getuid: not POSIX
        return False
    return True


class _Beside:
    """One table of the kept file beside ``conn``'s store (``side`` None: nothing is kept
    or read: no file, a connection in its own transaction, a file that cannot be written,
    or, ``trusted_only``, one another user could write)."""

    def __init__(self, conn: sqlite3.Connection, table: str, trusted_only: bool = False) -> None:
        self.side = _open_for(conn)
        try:
            file = self.side.execute("PRAGMA database_list").fetchone() if self.side else None
            if trusted_only and (file is None or not _ours(Path(file[2]))):
                self.close()
            if self.side is not None:
                self.side.execute(table)
        except (sqlite3.Error, TypeError):
            self.close()

    def _write(self, work: Callable[[sqlite3.Connection], Any]) -> None:
        """``work`` in one write transaction, rolled back when it fails (best effort)."""
        if self.side is None:
            return
        try:
            self.side.execute("BEGIN IMMEDIATE")
            work(self.side)
            self.side.execute("COMMIT")
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                self.side.execute("ROLLBACK")

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


class _Kept(_Beside):
    """One value per place (``what``), day and ``stamp``, kept pickled in ``table`` beside
    the store with the marks it was true of (``marks``, read when this is made: before the
    caller reads anything; ``now``, the same as ints). Read back only from a file no one
    else may write, and only as the plain records :class:`_Unpickler` makes."""

    def __init__(
        self, conn: sqlite3.Connection, table: str, what: str, today: date, stamp: str
    ) -> None:
        self.table, self.what, self.day, self.stamp = table, what, today.isoformat(), stamp
        super().__init__(
            conn,
            f"CREATE TABLE IF NOT EXISTS {table} (what TEXT NOT NULL, made_on TEXT NOT NULL,"
            " stamp TEXT NOT NULL, marks TEXT NOT NULL, value BLOB NOT NULL,"
            " PRIMARY KEY (what, made_on, stamp)) WITHOUT ROWID",
            trusted_only=True,
        )
        self.now, self.marks = marks_now(conn)

    def _row(self) -> tuple[str, Any] | None:
        """The marks and the value kept for this place, day and stamp; None when there is
        none, or it does not read."""
        if self.side is None:
            return None
        try:
            row = self.side.execute(
                f"SELECT marks, value FROM {self.table} WHERE what = ? AND made_on = ?"
                " AND stamp = ?",
                (self.what, self.day, self.stamp),
            ).fetchone()
            if row is None or not isinstance(row[0], str) or not isinstance(row[1], bytes):
                return None
            with bulk():
                return row[0], _Unpickler(io.BytesIO(row[1])).load()
        except Exception:  # noqa: BLE001  (whatever the cell holds: made again)
            return None

    def _written(self, conn: sqlite3.Connection, text: str) -> set[str] | None:
        """The cases local writes named since the marks ``text`` (kept with the value);
        None when the value must be made again whole: a sync since, a write that names
        no case (the audit log's '*'), marks that are not this store's history (a
        restored store), more than :data:`PATCH_MOST` cases written."""
        found = self._changes(conn, text)
        return None if found is None else found[0]

    def _changes(self, conn: sqlite3.Connection, text: str) -> tuple[set[str], bool] | None:
        """:meth:`_written`, and whether any of those writes recorded an event (the only
        local writes a measure counts: ``measures.READS_RECORDED``)."""
        changed = written_since(conn, text, self.now, tables=True)
        if changed is None or any("*" in found for found in changed):
            return None
        out = {case_id for found in changed for case_id in found}
        return (out, bool(changed[RECORDED])) if len(out) <= PATCH_MOST else None

    def _put(self, value: Any) -> None:
        """Keep ``value`` as of :attr:`marks`, in place of what this place, day and stamp
        held (made before a write); rows of days before the oldest kept go."""
        if self.side is None:
            return
        try:
            blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return

        def work(side: sqlite3.Connection) -> None:
            oldest = _oldest(date.fromisoformat(self.day))
            side.execute(f"DELETE FROM {self.table} WHERE made_on < ?", (oldest,))
            side.execute(
                f"INSERT OR REPLACE INTO {self.table} VALUES (?, ?, ?, ?, ?)",
                (self.what, self.day, self.stamp, self.marks, blob),
            )

        self._write(work)


class KeptView(_Kept):
    """One whole view (``what``: which, e.g. an office's, with the redact setting), kept
    beside the store for the views of the same day with what it was made of (its
    ``parts``: per case, which part of the view holds it and what the view shows of it),
    and read back:

    - whole while nothing at all has changed: the same ``today``, store, code and
      settings (the stamp), and the very same latest sync, audit entry and local rows
      (``marks``, read when this is made: before the view reads anything). A large
      office's view reads and adds up tens of thousands of kept briefs (1.7 s for
      60,000); read back whole it takes a few hundredths.
    - brought forward after local writes alone (no sync since: a barrier, a visit, a
      note, goal progress), by the caller's ``patch`` given the cases those writes name
      (:meth:`_Kept._written`, as :class:`KeptWaits`): a team store is written all day,
      and made again whole after each write an office of 60,000 cases took 1.7-2.1 s
      (the TUI's first office screen, 2.1 s against 1.5 s).
    - made again whole otherwise: after a sync, a write naming no case (a goal set), in a
      restored store, more than :data:`PATCH_MOST` cases written.

    Best effort: with no cache folder, or one another user could write, nothing is kept
    or read."""

    def __init__(
        self, conn: sqlite3.Connection, what: str, today: date, books: Any, coef: Any,
        redact: bool,
    ) -> None:  # fmt: skip
        # one kept per setting, each day
        super().__init__(conn, VIEWS, what, today, stamp(conn, books, coef, redact))

    def get(self) -> tuple[str, Any, dict[str, Any]] | None:
        """The marks, the view and its parts kept for this place, day and stamp."""
        found = self._row()
        if found is None or not isinstance(found[1], tuple) or len(found[1]) != 2:
            return None
        view, parts = found[1]
        return (found[0], view, parts) if isinstance(parts, dict) else None

    def put(self, view: Any, parts: dict[str, Any]) -> None:
        self._put((view, parts))

    def through(
        self,
        conn: sqlite3.Connection,
        make: Callable[[], tuple[Any, dict[str, Any]]],
        patch: Callable[[Any, dict[str, Any], set[str], bool], tuple[Any, dict[str, Any]] | None],
        valid: Callable[[Any], bool],
    ) -> Any:
        """The kept view when it is one ``valid`` accepts and nothing changed since; else
        ``patch(view, parts, cases written since, whether an event was recorded)``'s when
        local writes alone changed the store and it answers (None: it cannot), else
        ``make()``'s; kept, and the file is closed."""
        try:
            found = self.get()
            if found is not None and valid(found[1]):
                marks, view, parts = found
                if marks == self.marks:
                    return view
                changes = self._changes(conn, marks)
                made = patch(view, parts, *changes) if changes is not None else None
                if made is not None:
                    self.put(*made)
                    return made[0]
            view, parts = make()
            self.put(view, parts)
            return view
        finally:
            self.close()


class KeptWaits(_Kept):
    """What the open assigned cases of a unit or an office wait on (``bottlenecks``),
    kept per case for the views of the same day (``what``: which place).

    Read back whole while nothing has changed since (the marks, as :class:`KeptView`'s).
    After local writes alone (no sync since: a barrier recorded or resolved, a visit,
    goal progress), only the cases those writes name are read again and put in place of
    what was kept for them (:func:`kept._changed_since`: on a team store the changes every
    login's writes note, seen under the login's policies): a team store is written all
    day, and a whole view made again after each write read the office whole each time
    (3.9 s at 60,000 cases). A local write cannot move a case into or out of the place, or
    close it (only a sync writes ``cases`` and ``staff``), so a case the writes do not name
    waits on what it waited on. Read whole again: after a sync, a write that names no
    case (the audit log's '*'), marks that are not this store's history (a restored
    store), more than :data:`PATCH_MOST` cases written, anything kept that is not as
    written here. Waits depend on the store and the day alone (``today`` is in the key:
    a wait's age is a day's), not on playbooks, urgency settings or --redact."""

    def __init__(self, conn: sqlite3.Connection, what: str, today: date) -> None:
        super().__init__(conn, WAITS, what, today, stamp(conn, None, None, False))

    def waits(self, conn: sqlite3.Connection, read: Callable[[list[str] | None], Waits]) -> Waits:
        """Per case, what it waits on (cases waiting on nothing left out): as kept, with
        the cases written since read again (``read(ids)``: those of ``ids`` in the place
        and open), or all read (``read(None)``), and kept; then the file is closed."""
        try:
            found = self._get()
            if found is not None:
                seen, waits = found
                if seen == self.marks:
                    return waits
                written = self._written(conn, seen)
                if written is not None:
                    fresh = read(sorted(written)) if written else {}
                    for case_id in written:
                        waits.pop(case_id, None)
                    waits.update(fresh)
                    self._put(waits)
                    return waits
            waits = read(None)
            self._put(waits)
            return waits
        finally:
            self.close()

    def _get(self) -> tuple[str, Waits] | None:
        found = self._row()
        if found is None:
            return None
        marks, waits = found
        ok = isinstance(waits, dict) and all(
            isinstance(c, str) and isinstance(bs, list) and all(isinstance(b, Barrier) for b in bs)
            for c, bs in waits.items()
        )
        return (marks, waits) if ok else None
