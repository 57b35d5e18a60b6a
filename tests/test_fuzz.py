"""Fuzzing the sync (issue 7 item 4): hypothesis writes export files (random bytes, ragged
rows, every column type with valid and invalid values, 100 KB cells, latin-1 bytes, BOMs,
CRLF, NUL bytes) and syncs them into a store that holds the basic fixture, or into an
empty store (the first-load path). Whatever the file: no exception but a CasecliError for
a whole-file problem, every non-blank data row applied, rejected with a reason or counted
as an exact repeat of an earlier row (the counts add up), and ``PRAGMA integrity_check`` ok."""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from casecli.core.errors import CasecliError
from casecli.core.ingest.sync import SyncResult, sync
from casecli.core.store import store
from casecli.core.store.contract import (
    BOOL,
    BOOL_FALSE,
    BOOL_TRUE,
    DATE,
    DATETIME,
    ENUM,
    FFY,
    INT,
    MONEY,
    MONTH,
    NUMBER,
    RECORD_TYPES,
    Column,
    RecordType,
    ref_target,
)
from tests.conftest import FIXTURES, TODAY

BASIC = FIXTURES / "basic"
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),  # FUZZ_EXAMPLES=5000 to hunt
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _fixture_rows(rt: RecordType) -> tuple[list[str], list[list[str]]]:
    if not (BASIC / rt.file).exists():  # an optional file the fixture lacks (costs.csv)
        return list(rt.names), []
    with (BASIC / rt.file).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _known(rt: RecordType, col: Column) -> list[str]:
    """Values the fixture already has for this column (ids that exist, refs that resolve)."""
    header, rows = _fixture_rows(rt)
    values = {r[header.index(col.name)] for r in rows} if col.name in header else set()
    if col.ref is not None:
        table, key = ref_target(col.ref)
        ref_rt = next(r for r in RECORD_TYPES if r.name == table)
        ref_header, ref_rows = _fixture_rows(ref_rt)
        values |= {r[ref_header.index(key)] for r in ref_rows}
    return sorted(v for v in values if v)


_ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_HUGE = st.just("x" * 100_000)


def _cases(values: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(values).flatmap(
        lambda v: st.sampled_from([v, v.upper(), v.title(), f" {v} ", f"{v}\t"])
    )


def _typed(col: Column) -> st.SearchStrategy[str]:
    """Valid and invalid cells for a column's type."""
    days = st.dates().map(lambda d: d.isoformat())
    if col.type == DATE:
        valid = days
        bad = st.sampled_from(["2026-02-30", "2026-13-01", "26-1-1", "2026/01/01", "2026-1-1",
                               " 2026-01-01 ", "2026-01-01T10:00", "0000-00-00", "९९९९-01-01"])  # fmt: skip
    elif col.type == DATETIME:
        valid = st.datetimes().map(lambda d: d.isoformat(timespec="minutes")) | days
        bad = st.sampled_from(["2026-01-01T24:00", "2026-01-01T12", "2026-01-01X10:00",
                               "2026-01-01T10:61", "2026-02-29 10:00", "2026-01-01T10:00:00+99:00"])  # fmt: skip
    elif col.type == MONEY:
        valid = st.decimals(-(10**12), 10**12, places=2).map(str) | st.integers(0, 10**9).map(str)
        bad = st.sampled_from(["1.234", "$5", "1e5", "5,00", "-", ".5", "5.", "99999999999999999.99",
                               "nan", "inf", "1_000"])  # fmt: skip
    elif col.type in (INT, NUMBER):
        valid = st.integers(-(10**15), 10**15).map(str)
        bad = st.sampled_from(["1.0", "1e3", "99999999999999999999999", "--1", "0x10", "½", "٣"])
        if col.type == NUMBER:
            valid = valid | st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: f"{f:.3f}")
    elif col.type == BOOL:
        valid = _cases(list(BOOL_TRUE + BOOL_FALSE))
        bad = st.sampled_from(["maybe", "2", "t", "ja", "truee"])
    elif col.type == ENUM:
        valid = _cases(list(col.values))
        bad = st.sampled_from(["unknown", col.values[0] + "x", "Ω"])
    elif col.type == MONTH:
        valid = st.dates().map(lambda d: d.isoformat()[:7])
        bad = st.sampled_from(["2026-13", "2026-1", "2026-00", "202610", "2026-10-01"])
    elif col.type == FFY:
        valid = _cases([f"ffy{y}" for y in (1900, 2025, 2026, 2100)])
        bad = st.sampled_from(["FFY1899", "FFY2101", "FY2026", "FFY26", "2026", "FFY 2026",
                               "FFY２０２６", "FFY2026-1"])  # fmt: skip
    else:
        valid = _ANY_TEXT
        bad = st.sampled_from(["'; DROP TABLE cases; --", "\x1b[31mred", '=HYPERLINK("x")', "a\nb"])
    return st.one_of(valid, bad, _ANY_TEXT, st.just(""))


