"""Goals: who may set them, each with its audit row; inheritance worker → unit → office.

Organisation (tests/fixtures/measures): office O1 = unit U1 (supervisor S1; workers W1,
W2) + unit U2 (S2; W3), manager M1; office O2 = unit U3 (S3; W4), manager M2; admin A1.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casecli.core.errors import CasecliError, UsageError
from casecli.core.ingest.sync import sync
from casecli.core.measures import goals
from casecli.core.store import scope, team
from casecli.core.store.dialect import PostgresConnection
from tests.conftest import FIXTURES, TEAMS, TODAY, as_team, drop_team, login_of


class TeamGoals:
    """The measures fixture in a team store: each person through their own login
    (:meth:`as_`), every row through its owner's (:meth:`execute`, as a SQLite
    connection reads them in these tests)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conns: dict[str, Any] = {}
        self.owner = team.open_store(url)

    def as_(self, staff_id: str) -> Any:
        if staff_id not in self.conns:
            self.conns[staff_id] = team.open_store(login_of(self.url, staff_id, "goals") or "")
        return self.conns[staff_id]

    def execute(self, sql: str, params: Any = ()) -> Any:
        return self.owner.execute(sql, params)

    def close(self) -> None:
        for conn in (*self.conns.values(), self.owner):
            conn.close()


@pytest.fixture
def gstore(
    conn: sqlite3.Connection, backend: object | None, db_path: Path
) -> Iterator[sqlite3.Connection]:
    """The measures fixture synced (issue 17 item 7: on both stores; on a team store each
    goal is set by its setter's own login)."""
    assert sync(conn, FIXTURES / "measures", today=TODAY).status == "applied"
    if backend is None:
        yield conn
        return
    url = str(as_team(db_path, backend))
    t = TeamGoals(url)
    yield t  # type: ignore[misc]
    t.close()
    drop_team(url)


def _on(store: Any, staff_id: str) -> Any:
    """The connection ``staff_id`` acts through: their own login's on a team store."""
    return store.as_(staff_id) if isinstance(store, TeamGoals) else store


def who(conn: Any, staff_id: str) -> scope.Actor:
    conn = _on(conn, staff_id)
    return (
        team.actor(conn, None)
        if isinstance(conn, PostgresConnection)
        else scope.actor(conn, staff_id)
    )


def put(
    conn: Any,
    by: str,
    target_scope: str,
    measure: str,
    target: float,
    period: str | None = None,
    at: str = "2026-11-24T10:00:00",
) -> goals.Goal:
    kind, scope_id = goals.parse_scope(target_scope)
    return goals.set_goal(
        _on(conn, by), who(conn, by), kind, scope_id, measure, target, period, now=at
    )


def table_counts(conn: Any) -> tuple[int, int]:
    return (
        conn.execute("SELECT count(*) FROM performance_goals").fetchone()[0],
        conn.execute("SELECT count(*) FROM audit_log").fetchone()[0],
    )


def target(conn: sqlite3.Connection, kind: str, scope_id: str, period: str | None) -> float:
    goal = goals.goal_for(conn, kind, scope_id, "monthly_visits", period)
    assert goal is not None
    return goal.target


def test_a_goal_is_stored_with_its_audit_row(gstore: sqlite3.Connection) -> None:
    goal = put(gstore, "S1", "unit:U1", "monthly_visits", 95, at="2026-11-24T10:00:00")
    assert (goal.scope, goal.measure, goal.target, goal.period, goal.set_by) == (
        "unit:U1", "monthly_visits", 95.0, None, "S1",
    )  # fmt: skip
    row = gstore.execute(
        "SELECT at, who, action, entity, entity_id, detail FROM audit_log"
    ).fetchone()
    # (a team store's audit row is written by its trigger, at the server's time and in the
    # session login's name, never what the client says: security.sql)
    on_team = isinstance(gstore, TeamGoals)
    at = row[0] if on_team else "2026-11-24T10:00:00"
    by = TEAMS[gstore.url].login("S1") if on_team else "S1"
    assert row[:5] == (at, by, "goal", "performance_goals", str(goal.id))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ?", at)
    # (the team store's trigger names the row's own columns)
    scope_of = {"scope_kind": "unit", "scope_id": "U1", "set_by": "S1"} if on_team else {
        "scope": "unit:U1"}  # fmt: skip
    assert json.loads(row[5]) == {
        **scope_of, "measure": "monthly_visits", "target": 95.0, "period": None,
    }  # fmt: skip


