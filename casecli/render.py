"""Output: one JSON writer for --json, and the small Rich helpers the commands share.

Rich is imported only by the functions that draw, so ``--json`` paths stay light.
"""

from __future__ import annotations

import json
import sys
from typing import Any

PERSONAL_COLUMNS = frozenset({"name", "birth_on", "CASEWORKER_NAME", "SUPERVISOR_NAME"})


def write_json(obj: Any) -> None:
    """Machine output: one JSON document on stdout and nothing else."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def console(stderr: bool = False):  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, emoji=False)


def printable(text: object) -> str:
    """Text from an export or a user with control codes (escape sequences) made harmless."""
    s = "" if text is None else str(text)
    return "".join(ch if ch.isprintable() or ch == " " else "\N{REPLACEMENT CHARACTER}" for ch in s)


def safe(text: object) -> str:
    """Text from an export or a user, made safe to print with Rich markup on."""
    from rich.markup import escape

    return escape(printable(text))


def initials(name: str | None) -> str:
    """'Maria Lopez' -> 'M.L.'; 'Lopez, Maria' -> 'M.L.'."""
    if not name:
        return ""
    if "," in name:
        last, _, first = name.partition(",")
        parts = first.split() + last.split()
    else:
        parts = name.split()
    return "".join(p[0].upper() + "." for p in parts if p)


def redact_value(column: str | None, value: object, redact: bool) -> object:
    if redact and column in PERSONAL_COLUMNS and value:
        return "•••"
    return value
