"""The real app in a real terminal (tmux), at 100x30 and 80x24."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("tmux_check.py")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("size", ["100x30", "80x24"])
def test_the_real_app_in_tmux(size: str) -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--size", size], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr
