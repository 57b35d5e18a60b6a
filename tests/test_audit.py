"""Every local write, through the CLI, leaves exactly one audit row (who, when, what, which
record); reads, syncs and the config file leave none; no connection may change the log.

The first two run on a team store too (issue 17 item 7), each person through their own
login, the audit rows read by the store's owner; that no login may change a team store's
log, even its owner's, is tests/test_team_store.py's
``test_no_login_can_rewrite_the_audit_log``."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from tests.conftest import FIXTURES, TEAMS, as_team, drop_team

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


@pytest.fixture(params=["sqlite", "team"])
def both(request: pytest.FixtureRequest, env: dict[str, str]) -> Iterator[dict[str, str]]:
    """``env`` on the SQLite file, or its rows loaded into a team store: CASECLI_DB its
    owner's address (who syncs it); :func:`as_who` says each person's own."""
    if request.param == "sqlite":
        yield env
        return
    url = str(as_team(Path(env["CASECLI_DB"]), request.getfixturevalue("pg_server")))
    yield {**env, "CASECLI_DB": url}
    drop_team(url)


def as_who(env: dict[str, str], who: str) -> tuple[dict[str, str], list[str], str]:
    """(the environment, the options, what the audit log says) for ``who`` running a
    command: on a team store their login, which is who the log names."""
    team = TEAMS.get(env["CASECLI_DB"])
    if team is None:
        return env, ["--as", who], who
    return {**env, "CASECLI_DB": team.url_of(who)}, [], team.login(who)


def audit_rows(env: dict[str, str]) -> list[tuple[object, ...]]:
    sql = "SELECT at, who, action, entity, entity_id FROM audit_log ORDER BY id"
    if env["CASECLI_DB"] in TEAMS:
        with TEAMS[env["CASECLI_DB"]].owner() as owner:
            return [tuple(r) for r in owner.execute(sql).fetchall()]
    conn = sqlite3.connect(env["CASECLI_DB"])
    rows = conn.execute(sql).fetchall()
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


def test_every_local_write_is_audited_once(both: dict[str, str]) -> None:
    assert audit_rows(both) == []  # a sync is in sync_log, not the audit log
    for who, args, action, entity in WRITES:
        before = audit_rows(both)
        env, options, named = as_who(both, who)
        result = runner.invoke(app, [*options, *args, "--json"], env=env)
        assert result.exit_code == 0, result.stderr
        written = json.loads(result.stdout)["id"]
        after = audit_rows(both)
        assert after[: len(before)] == before, "an earlier audit row changed"
        [(at, row_who, row_action, row_entity, row_id)] = after[len(before) :]
        assert (row_who, row_action, row_entity, row_id) == (named, action, entity, str(written))
        assert str(at).startswith("20")


def test_reads_syncs_and_config_are_not_audited(both: dict[str, str]) -> None:
    # config is a file of the user's own settings, not the store: not audited
    for who, args in (
        ("W1", ["next"]),
        ("W1", ["caseload"]),
        ("S1", ["unit"]),
        ("S1", ["score"]),
        (None, ["sync", str(FIXTURES / "basic")]),  # (a team store's: its owner's)
        (None, ["config", "set", "user", "W1"]),
    ):
        env, options, _ = as_who(both, who) if who else (both, [], None)
        result = runner.invoke(app, [*options, *args], env=env)
        assert result.exit_code == 0, (args, result.stderr)
    assert audit_rows(both) == []


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
