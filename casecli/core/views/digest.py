"""Monthly digests: one Markdown file per worker, their score beside their team's, their
office's and their goal, and the top cases to focus on, ready to send.

Anything that comes from the export (names, ids, reasons built from names) is
neutralised before it is written: a cell that starts with ``=``, ``+``, ``-`` or ``@``
gets a leading apostrophe (a spreadsheet would run it as a formula), and the Markdown
characters ``\\ | * _ [ ] < > ` # !`` are escaped with a backslash, so a name can
neither become a link, an image, HTML nor break the table. Files are written with
mode 0600: they hold personal data.

A digest's file name is ``<staff id>-<YYYY-MM>.md`` with the staff id written by
:func:`file_stem`, so that two staff ids never share a file (one worker's digest must
never hold another's cases) and no id can name a file outside ``--out``:

* ASCII letters, digits and ``-`` are kept (``S0003`` -> ``S0003-2026-11.md``);
* every other character, ``_`` included, becomes ``_`` and the two hex digits of each
  of its UTF-8 bytes: ``W.1`` -> ``W_2E1``, ``W/1`` -> ``W_2F1``, ``W_1`` -> ``W_5F1``,
  ``W~1`` -> ``W_7E1``, ``é`` -> ``_C3_A9``; so is a leading ``-`` (a file name that a
  shell would read as an option) and an empty id is ``_``;
* a stem longer than 100 bytes is cut there and ends with ``~`` and the first 16 hex
  digits of the id's SHA-256, so the name stays far under the 255 bytes file systems
  allow; an id whose stem differs from another's only in upper and lower case (``W1``,
  ``w1``: one file on macOS or Windows) gets the hash too.

The plain and escaped forms use only ``A-Z a-z 0-9 - _``, so each name decodes to one
id; only a hashed name has a ``~``. Each file is written beside its name and renamed
onto it, so a symbolic link planted in the folder is replaced, never followed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from casecli.core.errors import CasecliError
from casecli.core.measures import focus as fo
from casecli.core.measures import kept_counts, measures
from casecli.core.measures import score as sc
from casecli.core.measures.periods import Period
from casecli.core.store import freshness

_MARKDOWN = "\\`*_[]<>|#!"
_KEPT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
STEM_BYTES = 100  # a longer stem is cut and hashed (file names: 255 bytes at most)


def md(text: object) -> str:
    """Export text made inert in Markdown and in a spreadsheet cell."""
    raw = "" if text is None else str(text)
    s = "".join(ch if ch.isprintable() else " " for ch in raw)
    if s[:1] in ("=", "+", "-", "@"):
        s = "'" + s
    return "".join("\\" + ch if ch in _MARKDOWN else ch for ch in s)


def num(value: float | None, m: measures.Measure) -> str:
    return measures.figure(value, m.unit)


def render(staff_id: str, name: str | None, result: fo.Focus, stale: str | None = None) -> str:
    """The digest's Markdown for one worker (``stale``: how old the data is, when it is:
    :func:`casecli.core.store.freshness.note`)."""
    card = result.card
    s = card.scope
    title = f"{md(name)} ({md(staff_id)})" if name else md(staff_id)
    lines = [
        f"# Monthly focus: {title}, {md(card.period.label)}",
        "",
        f"Unit {md(s.unit_id)} · office {md(s.office_id)} · as of {card.today.isoformat()}"
        + (f" · **{md(stale)}**" if stale else ""),
        "",
        "## Score",
        "",
        "| measure | you | team | office | goal | gap |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for line in card.lines:
        if not line.applicable:  # an office's measure (cost-effectiveness): no worker's row
            continue
        m = line.measure
        gap = "–" if line.gap is None else f"{line.gap:+.1f}"
        goal = num(line.goal.target if line.goal else None, m)
        lines.append(
            f"| {md(m.title)} | {num(line.result.performance, m)} | {num(line.unit, m)} "
            f"| {num(line.office, m)} | {goal} | {gap} |"
        )
    lines += ["", "## Where to focus", ""]
    unread = sc.not_counted(card)
    if unread:  # a team store: goals on measures the login cannot count
        lines.append(
            f"{len(unread)} measure{'s' if len(unread) != 1 else ''} with a goal"
            f" ({', '.join(md(x.measure.title) for x in unread)}) have no figure here:"
            " they follow each child across cases this login reads only in part; an"
            " admin's score shows them."
        )
        lines.append("")
    if not result.measures and not unread:
        lines.append(
            "No goal missed, nothing well below the unit and the office: nothing to catch up on."
        )
    elif not result.measures:
        lines.append("Nothing else to catch up on.")
    for fm in result.measures:
        m = fm.line.measure
        work = f": {md(fm.line.gap_work)}" if fm.line.gap_work else ""
        behind = f"{fm.line.gap:+.1f} behind" + (
            f" the unit: {md(fm.against)}" if fm.against else ""
        )
        lines += ["", f"### {md(m.title)} ({behind}){work}", ""]
        if not fm.cases:
            lines.append("No single case closes this gap this month.")
        for c in fm.cases:
            lines.append(f"- {md(c.case_id)}: {md(c.reason)}")
    return "\n".join(lines) + "\n"


def file_stem(staff_id: str, *, hashed: bool = False) -> str:
    """The staff id as the start of a file name: injective and readable (see the
    module's docstring): 'S0003', 'W_2E1' for 'W.1', a long id cut and hashed."""
    out = []
    for i, ch in enumerate(staff_id):
        if ch in _KEPT and not (i == 0 and ch == "-"):
            out.append(ch)
        else:
            out.extend(f"_{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
    stem = "".join(out) or "_"
    if not hashed and len(stem) <= STEM_BYTES:
        return stem
    cut = stem[: STEM_BYTES - 17]
    if "_" in cut[-2:]:  # never half an escape
        cut = cut[: cut.rindex("_")]
    digest = hashlib.sha256(staff_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{cut}~{digest}"


def file_names(staff_ids: list[str], label: str) -> dict[str, str]:
    """Each staff id's digest file name for the period ``label``, none two alike even
    where upper and lower case are one (the stems that would meet there are hashed)."""
    stems = {s: file_stem(s) for s in staff_ids}
    folded: dict[str, int] = {}
    for stem in stems.values():
        folded[stem.casefold()] = folded.get(stem.casefold(), 0) + 1
    return {
        s: f"{file_stem(s, hashed=True) if folded[stem.casefold()] > 1 else stem}-{label}.md"
        for s, stem in stems.items()
    }


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600 from the start):
    into a new file beside it, renamed onto it, so a link at ``path`` is replaced,
    never followed."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(temp, flags, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_digests(
    conn: sqlite3.Connection,
    scope: sc.Scope,
    period: Period,
    today: date,
    out_dir: Path,
    *,
    options: measures.Options | None = None,
    limit: int = 10,
    redact: bool = False,
) -> list[Path]:
    """One digest per worker in ``scope`` (a worker: theirs; a unit, an office: each of
    their workers'), written into ``out_dir`` as ``<staff id>-<period>.md``."""
    staff = staff_of(conn, scope)
    names = file_names([staff_id for staff_id, _ in staff], period.label)
    if out_dir.exists() and not out_dir.is_dir():
        raise CasecliError(f"{out_dir} is a file; give a folder for the digests (--out DIR).")
    stale = freshness.note(freshness.latest_export(conn)[1], today)
    written = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for staff_id, name, result in results(
            conn, staff, period, today, options=options, limit=limit, redact=redact
        ):
            path = out_dir / names[staff_id]
            write(path, render(staff_id, None if redact else name, result, stale))
            written.append(path)
    except OSError as exc:
        raise CasecliError(
            f"Cannot write the digests into {out_dir} ({exc.strerror or 'error'}); check the "
            "folder and run again (a digest already written there is complete)."
        ) from None
    return written


def staff_of(conn: sqlite3.Connection, scope: sc.Scope) -> list[tuple[str, str | None]]:
    """Who gets a digest in ``scope``: (staff id, name) of a worker, or of each active
    worker of a unit or an office (an inactive worker's would have no reader)."""
    if scope.kind == "worker":
        return [(str(scope.id), scope.name)]
    return fo.workers_in(conn, scope, active_only=True)


def results(
    conn: sqlite3.Connection,
    staff: list[tuple[str, str | None]],
    period: Period,
    today: date,
    *,
    options: measures.Options | None = None,
    limit: int = 10,
    redact: bool = False,
) -> Iterator[tuple[str, str | None, Any]]:
    """Each worker's digest content (staff id, name, ``focus`` result), one after another,
    on one calculator (what one worker's needs of the unit's and office's figures is
    worked out once); its counts are kept for the day (``casecli db warm`` runs this, so
    the month's digests read them)."""
    calc = measures.Calculator(conn, today, options, keep=kept_counts.KeptCounts(conn, today))
    hidden = sc.team_hidden(conn)  # a team store: what the login may not compare with
    for staff_id, name in staff:
        who = sc.Scope("worker", staff_id, name, *_unit_office(conn, staff_id), hidden)
        yield (
            staff_id,
            name,
            fo.focus(
                conn, who, period, today, options=options, limit=limit, redact=redact, calc=calc
            ),
        )


def _unit_office(conn: sqlite3.Connection, staff_id: str) -> tuple[str | None, str | None]:
    row = conn.execute(
        "SELECT unit_id, office_id FROM staff WHERE staff_id = ?", (staff_id,)
    ).fetchone()
    return (None, None) if row is None else (row[0], row[1])