def test_workers_cannot_set_goals(gstore: sqlite3.Connection) -> None:
    with pytest.raises(CasecliError, match=r"^Workers cannot set goals; ask your supervisor\.$"):
        put(gstore, "W1", "worker:W1", "monthly_visits", 95)
    assert table_counts(gstore) == (0, 0)


@pytest.mark.parametrize(
    ("by", "allowed", "refused"),
    [
        ("S1", ["unit:U1", "worker:W1", "worker:W2"], ["unit:U2", "worker:W3", "office:O1"]),
        (
            "M1",
            ["office:O1", "unit:U1", "unit:U2", "worker:W3"],
            ["office:O2", "unit:U3", "worker:W4"],
        ),
        ("A1", ["office:O1", "office:O2", "unit:U3", "worker:W4"], []),
    ],
)
def test_supervisors_within_their_unit_managers_their_office(
    gstore: sqlite3.Connection, by: str, allowed: list[str], refused: list[str]
) -> None:
    # (a measure of the program the scope carries: W2 and W4 work child support)
    support = {"worker:W2", "office:O2", "unit:U3", "worker:W4"}
    for target_scope in allowed:
        measure = "support_orders" if target_scope in support else "monthly_visits"
        put(gstore, by, target_scope, measure, 90)
    for target_scope in refused:
        measure = "support_orders" if target_scope in support else "monthly_visits"
        with pytest.raises(CasecliError, match="is not in it") as exc:
            put(gstore, by, target_scope, measure, 90)
        assert "\n" not in str(exc.value)
    # Every refusal left nothing behind; every goal has its audit row.
    assert table_counts(gstore) == (len(allowed), len(allowed))


@pytest.mark.parametrize(
    ("target_scope", "measure", "value", "period", "error", "says"),
    [
        ("unit:U1", "visits", 95, None, UsageError, "not a measure casecli knows"),
        ("unit:U1", "cost_effectiveness", 3, None, UsageError,
         "cost_effectiveness is an office-level measure .* not a unit"),
        ("worker:W1", "cost_effectiveness", 3, None, UsageError, "for an office .* not a worker"),
        ("office:O1", "cost_effectiveness", 0, None, UsageError,
         r"dollars collected per dollar spent, above 0 and at most 100 \(4.5 for \$4.50"),
        ("office:O1", "cost_effectiveness", 101, None, UsageError, "at most 100"),
        ("unit:U9", "monthly_visits", 95, None, CasecliError, "There is no unit U9"),
        ("worker:X9", "monthly_visits", 95, None, CasecliError, "no staff member X9"),
        ("unit:U1", "monthly_visits", 120, None, UsageError, "a percent from 0 to 100"),
        ("unit:U1", "placement_stability", -1, None, UsageError, "a rate of 0 or more"),
        ("unit:U1", "monthly_visits", 95, "2026-13", UsageError, "not a real month"),
    ],
)  # fmt: skip
def test_mistakes_are_one_sentence(
    gstore: sqlite3.Connection,
    target_scope: str,
    measure: str,
    value: float,
    period: str | None,
    error: type[Exception],
    says: str,
) -> None:
    with pytest.raises(error, match=says):
        put(gstore, "M1", target_scope, measure, value, period)
    assert table_counts(gstore) == (0, 0)


def test_bad_scope_text() -> None:
    for text in ("team:U1", "unit", "unit:", "U1"):
        with pytest.raises(UsageError, match="not a goal scope"):
            goals.parse_scope(text)
    assert goals.parse_scope(" Unit:U1 ") == ("unit", "U1")


