"""Each user's ranked actions for today, kept beside the store, so ``casecli next`` can
answer with one file read instead of loading and evaluating the caseload.

DESIGN.md wants ``casecli next`` within 1.3x of ``python -c "import typer, rich.table"``.
Evaluating a caseload needs the engine, the playbooks and their TOML (~35 ms of imports
and work on top of the libraries' start-up); reading what an earlier run worked out
needs none of it.

What is kept, and when it is used (the choice, since issue 6 left it open):

* Where: a folder beside the store, ``STORE-cache/`` (``cases.db`` -> ``cases.db-cache/``),
  made 0700 with 0600 files, like the store. One JSON file per user, ``--redact``
  setting and day, written whole and renamed into place, so a reader never sees half a
  file. A day's file beside the next's lets a nightly ``casecli db warm --today`` for
  tomorrow and the evening's ``casecli next`` for today keep each other's; files from
  before yesterday are removed when a new one is written. The
  store itself is never written by a read: a read-only store, a store on a share, a
  ``sample.db`` under version control stay as they are. Deleting the folder is always
  safe; the next run rebuilds what it needs. If the folder cannot be written the command
  works as before, just without the shortcut.
* When it is current: the file carries a *stamp* and is used only when the stamp is
  exactly today's. The stamp names everything the ranked actions depend on: the date
  (so it is refreshed when ``today`` moves), the latest sync and the latest local write
  (every local write is audited, so recording a visit, a barrier, a goal…), the store's
  schema, the user's urgency overrides and playbook folder (file names, sizes and times),
  and casecli's own code (the engine's and the default playbooks' files), so an upgrade
  or an edit never shows a stale list.
* Who fills it: every command that evaluates a user's caseload for today (``next``,
  ``caseload``, ``waiting``), and a worker's own local writes (``record``, ``wait``,
  ``resolve``, ``progress``) and syncs, so the ``next`` after recording a visit, or after
  the nightly sync of a worker's laptop store, is already current. A sync does not work out
  everyone's: precomputing 1.3 million cases would cost minutes per sync, while one user's
  caseload costs tens of milliseconds once a day.

The data read and written is the same JSON ``casecli next --json`` prints: the actions,
most urgent first, with their terms; for a supervisor's or a manager's list, only its head
(``cut``: the most urgent few hundred, what ``next -n`` asks for; more is worked out
whole) and whether the whole list names anyone but the user (``spans``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import stat
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

VERSION = 3  # of the file's layout

_CODE = Path(__file__).resolve().parents[1]  # casecli/core
# The code an evaluation depends on: casecli/core, each of its subpackages, the playbooks.
_CODE_DIRS = (
    _CODE,
    *sorted(d for d in _CODE.iterdir() if (d / "__init__.py").is_file()),
    _CODE.parent / "playbooks",
)


class Why(NamedTuple):
    term: str
    points: float
    why: str


class CachedAction(NamedTuple):
    """An action as ``casecli next`` shows it (the attributes the renderer reads)."""

    case_id: str
    action: str
    kind: str
    step: str | None
    due_on: date | None
    urgency: float
    terms: tuple[Why, ...]
    stuck: bool = False
    worker_id: str | None = None  # whose case (None: nobody's)
    worker: str | None = None  # their name as shown (initials with --redact)
    worker_active: bool | None = None


def folder(db: Path) -> Path:
    return db.with_name(db.name + "-cache")


def cache_root() -> Path:
    """The person's own cache folder for casecli: ``$XDG_CACHE_HOME/casecli``, else
    ``~/.cache/casecli``."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "casecli"


def team_place(conn: Any) -> Path | None:
    """For a team store: ``cache_root()/team-DIGEST``, the digest of the server, its
    database and the session's login, so that each person keeps their own, of their own
    scope, on their own machine (made 0700, its files 0600, as beside a personal store).
    Who the login is (staff member, role, unit, office, the casecli roles it holds) is in
    the stamp, so a change of any of them keeps nothing read before it. None (nothing
    kept, each command evaluating as it reads) for a store without the changes its kept
    evaluations are checked against (``casecli_changes``: casecli db migrate adds it), or
    a cache folder that cannot be made, or that is not the user's alone (another user who
    may write ``casecli/`` or the login's folder in it, say under a shared
    ``XDG_CACHE_HOME``, or a folder above them, could read what is kept or put there what
    a view would show)."""
    known = getattr(conn, "_kept_place", False)
    if known is None or isinstance(known, Path):
        return known
    found: Path | None = None
    try:
        login, database, there = conn.execute(
            "SELECT session_user, current_database(), to_regclass('casecli_changes') IS NOT NULL"
        ).fetchone()
        if there:
            info = conn.raw.info
            key = "\n".join(map(str, (info.host, info.port, database, login)))
            root = cache_root()
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            found = root / f"team-{hashlib.sha256(key.encode()).hexdigest()[:24]}"
            mine = all(_only_mine(d) for d in (root, folder(found)) if d.exists())
            if not mine or not _held_above(root):
                found = None
    except (OSError, AttributeError):
        found = None
    with contextlib.suppress(AttributeError):
        conn._kept_place = found
    return found


