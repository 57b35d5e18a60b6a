"""Shared helpers for the benchmark scripts (standard library only).

Paths, the export tables read from the schema itself, and ``measure``: run one
command as a child process and report its wall time, CPU time and peak memory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
DATA = BENCH / "data"
OUT = BENCH / "out"
MIGRATIONS = REPO / "migrations"
TODAY = "2026-11-24"  # the demo's anchor date: same seed + same date = same bytes
BOOKKEEPING = ("_gone_on", "_sync_id", "_line")


def export_dir(cases: int, office_cases: int | None = None) -> Path:
    """``export-N``, or ``export-N-office-M`` with office O01 holding M open cases."""
    return DATA / (f"export-{cases}" + ("" if office_cases is None else f"-office-{office_cases}"))


def tool(name: str) -> list[str]:
    """The console script installed next to this interpreter (not a pyenv shim)."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which(name)
    if not found:
        sys.exit(f"{name} is not installed; pip install it first.")
    return [found]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]  # the contract's columns, without the bookkeeping ones
    pk: tuple[str, ...]

    @property
    def file(self) -> str:
        return f"{self.name}.csv"


def schema_sql() -> str:
    """The store's schema: every migration in order, as a new store gets them."""
    paths = sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    return "\n".join(p.read_text(encoding="utf-8") for p in paths)


def export_tables() -> list[Table]:
    """The export tables of the schema (those with a ``_sync_id`` column), in schema order."""
    conn = sqlite3.connect(":memory:")
    conn.executescript(schema_sql())
    tables = []
    names = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid"
    ).fetchall()
    for (name,) in names:
        info = conn.execute(f'PRAGMA table_info("{name}")').fetchall()
        cols = [row[1] for row in info]
        if "_sync_id" not in cols:
            continue
        pk = tuple(row[1] for row in sorted(info, key=lambda r: r[5]) if row[5])
        tables.append(Table(name, tuple(c for c in cols if c not in BOOKKEEPING), pk))
    conn.close()
    return tables


def read_manifest(folder: Path) -> dict[str, object] | None:
    try:
        return tomllib.loads((folder / "manifest.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None


def fresh(path: Path) -> Path:
    """Remove a SQLite file and its WAL/SHM companions; return the path."""
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        p.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Measured:
    wall_s: float
    cpu_s: float  # user + system of the child
    max_rss_kb: int  # peak resident set size of the child (Linux: kB)
    returncode: int
    stdout: str = ""
    stderr: str = ""

    def public(self) -> dict[str, object]:
        d = asdict(self)
        d.pop("stdout")
        d["stderr"] = self.stderr[-2000:]
        return d


def measure(cmd: list[str], *, env: dict[str, str] | None = None) -> Measured:
    """Run ``cmd``; its own rusage comes from ``os.wait4`` (not the cumulative RUSAGE_CHILDREN)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: tell Popen
        out.seek(0)
        err.seek(0)
        return Measured(
            wall_s=wall,
            cpu_s=usage.ru_utime + usage.ru_stime,
            max_rss_kb=usage.ru_maxrss,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def sources_digest() -> str:
    """A digest of casecli's source and schema, to notice edits made while a benchmark ran."""
    digest = hashlib.sha256()
    for path in sorted([*(REPO / "casecli").rglob("*.py"), *(REPO / "migrations").glob("*.sql")]):
        digest.update(path.relative_to(REPO).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def snapshot_code(into: Path) -> tuple[Path, str]:
    """Copy casecli's package and migrations as they are now into ``into/code-DIGEST``.

    Other people edit casecli/ while benchmarks run; timing a frozen copy (put first on
    PYTHONPATH, ahead of the editable install) keeps every run on the same code.
    """
    digest = sources_digest()
    dest = into / f"code-{digest}"
    if not dest.is_dir():
        partial = into / f"code-{digest}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(REPO / "casecli", partial / "casecli", ignore=ignore)
        shutil.copytree(REPO / "migrations", partial / "migrations", ignore=ignore)
        partial.rename(dest)
    return dest, digest


def git_revision() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "casecli", "migrations"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+uncommitted" if dirty else "")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)
