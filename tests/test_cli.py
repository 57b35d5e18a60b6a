"""The command line: global options, exit codes, JSON shapes, one-sentence errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli import __version__
from casecli.cli.main import app
from tests.conftest import FIXTURES, casecli

runner = CliRunner()


def cli(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app, list(args), env={"CASECLI_CONFIG": "/nonexistent/config.toml", **(env or {})}
    )


def test_version() -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"casecli {__version__}"


def test_every_command_has_help_text() -> None:
    for args in (
        ["sync"],
        ["rejects"],
        ["demo"],
        ["db", "init"],
        ["db", "migrate"],
        ["db", "check"],
        ["db", "backup"],
    ):
        result = cli(*args, "--help")
        assert result.exit_code == 0, args
        assert "--db" in result.stdout and "--json" in result.stdout, args


def test_no_store_configured_says_how_to_get_one() -> None:
    result = cli("rejects")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "casecli: No store is configured: sync an export into one "
        "(casecli --db cases.db sync FOLDER), or try --db sample.db."
    )


def test_global_options_work_before_or_after_the_command(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    before = cli("--db", str(db), "--json", "sync", str(FIXTURES / "basic"))
    assert before.exit_code == 0, before.stderr
    assert json.loads(before.stdout)["status"] == "applied"
    after = cli("sync", str(FIXTURES / "basic"), "--db", str(db), "--json")
    assert json.loads(after.stdout)["status"] == "unchanged"
    env = cli("sync", str(FIXTURES / "basic"), env={"CASECLI_DB": str(db), "CASECLI_JSON": "1"})
    assert json.loads(env.stdout)["status"] == "unchanged"


def test_sync_json_summary_shape(tmp_path: Path, target: str) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    for f in (FIXTURES / "basic").iterdir():
        (folder / f.name).write_text(f.read_text())
    with (folder / "events.csv").open("a") as fh:
        fh.write("E9,C100,case_plan,scheduled,2026-13-01,,,W1,,\n")
    result = cli("--db", target, "sync", str(folder), "--json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["status"] == "applied"
    assert data["files"]["events.csv"] == {
        "table": "events",
        "rows": 5,
        "inserted": 4,
        "updated": 0,
        "unchanged": 0,
        "gone": 0,
        "rejected": 1,
        "repeated": 0,
        "skipped": False,
    }
    assert data["older_rejects"] == 0
    assert data["rejects"] == [
        {
            "file": "events.csv",
            "line": 6,
            "column": "scheduled_on",
            "value": "2026-13-01",
            "reason": "scheduled_on is not a date or ISO 8601 date-time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)",
        }
    ]
    listed = cli("--db", target, "rejects", "--json")
    assert [(r["file"], r["line"], r["column"]) for r in json.loads(listed.stdout)] == [
        ("events.csv", 6, "scheduled_on")
    ]


def test_strict_exits_1_and_dry_run_writes_nothing(target: str) -> None:
    dry = cli("--db", target, "sync", str(FIXTURES / "basic"), "--dry-run", "--json")
    assert dry.exit_code == 0 and json.loads(dry.stdout)["dry_run"] is True
    assert json.loads(dry.stdout)["status"] == "would_apply"
    check = cli("--db", target, "db", "check", "--json")
    assert json.loads(check.stdout)["counts"]["cases"] == 0


def test_usage_errors_exit_2() -> None:
    assert cli("sync").exit_code == 2
    assert cli("sync", "x", "--no-such-option").exit_code == 2
    bad_date = cli("--today", "24/11/2026", "--db", "x.db", "rejects")
    assert bad_date.exit_code == 2
    assert "--today must be a date like 2026-11-24" in bad_date.stderr


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "does not exist"),
        (lambda d: (d.mkdir(), (d / "manifest.toml").write_text("kind = [")), "manifest.toml is not valid TOML"),
        (lambda d: (d.mkdir(), (d / "cases.csv").write_text("case_id\nC1\n"), (d / "staff.csv").write_text("staff_id,name,role\n")), "the required column 'program' is missing"),
        (lambda d: (d.mkdir(),), "holds no export files"),
    ],
)  # fmt: skip
def test_bad_exports_give_one_sentence_and_no_traceback(
    tmp_path: Path, target: str, setup, message
) -> None:
    folder = tmp_path / "export"
    setup(folder)
    result = casecli("--db", target, "sync", str(folder))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("casecli: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_sync_by_the_real_console_script_with_json(tmp_path: Path) -> None:
    result = casecli("--db", str(tmp_path / "s.db"), "sync", str(FIXTURES / "basic"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["files"]["cases.csv"]["inserted"] == 4
    assert result.stderr == ""  # no progress bar when piped


def test_db_init_check_backup_migrate(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert cli("--db", str(db), "db", "init").exit_code == 0
    assert oct(db.stat().st_mode & 0o777) == "0o600"
    again = cli("--db", str(db), "db", "init")
    assert again.exit_code == 1 and "already exists" in again.stderr
    check = json.loads(cli("--db", str(db), "db", "check", "--json").stdout)
    assert check["ok"] is True and check["schema"] == check["latest"]
    backup = json.loads(
        cli("--db", str(db), "db", "backup", str(tmp_path / "b.db"), "--json").stdout
    )
    assert Path(backup["backup"]).exists()
    migrate = cli("--db", str(db), "db", "migrate")
    assert migrate.exit_code == 0 and "already at the latest schema" in migrate.stdout