def forget_team(conn: Any) -> None:
    """Remove what this login keeps on this machine of a team store (:func:`team_place`'s
    folder): for a login that is no active staff member's any more, so that its copy of
    what its scope showed does not stay on the disk. Best effort (nothing kept, or a
    folder that is not the user's alone: left as it is)."""
    import shutil

    place = team_place(conn)
    if place is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(folder(place))


def _held_above(path: Path) -> bool:
    """Whether no one but this user and root may move ``path`` away and put their own in its
    place: every folder above it, as written and where its links lead, is theirs and
    writable by no one else (its group's write is the user's own in a user private group:
    :func:`_private_group`), unless its sticky bit keeps others from renaming what is not
    theirs (``/tmp``). (A cache home such as a shared ``/srv/cache`` mode 0777 fails.)"""
    uid = os.getuid()
    for chain in (path, path.resolve()):
        for above in chain.parents:
            st = above.stat()
            if st.st_uid not in (0, uid):
                return False
            others = st.st_mode & 0o002 or (st.st_mode & 0o020 and not _private_group(st.st_gid))
            if others and not st.st_mode & stat.S_ISVTX:
                return False
    return True


def _private_group(gid: int) -> bool:
    """Whether the group ``gid`` is the user's alone: their primary group, named as they are
    and listing no other member (a user private group, as Fedora and Debian make for each
    user; with the umask 002 some of them set, ``~/.cache`` is made 0775)."""
    import grp
    import pwd

    try:
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(gid)
    except KeyError:
        return False
    return gid == os.getgid() and group.gr_name == user and set(group.gr_mem) <= {user}


def _only_mine(path: Path) -> bool:
    """Whether ``path`` is a folder of this user's that no one else may write."""
    st = path.lstat()
    return (
        path.is_dir()
        and not path.is_symlink()
        and st.st_uid == os.getuid()
        and not (st.st_mode & 0o022)
    )


def _prefix(user: str, redact: bool) -> str:
    # Staff ids come from the export: hex keeps any of them a safe file name.
    return f"next-{user.encode('utf-8').hex()}-{int(redact)}"


def _day(current: str) -> str:
    """The day a stamp is for (its second line, :func:`stamp`), as a file name part."""
    lines = current.split("\n", 2)
    day = lines[1] if len(lines) > 1 else ""
    try:
        return date.fromisoformat(day).isoformat() if len(day) == 10 else "any"
    except ValueError:
        return "any"


def _file(db: Path, user: str, redact: bool, current: str) -> Path:
    return folder(db) / f"{_prefix(user, redact)}-{_day(current)}.json"


def _prune(db: Path, user: str, redact: bool, current: str) -> None:
    """Remove the user's files for days before yesterday (by the clock, or before the
    day just kept if that is earlier, as the kept evaluations are), and a file of the
    layout before days were kept."""
    day = _day(current)
    newest = date.today() if day == "any" else min(date.today(), date.fromisoformat(day))
    oldest = (newest - timedelta(days=1)).isoformat()
    prefix = _prefix(user, redact)
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder(db)):
            name = entry.name
            if name == f"{prefix}.json" or (
                name.startswith(prefix + "-") and name.endswith(".json")
                and name[len(prefix) + 1 : -5] < oldest
            ):  # fmt: skip
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def kept_since(db: Path, since: date) -> list[tuple[str, bool, str]]:
    """(user, redact, stamp) of every user's ranked actions kept beside the store at
    ``db`` for ``since`` or a later day (a file that does not read: left out)."""
    out = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder(db)):
            parts = entry.name.removesuffix(".json").split("-")
            if not entry.name.endswith(".json") or len(parts) != 6 or parts[0] != "next":
                continue  # next-HEX-R-YYYY-MM-DD.json
            if "-".join(parts[3:]) < since.isoformat() or parts[2] not in ("0", "1"):
                continue
            try:
                with open(entry.path, encoding="utf-8") as f:
                    kept = json.load(f)
                user = bytes.fromhex(parts[1]).decode("utf-8")
            except (OSError, ValueError):
                continue
            if isinstance(kept, dict) and isinstance(kept.get("stamp"), str):
                out.append((user, parts[2] == "1", kept["stamp"]))
    return sorted(out)


def same_but_writes(kept: str, current: str) -> bool:
    """Whether two stamps differ at most in the latest sync and audit entry they saw: the
    same day, settings and code (the actions of a user who keeps the default settings,
    made before writes that the current stamp has seen)."""
    a, b = kept.split("\n"), current.split("\n")
    return len(a) == len(b) and a[:3] + a[5:] == b[:3] + b[5:]


def _files_signature(directory: Path | None, suffixes: tuple[str, ...]) -> str:
    if directory is None:
        return "-"
    try:
        entries = sorted(
            (e.name, e.stat().st_size, e.stat().st_mtime_ns)
            for e in os.scandir(directory)
            if e.name.endswith(suffixes)
        )
    except OSError:
        return f"{directory}:unreadable"
    return f"{directory}:{entries}"