def test_a_worker_inherits_the_unit_and_the_unit_the_office(gstore: sqlite3.Connection) -> None:
    put(gstore, "M1", "office:O1", "monthly_visits", 90)
    found = goals.goal_for(gstore, "worker", "W1", "monthly_visits", "2026-10")
    assert found is not None and found.scope == "office:O1"
    found = goals.goal_for(gstore, "unit", "U1", "monthly_visits", "2026-10")
    assert found is not None and found.scope == "office:O1"
    put(gstore, "S1", "unit:U1", "monthly_visits", 95)
    found = goals.goal_for(gstore, "worker", "W1", "monthly_visits", "2026-10")
    assert found is not None and (found.scope, found.target) == ("unit:U1", 95.0)
    # W3 is in U2, which has no goal: the office's.
    assert target(gstore, "worker", "W3", None) == 90.0
    put(gstore, "S1", "worker:W1", "monthly_visits", 97)
    assert target(gstore, "worker", "W1", "2026-10") == 97.0
    assert target(gstore, "worker", "W2", "2026-10") == 95.0
    # Nothing set anywhere up the chain; an office in another chain.
    assert goals.goal_for(gstore, "worker", "W1", "support_orders", "2026-10") is None
    assert goals.goal_for(gstore, "office", "O2", "monthly_visits", "2026-10") is None


def test_a_period_goal_beats_an_every_period_goal_and_the_latest_wins(
    gstore: sqlite3.Connection,
) -> None:
    put(gstore, "S1", "unit:U1", "monthly_visits", 90, at="2026-11-01T09:00:00")
    put(gstore, "S1", "unit:U1", "monthly_visits", 98, "2026-12", at="2026-11-02T09:00:00")
    put(gstore, "S1", "unit:U1", "monthly_visits", 92, at="2026-11-03T09:00:00")
    assert target(gstore, "unit", "U1", "2026-11") == 92.0
    assert target(gstore, "unit", "U1", "2026-12") == 98.0
    # A goal for another period does not apply; an every-period goal always may.
    assert target(gstore, "worker", "W2", "FFY2027") == 92.0
    # Set twice at the same instant: the later row wins.
    put(gstore, "S1", "unit:U1", "monthly_visits", 93, at="2026-11-03T09:00:00")
    assert target(gstore, "unit", "U1", None) == 93.0
    # The nearer scope wins over a period goal further up: the worker's own every-period
    # goal beats the unit's goal for the period.
    put(gstore, "S1", "worker:W1", "monthly_visits", 80)
    assert target(gstore, "worker", "W1", "2026-12") == 80.0


def test_goals_for_every_measure_at_once(gstore: sqlite3.Connection) -> None:
    put(gstore, "M1", "office:O1", "support_orders", 80)
    put(gstore, "S1", "unit:U1", "monthly_visits", 95)
    found = goals.goals_for(gstore, "worker", "W2", "2026-10")
    assert {m: g.scope for m, g in found.items()} == {
        "support_orders": "office:O1",
        "monthly_visits": "unit:U1",
    }


