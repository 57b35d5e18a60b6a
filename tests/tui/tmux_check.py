"""Start the real `casecli tui` in tmux, type keys, read the screen as a person would.

    python tests/tui/tmux_check.py [--size 100x30] [--show]

Exits 0 when every screen showed what it should, 1 (saying what was missing) if not.
tests/tui/test_tmux.py runs it at 100x30 and 80x24.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SESSION = f"casecli-check-{os.getpid()}"

# (keys to send, texts that must then be on screen)
STEPS: list[tuple[list[str], list[str]]] = [
    ([], ["Child Welfare Unit 1 (U001)", "167 open cases", "Olivia Wilson", "Situation",
          "substance treatment", "cases  median  oldest", "11 steps stuck > 90 days"]),
    (["Enter"], ["Olivia Wilson (S0004)", "C0000530", "4 steps stuck"]),
    (["Enter"], ["Case C0000530", "Worker Olivia Wilson (S0004)", "+100.00", "Waiting on"]),
    (["Escape", "Escape", "r"], ["O.W. (S0004)", "supervisor I.M."]),
    (["r", "?"], ["capacity   the hours the caseload needs"]),
    (["Escape", "/", "p", "e", "t"], ["Juan Peterson"]),
]  # fmt: skip


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def wait_for(texts: list[str], timeout: float = 10.0) -> tuple[bool, str]:
    end = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < end:
        shown = screen()
        if all(t in shown for t in texts):
            return True, shown
        time.sleep(0.2)
    return False, shown


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="100x30")
    parser.add_argument("--show", action="store_true", help="print every screen")
    parser.add_argument("--db", default=str(ROOT / "sample.db"))
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is not installed", file=sys.stderr)
        return 2
    width, height = args.size.split("x")
    exe = shutil.which("casecli") or f"{sys.executable} -m casecli.cli.main"
    env = "CASECLI_CONFIG=/nonexistent/c.toml TERM=xterm-256color"
    command = f"{env} {exe} --db {shlex.quote(args.db)} --as S0002 tui"
    tmux("new-session", "-d", "-s", SESSION, "-x", width, "-y", height, command)
    failed = False
    try:
        for keys, texts in STEPS:
            for key in keys:
                tmux("send-keys", "-t", SESSION, key)
                # after Escape, wait past the terminal's escape-sequence window: on a busy
                # machine "Escape" then "r" 0.15 s later can be read as Alt+R
                time.sleep(0.6 if key == "Escape" else 0.15)
            ok, shown = wait_for(texts)
            lines = shown.splitlines()
            too_wide = [n for n, line in enumerate(lines, 1) if len(line) > int(width)]
            if args.show or not ok:
                print(f"--- after {keys or 'start'} ({args.size})\n{shown}")
            if not ok:
                print(f"missing: {[t for t in texts if t not in shown]}", file=sys.stderr)
                failed = True
                break
            if too_wide:
                print(f"lines wider than {width}: {too_wide}", file=sys.stderr)
                failed = True
        tmux("send-keys", "-t", SESSION, "q")
    finally:
        time.sleep(0.3)
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    print("ok" if not failed else "FAILED", args.size)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
