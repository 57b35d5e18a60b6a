"""Playbooks: the defaults load, a jurisdiction's folder overrides them, bad files are named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.core.engine import playbooks
from casecli.core.errors import CasecliError
from tests.conftest import FIXTURES

runner = CliRunner()


def test_every_case_type_has_a_default_playbook() -> None:
    books = playbooks.load()
    assert set(books) == {
        "investigation",
        "in_home",
        "foster_care",
        "establishment",
        "enforcement",
        "generic",
    }
    fc = books["foster_care"]
    assert fc.step("case_plan").due.days == 60  # type: ignore[union-attr]
    assert fc.step("court_report").due.before == "next_hearing"  # type: ignore[union-attr]
    assert fc.step("monthly_visit").every == "month"  # type: ignore[union-attr]
    assert fc.step("permanency_hearing").due.months == 12  # type: ignore[union-attr]
    assert books["investigation"].step("first_contact").due.hours_from == "response_hours"  # type: ignore[union-attr]
    assert playbooks.for_case(books, "kinship").case_type == "generic"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[steps]]\nid = 'a'\ntitle = 'A'\ndone_by = ['x']\ndew = 3\n", "step 'a': unknown key 'dew'"),
        ("[[steps]]\nid = 'a'\ntitle = 'A'\ndone_by = ['x']\n", "step 'a': it needs a due"),
        ("[[steps]]\nid = 'a'\ntitle = 'A'\ndone_by = ['x']\nevery = 'month'\nrequires = ['b']\n", "step 'b', which is not"),
        ("[[steps]]\nid = 'a'\ntitle = 'A'\ndone_by = ['x']\ndue = { from = 'birth', days = 3 }\n", "due.from is 'birth'"),
        ("steps = [", "is not valid TOML"),
    ],
)  # fmt: skip
def test_a_bad_playbook_names_the_file_the_step_and_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "foster_care.toml").write_text(text)
    with pytest.raises(CasecliError, match="foster_care.toml") as caught:
        playbooks.load(tmp_path)
    assert message in str(caught.value)


def test_a_jurisdiction_folder_overrides_a_default_through_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    env = {"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "80"}
    assert (
        runner.invoke(app, ["--db", str(db), "sync", str(FIXTURES / "basic")], env=env).exit_code
        == 0
    )
    folder = tmp_path / "county"
    folder.mkdir()
    # this county wants the child seen within 12 hours, whatever the intake said
    text = (playbooks.DEFAULTS / "investigation.toml").read_text()
    text = text.replace('due = { from = "opened", hours_from = "response_hours", hours = 72 }',
                        'due = { from = "opened", hours = 12 }')  # fmt: skip
    (folder / "investigation.toml").write_text(text)
    args = ["--db", str(db), "--today", "2026-11-22", "--as", "W1", "case", "004", "--json"]
    default = json.loads(runner.invoke(app, args, env=env).stdout)
    county = json.loads(runner.invoke(app, [*args, "--playbooks", str(folder)], env=env).stdout)
    first = [s for s in default["steps"] if s["step"] == "first_contact"][0]
    assert first["due_on"] == "2026-11-23"  # 24 hours after 2026-11-22 09:30
    first = [s for s in county["steps"] if s["step"] == "first_contact"][0]
    assert first["due_on"] == "2026-11-22"  # 12 hours after
    broken = folder / "in_home.toml"
    broken.write_text("[[steps]]\nid = 'x'\n")
    result = runner.invoke(app, [*args, "--playbooks", str(folder)], env=env)
    assert result.exit_code == 1
    assert "in_home.toml" in result.stderr and "step 'x'" in result.stderr
