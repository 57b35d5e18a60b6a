"""`casecli demo`'s synthetic export: deterministic, valid against EXPORTS.md, and realistic
enough to drive urgency, the unit view and the measures."""

from __future__ import annotations

import csv
import re
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from casecli.core.store.contract import BOOL_FALSE, BOOL_TRUE, BY_NAME, REF_COLUMN, REF_KEY
from casecli.demo import export as demo
from casecli.demo.export import write_demo

TODAY = date(2026, 11, 24)
# Pinned from EXPORTS.md, independently of contract.py.
HEADERS = {
    "staff.csv": "staff_id name role unit_id unit_name office_id office_name supervisor_id "
    "hours_per_week active login",
    "cases.csv": "case_id program case_type status opened_on closed_on worker_id unit_id "
    "office_id name risk_level response_hours permanency_goal goal_target_on order_established_on"
    " updated_at",
    "people.csv": "person_id case_id role name birth_on born_out_of_wedlock paternity_established_on",
    "events.csv": "event_id case_id kind status scheduled_on completed_on person_id staff_id location "
    "result",
    "referrals.csv": "referral_id case_id service status referred_on person_id provider started_on "
    "ended_on",
    "signals.csv": "signal_id kind observed_on person_id case_id source detail",
    "payments.csv": "case_id month current_due current_paid arrears_due arrears_paid",
    "removals.csv": "removal_id case_id person_id removed_on discharged_on discharge_reason",
    "placements.csv": "placement_id removal_id setting start_on end_on provider_id",
    "case_goals.csv": "goal_id case_id description person_id target_on status",
    "costs.csv": "office_id period expenditures",
}
FORMATS = {
    "date": r"\d{4}-\d\d-\d\d",
    "datetime": r"\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d)?)?",
    "money": r"\d+(\.\d\d?)?",
    "int": r"\d+",
    "number": r"\d+(\.\d+)?",
    "month": r"\d{4}-(0[1-9]|1[0-2])",
    "ffy": r"FFY\d{4}",
    "bool": "|".join(BOOL_TRUE + BOOL_FALSE),
}


