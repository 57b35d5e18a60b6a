"""Monthly digests: one Markdown file per worker, their score beside their team's, their
office's and their goal, and the top cases to focus on, ready to send.

Anything that comes from the export (names, ids, reasons built from names) is
neutralised before it is written: a cell that starts with ``=``, ``+``, ``-`` or ``@``
gets a leading apostrophe (a spreadsheet would run it as a formula), and the Markdown
characters ``\\ | * _ [ ] < > ` # !`` are escaped with a backslash, so a name can
neither become a link, an image, HTML nor break the table. Files are written with
mode 0600: they hold personal data.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import date
from pathlib import Path

from casecli.core import focus as fo
from casecli.core import measures
from casecli.core import score as sc
from casecli.core.periods import Period

_MARKDOWN = "\\`*_[]<>|#!"


def md(text: object) -> str:
    """Export text made inert in Markdown and in a spreadsheet cell."""
    raw = "" if text is None else str(text)
    s = "".join(ch if ch.isprintable() else " " for ch in raw)
    if s[:1] in ("=", "+", "-", "@"):
        s = "'" + s
    return "".join("\\" + ch if ch in _MARKDOWN else ch for ch in s)


def num(value: float | None, m: measures.Measure) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}%" if m.unit == "percent" else f"{value:.2f}"


def render(staff_id: str, name: str | None, result: fo.Focus) -> str:
    """The digest's Markdown for one worker."""
    card = result.card
    s = card.scope
    title = f"{md(name)} ({md(staff_id)})" if name else md(staff_id)
    lines = [
        f"# Monthly focus: {title}, {md(card.period.label)}",
        "",
        f"Unit {md(s.unit_id)} · office {md(s.office_id)} · as of {card.today.isoformat()}",
        "",
        "## Score",
        "",
        "| measure | you | team | office | goal | gap |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for line in card.lines:
        m = line.measure
        gap = "–" if line.gap is None else f"{line.gap:+.1f}"
        goal = num(line.goal.target if line.goal else None, m)
        lines.append(
            f"| {md(m.title)} | {num(line.result.performance, m)} | {num(line.unit, m)} "
            f"| {num(line.office, m)} | {goal} | {gap} |"
        )
    lines += ["", "## Where to focus", ""]
    if not result.measures:
        lines.append("Every goal is met (or has no goal set): nothing to catch up on.")
    for fm in result.measures:
        m = fm.line.measure
        work = f": {md(fm.line.gap_work)}" if fm.line.gap_work else ""
        lines += ["", f"### {md(m.title)} ({fm.line.gap:+.1f} behind){work}", ""]
        if not fm.cases:
            lines.append("No single case closes this gap this month.")
        for c in fm.cases:
            lines.append(f"- {md(c.case_id)}: {md(c.reason)}")
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600 from the start)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


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
    own = [(str(scope.id), scope.name)]
    staff = own if scope.kind == "worker" else fo.workers_in(conn, scope)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    calc = measures.Calculator(conn, today, options)
    written = []
    for staff_id, name in staff:
        who = sc.Scope("worker", staff_id, name, *_unit_office(conn, staff_id))
        result = fo.focus(
            conn, who, period, today, options=options, limit=limit, redact=redact, calc=calc
        )
        safe_id = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in staff_id)
        path = out_dir / f"{safe_id}-{period.label}.md"
        write(path, render(staff_id, None if redact else name, result))
        written.append(path)
    return written


def _unit_office(conn: sqlite3.Connection, staff_id: str) -> tuple[str | None, str | None]:
    row = conn.execute(
        "SELECT unit_id, office_id FROM staff WHERE staff_id = ?", (staff_id,)
    ).fetchone()
    return (None, None) if row is None else (row[0], row[1])
