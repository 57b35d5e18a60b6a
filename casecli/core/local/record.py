"""Local writes: what a user records (events, barriers, goal progress), each audited.

Every write checks the case is in the actor's scope, validates its values, and lands in
ONE transaction together with its audit_log row, so a write is never unaudited. The
audit detail holds ids, kinds, dates and enum values only: free text (a barrier's
``what``, a ``result``, a ``note``) may name people, so it stays in the row itself.

A recorded event that the export later carries too is linked at read time
(:func:`recorded_events_for`), never by changing either side: a sync never writes
local tables.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from casecli.core import when as when_module
from casecli.core.engine import playbooks
from casecli.core.engine.casedata import recorded_events_for  # noqa: F401  (reads live in casedata)
from casecli.core.errors import CasecliError, UsageError
from casecli.core.store import contract
from casecli.core.store.scope import Actor, check_case
from casecli.core.store.store import on_team, store_error

LOCATIONS = contract.EVENTS.column("location").values
GOAL_STATUSES = contract.CASE_GOALS.column("status").values
_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2})?")


def timestamp() -> str:
    return datetime.now().isoformat(timespec="seconds")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction (a savepoint if the caller already holds one)."""
    if conn.in_transaction:
        conn.execute("SAVEPOINT casecli_write")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK TO casecli_write")
            conn.execute("RELEASE casecli_write")
            raise
        conn.execute("RELEASE casecli_write")
        return
    try:  # locked, read-only or a full disk: one sentence, nothing written
        conn.execute("BEGIN IMMEDIATE")  # (a team store: BEGIN, casecli.core.store.dialect)
    except sqlite3.OperationalError as exc:
        raise store_error(exc, "try again") from None
    try:
        yield
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise store_error(exc, "try again") from None
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def audit(
    conn: sqlite3.Connection,
    who: Actor,
    at: str,
    action: str,
    entity: str,
    entity_id: object,
    detail: dict[str, Any],
) -> None:
    """The write's audit row, in its transaction. Not on a team store: there the
    database's own triggers write it, from the session's login (a client's row would be
    refused, and could say anything)."""
    if on_team(conn):
        return
    conn.execute(
        "INSERT INTO audit_log (at, who, action, entity, entity_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (at, who.staff_id, action, entity, str(entity_id), json.dumps(detail, sort_keys=True)),
    )


# Values ------------------------------------------------------------------------------


def parse_when(value: str | date | None, today: date, option: str = "--on") -> date | datetime:
    """When something happened: YYYY-MM-DD, YYYY-MM-DDTHH:MM, today or yesterday; not later
    than ``today``."""
    if value is None:
        return today
    if isinstance(value, datetime | date):
        when: date | datetime = value
    else:
        text = value.strip().lower()
        if text == "today":
            return today
        if text == "yesterday":
            return today - timedelta(days=1)
        when = _parse_date_or_time(text, value, option)
    day = when.date() if isinstance(when, datetime) else when
    _within_the_contract(day, option, value)
    if day > today:
        raise UsageError(
            f"{option} {value} is in the future; record what has happened "
            "(schedule it in the system of record)."
        )
    return when


def _parse_date_or_time(text: str, raw: str, option: str) -> date | datetime:
    try:
        if _DATE_SHAPE.fullmatch(text):
            return date.fromisoformat(text)
        if _DATETIME_SHAPE.fullmatch(text):
            return datetime.fromisoformat(text.upper().replace(" ", "T"))
    except ValueError:
        raise UsageError(f"{option} {raw} is not a real date; use YYYY-MM-DD.") from None
    raise UsageError(
        f"{option} {raw!r} is not a date; use YYYY-MM-DD, YYYY-MM-DDTHH:MM, today or yesterday."
    )


def parse_date(value: str | date, option: str) -> date:
    """A calendar date given as YYYY-MM-DD."""
    if isinstance(value, date):
        return value
    text = value.strip()
    if not _DATE_SHAPE.fullmatch(text):
        raise UsageError(f"{option} {value!r} is not a date; use YYYY-MM-DD.")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {value} is not a real date; use YYYY-MM-DD.") from None
    _within_the_contract(day, option, value)
    return day


