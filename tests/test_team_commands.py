"""The commands on a team store (issue 17 items 1, 2 and 7): each says, in its --json and
its exit code, what it says on the personal store holding the same data, for a worker, a
supervisor, a manager and an admin, each logged in as themselves; what they record, the
others within scope see at once, through casecli; SQLite's functions the measures use mean
the same on PostgreSQL. On a real server (tests/pgserver.py), against sample.db."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.core.errors import CasecliError
from tests import pgserver

TODAY = "2026-11-24"  # sample.db's export day (a demo store reads as of it anyway)
WORKER, OTHER_WORKER, SUPERVISOR, MANAGER, ADMIN = "S0003", "S0004", "S0002", "S0001", "S0037"
RUNNER = CliRunner(env={"CASECLI_CONFIG": "/nonexistent/c.toml", "CASECLI_USER": None})


@pytest.fixture(scope="module")
def pg() -> Iterator[pgserver.Server]:
    with pgserver.running() as server:
        yield server


class Both:
    """The same data in a team store and in a copy of sample.db: :meth:`lite` runs a
    command on the copy ``--as`` the staff member, :meth:`team` on the team store as
    their login."""

    def __init__(self, server: pgserver.Server, folder: Path) -> None:
        self.t = pgserver.sample_team(server)
        self.db = folder / "sample.db"
        shutil.copy(pgserver.SAMPLE, self.db)

    def lite(self, staff_id: str, *args: str) -> Any:
        return RUNNER.invoke(app, ["--db", str(self.db), "--as", staff_id, "--json",
                                   "--today", TODAY, *args])  # fmt: skip

    def team(self, staff_id: str, *args: str) -> Any:
        return RUNNER.invoke(app, ["--db", self.t.url_of(staff_id), "--json", "--today", TODAY,
                                   *args])  # fmt: skip

    def same(self, staff_id: str, *args: str) -> Any:
        """Run on both; assert the same exit code and --json; the parsed output."""
        want, got = self.lite(staff_id, *args), self.team(staff_id, *args)
        assert got.exit_code == want.exit_code, (args, got.output, want.output)
        assert "Traceback" not in got.output
        if want.exit_code:
            return None
        assert _steady(json.loads(got.stdout)) == _steady(json.loads(want.stdout)), (
            staff_id,
            args,
        )
        return json.loads(got.stdout)


def _steady(shown: Any) -> Any:
    """A write's --json without the moment it was written (each store's own clock)."""
    if isinstance(shown, dict):
        return {k: v for k, v in shown.items() if k not in ("recorded_at", "set_at")}
    return shown


@pytest.fixture(scope="module")
def both(pg: pgserver.Server, tmp_path_factory: pytest.TempPathFactory) -> Both:
    """Shared by the read-only tests below: goals set on both (by the manager and the
    supervisor, through casecli) so that score and focus have something to say."""
    b = Both(pg, tmp_path_factory.mktemp("both"))
    for who, scope, measure, target in (
        (MANAGER, "office:O01", "monthly_visits", "99"),
        (MANAGER, "office:O01", "timely_response", "99"),
        (SUPERVISOR, "unit:U001", "visits_in_home", "99"),
        (SUPERVISOR, f"worker:{WORKER}", "investigations_closed_on_time", "99"),
    ):
        for run in (b.lite, b.team):
            got = run(who, "goals", "set", scope, measure, target)
            assert got.exit_code == 0, got.output
    return b


READS = (
    ("next", "-n", "1000"), ("caseload",), ("waiting",), ("unit",), ("unit", "U001"),
    ("bottlenecks",), ("bottlenecks", "--office", "O01"),
    ("focus",), ("case", "C0000165"), ("case", "C0000530"),
)  # fmt: skip


@pytest.mark.parametrize("staff_id", [WORKER, SUPERVISOR, MANAGER, ADMIN])
def test_each_read_command_says_on_a_team_store_what_it_says_on_sqlite(
    both: Both, staff_id: str
) -> None:
    # DESIGN.md: "The same commands, output and exit codes on both". Each person logged in
    # as themselves (the database's row-level security deciding what they read) gets the
    # --json the personal store gives them --as themselves: their ranked actions, their
    # caseload, what it waits on, their unit's or office's view, a case card, a case
    # outside their scope (refused on both).
    shown = {}
    for args in READS:
        shown[args] = both.same(staff_id, *args)
    assert shown[("next", "-n", "1000")], staff_id  # (each has something to do)
    if staff_id in (SUPERVISOR, MANAGER):  # (an admin names the unit: unit U001)
        assert shown[("unit",)] is not None
    # the goals list, without the moment each was set (each store's own clock)
    lists = [json.loads(r(staff_id, "goals", "list").stdout) for r in (both.lite, both.team)]
    for rows in lists:
        for g in rows:
            g.pop("set_at")
    assert lists[0] == lists[1] and len(lists[0]) == 4


ACROSS = ("permanency_12_months", "permanency_12_23_months", "permanency_24_months",
          "reentry_12_months", "placement_stability", "maltreatment_in_care",
          "recurrence_12_months")  # fmt: skip


def _across_cases_unshown(want: dict[str, Any], got: dict[str, Any]) -> None:
    """Check that ``got`` (a team store's score, a login reading part of the cases) has no
    figure for the measures that follow a child across cases, and says why; then make
    those lines ``want``'s (the personal store's), so the rest compares whole."""
    for i, (a, b) in enumerate(zip(want["measures"], got["measures"], strict=True)):
        if b["measure"] in ACROSS:
            assert b["performance"] is None and b["applicable"] is False, b
            assert "your login reads only some of them" in (b["note"] or ""), b
            got["measures"][i] = dict(a)


@pytest.mark.parametrize("staff_id", [MANAGER, ADMIN])
def test_the_score_of_whoever_reads_the_whole_office_is_the_personal_stores(
    both: Both, staff_id: str
) -> None:
    # An admin reads every case: their score is the personal store's, line for line. A
    # manager reads their office's: the same, but for the measures that follow a child
    # across cases (a removal or a finding in another office's case), which have no
    # figure on a team store rather than one counted from part of a child's cases.
    for args in (("score",), ("score", "--office", "O01"), ("score", "--unit", "U001"),
                 ("score", "--worker", WORKER, "--period", "2026-10")):  # fmt: skip
        want = json.loads(both.lite(staff_id, *args).stdout)
        got = json.loads(both.team(staff_id, *args).stdout)
        if staff_id == MANAGER:
            _across_cases_unshown(want, got)
        assert got == want, args
        assert "not_shown" not in got
    line = next(x for x in got["measures"] if x["measure"] == "monthly_visits")
    both.same(staff_id, "focus", "--period", "2026-10")
    card = json.loads(both.team(staff_id, "score", "--office", "O01").stdout)
    line = next(x for x in card["measures"] if x["measure"] == "monthly_visits")
    assert line["goal"] == 99.0 and line["performance"] is not None


def test_a_scope_the_login_cannot_read_is_never_counted_from_what_it_can(both: Both) -> None:
    # On the personal store a worker's card stands beside their unit's and office's
    # figures, counted over cases the worker may not open. On a team store the database
    # shows the worker their own cases alone: a unit figure counted from them would be
    # their own, labelled the unit's. So there is none ("not_shown" says which), the own
    # figures are the personal store's, and a unit or office card is refused in a sentence.
    for staff_id, hidden in ((WORKER, ["unit", "office"]), (SUPERVISOR, ["office"])):
        want = json.loads(both.lite(staff_id, "score").stdout)
        got = json.loads(both.team(staff_id, "score").stdout)
        assert got.pop("not_shown") == hidden
        _across_cases_unshown(want, got)
        for a, b in zip(want["measures"], got["measures"], strict=True):
            for kind in hidden:
                shown = b.pop(kind)
                assert shown is None or b["measure"] in ACROSS  # (those: want's, above)
                a.pop(kind)
        assert got == want
    got = both.team(WORKER, "score", "--unit", "U001")
    assert got.exit_code == 1
    assert "your login reads your own cases alone, so unit U001's figures" in got.stderr
    got = both.team(SUPERVISOR, "score", "--office", "O01")
    assert got.exit_code == 1 and "your unit's cases alone" in got.stderr
    assert both.team(SUPERVISOR, "score", "--worker", WORKER).exit_code == 0
    text = RUNNER.invoke(app, ["--db", both.t.url_of(WORKER), "--today", TODAY, "score"])
    assert "no unit or office figure: on this team store your login reads your own" in " ".join(
        text.stdout.split()
    )


def test_the_rejects_are_an_admins(both: Both) -> None:
    got = both.same(ADMIN, "rejects")
    assert got == []
    got = both.team(MANAGER, "rejects")
    assert got.exit_code == 1 and "only an admin reads the rejects" in got.stderr
    assert both.lite(MANAGER, "rejects").exit_code == 0  # (a personal store: its owner's)


def test_a_supervisor_and_two_workers_see_one_anothers_work_through_casecli(
    pg: pgserver.Server, tmp_path: Path
) -> None:
    # The "done when", through the commands people type: two workers of one unit
    # record a visit and a barrier each on their own case; their supervisor sees both in
    # the case cards and in the unit's waiting, and clears one; neither worker sees the
    # other's case; the same steps on a personal store give the same cards.
    b = Both(pg, tmp_path)
    mine, theirs = "C0000165", "C0000530"
    steps: list[tuple[str, tuple[str, ...]]] = [
        (WORKER, ("record", mine, "caseworker_visit", "--person", "P0000612",
                  "--location", "home", "--on", TODAY)),
        (WORKER, ("wait", mine, "the drug screen result", "--service", "substance_treatment",
                  "--expect", "2026-12-10")),
        (OTHER_WORKER, ("record", theirs, "collateral_contact", "--on", TODAY)),
        (OTHER_WORKER, ("wait", theirs, "a housing voucher", "--service", "housing")),
    ]  # fmt: skip
    for staff_id, args in steps:
        b.same(staff_id, *args)
    card = b.same(SUPERVISOR, "case", mine)
    assert any(x["what"] == "the drug screen result" for x in card["barriers"])
    assert card["recent"][0] | {"source": "recorded"} == card["recent"][0]
    assert card["recent"][0]["kind"] == "caseworker_visit"
    card = b.same(SUPERVISOR, "case", theirs)
    assert any(x["what"] == "a housing voucher" for x in card["barriers"])
    waits = b.same(SUPERVISOR, "waiting")
    assert {(mine, "the drug screen result"), (theirs, "a housing voucher")} <= {
        (c["case_id"], c["what"]) for group in waits for c in group["cases"]
    }
    # nobody sees past their scope: not the other worker's case, nor its rows in raw SQL
    got = b.team(WORKER, "case", theirs)
    assert got.exit_code == 1 and f"no case {theirs} in your scope" in got.stderr
    with b.t.staff(WORKER) as conn:
        assert conn.execute(
            "SELECT count(*) FROM barriers WHERE case_id = %s", (theirs,)
        ).fetchone() == (0,)  # fmt: skip
    # the supervisor clears the worker's barrier; the worker's card no longer waits on it
    barrier = next(x["number"] for x in b.same(WORKER, "case", mine)["barriers"] if x["number"])
    b.same(SUPERVISOR, "resolve", str(barrier))
    assert not any(x["number"] for x in b.same(WORKER, "case", mine)["barriers"])
    b.same(WORKER, "next", "-n", "1000")
    # each write's audit row names the login that made it
    with b.t.owner() as conn:
        rows = conn.execute("SELECT who, action FROM audit_log ORDER BY id").fetchall()
    assert rows == [(b.t.login(WORKER), "record"), (b.t.login(WORKER), "wait"),
                    (b.t.login(OTHER_WORKER), "record"), (b.t.login(OTHER_WORKER), "wait"),
                    (b.t.login(SUPERVISOR), "resolve")]  # fmt: skip
    # an admin acting as a worker writes in the worker's name, audited as the admin
    got = RUNNER.invoke(app, ["--db", b.t.url_of(ADMIN), "--as", WORKER, "--today", TODAY,
                              "progress", mine, _goal_of(mine), "--percent", "40"])  # fmt: skip
    assert got.exit_code == 0, got.output
    with b.t.owner() as conn:
        row = conn.execute(
            "SELECT a.who, p.recorded_by FROM audit_log a JOIN goal_progress p"
            " ON p.id::text = a.entity_id ORDER BY a.id DESC LIMIT 1"
        ).fetchone()  # fmt: skip
    assert row == (f"admin {b.t.login(ADMIN)} acting as {WORKER}", WORKER)


def _goal_of(case_id: str) -> str:
    conn = sqlite3.connect(f"file:{pgserver.SAMPLE}?mode=ro", uri=True)
    try:
        return str(conn.execute(
            "SELECT goal_id FROM case_goals WHERE case_id = ? ORDER BY goal_id", (case_id,)
        ).fetchone()[0])  # fmt: skip
    finally:
        conn.close()


# SQLite's functions, as the team store has them (migrations/postgres/sqlite.sql): each
# expression reads the same on both, edge cases first (a day past the month's end runs
# over; a year or a month added keeps the day; an offset is moved to UTC; anything
# unreadable is NULL). A quoted literal alone, date('2026-01-01'), is PostgreSQL's cast to
# its own date type; casecli's SQL gives date() a column, a parameter with a modifier, or
# a number, never that.
SAME = [
    "julianday('2026-01-01')", "julianday('2026-01-01T12:00')",
    "julianday('2026-01-01 12:00:30.5')", "julianday('2026-01-01T12:00:00-05:00')",
    "julianday('2026-01-01T12:00Z')", "julianday('2026-02-30')", "julianday('nonsense')",
    "julianday('2026-01-01T24:00')", "julianday('2026-01-01T25:00')",
    "julianday('2026-01-01T12:60')", "julianday('2026-01-01T12:59:60')",
    "date('2026-05-17', '-3000000 days', '+3000000 days')",
    "julianday('2026-13-01')", "julianday(NULL)", "julianday('9999-12-31')",
    "date('2024-02-29', '+18 years')", "date('2026-01-31', '+1 month')",
    "date('2026-03-31', '-1 month')", "date('2026-01-01', '-1 year')",
    "date('2026-12-31', '+1 day')", "date('2026-05-17', '+30 days')",
    "date('2026-05-17', '+12 months')", "date('2026-05-17', 'start of month')",
    "date('2026-05-17', 'start of year')", "date(CAST('2026-01-01T23:30' AS TEXT))",
    "date(CAST('2026-01-01T23:30:00-05:00' AS TEXT))", "date('9999-12-31', '+1 day')",
    "date('2026-05-17', '+2 fortnights')", "date('2026-05-17', NULL)", "date(NULL, '+1 day')",
    "date(julianday('2026-02-30'))", "datetime(2461041.75)",
    "datetime(CAST('2026-01-01T12:00:00+02:00' AS TEXT))", "datetime('2026-01-31T08:15', '+1 month')",
    "julianday('2026-03-01') - julianday('2026-02-01')",
    "julianday('2026-01-01T23:59:59')", "julianday('2026-01-01 00:00')",
    "julianday('0001-01-01')", "julianday('2026-02-31T10:00')",
    "julianday(' 2026-01-01')", "julianday('2026-1-01')", "julianday('2026-01-01T12:00:5')",
    "julianday('2026-01-01T12:00:00Z')",
    "min(1, 2)", "max(3, 1, 2)", "min('2026-01-01', '2025-01-01', '2027-01-01')",
    "max('a', 'b', NULL)", "min(1, NULL)",
]  # fmt: skip
AGGREGATES = [
    "sum(x > 1)", "total(x)", "total(x > 1)", "max(x > 2)", "min(x > 2)", "sum(x)",
    "count(*)", "sum(x > 9)", "max(x > 9)",
]  # fmt: skip


def test_sqlites_functions_mean_the_same_on_the_team_store(both: Both) -> None:
    lite = sqlite3.connect(":memory:")
    from casecli.core.store import dialect

    with both.t.owner() as raw:
        team = dialect.PostgresConnection(raw)
        # in parallel workers, as the owner's (or an admin's) large reads run: a function
        # that starts a subtransaction (an EXCEPTION block) is refused there ("cannot
        # start subtransactions during a parallel operation", a measure of the office)
        for setting in (
            "parallel_setup_cost = 0",
            "parallel_tuple_cost = 0",
            "min_parallel_table_scan_size = 0",
            "max_parallel_workers_per_gather = 2",
        ):
            team.execute(f"SET {setting}")  # fmt: skip
        assert team.execute(
            "SELECT count(julianday(opened_on)), count(date(opened_on, '+1 month')),"
            " count(datetime(julianday(opened_on) + 0.5)) FROM cases"
        ).fetchone() == (1000, 1000, 1000)
        for expr in SAME:
            want = lite.execute(f"SELECT {expr}").fetchone()[0]
            got = team.execute(f"SELECT {expr}").fetchone()[0]
            close = pytest.approx(want, rel=0, abs=1e-6)  # (a day is 1.0: no slack of days)
            assert got == close if isinstance(want, float) else got == want, expr
        # julianday reads the exports' shapes by an inlined expression, every other by
        # casecli_julianday_text (migrations/postgres/sqlite.sql): the same double for
        # days across years 1 to 9999 and every day of a leap year, in each shape
        differ = team.execute("""
            WITH d(t) AS (
                SELECT to_char(day, 'YYYY-MM-DD') || s
                FROM (SELECT DATE '0001-01-01' + i * 997 FROM generate_series(0, 3660) AS i
                      UNION ALL
                      SELECT DATE '2024-01-01' + i FROM generate_series(0, 365) AS i) AS v(day),
                     unnest(ARRAY['', 'T00:00', ' 23:59:59', 'T12:07:05', 'T24:00']) AS s)
            SELECT count(*), count(*) FILTER (
                WHERE julianday(t) IS DISTINCT FROM casecli_julianday_text(t))
            FROM d""").fetchone()  # fmt: skip
        assert differ == (20135, 0)
        for rows in ("(1), (2), (3)", "(1), (NULL)"):
            for where in ("", " WHERE x < 0"):  # (over no rows: sum and max NULL, total 0.0)
                for expr in AGGREGATES:
                    sql = f"WITH v(x) AS (VALUES {rows}) SELECT {expr} FROM v{where}"
                    want = lite.execute(sql).fetchone()[0]
                    # SQLite's booleans are 0 and 1; the team store's max and min of
                    # booleans stay booleans (True == 1)
                    assert team.execute(sql).fetchone()[0] == want, (expr, rows, where)


def test_the_dialect_says_what_postgresql_says_otherwise() -> None:
    from casecli.core.store.dialect import to_postgres

    assert to_postgres("SELECT * FROM t WHERE a = ? AND b LIKE '%?%'") == (
        "SELECT * FROM t WHERE a = %s AND b LIKE '%%?%%'"
    )
    assert to_postgres("DROP TABLE IF EXISTS temp.sel") == "DROP TABLE IF EXISTS pg_temp.sel"
    assert to_postgres("CREATE UNIQUE INDEX temp.sel_case ON sel(case_id)") == (
        "CREATE UNIQUE INDEX sel_case ON sel(case_id)"
    )
    assert to_postgres("SELECT value FROM json_each(?)") == (
        "SELECT value FROM json_array_elements_text(%s::json)"
    )
    assert to_postgres("SELECT 'it''s ?', ?") == "SELECT 'it''s ?', %s"
    assert to_postgres("SELECT :lo, ':not', x::json FROM t WHERE d <= :today") == (
        "SELECT %(lo)s, ':not', x::json FROM t WHERE d <= %(today)s"
    )
    assert to_postgres("SELECT a IS b, a IS NOT b, a IS NULL, a IS NOT NULL, a IS TRUE") == (
        "SELECT a IS NOT DISTINCT FROM b, a IS DISTINCT FROM b, a IS NULL, a IS NOT NULL, a IS TRUE"
    )
    assert to_postgres("INSERT OR IGNORE INTO wanted VALUES (?)") == (
        "INSERT INTO wanted VALUES (%s) ON CONFLICT DO NOTHING"
    )
    assert to_postgres("CREATE TEMP TABLE k (case_id TEXT PRIMARY KEY) WITHOUT ROWID") == (
        "CREATE TEMP TABLE k (case_id TEXT PRIMARY KEY)"
    )
    assert to_postgres("SELECT 1 WHERE a = 1 AND +e.case_id IN (?) AND x + y > 2") == (
        "SELECT 1 WHERE a = 1 AND e.case_id IN (%s) AND x + y > 2"
    )
    assert to_postgres("BEGIN IMMEDIATE") == "BEGIN"
    assert to_postgres("SELECT a -- what's this? :x\nFROM t WHERE b = '--?' AND c = ?") == (
        "SELECT a \nFROM t WHERE b = '--?' AND c = %s"
    )
    assert to_postgres("SELECT \"a--b\", 1 /* don't ? */, 'it''s --x', ?") == (
        "SELECT \"a--b\", 1  , 'it''s --x', %s"
    )
    # a scope's workers (scope.workers_clause) as an array PostgreSQL reads cases_worker by;
    # any other IN (SELECT …) as written
    assert to_postgres("c.worker_id IN (SELECT staff_id FROM staff WHERE office_id = ?)") == (
        "c.worker_id = ANY (ARRAY(SELECT staff_id FROM staff WHERE office_id = %s))"
    )
    assert to_postgres("w IN ( select staff_id from staff where unit_id = :u )") == (
        "w = ANY (ARRAY(select staff_id from staff where unit_id = %(u)s))"
    )
    assert to_postgres("x IN (SELECT staff_id FROM staff WHERE unit_id = c.unit_id)") == (
        "x IN (SELECT staff_id FROM staff WHERE unit_id = c.unit_id)"
    )
    assert to_postgres("x NOT IN (SELECT staff_id FROM staff WHERE unit_id = ?)") == (
        "x NOT IN (SELECT staff_id FROM staff WHERE unit_id = %s)"
    )


def test_a_statements_materialized_ctes_are_read_as_written() -> None:
    from casecli.core.store.dialect import Cte, split_with, staged

    sql = """WITH pp(i, d) AS (VALUES (0, ')')), a AS MATERIALIZED (
        SELECT x FROM t WHERE y = ':(' AND z IN (SELECT 1)),
      b AS NOT MATERIALIZED (SELECT x FROM a), c AS MATERIALIZED (WITH k AS (SELECT 1) SELECT * FROM k)
      SELECT * FROM b JOIN c ON 1 = 1"""
    ctes, main = split_with(sql) or ([], "")
    assert ctes == [
        Cte("pp", "(i, d)", "VALUES (0, ')')"),
        Cte("a", "", "SELECT x FROM t WHERE y = ':(' AND z IN (SELECT 1)", "MATERIALIZED"),
        Cte("b", "", "SELECT x FROM a", "NOT MATERIALIZED"),
        Cte("c", "", "WITH k AS (SELECT 1) SELECT * FROM k", "MATERIALIZED"),
    ]
    assert main.strip() == "SELECT * FROM b JOIN c ON 1 = 1"
    # each table under a name of its own, read by the CTE's: a CTE named like a real table
    # (or a caller's temporary one) never stands in for it
    pp = "pp(i, d) AS (VALUES (0, ')'))"
    a = "a AS NOT MATERIALIZED (SELECT * FROM pg_temp.t_1)"
    b = "b AS NOT MATERIALIZED (SELECT x FROM a)"
    assert staged(ctes, main, prefix="t") == [
        ("pg_temp.t_1", f"CREATE TEMP TABLE t_1 ON COMMIT DROP AS WITH {pp} "
                        "SELECT x FROM t WHERE y = ':(' AND z IN (SELECT 1)"),
        ("pg_temp.t_2", f"CREATE TEMP TABLE t_2 ON COMMIT DROP AS WITH {pp}, {a}, {b} "
                        "SELECT * FROM (WITH k AS (SELECT 1) SELECT * FROM k) AS _cte"),
        ("", f"WITH {pp}, {a}, {b}, c AS NOT MATERIALIZED (SELECT * FROM pg_temp.t_2) "
             "SELECT * FROM b JOIN c ON 1 = 1"),
    ]  # fmt: skip
    for other in ("SELECT 1", "WITH RECURSIVE r AS MATERIALIZED (SELECT 1) SELECT * FROM r",
                  "WITH  RECURSIVE r AS MATERIALIZED (SELECT 1) SELECT * FROM r",
                  "WITH a AS MATERIALIZED (SELECT (1) SELECT 2", "WITH a AS SELECT 1"):  # fmt: skip
        assert split_with(other) is None, other


STEPPED = """
    WITH a AS MATERIALIZED (SELECT case_id, worker_id FROM cases WHERE program = :program),
    b AS MATERIALIZED (
        SELECT case_id, count(*) AS n FROM events
        WHERE case_id IN (SELECT case_id FROM a) AND kind <> :kind GROUP BY case_id)
    SELECT a.worker_id, count(*), sum(b.n) {odd} FROM a LEFT JOIN b ON b.case_id = a.case_id
    GROUP BY a.worker_id ORDER BY a.worker_id"""


SHADOW = """
    WITH mine AS (SELECT count(*) AS n FROM events),
    events AS MATERIALIZED (SELECT * FROM events WHERE kind = :kind)
    SELECT (SELECT n FROM mine), (SELECT count(*) FROM events)"""


def test_a_statement_in_steps_answers_what_it_answers_whole(
    both: Both, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a team store a statement's MATERIALIZED CTEs are analysed temporary tables
    (casecli.core.store.dialect, issue 17 item 8): the same rows as the statement run
    whole, for a manager's login (through the policies); the tables gone after, and after
    a failure in any step; a CTE named like a table stands in for it only where SQL says
    (after it); in a transaction the caller began, the statement runs whole."""
    from casecli.core.store import dialect

    params = {"program": "child_welfare", "kind": "court_hearing"}
    left = "SELECT count(*) FROM pg_class WHERE relname LIKE 'casecli_cte%%'"
    steps: list[list[tuple[str, str]]] = []
    real = dialect.staged
    monkeypatch.setattr(dialect, "staged", lambda *a, **k: steps.append(real(*a, **k)) or steps[-1])
    with both.t.staff(MANAGER) as raw:
        team = dialect.PostgresConnection(raw)
        whole = raw.execute(dialect.to_postgres(STEPPED.format(odd="")), params).fetchall()
        assert len(whole) > 3 and sum(n or 0 for _, _, n in whole) > 100
        assert team.execute(STEPPED.format(odd=""), params).fetchall() == whole
        assert raw.execute(left).fetchone() == (0,) and not team.in_transaction
        assert [t for t, _ in steps[-1]] == ["pg_temp.casecli_cte_1", "pg_temp.casecli_cte_2", ""]
        shadowed = raw.execute(dialect.to_postgres(SHADOW), params).fetchone()
        assert shadowed[0] > shadowed[1] > 0
        assert team.execute(SHADOW, params).fetchone() == shadowed and len(steps) == 2
        for odd in (", 1 / (count(*) - count(*))", ""):  # the last step fails; then a middle one
            sql = STEPPED.format(odd=odd)
            if not odd:
                sql = sql.replace("kind <> :kind", "kind <> :kind AND 1 / (n_id - n_id) = 1")
                sql = sql.replace("FROM events", "FROM (SELECT *, 1 AS n_id FROM events) e")
            with pytest.raises(Exception, match="division by zero"):
                team.execute(sql, params)
            assert not team.in_transaction and raw.execute(left).fetchone() == (0,)
        assert len(steps) == 4
        team.execute("BEGIN")
        assert team.execute(STEPPED.format(odd=""), params).fetchall() == whole
        team.commit()
        assert len(steps) == 4  # (whole, in the caller's transaction)
        assert team.execute(STEPPED.format(odd=""), params).fetchall() == whole


