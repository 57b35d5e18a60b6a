"""Work handed to another Python process, so that it runs on the machine's other core.

Used where one process would make two pieces of CPU work take turns: the first evaluation
of a large office (``unit._briefs_apart``: half the cases evaluated there) and the TUI's
first screen (``tui.prefetch``: read while this process starts Textual).

The other process is a fresh interpreter, ``python -P -c CODE``: not a fork (unsafe in a
process that runs threads, the TUI's) and not multiprocessing's spawn (which runs the
parent's main script again, and fails for a script read from stdin). ``-P`` keeps the
current folder off its module path (another checkout's ``casecli/`` or ``tui/`` there
is never imported); its module path is this process's, so it runs the same casecli. It
reads its input pickled on stdin (:func:`given`) and writes its answer pickled on stdout
(:func:`answer`). Nothing crosses but what this process gave and what its own code made.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import subprocess
import sys
import threading
from typing import Any


class Apart:
    """``code`` running in another process, given ``value``; :meth:`result` waits for its
    answer. Raises what pickling ``value`` raises, or OSError when no process starts.

    ``group``: the process leads a group of its own, and :meth:`stop` stops the group,
    so the processes it started itself stop with it (the TUI's first screen, whose
    evaluation may hand half its cases to one more process). Without it the process stays
    in this one's group, so a Ctrl-C in the terminal reaches it too (the CLI's)."""

    def __init__(self, code: str, value: Any, *, group: bool = False) -> None:
        payload = pickle.dumps(value)  # before a process starts: none left behind
        self._group = group and hasattr(os, "killpg")
        self._child = subprocess.Popen(
            [sys.executable, "-P", "-c", code],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
            start_new_session=self._group,
        )  # fmt: skip
        self._out: dict[str, bytes] = {}
        self._talk = threading.Thread(target=self._read, args=(payload,), daemon=True)
        self._talk.start()

    def _read(self, payload: bytes) -> None:
        """Give the process its input and keep its output (in a thread of this one)."""
        try:
            self._out["out"] = self._child.communicate(payload)[0]
        except Exception:  # noqa: BLE001  (a broken pipe: result() says it failed)
            self._kill()

    def result(self) -> Any:
        """The process's answer; ValueError when it failed, was stopped, or answered
        what does not read."""
        self._talk.join()
        if self._child.returncode != 0 or "out" not in self._out:
            raise ValueError("the other process failed")
        try:
            return pickle.loads(self._out["out"])
        except Exception as exc:  # noqa: BLE001  (whatever it wrote)
            raise ValueError("the other process answered what does not read") from exc

    def stop(self) -> None:
        if self._child.poll() is None:
            self._kill()

    def _kill(self) -> None:
        if self._group:  # and what it started: they are in its group
            with contextlib.suppress(OSError):
                os.killpg(self._child.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self._child.kill()


def given() -> Any:
    """In the other process: what it was given."""
    return pickle.load(sys.stdin.buffer)


def answer(value: Any) -> None:
    """In the other process: its answer."""
    sys.stdout.buffer.write(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
