"""Every local write, through the CLI, leaves exactly one audit row (who, when, what, which
record); reads, syncs and the config file leave none; no connection may change the log."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from tests.conftest import FIXTURES

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {
        "CASECLI_CONFIG": str(tmp_path / "config.toml"),
        "CASECLI_DB": str(tmp_path / "s.db"),
        "CASECLI_TODAY": "2026-11-24",
        "CASECLI_JSON": "",
    }
    assert runner.invoke(app, ["sync", str(FIXTURES / "basic")], env=values).exit_code == 0
    return values


def audit_rows(env: dict[str, str]) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(env["CASECLI_DB"])
    rows = conn.execute(
        "SELECT at, who, action, entity, entity_id FROM audit_log ORDER BY id"
    ).fetchall()
    conn.close()
    return rows


# (who, command line, action, entity, the table the written row is in)
WRITES = [
    ("W1", ["record", "C100", "caseworker_visit", "--person", "P3"], "record", "recorded_events"),
    ("W1", ["wait", "C100", "drug screen result"], "wait", "barriers"),
    ("W1", ["resolve", "1"], "resolve", "barriers"),
    ("W1", ["progress", "C100", "CG1", "--percent", "40"], "progress", "goal_progress"),
    ("S1", ["goals", "set", "unit:U1", "monthly_visits", "90"], "goal", "performance_goals"),
]


def test_every_local_write_is_audited_once(env: dict[str, str]) -> None:
    assert audit_rows(env) == []  # a sync is in sync_log, not the audit log
    for who, args, action, entity in WRITES:
        before = audit_rows(env)
        result = runner.invoke(app, ["--as", who, *args, "--json"], env=env)
        assert result.exit_code == 0, result.stderr
        written = json.loads(result.stdout)["id"]
        after = audit_rows(env)
        assert after[: len(before)] == before, "an earlier audit row changed"
        [(at, row_who, row_action, row_entity, row_id)] = after[len(before) :]
        assert (row_who, row_action, row_entity, row_id) == (who, action, entity, str(written))
        assert str(at).startswith("20")


def test_reads_syncs_and_config_are_not_audited(env: dict[str, str]) -> None:
    # config is a file of the user's own settings, not the store: not audited
    for args in (
        ["--as", "W1", "next"],
        ["--as", "W1", "caseload"],
        ["--as", "S1", "unit"],
        ["--as", "S1", "score"],
        ["sync", str(FIXTURES / "basic")],
        ["config", "set", "user", "W1"],
    ):
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 0, (args, result.stderr)
    assert audit_rows(env) == []


def test_no_connection_may_change_or_delete_an_audit_row(env: dict[str, str]) -> None:
    ok = runner.invoke(app, ["--as", "W1", "record", "C100", "court_report"], env=env)
    assert ok.exit_code == 0, ok.stderr
    before = audit_rows(env)
    # a plain sqlite3 connection, not casecli's: the triggers are in the file itself
    raw = sqlite3.connect(env["CASECLI_DB"], isolation_level=None)
    for sql in (
        "UPDATE audit_log SET who = 'W2'",
        "UPDATE audit_log SET detail = NULL WHERE id = 1",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = 1",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute(sql)
    raw.close()
    assert audit_rows(env) == before


def test_insert_or_replace_cannot_overwrite_an_audit_row(env: dict[str, str]) -> None:
    ok = runner.invoke(app, ["--as", "W1", "record", "C100", "court_report"], env=env)
    assert ok.exit_code == 0, ok.stderr
    before = audit_rows(env)
    raw = sqlite3.connect(env["CASECLI_DB"], isolation_level=None)
    with contextlib.suppress(sqlite3.DatabaseError):
        raw.execute(
            "INSERT OR REPLACE INTO audit_log (id, at, who, action, entity)"
            " VALUES (1, 't', 'X', 'x', 'x')"
        )
    raw.close()
    assert audit_rows(env) == before
