"""The export contract (../shared/EXPORTS.md) as data: record types, columns, types, rules.

Everything sync validates comes from here, so the contract has one home in code.
"""

from __future__ import annotations

from dataclasses import dataclass

# Column types: how a raw cell is checked and how it is stored.
TEXT, ENUM, DATE, DATETIME, BOOL, MONEY, INT, NUMBER, MONTH, FFY = (
    "text",
    "enum",
    "date",
    "datetime",
    "bool",
    "money",
    "int",
    "number",
    "month",
    "ffy",  # a federal fiscal year, FFY2026 (any case on input, stored upper-case)
)

BOOL_TRUE = ("true", "yes", "y", "1")
BOOL_FALSE = ("false", "no", "n", "0")

# The contract's limits (EXPORTS.md "Limits"): a value outside them is a reject.
FIRST_DAY, LAST_DAY = "1900-01-01", "2100-12-31"  # dates and date-times
MONEY_LIMIT = 1_000_000_000  # in absolute value, whole currency units
ID_LIMIT = 64  # characters in an id (a column named *_id)
TEXT_LIMIT = 64 * 1024  # bytes (UTF-8) in a text cell


@dataclass(frozen=True)
class Column:
    name: str
    type: str = TEXT
    required: bool = False
    values: tuple[str, ...] = ()
    ref: str | None = None  # the record type this column points at (by its key)
    default: str | None = None  # the contract's own default for an empty cell
    low: float | None = None  # a number's limits (``low_open``: above, not at least)
    high: float | None = None
    low_open: bool = False

    @property
    def is_id(self) -> bool:
        """Ids follow the id rules of the contract (non-empty after trimming, at most 64
        characters, no control, zero-width or NUL characters)."""
        return self.name.endswith("_id")


@dataclass(frozen=True)
class Rule:
    """A requirement that depends on other values: ``column`` must be filled when ``when``."""

    column: str
    when: str  # SQL over the normalised row; {column} stands for a normalised value
    reason: str


