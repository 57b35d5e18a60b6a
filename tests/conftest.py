"""Shared fixtures: small hand-made exports, temporary stores, a CLI runner."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from casecli.core import store

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2026, 11, 24)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cases.db"


@pytest.fixture
def conn(db_path: Path) -> Iterator[sqlite3.Connection]:
    c = store.connect(db_path, create=True)
    yield c
    c.close()


@pytest.fixture
def export(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Copy a fixture export folder into tmp_path so a test may change it."""

    made: list[Path] = []

    def make(name: str) -> Path:
        made.append(tmp_path / f"export-{name}-{len(made)}")
        dest = made[-1]
        shutil.copytree(FIXTURES / name, dest)
        return dest

    return make


def casecli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real console script, as an admin's cron job would run it (no CASECLI_* set)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env["CASECLI_CONFIG"] = "/nonexistent/config.toml"
    exe = Path(sys.executable).with_name("casecli")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "casecli.cli.main"]
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )
