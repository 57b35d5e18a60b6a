"""``casecli config``: set, get, unset, list; a 0600 TOML file; one-sentence errors."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.core.engine import urgency
from casecli.core.errors import CasecliError
from casecli.core.local import config

runner = CliRunner()


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "conf" / "casecli" / "config.toml"  # the folder does not exist yet
    monkeypatch.setenv("CASECLI_CONFIG", str(path))
    return path


def cli(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env={"CASECLI_JSON": ""})


def test_set_get_unset(cfg: Path) -> None:
    assert cli("config", "set", "urgency.overdue", "4").stdout == "urgency.overdue = 4\n"
    assert cli("config", "set", "user", "W1").exit_code == 0
    assert oct(cfg.stat().st_mode & 0o777) == "0o600"
    assert tomllib.loads(cfg.read_text()) == {"urgency": {"overdue": 4.0}, "user": "W1"}
    assert cli("config", "get", "urgency.overdue").stdout == "4\n"
    assert cli("config", "get", "user").stdout == "W1\n"
    assert cli("config", "get", "urgency.due").stdout == "6\n"  # the default
    assert json.loads(cli("config", "get", "urgency.due", "--json").stdout) == {
        "key": "urgency.due",
        "value": 6.0,
        "source": "default",
    }
    assert config.urgency_overrides() == {"overdue": 4.0}
    assert cli("config", "unset", "urgency.overdue").stdout == "Removed urgency.overdue.\n"
    again = cli("config", "unset", "urgency.overdue")
    assert again.exit_code == 0 and again.stdout == "urgency.overdue was not set; nothing to do.\n"
    assert tomllib.loads(cfg.read_text()) == {"user": "W1"}
    assert oct(cfg.stat().st_mode & 0o777) == "0o600"
    assert config.urgency_overrides() == {}


def test_the_user_in_the_config_is_who_you_are(cfg: Path, tmp_path: Path) -> None:
    from tests.conftest import FIXTURES

    db = tmp_path / "s.db"
    assert cli("config", "set", "db", str(db)).exit_code == 0
    assert cli("sync", str(FIXTURES / "basic")).exit_code == 0
    assert cli("config", "set", "user", "W1").exit_code == 0
    result = cli("--today", "2026-11-24", "record", "C100", "caseworker_visit")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Recorded caseworker_visit on 2026-11-24 for case C100 (#1).\n"


def test_paths_are_stored_absolute(
    cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "books").mkdir()
    assert cli("config", "set", "db", "cases.db").exit_code == 0
    assert cli("config", "set", "playbooks", "books").exit_code == 0
    assert cli("config", "get", "db").stdout == f"{tmp_path / 'cases.db'}\n"
    assert config.playbooks_dir() == tmp_path / "books"


def test_list_marks_defaults_and_set_values(cfg: Path) -> None:
    cli("config", "set", "urgency.idle", "2.5")
    cli("config", "set", "user", "S1")
    listed = cli("config", "list")
    assert listed.exit_code == 0
    lines = {line.split()[0]: line.split(None, 1)[1] for line in listed.stdout.splitlines()}
    assert lines["user"] == "S1"
    assert lines["db"] == "-  (not set)"
    assert lines["urgency.idle"] == "2.5"
    assert lines["urgency.overdue"] == "2  (default)"
    assert set(lines) == {"db", "user", "playbooks", "timezone"} | {f"urgency.{t}" for t in
                                                       ("safety", "court_imminent", "signal", "due", "overdue", "statutory", "court", "stuck", "risk", "idle", "barrier", "unpaid", "goal_impact", "stuck_days", "court_imminent_days", "no_payment_months")}  # fmt: skip
    data = {
        e["key"]: (e["value"], e["source"])
        for e in json.loads(cli("config", "list", "--json").stdout)
    }
    assert data["urgency.idle"] == (2.5, "set")
    assert data["urgency.due"] == (6.0, "default")
    assert data["playbooks"] == (None, "unset")


def test_unknown_keys_in_a_hand_edited_file_are_shown_and_can_be_removed(cfg: Path) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_text('colour = "blue"\n[urgency]\noverdu = 3\n')
    listed = cli("config", "list").stdout
    lines = {line.split()[0]: line.split(None, 1)[1] for line in listed.splitlines()}
    assert lines["colour"] == "blue  (unknown; casecli config unset colour)"
    assert lines["urgency.overdu"] == "3  (unknown; casecli config unset urgency.overdu)"
    with pytest.raises(CasecliError) as err:
        config.urgency_overrides()
    assert str(err.value) == (
        f"The config file {cfg} sets urgency.overdu, which is not an urgency term; "
        "casecli config unset urgency.overdu."
    )
    assert cli("config", "unset", "urgency.overdu").exit_code == 0
    assert cli("config", "unset", "colour").exit_code == 0
    assert tomllib.loads(cfg.read_text()) == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set", "colour", "blue"],
         "'colour' is not a config key; use one of db, user, playbooks, timezone or urgency.TERM (casecli config list shows them all)."),
        (["get", "colour"],
         "'colour' is not a config key; use one of db, user, playbooks, timezone or urgency.TERM (casecli config list shows them all)."),
        (["unset", "colour"],
         "'colour' is not a config key; use one of db, user, playbooks, timezone or urgency.TERM (casecli config list shows them all)."),
        (["set", "urgency.speed", "3"],
         "urgency.speed is not an urgency term or setting; use one of urgency.safety, urgency.court_imminent, urgency.signal, urgency.due, urgency.overdue, urgency.statutory, urgency.court, urgency.stuck, urgency.risk, urgency.idle, urgency.barrier, urgency.unpaid, urgency.goal_impact, urgency.stuck_days, urgency.court_imminent_days, urgency.no_payment_months."),
        (["set", "urgency.overdue", "lots"], "urgency.overdue must be a number, like 2.5, not 'lots'."),
        (["set", "urgency.overdue", "nan"], "urgency.overdue must be a number, like 2.5, not 'nan'."),
        (["set", "urgency.stuck_days", "0"], "urgency.stuck_days is a number of days, like 90, not '0'."),
        (["set", "urgency.stuck_days", "2.5"], "urgency.stuck_days is a number of days, like 90, not '2.5'."),
        (["set", "urgency.court_imminent_days", "100000"],
         "urgency.court_imminent_days is a number of days, like 90, not '100000'."),
        (["set", "user", "W 1"], "user must be a staff id like W1, not 'W 1'."),
        (["set", "user", ""], "user needs a value; to remove it, use casecli config unset user."),
        (["set", "playbooks", "/no/such/folder"],
         "playbooks must be a folder of playbook TOML files; /no/such/folder is not one."),
        (["set", "db", "/no/such/folder/cases.db"],
         "The folder for the store, /no/such/folder, does not exist; create it first."),
    ],
)  # fmt: skip
def test_bad_keys_and_values_exit_2(cfg: Path, args: list[str], message: str) -> None:
    result = cli("config", *args)
    assert result.exit_code == 2
    assert result.stderr == f"casecli: {message}\n"
    assert not cfg.exists()  # nothing was written


def test_a_broken_playbooks_folder_is_refused(cfg: Path, tmp_path: Path) -> None:
    (tmp_path / "books").mkdir()
    (tmp_path / "books" / "in_home.toml").write_text("[[steps]]\nid = 'x'\n")
    result = cli("config", "set", "playbooks", str(tmp_path / "books"))
    assert result.exit_code == 1
    assert "in_home.toml" in result.stderr and "fix the file" in result.stderr
    assert not cfg.exists()


def test_get_an_unset_key_and_path(cfg: Path) -> None:
    result = cli("config", "get", "db")
    assert result.exit_code == 1
    assert result.stderr == "casecli: db is not set; casecli config set db VALUE sets it.\n"
    assert cli("config", "path").stdout == f"{cfg}\n"
    assert json.loads(cli("config", "path", "--json").stdout) == {"path": str(cfg), "exists": False}


def test_stuck_days_is_set_in_days_and_changes_what_next_calls_stuck(cfg: Path) -> None:
    # issue 12: the age past which an overdue step is "stuck" is the user's to set
    assert cli("config", "set", "urgency.stuck_days", "120").stdout == "urgency.stuck_days = 120\n"
    coef = urgency.coefficients(config.urgency_overrides())
    assert coef["stuck_days"] == 120
    assert not urgency.is_stuck(120, coef) and urgency.is_stuck(121, coef)
    cfg.write_text("[urgency]\nstuck_days = 0.5\n")
    with pytest.raises(CasecliError) as err:
        config.urgency_overrides()
    assert "sets urgency.stuck_days to 0.5, not a number of days" in str(err.value)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_hand_edited_coefficient_that_is_not_finite_is_refused(cfg: Path, value: str) -> None:
    # TOML reads nan and inf as floats; a ranking by a NaN urgency has no order at all
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(f"[urgency]\ndue = {value}\n")
    with pytest.raises(CasecliError) as err:
        config.urgency_overrides()
    assert str(err.value) == (
        f"The config file {cfg} sets urgency.due to {float(value)!r}, not a finite number; "
        "casecli config set urgency.due NUMBER."
    )
