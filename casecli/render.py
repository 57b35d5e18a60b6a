"""Output: one JSON writer for --json, and the small Rich helpers the commands share.

Rich is imported only by the functions that draw, so ``--json`` paths stay light.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from casecli.core.words import initials as initials  # re-exported: the one rule is in core

if TYPE_CHECKING:
    from rich.console import Console



def write_json(obj: Any) -> None:
    """Machine output: one JSON document on stdout and nothing else. Characters a terminal
    would act on or that hide text (DEL and C1 controls, zero-width and bidirectional
    marks, line separators) are written as \\u escapes, the same data for a JSON parser;
    JSON escapes C0 controls itself."""
    text = json.dumps(obj, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")
    sys.stdout.flush()


_UNSAFE = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, emoji=False)


def terminal_width() -> int:
    """The width Rich's Console would use: ``COLUMNS``, else the terminal's (stdin, stdout
    or stderr, the first that is one), else 80."""
    import os

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (OSError, ValueError):
            continue
    return 80


def plain_styles(stream: Any) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """(bold, dim) for text written to ``stream`` without Rich, as Rich would write them:
    ANSI codes on a terminal (or with ``FORCE_COLOR``), none when piped or on a dumb one."""
    import os

    force = bool(os.environ.get("FORCE_COLOR"))
    try:
        tty = force or stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty or os.environ.get("TERM", "").lower() in ("dumb", "unknown"):
        return str, str
    return (lambda t: f"\x1b[1m{t}\x1b[0m"), (lambda t: f"\x1b[2m{t}\x1b[0m")


SHOWN_LIMIT = 1000  # characters of one value or sentence a screen shows


def printable(text: object) -> str:
    """Text from an export or a user with control codes (escape sequences) made harmless,
    and cut at SHOWN_LIMIT characters ("…"): a store written before the sync refused cells
    over 64 KiB may hold a 50 MB name, which took `casecli case` ten minutes to lay out."""
    s = "" if text is None else str(text)
    if len(s) > SHOWN_LIMIT:
        s = s[: SHOWN_LIMIT - 1] + "…"
    if s.isprintable():  # the usual case, checked in C: nothing to replace
        return s
    return "".join(ch if ch.isprintable() or ch == " " else "\N{REPLACEMENT CHARACTER}" for ch in s)


def safe(text: object) -> str:
    """Text from an export or a user, made safe to print with Rich markup on."""
    from rich.markup import escape

    return escape(printable(text))


SPARKS = "▁▂▃▄▅▆▇█"
SHORT_MEASURES = {"monthly_visits": "visits", "current_collections": "support"}


def sparkline(values: list[float | None], unit: str = "percent", goal: float | None = None) -> str:
    """▁▂▃▄▅▆▇█ on one absolute scale, so that two lines side by side compare: 0-100 for a
    percent (▁ under 7%, █ 93% and over), 0 to the highest value or goal otherwise; a
    blank where there is no value. (A wobble of a point stays a wobble.)"""
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    high = 100.0 if unit == "percent" else max([*known, goal or 0.0])
    top = len(SPARKS) - 1
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif high <= 0:
            out.append(SPARKS[0])
        else:
            out.append(SPARKS[min(top, max(0, round(v / high * top)))])
    return "".join(out)


def trend_text(values: list[float | None], unit: str = "percent", goal: float | None = None) -> str:
    """The sparkline and its last value as a number: '▃█▅▁▆▇ 97%' (blank: none)."""
    last = next((v for v in reversed(values) if v is not None), None)
    spark = sparkline(values, unit, goal)
    return f"{spark} {measure_value(last, unit, 0)}" if last is not None else spark


def trend_markup(
    values: list[float | None], unit: str, goal: float | None, direction: str = "higher"
) -> str:
    """``trend_text`` in Rich markup with the goal marked: the months short of the goal in
    yellow (with no goal, plain)."""
    from casecli.core.measures.score import met

    text = trend_text(values, unit, goal)
    if goal is None:
        return text
    out = []
    for ch, v in zip(text, [*values, *[None] * len(text)], strict=False):
        missed = met(v, goal, direction) is False
        out.append(f"[yellow]{ch}[/]" if missed else ch)
    return "".join(out)


def months_text(trend: Any, unit: str) -> str:
    """'May 83% · Jun 100% · Jul 89% · …': the months of a trend as numbers."""
    return " · ".join(f"{month_name(p)} {measure_value(v, unit, 0)}" for p, v in trend)


def measure_value(value: float | None, unit: str, digits: int = 1) -> str:
    """75.4% for a percent measure, 1.23 for a rate, $4.62 for a ratio (dollars per
    dollar); – when there is no figure."""
    from casecli.core.measures.measures import figure

    return figure(value, unit, digits)


def score_trend(score: Any) -> str:
    """A key measure's months before this one as a sparkline (a ``unit.KeyScore``)."""
    return trend_text([v for _, v in score.trend], score.unit, score.target)


def score_cell(score: Any, markup: bool = False) -> str:
    """'76%/90% ▃█▅▁▆▇ 97%' (this month / the goal, then the six months before and the
    last of them); '–' for none. ``markup``: Rich markup, the months short of the goal in
    yellow."""
    if score is None:
        return "–"
    values = [v for _, v in score.trend]
    trend = (
        trend_markup(values, score.unit, score.target, score.direction)
        if markup
        else score_trend(score)
    )
    return f"{score_now(score)} {trend}"


def score_now(score: Any) -> str:
    """'76%/90%': this month against the goal ('–' for none), without the trend."""
    goal = _target(score) if score.target is not None else "–"
    return f"{measure_value(score.performance, score.unit, 0)}/{goal}"


def score_words(score: Any) -> str:
    """'Children visited monthly 75.4% in Nov · 14.6 short of 90% · trend ▃█▅▁▆▇ 97%': this
    month so far (the unit views' period; ``score`` gives the fiscal year), the goal, and
    the months before it, oldest first, on a 0-100 scale, with the last of them."""
    now = measure_value(score.performance, score.unit)
    if score.target is None:
        goal = "no goal set"
    elif score.gap is None:
        goal = f"goal {_target(score)}"
    elif score.gap <= 0:
        goal = f"goal {_target(score)} met"
    else:
        amount = f"${score.gap:.2f}" if score.unit == "ratio" else f"{score.gap:.1f}"
        word = "over" if score.direction == "lower" else "short of"
        goal = f"{amount} {word} {_target(score)}"
    return (
        f"{score.title} {now} in {month_name(score.period)} · {goal} · trend {score_trend(score)}"
    )


def month_name(period: str) -> str:
    """'Nov' for '2026-11'; any other period label as it is."""
    import calendar

    year, _, month = period.partition("-")
    return calendar.month_abbr[int(month)] if month.isdigit() and 1 <= int(month) <= 12 else period


def _target(score: Any) -> str:
    if score.unit == "ratio":
        return f"${score.target:.2f}"
    return f"{score.target:g}%" if score.unit == "percent" else f"{score.target:g}"