def test_every_workers_goals_at_once_are_each_ones_own(gstore: sqlite3.Connection) -> None:
    # focus reads an office's workers' goals in one query (goals_for_each over
    # worker_chains), not two per worker: on a team store each is a round trip. The
    # same goal applies as goals_for finds for each worker alone: the nearest scope, a
    # period's goal before an every-period one at the same scope, the latest set.
    put(gstore, "M1", "office:O1", "monthly_visits", 90, at="2026-11-01T09:00:00")
    put(gstore, "M1", "office:O1", "support_orders", 80, at="2026-11-01T09:00:00")
    put(gstore, "S1", "unit:U1", "monthly_visits", 95, at="2026-11-02T09:00:00")
    put(gstore, "S1", "unit:U1", "monthly_visits", 98, "2026-12", at="2026-11-03T09:00:00")
    put(gstore, "S1", "worker:W1", "monthly_visits", 80, "2026-10", at="2026-11-04T09:00:00")
    put(gstore, "S1", "worker:W2", "support_orders", 70, at="2026-11-05T09:00:00")
    staff = [r[0] for r in gstore.execute("SELECT staff_id FROM staff ORDER BY 1").fetchall()]
    reaches = goals.worker_chains(gstore, [*staff, "NOBODY"])
    assert reaches["W1"] == [("worker", "W1"), ("unit", "U1"), ("office", "O1")]
    assert reaches["NOBODY"] == [("worker", "NOBODY")]
    for period in ("2026-10", "2026-12", "FFY2027", None):
        each = goals.goals_for_each(gstore, reaches, period)
        assert each == {w: goals.goals_for(gstore, "worker", w, period) for w in reaches}
    shown = goals.goals_for_each(gstore, reaches, "2026-10")
    assert {m: (g.scope, g.target) for m, g in shown["W1"].items()} == {
        "monthly_visits": ("worker:W1", 80.0), "support_orders": ("office:O1", 80.0)
    }  # fmt: skip
    assert shown["W2"]["monthly_visits"].target == 95.0
    assert goals.goals_for_each(gstore, reaches, "2026-12")["W2"]["monthly_visits"].target == 98


def test_list_shows_what_each_one_reaches_and_inherits(gstore: sqlite3.Connection) -> None:
    put(gstore, "M1", "office:O1", "support_orders", 80)
    put(gstore, "M1", "unit:U2", "monthly_visits", 90)
    put(gstore, "S1", "unit:U1", "monthly_visits", 95)
    put(gstore, "S1", "worker:W1", "monthly_visits", 97)
    put(gstore, "S1", "worker:W2", "support_orders", 85)
    put(gstore, "M2", "office:O2", "support_orders", 75)

    def seen(staff_id: str) -> list[str]:
        return [g.scope for g in goals.list_goals(_on(gstore, staff_id), who(gstore, staff_id))]

    assert seen("W1") == ["office:O1", "unit:U1", "worker:W1"]
    assert seen("S1") == ["office:O1", "unit:U1", "worker:W1", "worker:W2"]
    assert seen("M1") == ["office:O1", "unit:U1", "unit:U2", "worker:W1", "worker:W2"]
    assert seen("A1") == [
        "office:O1", "office:O2", "unit:U1", "unit:U2", "worker:W1", "worker:W2",
    ]  # fmt: skip


def test_list_latest_only_unless_history(gstore: sqlite3.Connection) -> None:
    put(gstore, "S1", "unit:U1", "monthly_visits", 90, at="2026-11-01T09:00:00")
    put(gstore, "S1", "unit:U1", "monthly_visits", 95, at="2026-11-02T09:00:00")
    put(gstore, "S1", "unit:U1", "monthly_visits", 99, "2026-12", at="2026-11-02T09:00:00")
    s1 = who(gstore, "S1")
    assert [(g.target, g.period) for g in goals.list_goals(_on(gstore, "S1"), s1)] == [
        (95.0, None),
        (99.0, "2026-12"),
    ]
    history = goals.list_goals(_on(gstore, "S1"), s1, history=True, measure="monthly_visits")
    assert [g.target for g in history] == [95.0, 90.0, 99.0]


def test_a_goal_on_the_other_programs_measure_is_refused(gstore: sqlite3.Connection) -> None:
    # Issue 13 item 14: W2 carries only child support cases; a visits goal could never be
    # met nor missed. U1 carries both programs (W1's and W2's): either is accepted.
    with pytest.raises(UsageError) as exc:
        put(gstore, "S1", "worker:W2", "monthly_visits", 90)
    assert str(exc.value) == (
        "monthly_visits is a child welfare measure; worker W2 carries child support cases."
    )
    with pytest.raises(UsageError, match="is a child support measure; worker W1 carries"):
        put(gstore, "S1", "worker:W1", "current_collections", 70)
    put(gstore, "S1", "unit:U1", "current_collections", 70)
    put(gstore, "S1", "unit:U1", "monthly_visits", 95)
    assert table_counts(gstore) == (2, 2)
