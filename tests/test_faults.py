"""A sync killed with SIGKILL at any moment leaves the store exactly as it was."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from casecli.core.store import store
from casecli.core.store.store import EXPORT_TABLES
from casecli.demo.export import write_demo
from tests.conftest import FIXTURES

TODAY = date(2026, 11, 24)


def contents(path: Path) -> str:
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    digest = hashlib.sha256()
    for table in (*EXPORT_TABLES, "rejects", "sync_log", "audit_log"):
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
            digest.update(repr(row).encode())
    conn.close()
    return digest.hexdigest()


def start_sync(db: Path, folder: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env["CASECLI_CONFIG"] = "/nonexistent/c.toml"
    code = "import sys; from casecli.cli.main import run; sys.argv = sys.argv[1:]; run()"
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "casecli",
            "--db",
            str(db),
            "--today",
            "2026-11-24",
            "sync",
            str(folder),
            "--json",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("faults") / "export"
    write_demo(folder, cases=10_000, seed=3, today=TODAY)
    return folder


def full_sync_seconds(db: Path, folder: Path) -> float:
    started = time.monotonic()
    proc = start_sync(db, folder)
    assert proc.wait(timeout=300) == 0
    return time.monotonic() - started


@pytest.fixture(scope="module")
def reference(big_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store a whole initial sync of ``big_export`` makes (its size: where to kill)."""
    made = tmp_path_factory.mktemp("reference") / "reference.db"
    full_sync_seconds(made, big_export)
    return made


@pytest.mark.parametrize("fraction", [0.2, 0.6])
def test_killing_an_initial_sync_leaves_the_empty_store(
    tmp_path: Path, big_export: Path, reference: Path, fraction: float
) -> None:
    db = tmp_path / "s.db"
    store.connect(db, create=True).close()
    before = contents(db)
    proc = start_sync(db, big_export)
    # Kill when the new file holds that share of the finished store's size: by progress,
    # not by time, which a busy machine stretches (the build ends with the index rebuild).
    building = tmp_path / "s.db.initial-sync"
    target = reference.stat().st_size * fraction
    while proc.poll() is None and (not building.exists() or building.stat().st_size < target):
        time.sleep(0.005)
    assert proc.poll() is None, "the sync finished before the kill: nothing was tested"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert contents(db) == before
    # the next sync cleans up and succeeds
    assert full_sync_seconds(db, big_export) > 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("s.db")) == [
        "s.db",
        "s.db-lock",
    ]
    assert sqlite3.connect(db).execute("SELECT count(*) FROM cases").fetchone()[0] == 10_000


_IN_PLACE: list[float] = []


def in_place_seconds(db: Path, folder: Path) -> float:
    """How long a sync of ``folder`` into a copy of ``db`` takes (measured once a module:
    every test's ``db`` holds the same)."""
    if not _IN_PLACE:
        copy = db.with_name("copy.db")
        store.backup(store.connect(db), db, dest=copy)
        _IN_PLACE.append(full_sync_seconds(copy, folder))
    return _IN_PLACE[0]


@pytest.mark.parametrize("fraction", [0.2, 0.6])
def test_killing_a_sync_into_a_store_with_data_leaves_it_as_before(
    tmp_path: Path, big_export: Path, fraction: float
) -> None:
    db = tmp_path / "s.db"
    assert full_sync_seconds(db, FIXTURES / "basic") > 0
    conn = store.connect(db)
    conn.execute(
        "INSERT INTO audit_log (at, who, action, entity) VALUES ('2026-11-24', 'W1', 'record', 'case')"
    )
    conn.close()
    before = contents(db)
    seconds = in_place_seconds(db, big_export)
    proc = start_sync(db, big_export)  # staged, in place: one transaction
    time.sleep(seconds * fraction)
    assert proc.poll() is None, "the sync finished before the kill: nothing was tested"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert contents(db) == before
    assert full_sync_seconds(db, big_export) > 0
    assert sqlite3.connect(db).execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1
