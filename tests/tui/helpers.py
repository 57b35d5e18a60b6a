"""Driving the real app headless: the factory, the sample store, the screen as text."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).resolve().parents[2] / "sample.db"
TODAY = date(2026, 11, 24)


def copy_sample(dest: Path) -> Path:
    """A private copy of sample.db (for tests that write), WAL folded in."""
    target = dest / "sample-copy.db"
    src = sqlite3.connect(f"file:{SAMPLE}?mode=ro", uri=True)
    out = sqlite3.connect(target)
    src.backup(out)
    src.close()
    out.close()
    target.chmod(0o600)
    return target


def screen_text(app: Any) -> str:
    """What a person would read on the terminal now, one line per row."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


async def settle(app: Any, pilot: Any) -> None:
    """Let every thread worker finish and its message land."""
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def drive(
    user: str,
    body: Callable[[Any, Any], Awaitable[None]],
    *,
    db: Path | str = SAMPLE,
    size: tuple[int, int] = (100, 30),
    redact: bool = False,
) -> None:
    """Run ``body(app, pilot)`` against the app for ``user``, as of TODAY."""
    from tui.app import make_app

    app = make_app(db, user, TODAY, redact, watch=False)

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            await body(app, pilot)

    asyncio.run(main())


async def press(app: Any, pilot: Any, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)
    await settle(app, pilot)


__all__ = ["SAMPLE", "TODAY", "copy_sample", "drive", "press", "screen_text", "settle", "shutil"]