def test_the_tui_on_a_team_store_shows_what_it_shows_on_sqlite(
    pg: pgserver.Server, tmp_path: Path
) -> None:
    # The first screen of a supervisor (their unit) and of a worker (their next actions),
    # read as text, is the personal store's; the app sees another login's write (its
    # watch), and what it records is audited from its own login.
    from tests.tui.helpers import drive, screen_text
    from tui.data import Session

    b = Both(pg, tmp_path)
    screens: list[str] = []

    async def look(app: Any, pilot: Any) -> None:
        screens.append(screen_text(app))

    for staff_id in (SUPERVISOR, WORKER):
        drive(staff_id, look, db=b.db)
        drive(staff_id, look, db=b.t.url_of(staff_id))
    assert screens[0] == screens[1] and screens[2] == screens[3]
    assert "Child Welfare Unit 1 (U001)" in screens[1] and "Your next actions" in screens[3]
    mine = Session(b.t.url_of(WORKER), WORKER, date(2026, 11, 24))
    theirs = Session(b.t.url_of(SUPERVISOR), SUPERVISOR, date(2026, 11, 24))
    before = theirs.stamp()
    new_id = mine.record_event("C0000165", "caseworker_visit", person_id="P0000612")
    assert theirs.stamp() != before  # the supervisor's app reads again
    assert any(v.case["case_id"] == "C0000165" for v in theirs.my_cases())
    with b.t.owner() as conn:
        assert conn.execute(
            "SELECT who, entity_id FROM audit_log ORDER BY id DESC LIMIT 1"
        ).fetchone() == (b.t.login(WORKER), str(new_id))  # fmt: skip
    with pytest.raises(CasecliError, match="--as another is for admins"):
        Session(b.t.url_of(WORKER), OTHER_WORKER, date(2026, 11, 24)).actor()