def _cell(rt: RecordType, col: Column) -> st.SearchStrategy[str]:
    known = _known(rt, col)
    choices = [_typed(col), _ANY_TEXT]
    if known:
        choices.insert(0, st.sampled_from(known))
    return st.one_of(*choices) | _HUGE if col.type not in (ENUM, BOOL) else st.one_of(*choices)


class Export:
    """One fuzzed file (not a dataclass: hypothesis would print all 100 KB of it)."""

    def __init__(self, rt: RecordType, data: bytes, rows: int | None, note: str) -> None:
        self.rt, self.data, self.note = rt, data, note
        self.rows = rows  # non-blank data rows, or None when the bytes are random
        self.name = rt.file + (".gz" if note.endswith(".gz") else "")

    def __repr__(self) -> str:
        data = self.data if len(self.data) < 2000 else self.data[:2000] + b"..."
        return f"Export({self.rt.name}, {data!r}, rows={self.rows}, {self.note})"


def _line(row: list[str]) -> str:
    """One CSV line; written with CRLF so that a lone \r in a cell is quoted too."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(row)
    return buf.getvalue()[:-2]


@st.composite
def _structured(draw: st.DrawFn, rt: RecordType) -> Export:
    header, fixture_rows = _fixture_rows(rt)
    columns = list(rt.columns)
    optional = [c for c in columns if not c.required]
    dropped = set(draw(st.lists(st.sampled_from([c.name for c in optional]) if optional else st.nothing(), max_size=2 if optional else 0)))  # fmt: skip
    names = [c.name for c in columns if c.name not in dropped]
    names = draw(st.permutations(names))
    extra = draw(st.booleans())
    if extra:
        names = [*names, "not_in_contract"]
    by_name = {c.name: c for c in columns}
    rows: list[list[str]] = []
    counted = 0
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["typed", "typed", "typed", "fixture", "ragged", "blank"]))
        if kind == "fixture" and fixture_rows:
            source = dict(zip(header, draw(st.sampled_from(fixture_rows)), strict=True))
            row = [source.get(n, "") for n in names]
        elif kind == "blank":
            row = [""] * draw(st.sampled_from([0, len(names)]))
        elif kind == "ragged":
            width = draw(st.integers(1, len(names) + 3).filter(lambda w: w != len(names)))
            row = [draw(_ANY_TEXT) for _ in range(width)]
        else:
            row = [draw(_cell(rt, by_name[n])) if n in by_name else draw(_ANY_TEXT) for n in names]
        if any(cell.strip() for cell in row):
            counted += 1
        elif any(row):  # whitespace only: still blank
            pass
        rows.append(row)
    crlf = draw(st.booleans())
    end = "\r\n" if crlf else "\n"
    text = "".join(_line(r) + end for r in [names, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    return Export(rt, data, counted, f"{encoding} crlf={crlf} extra={extra}")


@st.composite
def exports(draw: st.DrawFn) -> Export:
    rt = draw(st.sampled_from(RECORD_TYPES))
    if draw(st.integers(0, 4)) == 0:
        header = ",".join(rt.names).encode() + b"\n"
        data = draw(st.sampled_from([b"", header])) + draw(st.binary(max_size=400))
        if draw(st.booleans()):
            return Export(rt, data, None, "random bytes")
        if draw(st.booleans()):
            data = gzip.compress(data)[: draw(st.integers(0, 80))]
        return Export(rt, data, None, "random bytes in .gz")
    return draw(_structured(rt))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the basic fixture, copied for each example."""
    path = tmp_path_factory.mktemp("fuzz") / "basic.db"
    conn = store.connect(path, create=True)
    try:
        sync(conn, BASIC, today=TODAY)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path