def _within_the_contract(day: date, option: str, raw: object) -> None:
    """The dates an export may hold (casecli.core.when) bound what a user records too."""
    if not when_module.FIRST_YEAR <= day.year <= when_module.LAST_YEAR:
        raise UsageError(f"{option} {raw} is not between 1900-01-01 and 2100-12-31.")


def _iso(when: date | datetime) -> str:
    return when.isoformat(timespec="minutes") if isinstance(when, datetime) else when.isoformat()


def known_kinds(books: dict[str, playbooks.Playbook]) -> list[str]:
    """Every event kind a user may record: the contract's, then any a playbook counts."""
    kinds = list(contract.EVENT_KINDS)
    for book in books.values():
        for step in book.steps:
            kinds.extend(k for k in step.done_by if k not in kinds)
    return kinds


def _check_kind(kind: str, books: dict[str, playbooks.Playbook]) -> None:
    kinds = known_kinds(books)
    if kind in kinds:
        return
    from difflib import get_close_matches

    close = [k for k in kinds if kind and kind in k][:3] or get_close_matches(kind, kinds, n=3)
    hint = f"did you mean {' or '.join(close)}?" if close else f"e.g. {', '.join(kinds[:4])}"
    raise UsageError(
        f"{kind!r} is not an event kind casecli knows ({hint}); see casecli record --help."
    )


def _has_person(conn: sqlite3.Connection, case_id: str, person_id: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM people WHERE case_id = ? AND person_id = ?", (case_id, person_id)
        ).fetchone()
        is not None
    )


def _check_person(conn: sqlite3.Connection, case_id: str, person_id: str) -> None:
    if not _has_person(conn, case_id, person_id):
        raise CasecliError(
            f"There is no person {person_id} in case {case_id}; "
            f"casecli case {case_id} lists its people."
        )


ALL_PEOPLE = "all"  # --person all: the event was with every child of the case


def _check_open(case: dict[str, Any]) -> None:
    """Nothing is recorded on a closed case: its steps are over, so a visit recorded there
    would count nowhere and show nowhere (issue 12)."""
    if case["status"] == "open":
        return
    closed = f" on {str(case['closed_on'])[:10]}" if case.get("closed_on") else ""
    raise CasecliError(
        f"Case {case['case_id']} was closed{closed}, so nothing was recorded; if the work "
        "goes on, the case must be reopened in the system of record first."
    )


def _check_which_child(
    conn: sqlite3.Connection, case: dict[str, Any], kind: str, books: dict[str, playbooks.Playbook]
) -> None:
    """A kind that completes a step done per child (``face_to_face_contact`` in an
    investigation, ``caseworker_visit`` in foster care), recorded on a case with more than
    one such child, must say which child: without ``--person`` it would complete every
    child's step at once, silently (issue 12). Ids only in the message, never names."""
    book = playbooks.for_case(books, str(case["case_type"]))
    pers = {s.per for s in book.steps if s.per != "case" and kind in s.done_by}
    if not pers:
        return
    in_care = "child" not in pers  # only steps per child in care
    rows = conn.execute(
        "SELECT p.person_id FROM people p WHERE p.case_id = ? AND p.role = 'child'"
        " AND p._gone_on IS NULL AND (? = 0 OR EXISTS (SELECT 1 FROM removals r"
        "  WHERE r.case_id = p.case_id AND r.person_id = p.person_id"
        "  AND r._gone_on IS NULL AND r.discharged_on IS NULL))"
        " ORDER BY p.person_id",
        (case["case_id"], int(in_care)),
    ).fetchall()
    if len(rows) <= 1:
        return
    ids = ", ".join(r[0] for r in rows)
    raise UsageError(
        f"Case {case['case_id']} has {len(rows)} children and {kind} counts for each one "
        f"separately ({ids}); say which with --person ID, or --person {ALL_PEOPLE} if it was "
        "with every one of them."
    )


