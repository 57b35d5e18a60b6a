"""The first screen's data, worked out in another process while this one starts Textual.

``casecli tui`` opens on a supervisor's unit or a manager's office. Reading that view (a
large office's kept briefs, its units' figures) and starting Textual (importing it, building
the screen) are both CPU work; in one process they take turns on one core, in two they run
side by side on two: :func:`start` launches a fresh Python (``python -c``, as the kept
evaluations' second process: no fork of a threaded process) that builds the same
:class:`tui.data.Session` and answers the view pickled on stdout, and the screen's first
load takes that answer (:meth:`Pending.get`) instead of reading the store again.

Best effort: when the process cannot start, fails, or answers what does not read, the
screen reads the store itself, as it always did. No Textual here.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any

# What the first screen of each role reads (tui.app.CasecliApp.get_default_screen).
FIRST = {"supervisor": "unit", "manager": "office"}


def store_stamp(db: Path | str) -> tuple[int, ...]:
    """Changes when any process writes the store (a sync, a record): file mtimes."""
    out = []
    for suffix in ("", "-wal"):
        try:
            out.append(os.stat(f"{db}{suffix}").st_mtime_ns)
        except OSError:
            out.append(0)
    return tuple(out)


class Cancelled(Exception):
    """The app closed before the first screen's view came: nobody waits for it."""


class Pending:
    """A view being worked out in another process: ``key`` says which (the Session
    method, its argument, the redact setting); :meth:`get` waits for it. ``stamp``: the
    store's (:func:`store_stamp`) before that process started, so a write landing while it
    reads is seen as a change by the app, which then reads again."""

    def __init__(
        self, key: tuple[str, str, bool], child: subprocess.Popen[bytes], payload: bytes,
        stamp: tuple[int, ...],
    ) -> None:  # fmt: skip
        self.key = key
        self.stamp = stamp
        self.cancelled = False
        self._child = child
        self._out: dict[str, bytes] = {}
        self._talk = threading.Thread(target=self._read, args=(payload,), daemon=True)
        self._talk.start()

    def _read(self, payload: bytes) -> None:
        try:
            self._out["out"] = self._child.communicate(payload)[0]
        except Exception:  # noqa: BLE001  (a broken pipe: the screen reads the store)
            self._child.kill()

    def get(self) -> Any | None:
        """The view, or None when the other process did not give one; :class:`Cancelled`
        when the app closed meanwhile (the screen does not go on to read the store)."""
        self._talk.join()
        if self.cancelled:
            raise Cancelled
        if self._child.returncode != 0 or "out" not in self._out:
            return None
        try:
            return pickle.loads(self._out["out"])
        except Exception:  # noqa: BLE001  (whatever it answered: read the store)
            return None

    def cancel(self) -> None:
        """Stop the other process (the app is closing, or the view is not wanted)."""
        self.cancelled = True
        if self._child.poll() is None:
            self._child.kill()


def start(
    db: Path, user: str, today: date, redact: bool, playbooks: Path | None, role: str,
    scope_id: str | None,
) -> Pending | None:  # fmt: skip
    """Start working out the first screen's view of ``user`` (a supervisor's unit, a
    manager's office); None for any other first screen or when no process starts."""
    method = FIRST.get(role)
    if method is None or not scope_id:
        return None
    from casecli.core.unit import _child_env

    args = (str(db), user, today, redact, None if playbooks is None else str(playbooks))
    stamp = store_stamp(db)  # before the other process reads anything
    try:
        child = subprocess.Popen(
            # -P: not the current folder's modules (another checkout's tui/), casecli's
            [sys.executable, "-P", "-c", "from tui.prefetch import child; child()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=_child_env(),
        )  # fmt: skip
    except OSError:
        return None
    payload = pickle.dumps((args, method, scope_id))
    return Pending((method, scope_id, redact), child, payload, stamp)


def child() -> None:
    """In the other process: read (session arguments, method, argument) on stdin, write
    the view pickled on stdout."""
    from tui.data import Session

    (db, user, today, redact, playbooks), method, scope_id = pickle.load(sys.stdin.buffer)
    session = Session(Path(db), user, today, redact, None if playbooks is None else Path(playbooks))
    view = getattr(session, method)(scope_id)
    sys.stdout.buffer.write(pickle.dumps(view, protocol=pickle.HIGHEST_PROTOCOL))


def for_actor(
    db: Path, who: Any, today: date, redact: bool, playbooks: Path | None
) -> Pending | None:
    """:func:`start` for the screen ``who`` (a ``scope.Actor``) opens on."""
    first = who.office_id if who.role == "manager" else who.unit_id
    return start(db, who.staff_id, today, redact, playbooks, who.role, first)
