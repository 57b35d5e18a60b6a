"""One record type in one sync: stage or load it, validate it, apply it, keep its rejects.

A first load into an empty table goes straight from the CSV reader into the table
(``_load_direct``); anything else is staged in a temporary table and handled set-based.
"""

from __future__ import annotations

import csv
import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from typing import Protocol

from casecli.core.ingest import checks as ck
from casecli.core.ingest import fastchecks as fast
from casecli.core.ingest import sync_rejects
from casecli.core.ingest.lines import LineTooLong
from casecli.core.ingest.profiles import Profile
from casecli.core.ingest.source import Reader, SourceFile
from casecli.core.ingest.sync_apply import (
    GOOD,
    LINE,
    STAGE,
    Touched,
    apply_staged,
    case_links,
    counted,
)
from casecli.core.ingest.sync_result import FileResult, SyncResult
from casecli.core.store.contract import KNOWN_CASE_TYPES, TEXT, RecordType
from casecli.core.words import noun, plural

SyncProgress = Callable[[str, int], None]  # (file name, bytes of it read so far)
# What stops a fast read: the careful read then finds the row and says what is wrong.
UNUSUAL = (csv.Error, LineTooLong)


class StoreSide(Protocol):
    """The store a sync writes, when the connection holds only part of it: a scratch
    SQLite copy of the rows of a team store that the sync reads (``team_sync``)."""

    def has_rows(self, table: str) -> bool:
        """Whether the store's ``table`` held any row when the sync began."""
        ...

    def before_validate(self, job: Job, marks_gone: bool) -> None:
        """Bring into the connection the stored rows ``job``'s staged rows are checked and
        applied against (their keys, their references; every row still current when
        ``marks_gone``)."""
        ...

    def before_apply(self, job: Job) -> None:
        """Make the validated rows ready to be compared with the stored ones."""
        ...

    def before_touched(self, jobs: Sequence[Job]) -> None:
        """Bring in the rows that lead a written row to its cases (``Job.record_touched``)."""
        ...


