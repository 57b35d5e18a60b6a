"""One writer of a store's structure at a time: a sync, a migration.

SQLite's own locks cover one transaction in one file. They cannot cover the first sync
into an empty store (built in a new file and renamed over the store) nor a migration
(a backup, then several transactions), and two of those at once trample each other. So
a sync and a migration first take an exclusive ``flock`` on a small file beside the
store, ``STORE-lock`` (e.g. ``cases.db-lock``), created 0600 and never deleted: deleting
a lock file while another process waits on it would let a third one in. The lock is
released when the holder's process ends, however it ends (kill -9 included).

The lock is reentrant within one thread: a sync holds it and then opens the store, which
may migrate it under the same lock (``store.upgrade``). A second ``flock`` on a new
descriptor of the same file would wait for the first one, in the same process, forever.

The lock file is not the store: holding it never blocks a reader, a local write
(``record``), or SQLite's own locking. The file descriptor is kept only in this module,
never on the store file itself (closing any descriptor of a SQLite database drops the
POSIX locks SQLite holds on it).
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from casecli.core.errors import CasecliError

POLL_SECONDS = 0.05

_held: dict[tuple[int, int, int], int] = {}  # (device, inode of the lock file, thread) -> depth


def lock_path(store: Path) -> Path:
    return Path(f"{store}-lock")


@contextmanager
def exclusive(store: Path, timeout_ms: int, busy: str) -> Iterator[None]:
    """Hold the store's writer lock; wait up to ``timeout_ms``, then raise ``busy``
    (one sentence saying what else is running and what to do)."""
    path = lock_path(Path(store))
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise _cannot(path, exc) from None
    st = os.fstat(fd)
    key = (st.st_dev, st.st_ino, threading.get_ident())
    if key in _held:  # this thread holds it already
        os.close(fd)
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    try:
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CasecliError(busy) from None
                time.sleep(POLL_SECONDS)
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
    finally:
        os.close(fd)  # releases the flock


def _cannot(path: Path, exc: OSError) -> CasecliError:
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return CasecliError(
            f"The folder {path.parent} is read-only, so nothing was applied; "
            "run casecli where the store can be written, or fix the folder's permissions."
        )
    if exc.errno == errno.ENOSPC:
        return CasecliError("The disk is full, so nothing was applied; free some space and retry.")
    return CasecliError(f"Cannot lock the store ({exc.strerror}), so nothing was applied.")
