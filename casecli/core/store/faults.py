"""Why a store could not be opened, read or written, as one sentence with what to do.

What can go wrong, and what users are told (:func:`explain`, one sentence each): the disk is full (SQLITE_FULL, or an I/O error while SQLite makes its ``-shm`` file on a
disk with no room), the store or its folder or its disk is read-only (SQLITE_READONLY,
SQLITE_READONLY_DIRECTORY: SQLite cannot create ``STORE-wal`` / ``STORE-shm`` beside it;
SQLITE_CANTOPEN on a read-only file system), another kind of I/O error (what to check),
the store is damaged (SQLITE_CORRUPT, SQLITE_NOTADB on a file that was a store: restore
a backup), the file is not a SQLite database at all (check --db), the store is locked.
A read that meets a damaged page later is translated the same way, in one place (the
CLI's command wrapper, ``casecli/cli/options.py``).

Imported only when something went wrong, or by a write's check (``storecheck``): never
on the path of a read that succeeds.
"""

from __future__ import annotations

import os
from pathlib import Path

from casecli.core.errors import CasecliError

# SQLite's primary result codes (the low byte of an extended code).
BUSY, LOCKED, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB = 5, 6, 8, 10, 11, 13, 14, 26
READONLY_DBMOVED, READONLY_DIRECTORY = 1032, 1544
_BY_TEXT = (  # when an error carries no code (raised by hand, an old Python)
    ("malformed", CORRUPT), ("not a database", NOTADB), ("locked", BUSY), ("busy", BUSY),
    ("full", FULL), ("readonly", READONLY), ("read-only", READONLY), ("disk I/O", IOERR),
    ("unable to open", CANTOPEN),
)  # fmt: skip
MAGIC = b"SQLite format 3\x00"
LOW_SPACE = 1 << 20  # a disk with less free room than this is full, for SQLite's purposes


