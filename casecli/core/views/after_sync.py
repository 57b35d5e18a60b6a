"""What ``casecli sync`` brings up to date after it has committed (issue 15): the kept
measure counts (``kept_counts.refresh``), the kept briefs of the cases it changed
(``briefs.refresh_briefs``), then, in a second process, the kept whole office views
(:func:`refresh_views`) and the users' kept ranked actions (``ranking.refresh_kept``), so
that the first view after the nightly delta reads them. :func:`sync_hook` is what the
command line gives ``sync(before_commit=...)``.

Its own module because it uses both the unit views and the ranking (which uses the unit
views): nothing in core imports it, so no module imports itself back through another.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from casecli.core.engine import playbooks
from casecli.core.local import kept, kept_places
from casecli.core.views import briefs, office, ranking, unit


def sync_hook(
    *, today: date,
    settings: Callable[[], tuple[dict[str, playbooks.Playbook], dict[str, float]]],
) -> Any:  # fmt: skip
    """What ``casecli sync`` gives ``sync(before_commit=...)``: the kept measure counts
    brought up to date (``kept_counts.refresh``), then the kept briefs of the cases it
    changed evaluated again (``briefs.refresh_briefs``), then the kept office views and
    ranked actions made again in another process (:func:`refresh_views_apart`), once it
    has committed. ``settings``
    gives the playbooks and urgency settings, read only then: a sync never fails on them
    (one that cannot read them leaves the briefs to the views)."""
    from casecli.core.measures import kept_counts

    def before(conn: sqlite3.Connection, sync_id: int) -> Any:
        counts = kept_counts.refresh(conn, sync_id, today)
        changed = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM sync_cases WHERE sync_id = ?)", (sync_id,)
        ).fetchone()[0]
        then = _marks_before(conn) if changed and _few_changed(conn, sync_id) else None

        def after(conn: sqlite3.Connection) -> None:
            try:
                if counts is not None:
                    counts(conn)
            finally:
                if changed:  # (the briefs of a sync that changed no case stay true)
                    books, coef = settings()
                    briefs.refresh_briefs(conn, today=today, books=books, coef=coef)
                    path = kept.store_path(conn)
                    if then is not None and path is not None:
                        refresh_views_apart(path, today=today, books=books, coef=coef,
                                            sync_id=sync_id, then=then)  # fmt: skip

        return after

    return before


def _few_changed(conn: sqlite3.Connection, sync_id: int) -> bool:
    """Whether the sync changed few enough cases, listed, for what is kept to be made again
    after it (a table loaded whole, '*', or more than ``kept_counts.MOST`` cases: every
    kept brief is stale, and making an office's view again would evaluate it whole)."""
    from casecli.core.measures.kept_counts import MOST

    row = conn.execute(
        "SELECT count(*), max(case_id = '*') FROM sync_cases WHERE sync_id = ?", (sync_id,)
    ).fetchone()
    return bool(row[0]) and row[0] <= MOST and not row[1]


def _marks_before(conn: sqlite3.Connection) -> tuple[tuple[int, ...], str] | None:
    """Inside a sync's transaction: the store's marks (``kept.marks_now``) as it was before
    the sync, read on a second connection; None when there is none to read them on, or
    nothing kept beside the store to make again (no folder: a store's first sync, whose
    journal is not WAL, and whose lock a second connection would wait on)."""
    from casecli.core.local import nextcache
    from casecli.core.store import store

    path = kept.store_path(conn)
    if path is None or not nextcache.folder(path).is_dir():
        return None
    before = store.sibling(conn, wait_ms=0)  # (never wait on the sync's own lock)
    if before is None:
        return None
    try:
        return kept.marks_now(before)
    except sqlite3.Error:
        return None
    finally:
        before.close()


def refresh_views(
    conn: sqlite3.Connection, *, today: date, books: dict[str, playbooks.Playbook],
    coef: dict[str, float], sync_id: int, then: tuple[tuple[int, ...], str],
) -> None:  # fmt: skip
    """After a sync (``sync_id``) and ``briefs.refresh_briefs``: make again the whole views
    (``kept_places.KeptView``) kept for ``today`` or later that were true of the store as the
    sync found it (``then``: its marks, ``kept.marks_now``) and that a view with these
    settings would read (an office's, either redact setting), and keep them: the TUI's
    first screen after the sync reads its office whole. Only when nothing but the sync
    was written since it began; a view made before a goal set, say, whose briefs are no
    longer kept, is left to its viewer (here it would evaluate the whole office). An
    office of 60,000 cases reads its kept briefs into its view in about 1.7 s and 160 MB:
    the sync's hook runs this in another process (:func:`refresh_views_apart`), so that
    the sync's own memory does not grow with it. Bottlenecks kept are left to their
    views: ``bottlenecks --office`` reads an office of 60,000 cases in 1.5 s (under its
    target), and reading them here took 1.3 s and 230 MB more."""
    if kept.marks(conn) != (sync_id, *then[0][1:]):
        return
    rows = [r[:3] for r in kept_places.kept_views(conn, today) if r[3] == then[1]]
    if not rows:
        return
    stamps = {kept.stamp(conn, books, coef, r): r for r in (False, True)}
    for what, stamp, day in sorted(set(rows)):
        kind, _, place = what.partition(" ")
        when = date.fromisoformat(day)
        if kind == "office" and stamp in stamps and unit._has_office(conn, place):
            redact = stamps[stamp]
            keep = kept_places.KeptView(conn, what, when, books, coef, redact)  # (its marks first)
            try:
                keep.put(*office._office_view(conn, place, unit._office_name(conn, place), today=when,
                                      books=books, coef=coef, redact=redact))  # fmt: skip
            finally:
                keep.close()


def refresh_views_apart(
    path: Path, *, today: date, books: dict[str, playbooks.Playbook], coef: dict[str, float],
    sync_id: int, then: tuple[tuple[int, ...], str],
) -> None:  # fmt: skip
    """:func:`refresh_views`, then the users' kept ranked actions (``ranking.refresh_kept``),
    in another process (``casecli.core.apart``), waited for: a large office's view, or a
    manager's ranked list, takes as much memory as the office has cases; the sync's must not
    (DESIGN.md: under 300 MB whatever the size; a 60,000-case office's view made in the
    sync's own process took it from 200 to 280 MB). Nothing when the process cannot start
    or fails: the first view makes its own."""
    import pickle

    from casecli.core.apart import Apart

    try:
        work = Apart(CHILD, (str(path), today, books, coef, sync_id, then))
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        return
    try:
        work.result()
    except ValueError:  # it failed: the views make their own
        pass
    except KeyboardInterrupt:  # Ctrl-C after the sync committed and said so: not an error
        work.stop()


# What the other process runs.
CHILD = "from casecli.core.views.after_sync import _child; _child()"


def _child() -> None:
    """In the sync hook's other process (:func:`refresh_views_apart`): the kept office
    views made again (:func:`refresh_views`), then the users' kept ranked actions
    (``ranking.refresh_kept``), on the store given."""
    from casecli.core import apart
    from casecli.core.store import store

    path, today, books, coef, sync_id, then = apart.given()
    conn = store.connect(Path(path))
    try:
        refresh_views(conn, today=today, books=books, coef=coef, sync_id=sync_id, then=then)
        ranking.refresh_kept(conn, db=Path(path), today=today)
    finally:
        conn.close()
    apart.answer(None)
