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
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from casecli.core.contract import DATE, DATETIME, RecordType
from casecli.core.errors import CasecliError
from casecli.core.profiles import FileMap, Profile

csv.field_size_limit(64 * 1024 * 1024)


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
    fmap = profile.file_map(rt)
    names = [fmap.file] if fmap.file else [rt.file, rt.file + ".gz"]
    if fmap.file and not fmap.file.endswith(".gz"):
        names.append(fmap.file + ".gz")
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
    names: tuple[str, ...]  # the source header as written
    used: frozenset[str]  # source columns this record type reads

    @property
    def file_columns(self) -> tuple[str, ...]:
        """A staging column for every source column, in file order (``_u3``: not read)."""
        by_pos = dict(zip(self.positions, self.columns, strict=True))
        return tuple(by_pos.get(i, f"_u{i}") for i in range(self.width))


class _CountingReader(io.RawIOBase):
    """Counts the bytes read from the file on disk, for the progress bar."""

    def __init__(self, raw: io.BufferedReader, on_read: Callable[[int], None] | None) -> None:
        self.raw = raw
        self.count = 0
        self.on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer) or 0
        self.count += n
        if self.on_read is not None:
            self.on_read(self.count)
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


class Reader:
    """Iterate the staged rows of one source file; use as a context manager."""

    def __init__(
        self, source: SourceFile, profile: Profile, on_read: Callable[[int], None] | None = None
    ) -> None:
        self.source = source
        self.profile = profile
        self.blank_lines = 0
        self._raw = _CountingReader(source.path.open("rb"), on_read)
        binary: Any = io.BufferedReader(self._raw, 1 << 20)
        if source.path.name.endswith(".gz"):
            binary = gzip.GzipFile(fileobj=binary, mode="rb")
        encoding = (
            "utf-8-sig" if profile.encoding.lower() in ("utf-8", "utf8") else profile.encoding
        )
        self._text = io.TextIOWrapper(binary, encoding=encoding, newline="")
        self._reader = csv.reader(self._text)
        self.header = self._read_header()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self._text.close()
        # The fast paths hand the csv reader itself to executemany, so a decoding or
        # CSV error surfaces here rather than in _next: it gets the same one sentence.
        failure = self._failure(exc) if isinstance(exc, Exception) else None
        if failure is not None:
            raise failure from None

    def _fail(self, what: str) -> CasecliError:
        return CasecliError(f"{self.source.name}: {what}")

    def _next(self) -> list[str] | None:
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except Exception as exc:
            failure = self._failure(exc)
            if failure is None:
                raise
            raise failure from None

    def _failure(self, exc: Exception) -> CasecliError | None:
        """The sentence for a file that cannot be read as text or CSV, or None."""
        if isinstance(exc, UnicodeDecodeError):
            return self._fail(
                f"line {self._reader.line_num + 1} is not valid {self.profile.encoding} "
                f"(byte 0x{exc.object[exc.start]:02x}); save the file as UTF-8 or set "
                f'encoding in a profile (e.g. encoding = "cp1252").'
            )
        if isinstance(exc, csv.Error):
            return self._fail(
                f"line {self._reader.line_num} cannot be read as CSV ({exc}); fix the quoting there."
            )
        if isinstance(exc, gzip.BadGzipFile | EOFError | zlib.error):
            return self._fail(f"the file is not a complete gzip file ({exc}); export it again.")
        return None

    def _read_header(self) -> Header:
        rt, fmap = self.source.record_type, self.source.file_map
        row = self._next()
        if row is None or not any(cell.strip() for cell in row):
            return Header((), (), 0, (), frozenset())  # an empty file: nothing to do
        names = [cell.strip() for cell in row]
        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            if name.lower() in seen:
                raise self._fail(
                    f"the header names column {name!r} twice (columns {seen[name.lower()] + 1} "
                    f"and {i + 1}); remove one."
                )
            seen[name.lower()] = i
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
        return bool(self.header.columns) and self._transform() is None

    def raw_rows(self) -> Iterator[list[str]]:
        """The CSV rows themselves, for ``executemany`` straight into staging (the fast path)."""
        return self._reader

    @property
    def lines_read(self) -> int:
        return int(self._reader.line_num)

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """Rows as ``(line, problem, raw, cells…)``: physical line numbers, ragged rows marked."""
        header = self.header
        if not header.columns:
            return
        width = header.width
        transform = self._transform()
        positions = header.positions
        if -1 in positions:
            getter = None
        elif len(positions) == 1:
            p0 = positions[0]
            getter = lambda r: (r[p0],)  # noqa: E731
        else:
            getter = itemgetter(*positions)
        reader = self._reader
        start = reader.line_num + 1
        nulls = (None,) * len(positions)
        while True:
            row = self._next()
            if row is None:
                break
            line = start
            start = reader.line_num + 1
            if not row or not any(cell.strip() for cell in row):
                self.blank_lines += 1
                continue
            if len(row) != width:
                problem = f"has {len(row)} values where the header has {width} columns"
                yield (line, problem, ",".join(row)[:1000], *nulls)
                continue
            if transform is not None:
                yield (line, None, None, *transform(row))
            else:
                yield (line, None, None, *getter(row))  # type: ignore[misc]

    def _transform(self) -> Callable[[list[str]], list[str]] | None:
        """Per-cell work a profile asks for (defaults, value maps, date formats), or None."""
        fmap, profile, header = self.source.file_map, self.profile, self.header
        rt = self.source.record_type
        steps: list[tuple[int, int, Callable[[str], str]]] = []  # (out index, src pos, fn)
        needed = False
        for i, (name, pos) in enumerate(zip(header.columns, header.positions, strict=True)):
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
