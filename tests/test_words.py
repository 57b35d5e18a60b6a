"""Counts agree with their nouns everywhere: "1 row", "2 rows", never "1 days" nor "2 case".

Every sentence that shows a count is walked with 0, 1 and 2 (or, where the sentence only
exists past a threshold, its first values), in core, in the CLI's renderings, in the
digests and in the TUI's widgets; each must read right.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from casecli.core import words

NOUNS = ("day", "row", "case", "open case", "step", "month", "hour", "barrier", "reject",
         "file", "digest", "point", "visit", "more kind of wait", "child visit")  # fmt: skip
IRREGULAR = {"child": "children", "person": "people"}
_ONE_PLURAL = re.compile(
    r"(?<![\d.,])1 (?:"
    + "|".join(re.escape(words.plural_of(n)) for n in NOUNS)
    + "|kinds of wait|children|people)\\b"
)
_MANY_SINGULAR = re.compile(
    r"(?<![\d.,])(?:0|[2-9]|[1-9][\d,]*\d) (?:"
    + "|".join(re.escape(n) for n in NOUNS)
    + "|child|person)(?![\\w-])"
)


def bad_counts(text: str) -> list[str]:
    """The counts in ``text`` whose noun does not agree: '1 days', '2 case'."""
    return [m.group(0) for m in (*_ONE_PLURAL.finditer(text), *_MANY_SINGULAR.finditer(text))]


def test_the_checker_catches_what_it_should() -> None:
    assert bad_counts("1 days overdue, 2 case, 3 child, 1 children, 0 row") == [
        "1 days", "1 children", "2 case", "3 child", "0 row",
    ]  # fmt: skip
    assert bad_counts("1 day, 2 days, 0 rows, 1,204 cases, 1.5 points, 12-day limit") == []


# The helper ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "noun", "expected"),
    [
        (0, "row", "0 rows"),
        (1, "row", "1 row"),
        (2, "row", "2 rows"),
        (1204, "case", "1,204 cases"),
        (1, "child", "1 child"),
        (2, "child", "2 children"),
        (2, "Child", "2 Children"),
        (2, "person", "2 people"),
        (2, "re-entry", "2 re-entries"),
        (2, "child-month in care", "2 child-month in cares"),  # a phrase: give its plural
        (2, "day", "2 days"),
        (2, "box", "2 boxes"),
        (2, "match", "2 matches"),
        (1.5, "point", "1.5 points"),
        (1.0, "point", "1 point"),
        (-1, "day", "-1 day"),
    ],
)
def test_plural(n: float, noun: str, expected: str) -> None:
    assert words.plural(n, noun) == expected


def test_plural_with_the_plural_given() -> None:
    assert words.plural(1, "kind of wait", "kinds of wait") == "1 kind of wait"
    assert words.plural(3, "kind of wait", "kinds of wait") == "3 kinds of wait"


@pytest.mark.parametrize(
    ("n", "expected"),
    [(-2, "2 days ago"), (-1, "yesterday"), (0, "today"), (1, "tomorrow"), (2, "in 2 days")],
)
def test_in_days(n: int, expected: str) -> None:
    assert words.in_days(n) == expected
    assert words.days_ago(-n) == expected


# Core sentences -------------------------------------------------------------------------


def test_urgency_terms_read_right_at_0_1_and_2() -> None:
    from casecli.core.engine import urgency

    coef = urgency.coefficients()
    whys = {
        n: [t.why for t in urgency.due_terms(n, coef, statutory=True, court=False)]
        for n in (-2, -1, 0, 1, 2)
    }
    assert whys == {
        -2: ["legal deadline passed", "2 days overdue"],
        -1: ["legal deadline passed", "1 day overdue"],
        0: ["legal deadline today"],
        1: ["legal deadline in 1 day"],
        2: ["legal deadline in 2 days"],
    }
    assert [urgency.signal_term(n, coef, "the mother moved")[0].why for n in (0, 1, 2)] == [
        "the mother moved today", "the mother moved yesterday", "the mother moved 2 days ago",
    ]  # fmt: skip
    impact = [
        urgency.goal_impact_term({"monthly_visits": p}, ("monthly_visits",), coef)[0].why
        for p in (0.5, 1, 2)
    ]
    assert impact == [
        "you are 0.5 points behind your goal on monthly visits",
        "you are 1 point behind your goal on monthly visits",
        "you are 2 points behind your goal on monthly visits",
    ]
    # These exist only past a threshold: their first values.
    assert urgency.barrier_term(8, coef, "waiting")[0].why == "waiting 8 days"
    assert urgency.idle_term(14, coef)[0].why == "nothing recorded on the case for 14 days"


def test_step_due_words_at_0_1_and_2() -> None:
    from casecli.core.engine.actions import _due_words

    assert [_due_words(n) for n in (-2, -1, 0, 1, 2)] == [
        "2 days overdue", "1 day overdue", "due today", "due in 1 day", "due in 2 days",
    ]  # fmt: skip


def _group(count: int, median: float, oldest: int) -> Any:
    from casecli.core.engine.barriers import Barrier
    from casecli.core.views.caseload import WaitGroup

    items = tuple(
        (f"C{i}", Barrier(f"barrier:{i}", "service", "parenting", date(2026, 11, 24), oldest))
        for i in range(count)
    )
    return WaitGroup("parenting", count, median, oldest, items)


def test_bottleneck_words_at_0_1_and_2() -> None:
    from casecli.core.views.unit import bottleneck_words

    assert [bottleneck_words(_group(n, n, n)) for n in (1, 2)] == [
        "parenting — 1 case, median 1 day", "parenting — 2 cases, median 2 days",
    ]  # fmt: skip
    assert bottleneck_words(_group(2, 0.4, 0)) == "parenting — 2 cases, median 0 days"


def test_the_gap_in_work_at_1_and_2() -> None:
    from casecli.core.measures import measures, periods
    from casecli.core.measures.measures import Counts
    from casecli.core.measures.score import gap_work

    m = measures.get("monthly_visits")
    month = periods.parse("2026-11", date(2026, 11, 24))
    today = date(2026, 11, 24)
    assert gap_work(m, Counts(8, 10), 90, month, today) == "1 more child visit this month"
    assert gap_work(m, Counts(7, 10), 90, month, today) == "2 more child visits this month"
    assert gap_work(m, Counts(9, 10), 90, month, today) == "goal met"


def test_the_counts_behind_every_measure_read_right() -> None:
    from casecli.core.measures import measures
    from casecli.core.measures.measures import Result
    from casecli.core.measures.score import count_words

    seen = []
    for m in measures.MEASURES.values():
        for n, d in ((0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (0, 2)):
            r = Result(m, None, n, d, None, True)  # type: ignore[arg-type]
            text = count_words(m, r)
            assert not bad_counts(text), text
            seen.append(text)
            for label in m.counts:  # a count of 1 takes the singular of its label
                one = measures.COUNT_ONE.get(label)
                if one and d == 1 and label == m.counts[1] and m.id != "current_collections":
                    assert text.endswith(f"1 {one}"), text
    assert "visited: 1 of 1 child-month in care" in seen
    assert "visited: 2 of 2 child-months in care" in seen
    assert "1 placement move in 1 day in care" in seen
    assert "0 placement moves in 2 days in care" in seen
    assert "no open investigations" in seen


def test_db_check_counts_foreign_key_problems(tmp_path: Path) -> None:
    from casecli.core.store import store

    conn = store.connect(tmp_path / "s.db", create=True)
    conn.execute("PRAGMA foreign_keys = OFF")
    problems = []
    for n in (1, 2):
        conn.execute(
            "INSERT INTO sync_files VALUES (99, ?, 'f.csv', '', '', 0, 0, 0, 0, 0, 0, 0)",
            (f"t{n}",),
        )
        conn.commit()
        problems.append(store.check(conn).problems[0])
    assert problems == [
        "1 row breaks a foreign key (first in table sync_files)",
        "2 rows break a foreign key (first in table sync_files)",
    ]


# The CLI's renderings -------------------------------------------------------------------


def test_waiting_and_caseload_counts(capsys: pytest.CaptureFixture[str]) -> None:
    from casecli.cli import views

    views.waiting_table([_group(1, 1, 1), _group(2, 2, 2), _group(2, 0, 0)])
    out = capsys.readouterr().out
    assert not bad_counts(out), out
    assert "parenting — 1 case, median 1 day, oldest 1" in out
    assert "C0            1 day   #0 parenting" in out  # a recorded barrier's number
    assert "C0            2 days  #0 parenting" in out
    assert "C0            0 days  #0 parenting" in out
    for n in (1, 2):
        view = SimpleNamespace(case_id="C1", case={"case_type": "in_home"}, urgency=1.0,
                               situation="on track", actions=[], next_action=None)  # fmt: skip
        settings = SimpleNamespace(freshness=lambda: None)
        views.caseload_table([view] * n, settings)  # type: ignore[arg-type]
        out = capsys.readouterr().out
        assert out.splitlines()[-1] == f"{n} open case{'s' if n > 1 else ''}."


def test_unit_figures_and_more_kinds_of_wait(capsys: pytest.CaptureFixture[str]) -> None:
    from casecli.cli import unit_views
    from casecli.core.views.load import Figures
    from casecli.render import console

    assert unit_views._figures_line(Figures(1, 0, 1, 2)).startswith("1 open case · 0 due now")
    assert unit_views._figures_line(Figures(2)).startswith("2 open cases · ")
    for n in (1, 2):
        unit_views._groups(console(), [_group(1, 1, 1)] * (1 + n), 80, top=1, limit=1)
        out = capsys.readouterr().out
        assert not bad_counts(out), out
        assert f"… and {n} more kind{'s' if n > 1 else ''} of wait" in out
        assert "C0            1 day   #0 parenting" in out  # a recorded barrier's number


def test_sync_summary_counts(capsys: pytest.CaptureFixture[str]) -> None:
    from casecli.cli import sync_cmd

    reject = SimpleNamespace(file="cases.csv", line=3, column="risk_level", value="x",
                             reason="not a risk level")  # fmt: skip
    for n in (1, 2):
        result = SimpleNamespace(
            warnings=[], status="applied", message="", dry_run=False, sync_id=4, as_of=None,
            kind="delta", profile="standard", files=[], resolved=n, rejects=[reject] * n,
            older_rejects=n,
        )  # fmt: skip
        sync_cmd._show(result, SimpleNamespace(redact=False))
        out = capsys.readouterr().out
        assert not bad_counts(out), out
        rows = "1 row" if n == 1 else "2 rows"
        assert f"{rows} rejected earlier now applied." in out
        assert f"{rows} not applied (casecli rejects lists them all):" in out
        older = "1 older reject" if n == 1 else "2 older rejects"
        assert f"{older} from earlier exports still outstanding" in " ".join(out.split())


def test_demo_and_digest_messages(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from casecli.cli.main import app

    runner = CliRunner()
    env = {"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "80"}
    result = runner.invoke(app, ["--today", "2026-11-24", "demo", str(tmp_path / "x"),
                                 "--cases", "1"], env=env)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Wrote 1 case (")
    assert " rows in " in result.stdout and " files) to " in result.stdout
    assert not bad_counts(result.stdout)
    db = tmp_path / "one.db"
    result = runner.invoke(app, ["--db", str(db), "--today", "2026-11-24", "sync",
                                 str(tmp_path / "x")], env=env)  # fmt: skip
    assert result.exit_code in (0, 3), result.stderr
    worker = sqlite3.connect(db).execute("SELECT worker_id FROM cases").fetchone()[0]
    result = runner.invoke(app, ["--db", str(db), "--as", worker, "--today", "2026-11-24",
                                 "focus", "--month", "2026-11", "--out", str(tmp_path / "d")],
                           env=env)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Wrote 1 digest to {tmp_path / 'd'}.\n"


# The TUI's widgets ----------------------------------------------------------------------


def test_tui_case_card_and_forms_count_days() -> None:
    from casecli.core.engine.barriers import Barrier
    from casecli.core.engine.engine import Milestone
    from tui.data import CaseCard
    from tui.widgets.case_card import card_text

    today = date(2026, 11, 24)
    for n in (-2, -1, 0, 1, 2):
        view = SimpleNamespace(
            case={"case_id": "C1", "case_type": "in_home", "name": "A B", "status": "open",
                  "opened_on": "2026-01-01", "worker_id": "W1", "risk_level": None},
            situation="on track", plan=None, plan_why=None,
            milestone=Milestone("court hearing", today, n), actions=[], steps=[],
            barriers=[Barrier("barrier:1", "recorded", "a bed", today, abs(n))],
            people=[], goals=[], signals=[],
        )  # fmt: skip
        text = card_text(CaseCard(view, []), today, False).plain  # type: ignore[arg-type]
        assert not bad_counts(text), text
        assert f"({words.in_days(n)})" in text
        assert f"a bed — {words.days(abs(n))} (since" in text
    from tui.screens.forms import ResolveForm

    card = SimpleNamespace(view=SimpleNamespace(case_id="C1", barriers=[
        Barrier("barrier:7", "recorded", "a bed", today, 1)]))  # fmt: skip
    assert ResolveForm(card).recorded() == [("#7 a bed (1 day)", "7")]  # type: ignore[arg-type]


def test_tui_headings_count_cases() -> None:
    from rich.text import Text

    from casecli.core.views.load import Figures
    from tui.screens.cases import GroupScreen
    from tui.widgets.figures import FiguresBar

    assert GroupScreen("U001: overdue", ["C1"]).heading == "U001: overdue — 1 case"
    assert GroupScreen("U001: overdue", ["C1", "C2"]).heading == "U001: overdue — 2 cases"
    shown: list[Text] = []
    for n in (0, 1, 2):
        bar = FiguresBar()
        bar.update = shown.append  # type: ignore[method-assign]
        bar.set("Unit", Figures(n))
    lines = [t.plain.splitlines()[1] for t in shown]
    assert [line.split(" · ")[0] for line in lines] == [
        "0 open cases",
        "1 open case",
        "2 open cases",
    ]


def test_engine_sentences_on_the_fixture_read_right(tmp_path: Path) -> None:
    """Every action sentence and reason the engine writes for the fixture, over a month
    of days (so counts pass through 0, 1 and 2), agrees with its counts."""
    from casecli.core.engine import playbooks, urgency
    from casecli.core.ingest.sync import sync_store
    from casecli.core.store import store
    from casecli.core.views import caseload
    from tests.conftest import FIXTURES

    db = tmp_path / "s.db"
    sync_store(db, FIXTURES / "basic", today=date(2026, 11, 24))
    conn = store.connect(db)
    books = playbooks.load(None)
    coef = urgency.coefficients()
    seen = set()
    for day in range(1, 31):
        views = caseload.views(conn, "1", [], today=date(2026, 11, day), books=books, coef=coef)
        for v in views:
            for a in v.actions:
                seen.add(a.action)
                seen.update(t.why for t in a.terms)
            for b in v.barriers:
                seen.add(b.what)
        for g in caseload.waiting(views):
            from casecli.core.views.unit import bottleneck_words

            seen.add(bottleneck_words(g))
    conn.close()
    assert seen
    assert [s for s in sorted(seen) if bad_counts(s)] == []
    assert any("1 day overdue" in s for s in seen) and any("2 days overdue" in s for s in seen)


def test_initials_with_id_keep_two_people_with_the_same_initials_apart() -> None:
    """Redacted names in a list (issue 14 item 21d): 'J.P.' twice would read as one
    person; the staff or person id beside the initials tells them apart."""
    assert words.initials_with_id("Juan Peterson", "S0007") == "J.P. (S0007)"
    assert words.initials_with_id("Peterson, Jane", "S0011") == "J.P. (S0011)"
    assert words.initials_with_id(None, "S0007") == "S0007"
    assert words.initials_with_id("Juan Peterson", None) == "J.P."