class Job:
    """One record type in one sync: stage, validate, apply, reject, mark gone."""

    side: StoreSide | None = None  # (set by sync(): a scratch copy of a team store's part)

    def __init__(
        self,
        conn: sqlite3.Connection,
        rt: RecordType,
        source: SourceFile | None,
        profile: Profile,
        kind: str,
        sync_id: int,
        gone_on: str,
        result: SyncResult,
        progress: SyncProgress | None,
    ) -> None:
        self.conn, self.rt, self.source, self.profile = conn, rt, source, profile
        self.kind, self.sync_id, self.gone_on, self.result = kind, sync_id, gone_on, result
        self.progress = progress
        self.checks = ck.checks(rt, "temp.stage")
        self.key = rt.key
        self.header_columns: tuple[str, ...] = rt.names
        self.skipped_from = 0  # the sync whose copy of the file equals this one
        self.seen = fast.UNSEEN_FILE  # what a fast read saw in the staged file's bytes
        # The cases this job changed (sync_cases): ``case_link`` ids of the rows written;
        # ``touched_all`` when the table was loaded whole (empty before, nothing listed).
        self.touched: Touched = set()  # (link column, value): sync_apply.case_links
        self.touched_all = False

    def record_touched(self) -> None:
        """Write the cases this job changed into ``sync_cases`` (a placement's through its
        removal), or '*' when it loaded its table whole."""
        if self.touched_all:
            ids = {"*"}
        else:
            ids = {v for c, v in self.touched if c == "case_id"}
            ids |= self._cases_of("removals", "removal_id")  # a placement's
            ids |= self._cases_of("people", "person_id")  # a signal's person's
        self.conn.executemany(
            "INSERT OR IGNORE INTO sync_cases (sync_id, case_id) VALUES (?, ?)",
            [(self.sync_id, c) for c in sorted(ids)],
        )

    def _cases_of(self, table: str, column: str) -> set[str]:
        """The cases of the ``column`` values touched (every case a person is on)."""
        values = sorted(v for c, v in self.touched if c == column)
        out: set[str] = set()
        for i in range(0, len(values), 500):
            chunk = values[i : i + 500]
            marks = ", ".join("?" for _ in chunk)
            out.update(
                str(r[0])
                for r in self.conn.execute(
                    f"SELECT case_id FROM {table} WHERE {column} IN ({marks})", chunk
                )
                if r[0] is not None
            )
        return out

    # -- the steps -----------------------------------------------------------------

    def run(self, read: dict[str, tuple[tuple[str, ...], set[str]]]) -> None:
        conn, rt = self.conn, self.rt
        retryable = conn.execute(
            "SELECT count(*) FROM rejects WHERE record_type = ? AND resolved_sync_id IS NULL AND retryable = 1",
            (rt.name,),
        ).fetchone()[0]
        if self.source is None and not retryable:
            return
        fr = FileResult(rt.name, self.source.name if self.source else rt.file)
        self._create_stage()
        fingerprint = None
        if self.source is not None:
            fingerprint = self._fingerprint()
            last = conn.execute(
                "SELECT fingerprint, rows, inserted + updated + unchanged, sync_id FROM sync_files"
                " WHERE record_type = ? ORDER BY sync_id DESC LIMIT 1",
                (rt.name,),
            ).fetchone()
            if last is not None and last[0] == fingerprint:
                fr.skipped = True
                fr.rows, fr.unchanged = last[1], last[2]
                self.skipped_from = last[3]
                if self.progress:
                    self.progress(self.source.name, self.source.size())
            else:
                loaded = self._load_direct(read) if not retryable else None
                if loaded is not None:
                    fr.rows = fr.inserted = loaded
                    self.touched_all = self.touched_all or loaded > 0
                else:
                    fr.rows = self._stage_file(read)
        if retryable:
            self._stage_retries()
            self.seen = fast.UNSEEN_FILE  # rows from earlier exports: not looked at
        staged = conn.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
        full = self.kind == "full" and self.source is not None and not fr.skipped
        if staged and self.side is not None:
            self.side.before_validate(self, full)
        if staged:
            self._validate(fr)
            if self.side is not None:
                self.side.before_apply(self)
            was_empty = self._apply(fr)
            sync_rejects.settle(self, fr)
            if full and not was_empty:
                fr.gone = self._mark_gone_unless_unreadable(fr)
        if fr.inserted or fr.updated:  # only rows this sync wrote can bring a new case_type
            self._warn_unknown_values()
        if fr.skipped:
            sync_rejects.report_again(self, fr)
        if self.source is not None:
            conn.execute(
                "INSERT INTO sync_files (sync_id, record_type, file, sha256, fingerprint, rows, inserted,"
                " updated, unchanged, gone, rejected, skipped) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    self.sync_id,
                    rt.name,
                    self.source.name,
                    self._sha,
                    fingerprint,
                    fr.rows,
                    fr.inserted,
                    fr.updated,
                    fr.unchanged,
                    fr.gone,
                    fr.rejected,
                    int(fr.skipped),
                ),
            )
        conn.execute(f"DROP TABLE {STAGE}")
        self.result.files.append(fr)

    def _fingerprint(self) -> str:
        assert self.source is not None
        self._sha = self.source.sha256()
        parts = (self._sha, self.profile.fingerprint, self.kind, self.source.name)
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def _create_stage(self, extra: tuple[str, ...] = ()) -> None:
        cols = ", ".join(f"{ck.q(c)} TEXT" for c in self.rt.names + extra)
        self.conn.execute(f"DROP TABLE IF EXISTS {STAGE}")
        self.conn.execute(
            f"CREATE TEMP TABLE stage (_line INTEGER, _err TEXT, _errval TEXT, _retry INTEGER,"
            f" _chk INTEGER, {cols})"
        )

    def _load_direct(self, read: dict[str, tuple[tuple[str, ...], set[str]]]) -> int | None:
        """The first load of a table: CSV rows straight into it, validated on the way.

        Returns the rows written, or None when the file must go through staging: the
        table already has rows (counts, gone-marking), a row was faulted or duplicated,
        or the file needs profile work or careful reading.
        """
        conn, rt, source = self.conn, self.rt, self.source
        assert source is not None
        if source.file_map.distinct or any(c.ref == rt.name for c in rt.columns):
            return None
        if self.has_rows():
            return None
        with Reader(source, self.profile, self._on_read()) as reader:
            header = reader.header
            read.setdefault(source.name, (header.names, set()))[1].update(header.used)
            if not reader.fast:
                return None
            sql = fast.direct_insert(rt, header.file_columns, self.sync_id)
            conn.execute("SAVEPOINT direct")
            try:
                written = conn.executemany(sql, reader.raw_rows()).rowcount
                after = fast.after_load(rt, reader.seen)
                complete = written == reader.lines_read - 1 and not (
                    after and conn.execute(after).fetchone()[0]
                )
            except (sqlite3.ProgrammingError, sqlite3.IntegrityError, *UNUSUAL):
                complete = False
            if not complete:
                conn.execute("ROLLBACK TO direct")
            conn.execute("RELEASE direct")
        return written if complete else None

    def _on_read(self) -> Callable[[int], None] | None:
        if self.progress is None or self.source is None:
            return None
        outer, name = self.progress, self.source.name
        return lambda nbytes: outer(name, nbytes)

    def _stage_file(self, read: dict[str, tuple[tuple[str, ...], set[str]]]) -> int:
        assert self.source is not None
        name = self.source.name
        on_read = self._on_read()
        with Reader(self.source, self.profile, on_read) as reader:
            header = reader.header
            names, used = read.setdefault(name, (header.names, set()))
            used.update(header.used)
            if not header.columns:
                return 0
            self.header_columns = header.columns
            staged = None
            if reader.fast:  # staging takes every source column, read or not
                self._create_stage(tuple(c for c in header.file_columns if c.startswith("_u")))
                staged = self._stage_fast(reader)
                self.seen = reader.seen
        if staged is None:  # profile work, ragged or blank rows, cells with line breaks
            self._create_stage()
            self.seen = fast.UNSEEN_FILE
            with Reader(self.source, self.profile, on_read, careful=True) as reader:
                staged = self._stage_careful(reader)
        if self.source.file_map.distinct:
            cols = ", ".join(ck.q(c) for c in header.columns)
            self.conn.execute(
                f"DELETE FROM {STAGE} WHERE _err IS NULL AND rowid NOT IN "
                f"(SELECT min(rowid) FROM {STAGE} WHERE _err IS NULL GROUP BY {cols})"
            )
            staged = self.conn.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
        key = ", ".join(ck.q(k) for k in self.key)
        self.conn.execute(f"CREATE INDEX temp.stage_key ON stage ({key})")
        return int(staged)

    def _stage_fast(self, reader: Reader) -> int | None:
        """Cells straight from the CSV reader into staging, as a bare loader would.

        Line numbers are implied (row n is on line n + 1); if a cell held a line break or
        a row was blank or ragged, that no longer holds and None sends the file the
        careful way instead.
        """
        cols = ", ".join(ck.q(c) for c in reader.header.file_columns)
        marks = ", ".join("?" * reader.header.width)
        try:
            self.conn.executemany(
                f"INSERT INTO {STAGE} ({cols}) VALUES ({marks})", reader.raw_rows()
            )
        except (sqlite3.ProgrammingError, *UNUSUAL):  # a row with another number of values…
            return None
        staged = int(self.conn.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0])
        if reader.lines_read != staged + 1:
            return None
        blank = ck.blank_condition(reader.header.file_columns)  # Excel's trailing rows
        reader.blank_lines = self.conn.execute(f"DELETE FROM {STAGE} WHERE {blank}").rowcount
        self._note_blank_lines(reader)
        return staged - reader.blank_lines

    def _stage_careful(self, reader: Reader) -> int:
        """Row by row with physical line numbers, profile transforms and ragged rows kept."""
        header = reader.header
        names = ", ".join(ck.q(c) for c in header.columns)
        marks = ", ".join("?" * (len(header.columns) + 3))
        self.conn.executemany(
            f"INSERT INTO {STAGE} (_line, _err, _errval, {names}) VALUES ({marks})", reader.rows()
        )
        self._note_blank_lines(reader)
        return int(self.conn.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0])

    def _note_blank_lines(self, reader: Reader) -> None:
        if reader.blank_lines:
            self.result.warnings.append(
                f"{reader.source.name}: {plural(reader.blank_lines, 'blank line')} skipped."
            )

    def key_match(self, raw: str) -> str:
        return " AND ".join(f"s.{ck.q(k)} = json_extract({raw}, '$.{k}')" for k in self.key)

    def _stage_retries(self) -> None:
        names = ", ".join(ck.q(c) for c in self.rt.names)
        extracts = ", ".join(f"json_extract(r.raw, '$.{c}')" for c in self.rt.names)
        self.conn.execute(
            f"INSERT INTO {STAGE} (_line, _retry, {names})"
            f" SELECT r.line, r.reject_id, {extracts} FROM rejects r"
            f" WHERE r.record_type = ? AND r.resolved_sync_id IS NULL AND r.retryable = 1"
            f" AND NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s._retry IS NULL AND {self.key_match('r.raw')})",
            (self.rt.name,),
        )

    def _validate(self, fr: FileResult) -> None:
        conn = self.conn

        def key(k: str) -> str:
            """A key cell as it will be stored (a typed cell such as a payments month is
            trimmed: ' 2026-09' and '2026-09' are one key, as the primary key sees them)."""
            return ck.normalised(self.rt.column(k))

        keys = ", ".join(key(k) for k in self.key)
        filled = " AND ".join(f"{key(k)} <> ''" for k in self.key)
        mine = f"_err IS NULL AND _retry IS NULL AND {filled}"  # this file's rows with a key
        values = ", ".join(ck.normalised(self.rt.column(c)) for c in self.header_columns)
        conn.execute("DROP TABLE IF EXISTS temp.dup")
        conn.execute(
            f"CREATE TEMP TABLE dup AS SELECT rowid AS rid, {LINE} AS line,"
            f" json_array({keys}) AS k, json_array({values}) AS v FROM {STAGE}"
            f" WHERE {mine} AND ({keys}) IN"
            f" (SELECT {keys} FROM {STAGE} WHERE {mine} GROUP BY {keys} HAVING count(*) > 1)"
        )
        if conn.execute("SELECT EXISTS (SELECT 1 FROM temp.dup)").fetchone()[0]:
            # A key whose rows all hold the same values counts once (the first row); a key
            # whose rows differ rejects every one of them: casecli does not guess.
            conn.execute("CREATE INDEX temp.dup_k ON dup (k)")
            same = "k IN (SELECT k FROM temp.dup GROUP BY k HAVING count(DISTINCT v) = 1)"
            later = f"{same} AND rid NOT IN (SELECT min(rid) FROM temp.dup GROUP BY k)"
            lines = [
                r[0] for r in conn.execute(f"SELECT line FROM temp.dup WHERE {later} ORDER BY 1")
            ]
            if lines:
                conn.execute(
                    f"DELETE FROM {STAGE} WHERE rowid IN (SELECT rid FROM temp.dup WHERE {later})"
                )
                conn.execute(f"DELETE FROM temp.dup WHERE {same}")
                fr.repeated = len(lines)
                shown = ", ".join(map(str, lines[:5])) + (", …" if len(lines) > 5 else "")
                self.result.warnings.append(
                    f"{fr.file}: {plural(len(lines), 'row')} repeated an earlier row exactly (same "
                    f"key, same values; {noun(len(lines), 'line')} {shown}), "
                    "so each counted once."
                )
            conn.execute(
                f"UPDATE {STAGE} SET _chk = -1, _errval = (SELECT group_concat(line, ', ')"
                f" FROM (SELECT d2.line FROM temp.dup d1 JOIN temp.dup d2 ON d2.k = d1.k"
                f" WHERE d1.rid = {STAGE}.rowid ORDER BY d2.line))"
                f" WHERE rowid IN (SELECT rid FROM temp.dup)"
            )
        conn.execute("DROP TABLE temp.dup")
        case = ck.case_expression(self.checks)
        conn.execute(
            f"UPDATE {STAGE} SET _chk = {case} WHERE _err IS NULL AND _chk IS NULL"
            f" AND ({fast.any_failure(self.checks, self.rt, self.seen)})"
        )

    def _unreadable_keys(self) -> tuple[int, list[int]]:
        """Rows of this file whose key could not be read (a ragged or unparseable row, an
        empty or malformed key cell): how many, and their first lines."""
        key_checks = [c.number for c in self.checks if c.column in self.key and c.kind == "cell"]
        bad = "_err IS NOT NULL" + (
            f" OR _chk IN ({', '.join(map(str, key_checks))})" if key_checks else ""
        )
        n, lines = self.conn.execute(
            f"SELECT count(*), (SELECT group_concat(line) FROM (SELECT {LINE} AS line FROM {STAGE}"
            f" WHERE _retry IS NULL AND ({bad}) ORDER BY 1 LIMIT 5))"
            f" FROM {STAGE} WHERE _retry IS NULL AND ({bad})"
        ).fetchone()
        return int(n), [int(x) for x in (lines or "").split(",") if x]

    def has_rows(self) -> bool:
        """Whether the table holds a row (on a team store: held one when the sync began,
        or holds one now)."""
        if self.side is not None and self.side.has_rows(self.rt.name):
            return True
        return bool(
            self.conn.execute(
                f"SELECT EXISTS (SELECT 1 FROM main.{ck.q(self.rt.name)})"
            ).fetchone()[0]
        )

    def _apply(self, fr: FileResult) -> bool:
        """Apply the good rows and fill the counts; say whether the table was empty before."""
        done = apply_staged(
            self.conn, self.rt, self.header_columns, self.sync_id, self.touched,
            was_empty=not self.has_rows(),
        )  # fmt: skip
        fr.inserted, fr.updated = done.inserted, done.updated
        self.touched_all = self.touched_all or (done.was_empty and done.inserted > 0)
        fr.unchanged = done.good - done.inserted - done.updated
        if (
            done.good
            and self.conn.execute(
                f"SELECT EXISTS (SELECT 1 FROM {STAGE} WHERE {GOOD} AND _retry IS NOT NULL)"
            ).fetchone()[0]
        ):  # earlier rejects that now apply
            self.result.resolved += self.conn.execute(
                f"UPDATE rejects SET resolved_sync_id = ?, resolution = 'applied' WHERE reject_id IN"
                f" (SELECT _retry FROM {STAGE} WHERE {GOOD} AND _retry IS NOT NULL)",
                (self.sync_id,),
            ).rowcount
        return done.was_empty

    def _mark_gone_unless_unreadable(self, fr: FileResult) -> int:
        """A full export marks what it lacks as gone, unless a row of it had a key that
        could not be read: that row may be any record, and marking it gone would hide it."""
        n, lines = self._unreadable_keys()
        if not n:
            return self._mark_gone()
        shown = ", ".join(map(str, lines)) + (", …" if n > len(lines) else "")
        self.result.warnings.append(
            f"{fr.file}: {plural(n, 'row')} had no key that could be read ({noun(n, 'line')}"
            f" {shown}), so this full export marked no {self.rt.name} as gone; fix "
            f"{'it' if n == 1 else 'them'} and sync again."
        )
        return 0

    def _mark_gone(self) -> int:
        """Mark gone the stored rows whose key no staged row of this file has. A typed key
        cell is stored trimmed and formatted (' 2026-09' is 2026-09, ffy2026 is FFY2026),
        so a row the staged cell matched in the update must not be marked gone for want
        of a raw match: the key as stored is compared too, but only for rows the raw
        comparison (which the staging index serves) found no match for, the few that
        may be gone, so a full sync of a large table costs what it did."""
        table = ck.q(self.rt.name)
        raw = " AND ".join(f"s.{ck.q(k)} = {table}.{ck.q(k)}" for k in self.key)
        missing = f"NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s._retry IS NULL AND {raw})"
        typed = [self.rt.column(k) for k in self.key if self.rt.column(k).type != TEXT]
        if typed:
            stored = " AND ".join(
                f"s.{ck.q(k)} = {table}.{ck.q(k)}"
                if self.rt.column(k).type == TEXT
                else f"{ck.normalised(self.rt.column(k), 's')} = {table}.{ck.q(k)}"
                for k in self.key
            )
            missing += (
                f" AND NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s._retry IS NULL AND {stored})"
            )
        sql = f"UPDATE {table} SET _gone_on = ?, _sync_id = ? WHERE _gone_on IS NULL AND {missing}"
        return counted(
            self.conn, sql, table, case_links(self.rt), self.touched, (self.gone_on, self.sync_id)
        )

    def _warn_unknown_values(self) -> None:
        if self.rt.name != "cases":
            return
        known = ", ".join(ck.lit(k) for k in KNOWN_CASE_TYPES)
        for value, n in self.conn.execute(
            f"SELECT case_type, count(*) FROM main.cases WHERE _sync_id = ?"
            f" AND case_type NOT IN ({known}) GROUP BY case_type ORDER BY 2 DESC LIMIT 5",
            (self.sync_id,),
        ):
            self.result.warnings.append(
                f"cases: {plural(n, 'case')} {'has' if n == 1 else 'have'} case_type {value!r}, "
                f"which has no playbook; {'it gets' if n == 1 else 'they get'} the generic one."
            )
        (n,) = self.conn.execute(
            "SELECT count(*) FROM main.cases WHERE _sync_id = ? AND status = 'open'"
            " AND worker_id IS NULL AND unit_id IS NULL AND office_id IS NULL",
            (self.sync_id,),
        ).fetchone()
        if n:  # kept (nothing is lost), but no supervisor or manager can see them
            self.result.warnings.append(
                f"cases: {plural(n, 'open case')} {'has' if n == 1 else 'have'} no worker_id, "
                f"unit_id or office_id, so only an admin sees {'it' if n == 1 else 'them'}; "
                "give each unassigned case the unit (or office) responsible."
            )
