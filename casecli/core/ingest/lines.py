"""Reading an export's bytes and lines with bounded memory, for ``casecli.core.ingest.source``.

The csv module reads a line whole before it parses it, so a file that is one 1 GB line
would cost 1 GB, and a quote never closed makes it read on to the end of the file. Here:

* ``CountingReader`` counts the bytes read from disk (the progress bar);
* ``LineGuard``, under a fast read, looks at the bytes as they pass (a line past
  LINE_LIMIT stops the read; ``fastchecks.Seen`` says what the cheap checks must prove);
* ``Lines``, under a careful read, hands the csv module physical lines of at most
  LINE_LIMIT characters, counts them, and tracks the quote parity of the record being
  read, so that a row that cannot be parsed is skipped whole and an unclosed quote is
  named at the line where it opened.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from casecli.core.ingest.fastchecks import Seen
from casecli.core.store.contract import TEXT_LIMIT

# Bounds that keep memory flat whatever a file holds. A cell past FIELD_LIMIT characters,
# or a physical line past LINE_LIMIT, is not read into memory: its row is rejected (the
# contract's own limit for a text cell is 64 KiB; cells up to FIELD_LIMIT are read and
# rejected by that check, with the column named).
FIELD_LIMIT = 1 << 20
LINE_LIMIT = 4 << 20
QUOTE = '"'
BOM = b"\xef\xbb\xbf"
CONTROLS = bytes([*range(0x00, 0x0A), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])  # not \n \r
NOT_CONTROL = bytes(b for b in range(256) if b not in CONTROLS)  # translate() deletes these


class LineTooLong(Exception):
    """A physical line longer than LINE_LIMIT: its row cannot be read in bounded memory."""


class CountingReader(io.RawIOBase):
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


class LineGuard(io.BufferedIOBase):
    """The bytes of a fast read, looked at once as they pass (a few C-speed scans per MB).

    Raises LineTooLong once more than LINE_LIMIT bytes pass without a line break (a line
    is read whole into memory before the csv module sees it: a 1 GB line would cost 1 GB),
    and notes what ``fastchecks.Seen`` tells the cheap checks: a byte outside printable ASCII,
    a control byte, a line over 64 KiB. It hands on the very bytes objects it is given
    (TextIOWrapper reads with ``read1``), so it copies nothing."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.run = 0  # bytes since the last line break
        self.first = True
        self.non_ascii = self.control = self.long_lines = False

    def readable(self) -> bool:
        return True

    @property
    def seen(self) -> Seen:
        return Seen(self.non_ascii, self.control, self.long_lines)

    def read1(self, size: int = -1) -> bytes:
        return self._look(self.inner.read1(size))

    def read(self, size: int | None = -1) -> bytes:
        return self._look(self.inner.read(size))

    def _look(self, data: bytes) -> bytes:
        n = len(data)
        scan = data[3:] if self.first and data.startswith(BOM) else data
        self.first = False
        if not self.non_ascii and not scan.isascii():
            self.non_ascii = True
        if not self.control and scan.translate(None, NOT_CONTROL):
            self.control = True
        if not self.long_lines:
            self._find_long_line(data)
        last = max(data.rfind(b"\n"), data.rfind(b"\r"))
        self.run = self.run + n if last < 0 else n - last - 1
        if self.run > LINE_LIMIT:
            raise LineTooLong()
        return data

    def _find_long_line(self, data: bytes) -> None:
        """Hop from line break to line break, at most TEXT_LIMIT bytes at a time (the last
        break in each window): a window without one holds a line over 64 KiB."""
        start, n, run = 0, len(data), self.run
        while n - start > TEXT_LIMIT - run:
            end = start + TEXT_LIMIT - run + 1
            at = max(data.rfind(b"\n", start, end), data.rfind(b"\r", start, end))
            if at < 0:
                self.long_lines = True
                return
            start, run = at + 1, 0

    def close(self) -> None:
        self.inner.close()
        super().close()


class Lines:
    """Physical lines for the csv module, at most LINE_LIMIT characters each, counted, with
    the quote parity of the record being read (RFC 4180: inside a quoted cell a quote is
    written twice, so an odd count of quotes since the record began means a quoted cell is
    still open). That is what lets a row that cannot be parsed be skipped whole, and an
    unclosed quote be named at the line where it opened."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self.text = text
        self.line = 0  # physical lines read
        self.open_quote = False  # inside a quoted cell, by parity since the record began
        self.opened = 0  # the line where the quote still open was opened
        self.last = ""  # the last line read, for a reject's value

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        line = self._read()
        if len(line) >= LINE_LIMIT and not line.endswith(("\n", "\r")):
            raise LineTooLong()
        return line

    def _read(self) -> str:
        line = self.text.readline(LINE_LIMIT)
        if not line:
            raise StopIteration
        physical = self.line + 1  # the line this text is (part of)
        if line.endswith(("\n", "\r")) or len(line) < LINE_LIMIT:
            self.line = physical  # the line is complete
        if line.count(QUOTE) % 2:
            self.open_quote = not self.open_quote
            if self.open_quote:
                self.opened = physical
        self.last = line
        return line

    def start_record(self) -> int:
        """A new record begins at the next line; return that line's number."""
        self.open_quote = False
        return self.line + 1

    def skip_record(self) -> bool:
        """Read on to the end of the record being read (the end of its physical line, and
        on while a quoted cell is open). False when the file ends inside a quoted cell."""
        line = self.last
        while not line.endswith(("\n", "\r")) or self.open_quote:
            try:
                line = self._read()
            except StopIteration:
                return not self.open_quote
        return True