def stamp(
    conn: sqlite3.Connection,
    *,
    today: date,
    redact: bool,
    urgency: object,
    playbooks: Path | None,
) -> str:
    """Everything a user's ranked actions depend on besides their own cases' rows.

    ``urgency`` is the config's urgency table as written (its validation happens when the
    actions are worked out); ``playbooks`` the user's playbook folder, if any. Read this
    *before* reading the cases: a write landing in between then leaves a stamp older than
    the data, which only costs a recomputation, never a stale answer.
    """
    team = getattr(conn, "dialect", None) == "postgresql"  # (store.on_team, not imported)
    # (on a team store the audit log is each login's own: the latest change the session
    # sees, in commit order, and who it is: casecli.core.local.kept.marks, identity below)
    log = (
        "seq || '@' || at FROM casecli_changes ORDER BY seq"
        if team
        else ("id || '@' || at FROM audit_log ORDER BY id")
    )
    row = conn.execute(
        "SELECT (SELECT sync_id || '@' || started_at FROM sync_log ORDER BY sync_id DESC LIMIT 1),"
        f" (SELECT {log} DESC LIMIT 1),"
        " (SELECT user_version FROM pragma_user_version)"
    ).fetchone()
    if team:
        row = (*row, identity(conn))
    code = "|".join(_files_signature(d, (".py", ".toml")) for d in _CODE_DIRS)
    user_books = _files_signature(playbooks, (".toml",))
    urgency_sig = repr(sorted(urgency.items())) if isinstance(urgency, Mapping) else repr(urgency)
    return "\n".join(
        str(part)
        for part in (VERSION, today.isoformat(), int(redact), *row, urgency_sig, user_books, code)
    )


def identity(conn: Any) -> str:
    """On a team store, who the session is, as far as what it may see goes: its login,
    the staff member it maps to (id, role, unit, office) and the casecli roles it holds.
    Part of every stamp of what is kept there. Empty on a personal store (``--as`` is in
    what each kept thing is keyed by)."""
    if getattr(conn, "dialect", None) != "postgresql":  # (store.on_team)
        return ""
    row = conn.execute(
        "SELECT session_user, (SELECT string_agg(concat_ws('|', staff_id, role, unit_id,"
        " office_id), ',') FROM casecli_me()), (SELECT string_agg(rolname, ','"
        " ORDER BY rolname) FROM pg_roles WHERE rolname IN ('casecli_worker',"
        " 'casecli_supervisor', 'casecli_manager', 'casecli_admin')"
        " AND pg_has_role(session_user, oid, 'MEMBER'))"
    ).fetchone()
    return "|".join(str(v) for v in row)


def read(
    db: Path, user: str, redact: bool, current: str, want: int | None = None
) -> list[dict[str, Any]] | None:
    """The user's ranked actions (``next --json``'s objects) if kept under ``current``
    and ``want`` of them (None: all) are there."""
    found = load(db, user, redact, current, want)
    return None if found is None else found[0]


def load(
    db: Path, user: str, redact: bool, current: str, want: int | None = None
) -> tuple[list[dict[str, Any]], bool | None] | None:
    """:func:`read`'s actions, and whether the whole list names anyone but the user (None:
    not kept; tell from the actions). A list kept cut (a supervisor's or a manager's head
    of the list) serves ``want`` up to its cut, not more, and not "all"."""
    try:
        with open(_file(db, user, redact, current), encoding="utf-8") as f:
            kept = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("stamp") != current:
        return None
    actions, cut, spans = kept.get("actions"), kept.get("cut"), kept.get("spans")
    if not isinstance(actions, list):
        return None
    if isinstance(cut, int) and (want is None or want > cut):
        return None
    return actions, spans if isinstance(spans, bool) else None


def write(
    db: Path, user: str, redact: bool, current: str, actions: list[dict[str, Any]],
    *, cut: int | None = None, spans: bool | None = None,
) -> bool:  # fmt: skip
    """Keep ``actions`` for ``user`` under ``current`` (``cut``: the list is its head, good
    for ``next -n`` up to that many; ``spans``: whether the whole list names anyone but
    the user). Best effort: False when the folder cannot be written (a read-only folder, a
    full disk); the caller carries on."""
    path = _file(db, user, redact, current)
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            # dumps, not dump: dump writes through the pure-Python encoder (10x slower for
            # a manager's tens of thousands of actions)
            kept = {"stamp": current, "actions": actions, "cut": cut, "spans": spans}
            f.write(json.dumps(kept, separators=(",", ":")))
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        return False
    _prune(db, user, redact, current)
    return True


def actions(kept: list[dict[str, Any]]) -> list[CachedAction]:
    """The kept JSON objects as actions the renderer can show."""
    return [
        CachedAction(
            a["case_id"],
            a["action"],
            a["kind"],
            a["step"],
            date.fromisoformat(a["due_on"]) if a["due_on"] else None,
            a["urgency"],
            tuple(Why(t["term"], t["points"], t["why"]) for t in a["terms"]),
            bool(a.get("stuck")),
            a.get("worker_id"),
            a.get("worker"),
            a.get("worker_active"),
        )
        for a in kept
    ]