def _check_location(location: str) -> None:
    if location not in LOCATIONS:
        raise UsageError(
            f"--location {location!r} is not a location casecli knows; "
            f"use one of {', '.join(LOCATIONS)}."
        )


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


# Writes ------------------------------------------------------------------------------


def record_event(
    conn: sqlite3.Connection,
    who: Actor,
    case_id: str,
    kind: str,
    *,
    person_id: str | None = None,
    on: str | date | None = None,
    location: str | None = None,
    result: str | None = None,
    note: str | None = None,
    today: date,
    books: dict[str, playbooks.Playbook],
    now: str | None = None,
) -> int:
    """Record an event that happened (a visit, a contact, a report filed); its new id."""
    kind = kind.strip()
    person_id, location = _text(person_id), _text(location)
    with transaction(conn):
        case = check_case(conn, who, case_id)
        _check_open(case)
        _check_kind(kind, books)
        if (
            person_id is not None
            and person_id.lower() == ALL_PEOPLE
            and not _has_person(conn, case_id, person_id)
        ):  # (a person whose id is "all" is that person)
            person_id = None  # every child's step: said out loud, not assumed
        elif person_id is not None:
            _check_person(conn, case_id, person_id)
        else:
            _check_which_child(conn, case, kind, books)
        if location is not None:
            _check_location(location)
        occurred = _iso(parse_when(on, today))
        at = now or timestamp()
        cur = conn.execute(
            "INSERT INTO recorded_events (case_id, kind, person_id, occurred_at, location, result,"
            " note, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                case_id,
                kind,
                person_id,
                occurred,
                location,
                _text(result),
                _text(note),
                who.staff_id,
                at,
            ),
        )
        new_id = int(cur.fetchall()[0][0])  # (every row: the statement is done)
        audit(
            conn,
            who,
            at,
            "record",
            "recorded_events",
            new_id,
            {
                "case_id": case_id,
                "kind": kind,
                "person_id": person_id,
                "occurred_at": occurred,
                "location": location,
                "result": result is not None,
                "note": note is not None,
            },
        )
    return new_id


