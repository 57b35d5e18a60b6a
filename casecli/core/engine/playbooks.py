"""Playbooks: what must happen on a case of each type, and when (TOML, one file per type).

Defaults ship in ``casecli/playbooks/``; a jurisdiction overrides them with a folder of
its own (``playbooks = "DIR"`` in the config, or ``--playbooks DIR``): a file there
replaces the default of the same name (``foster_care.toml``) or adds a case type.
``generic.toml`` applies to case types with no playbook.

A step::

    [[steps]]
    id = "case_plan"                     # unique in the playbook
    title = "Write the case plan"        # the action, as the worker reads it
    done_by = ["case_plan"]              # event kinds that complete it
    due = { from = "removal", days = 60 }
    requires = ["first_contact"]         # steps that must be done first
    per = "case"                         # or "child", "child_in_care": one per child
    every = "month"                      # recurring: once per calendar month
    count = 2                            # completions needed (default 1)
    only_if = "paternity_needed"         # a condition on the case (see CONDITIONS)
    unless_goal = ["relative"]           # not needed for these permanency goals
    statutory = true                     # a legal deadline: weighs more in urgency
    court = true                         # a court deadline: weighs more in urgency
    safety = true                        # about the child's safety: risk weighs in
    effort_hours = 2.0                   # for capacity
    services = ["substance_treatment"]   # waits while a referral to these is not started

``due`` is relative to ``from`` (opened, removal, entry, order, income_change,
employment, asfa_month_15), to ``after``
another step's completion, or ``before`` the next hearing; with ``days``, ``months``,
``hours`` (or ``hours_from``/``days_from`` a case field or playbook setting),
``business_days`` (Monday to Friday; holidays are not in the exports, so a date is never
later than the jurisdiction's calendar would make it) and
``repeat = true`` for a deadline that recurs every interval after the anchor. ``entry``
is the date of entry into foster care (42 USC 675(5)(F)): the earlier of the court's
``adjudication`` (on or after the removal) and 60 days after the removal.
``asfa_month_15`` is the day a child's 15th month in care of the most recent 22 ends
(:mod:`casecli.core.engine.asfa`: months added up across the child's episodes from each entry,
trial home visits and runaway time left out); a step from it is per child in care.
``employment`` is the day the agency learned of the paying parent's new job (the latest
``new_employment`` signal in the last 180 days, on or after the order, with no
``income_withholding`` since; the condition ``employment_learned``).

**Workload** (``case_hours_per_month``, a number at the top of the file): the steady hours
an open case of this type needs each month: visits, contacts, documentation, travel,
including the recurring steps (``every = "month"``), whose ``effort_hours`` therefore do
not count again. Capacity used (:mod:`casecli.core.views.unit`) adds it to the ``effort_hours``
of the dated steps due. A jurisdiction's playbook without it keeps the default playbook's
figure for its case type (else ``generic.toml``'s), so an older override is not silently
counted as no work.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, NamedTuple

from casecli.core.errors import CasecliError

ANCHORS = ("opened", "removal", "entry", "order", "income_change", "employment", "asfa_month_15")
PER = ("case", "child", "child_in_care")
CONDITIONS = (
    "paternity_needed", "not_paying", "income_changed", "in_care", "order_recent",
    "employment_learned",
)  # fmt: skip
CASE_FIELDS = ("response_hours",)
STEP_KEYS = {
    "id", "title", "done_by", "due", "requires", "per", "every", "count", "only_if",
    "unless_goal", "statutory", "court", "safety", "effort_hours", "services",
}  # fmt: skip
DUE_KEYS = {
    "from",
    "after",
    "before",
    "days",
    "months",
    "hours",
    "hours_from",
    "days_from",
    "repeat",
    "business_days",
}


class Due(NamedTuple):
    anchor: str | None = None  # one of ANCHORS
    after: str | None = None  # a step id
    before: str | None = None  # "next_hearing"
    days: int = 0
    months: int = 0
    hours: int = 0
    hours_from: str | None = None
    days_from: str | None = None
    repeat: bool = False
    business_days: int = 0  # Monday to Friday, after the rest


class Step(NamedTuple):
    id: str
    title: str
    done_by: tuple[str, ...]
    due: Due | None = None
    requires: tuple[str, ...] = ()
    per: str = "case"
    every: str | None = None
    count: int = 1  # type: ignore[assignment]  # shadows tuple.count, on purpose
    only_if: str | None = None
    unless_goal: tuple[str, ...] = ()
    statutory: bool = False
    court: bool = False
    safety: bool = False
    effort_hours: float = 1.0
    services: tuple[str, ...] = ()


class Playbook(NamedTuple):
    case_type: str
    name: str
    steps: tuple[Step, ...]
    settings: dict[str, int]
    source: str = ""
    case_hours_per_month: float | None = None  # None: not in the file (load fills it in)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


# The default playbooks, shipped in the wheel beside this package (a plain path, not
# importlib.resources: that import alone costs ~2 ms of every `next` that evaluates).
DEFAULTS = Path(__file__).resolve().parents[2] / "playbooks"


class PlaybookError(CasecliError):
    pass


def _fail(file: str, step: str | None, problem: str) -> PlaybookError:
    where = f"playbook {file}" + (f", step {step!r}" if step else "")
    return PlaybookError(f"The {where}: {problem}; fix the file.")


def parse(text: str, case_type: str, file: str) -> Playbook:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(file, None, f"is not valid TOML ({exc})") from None
    name = data.pop("name", case_type)
    raw_steps = data.pop("steps", [])
    case_hours = data.pop("case_hours_per_month", None)
    if case_hours is not None and (
        not isinstance(case_hours, int | float) or isinstance(case_hours, bool) or case_hours < 0
    ):
        raise _fail(file, None, "case_hours_per_month must be a number of hours (0 or more)")
    settings: dict[str, int] = {}
    for key, value in data.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(file, None, f"setting {key!r} must be a whole number")
        settings[key] = value
    if not isinstance(raw_steps, list) or not raw_steps:
        raise _fail(file, None, "has no [[steps]]")
    steps = [_step(raw, file, settings) for raw in raw_steps]
    ids = [s.id for s in steps]
    for s in steps:
        if ids.count(s.id) > 1:
            raise _fail(file, s.id, "the id is used twice")
        for req in s.requires + ((s.due.after,) if s.due and s.due.after else ()):
            if req not in ids:
                raise _fail(file, s.id, f"it refers to step {req!r}, which is not in this playbook")
    hours = None if case_hours is None else float(case_hours)
    return Playbook(case_type, str(name), tuple(steps), settings, file, hours)


def _step(raw: Any, file: str, settings: dict[str, int]) -> Step:
    if not isinstance(raw, dict):
        raise _fail(file, None, "each [[steps]] entry must be a table")
    sid = raw.get("id")
    if not isinstance(sid, str) or not sid:
        raise _fail(file, None, "a step has no id")
    unknown = set(raw) - STEP_KEYS
    if unknown:
        raise _fail(
            file, sid, f"unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(STEP_KEYS))})"
        )
    title = raw.get("title")
    if not isinstance(title, str) or not title:
        raise _fail(file, sid, "it needs a title")
    done_by = raw.get("done_by")
    if not isinstance(done_by, list) or not done_by or not all(isinstance(k, str) for k in done_by):
        raise _fail(file, sid, "done_by must list the event kinds that complete it")
    per = raw.get("per", "case")
    if per not in PER:
        raise _fail(file, sid, f"per is {per!r}; use one of {', '.join(PER)}")
    every = raw.get("every")
    if every not in (None, "month"):
        raise _fail(file, sid, f'every is {every!r}; only "month" is known')
    only_if = raw.get("only_if")
    if only_if is not None and only_if not in CONDITIONS:
        raise _fail(file, sid, f"only_if is {only_if!r}; use one of {', '.join(CONDITIONS)}")
    due = _due(raw.get("due"), file, sid, settings)
    if due is None and every is None:
        raise _fail(file, sid, 'it needs a due = { … } or every = "month"')
    if due is not None and due.anchor == "asfa_month_15" and per == "case":
        raise _fail(file, sid, 'due.from "asfa_month_15" is per child: add per = "child_in_care"')
    for key in ("statutory", "court", "safety"):
        if not isinstance(raw.get(key, False), bool):
            raise _fail(file, sid, f"{key} must be true or false")
    count = raw.get("count", 1)
    effort = raw.get("effort_hours", 1.0)
    if not isinstance(count, int) or count < 1:
        raise _fail(file, sid, "count must be a whole number of at least 1")
    if not isinstance(effort, int | float) or effort < 0:
        raise _fail(file, sid, "effort_hours must be a number of hours")
    return Step(
        id=sid,
        title=title,
        done_by=tuple(done_by),
        due=due,
        requires=tuple(raw.get("requires", ())),
        per=per,
        every=every,
        count=count,
        only_if=only_if,
        unless_goal=tuple(raw.get("unless_goal", ())),
        statutory=raw.get("statutory", False),
        court=raw.get("court", False),
        safety=raw.get("safety", False),
        effort_hours=float(effort),
        services=tuple(raw.get("services", ())),
    )


def _due(raw: Any, file: str, sid: str, settings: dict[str, int]) -> Due | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _fail(file, sid, 'due must be a table like { from = "opened", days = 30 }')
    unknown = set(raw) - DUE_KEYS
    if unknown:
        raise _fail(file, sid, f"due has an unknown key {sorted(unknown)[0]!r}")
    anchors = [k for k in ("from", "after", "before") if k in raw]
    if len(anchors) != 1:
        raise _fail(file, sid, "due needs exactly one of from, after or before")
    if "from" in raw and raw["from"] not in ANCHORS:
        raise _fail(file, sid, f"due.from is {raw['from']!r}; use one of {', '.join(ANCHORS)}")
    if "before" in raw and raw["before"] != "next_hearing":
        raise _fail(file, sid, 'due.before can only be "next_hearing"')
    if raw.get("hours_from") not in (None, *CASE_FIELDS):
        raise _fail(file, sid, f"due.hours_from must be one of {', '.join(CASE_FIELDS)}")
    if raw.get("days_from") is not None and raw["days_from"] not in settings:
        raise _fail(
            file,
            sid,
            f"due.days_from names {raw['days_from']!r}, which is not a setting at the top of the file",
        )
    for key in ("days", "months", "hours", "business_days"):
        if not isinstance(raw.get(key, 0), int) or raw.get(key, 0) < 0:
            raise _fail(file, sid, f"due.{key} must be a whole number")
    return Due(
        anchor=raw.get("from"),
        after=raw.get("after"),
        before=raw.get("before"),
        days=raw.get("days", 0),
        months=raw.get("months", 0),
        hours=raw.get("hours", 0),
        hours_from=raw.get("hours_from"),
        days_from=raw.get("days_from"),
        repeat=bool(raw.get("repeat", False)),
        business_days=raw.get("business_days", 0),
    )


def load(override_dir: Path | None = None) -> dict[str, Playbook]:
    """Every playbook by case type: the defaults, then a jurisdiction's folder over them."""
    books: dict[str, Playbook] = {}
    for entry in sorted(DEFAULTS.glob("*.toml")):
        books[entry.stem] = parse(entry.read_text(encoding="utf-8"), entry.stem, entry.name)
    if override_dir is not None:
        if not override_dir.is_dir():
            raise CasecliError(
                f"The playbooks folder {override_dir} does not exist; check the path."
            )
        for path in sorted(override_dir.glob("*.toml")):
            book = parse(path.read_text(encoding="utf-8"), path.stem, str(path))
            if book.case_hours_per_month is None:  # keep the default's figure for the type
                shipped = books.get(path.stem) or books["generic"]
                book = book._replace(case_hours_per_month=shipped.case_hours_per_month)
            books[path.stem] = book
    return books


def case_hours_per_month(books: dict[str, Playbook], case_type: str) -> float:
    """The steady hours a month an open case of ``case_type`` needs (its playbook's
    ``case_hours_per_month``; 0 when no playbook gives one)."""
    return for_case(books, case_type).case_hours_per_month or 0.0


def for_case(books: dict[str, Playbook], case_type: str) -> Playbook:
    return books.get(case_type) or books["generic"]