def error_code(exc: BaseException) -> tuple[int, int]:
    """SQLite's (primary, extended) result code of ``exc``; (0, 0) if it has none."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF, code
    text = str(exc)
    for words, primary in _BY_TEXT:
        if words in text:
            return primary, primary
    return 0, 0


def is_damage(exc: BaseException) -> bool:
    """Whether SQLite found the file damaged (or not a database at all)."""
    return error_code(exc)[0] in (CORRUPT, NOTADB)


def _backups(path: Path) -> list[Path]:
    try:
        return sorted(path.parent.glob(f"{path.stem}.backup-*.db"), key=lambda p: p.stat().st_mtime)
    except OSError:
        return []


def damaged(path: Path | None, reported: str, *, then: str = "") -> CasecliError:
    """The store is damaged: say what SQLite reported and how to get a good store back.
    ``then`` is what it meant for the command (", so nothing was applied")."""
    where = f"The store {path}" if path else "The store"
    found = _backups(Path(path)) if path else []
    if found:
        restore = f"copy the newest beside it, {found[-1].name}, over it"
    else:
        stem = Path(path).stem if path else "STORE"
        restore = (
            f"one made by casecli db backup, or a {stem}.backup-*.db a migration left beside it"
        )
    reported = reported.strip().rstrip(".") or "no details"
    return CasecliError(
        f"{where} is damaged (SQLite reports: {reported}){then}; restore it from a backup "
        f"({restore}), then sync the latest export again."
    )


def disk_state(path: Path) -> str | None:
    """Why the folder or file of ``path`` cannot be written, if it is plain to see:
    "read-only disk", "full", "read-only folder", "read-only file"; else None."""
    folder = path.absolute().parent
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    if st.f_flag & os.ST_RDONLY:
        return "read-only disk"
    free = (st.f_bfree if os.geteuid() == 0 else st.f_bavail) * st.f_frsize
    if free < LOW_SPACE:
        return "full"
    if not os.access(folder, os.W_OK):
        return "read-only folder"
    if path.exists() and not os.access(path, os.W_OK):
        return "read-only file"
    return None


def explain(
    exc: BaseException, path: Path | None, *, writing: bool = False, again: str = "try again"
) -> CasecliError | None:
    """``exc`` from SQLite as one sentence that says what is wrong with the store, its
    folder or its disk, and what to do; None when it is not about the store (a bug)."""
    primary, extended = error_code(exc)
    if not primary:
        return None
    path = Path(path) if path is not None else None
    what = f"the store {path}" if path else "the store"
    so = ", so nothing was applied" if writing else ", so casecli cannot read it"
    text = str(exc)
    if primary in (CORRUPT, NOTADB):
        if path is not None and primary == NOTADB and not _was_a_store(path):
            return CasecliError(
                f"{path} is not a casecli store (it is not a SQLite database); check the --db path."
            )
        return damaged(path, text, then=", so nothing was applied" if writing else "")
    if primary in (BUSY, LOCKED):
        return CasecliError(
            "The store is locked by another sync or writer, so nothing was applied; "
            "try again when it finishes."
            if writing
            else "The store is locked by another casecli that is changing it; "
            "try again when it finishes."
        )
    if primary not in (FULL, READONLY, CANTOPEN, IOERR):
        return None  # not about the store's file, folder or disk: a bug, said as one
    state = disk_state(path) if path is not None else None
    if primary == FULL or state == "full":
        return CasecliError(
            f"The disk is full{so}; free some space and {again}."
            if writing or path is None
            else f"The disk is full, so casecli cannot open the store {path}; free some space "
            f"and {again}."
        )
    subject = f"The store {path}" if path else "The store"
    name = path.name if path else "STORE"
    if state == "read-only disk":
        return CasecliError(
            f"{subject} is on a read-only disk, so nothing was applied; copy it to a disk that "
            "can be written to change it."
            if writing
            else f"{subject} is on a read-only disk, so casecli cannot open it there; copy it "
            f"(with any {name}-wal beside it) to a writable folder."
        )
    if extended == READONLY_DIRECTORY or state == "read-only folder":
        folder = path.absolute().parent if path else "of the store"
        return CasecliError(
            f"The folder {folder} is read-only, so nothing was applied (SQLite must create "
            f"{name}-wal and {name}-shm beside the store); run casecli where that folder can "
            "be written, or fix its permissions."
            if writing
            else f"The folder {folder} is read-only for you, so casecli cannot open the store "
            f"there (SQLite must create {name}-shm beside it); copy the store to a folder you "
            "can write, or ask for write access to this one."
        )
    if extended == READONLY_DBMOVED:
        return CasecliError(
            f"{subject} was moved or deleted while casecli had it open{so}; "
            "check the --db path and try again."
        )
    if primary == READONLY:
        return CasecliError(
            f"The store is read-only{so}; check the permissions of the file and its folder."
        )
    if primary == CANTOPEN:
        return CasecliError(
            f"SQLite cannot open {what} ({text}){so}; check that you can read and write "
            "the file and its folder."
        )
    code = getattr(exc, "sqlite_errorname", "") or text
    return CasecliError(
        f"A disk I/O error ({code}) stopped casecli while it used {what}{so}; check that "
        "the disk has room and no errors, and that the folder is still there (a network "
        f"share still connected), then {again}."
    )


def _was_a_store(path: Path) -> bool:
    """``path`` does not read as a SQLite database: was it one (damaged), or never one?
    A file that starts as a SQLite file, or that casecli has used (its lock file or kept
    actions beside it), was a store."""
    try:
        with open(path, "rb") as f:
            if f.read(len(MAGIC)) == MAGIC:
                return True
    except OSError:
        return False
    return Path(f"{path}-lock").exists() or Path(f"{path}-cache").exists()


def report_lines(rows: list[tuple[object, ...]]) -> list[str]:
    """What an integrity or quick check reported, one problem a line ([] for "ok")."""
    out = []
    for row in rows:
        for line in str(row[0]).splitlines():
            if line.strip() and line != "ok" and not line.startswith("*** in database"):
                out.append(line.strip())
    return out
