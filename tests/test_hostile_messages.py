"""Escape sequences in the names an admin or an export controls (a folder, a profile's
``file =``, a path given on the command line) never reach the terminal: not in errors,
not in the sync's notes, table and progress bar, not in any message a command prints,
not in the TUI's notifications (issue 11 item 14).

The real console script runs in a pseudo-terminal where a terminal matters (the
progress bar draws only there), else with its output captured.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, casecli

# ESC ] (a window title), BEL, ESC [ 6n (a device report: the terminal would answer),
# the C1 CSI, a right-to-left override; NUL where a name can hold one (a profile's TOML)
HOSTILE = "\x1b]0;pwned\x07\x1b[6n\x9b2J\u202e"
WITH_NUL = HOSTILE + "\x00"
NEVER = ("\x1b]0;pwned", "\x07", "\x1b[6n", "\x9b", "\u202e", "\x00")


def _clean(text: str) -> None:
    for seq in NEVER:
        assert seq not in text, f"{seq!r} reached the terminal: {text[:3000]!r}"
    assert "pwned" in text  # the name is shown, made harmless


def _in_a_terminal(*args: str) -> tuple[int, str]:
    """Run casecli with stdout and stderr on a pseudo-terminal; (exit code, what it drew)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env.update(CASECLI_CONFIG="/nonexistent/config.toml", TERM="xterm-256color", COLUMNS="100")
    exe = Path(sys.executable).with_name("casecli")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "casecli.cli.main"]
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*cmd, *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    drawn = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    os.close(master)
    return proc.wait(timeout=120), drawn.decode("utf-8", "replace")


@pytest.fixture
def hostile_export(tmp_path: Path) -> tuple[Path, Path]:
    """The basic export in a folder with a hostile name, its cases and case goals files
    renamed to hostile names, and a profile whose ``file =`` names them."""
    folder = tmp_path / f"export{HOSTILE}"
    shutil.copytree(FIXTURES / "basic", folder)
    (folder / "cases.csv").rename(folder / f"cases{HOSTILE}.csv")
    (folder / "case_goals.csv").rename(folder / f"goals{HOSTILE}.csv")
    profile = tmp_path / "hostile.toml"
    profile.write_text(
        'name = "hostile"\n'
        f"[files.cases]\nfile = {json.dumps(f'cases{HOSTILE}.csv')}\n"
        f"[files.case_goals]\nfile = {json.dumps(f'goals{HOSTILE}.csv')}\n",
        encoding="utf-8",
    )
    return folder, profile


def test_the_progress_bar_and_the_summary_show_hostile_file_names_safely(
    hostile_export: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, profile = hostile_export
    code, drawn = _in_a_terminal(
        "--db", str(tmp_path / "a.db"), "--today", "2026-11-24",
        "sync", str(folder), "--profile", str(profile),
    )  # fmt: skip
    assert code == 0, drawn
    _clean(drawn)
    assert "\x1b[?25l" in drawn  # the progress bar was drawn (it hides the cursor)


def test_errors_and_notes_show_hostile_folder_and_profile_names_safely(
    hostile_export: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, profile = hostile_export
    db = str(tmp_path / "b.db")
    missing = casecli("--db", db, "sync", f"{folder}{HOSTILE}")
    assert missing.returncode == 1
    assert missing.stderr.startswith("casecli: The export folder ")
    _clean(missing.stderr)
    no_profile = casecli("--db", db, "sync", str(folder), "--profile", f"nope{HOSTILE}.toml")
    assert no_profile.returncode == 1
    _clean(no_profile.stderr)
    # a profile naming a file that is not there, with a NUL in its name
    nul = tmp_path / "nul.toml"
    nul.write_text(
        f'name = "nul"\n[files.cases]\nfile = {json.dumps(f"cases{WITH_NUL}.csv")}\n'
        f"[files.case_goals]\nfile = {json.dumps(f'goals{HOSTILE}.csv')}\n",
        encoding="utf-8",
    )
    first = casecli("--db", db, "sync", str(folder), "--profile", str(nul))
    assert first.returncode == 1 and first.stderr.startswith("casecli: ")
    for seq in NEVER:
        assert seq not in first.stdout + first.stderr
    # the sync's notes and table (a file the contract does not know, a hostile column)
    (folder / f"extra{HOSTILE}.csv").write_text("a\n1\n")
    with (folder / "people.csv").open("r+", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
        fh.seek(0)
        fh.write("\n".join([lines[0] + f",col{HOSTILE}", *(x + "," for x in lines[1:])]) + "\n")
    synced = casecli("--db", db, "sync", str(folder), "--profile", str(profile))
    assert synced.returncode == 0, synced.stderr
    _clean(synced.stdout)
    _clean(synced.stderr)
    assert synced.stderr.count("note: ") >= 2, synced.stderr


def test_every_message_with_a_path_shows_it_safely(tmp_path: Path) -> None:
    runs = [
        ("--today", "2026-11-24", "demo", str(tmp_path / f"demo{HOSTILE}"), "--cases", "3"),
        ("--db", str(tmp_path / f"store{HOSTILE}.db"), "db", "init"),
        ("--db", str(tmp_path / f"store{HOSTILE}.db"), "db", "check"),
        ("--db", str(tmp_path / f"store{HOSTILE}.db"), "db", "backup",
         str(tmp_path / f"copy{HOSTILE}.db")),
        ("--db", str(tmp_path / f"store{HOSTILE}.db"), "db", "init"),  # exists: an error
        ("--db", str(tmp_path / f"none{HOSTILE}.db"), "--as", "W1", "next"),
    ]  # fmt: skip
    for args in runs:
        result = casecli(*args)
        _clean(result.stdout + result.stderr)


def test_focus_out_and_config_messages_show_user_text_safely(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert casecli("--db", str(db), "sync", str(FIXTURES / "basic")).returncode == 0
    out = tmp_path / f"digests{HOSTILE}"
    result = casecli("--db", str(db), "--today", "2026-11-24", "--as", "W1",
                     "focus", "--month", "2026-11", "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    _clean(result.stdout)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env["CASECLI_CONFIG"] = str(tmp_path / "config.toml")
    exe = Path(sys.executable).with_name("casecli")
    for args in (("config", "set", "user", f"W1{HOSTILE}"), ("config", "get", "user"),
                 ("config", "list"), ("config", "set", f"nope{HOSTILE}", "1")):  # fmt: skip
        result = subprocess.run([str(exe), *args], capture_output=True, text=True, env=env)
        _clean(result.stdout + result.stderr)


def test_the_tui_shows_notifications_and_errors_as_plain_text() -> None:
    import asyncio

    from textual.widgets import Static

    from tests.tui.helpers import SAMPLE, TODAY, settle
    from tui.app import make_app

    app = make_app(SAMPLE, "S0002", TODAY, watch=False)

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            app.notify(f"Saved [b]bold[/b] {HOSTILE} pwned")
            app.screen.notify(f"From a screen {WITH_NUL} pwned", severity="error")
            app.screen.status(f"status {HOSTILE} pwned")  # type: ignore[attr-defined]
            await pilot.pause()
            shown = [n.message for n in app._notifications]
            assert shown[0].startswith("Saved [b]bold[/b] ")
            for text in shown:
                _clean(text)
            status = app.screen.query_one("#status", Static)
            assert str(status.content).startswith("status ")
            _clean(str(status.content))

    asyncio.run(main())