def read(folder, name):
    with open(folder / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def completed(data, kind):
    return [e for e in data["events.csv"] if e["kind"] == kind and e["status"] == "completed"]


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    summary = write_demo(folder, cases=1000, seed=1, today=TODAY)
    data = {name: read(folder, name) for name in HEADERS}
    return folder, summary, data


def test_same_inputs_write_identical_files_and_another_seed_differs(tmp_path):
    runs = [(1, tmp_path / "a"), (1, tmp_path / "b"), (2, tmp_path / "c")]
    for seed, folder in runs:
        write_demo(folder, cases=300, seed=seed, today=TODAY)
    names = [*HEADERS, "manifest.toml"]
    a, b, c = ([(folder / n).read_bytes() for n in names] for _, folder in runs)
    assert a == b
    assert a[1] != c[1] and a[3] != c[3]


def test_every_file_starts_with_the_contract_header(export):
    folder, summary, data = export
    for name, header in HEADERS.items():
        first = (folder / name).read_bytes().split(b"\n", 1)[0].decode()
        assert first == header.replace(" ", ","), name
        assert summary.files[name] == len(data[name])
    assert b"\r" not in (folder / "events.csv").read_bytes()


def test_manifest_describes_a_full_standard_export(export):
    folder, summary, _ = export
    assert (folder / "manifest.toml").read_text() == (
        'source = "casecli demo"\nas_of = 2026-11-24T23:00:00\nkind = "full"\n'
        'profile = "standard"\nseed = 1\ncases = 1000\n'
    )
    assert summary.cases == 1000 and summary.seconds > 0


def test_every_value_is_valid_for_its_column(export):
    _, _, data = export
    for name, rows in data.items():
        rt = BY_NAME[name.removesuffix(".csv")]
        for row in rows:
            for col in rt.columns:
                value = row[col.name]
                if not value:
                    assert not col.required, (name, col.name, row)
                elif col.type == "enum":
                    assert value in col.values, (name, col.name, value)
                elif col.type in FORMATS:
                    assert re.fullmatch(FORMATS[col.type], value), (name, col.name, value)
                    if col.type in ("date", "datetime"):
                        datetime.fromisoformat(value)


def test_conditional_requirements_hold(export):
    _, _, data = export
    for s in data["staff.csv"]:
        if s["role"] in ("worker", "supervisor"):
            assert s["unit_id"] and s["office_id"], s
        if s["role"] == "manager":
            assert s["office_id"], s
    for case in data["cases.csv"]:
        assert bool(case["closed_on"]) == (case["status"] == "closed"), case
    for e in data["events.csv"]:
        assert e["status"] != "scheduled" or e["scheduled_on"], e
        assert e["status"] != "completed" or e["completed_on"], e
        assert (e["completed_on"] or "0")[:10] <= TODAY.isoformat(), e
    assert all(s["person_id"] or s["case_id"] for s in data["signals.csv"])


def test_references_resolve_and_keys_are_unique(export):
    _, _, data = export
    keys = {rt: {row[key] for row in data[f"{rt}.csv"]} for rt, key in REF_KEY.items()}
    keys |= {ref: {row[key] for row in data[f"{t}.csv"]} for ref, (t, key) in REF_COLUMN.items()}
    for name, rows in data.items():
        rt = BY_NAME[name.removesuffix(".csv")]
        key = Counter(tuple(row[k] for k in rt.key) for row in rows)
        assert key.most_common(1)[0][1] == 1, (name, key.most_common(1))
        for col in rt.columns:
            if col.ref:
                missing = {row[col.name] for row in rows} - keys[col.ref] - {""}
                assert not missing, (name, col.name, sorted(missing)[:5])
    in_case = {(p["person_id"], p["case_id"]) for p in data["people.csv"]}
    for name in ("events.csv", "referrals.csv", "removals.csv", "case_goals.csv", "signals.csv"):
        for row in data[name]:
            if row["person_id"] and row["case_id"]:
                assert (row["person_id"], row["case_id"]) in in_case, (name, row)
    shared = Counter(
        p["person_id"] for p in data["people.csv"] if p["role"] not in ("gal", "attorney")
    )
    assert sum(n == 2 for n in shared.values()) >= 1 and max(shared.values()) == 2


def test_a_thousand_cases_are_one_office_of_three_or_four_units_with_uneven_loads(export):
    _, _, data = export
    staff = data["staff.csv"]
    assert {s["office_name"] for s in staff if s["office_id"]} == {"North County Office"}
    assert 3 <= len({s["unit_id"] for s in staff if s["unit_id"]}) <= 4
    assert Counter(s["role"] for s in staff)["admin"] == 1
    assert 2 <= sum(s["active"] == "false" for s in staff) <= 4
    programs = Counter(c["program"] for c in data["cases.csv"])
    assert 0.55 <= programs["child_welfare"] / 1000 <= 0.65
    welfare = [c for c in data["cases.csv"] if c["program"] == "child_welfare"]
    load = Counter(c["worker_id"] for c in welfare if c["status"] == "open")
    active = [load[s["staff_id"]] for s in staff if s["active"] == "true" and s["role"] == "worker"]
    active = [n for n in active if n]  # child welfare workers
    median = statistics.median(active)
    assert 15 <= median <= 25
    assert max(active) >= 1.3 * median and min(active) <= 0.7 * median


def test_some_investigation_is_past_its_response_time_with_no_child_seen(export):
    _, _, data = export
    seen = {e["case_id"] for e in completed(data, "face_to_face_contact")}
    start_of_today = datetime.combine(TODAY, datetime.min.time())
    overdue = [
        c
        for c in data["cases.csv"]
        if c["case_type"] == "investigation" and c["status"] == "open" and c["case_id"] not in seen
        and datetime.fromisoformat(c["opened_on"]) + timedelta(hours=int(c["response_hours"])) < start_of_today
    ]  # fmt: skip
    on_time = [
        c for c in data["cases.csv"] if c["case_type"] == "investigation" and c["case_id"] in seen
    ]
    assert 1 <= len(overdue) < len(on_time) / 4


def test_substance_treatment_is_the_waitlist_bottleneck(export):
    _, _, data = export
    waits = defaultdict(list)
    for ref in data["referrals.csv"]:
        if ref["status"] == "waitlisted":
            waits[ref["service"]].append((TODAY - date.fromisoformat(ref["referred_on"])).days)
        if ref["status"] in ("active", "completed"):
            assert ref["referred_on"] <= ref["started_on"] <= (ref["ended_on"] or "9999")
    most = max(waits, key=lambda s: len(waits[s]))
    assert most == "substance_treatment"
    assert statistics.median(waits[most]) >= 30
    assert len(waits[most]) > 2 * max(len(v) for s, v in waits.items() if s != most)


def test_some_signals_are_fresh(export):
    _, _, data = export
    ages = [(TODAY - date.fromisoformat(s["observed_on"])).days for s in data["signals.csv"]]
    assert any(1 <= age <= 14 for age in ages)
    assert len(ages) < 0.1 * 1000


def test_payments_are_monthly_for_child_support_cases_with_an_order(export):
    _, _, data = export
    cases = {c["case_id"]: c for c in data["cases.csv"]}
    months = defaultdict(list)
    for p in data["payments.csv"]:
        case = cases[p["case_id"]]
        assert case["program"] == "child_support" and case["order_established_on"], case
        assert float(p["current_paid"]) <= float(p["current_due"])
        months[p["case_id"]].append(p["month"])
    assert max(len(m) for m in months.values()) == 13
    assert max(max(m) for m in months.values()) == "2026-11"
    paid = defaultdict(float)  # from never to always in full
    for p in data["payments.csv"]:
        paid[p["case_id"]] += float(p["current_paid"])
    assert 0 in paid.values() and len(set(paid.values())) > len(paid) / 2


def test_placements_fill_their_removal_back_to_back(export):
    _, _, data = export
    removals = {r["removal_id"]: r for r in data["removals.csv"]}
    by_removal = defaultdict(list)
    for p in data["placements.csv"]:
        by_removal[p["removal_id"]].append(p)
    assert set(by_removal) == set(removals)
    for rid, places in by_removal.items():
        removal = removals[rid]
        assert places[0]["start_on"] == removal["removed_on"]
        for before, after in pairwise(places):
            assert before["end_on"] == after["start_on"] > before["start_on"]
        assert places[-1]["end_on"] == removal["discharged_on"]


def test_most_foster_children_are_visited_monthly_mostly_at_home(export):
    _, _, data = export
    visits = completed(data, "caseworker_visit")
    done = {(e["person_id"], e["completed_on"][:7]) for e in visits}
    in_care = {
        (r["person_id"], "2026-10")
        for r in data["removals.csv"]
        if r["removed_on"] < "2026-10" and not r["discharged_on"]
    }
    assert 0.85 <= len(in_care & done) / len(in_care) < 1
    assert Counter(e["location"] for e in visits)["home"] > 0.6 * len(visits)


def test_progress_is_reported_with_cases_done(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "PROGRESS_EVERY", 200)
    seen = []
    summary = write_demo(tmp_path, cases=500, progress=seen.append)
    assert seen == [200, 400, 500]
    assert summary.files["cases.csv"] == 500


def test_every_size_has_an_office_and_workers_of_both_programs(tmp_path: Path) -> None:
    """6,000-12,499 cases once rounded to zero offices (and crashed with IndexError)."""
    summary = write_demo(tmp_path / "d", cases=10_000, seed=2, today=date(2026, 11, 24))
    assert summary.files["cases.csv"] == 10_000
    with (tmp_path / "d" / "staff.csv").open(newline="") as fh:
        staff = list(csv.DictReader(fh))
    assert {s["office_id"] for s in staff if s["role"] == "manager"} == {"O01"}
    units = {s["unit_name"] for s in staff if s["role"] == "worker"}
    assert any("Child Support" in u for u in units) and any("Child Welfare" in u for u in units)


def test_placements_name_their_provider_and_a_return_after_a_runaway_keeps_it(export):
    # EXPORTS.md provider_id (issue 13 item 5): every placement in a home or facility
    # names one; a runaway or a trial home visit names none; back from a runaway, the
    # child returns to the home they ran from, which the stability measure does not count
    # as a move.
    _, _, data = export
    by_removal = defaultdict(list)
    for p in data["placements.csv"]:
        by_removal[p["removal_id"]].append(p)
    returns = 0
    for places in by_removal.values():
        home = ""
        for before, p in zip([None, *places[:-1]], places, strict=True):
            away = p["setting"] in ("runaway", "trial_home_visit")
            assert (p["provider_id"] == "") == away
            if before and before["setting"] == "runaway" and not away and p["setting"] != "respite":
                assert p["provider_id"] == home
                returns += 1
            if p["setting"] not in ("runaway", "trial_home_visit", "respite"):
                home = p["provider_id"]
    assert returns >= 1


def test_costs_give_each_office_a_plausible_cost_effectiveness_for_each_fiscal_year(export):
    """costs.csv (issue 13 item 12): one row per office and fiscal year with collections
    (the ledger's 13 months reach into FFY2026 and FFY2027), expenditures such that the
    office collects $3.20-$6.20 (give or take 8%) per dollar spent."""
    _, _, data = export
    office = {s["staff_id"]: s["office_id"] for s in data["staff.csv"]}
    worker = {c["case_id"]: c["worker_id"] for c in data["cases.csv"]}
    collected: dict[tuple[str, str], int] = defaultdict(int)
    for p in data["payments.csv"]:
        year, month = int(p["month"][:4]), int(p["month"][5:])
        fy = f"FFY{year + (month >= 10)}"
        cents = round(float(p["current_paid"]) * 100) + round(float(p["arrears_paid"]) * 100)
        collected[(office[worker[p["case_id"]]], fy)] += cents
    rows = {(r["office_id"], r["period"]): r for r in data["costs.csv"]}
    assert sorted(rows) == [("O01", "FFY2026"), ("O01", "FFY2027")]
    assert sorted(k for k, v in collected.items() if v) == sorted(rows)
    for key, row in rows.items():
        ratio = collected[key] / round(float(row["expenditures"]) * 100)
        assert 3.2 / 1.08 <= ratio <= 6.2 / 0.92, (key, ratio)
