"""A sync's rejects: the bad rows of the file being synced, stored, superseded and
listed as this export's (EXPORTS.md, "Bad rows are kept" and "Rejects are this
export's"). Rows rejected only for a missing reference are retried by later syncs
(``Job._stage_retries``); a newer row with the same key supersedes an older reject.
"""

from __future__ import annotations

import sqlite3
from typing import Protocol

from casecli.core.ingest import checks as ck
from casecli.core.ingest.source import SourceFile
from casecli.core.ingest.sync_apply import LINE, STAGE
from casecli.core.ingest.sync_result import FileResult, Reject, SyncResult
from casecli.core.store.contract import RecordType


class Job(Protocol):
    """What settling a file's rejects reads of its job (``sync_job.Job``, which calls
    this module: a protocol, so that this module does not import it back)."""

    conn: sqlite3.Connection
    rt: RecordType
    source: SourceFile | None
    sync_id: int
    result: SyncResult
    checks: list[ck.Check]
    key: tuple[str, ...]
    header_columns: tuple[str, ...]
    skipped_from: int

    def key_match(self, raw: str) -> str: ...


def _reject_sql(job: Job) -> tuple[str, str, str, str]:
    """SQL expressions giving each bad staged row's column, value, reason and retryability."""
    fmap = job.source.file_map if job.source else None

    def src(col: str | None) -> str:
        if col is None:
            return "NULL"
        return ck.lit(fmap.source_column(col) if fmap else col)

    key_desc = " || '/' || ".join(f"coalesce({ck.q(k)}, '')" for k in job.key)
    column = ["CASE WHEN _err IS NOT NULL THEN NULL", f"WHEN _chk = -1 THEN {src(job.key[0])}"]
    value = ["CASE WHEN _err IS NOT NULL THEN _errval", f"WHEN _chk = -1 THEN {key_desc}"]
    reason = [
        "CASE WHEN _err IS NOT NULL THEN _err",
        "WHEN _chk = -1 THEN 'the key appears more than once in this file (lines ' || _errval"
        " || '), so none of these rows was applied; keep one row per key'",
    ]
    retry = ["CASE"]
    for c in job.checks:
        column.append(f"WHEN _chk = {c.number} THEN {src(c.column)}")
        value.append(f"WHEN _chk = {c.number} THEN {ck.cell(c.column) if c.column else 'NULL'}")
        reason.append(f"WHEN _chk = {c.number} THEN {ck.lit(f'{c.column} {c.reason}')}")
        if c.retryable:
            retry.append(f"WHEN _chk = {c.number} THEN 1")
    end = " END"
    retry_sql = " ".join(retry) + " ELSE 0 END" if len(retry) > 1 else "0"
    return (" ".join(column) + end, " ".join(value) + end, " ".join(reason) + end, retry_sql)


def settle(job: Job, fr: FileResult) -> None:
    conn, rt = job.conn, job.rt
    column, value, reason, retry = _reject_sql(job)
    raw = "json_object(" + ", ".join(f"'{c}', {ck.q(c)}" for c in job.header_columns) + ")"
    key_desc = " || '/' || ".join(f"{ck.q(k)}" for k in job.key)
    bad = "(_err IS NOT NULL OR _chk > 0 OR _chk = -1)"
    conn.execute("DROP TABLE IF EXISTS temp.new_rejects")
    conn.execute(
        "CREATE TEMP TABLE new_rejects (line INTEGER, col TEXT, value TEXT, reason TEXT,"
        " row_key TEXT, raw TEXT, retryable INTEGER, existing_id INTEGER)"
    )
    file = job.source.name if job.source else rt.file
    conn.execute(
        f"INSERT INTO temp.new_rejects (line, col, value, reason, row_key, raw, retryable)"
        f" SELECT {LINE}, {column}, {value}, {reason}, CASE WHEN _err IS NULL THEN {key_desc} END,"
        f" {raw}, {retry} FROM {STAGE} WHERE {bad} AND _retry IS NULL ORDER BY 1"
    )
    conn.execute(
        "UPDATE temp.new_rejects SET existing_id = (SELECT r.reject_id FROM rejects r"
        " WHERE r.record_type = ? AND r.resolved_sync_id IS NULL AND r.row_key IS new_rejects.row_key"
        " AND r.raw = new_rejects.raw AND r.reason = new_rejects.reason AND r.file = ? LIMIT 1)",
        (rt.name, file),
    )
    # A newer row for the same key replaces an older reject, whatever became of it.
    conn.execute(
        f"UPDATE rejects SET resolved_sync_id = ?, resolution = 'superseded'"
        f" WHERE record_type = ? AND resolved_sync_id IS NULL AND reject_id NOT IN"
        f" (SELECT existing_id FROM temp.new_rejects WHERE existing_id IS NOT NULL)"
        f" AND EXISTS (SELECT 1 FROM {STAGE} s WHERE s._retry IS NULL AND s._err IS NULL"
        f" AND {job.key_match('rejects.raw')})",
        (job.sync_id, rt.name),
    )
    conn.execute(
        'INSERT INTO rejects (sync_id, record_type, file, line, "column", value, reason, row_key,'
        " raw, retryable, seen_sync_id) SELECT ?, ?, ?, line, col, value, reason, row_key, raw,"
        " retryable, ? FROM temp.new_rejects WHERE existing_id IS NULL ORDER BY line",
        (job.sync_id, rt.name, file, job.sync_id),
    )
    # the same bad row again: the same reject, now seen in this export too
    conn.execute(
        "UPDATE rejects SET seen_sync_id = ? WHERE reject_id IN"
        " (SELECT existing_id FROM temp.new_rejects WHERE existing_id IS NOT NULL)",
        (job.sync_id,),
    )
    # This export's rejects only: earlier rejects tried again and still failing stay
    # outstanding, and are counted as older ones (casecli rejects lists them).
    for line, col, val, why in conn.execute(
        "SELECT line, col, value, reason FROM temp.new_rejects ORDER BY line"
    ):
        job.result.rejects.append(Reject(file, line, col, val, why))
    fr.rejected = conn.execute("SELECT count(*) FROM temp.new_rejects").fetchone()[0]
    conn.execute("DROP TABLE temp.new_rejects")


def report_again(job: Job, fr: FileResult) -> None:
    """A file not read again (the same bytes as the sync ``_skipped_from``): its rows
    are this export's too, so are the rejects that sync saw in it, still outstanding."""
    assert job.source is not None
    where = "record_type = ? AND file = ? AND seen_sync_id = ? AND resolved_sync_id IS NULL"
    args = (job.rt.name, job.source.name, job.skipped_from)
    rows = job.conn.execute(
        f'SELECT file, line, "column", value, reason FROM rejects WHERE {where} ORDER BY reject_id',
        args,
    ).fetchall()
    job.conn.execute(f"UPDATE rejects SET seen_sync_id = ? WHERE {where}", (job.sync_id, *args))
    fr.rejected = len(rows)
    job.result.rejects.extend(Reject(*r) for r in rows)
