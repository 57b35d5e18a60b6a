"""Work handed to another process (casecli.core.apart): stopping it stops what it started."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from casecli.core.apart import Apart

# The other process hands work to one more (as the TUI's first-screen process may, to
# evaluate half an office's cases); that one says its pid and waits.
CODE = (
    "import time\n"
    "from casecli.core.apart import Apart, given\n"
    "path = given()\n"
    "more = Apart(\n"
    "    'import os, time\\n'\n"
    "    'from casecli.core.apart import given\\n'\n"
    "    'path = given()\\n'\n"
    '    \'open(path + ".tmp", "w").write(str(os.getpid()))\\n\'\n'
    "    'os.replace(path + \".tmp\", path)\\n'\n"
    "    'time.sleep(60)\\n', path)\n"
    "time.sleep(60)\n"
)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is gone
    except FileNotFoundError:
        return False


def until(check: object, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG, /proc")
def test_stopping_the_other_process_stops_the_one_it_started(tmp_path: Path) -> None:
    said = tmp_path / "pid"
    work = Apart(CODE, str(said))
    assert until(said.exists), "the other process did not start one more"
    grandchild = int(said.read_text())
    try:
        assert alive(grandchild)
        work.stop()
        with pytest.raises(ValueError, match="failed"):
            work.result()
        assert until(lambda: not alive(grandchild)), "it ran on after its parent was stopped"
    finally:
        if alive(grandchild):
            os.kill(grandchild, 9)


def test_the_other_process_answers_what_it_was_given() -> None:
    work = Apart("from casecli.core import apart\napart.answer(apart.given() * 2)", 21)
    assert work.result() == 42
