"""A profile's per-cell work on a source row: defaults, value maps, date formats.

See ``casecli.core.ingest.profiles`` for what a profile says; the reader (``casecli.core.ingest.source``)
applies the transform to each row it stages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from casecli.core.ingest.profiles import FileMap, Profile
from casecli.core.store.contract import DATE, DATETIME, RecordType


def transform(
    columns: tuple[str, ...],
    positions: tuple[int, ...],
    rt: RecordType,
    fmap: FileMap,
    profile: Profile,
) -> Callable[[list[str]], list[str]] | None:
    """Per-cell work a profile asks for (defaults, value maps, date formats), or None.
    ``columns`` are the contract columns staged and ``positions`` theirs in the source row
    (-1: from a default), as the reader's ``Header`` holds them."""
    steps: list[tuple[int, int, Callable[[str], str]]] = []  # (out index, src pos, fn)
    needed = False
    for i, (name, pos) in enumerate(zip(columns, positions, strict=True)):
        col = rt.column(name)
        fns: list[Callable[[str], str]] = []
        if name in fmap.values:
            fns.append(_value_map(fmap.values[name]))
        if col.type in (DATE, DATETIME) and profile.date_formats:
            fns.append(_date_parser(profile, col.type == DATE))
        if name in fmap.defaults:
            fns.append(_default(fmap.defaults[name]))
        if fns or pos == -1:
            needed = True
        steps.append((i, pos, _chain(fns)))
    if not needed:
        return None

    def transform(row: list[str]) -> list[str]:
        return [fn(row[pos] if pos >= 0 else "") for _, pos, fn in steps]

    return transform


def _chain(fns: list[Callable[[str], str]]) -> Callable[[str], str]:
    if not fns:
        return lambda v: v
    if len(fns) == 1:
        return fns[0]

    def run(v: str) -> str:
        for fn in fns:
            v = fn(v)
        return v

    return run


def _value_map(mapping: dict[str, str]) -> Callable[[str], str]:
    lower = {k.strip().lower(): v for k, v in mapping.items()}

    def fn(v: str) -> str:
        if v in mapping:
            return mapping[v]
        return lower.get(v.strip().lower(), v)

    return fn


def _default(value: str) -> Callable[[str], str]:
    return lambda v: v if v.strip() else value


def _date_parser(profile: Profile, date_only: bool) -> Callable[[str], str]:
    formats = profile.date_formats
    pivot = profile.two_digit_year_pivot
    cache: dict[str, str] = {}

    def fn(v: str) -> str:
        s = v.strip()
        if not s or (len(s) >= 10 and s[4] == "-" and s[7] == "-"):
            return v  # empty, or already ISO: validation decides
        hit = cache.get(s)
        if hit is not None:
            return hit
        out = v
        for fmt in formats:
            try:
                parsed = datetime.strptime(s, fmt)
            except ValueError:
                continue
            if pivot is not None and "%y" in fmt:
                yy = parsed.year % 100
                try:
                    parsed = parsed.replace(year=(2000 if yy < pivot else 1900) + yy)
                except ValueError:  # 29 February in a year that was not a leap year
                    continue
            if date_only or (parsed.hour == parsed.minute == parsed.second == 0):
                out = parsed.date().isoformat()
            else:
                out = parsed.strftime("%Y-%m-%dT%H:%M" + (":%S" if parsed.second else ""))
            break
        if len(cache) < 100_000:
            cache[s] = out
        return out

    return fn
