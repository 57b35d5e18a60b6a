"""Work handed to another process (casecli.core.apart): stopping it stops what it started."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from casecli.core.apart import Apart

# The other process starts one of its own (as the TUI's first screen may, to evaluate
# half an office's cases), says its pid, and waits.
CODE = (
    "import subprocess, sys, time\n"
    "from casecli.core import apart\n"
    "path = apart.given()\n"
    "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],\n"
    "                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)\n"
    "open(path + '.tmp', 'w').write(str(p.pid))\n"
    "import os; os.replace(path + '.tmp', path)\n"
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


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("group", [True, False])
def test_stopping_a_group_stops_the_processes_it_started(tmp_path: Path, group: bool) -> None:
    said = tmp_path / "pid"
    work = Apart(CODE, str(said), group=group)
    assert until(said.exists), "the other process did not start its own"
    grandchild = int(said.read_text())
    try:
        assert alive(grandchild)
        work.stop()
        with pytest.raises(ValueError, match="failed"):
            work.result()
        # with a group of its own, what it started stops with it; without, it runs on
        # (the CLI's: in the terminal's group, where a Ctrl-C reaches it)
        assert until(lambda: not alive(grandchild), 10.0 if group else 2.0) is group
    finally:
        if alive(grandchild):
            os.kill(grandchild, 9)
