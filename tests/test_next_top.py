"""A supervisor's or a manager's ranked actions: the head of the list, worked out without
making every case's actions (caseload.top_actions, staffing.ranked(limit=...)), is the
head of the whole list, and ``next -n`` beyond the kept head works the list out again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecli.cli.main import app
from casecli.core.engine import playbooks, urgency
from casecli.core.store import scope, store
from casecli.core.views import briefs, caseload, staffing
from tests.tui.helpers import TODAY, copy_sample

BOOKS = playbooks.load()
COEF = urgency.coefficients()


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:  # type: ignore[type-arg]
    db = copy_sample(tmp_path_factory.mktemp("top"))
    conn = store.connect(db)
    who = scope.actor(conn, "S0001")
    clause, params = scope.cases_clause(who, "c")
    views = caseload.views(conn, f"{clause} AND c.status = 'open'", params, today=TODAY,
                           books=BOOKS, coef=COEF)  # fmt: skip
    conn.close()
    return db, views


@pytest.mark.parametrize("n", [1, 2, 7, 50, 199, 200, 1000, 5000])
def test_the_head_of_the_actions_is_the_head_of_the_whole_ranking(office, n: int) -> None:  # type: ignore[no-untyped-def]
    _, views = office
    whole = caseload.ranked_actions(views)
    head, complete = caseload.top_actions(views, n)
    assert head == whole[:n]
    assert complete == (len(whole) <= n)
    assert len(whole) == 909  # enough actions in the office for the cut to matter


def test_ties_at_the_cut_are_broken_as_the_whole_ranking_breaks_them(office) -> None:  # type: ignore[no-untyped-def]
    _, views = office
    whole = caseload.ranked_actions(views)
    # every n where the n-th and the (n+1)-th action share an urgency: a case whose own
    # urgency equals the cut's must still be looked at
    tied = [n for n in range(1, 400) if whole[n - 1].urgency == whole[n].urgency]
    assert tied
    for n in tied:
        assert caseload.top_actions(views, n)[0] == whole[:n]


@pytest.mark.parametrize("user", ["S0001", "S0002", "S0004"])
def test_a_ranked_list_cut_at_n_is_the_whole_lists_head(office, user: str) -> None:  # type: ignore[no-untyped-def]
    db, _ = office
    conn = store.connect(db)
    who = scope.actor(conn, user)
    clause, params = scope.cases_clause(who, "c")
    views = briefs.kept_views(conn, clause, params, today=TODAY, books=BOOKS, coef=COEF, full=True)
    whole = staffing.ranked(conn, who, views, TODAY, books=BOOKS)
    first = sum(1 for a, _ in whole.pairs if a.kind == "assign")
    for n in (1, 7, 200):
        cut = staffing.ranked(conn, who, views, TODAY, books=BOOKS, limit=n)
        assert cut.pairs == whole.pairs[: first + n]
        assert (
            cut.spans
            == whole.spans
            == any((w.staff_id if w else None) != user for _, w in whole.pairs)
        )
        assert cut.complete == (len(whole.pairs) <= first + n)
    conn.close()


def _next(db: Path, user: str, *args: str) -> list:  # type: ignore[type-arg]
    result = CliRunner().invoke(
        app, ["--db", str(db), "--as", user, "--today", TODAY.isoformat(), "next", "--json", *args],
        env={"CASECLI_CONFIG": "/nonexistent/c.toml"},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_next_beyond_the_kept_head_works_the_whole_list_out(tmp_path: Path) -> None:
    db = copy_sample(tmp_path)
    plain = tmp_path / "plain"
    plain.mkdir()
    other = copy_sample(plain)  # nothing kept beside it, every run
    assert _next(db, "S0001", "-n", "7") == _next(other, "S0001", "-n", "7")  # keeps a head
    kept = json.loads(next((db.parent / f"{db.name}-cache").glob("next-*")).read_text())
    assert kept["cut"] == 200 and len(kept["actions"]) == 200 + 6  # 6 unassigned first
    assert _next(db, "S0001", "-n", "150") == _next(other, "S0001", "-n", "150")
    many = _next(db, "S0001", "-n", "900")  # beyond the head: worked out again
    assert many == _next(other, "S0001", "-n", "900") and len(many) == 900


def test_a_case_as_urgent_as_the_cut_is_still_looked_at() -> None:
    # Two cases at 5 points: the one read later has the earlier due date, so its action
    # ranks first among them (the ranking's tie-break) and belongs in a head of two.
    from datetime import date
    from types import SimpleNamespace

    from casecli.core.engine.actions import Action

    def view(case_id: str, urgency: float, due: date) -> SimpleNamespace:
        act = Action(case_id, f"do {case_id}", "step", "s", due, urgency, (), None, (), None)
        return SimpleNamespace(case_id=case_id, urgency=urgency, actions=[act])

    views = [view("C1", 9.0, date(2026, 12, 20)), view("C2", 5.0, date(2026, 12, 10)),
             view("C3", 5.0, date(2026, 12, 1))]  # fmt: skip
    head, complete = caseload.top_actions(views, 2)
    assert [a.case_id for a in head] == ["C1", "C3"] and not complete
    assert head == caseload.ranked_actions(views)[:2]  # type: ignore[arg-type]
