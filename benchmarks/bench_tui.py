"""The TUI's first paint: headless, from starting the app to the unit view's workers
table filled (the design's target: under 1.5 s on the 1.3M-case store).

    python benchmarks/bench_tui.py --db sample.db --as S0002 [--runs 5]
    python benchmarks/bench_tui.py --db 'postgresql://LOGIN@/DB?host=…' --as STAFF_ID

On a team store (``--db postgresql://…``, as the login of the staff member ``--as`` names)
the first view is read ahead in another process too (since issue 17's office patch, as
``casecli tui`` does); what the login keeps in its cache folder (``XDG_CACHE_HOME``) is
read as by the command.

Each run builds the app with the same factory `casecli tui` uses (tui.app.make_app),
so playbook loading and the first store query are inside the time; like `casecli tui`, it
first starts reading the first screen's view in another process (tui.prefetch) unless
given --no-prefetch.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import date


async def first_paint(db: str, user: str, today: date, prefetch: bool = True) -> float:
    start = time.perf_counter()
    pending = None
    if prefetch:  # as `casecli tui` does: the first view read in another process
        from pathlib import Path

        from casecli.core.store import scope, store, team
        from tui import prefetch as ahead

        if db.startswith(("postgresql://", "postgres://")):
            conn = team.open_store(db)
            who, stamp = team.actor(conn, user), team.written(conn)
            conn.close()
            pending = ahead.for_actor(db, who, today, False, None, stamp)
        else:
            conn = store.connect(Path(db))
            who = scope.actor(conn, user)
            conn.close()
            pending = ahead.for_actor(Path(db), who, today, False, None)
    from tui.app import make_app

    app = make_app(db, user, today, watch=False, prefetched=pending)
    async with app.run_test(size=(100, 30)) as pilot:
        while True:
            main = app.screen.query("#main")
            if main and main.first().row_count:
                break
            await pilot.pause(0.005)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sample.db")
    parser.add_argument("--as", dest="user", default="S0002")
    parser.add_argument("--today", default="2026-11-24")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--no-prefetch", action="store_true", help="read the first view in this process"
    )
    args = parser.parse_args()
    today = date.fromisoformat(args.today)
    times = [
        asyncio.run(first_paint(args.db, args.user, today, not args.no_prefetch))
        for _ in range(args.runs)
    ]
    print(
        f"first paint {args.db} as {args.user}: median {statistics.median(times):.3f} s, "
        f"min {min(times):.3f}, max {max(times):.3f} ({args.runs} runs)"
    )


if __name__ == "__main__":
    main()