def test_the_tuis_first_screen_is_read_ahead_on_a_team_store_too(
    both: Both, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `casecli tui` reads the first screen's view in another process while this one
    # starts Textual (tui.prefetch), on a team store as on a personal one: the other
    # process connects as the same login and answers the view this one would read; the
    # app's change stamp is what anyone had written before it started (team.written).
    from casecli.core.store import team
    from casecli.core.views import office as offices
    from tui import prefetch
    from tui.data import Session

    url, today = both.t.url_of(MANAGER), date(2026, 11, 24)
    here = Session(url, MANAGER, today).office("O01")
    conn = team.open_store(url)
    who, stamp = team.actor(conn, None), team.written(conn)
    conn.close()
    reads: list[int] = []
    real = offices.office_view
    monkeypatch.setattr(offices, "office_view", lambda *a, **k: reads.append(1) or real(*a, **k))
    pending = prefetch.for_actor(url, who, today, False, None, stamp)
    assert pending is not None and pending.key == ("office", "O01", False)
    session = Session(url, MANAGER, today, prefetched=pending)
    assert session.stamp() == stamp
    assert session.office("O01") == here and reads == []  # read by the other process
    assert session.stamp() == stamp != (0, 0)  # (taken once: later, the store's own)
    # (a team store's stamp is the caller's to read: without it, nothing is read ahead)
    assert prefetch.start(url, MANAGER, today, False, None, "manager", "O01") is None


def _own_open_cases(count: int) -> list[tuple[str, str]]:
    """(worker, one of their open child welfare cases) for ``count`` active workers."""
    conn = sqlite3.connect(f"file:{pgserver.SAMPLE}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT s.staff_id, min(c.case_id) FROM staff s JOIN cases c ON c.worker_id = s.staff_id"
            " WHERE s.role = 'worker' AND coalesce(s.active, 1) <> 0 AND c.status = 'open'"
            " AND c.program = 'child_welfare' AND c._gone_on IS NULL"
            " GROUP BY s.staff_id ORDER BY s.staff_id LIMIT ?",
            (count,),
        ).fetchall()
    finally:
        conn.close()
    assert len(rows) == count
    return [(str(a), str(b)) for a, b in rows]


@pytest.mark.parametrize("backend", ["sqlite", "team"])
def test_twenty_people_recording_at_once_beside_a_sync_lose_nothing(
    pg: pgserver.Server, tmp_path: Path, backend: str
) -> None:
    # Issue 17 item 7: 20 processes, each a worker recording a visit on their own case,
    # started together, while a real `casecli sync` of the sample's export runs (its lock,
    # on a personal store, held for the whole sync; on a team store its transaction, which
    # rewrites every case: each case's name changed). Every visit is there once, with its
    # audit row, and the sync did not wait for them nor they for it to fail.
    import csv
    import io
    import os
    import subprocess
    import sys
    import threading

    from casecli.demo.export import write_demo

    people = _own_open_cases(20)
    b = Both(pg, tmp_path) if backend == "team" else None
    db = tmp_path / "s.db"
    if b is None:
        shutil.copy(pgserver.SAMPLE, db)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env["CASECLI_CONFIG"] = "/nonexistent/c.toml"
    export = tmp_path / "export"
    write_demo(export, cases=1000, seed=1, today=date(2026, 11, 24))
    if b is not None:  # the team's logins; every case renamed, so that the sync writes
        for name, column, change in (
            ("staff.csv", "login", lambda r: b.t.login(r["staff_id"])),
            ("cases.csv", "name", lambda r: f"{r['name']} (renamed)"),
        ):
            with (export / name).open(newline="") as fh:
                read = list(csv.DictReader(fh))
            out = io.StringIO()
            w = csv.DictWriter(out, fieldnames=list(read[0]), lineterminator="\n")
            w.writeheader()
            for r in read:
                w.writerow({**r, column: change(r)})
            (export / name).write_text(out.getvalue())

    def record(staff_id: str, case_id: str) -> subprocess.Popen[str]:
        where = ["--db", str(db), "--as", staff_id] if b is None else ["--db", b.t.url_of(staff_id)]
        return subprocess.Popen(
            [sys.executable, "-m", "casecli.cli.main", *where, "--today", TODAY, "record",
             case_id, "collateral_contact", "--on", TODAY, "--note", f"by {staff_id}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip

    synced: list[dict[str, Any]] = []

    def big_write() -> None:
        got = subprocess.run(
            [sys.executable, "-m", "casecli.cli.main", "--db", str(db) if b is None else b.t.url,
             "--today", TODAY, "--json", "sync", str(export), "--full"],
            capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip
        assert got.returncode == 0, got.stderr
        synced.append(json.loads(got.stdout))

    writer = threading.Thread(target=big_write)
    writer.start()
    procs = [record(s, c) for s, c in people]
    outs = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    writer.join(timeout=300)
    assert not writer.is_alive()
    assert all(code == 0 for code, _ in outs), outs
    if b is None:
        conn = sqlite3.connect(db)
        rows = conn.execute("SELECT recorded_by, case_id FROM recorded_events").fetchall()
        audited = conn.execute("SELECT who FROM audit_log WHERE action = 'record'").fetchall()
        conn.close()
        assert sorted(audited) == sorted((s,) for s, _ in people)
    else:
        with b.t.owner() as conn:
            rows = conn.execute("SELECT recorded_by, case_id FROM recorded_events").fetchall()
            audited = conn.execute("SELECT who FROM audit_log WHERE action = 'record'").fetchall()
        assert sorted(audited) == sorted((b.t.login(s),) for s, _ in people)
        assert synced[0]["files"]["cases.csv"]["updated"] == 1000
    assert sorted(rows) == sorted(people)
    assert synced and synced[0]["status"] in ("applied", "unchanged")


def test_focus_finds_the_same_cases_on_a_team_store_for_every_measure(
    pg: pgserver.Server, tmp_path: Path
) -> None:
    # Each measure focus lists cases for (visits, response, investigations, orders,
    # paternity, collections, arrears), with a goal set on both stores that the office
    # misses: the same cases, in the same order, for the manager, the supervisors of a
    # child welfare and a child support unit, and a worker of each. (A review found six of
    # the nine refused on PostgreSQL: an alias in an expression, a bare `WHERE 1`.)
    from casecli.core.measures import focus_cases, measures

    b = Both(pg, tmp_path)
    for measure in focus_cases.FINDERS:
        target = "0" if measures.get(measure).direction == "lower" else "99.9"
        for run in (b.lite, b.team):
            got = run(MANAGER, "goals", "set", "office:O01", measure, target)
            assert got.exit_code == 0, got.output
    listed: set[str] = set()
    for staff_id in (MANAGER, SUPERVISOR, "S0031", WORKER, "S0033"):
        shown = b.same(staff_id, "focus")
        listed |= {m["measure"] for m in shown["measures"] if m.get("cases")}
    # (each measure reached; the sample has no child of an open investigation still unseen)
    assert listed == set(focus_cases.FINDERS) - {"timely_response"}, listed


def test_two_people_resolving_one_barrier_at_once_the_second_is_told(
    pg: pgserver.Server,
) -> None:
    # A team store takes no write lock before the read (SQLite's BEGIN IMMEDIATE does): the
    # supervisor resolves the barrier between the worker's read and update; the worker's
    # update then changes nothing (the row is no longer open), and they are told so in a
    # sentence rather than shown their name on it.
    from casecli.core.engine import playbooks
    from casecli.core.local import record
    from casecli.core.store import team

    t = pgserver.sample_team(pg)
    day = date(2026, 11, 24)
    mine = team.open_store(t.url_of(WORKER))
    theirs = team.open_store(t.url_of(SUPERVISOR))
    me, boss = team.actor(mine, None), team.actor(theirs, None)
    barrier = record.add_barrier(mine, me, "C0000165", "the bed", today=day, books=playbooks.load())
    plain = mine.execute

    def meanwhile(sql: str, params: Any = ()) -> Any:
        if sql.startswith("UPDATE barriers"):
            record.resolve_barrier(theirs, boss, barrier, today=day)
        return plain(sql, params)

    mine.execute = meanwhile  # type: ignore[method-assign]
    with pytest.raises(
        CasecliError, match=f"#{barrier} was resolved on 2026-11-24 by {SUPERVISOR}"
    ):
        record.resolve_barrier(mine, me, barrier, today=day, note="mine")
    mine.execute = plain  # type: ignore[method-assign]
    assert mine.execute(
        "SELECT resolved_by, note FROM barriers WHERE barrier_id = ?", (barrier,)
    ).fetchone() == (SUPERVISOR, None)
    mine.close()
    theirs.close()


def test_an_event_with_no_date_lists_last_on_both_stores(
    pg: pgserver.Server, tmp_path: Path
) -> None:
    # EXPORTS.md lets a missed or cancelled event carry no date. SQLite's DESC puts a NULL
    # last, PostgreSQL's first: the card's recent activity named it first on a team store,
    # and pushed the oldest real item out of its list.
    b = Both(pg, tmp_path)
    row = ("E-NODATE", "C0000199", "caseworker_visit", "cancelled", None, None, None)
    lite = sqlite3.connect(b.db)
    lite.execute("INSERT INTO events (event_id, case_id, kind, status, scheduled_on,"
                 " completed_on, person_id) VALUES (?, ?, ?, ?, ?, ?, ?)", row)  # fmt: skip
    lite.commit()
    lite.close()
    with b.t.owner() as conn:
        conn.execute("INSERT INTO events (event_id, case_id, kind, status, scheduled_on,"
                     " completed_on, person_id) VALUES (%s, %s, %s, %s, %s, %s, %s)", row)  # fmt: skip
    card = b.same(WORKER, "case", "C0000199")
    assert card["recent"][0]["on"] is not None


def test_the_tuis_watch_outlives_a_team_store_out_of_reach(
    pg: pgserver.Server, tmp_path: Path
) -> None:
    # Every two seconds the TUI reads whether anyone wrote; a team store's server down for
    # a moment (a restart, a network drop) used to end the app with a traceback.
    from tests.tui.helpers import drive, screen_text, settle

    b = Both(pg, tmp_path)
    seen: list[str] = []

    async def outage(app: Any, pilot: Any) -> None:
        from casecli.core.errors import CasecliError

        def down() -> tuple[int, ...]:
            raise CasecliError("Cannot open the team store (…): connection refused.")

        working = app.session.stamp
        app.session.stamp = down
        for _ in range(2):  # (said once)
            app._check_store()
            await settle(app, pilot)
        seen.extend(n.message for n in app._notifications)
        app.session.stamp = working
        app._check_store()
        await settle(app, pilot)
        seen.extend(n.message for n in app._notifications)
        seen.append(screen_text(app))
        # a server that does not answer: the screen goes on meanwhile
        import threading
        import time

        gate = threading.Event()

        def slow() -> tuple[int, ...]:
            gate.wait(5)
            return working()

        app.session.stamp = slow
        app._check_store()
        started = time.perf_counter()
        await pilot.pause(0.2)
        app._check_store()  # (one read at a time: nothing more started)
        seen.append(f"{time.perf_counter() - started:.1f}")
        gate.set()
        await settle(app, pilot)
        app.session.stamp = working

    drive(SUPERVISOR, outage, db=b.t.url_of(SUPERVISOR))
    assert seen[0] == "The store cannot be read just now; what is shown is as last read."
    assert seen[1:3] == [seen[0], "The store can be read again."]
    assert "Child Welfare Unit 1 (U001)" in seen[-2]  # (still there)
    assert float(seen[-1]) < 1.0  # (the screen waited 0.2 s, not the server's 5)


def test_a_goal_on_a_measure_with_no_figure_is_named_not_called_met(
    pg: pgserver.Server, tmp_path: Path
) -> None:
    # A goal on placement stability (it follows each child across cases): on a personal
    # store focus shows the worker behind it; on a team store it has no figure for the
    # worker, and focus (its text, its --json, a supervisor's digests) says so rather than
    # "no goal missed". The digests also compare with no unit or office figure counted
    # from the cases the login reads (a review found the office's 69.4% shown as 75.4%).
    b = Both(pg, tmp_path)
    for run in (b.lite, b.team):
        got = run(ADMIN, "goals", "set", f"worker:{WORKER}", "placement_stability", "1")
        assert got.exit_code == 0, got.output
    lite = json.loads(b.lite(WORKER, "focus", "--period", "FFY2026").stdout)
    assert [m["measure"] for m in lite["measures"]] == ["placement_stability"]
    team_ = json.loads(b.team(WORKER, "focus", "--period", "FFY2026").stdout)
    assert team_["measures"] == [] and team_["not_counted"] == ["placement_stability"]
    text = RUNNER.invoke(app, ["--db", b.t.url_of(WORKER), "--today", TODAY, "focus",
                               "--period", "FFY2026"])  # fmt: skip
    said = " ".join(text.stdout.split())
    assert "1 measure with a goal (Placement moves /1,000 days) have no figure" in said
    assert "No goal missed" not in said
    out = tmp_path / "digests"
    got = RUNNER.invoke(app, ["--db", b.t.url_of(SUPERVISOR), "--today", TODAY, "focus",
                              "--month", "2026-11", "--out", str(out)])  # fmt: skip
    assert got.exit_code == 0, got.output
    digest = next(out.glob(f"*{WORKER}*")).read_text()
    visits = next(x for x in digest.splitlines() if x.startswith("| Children visited monthly"))
    assert visits.split("|")[4].strip() == "–"  # (the office's: not the supervisor's to read)
    assert "have no figure here" in digest and "No goal missed" not in digest


def test_an_empty_database_is_told_to_run_db_init(pg: pgserver.Server) -> None:
    name = pg.new_database()
    got = RUNNER.invoke(app, ["--db", pg.url(pgserver.OWNER, name), "next"])
    assert got.exit_code == 1 and "not initialised; its owner runs casecli db init" in got.stderr


def test_the_tuis_score_says_why_a_measure_has_no_figure(pg: pgserver.Server) -> None:
    # The CLI's score prints the reason under a line with no figure; the TUI's score view
    # showed blanks (a review). A worker on a team store: placement stability and the other
    # measures that follow a child across cases say why.
    from tests.tui.helpers import drive, press, screen_text

    t = pgserver.sample_team(pg)
    seen: list[str] = []

    async def score(app: Any, pilot: Any) -> None:
        await press(app, pilot, "s")
        seen.append(" ".join(screen_text(app).split()))

    drive(WORKER, score, db=t.url_of(WORKER), size=(100, 60))
    assert "no figure: it follows each child across cases you read in part" in seen[0]
