"""Work handed to another Python process, so that it runs on the machine's other core.

Used where one process would make two pieces of CPU work take turns: the first evaluation
of a large office (``briefs._briefs_apart``: half the cases evaluated there) and the TUI's
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

    The process stays in this one's process group (a Ctrl-C, or the hang-up of a closed
    terminal, reaches it too) and, on Linux, is killed when the thread that started it
    ends (:func:`die_with_parent`): so stopping the TUI's first-screen process also stops
    the process it handed half an office to, which would otherwise run on alone."""

    def __init__(self, code: str, value: Any) -> None:
        payload = pickle.dumps(value)  # before a process starts: none left behind
        self._child = subprocess.Popen(
            [sys.executable, "-P", "-c", f"{_BOOT}\n{code}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
                "CASECLI_APART_PARENT": str(os.getpid()),
            },
        )  # fmt: skip
        self._out: dict[str, bytes] = {}
        self._talk = threading.Thread(target=self._read, args=(payload,), daemon=True)
        self._talk.start()

    def _read(self, payload: bytes) -> None:
        """Give the process its input and keep its output (in a thread of this one)."""
        try:
            self._out["out"] = self._child.communicate(payload)[0]
        except Exception:  # noqa: BLE001  (a broken pipe: result() says it failed)
            self._child.kill()

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
            self._child.kill()


_BOOT = "from casecli.core.apart import die_with_parent; die_with_parent()"


def die_with_parent() -> None:
    """In the other process, first: ask Linux to kill it when the thread that started it
    ends (``PR_SET_PDEATHSIG``), and end now if that parent is already gone. Elsewhere, or
    if the call fails, nothing: the process ends when it finds its pipe closed."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if str(os.getppid()) != os.environ.get("CASECLI_APART_PARENT", str(os.getppid())):
        os._exit(1)  # the parent ended before the request was made


def given() -> Any:
    """In the other process: what it was given."""
    return pickle.load(sys.stdin.buffer)


def answer(value: Any) -> None:
    """In the other process: its answer."""
    sys.stdout.buffer.write(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
