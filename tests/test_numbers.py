"""Issue 14 item 15: counts in text have thousands separators; --json never does."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.cli.unit_views import _figures_line

SAMPLE = Path(__file__).resolve().parent.parent / "sample.db"


def test_the_unit_figures_line_groups_thousands() -> None:
    figures = SimpleNamespace(
        open_cases=16940, due_now=1234, overdue=1000, waiting=999, capacity=0.55
    )
    assert _figures_line(figures) == (
        "16,940 open cases · 1,234 due now · 1,000 overdue · 999 waiting · capacity used 55%"
    )


def test_json_counts_are_plain_numbers() -> None:
    env = {"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "80"}
    args = ["--db", str(SAMPLE), "--as", "S0001", "--today", "2026-11-24", "--json", "unit"]
    done = CliRunner().invoke(app, args, env=env)
    data = json.loads(done.stdout)
    assert isinstance(data["figures"]["open_cases"], int)
    assert "," not in json.dumps(data["figures"]).replace(", ", "")
