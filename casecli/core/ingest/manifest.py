"""An export's ``manifest.toml``: where it came from, when it was taken, what kind it is.

``as_of`` is a TOML date or date-time (EXPORTS.md: "never a string"), between the
contract's first and last days, converted to the jurisdiction's local time when it
carries an offset, and not after today. It orders exports: one older than the newest
export already applied to any of the same record types would silently undo newer
facts, so it is refused unless the admin says ``--allow-older``.
"""

from __future__ import annotations

import sqlite3
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from casecli.core.errors import CasecliError
from casecli.core.when import FIRST_YEAR, LAST_YEAR


@dataclass(frozen=True)
class Manifest:
    source: str | None = None
    as_of: str | None = None  # ISO 8601, local time, no offset
    kind: str = "delta"
    profile: str | None = None
    raw_as_of: Any = None  # as the TOML parser gave it, until ``with_as_of``

    def with_as_of(self, zone: tzinfo | None, today: date) -> Manifest:
        """The manifest with ``as_of`` checked and written as stored (see the module)."""
        value = self.raw_as_of
        if value is None:
            return self
        if isinstance(value, str) or not isinstance(value, date):
            raise CasecliError(
                "manifest.toml: as_of must be a TOML date or date-time written without "
                f"quotes, like as_of = 2026-11-21T23:00:00, not {value!r}; fix it."
            )
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(zone).replace(tzinfo=None)
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise CasecliError(
                f"manifest.toml: as_of {value.isoformat()} is not between {FIRST_YEAR}-01-01 "
                f"and {LAST_YEAR}-12-31; fix the export's as_of."
            )
        day = value.date() if isinstance(value, datetime) else value
        if day > today + timedelta(days=1):
            raise CasecliError(
                f"manifest.toml: as_of {value.isoformat()} is after today ({today.isoformat()}); "
                "fix the export's as_of, or the machine's date (or --today)."
            )
        text = value.isoformat(timespec="seconds") if isinstance(value, datetime) else None
        return Manifest(self.source, text or value.isoformat(), self.kind, self.profile)


def read_manifest(folder: Path) -> Manifest:
    path = folder / "manifest.toml"
    if not path.is_file():
        return Manifest()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CasecliError(f"manifest.toml is not valid TOML ({exc}); fix or remove it.") from None
    kind = data.get("kind", "delta")
    if kind not in ("full", "delta"):
        raise CasecliError(f'manifest.toml: kind is {kind!r}, expected "full" or "delta"; fix it.')
    source = data.get("source")
    profile = data.get("profile")
    return Manifest(
        source=str(source) if source is not None else None,
        kind=kind,
        profile=str(profile) if profile is not None else None,
        raw_as_of=data.get("as_of"),
    )


def check_order(
    conn: sqlite3.Connection, as_of: str | None, record_types: list[str], allow_older: bool
) -> str | None:
    """Refuse an export older than the newest one applied to any of ``record_types``
    (unless ``allow_older``); return a note when the order cannot be checked."""
    if as_of is None:
        return (
            "manifest.toml gives no as_of, so casecli could not check that this export is "
            "newer than the ones already applied; add as_of = the time the export was taken."
        )
    if allow_older or not record_types:
        return None
    marks = ", ".join("?" * len(record_types))
    newest = conn.execute(
        f"SELECT l.as_of, l.sync_id, f.record_type FROM sync_log l"
        f" JOIN sync_files f ON f.sync_id = l.sync_id"
        f" WHERE l.as_of IS NOT NULL AND f.record_type IN ({marks})",
        record_types,
    ).fetchall()
    mine = _moment(as_of)
    later = [(m, sync_id, rt) for text, sync_id, rt in newest if (m := _moment(text)) > mine]
    if not later:
        return None
    moment, sync_id, rt = max(later)
    raise CasecliError(
        f"This export is as of {as_of}, older than the export as of {moment.isoformat()} "
        f"already applied to {rt} (sync {sync_id}), so nothing was applied; sync a newer "
        "export, or add --allow-older to apply this one over it."
    )


def _moment(text: str) -> datetime:
    """A stored as_of as a naive date-time (a date is its start; an offset, from a store
    written before offsets were converted, is dropped after conversion to UTC)."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min  # an unreadable as_of from an older casecli orders first
    if value.tzinfo is not None:
        value = value.astimezone().replace(tzinfo=None)
    return value
