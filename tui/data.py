"""The TUI's one door to the store: each call opens its own connection (thread workers
run them), acts as the signed-in user, and returns casecli.core's values. No Textual here."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from casecli.core.engine import playbooks, urgency
from casecli.core.engine.engine import Action, CaseView
from casecli.core.local import config, record
from casecli.core.measures import goals, measures, score
from casecli.core.store import freshness, scope, store
from casecli.core.store.scope import Actor
from casecli.core.views import card as cards
from casecli.core.views import caseload, staffing
from casecli.core.views import office as offices
from casecli.core.views import unit as units
from casecli.core.views.card import Card as CaseCard  # the CLI's card, the same sentences
from casecli.core.views.load import WorkerLoad


@dataclass
class Session:
    db: Path | str  # a store's file, or a team store's postgresql:// address
    user: str
    today: date
    redact: bool = False
    playbooks_dir: Path | None = None
    books: dict[str, playbooks.Playbook] = field(default_factory=dict)
    coef: dict[str, float] = field(default_factory=dict)
    # the first screen's view, being worked out in another process (tui.prefetch)
    prefetched: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._pending: Any = self.prefetched
        self.books = playbooks.load(self.playbooks_dir or config.playbooks_dir())
        self.coef = urgency.coefficients(config.urgency_overrides())

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        if isinstance(self.db, str):  # a team store: the session's login is who reads
            from casecli.core.store import team

            conn: Any = team.open_store(self.db)
        else:
            conn = store.connect(self.db)
        try:
            yield conn
        finally:
            conn.close()

    def _who(self, conn: sqlite3.Connection) -> Actor:
        """The user acting, on this connection: on a team store the login's staff member
        (an admin acting as the user: set on the connection, so that its writes say so)."""
        if isinstance(self.db, str):
            from casecli.core.store import team

            return team.actor(conn, self.user)
        return scope.actor(conn, self.user)

    def _kw(self) -> dict[str, Any]:
        return {"today": self.today, "books": self.books, "coef": self.coef, "redact": self.redact}

    def actor(self) -> Actor:
        with self.connect() as conn:
            return self._who(conn)

    def freshness(self) -> str | None:
        """'data as of 2026-12-01 (8 days ago)' when the newest export is more than a day
        older than today, else None (:mod:`casecli.core.store.freshness`)."""
        with self.connect() as conn:
            return freshness.note(freshness.latest_export(conn)[1], self.today)

    def stamp(self) -> tuple[int, ...]:
        """Changes when any process writes the store (a sync, a record): file mtimes, or
        on a team store the latest rows anyone wrote that the login reads; the first
        screen's, when another process reads it (taken before it started)."""
        if self.prefetched is not None and not self.prefetched.cancelled:
            return tuple(self.prefetched.stamp)
        if isinstance(self.db, str):
            from casecli.core.store import team

            with self.connect() as conn:
                return team.written(conn)
        return store.write_stamp(self.db)

    def close(self) -> None:
        """The app is closing: stop reading a first screen nobody will see."""
        if self._pending is not None:
            self._pending.cancel()

    # Reads -------------------------------------------------------------------------

    def _taken(self, method: str, arg: str) -> Any | None:
        """The prefetched view, when it is this one (once: a reload reads the store)."""
        pending, self.prefetched = self.prefetched, None
        self._pending = pending  # still stopped by close() while it is waited for
        if pending is None:
            return None
        if pending.key != (method, arg, self.redact):
            pending.cancel()
            return None
        return pending.get()

    def unit(self, unit_id: str) -> units.UnitView:
        if (kept := self._taken("unit", unit_id)) is not None:
            return kept
        with self.connect() as conn:
            return units.unit_view(conn, self._who(conn), unit_id, **self._kw())

    def office(self, office_id: str) -> units.OfficeView:
        if (kept := self._taken("office", office_id)) is not None:
            return kept
        with self.connect() as conn:
            return offices.office_view(conn, self._who(conn), office_id, **self._kw())

    def worker(self, staff_id: str) -> tuple[WorkerLoad, list[CaseView]]:
        with self.connect() as conn:
            return units.worker_cases(conn, self._who(conn), staff_id, **self._kw())

    def cases(self, case_ids: list[str]) -> list[CaseView]:
        """These cases (of a board column, a bottleneck), those in scope, most urgent first."""
        with self.connect() as conn:
            who = self._who(conn)
            return caseload.views_of(conn, who, case_ids, **self._kw())

    def cases_and_workers(
        self, case_ids: list[str]
    ) -> tuple[list[CaseView], dict[str, staffing.Worker]]:
        """:meth:`cases`, and the workers whose cases they are (by staff id)."""
        views = self.cases(case_ids)
        with self.connect() as conn:
            return views, staffing.workers(conn, {v.case["worker_id"] for v in views})

    def my_cases(self) -> list[CaseView]:
        """The open cases in the user's scope, most urgent first (``casecli caseload``),
        each ranked as ``casecli next`` ranks it: with the goals its worker is behind on
        and whether the user is its worker."""
        with self.connect() as conn:
            who = self._who(conn)
            behind = caseload.behind(conn, who, self.today, self.books)
            return caseload.open_views(conn, who, **self._kw(), behind=behind, me=who.staff_id)

    def next_actions(self) -> list[Action]:
        """Their actions, ranked (``casecli next``)."""
        return caseload.ranked_actions(self.my_cases())

    def waiting(self) -> list[caseload.WaitGroup]:
        """What those cases wait on, grouped (``casecli waiting``)."""
        return caseload.waiting(self.my_cases())

    def score(self) -> score.Scorecard:
        """The user's measures against goals, beside unit and office (``casecli score``
        with no options: each measure for its own period)."""
        with self.connect() as conn:
            where = score.resolve_scope(conn, self._who(conn))
            options = measures.Options.from_playbooks(self.books)
            return score.scorecard(conn, where, None, self.today, options=options)

    def case(self, case_id: str) -> CaseCard:
        with self.connect() as conn:
            scope.check_case(conn, self._who(conn), case_id)
            card = cards.load(conn, case_id, **self._kw())
            if card is None:
                from casecli.core.errors import CasecliError

                raise CasecliError(f"Case {case_id} was marked gone by a full export.")
            return card

    def units(self) -> list[tuple[str, str]]:
        """The units this user may open: (unit id, name)."""
        with self.connect() as conn:
            return units.units_for(conn, self._who(conn))

    # Writes ------------------------------------------------------------------------

    def record_event(self, case_id: str, kind: str, **kw: Any) -> int:
        with self.connect() as conn:
            who = self._who(conn)
            return record.record_event(
                conn, who, case_id, kind, today=self.today, books=self.books, **kw
            )

    def add_barrier(self, case_id: str, what: str, **kw: Any) -> int:
        with self.connect() as conn:
            who = self._who(conn)
            return record.add_barrier(
                conn, who, case_id, what, today=self.today, books=self.books, **kw
            )

    def resolve_barrier(self, barrier_id: int, note: str | None = None) -> dict[str, Any]:
        with self.connect() as conn:
            who = self._who(conn)
            return record.resolve_barrier(conn, who, barrier_id, today=self.today, note=note)

    def record_progress(self, case_id: str, goal_id: str, **kw: Any) -> int:
        with self.connect() as conn:
            who = self._who(conn)
            return record.record_progress(conn, who, case_id, goal_id, today=self.today, **kw)

    def may_set_goal(self, kind: str, scope_id: str) -> None:
        """Raise the one sentence that says why this user may not set goals here."""
        with self.connect() as conn:
            goals.may_set(conn, self._who(conn), kind, scope_id)

    def set_goal(
        self, kind: str, scope_id: str, measure: str, target: float, period: str | None
    ) -> goals.Goal:
        with self.connect() as conn:
            who = self._who(conn)
            return goals.set_goal(conn, who, kind, scope_id, measure, target, period)