def add_barrier(
    conn: sqlite3.Connection,
    who: Actor,
    case_id: str,
    what: str,
    *,
    service: str | None = None,
    step: str | None = None,
    expect: str | date | None = None,
    today: date,
    books: dict[str, playbooks.Playbook],
    now: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> int:
    """Record what a case is waiting for (a barrier); its new id. ``fields``: what a form
    calls its inputs (``what``, ``expect``), so that an error names the field the user
    filled in rather than the command line's ``--expect`` (issue 14 item 21)."""
    what_text = _text(what)
    step, service = _text(step), _text(service)
    with transaction(conn):
        case = check_case(conn, who, case_id)
        if what_text is None:
            if fields is not None:
                raise UsageError(
                    f"Say what case {case_id} is waiting for in “{fields.get('what', 'what')}”, "
                    'e.g. "drug screen result".'
                )
            raise UsageError(
                f'Say what case {case_id} is waiting for, e.g. casecli wait {case_id} "drug screen result".'
            )
        if step is not None:
            book = playbooks.for_case(books, str(case["case_type"]))
            if book.step(step) is None:
                raise CasecliError(
                    f"Step {step} is not in the {book.case_type} playbook "
                    f"(its steps: {', '.join(s.id for s in book.steps)})."
                )
        expect_name = f"“{fields.get('expect', 'expect')}”" if fields is not None else "--expect"
        expect_on = parse_date(expect, expect_name).isoformat() if expect is not None else None
        at = now or timestamp()
        cur = conn.execute(
            "INSERT INTO barriers (case_id, what, service, step, expect_on, opened_on, opened_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING barrier_id",
            (case_id, what_text, service, step, expect_on, today.isoformat(), who.staff_id),
        )
        new_id = int(cur.fetchall()[0][0])  # (every row: the statement is done)
        audit(
            conn,
            who,
            at,
            "wait",
            "barriers",
            new_id,
            {
                "case_id": case_id,
                "service": service,
                "step": step,
                "expect_on": expect_on,
                "opened_on": today.isoformat(),
            },
        )
    return new_id


def barrier_number(text: str) -> int:
    """The number of a recorded barrier as a user may give it: ``5``, ``#5`` or the
    ``--json`` id ``barrier:5`` (issue 14 item 6). Anything else is one sentence (exit 2):
    a referral's or an event's id names a wait that ends by itself."""
    raw = str(text).strip()
    kind, sep, rest = raw.partition(":")
    number = rest if sep and kind == "barrier" else raw.removeprefix("#")
    if number.isascii() and number.isdigit() and int(number) > 0:
        return int(number)
    if sep and kind in ("referral", "event"):
        raise UsageError(
            f"{raw} is not a recorded barrier: it ends when the service starts or the result "
            "comes in; casecli resolve takes the numbers casecli waiting shows (#5, or barrier:5)."
        )
    raise UsageError(
        f"{raw!r} is not a barrier number; give the number casecli waiting shows "
        "(5, #5 or barrier:5)."
    )


def resolve_barrier(
    conn: sqlite3.Connection,
    who: Actor,
    barrier_id: int,
    *,
    today: date,
    note: str | None = None,
    now: str | None = None,
) -> dict[str, Any]:
    """Clear a barrier; the barrier as it now stands."""
    note = _text(note)
    with transaction(conn):
        cur = conn.execute("SELECT * FROM barriers WHERE barrier_id = ?", (barrier_id,))
        row = cur.fetchone()
        if row is None:  # (a team store hides the barriers of cases out of one's scope)
            where = "your scope on this team store" if on_team(conn) else "the store"
            raise CasecliError(
                f"There is no barrier #{barrier_id} in {where}; casecli waiting lists the open ones."
            )
        barrier = dict(zip([d[0] for d in cur.description], row, strict=True))
        check_case(conn, who, barrier["case_id"])
        if barrier["resolved_on"] is not None:
            raise CasecliError(
                f"Barrier #{barrier_id} was already resolved on {barrier['resolved_on']} "
                f"by {barrier['resolved_by']}; nothing to do."
            )
        # Only while it is still open: on a team store two people may resolve it at once
        # (no write lock is taken before the read), and the second must be told, not
        # thanked for a write the database kept out.
        done = conn.execute(
            "UPDATE barriers SET resolved_on = ?, resolved_by = ?, note = COALESCE(?, note)"
            " WHERE barrier_id = ? AND resolved_on IS NULL RETURNING barrier_id",
            (today.isoformat(), who.staff_id, note, barrier_id),
        ).fetchall()
        if not done:
            now_row = conn.execute(
                "SELECT resolved_on, resolved_by FROM barriers WHERE barrier_id = ?", (barrier_id,)
            ).fetchone()
            when, by = now_row if now_row else ("a moment ago", "someone else")
            raise CasecliError(
                f"Barrier #{barrier_id} was resolved on {when} by {by} while you were resolving"
                " it; nothing more to do."
            )
        audit(
            conn,
            who,
            now or timestamp(),
            "resolve",
            "barriers",
            barrier_id,
            {
                "case_id": barrier["case_id"],
                "resolved_on": today.isoformat(),
                "note": note is not None,
            },
        )
        barrier.update(resolved_on=today.isoformat(), resolved_by=who.staff_id)
        if note is not None:
            barrier["note"] = note
    return barrier


def record_progress(
    conn: sqlite3.Connection,
    who: Actor,
    case_id: str,
    goal_id: str,
    *,
    percent: int | None = None,
    status: str | None = None,
    note: str | None = None,
    today: date,
    now: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> int:
    """Record progress on a case plan goal: a percent done or a status; the new id.
    ``fields``: what a form calls the percent and the status (the TUI's “Percent done”,
    “Status”), so its errors name them instead of the CLI's --percent and --status."""
    del today  # progress is dated by when it was recorded; kept for a uniform signature
    status = _text(status)
    pct, st = (
        (f"“{fields.get('percent', 'percent')}”", f"“{fields.get('status', 'status')}”")
        if fields is not None
        else ("--percent", "--status")
    )
    with transaction(conn):
        check_case(conn, who, case_id)
        goal = conn.execute(
            "SELECT 1 FROM case_goals WHERE goal_id = ? AND case_id = ?", (goal_id, case_id)
        ).fetchone()
        if goal is None:
            raise CasecliError(
                f"There is no goal {goal_id} in case {case_id}; "
                f"casecli case {case_id} lists its goals."
            )
        if (percent is None) == (status is None):
            raise UsageError(
                f"Give exactly one of {pct}{' N' if fields is None else ''} (0 to 100) or "
                f"{st} ({', '.join(GOAL_STATUSES)})."
            )
        if percent is not None and not 0 <= percent <= 100:
            raise UsageError(f"{pct} must be between 0 and 100, not {percent}.")
        if status is not None and status not in GOAL_STATUSES:
            raise UsageError(
                f"{st} {status!r} is not a goal status; use one of {', '.join(GOAL_STATUSES)}."
            )
        at = now or timestamp()
        cur = conn.execute(
            "INSERT INTO goal_progress (case_id, goal_id, percent, status, note, recorded_by,"
            " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (case_id, goal_id, percent, status, _text(note), who.staff_id, at),
        )
        new_id = int(cur.fetchall()[0][0])  # (every row: the statement is done)
        audit(
            conn,
            who,
            at,
            "progress",
            "goal_progress",
            new_id,
            {
                "case_id": case_id,
                "goal_id": goal_id,
                "percent": percent,
                "status": status,
                "note": note is not None,
            },
        )
    return new_id


# What was recorded, as ``casecli record``, ``wait``, ``resolve`` and ``progress`` show it
# (their ``--json`` objects) ---------------------------------------------------------------


def recorded_event(conn: sqlite3.Connection, event_id: int) -> dict[str, Any]:
    """A recorded event: id, case_id, kind, person_id, on (when it happened), location,
    result, note, recorded_by, recorded_at."""
    row = conn.execute(
        "SELECT id, case_id, kind, person_id, occurred_at, location, result, note,"
        " recorded_by, recorded_at FROM recorded_events WHERE id = ?",
        (event_id,),
    ).fetchone()
    keys = ("id", "case_id", "kind", "person_id", "on", "location", "result", "note")
    data = dict(zip(keys, row[:8], strict=True))
    data.update(recorded_by=row[8], recorded_at=row[9])
    return data


def recorded_progress(conn: sqlite3.Connection, progress_id: int) -> dict[str, Any]:
    """Recorded goal progress: id, case_id, goal_id, percent, status, note, recorded_by,
    recorded_at, on (the day it was recorded)."""
    row = conn.execute(
        "SELECT id, case_id, goal_id, percent, status, note, recorded_by, recorded_at"
        " FROM goal_progress WHERE id = ?",
        (progress_id,),
    ).fetchone()
    keys = ("id", "case_id", "goal_id", "percent", "status", "note", "recorded_by")
    data = dict(zip(keys, row[:7], strict=True))
    data["recorded_at"] = row[7]
    data["on"] = str(row[7])[:10]
    return data


def barrier(conn: sqlite3.Connection, barrier_id: int) -> dict[str, Any]:
    """A barrier as recorded: id, case_id, what, service, step, expect_on, opened_on,
    opened_by, resolved_on, resolved_by, note."""
    cur = conn.execute(
        "SELECT barrier_id AS id, case_id, what, service, step, expect_on, opened_on, opened_by,"
        " resolved_on, resolved_by, note FROM barriers WHERE barrier_id = ?",
        (barrier_id,),
    )
    return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
