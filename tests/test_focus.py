"""``focus``, the digests and the goal_impact urgency term, on tests/fixtures/measures
as of 2026-11-24 (the store of tests/test_score_cli.py, with its goals: office O1
support_orders ≥ 80 and investigations_overdue ≤ 10, unit U1 monthly_visits ≥ 95,
worker W2 current_collections ≥ 70 for 2026-10 only).

November for W1: the children in care all month are P10 (F1), P12 (F2), P13 and P51
(F3) (P11 and P34 turned 18, P14 left care on 2026-10-31); none visited yet, so
monthly visits is 0% against 95%. The two never visited come first, then the one
visited longest ago (P12 on 2026-10-20, recorded), then P10 (2026-10-25).
"""

from __future__ import annotations

import contextlib
import json
import stat
from collections.abc import Iterator
from pathlib import Path

from casecli.core.engine import urgency
from casecli.core.views.digest import md
from tests.conftest import TEAMS, drop_team
from tests.test_score_cli import cli, db, score_store  # noqa: F401  (the module-scoped store)


def _focus(db: Path, user: str, *args: str) -> dict:  # type: ignore[type-arg]  # noqa: F811
    result = cli(db, user, "focus", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_focus_lists_the_unvisited_children_soonest_to_matter_first(db: Path) -> None:  # noqa: F811
    out = _focus(db, "W1")
    assert out["period"] == "2026-11" and out["scope"] == {"kind": "worker", "id": "W1"}
    by = {m["measure"]: m for m in out["measures"]}
    visits = by["monthly_visits"]
    assert (visits["performance"], visits["goal"], visits["gap"]) == (0.0, 95.0, 95.0)
    assert visits["gap_work"] == "4 more child visits this month"
    assert [c["case_id"] for c in visits["cases"]] == ["F3", "F3", "F2", "F1"]
    assert visits["cases"][0]["reason"] == (
        "Ned not yet visited in November (legal deadline in 6 days); no visit on record"
    )
    assert visits["cases"][2]["reason"].endswith("last visit 2026-10-20")
    assert out["workers"] == []


def test_limit_caps_the_cases(db: Path) -> None:  # noqa: F811
    out = _focus(db, "W1", "--limit", "1")
    visits = next(m for m in out["measures"] if m["measure"] == "monthly_visits")
    assert len(visits["cases"]) == 1


def test_a_worker_ahead_sees_no_focus_for_that_measure(db: Path) -> None:  # noqa: F811
    # Office goal: support_orders >= 80. W2 on 2026-11-24: K1 and K2 have orders, K3 and
    # K6 not (K8 is gone): 50%, behind; K3 first (opened earlier; neither is served).
    w2 = {m["measure"]: m for m in _focus(db, "W2")["measures"]}
    assert w2["support_orders"]["performance"] == 50.0
    assert [c["case_id"] for c in w2["support_orders"]["cases"]] == ["K3", "K6"]
    # W3: K7's order was established 2026-11-02: 100%, ahead: no focus on it.
    w3 = {m["measure"] for m in _focus(db, "W3")["measures"]}
    assert "support_orders" not in w3


def test_supervisor_sees_workers_ranked_by_distance(db: Path) -> None:  # noqa: F811
    out = _focus(db, "S1")
    assert out["scope"] == {"kind": "unit", "id": "U1"}
    rows = [(w["staff_id"], w["measure"]) for w in out["workers"]]
    assert ("W1", "monthly_visits") in rows
    for measure in {w["measure"] for w in out["workers"]}:
        dists = [w["distance"] for w in out["workers"] if w["measure"] == measure]
        assert dists == sorted(dists, reverse=True)


def test_focus_text_fits_80_columns(db: Path) -> None:  # noqa: F811
    result = cli(db, "S1", "focus")
    assert result.exit_code == 0, result.stderr
    assert "Children visited monthly" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_digest_content_and_mode(db: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "digests"
    result = cli(db, "S1", "focus", "--month", "2026-11", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files == ["W1-2026-11.md", "W2-2026-11.md"]
    text = (out / "W1-2026-11.md").read_text()
    assert stat.S_IMODE((out / "W1-2026-11.md").stat().st_mode) == 0o600
    assert "# Monthly focus: Wes Welfare (W1), 2026-11" in text
    assert "| measure | you | team | office | goal | gap |" in text
    assert "| Children visited monthly | 0.0% |" in text and "| 95.0% | +95.0 |" in text
    assert "- F3: Ned not yet visited in November" in text
    # W2 (child support): the IV-D rows, but no row for cost-effectiveness, an office's
    # measure a worker has no figure for (and a month none at all)
    support = (out / "W2-2026-11.md").read_text()
    assert "| Cases with a support order | 50.0% |" in support
    assert "Cost-effectiveness" not in support


def test_markdown_and_formula_injection_neutralised() -> None:
    hostile = '=HYPERLINK("http://x")|*bold*_[link](http://evil)<script>`x`'
    out = md(hostile)
    assert out.startswith("'=")
    for ch in "|*_[]<>`":
        assert ch not in out.replace("\\" + ch, "")
    assert md("+1") == "'+1" and md("-1") == "'-1" and md("@a") == "'@a"
    assert md("line\nbreak") == "line break"


@contextlib.contextmanager
def _hostile_name(db: Path | str, tmp_path: Path) -> Iterator[Path | str]:  # noqa: F811
    """The store with child P13 named as an attacker would: a copy of a personal store; a
    team store itself, edited by its owner and set back after (it is the module's)."""
    name = "=cmd|x [a](http://e) <b>"
    if str(db) not in TEAMS:
        import sqlite3

        hostile = tmp_path / "h.db"
        hostile.write_bytes(Path(db).read_bytes())
        conn = sqlite3.connect(hostile)
        conn.execute("UPDATE people SET name = ? WHERE person_id = 'P13'", (name,))
        conn.commit()
        conn.close()
        yield hostile
        return
    from casecli.core.store import team

    with team.connect(str(db)) as conn:
        was = conn.execute("SELECT name FROM people WHERE person_id = 'P13'").fetchone()[0]
        conn.execute("UPDATE people SET name = %s WHERE person_id = 'P13'", (name,))
    try:
        yield db
    finally:
        with team.connect(str(db)) as conn:
            conn.execute("UPDATE people SET name = %s WHERE person_id = 'P13'", (was,))


def test_digest_escapes_a_hostile_child_name(db: Path, tmp_path: Path) -> None:  # noqa: F811
    # On both stores: a team store's digest is written by the worker's own login.
    out = tmp_path / "d"
    with _hostile_name(db, tmp_path) as hostile:
        result = cli(hostile, "W1", "focus", "--month", "2026-11", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    text = (out / "W1-2026-11.md").read_text()
    assert "- F3: '=cmd\\|x" in text
    assert "[a](" not in text and "<b>" not in text


def test_goal_impact_term_adds_exactly_the_argued_points() -> None:
    coef = urgency.coefficients()
    assert coef["goal_impact"] == 0.2
    # 15 points behind on monthly visits: 0.2 x 15 = 3.0
    (term,) = urgency.goal_impact_term({"monthly_visits": 15.0}, ("monthly_visits",), coef)
    assert term.points == 3.0
    assert term.why == "you are 15 points behind your goal on monthly visits"
    # capped at 25 points behind: 5.0
    (term,) = urgency.goal_impact_term({"monthly_visits": 60.0}, ("monthly_visits",), coef)
    assert term.points == 5.0
    # not behind, or a measure the action does not move: nothing
    assert urgency.goal_impact_term({"support_orders": 10.0}, ("monthly_visits",), coef) == []
    assert urgency.goal_impact_term({}, ("monthly_visits",), coef) == []


def test_next_gains_goal_impact_only_when_behind(
    db: Path,  # noqa: F811
    tmp_path: Path,
    backend: object | None,
) -> None:
    # On both stores: the stores with every goal met and with none are made as this
    # module's (on a team store, new ones: the goals are set by each person's login).
    def actions(path: Path | str) -> list[dict]:  # type: ignore[type-arg]
        result = cli(path, "W1", "next", "-n", "50", "--json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    behind = actions(db)  # W1: 95 points behind on monthly visits (capped at 25: +5.0)
    (tmp_path / "met").mkdir()
    met = score_store(tmp_path / "met", backend)
    try:
        result = cli(met, "S1", "goals", "set", "unit:U1", "monthly_visits", "0")
        assert result.exit_code == 0, result.stderr
        result = cli(met, "M1", "goals", "set", "office:O1", "investigations_overdue", "100")
        assert result.exit_code == 0, result.stderr
        ok = actions(met)
    finally:
        drop_team(met)
    assert all(t["term"] != "goal_impact" for a in ok for t in a["terms"])
    plain = {(a["case_id"], a["action"]): a["urgency"] for a in ok}
    for a in behind:
        impact = [t for t in a["terms"] if t["term"] == "goal_impact"]
        if a["step"] == "monthly_visit":
            assert impact and impact[0]["points"] == 5.0
            assert impact[0]["why"] == "you are 95 points behind your goal on monthly visits"
        else:
            assert not impact or a["step"] == "finding"
        added = sum(t["points"] for t in impact)
        assert round(plain[(a["case_id"], a["action"])] + added, 2) == a["urgency"]
    # with every goal met, the order and scores are those of a store with no goals
    (tmp_path / "bare").mkdir()
    bare = score_store(tmp_path / "bare", backend)
    try:
        if str(bare) in TEAMS:
            with TEAMS[str(bare)].owner() as conn:
                conn.execute("DELETE FROM performance_goals")
        else:
            import sqlite3

            conn = sqlite3.connect(bare)
            conn.execute("DELETE FROM performance_goals")
            conn.commit()
            conn.close()
        assert actions(bare) == ok
    finally:
        drop_team(bare)


def test_digests_of_look_alike_staff_ids_go_to_their_own_files(
    db: Path | str,  # noqa: F811
    backend: object | None,
    tmp_path: Path,
) -> None:
    """W.1, W/1, W_1 and W~1 once all became W_1-2026-11.md: one worker's digest held
    another's cases. Each id now has its own file, inside --out, and a 300-character id
    is written too (its name cut and hashed under the file system's 255 bytes). On a team
    store the ids are renamed in a store of its own, by its owner."""
    import sqlite3

    ids = {"W1": "W.1", "W2": "W/1", "W3": "W_1"}
    long_id = "X" * 150 + "é" * 150
    rename = [
        (f"UPDATE {table} SET {column} = ?{also} WHERE {column} = ?", (new, old))
        for table, column, also in (
            ("staff", "staff_id", ", unit_id = 'U1'"),
            ("cases", "worker_id", ""),
        )
        for old, new in ids.items()
    ]
    rename += [
        (
            "INSERT INTO staff (staff_id, name, role, unit_id, unit_name, office_id, office_name,"
            " hours_per_week, active) VALUES (?, 'Extra Worker', 'worker', 'U1', 'Unit One',"
            " 'O1', 'North Office', 40, 1)",
            (extra,),
        )
        for extra in ("W~1", long_id)
    ]
    copy: Path | str
    if str(db) in TEAMS:
        copy = score_store(tmp_path, backend)  # (the module's store stays as it is)
        with TEAMS[str(copy)].owner() as conn:
            for statement, params in rename:
                conn.execute(statement.replace("?", "%s"), params)
    else:
        copy = tmp_path / "ids.db"
        copy.write_bytes(Path(db).read_bytes())
        lite = sqlite3.connect(copy)
        for statement, params in rename:
            lite.execute(statement, params)
        lite.commit()
        lite.close()
    try:
        _look_alike_digests(copy, tmp_path, long_id)
    finally:
        drop_team(copy)


def _look_alike_digests(copy: Path | str, tmp_path: Path, long_id: str) -> None:
    import os

    from casecli.core.views.digest import file_names

    out = tmp_path / "digests"
    outside = tmp_path / "outside.md"
    out.mkdir()
    os.symlink(outside, out / "W_2E1-2026-11.md")  # a link planted where W.1's digest goes
    result = cli(copy, "S1", "focus", "--month", "2026-11", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Wrote 5 digests to {out}.\n"
    names = sorted(p.name for p in out.iterdir())
    expected = file_names(["W.1", "W/1", "W_1", "W~1", long_id], "2026-11")
    assert names == sorted(expected.values())
    assert expected["W.1"] == "W_2E1-2026-11.md"
    assert expected["W/1"] == "W_2F1-2026-11.md" and expected["W_1"] == "W_5F1-2026-11.md"
    assert expected["W~1"] == "W_7E1-2026-11.md"
    assert "~" in expected[long_id] and len(expected[long_id].encode()) < 255
    assert not outside.exists() and not (out / "W_2E1-2026-11.md").is_symlink()
    assert all(p.parent == out and stat.S_IMODE(p.stat().st_mode) == 0o600 for p in out.iterdir())
    wes = (out / "W_2E1-2026-11.md").read_text()
    wanda = (out / "W_2F1-2026-11.md").read_text()
    assert "# Monthly focus: Wes Welfare (W.1), 2026-11" in wes and "- F3:" in wes
    assert "# Monthly focus: Wanda Support (W/1), 2026-11" in wanda and "- K3:" in wanda
    assert "- K3:" not in wes and "- F3:" not in wanda
    assert "(W\\_1)" in (out / "W_5F1-2026-11.md").read_text()


def test_digest_file_names_are_injective_and_stay_short() -> None:
    from casecli.core.views.digest import file_names, file_stem

    ids = ["W.1", "W/1", "W_1", "W~1", "W_2E1", "W1", "", "_", "-", "-a", "_2Da", "..", "/",
           "é", "e\u0301", "a" * 300, "a" * 299 + "b", "\x00", "\u202e"]  # fmt: skip
    stems = [file_stem(i) for i in ids]
    assert len(set(stems)) == len(ids)
    assert all(set(s) <= set("ABCDEFabcdefghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ0123456789-_~")
               for s in stems)  # fmt: skip
    assert all(len(s) <= 100 and not s.startswith("-") for s in stems)
    assert file_stem("S0003") == "S0003" and file_stem("-a") == "_2Da"
    # W1 and w1 would be one file on macOS or Windows: both get their hash
    names = file_names(["W1", "w1", "W2"], "2026-11")
    assert names["W2"] == "W2-2026-11.md"
    assert names["W1"].startswith("W1~") and names["w1"].startswith("w1~")
    assert names["W1"].casefold() != names["w1"].casefold()


def test_digests_into_a_file_say_so_in_one_sentence(db: Path, tmp_path: Path) -> None:  # noqa: F811
    not_a_folder = tmp_path / "digests"
    not_a_folder.write_text("")
    result = cli(db, "S1", "focus", "--month", "2026-11", "--out", str(not_a_folder))
    assert result.exit_code == 1
    assert result.stderr == (
        f"casecli: {not_a_folder} is a file; give a folder for the digests (--out DIR).\n"
    )


def test_focus_follows_the_measures_default_periods(db: Path) -> None:  # noqa: F811
    # Without --period, as score: W2's support orders for FFY2027 (to date, so the same
    # point in time as the month: 2 of 4 = 50%), W1's visits for November.
    w2 = _focus(db, "W2")
    assert (w2["period"], w2["period_given"]) == ("2026-11", False)
    orders = next(m for m in w2["measures"] if m["measure"] == "support_orders")
    assert (orders["period"], orders["performance"]) == ("FFY2027", 50.0)
    assert orders["gap_work"] == "2 more cases with an order this year"
    w1 = _focus(db, "W1")
    assert next(m for m in w1["measures"] if m["measure"] == "monthly_visits")["period"] == (
        "2026-11"
    )
    # With --period every measure is for it.
    oct_ = _focus(db, "W2", "--period", "2026-10")
    assert {m["period"] for m in oct_["measures"]} <= {"2026-10"} and oct_["period_given"]
    text = cli(db, "M1", "focus").stdout
    assert "Focus · office O1 · as of 2026-11-24" in text
    assert "Cases with a support order (FFY2027):" in text
    assert max(len(x) for x in text.splitlines()) <= 80


def test_with_no_goal_a_worker_well_below_the_unit_and_office_is_behind() -> None:
    # Issue 14 item 17: with no goal set, a worker at least 10 points worse than both the
    # unit and the office on a percent measure, over at least 5 counted, is behind, the
    # gap measured to the unit's figure. November 2026, monthly visits, 52.0% (13 of 25
    # child-months): the unit 75.4%, the office 69.4% -> 23.4 points short of the unit;
    # 75.4% of 25 is 18.85, so 19 visited child-months reach it: 6 more child visits.
    from datetime import date

    from casecli.core.measures import focus, measures, periods, score

    today = date(2026, 11, 24)
    nov = periods.month_of(today)
    worker = score.Scope("worker", "W1", None, "U1", "O1")

    def line(n: int, d: int, unit: float | None, office: float | None, goal: object = None):  # type: ignore[no-untyped-def]
        m = measures.get("monthly_visits")
        res = measures.result(m, nov, today, measures.Counts(n, d))
        return score.Line(res, unit, office, goal, None, None, None, None, ())  # type: ignore[arg-type]

    peer = focus.below_peers(line(13, 25, 75.4, 69.4), worker, today)
    assert peer is not None and round(peer.gap or 0, 1) == 23.4
    assert peer.gap_work == "6 more child visits this month"
    assert focus.peers_words(line(13, 25, 75.4, 69.4)) == (
        "the unit 75.4%, the office 69.4%; no goal set"
    )
    # Not behind: 10 points worse than the unit but 9.4 worse than the office; fewer than
    # 5 counted; a goal set (the goal decides); a unit's card (no unit above it to compare).
    assert focus.below_peers(line(13, 25, 62.0, 61.4), worker, today) is None
    assert focus.below_peers(line(1, 4, 75.4, 69.4), worker, today) is None
    assert focus.below_peers(line(13, 25, 75.4, 69.4, goal=object()), worker, today) is None
    unit = score.Scope("unit", "U1", None, "U1", "O1")
    assert focus.below_peers(line(13, 25, 75.4, 69.4), unit, today) is None
    # A lower-is-better measure: worse is higher. 40% of open investigations overdue
    # against the unit's 20% and the office's 25%: behind by 20 points.
    m = measures.get("investigations_overdue")
    res = measures.result(m, nov, today, measures.Counts(4, 10))
    over = score.Line(res, 20.0, 25.0, None, None, None, None, None, ())
    assert (focus.below_peers(over, worker, today) or over).gap == 20.0


def test_focus_names_the_unit_and_office_when_no_goal_is_set(tmp_path: Path) -> None:
    # sample.db, worker S0005, no goal set: children seen in time in November 57.1%
    # against the unit's 76.5% and the office's 77.9% (the figures `score` shows).
    import shutil

    from typer.testing import CliRunner

    from casecli.cli.main import app

    store_copy = tmp_path / "s.db"
    shutil.copy(Path(__file__).resolve().parents[1] / "sample.db", store_copy)
    base = ["--db", str(store_copy), "--as", "S0005", "--today", "2026-11-24", "focus"]
    env = {"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "80"}
    done = CliRunner().invoke(app, [*base, "--json"], env=env)
    assert done.exit_code == 0, done.stderr
    seen = next(m for m in json.loads(done.stdout)["measures"] if m["measure"] == "timely_response")
    assert seen["goal"] is None and seen["performance"] == 57.14
    assert seen["against"] == "the unit 76.5%, the office 77.9%; no goal set"
    text = CliRunner().invoke(app, base, env=env).stdout
    assert (
        "Children seen in time (2026-11): 57.1% against the unit 76.5%, the office 77.9%;" in text
    )
    assert "nothing to catch up on" not in text
