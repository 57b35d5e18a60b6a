"""Counted nouns and day counts in the sentences users read: "1 row", "2 rows",
"1 child", "3 children", "in 1 day", "2 days ago".

Every count a sentence shows goes through :func:`plural` (or :func:`noun` when the
number is printed apart, as in a column), so no view ever says "1 days" or "2 case".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Nouns whose plural is not the singular plus -s or -es.
IRREGULAR = {
    "child": "children",
    "person": "people",
    "man": "men",
    "woman": "women",
}


def plural_of(singular: str) -> str:
    """The plural of a noun or of a phrase ending in one: 'case' -> 'cases', 'entry' ->
    'entries', 'open case' -> 'open cases', 'child' -> 'children'. A phrase whose head
    noun is not its last word ('kind of wait') needs its plural given to :func:`plural`."""
    head, sep, last = singular.rpartition(" ")
    stem, dash, word = last.rpartition("-")  # 're-entry', 'child-month'
    lower = word.lower()
    if lower in IRREGULAR:
        out = IRREGULAR[lower]
        out = out[0].upper() + out[1:] if word[:1].isupper() else out
    elif lower.endswith("y") and lower[-2:-1] not in ("", *"aeiou"):
        out = word[:-1] + "ies"
    elif lower.endswith(("s", "x", "z", "ch", "sh")):
        out = word + "es"
    else:
        out = word + "s"
    return f"{head}{sep}{stem}{dash}{out}"


def noun(n: float, singular: str, plural: str | None = None) -> str:
    """The noun that agrees with ``n``: singular for 1 (and -1), else the plural."""
    if abs(n) == 1:
        return singular
    return plural if plural is not None else plural_of(singular)


def count(n: float) -> str:
    """A count as sentences print it: 1,234 (thousands grouped); 2.5 for a fraction."""
    if isinstance(n, int) or float(n).is_integer():
        return f"{int(n):,}"
    return f"{n:g}"


def plural(n: float, singular: str, plural: str | None = None) -> str:
    """'1 row', '2 rows', '0 rows', '1,204 cases', '1 child', '3 children', '2.5 points'."""
    return f"{count(n)} {noun(n, singular, plural)}"


def days(n: int) -> str:
    """'1 day', '12 days'."""
    return plural(n, "day")


def in_days(n: int) -> str:
    """A day ``n`` days from today: 'today', 'tomorrow', 'in 3 days', 'yesterday',
    '3 days ago'."""
    if n == 0:
        return "today"
    if n == 1:
        return "tomorrow"
    if n == -1:
        return "yesterday"
    return f"in {days(n)}" if n > 0 else f"{days(-n)} ago"


def days_ago(n: int) -> str:
    """A day ``n`` days before today: 'today', 'yesterday', '3 days ago'."""
    return in_days(-n)


def days_overdue(n: int) -> str:
    """'1 day overdue', '5 days overdue'."""
    return f"{days(n)} overdue"


def did_you_mean(given: str, known: Iterable[str], n: int = 3) -> str | None:
    """'did you mean S0004?' for a mistyped id or name, or None when nothing in ``known``
    is close: the closest spellings (the best only: among equally close, the one with more
    characters in the same places, counted from either end), else the names that contain
    what was typed ('visits' → monthly_visits, visits_in_home)."""
    from difflib import SequenceMatcher

    names = list(dict.fromkeys(known))
    typed = given.strip()
    matcher = SequenceMatcher(b=typed)

    def score(name: str) -> tuple[float, int]:
        matcher.set_seq1(name)
        same = sum(a == b for a, b in zip(name, typed, strict=False))
        same += sum(a == b for a, b in zip(reversed(name), reversed(typed), strict=False))
        return round(matcher.ratio(), 6), same

    scored = sorted(((score(k), k) for k in names), reverse=True)
    scored = [(s, k) for s, k in scored if s[0] >= 0.7]
    close = [k for s, k in scored if s == scored[0][0]][:n] if scored else []
    close = close or [k for k in names if typed and typed.lower() in k.lower()][:n]
    return f"did you mean {' or '.join(close)}?" if close else None


def initials(name: str | None) -> str:
    """'Maria Lopez' -> 'M.L.'; 'Lopez, Maria' -> 'M.L.' (a redacted name)."""
    if not name:
        return ""
    if "," in name:
        last, _, first = name.partition(",")
        parts = first.split() + last.split()
    else:
        parts = name.split()
    return "".join(p[0].upper() + "." for p in parts if p)


# What --redact hides: a person's name (as initials) and birth date, and in a reject a
# value of a column that holds them (a profile's source names too); a reject with no
# column (a ragged row) carries its whole line, so it is treated as a name.
PERSONAL_COLUMNS = frozenset({"name", "birth_on", "CASEWORKER_NAME", "SUPERVISOR_NAME"})


def redact_value(column: str | None, value: object, redact: bool) -> object:
    """A rejected value as shown: '•••' with --redact when its column is personal."""
    if redact and (column or "name") in PERSONAL_COLUMNS and value:
        return "•••"
    return value


def redacted_person(row: dict[str, Any], *, birth: bool = True) -> dict[str, Any]:
    """A case's or a person's row with --redact: the name as initials and (``birth``) no
    birth date."""
    out = dict(row)
    out["name"] = initials(out.get("name"))
    if birth:
        out["birth_on"] = None
    return out


def initials_with_id(name: str | None, ident: str | None) -> str:
    """A redacted name that stays distinguishable: 'Olivia Wilson', 'S0004' ->
    'O.W. (S0004)', so two 'J.P.' in one list are not taken for one person; the id alone
    when there is no name, the initials alone when there is no id."""
    short = initials(name)
    ident = (ident or "").strip()
    if short and ident:
        return f"{short} ({ident})"
    return short or ident