@dataclass(frozen=True)
class RecordType:
    name: str  # table name and file stem
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    rules: tuple[Rule, ...] = ()

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _c(
    name: str,
    type_: str = TEXT,
    *values: str,
    req: bool = False,
    ref: str | None = None,
    default: str | None = None,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> Column:
    return Column(name, type_, req, tuple(values), ref, default, low, high, low_open)


STAFF = RecordType(
    "staff",
    (
        _c("staff_id", req=True),
        _c("name", req=True),
        _c("role", ENUM, "worker", "supervisor", "manager", "admin", req=True),
        _c("unit_id"),
        _c("unit_name"),
        _c("office_id"),
        _c("office_name"),
        _c("supervisor_id", ref="staff"),
        _c("hours_per_week", NUMBER, default="40", low=0, high=80, low_open=True),
        _c("active", BOOL, default="true"),
        _c("login"),
    ),
    ("staff_id",),
    (
        Rule(
            "unit_id",
            "{role} IN ('worker', 'supervisor')",
            "is required for a worker or supervisor",
        ),
        Rule(
            "office_id",
            "{role} IN ('worker', 'supervisor', 'manager')",
            "is required for a worker, supervisor or manager",
        ),
    ),
)

CASES = RecordType(
    "cases",
    (
        _c("case_id", req=True),
        _c("program", ENUM, "child_welfare", "child_support", req=True),
        _c("case_type", req=True),
        _c("status", ENUM, "open", "closed", req=True),
        _c("opened_on", DATETIME, req=True),
        _c("closed_on", DATE),
        _c("worker_id", ref="staff"),
        # the unit and office responsible: they matter for a case with no worker_id
        _c("unit_id", ref="units"),
        _c("office_id", ref="offices"),
        _c("name"),
        _c("risk_level", ENUM, "low", "moderate", "high", "very_high"),
        _c("response_hours", INT, low=1, high=8760),
        _c(
            "permanency_goal",
            ENUM,
            "reunification",
            "relative",
            "guardianship",
            "adoption",
            "appla",
            "none",
        ),
        _c("goal_target_on", DATE),
        _c("order_established_on", DATE),
        _c("updated_at", DATETIME),
    ),
    ("case_id",),
    (Rule("closed_on", "{status} = 'closed'", "is required when status is closed"),),
)

PEOPLE = RecordType(
    "people",
    (
        _c("person_id", req=True),
        _c("case_id", req=True, ref="cases"),
        _c(
            "role",
            ENUM,
            "child",
            "mother",
            "father",
            "parent",
            "caregiver",
            "custodial_parent",
            "noncustodial_parent",
            "relative",
            "attorney",
            "gal",
            "other",
            req=True,
        ),
        _c("name"),
        _c("birth_on", DATE),
        _c("born_out_of_wedlock", BOOL),
        _c("paternity_established_on", DATE),
    ),
    ("person_id", "case_id"),
)

EVENT_KINDS = (
    "face_to_face_contact",
    "caseworker_visit",
    "collateral_contact",
    "school_contact",
    "safety_assessment",
    "risk_assessment",
    "drug_screen",
    "case_plan",
    "case_plan_review",
    "court_hearing",
    "court_report",
    "permanency_hearing",
    "periodic_review",
    "supervisor_review",
    "finding",
    "locate",
    "service_of_process",
    "genetic_test",
    "paternity_established",
    "order_established",
    "income_withholding",
    "enforcement_action",
    "modification_review",
    "contact_attempt",
    "adjudication",
)

EVENTS = RecordType(
    "events",
    (
        _c("event_id", req=True),
        _c("case_id", req=True, ref="cases"),
        _c("kind", req=True),
        _c("status", ENUM, "scheduled", "completed", "cancelled", "missed", req=True),
        _c("scheduled_on", DATETIME),
        _c("completed_on", DATETIME),
        _c("person_id", ref="people"),
        _c("staff_id", ref="staff"),
        _c("location", ENUM, "home", "office", "court", "school", "placement", "other"),
        _c("result"),
    ),
    ("event_id",),
    (
        Rule("scheduled_on", "{status} = 'scheduled'", "is required when status is scheduled"),
        Rule("completed_on", "{status} = 'completed'", "is required when status is completed"),
    ),
)

REFERRALS = RecordType(
    "referrals",
    (
        _c("referral_id", req=True),
        _c("case_id", req=True, ref="cases"),
        _c("service", req=True),
        _c(
            "status",
            ENUM,
            "referred",
            "waitlisted",
            "active",
            "completed",
            "declined",
            "cancelled",
            req=True,
        ),
        _c("referred_on", DATE, req=True),
        _c("person_id", ref="people"),
        _c("provider"),
        _c("started_on", DATE),
        _c("ended_on", DATE),
    ),
    ("referral_id",),
)

SIGNAL_KINDS = (
    "job_loss",
    "new_employment",
    "incarceration",
    "release",
    "homelessness",
    "address_change",
    "wic_stopped",
    "snap_stopped",
    "benefits_change",
    "disability",
    "law_enforcement_contact",
    "hospitalization",
    "death",
)

SIGNALS = RecordType(
    "signals",
    (
        _c("signal_id", req=True),
        _c("kind", ENUM, *SIGNAL_KINDS, req=True),
        _c("observed_on", DATE, req=True),
        _c("person_id", ref="people"),
        _c("case_id", ref="cases"),
        _c("source"),
        _c("detail"),
    ),
    ("signal_id",),
    (
        Rule(
            "case_id", "{person_id} IS NULL", "is required when person_id is empty (one of the two)"
        ),
    ),
)

PAYMENTS = RecordType(
    "payments",
    (
        _c("case_id", req=True, ref="cases"),
        _c("month", MONTH, req=True),
        _c("current_due", MONEY, req=True),
        _c("current_paid", MONEY, req=True),
        _c("arrears_due", MONEY),
        _c("arrears_paid", MONEY),
    ),
    ("case_id", "month"),
)

REMOVALS = RecordType(
    "removals",
    (
        _c("removal_id", req=True),
        _c("case_id", req=True, ref="cases"),
        _c("person_id", req=True, ref="people"),
        _c("removed_on", DATE, req=True),
        _c("discharged_on", DATE),
        _c(
            "discharge_reason",
            ENUM,
            "reunification",
            "relative",
            "guardianship",
            "adoption",
            "emancipation",
            "transfer",
            "runaway",
            "death",
        ),
    ),
    ("removal_id",),
)

PLACEMENTS = RecordType(
    "placements",
    (
        _c("placement_id", req=True),
        _c("removal_id", req=True, ref="removals"),
        _c(
            "setting",
            ENUM,
            "foster_family",
            "relative",
            "group_home",
            "residential",
            "shelter",
            "trial_home_visit",
            "runaway",
            "respite",
            "other",
            req=True,
        ),
        _c("start_on", DATE, req=True),
        _c("end_on", DATE),
        _c("provider_id"),  # the home or facility (optional): a return to it is no move
    ),
    ("placement_id",),
)

CASE_GOALS = RecordType(
    "case_goals",
    (
        _c("goal_id", req=True),
        _c("case_id", req=True, ref="cases"),
        _c("description", req=True),
        _c("person_id", ref="people"),
        _c("target_on", DATE),
        _c(
            "status",
            ENUM,
            "not_started",
            "in_progress",
            "achieved",
            "not_achieved",
            default="not_started",
        ),
    ),
    ("goal_id",),
)

# Optional (EXPORTS.md "costs.csv"): an office's IV-D administrative expenditures in a
# federal fiscal year, for cost-effectiveness (45 CFR 305.33 Table 3). An office has no
# file of its own: ``office_id`` must be an office some staff member in staff.csv (the
# store's or this export's) belongs to, checked like any reference, so a row for an
# office not known yet is kept and retried. Expenditures are above 0 (a ratio's divisor).
COSTS = RecordType(
    "costs",
    (
        _c("office_id", req=True, ref="offices"),
        _c("period", FFY, req=True),
        _c("expenditures", MONEY, req=True, low=0, low_open=True),
    ),
    ("office_id", "period"),
)

# The order matters: a file may refer only to record types synced before it.
RECORD_TYPES: tuple[RecordType, ...] = (
    STAFF,
    CASES,
    PEOPLE,
    EVENTS,
    REFERRALS,
    SIGNALS,
    PAYMENTS,
    REMOVALS,
    PLACEMENTS,
    CASE_GOALS,
    COSTS,
)
BY_NAME = {rt.name: rt for rt in RECORD_TYPES}

# What a reference column must match: record type -> its key column for lookups.
REF_KEY = {"staff": "staff_id", "cases": "case_id", "people": "person_id", "removals": "removal_id"}
# References to what staff.csv describes without a file of its own: a unit or an office
# exists when a staff member belongs to it (ref name -> (table, column)).
REF_COLUMN = {"units": ("staff", "unit_id"), "offices": ("staff", "office_id")}


def ref_target(ref: str) -> tuple[str, str]:
    """The table and column a reference ``ref`` (a Column's ``ref``) must match."""
    return REF_COLUMN.get(ref) or (ref, REF_KEY[ref])


KNOWN_CASE_TYPES = ("investigation", "in_home", "foster_care", "establishment", "enforcement")
