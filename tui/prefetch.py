"""The first screen's data, worked out in another process while this one starts Textual.

``casecli tui`` opens on a supervisor's unit or a manager's office. Reading that view (a
large office's kept briefs, its units' figures) and starting Textual (importing it, building
the screen) are both CPU work; in one process they take turns on one core, in two they run
side by side on two: :func:`start` hands the work to a fresh Python
(``casecli.core.apart``, as the kept evaluations' second process) that builds the same
:class:`tui.data.Session` and answers the view, and the screen's first load takes that
answer (:meth:`Pending.get`) instead of reading the store again.

On a team store too: what the first screen reads is worked out in Python there as well
(briefs kept on this machine, the office added up). After a colleague's write the gain is
small (the other process's start costs about what the half-second view does: 1.34 against
1.41 s after a barrier, medians, benchmarks/RESULTS.md); with nothing kept, the other
process evaluates in two more and the first office screen of 60,000 cases came in about
40 s rather than 80 s.

Best effort: when the process cannot start, fails, or answers what does not read, the
screen reads the store itself, as it always did. No Textual here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from casecli.core import apart
from casecli.core.apart import Apart
from casecli.core.store.store import write_stamp

# What the first screen of each role reads: the view of its home (scope.home).
FIRST = {"supervisor": "unit", "manager": "office"}


class Cancelled(Exception):
    """The app closed before the first screen's view came: nobody waits for it."""


class Pending:
    """A view being worked out in another process (``casecli.core.apart``): ``key`` says
    which (the Session method, its argument, the redact setting); :meth:`get` waits for
    it. ``stamp``: the store's (``store.write_stamp``) before that process started, so a
    write landing while it reads is seen as a change by the app, which then reads again."""

    def __init__(self, key: tuple[str, str, bool], work: Apart, stamp: tuple[int, ...]) -> None:
        self.key = key
        self.stamp = stamp
        self.cancelled = False
        self._work = work

    def get(self) -> Any | None:
        """The view, or None when the other process did not give one; :class:`Cancelled`
        when the app closed meanwhile (the screen does not go on to read the store)."""
        try:
            view = self._work.result()
        except ValueError:  # it failed: the screen reads the store
            view = None
        if self.cancelled:
            raise Cancelled
        return view

    def cancel(self) -> None:
        """Stop the other process (the app is closing, or the view is not wanted)."""
        self.cancelled = True
        self._work.stop()


def start(
    db: Path | str, user: str, today: date, redact: bool, playbooks: Path | None, role: str,
    scope_id: str | None, stamp: tuple[int, ...] | None = None,
) -> Pending | None:  # fmt: skip
    """Start working out the first screen's view of ``user`` (a supervisor's unit, a
    manager's office); None for any other first screen or when no process starts.

    ``db``: a store's file, or a team store's address (``postgresql://…``: the other
    process connects as the same login, given the address on its stdin, never on its
    command line), for which ``stamp`` is the caller's ``team.written``, read before
    this is called (a personal store's file times are read here)."""
    method = FIRST.get(role)
    if method is None or not scope_id:
        return None
    team = isinstance(db, str)
    if team and stamp is None:
        return None
    where = db if team else str(db)
    args = (where, team, user, today, redact, None if playbooks is None else str(playbooks))
    if stamp is None:
        stamp = write_stamp(Path(db))  # before the other process reads anything
    try:
        work = Apart("from tui.prefetch import child; child()", (args, method, scope_id))
    except OSError:
        return None
    return Pending((method, scope_id, redact), work, stamp)


def child() -> None:
    """In the other process: given (session arguments, method, argument), answer the
    view."""
    from tui.data import Session

    (db, team, user, today, redact, playbooks), method, scope_id = apart.given()
    session = Session(db if team else Path(db), user, today, redact,
                      None if playbooks is None else Path(playbooks))  # fmt: skip
    apart.answer(getattr(session, method)(scope_id))


def for_actor(
    db: Path | str, who: Any, today: date, redact: bool, playbooks: Path | None,
    stamp: tuple[int, ...] | None = None,
) -> Pending | None:  # fmt: skip
    """:func:`start` for the screen ``who`` (a ``scope.Actor``) opens on (its home,
    ``scope.home``)."""
    from casecli.core.store.scope import home

    where = home(who)
    if where is None:
        return None
    return start(db, who.staff_id, today, redact, playbooks, who.role, where[1], stamp)
