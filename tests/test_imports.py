"""cli -> core <- tui: the core never imports a UI library, and the CLI never loads Textual."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "sample.db"


def modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "CASECLI_CONFIG": "/nonexistent/config.toml"},
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_core_imports_no_typer_rich_or_textual() -> None:
    code = "import casecli.core.ingest.sync, casecli.core.engine.engine, casecli.core.views.caseload, casecli.core.local.record, casecli.demo.export, casecli.core.views.unit"
    loaded = modules_after(code)
    assert not {m for m in loaded if m.split(".")[0] in ("typer", "rich", "textual", "click")}


def test_casecli_next_does_not_import_textual_nor_the_engine_once_its_actions_are_kept(
    tmp_path: Path,
) -> None:
    """The first ``next`` of the day evaluates the caseload; the ones after it read the
    kept actions and import neither the engine nor the playbooks (start-up time)."""
    store = tmp_path / "sample.db"
    shutil.copyfile(SAMPLE, store)
    code = (
        f"import sys; sys.argv = ['casecli', '--db', {str(store)!r}, '--as', 'S0003', 'next', '--json']\n"
        "import io, contextlib\n"
        "from casecli.cli.main import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        app()\n    except SystemExit:\n        pass\n"
    )
    first = modules_after(code)
    assert "casecli.core.engine.engine" in first  # it did run the engine
    assert not {m for m in first if m.split(".")[0] == "textual"}
    again = modules_after(code)
    assert "casecli.core.local.nextcache" in again
    assert not {"casecli.core.engine.engine", "casecli.core.engine.playbooks", "tomllib"} & again
    assert not {m for m in again if m.split(".")[0] in ("textual", "tui")}
    # the team store's driver is for --db postgresql://… alone (issue 17 item 1)
    assert not {m for m in first | again if m.split(".")[0] == "psycopg"}


def _run_cli(*args: str) -> str:
    argv = ["casecli", "--db", str(SAMPLE), *args]
    return (
        f"import sys; sys.argv = {argv!r}\n"
        "import io, contextlib\n"
        "from casecli.cli.main import run\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        run()\n    except SystemExit:\n        pass\n"
    )


def test_unit_bottlenecks_and_help_do_not_import_textual() -> None:
    for args in (
        ("--as", "S0002", "unit", "--json"),
        ("--as", "S0001", "bottlenecks"),
        ("--help",),
    ):
        loaded = modules_after(_run_cli(*args))
        assert "casecli.cli.main" in loaded
        assert not {m for m in loaded if m.split(".")[0] in ("textual", "tui")}, args


def test_the_tui_imports_no_cli_libraries_beyond_rich() -> None:
    """tui builds on casecli.core (and Rich, which Textual uses); never on typer."""
    loaded = modules_after("import tui.app, tui.screens.unit, tui.screens.case, tui.screens.forms")
    assert "textual" in loaded and "casecli.core.views.unit" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("typer", "click")}
    assert not {m for m in loaded if m.startswith("casecli.cli")}
