"""Where SQLite and PostgreSQL differ, for the one body of SQL casecli keeps beside its code
(issue 17 item 2; DESIGN.md: "one body of SQL for both, with a small dialect layer; no ORM").

casecli's SQL is written for SQLite, the default store. On a team store each statement goes
through :func:`to_postgres`, which says the few things PostgreSQL says otherwise:

- parameters: SQLite's ``?``, psycopg's ``%s`` (a ``%`` of the statement itself doubled);
- temporary tables: SQLite's ``temp.sel``, PostgreSQL's ``pg_temp.sel``; an index on one is
  named bare (PostgreSQL puts it beside its table);
- a JSON list of ids: SQLite's ``json_each(?)``, PostgreSQL's
  ``json_array_elements_text(%s::json)``; both call the element ``value``.

A ``?`` or ``%`` inside a quoted literal is left as written. What a statement needs beyond
these (``PRAGMA``, ``INSERT OR …``, ``VACUUM INTO``) is not translated: the commands that use
them do not run on a team store yet, and say so.

:class:`PostgresConnection` is the part of ``sqlite3.Connection`` casecli's readers use, over
a psycopg connection: ``execute`` (a cursor with ``fetchone``, ``fetchall``, iteration and
``description``), ``executemany``, ``in_transaction``, ``commit``, ``rollback``, ``close``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

_TEMP_INDEX = re.compile(r"\btemp\.(\w+)(?=\s+ON\b)", re.IGNORECASE)
_TEMP = re.compile(r"\btemp\.", re.IGNORECASE)


def to_postgres(sql: str) -> str:
    """``sql`` (SQLite's) as PostgreSQL says it (see the module's list)."""
    out: list[str] = []
    for part in re.split(r"('(?:[^']|'')*')", sql):  # quoted literals at odd places
        if part.startswith("'") and part.endswith("'") and len(part) >= 2:
            out.append(part.replace("%", "%%"))
            continue
        part = part.replace("%", "%%")
        part = part.replace("json_each(?)", "json_array_elements_text(?::json)")
        part = _TEMP_INDEX.sub(r"\1", part)
        part = _TEMP.sub("pg_temp.", part)
        out.append(part.replace("?", "%s"))
    return "".join(out)


class PostgresConnection:
    """A psycopg connection seen as casecli's readers see a ``sqlite3.Connection`` (each
    statement its own transaction unless one is begun: psycopg's autocommit)."""

    dialect = "postgresql"

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        raw.autocommit = True

    def execute(self, sql: str, params: Sequence[Any] | None = ()) -> Any:
        return self.raw.execute(to_postgres(sql), tuple(params or ()))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        cur = self.raw.cursor()
        cur.executemany(to_postgres(sql), [tuple(r) for r in rows])
        return cur

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(self.raw.info.transaction_status != TransactionStatus.IDLE)

    def commit(self) -> None:
        self.raw.commit()

    def rollback(self) -> None:
        self.raw.rollback()

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> PostgresConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
