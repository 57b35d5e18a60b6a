"""Where SQLite and PostgreSQL differ, for the one body of SQL casecli keeps beside its code
(issue 17 item 2; DESIGN.md: "one body of SQL for both, with a small dialect layer; no ORM").

casecli's SQL is written for SQLite, the default store. On a team store each statement goes
through :func:`to_postgres`, which says the few things PostgreSQL says otherwise:

- parameters: SQLite's ``?``, psycopg's ``%s`` (a ``%`` of the statement itself doubled);
- temporary tables: SQLite's ``temp.sel``, PostgreSQL's ``pg_temp.sel``; an index on one is
  named bare (PostgreSQL puts it beside its table);
- named parameters: SQLite's ``:name``, psycopg's ``%(name)s``;
- a JSON list of ids: SQLite's ``json_each(?)``, PostgreSQL's
  ``json_array_elements_text(%s::json)``; both call the element ``value``;
- SQLite's ``a IS b`` and ``a IS NOT b`` for values that are not NULL, TRUE or FALSE:
  PostgreSQL's ``IS [NOT] DISTINCT FROM``;
- ``INSERT OR IGNORE INTO …``: ``INSERT INTO … ON CONFLICT DO NOTHING``;
- a table ``WITHOUT ROWID`` (SQLite's layout): a table (PostgreSQL has no other);
- ``BEGIN IMMEDIATE`` (SQLite's: take the write lock now): ``BEGIN`` (PostgreSQL locks rows
  as they are written);
- ``AND +c.x``, SQLite's way to keep an index out of a plan: ``AND c.x``;
- a scope's workers, ``x IN (SELECT staff_id FROM staff WHERE unit_id = ?)`` (or
  ``office_id``: ``casecli.core.store.scope.workers_clause``), as ``x = ANY (ARRAY(SELECT
  …))``: the same rows (the subquery names no outer column), but PostgreSQL then reads the
  cases of those workers by the ``cases_worker`` index instead of scanning every case and
  testing the row-level security's policy on each (a 60,000-case office of a 1.3M store:
  0.78 s -> 0.13 s), a plan it does not find for the ``IN`` under the policy;
- ``--`` and ``/* */`` comments are dropped (a ``?`` or an apostrophe in one is not SQL).

``a IS b`` is rewritten word for word, so its right side must be one term: ``a IS b = c``
would read as ``a IS NOT DISTINCT FROM (b = c)`` on PostgreSQL (no statement of casecli's
writes one).

A ``?``, ``:`` or ``%`` inside a quoted literal is left as written. SQLite's date functions
(``julianday``, ``date``, ``datetime`` and their modifiers), ``total``, the sums and extremes
of booleans and the scalar ``min(a, b)`` and ``max(a, b)`` are not rewritten: the team store
has them, doing what SQLite's do (``migrations/postgres/sqlite.sql``), so that a measure's
SQL means one thing on both stores. What a statement needs beyond these (``PRAGMA``,
``INSERT OR REPLACE``, ``VACUUM INTO``) is not translated: it belongs to a SQLite file
(the kept evaluations beside a personal store, its backup), never to a team store.

A statement that begins ``WITH`` and names a common table expression ``AS MATERIALIZED`` is
run on a team store in steps (:func:`split_with`, :func:`staged`): each materialized
expression becomes a temporary table, ``ANALYZE``d, read under the expression's name by
the steps after it, all in one ``REPEATABLE READ`` transaction (one snapshot, as one
statement had) that drops the tables as it ends. In a transaction the caller began (its
isolation would give each step its own snapshot), with positional parameters, or when it
writes (``WITH … INSERT``), the statement runs whole. Each step is computed in full, even
one the rest would read in part or not at all (casecli's statements read each whole).
The reason is row-level security (issue 17 item 8): a policy's rows are estimated from
nothing (PostgreSQL guessed 4 removals where an office has 6,353), a CTE estimated at one
row is joined by a nested loop, and one month of an office's visit measure compared 27.8
million pairs (114 s); the same join of two analysed tables is a hash join (well under a
second). The SQL is the same on both stores; SQLite plans its ``MATERIALIZED`` CTEs from
its own statistics and runs the statement as written. (A materialized expression inside
another's body or a subquery stays one: the permanency and re-entry cohorts' ``in_scope``
and ``scoped``.)

A column PostgreSQL computes as ``numeric`` (a sum of bigints, ``x * 1.0``) comes back as
SQLite's would: an int when it is whole and written without a point, else a float
(:class:`_Number`), never a ``Decimal`` the callers' arithmetic would refuse.

:class:`PostgresConnection` is the part of ``sqlite3.Connection`` casecli's readers use, over
a psycopg connection: ``execute`` (a cursor with ``fetchone``, ``fetchall``, iteration and
``description``), ``executemany``, ``in_transaction``, ``commit``, ``rollback``, ``close``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_TEMP_INDEX = re.compile(r"\btemp\.(\w+)(?=\s+ON\b)", re.IGNORECASE)
_TEMP = re.compile(r"\btemp\.", re.IGNORECASE)
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_IS_NOT = re.compile(r"\bIS\s+NOT\s+(?!NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.IGNORECASE)
_IS = re.compile(r"\bIS\s+(?!NOT\b|NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.IGNORECASE)
_WITHOUT_ROWID = re.compile(r"\s+WITHOUT\s+ROWID\b", re.IGNORECASE)
_UNARY_PLUS = re.compile(r"(\b(?:AND|OR|WHERE|ON)\s+)\+(?=[A-Za-z_])", re.IGNORECASE)
_BEGIN = re.compile(r"^\s*BEGIN\s+(IMMEDIATE|DEFERRED|EXCLUSIVE)\s*$", re.IGNORECASE)
_OR_IGNORE = re.compile(r"^(\s*)INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_SCOPE_IN = re.compile(
    r"(\bNOT\s+)?\bIN\s*\(\s*(SELECT\s+staff_id\s+FROM\s+staff\s+WHERE\s+(?:unit_id|office_id)\s*=\s*(?:\?|:\w+))\s*\)",
    re.IGNORECASE,
)


def to_postgres(sql: str) -> str:
    """``sql`` (SQLite's) as PostgreSQL says it (see the module's list)."""
    if _BEGIN.match(sql):
        return "BEGIN"
    sql = _without_comments(sql)
    out: list[str] = []
    ignore = False
    for i, part in enumerate(re.split(r"('(?:[^']|'')*')", sql)):  # literals at odd places
        if i % 2:
            out.append(part.replace("%", "%%"))
            continue
        part = part.replace("%", "%%")
        if i == 0 and _OR_IGNORE.match(part):
            part, ignore = _OR_IGNORE.sub(r"\1INSERT INTO", part), True
        part = part.replace("json_each(?)", "json_array_elements_text(?::json)")
        part = _TEMP_INDEX.sub(r"\1", part)
        part = _TEMP.sub("pg_temp.", part)
        part = _WITHOUT_ROWID.sub("", part)
        part = _UNARY_PLUS.sub(r"\1", part)
        part = _IS_NOT.sub("IS DISTINCT FROM ", part)
        part = _IS.sub("IS NOT DISTINCT FROM ", part)
        part = _SCOPE_IN.sub(_scope_in, part)
        part = _NAMED.sub(r"%(\1)s", part)
        out.append(part.replace("?", "%s"))
    text = "".join(out)
    if ignore:
        text = text.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    return text


def _scope_in(m: re.Match[str]) -> str:
    """A scope's workers as an array (the module's list); ``NOT IN`` as written."""
    return m.group(0) if m.group(1) else f"= ANY (ARRAY({m.group(2)}))"


def _without_comments(sql: str) -> str:
    """``sql`` without its ``--`` and ``/* */`` comments (outside quoted literals and
    double-quoted names): a ``?``, a ``:name`` or an apostrophe in one would otherwise be
    read as SQL."""
    if "--" not in sql and "/*" not in sql:
        return sql
    out: list[str] = []
    i, quote = 0, ""
    while i < len(sql):
        ch = sql[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = len(sql) if end < 0 else end
            continue
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = len(sql) if end < 0 else end + 2
            out.append(" ")
            continue
        out.append(ch)
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class Cte:
    """One common table expression of a ``WITH``: ``name``, its column list as written
    (``"(first, last)"`` or ``""``), its body (inside the parentheses) and how it was
    marked (``"MATERIALIZED"``, ``"NOT MATERIALIZED"`` or ``""``)."""

    name: str
    columns: str
    body: str
    marked: str = ""

    @property
    def materialized(self) -> bool:
        return self.marked == "MATERIALIZED"

    @property
    def inline(self) -> str:
        mark = f"{self.marked} " if self.marked else ""
        return f"{self.name}{self.columns} AS {mark}({self.body})"


_WITH = re.compile(r"\s*WITH\s+(?!\s*RECURSIVE\b)", re.IGNORECASE)
_CTE_HEAD = re.compile(
    r"\s*(\w+)\s*(\([\w\s,]*\))?\s+AS\s+(NOT\s+MATERIALIZED\s+|MATERIALIZED\s+)?\(",
    re.IGNORECASE,
)
_COMMA = re.compile(r"\s*,")


def split_with(sql: str) -> tuple[list[Cte], str] | None:
    """The common table expressions of ``sql`` (SQLite's, without comments) and the
    statement after them, or None when ``sql`` does not begin with a plain ``WITH`` (or is
    not read as one: unbalanced parentheses, a ``RECURSIVE``)."""
    start = _WITH.match(sql)
    if start is None:
        return None
    ctes: list[Cte] = []
    pos = start.end()
    while True:
        head = _CTE_HEAD.match(sql, pos)
        if head is None:
            return None
        end = _closing(sql, head.end())
        if end < 0:
            return None
        marked = " ".join((head.group(3) or "").upper().split())
        body = sql[head.end() : end].strip()
        ctes.append(Cte(head.group(1), head.group(2) or "", body, marked))
        comma = _COMMA.match(sql, end + 1)
        if comma is None:
            return ctes, sql[end + 1 :]
        pos = comma.end()


def _closing(sql: str, i: int) -> int:
    """Where the parenthesis open before ``sql[i]`` closes (-1: it does not), quoted text
    skipped."""
    depth, quote = 1, ""
    for j in range(i, len(sql)):
        ch = sql[j]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return j
    return -1


def staged(ctes: list[Cte], main: str, prefix: str) -> list[tuple[str, str]]:
    """The statements that run ``WITH ctes main`` with each materialized CTE a temporary
    table (module docstring): (the table made, ``pg_temp.{prefix}_N``, or "" for the last
    statement; its SQL, in SQLite's words). The table is read under the CTE's own name
    (``name AS NOT MATERIALIZED (SELECT * FROM the table)``, which the planner sees
    through to the table's statistics), so that no temporary table stands in for a real
    one or meets one of the caller's; the expressions that are not materialized go with
    each statement as written."""
    inline: list[str] = []
    out: list[tuple[str, str]] = []
    for cte in ctes:
        if not cte.materialized:
            inline.append(cte.inline)
            continue
        name = f"{prefix}_{len(out) + 1}"
        table = f"pg_temp.{name}"
        body = cte.body
        if inline:
            nested = re.match(r"\s*WITH\b", body, re.IGNORECASE)
            body = f"WITH {', '.join(inline)} " + (
                f"SELECT * FROM ({body}) AS _cte" if nested else body
            )
        out.append((table, f"CREATE TEMP TABLE {name}{cte.columns} ON COMMIT DROP AS {body}"))
        inline.append(f"{cte.name} AS NOT MATERIALIZED (SELECT * FROM {table})")
    out.append(("", (f"WITH {', '.join(inline)} " if inline else "") + main.strip()))
    return out


class PostgresConnection:
    """A psycopg connection seen as casecli's readers see a ``sqlite3.Connection`` (each
    statement its own transaction unless one is begun: psycopg's autocommit)."""

    dialect = "postgresql"

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        raw.autocommit = True
        raw.adapters.register_loader("numeric", _number_loader())

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = ()) -> Any:
        given = dict(params) if isinstance(params, Mapping) else tuple(params or ())
        # (positional parameters would be numbered across the steps: named ones only; in a
        # transaction the caller began, at its isolation, the steps would not share one
        # snapshot: the statement runs whole there)
        if (
            "MATERIALIZED" in sql.upper()
            and (isinstance(given, dict) or not given)
            and not self.in_transaction
        ):
            parts = split_with(_without_comments(sql))
            if (
                parts is not None
                and any(cte.materialized for cte in parts[0])
                and re.match(r"\s*SELECT\b", parts[1], re.IGNORECASE)  # (a read alone)
            ):
                return self._execute_staged(*parts, given)
        return self.raw.execute(to_postgres(sql), given)

    def _execute_staged(self, ctes: list[Cte], main: str, params: Any) -> Any:
        """``WITH ctes main`` run in steps, each materialized CTE an analysed temporary
        table, in one ``REPEATABLE READ`` transaction (the module's docstring says why);
        the tables go with it."""
        steps = staged(ctes, main, prefix="casecli_cte")
        try:
            self.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            for table, sql in steps[:-1]:
                self.raw.execute(to_postgres(sql), params)
                self.raw.execute(f"ANALYZE {table}")
            cur = self.raw.execute(to_postgres(steps[-1][1]), params)
            self.raw.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):  # (the first error is the one to tell)
                self.raw.rollback()
            raise
        return cur

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


def _number_loader() -> Any:
    """A psycopg loader giving ``numeric`` as SQLite gives a number (see the module)."""
    from psycopg.adapt import Loader

    class _Number(Loader):
        def load(self, data: Any) -> int | float:
            text = bytes(data).decode("ascii")
            return int(text) if text.lstrip("-").isdigit() else float(text)

    return _Number