def _sync_fuzzed(export: Export, db: Path, workdir: Path) -> SyncResult | None:
    folder = workdir / "export"
    shutil.copytree(BASIC, folder)
    (folder / export.rt.file).unlink(missing_ok=True)
    (folder / export.name).write_bytes(export.data)
    conn = store.connect(db, create=True)
    try:
        try:
            result: SyncResult | None = sync(conn, folder, today=TODAY)
        except CasecliError as exc:
            assert str(exc).strip(), "a refusal says what is wrong"
            event(f"refused: {str(exc).split('(')[0][-40:]}")
            result = None
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert not conn.in_transaction
    finally:
        conn.close()
    if result is not None:
        fr = next(f for f in result.files if f.record_type == export.rt.name)
        # a row that repeats an earlier one exactly counts once (EXPORTS.md)
        applied = fr.inserted + fr.updated + fr.unchanged + fr.rejected + fr.repeated
        event(
            f"{export.note.split()[0]}: applied {fr.inserted + fr.updated + fr.unchanged > 0},"
            f" rejected {fr.rejected > 0}"
        )
        if export.rows is not None:
            assert applied == export.rows, (export.note, fr)
        assert all(r.reason for r in result.rejects)
    return result


@FUZZ
@given(export=exports())
def test_a_fuzzed_file_synced_into_a_store_with_data(template: Path, export: Export) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "cases.db"
        shutil.copy(template, db)
        _sync_fuzzed(export, db, Path(tmp))


@FUZZ
@given(export=exports())
def test_a_fuzzed_file_in_a_first_sync(export: Export) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _sync_fuzzed(export, Path(tmp) / "cases.db", Path(tmp))


# -- failing examples the fuzzer found, kept as regular tests ------------------------------


@pytest.mark.parametrize("into", ["a store with data", "an empty store"])
def test_a_bad_byte_past_the_first_buffer_is_one_sentence_not_a_traceback(
    template: Path, tmp_path: Path, into: str
) -> None:
    """The header decodes from the first buffer; the fast paths (staging, first load) then
    hand the csv reader itself to executemany, and a bad byte further on escaped as a
    UnicodeDecodeError. Found by the fuzzer with a 100 KB cell before a latin-1 byte."""
    db = tmp_path / "cases.db"
    if into == "a store with data":
        shutil.copy(template, db)
    folder = tmp_path / "export"
    shutil.copytree(BASIC, folder)
    data = (folder / "events.csv").read_bytes()
    big = b"E9,C100,caseworker_visit,scheduled,2026-12-01,,,W1,home," + b"x" * 100_000 + b"\n"
    (folder / "events.csv").write_bytes(data + big + b"E10,C100,caseworker_visit,scheduled,"
                                       b"2026-12-01,,,W1,home,caf\xe9\n")  # fmt: skip
    conn = store.connect(db, create=True)
    try:
        before = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        with pytest.raises(CasecliError, match=r"^events.csv: line \d+ is not valid utf-8"):
            sync(conn, folder, today=TODAY)
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == before
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


def test_a_truncated_gzip_export_is_one_sentence(template: Path, tmp_path: Path) -> None:
    db = tmp_path / "cases.db"
    shutil.copy(template, db)
    folder = tmp_path / "export"
    shutil.copytree(BASIC, folder)
    data = gzip.compress((folder / "events.csv").read_bytes() * 50)
    (folder / "events.csv").unlink()
    (folder / "events.csv.gz").write_bytes(data[: len(data) // 2])
    conn = store.connect(db)
    try:
        with pytest.raises(CasecliError, match=r"^events.csv.gz: the file is not a complete gzip"):
            sync(conn, folder, today=TODAY)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
