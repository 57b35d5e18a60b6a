"""Reading one export file: finding it, decoding it, mapping its header, streaming its rows.

Rows are yielded as tuples ``(line, problem, cell, cell, …)`` for the contract columns
the file provides, ready for ``executemany`` into the staging table. ``line`` is the
physical line where the row starts (the header is line 1), so a quoted newline inside a
cell does not throw later line numbers off. Memory stays constant whatever the size.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

from casecli.core.errors import CasecliError
from casecli.core.ingest.fastchecks import UNSEEN_FILE, Seen
from casecli.core.ingest.lines import FIELD_LIMIT, CountingReader, LineGuard, Lines, LineTooLong
from casecli.core.ingest.profiles import FileMap, Profile
from casecli.core.ingest.transforms import transform
from casecli.core.store.contract import RecordType
from casecli.core.words import plural

csv.field_size_limit(FIELD_LIMIT)
TOO_LONG = (
    "is too long to read (a line or cell of more than 1 MiB; the contract allows 64 KiB "
    "of text a cell), so it was not applied; shorten it in the source system"
)
BAD_QUOTE = (
    "cannot be read as CSV ({problem}), so it was not applied; check the quoting on this "
    'line (a quote inside a quoted cell is written twice: "")'
)
FAST_WIDTH = 500  # wider files (thousands of unknown columns) are read the careful way


@dataclass
class SourceFile:
    record_type: RecordType
    path: Path
    file_map: FileMap

    @property
    def name(self) -> str:
        return self.path.name

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()

    def size(self) -> int:
        return self.path.stat().st_size


def find(folder: Path, profile: Profile, rt: RecordType) -> SourceFile | None:
    """The file of ``rt`` in ``folder``. A profile's ``file =`` must name a file inside
    the export folder once symlinks are resolved: a profile that comes with an export
    must not read other files of the machine."""
    fmap = profile.file_map(rt)
    names = [fmap.file] if fmap.file else [rt.file, rt.file + ".gz"]
    if fmap.file and not fmap.file.endswith(".gz"):
        names.append(fmap.file + ".gz")
    if fmap.file:
        inside = folder.resolve()
        for n in names:
            target = (folder / n).resolve()
            if target != inside and inside not in target.parents:
                raise CasecliError(
                    f"The profile names {n!r} for {rt.name}, which is outside the export "
                    "folder; a profile may only name files inside the export folder."
                )
    found = [folder / n for n in names if (folder / n).is_file()]
    if len(found) > 1:
        raise CasecliError(
            f"The export has both {found[0].name} and {found[1].name}; keep one of them."
        )
    return SourceFile(rt, found[0], fmap) if found else None


@dataclass
class Header:
    columns: tuple[str, ...]  # contract columns staged, in tuple order after the line
    positions: tuple[int, ...]  # their positions in the source row (-1: from a default)
    width: int  # fields per row
    names: tuple[str, ...]  # the source header as written (trimmed)
    used: frozenset[str]  # source columns this record type reads

    @property
    def file_columns(self) -> tuple[str, ...]:
        """A staging column for every source column, in file order (``_u3``: not read)."""
        by_pos = dict(zip(self.positions, self.columns, strict=True))
        return tuple(by_pos.get(i, f"_u{i}") for i in range(self.width))


class Reader:
    """Iterate the staged rows of one source file; use as a context manager.

    ``careful``: read lines with a bound and keep physical line numbers, for ``rows()``;
    otherwise the csv module reads the file directly (the fast paths) and anything
    unusual (a quoting problem, an overlong line, ragged or blank rows) sends the caller
    to a careful read instead."""

    def __init__(
        self,
        source: SourceFile,
        profile: Profile,
        on_read: Callable[[int], None] | None = None,
        *,
        careful: bool = False,
    ) -> None:
        self.source = source
        self.profile = profile
        self.careful = careful
        self.blank_lines = 0
        self.header_ok = True
        self._raw = CountingReader(source.path.open("rb"), on_read)
        binary: Any = io.BufferedReader(self._raw, 1 << 20)
        if source.path.name.endswith(".gz"):
            binary = gzip.GzipFile(fileobj=binary, mode="rb")
        self._guard = None if careful else LineGuard(binary)
        if self._guard is not None:
            binary = self._guard
        encoding = (
            "utf-8-sig" if profile.encoding.lower() in ("utf-8", "utf8") else profile.encoding
        )
        self._text = io.TextIOWrapper(binary, encoding=encoding, newline="")
        self._text._CHUNK_SIZE = 1 << 20  # type: ignore[attr-defined]  # 8 KiB reads cost
        self._lines = Lines(self._text) if careful else None
        self._reader = csv.reader(self._lines or self._text, strict=True)
        self.header = self._read_header()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self._text.close()
        # The fast paths hand the csv reader itself to executemany, so a decoding error
        # surfaces here rather than in _next: it gets the same one sentence.
        failure = self._failure(exc) if isinstance(exc, Exception) else None
        if failure is not None:
            raise failure from None

    def _fail(self, what: str) -> CasecliError:
        return CasecliError(f"{self.source.name}: {what}")

    def _line(self) -> int:
        return self._lines.line if self._lines is not None else int(self._reader.line_num)

    def _failure(self, exc: Exception) -> CasecliError | None:
        """The sentence for a file that cannot be read as text, or None."""
        if isinstance(exc, UnicodeDecodeError):
            return self._fail(
                f"line {self._line() + 1} is not valid {self.profile.encoding} "
                f"(byte 0x{exc.object[exc.start]:02x}); save the file as UTF-8 or set "
                f'encoding in a profile (e.g. encoding = "cp1252").'
            )
        if isinstance(exc, gzip.BadGzipFile | EOFError | zlib.error):
            return self._fail(f"the file is not a complete gzip file ({exc}); export it again.")
        return None

    def _unclosed(self, line: int) -> CasecliError:
        return self._fail(
            f"line {line}: a quote opened here is never closed, so the file cannot be read "
            "and nothing was applied; close the quote (or write it twice inside a quoted "
            "cell) and sync again."
        )

    def _read_header(self) -> Header:
        rt, fmap = self.source.record_type, self.source.file_map
        empty = Header((), (), 0, (), frozenset())
        try:
            row = next(self._reader)
        except StopIteration:
            return empty  # an empty file: nothing to do
        except (csv.Error, LineTooLong) as exc:
            if not self.careful:
                self.header_ok = False
                return empty
            if isinstance(exc, csv.Error) and str(exc).startswith("unexpected end of data"):
                raise self._unclosed(self._lines.opened if self._lines else 1) from None
            raise self._fail(
                "the first line cannot be read as a header (it is not CSV, or longer than "
                "4 MiB); check that this is the export's CSV file."
            ) from None
        except Exception as exc:
            failure = self._failure(exc)
            if failure is None:
                raise
            raise failure from None
        if not any(cell.strip() for cell in row):
            return empty
        names = [cell.strip() for cell in row]
        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            if name:
                seen.setdefault(name.lower(), i)
        wanted = {fmap.source_column(c.name).lower(): c for c in rt.columns}
        for i, name in enumerate(names):
            low = name.lower()
            if low in wanted and seen[low] != i:  # a column we read, named twice
                raise self._fail(
                    f"the header names column {fmap.source_column(wanted[low].name)!r} twice "
                    f"(columns {seen[low] + 1} and {i + 1}); remove one."
                )
        if not any(n in seen for n in wanted):
            raise self._fail(
                f"the first line does not look like a header (it names none of the columns "
                f"of {rt.name}, such as {fmap.source_column(rt.key[0])!r}); add the header "
                "line, or map the columns with a profile (--profile)."
            )
        columns, positions, used = [], [], set()
        for col in rt.columns:
            source_name = fmap.source_column(col.name)
            pos = seen.get(source_name.lower())
            if pos is not None:
                columns.append(col.name)
                positions.append(pos)
                used.add(pos)
            elif col.name in fmap.defaults:
                columns.append(col.name)
                positions.append(-1)
            elif col.required:
                hint = (
                    f'map it in the profile ([files.{rt.name}.columns] {col.name} = "…")'
                    if fmap.columns or self.profile.files
                    else "add it, or map it from another name with a profile (--profile)"
                )
                raise self._fail(
                    f"the required column {source_name!r} is missing from the header; {hint}."
                )
        used_names = frozenset(names[i] for i in used)
        return Header(tuple(columns), tuple(positions), len(names), tuple(names), used_names)

    @property
    def fast(self) -> bool:
        """True when cells go to staging as they are: no profile work, nothing defaulted."""
        return (
            not self.careful
            and self.header_ok
            and bool(self.header.columns)
            and self.header.width <= FAST_WIDTH  # a staging column for every source column
            and self._transform() is None
        )

    def raw_rows(self) -> Iterator[list[str]]:
        """The CSV rows themselves, for ``executemany`` straight into staging (the fast path).

        It raises ``csv.Error`` or ``LineTooLong`` where the file needs a careful read."""
        return self._reader

    def _transform(self) -> Callable[[list[str]], list[str]] | None:
        """Per-cell work the profile asks for (``casecli.core.ingest.transforms``), or None."""
        source = self.source
        h = self.header
        return transform(h.columns, h.positions, source.record_type, source.file_map, self.profile)

    @property
    def seen(self) -> Seen:
        """What the fast read saw in the file's bytes so far (all of it, once read)."""
        return self._guard.seen if self._guard is not None else UNSEEN_FILE

    @property
    def lines_read(self) -> int:
        return int(self._reader.line_num)

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """Rows as ``(line, problem, raw, cells…)``: physical line numbers; a row that
        cannot be read (ragged, a quote in the middle of a cell, a cell or line too long)
        comes with its problem, and is skipped whole; a quote never closed stops the file."""
        header, lines = self.header, self._lines
        assert lines is not None, "rows() needs a careful Reader"
        if not header.columns:
            return
        width = header.width
        work = self._transform()
        positions = header.positions
        if -1 in positions:
            getter = None
        elif len(positions) == 1:
            p0 = positions[0]
            getter = lambda r: (r[p0],)  # noqa: E731
        else:
            getter = itemgetter(*positions)
        reader = self._reader
        nulls = (None,) * len(positions)
        while True:
            line = lines.start_record()
            try:
                row = next(reader)
            except StopIteration:
                break
            except (csv.Error, LineTooLong) as exc:
                if isinstance(exc, csv.Error) and str(exc).startswith("unexpected end of data"):
                    raise self._unclosed(lines.opened) from None
                raw = lines.last[:1000]
                if not lines.skip_record():
                    raise self._unclosed(lines.opened) from None
                if isinstance(exc, LineTooLong) or "field limit" in str(exc):
                    yield (line, f"the row {TOO_LONG}", raw, *nulls)
                else:
                    yield (line, f"the row {BAD_QUOTE.format(problem=exc)}", raw, *nulls)
                continue
            if not row or not any(cell.strip() for cell in row):
                self.blank_lines += 1
                continue
            if len(row) != width:
                problem = (
                    f"the row has {plural(len(row), 'value')} where the header has "
                    f"{plural(width, 'column')}; "
                    "check the quoting and commas on this line"
                )
                yield (line, problem, ",".join(row)[:1000], *nulls)
                continue
            if work is not None:
                yield (line, None, None, *work(row))
            else:
                yield (line, None, None, *getter(row))  # type: ignore[misc]
