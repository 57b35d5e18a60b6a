"""Global options (--db, --as, --today, --json, --redact), accepted before or after any command.

``casecli --json sync X`` and ``casecli sync X --json`` mean the same: the ``command``
decorator adds the global options to every command's signature and merges them with
the ones given before the command name. Command-level values win.
"""

import functools
import inspect
import os
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from casecli.cli.usage import Command, echo, reflow
from casecli.core.errors import CasecliError, UsageError, from_driver

if TYPE_CHECKING:
    from casecli.core.store.scope import Actor

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="CASECLI_DB",
        help="The store: a SQLite file, or postgresql://LOGIN@HOST/DATABASE for a team store.",
        show_default=False,
    ),
]
AsOpt = Annotated[
    str | None,
    typer.Option(
        "--as",
        envvar="CASECLI_USER",
        help="Act as this staff id: scope follows its role (a view, not verified). "
        "Default: the staff member whose login is yours.",
    ),
]
TodayOpt = Annotated[
    str | None,
    typer.Option(
        "--today",
        envvar="CASECLI_TODAY",
        metavar="YYYY-MM-DD",
        help="Treat this date as today.",
        show_default=False,
    ),
]
JsonOpt = Annotated[
    bool,
    typer.Option("--json", envvar="CASECLI_JSON", help="Machine output on stdout, nothing else."),
]
RedactOpt = Annotated[
    bool, typer.Option("--redact", envvar="CASECLI_REDACT", help="Initials instead of names.")
]

GLOBAL_PARAMS = [
    inspect.Parameter("db", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=DbOpt),
    inspect.Parameter("as_", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=AsOpt),
    inspect.Parameter("today", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=TodayOpt),
    inspect.Parameter("json_", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=JsonOpt),
    inspect.Parameter(
        "redact", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=RedactOpt
    ),
]
GLOBAL_NAMES = [p.name for p in GLOBAL_PARAMS]
PlaybooksOpt = Annotated[
    Path | None,
    typer.Option(
        "--playbooks",
        envvar="CASECLI_PLAYBOOKS",
        help="A folder of playbooks over the defaults (default: the config's playbooks).",
        show_default=False,
    ),
]
PLAYBOOKS_PARAM = inspect.Parameter(
    "playbooks", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=PlaybooksOpt
)
CTX_PARAM = inspect.Parameter(
    "_ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
)


class Settings:
    """The global options as one command sees them.

    A plain class rather than a dataclass: building a dataclass costs ~0.3 ms at import,
    on every run of every command (``casecli next``'s start-up budget)."""

    __slots__ = (
        "db", "team", "user", "login", "today", "today_given", "json", "redact", "playbooks",
        "data_as_of",
    )  # fmt: skip

    def __init__(
        self,
        db: Path | None,
        user: str | None,
        today: date,
        today_given: bool,
        json: bool,
        redact: bool,
        playbooks: Path | None = None,  # --playbooks, on the commands that use playbooks
        team: str | None = None,  # --db postgresql://…: a team store (casecli.core.store.team)
    ) -> None:
        self.db = db
        self.team = team
        self.user = user  # --as, CASECLI_USER or the config's user; see staff_id()
        self.login: str | None = None  # the operating-system user, once staff_id() read it
        self.today = today
        self.today_given = today_given
        self.json = json
        self.redact = redact
        self.playbooks = playbooks
        self.data_as_of: date | None = None  # the newest export's day, set by connect()

    def db_path(self) -> Path:
        if self.team is not None:
            raise CasecliError(not_on_team("This command"))
        if self.db is None:
            raise CasecliError(
                "No store is configured: sync an export into one "
                "(casecli --db cases.db sync FOLDER), or try --db sample.db."
            )
        return self.db

    def kept_at(self, conn: Any) -> Path | None:
        """Where evaluations read on ``conn`` are kept (casecli.core.local.kept, nextcache),
        as a store's path: the personal store; for a team store, the person's own place
        (``nextcache.team_place``: what is kept is checked against anyone's changes since)."""
        if self.team is None:
            return self.db_path()
        from casecli.core.local import nextcache

        return nextcache.team_place(conn)

    def staff_id(self, conn: sqlite3.Connection) -> str | None:
        """Who the user is: --as, CASECLI_USER or the config's ``user``; when none of them
        names anyone, the active staff member whose ``login`` is the operating-system
        user. That costs one indexed query on the store the command has opened, and runs
        only then. None: nobody (``scope.actor`` says how to say who you are); two staff
        members with that login: an error, never a guess. On a team store the database
        login's staff member (or whom an admin acts as), never the operating-system user's."""
        if self.team is not None:  # a team store: the login's staff member (team.actor)
            if self.login is None:
                self.login = ""
                self.user = self.actor(conn).staff_id
            return self.user
        if (self.user or "").strip() or self.login is not None:
            return self.user
        from casecli.core.store import scope

        self.login = scope.os_user() or ""
        self.user = scope.staff_for_login(conn, self.login)
        return self.user

    def actor(self, conn: sqlite3.Connection) -> "Actor":
        """The staff member acting (their role gives the scope): :meth:`staff_id`'s."""
        from casecli.core.store import scope

        if self.team is not None:  # who you are is your login (casecli.core.store.team)
            from casecli.core.store import team

            try:
                return team.actor(conn, self.user)  # type: ignore[no-any-return]
            except team.NoStaff:  # (no longer anyone: what the login kept goes)
                from casecli.core.local import nextcache

                nextcache.forget_team(conn)
                raise
        return scope.actor(conn, self.staff_id(conn))

    def connect(self, *, create: bool = False, write: str | None = None) -> sqlite3.Connection:
        """Open the store, and note the day of its newest export (``data_as_of``,
        :mod:`casecli.core.store.freshness`); for a write, ``write`` names it: the store must pass
        its quick check (``storecheck.verify``). A store made by ``casecli demo`` is as of
        its export's date unless --today says otherwise, so the sample reads the same on
        any day."""
        from casecli.core.store import freshness, store

        if self.team is not None:
            from casecli.core.store import team

            conn: Any = team.open_store(self.team)
            try:
                team.require_current(conn)
            except BaseException:
                conn.close()
                raise
        else:
            conn = store.connect(self.db_path(), create=create, write=write)
        source, self.data_as_of = freshness.latest_export(conn)
        self.today = freshness.reading_day(source, self.data_as_of, self.today, self.today_given)
        return conn

    def freshness(self) -> str | None:
        """'Data as of 2026-12-01 (8 days ago).' when the store's newest export is more
        than a day older than today (known after :meth:`connect`), else None."""
        from casecli.core.store import freshness

        return freshness.sentence(self.data_as_of, self.today)

    def freshness_fields(self) -> dict[str, object]:
        """``data_as_of`` and ``data_age_days`` for a --json object."""
        from casecli.core.store import freshness

        return freshness.fields(self.data_as_of, self.today)


def parse_date(value: str, option: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option} must be a date like 2026-11-24, not {value!r}.") from None
    if not 1900 <= day.year <= 2100:  # the contract's dates (casecli.core.when)
        raise UsageError(f"{option} must be a date between 1900-01-01 and 2100-12-31.")
    return day


def _settings(ctx: typer.Context, given: dict[str, Any]) -> Settings:
    parent: dict[str, Any] = {}
    root = ctx.find_root()
    if isinstance(root.obj, dict):
        parent = root.obj

    root_ctx = ctx.find_root()

    def typed(c: typer.Context, name: str) -> bool:
        source = c.get_parameter_source(name)
        return source is not None and source.name == "COMMANDLINE"

    def pick(name: str) -> Any:
        """A value typed after the command, then before it, then from the environment."""
        if typed(ctx, name):
            return given.get(name)
        if root_ctx is not ctx and typed(root_ctx, name):
            return parent.get(name)
        value = given.get(name)
        if value in (None, False):
            value = parent.get(name, value)
        return value

    from casecli.core.local import config
    from casecli.core.store.team import is_team

    cfg: dict[str, Any] = {}
    db, user = pick("db"), pick("as_")
    if db is None or user is None:
        cfg = config.load()
    if db is None and cfg.get("db"):
        db = str(cfg["db"]) if is_team(str(cfg["db"])) else str(Path(str(cfg["db"])).expanduser())
    team = str(db).strip() if is_team(db) else None
    path = None if db is None or team else Path(str(db))
    if user is None and cfg.get("user"):
        user = str(cfg["user"])
    today_raw = pick("today")
    return Settings(
        db=path,
        team=team,
        user=user,
        today=parse_date(today_raw, "--today") if today_raw else date.today(),
        today_given=bool(today_raw),
        json=bool(pick("json_")),
        redact=bool(pick("redact")),
    )


def command(
    app: typer.Typer,
    name: str | None = None,
    *,
    playbooks: bool = False,
    many: bool = False,
    team: bool = False,
    **kwargs: Any,
) -> Callable[..., Any]:
    """Register ``func(settings, ...)`` as a command that also takes the global options
    (and ``--playbooks DIR`` when it reads playbooks). ``many``: it lists every case of a
    scope (an office's tens of thousands), so Python's cycle collector is paused while it
    runs (``casecli.core.local.kept.bulk``). ``team``: it runs when the store is a team
    store (``--db postgresql://…``), reading it through ``casecli.core.store.dialect``, or
    reads no store at all (config, demo); any other says in one sentence that it does not
    run there yet."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(func)
        own = list(sig.parameters.values())[1:]  # drop `settings`

        @functools.wraps(func)
        def wrapper(_ctx: typer.Context, **values: Any) -> Any:
            given = {n: values.pop(n) for n in GLOBAL_NAMES}
            folder = values.pop("playbooks", None)
            settings: Settings | None = None
            try:
                settings = _settings(_ctx, given)
                settings.playbooks = folder
                if settings.team is not None and not team:
                    what = " ".join(_ctx.command_path.split()[1:])
                    raise CasecliError(not_on_team(f"casecli {what}" if what else "This command"))
                if many:
                    from casecli.core.local.kept import bulk

                    with bulk():
                        return func(settings, **values)
                return func(settings, **values)
            except CasecliError as exc:
                fail(str(exc), exc.exit_code)
            except sqlite3.DatabaseError as exc:
                # The one place where SQLite's errors from any command become a sentence:
                # a damaged page met by a read (or a write, which SQLite rolled back), a
                # full disk, an I/O error. Anything else is a bug (main.run reports it).
                from casecli.core.store.faults import explain

                problem = explain(exc, settings.db if settings else None)
                if problem is None:
                    raise
                fail(str(problem), problem.exit_code)
            except Exception as exc:  # noqa: BLE001  (a team store's refusal: one sentence)
                if settings is None or settings.team is None or not from_driver(exc):
                    raise
                reason = (str(exc).strip().splitlines() or ["refused"])[0].strip().rstrip(".")
                fail(f"The team store refused this: {reason}.", 1)

        del wrapper.__wrapped__  # type: ignore[attr-defined]
        params = [CTX_PARAM, *own, *GLOBAL_PARAMS, *([PLAYBOOKS_PARAM] if playbooks else [])]
        wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        kwargs.setdefault("cls", Command)
        kwargs.setdefault("help", reflow(inspect.getdoc(func)))
        app.command(name, **kwargs)(wrapper)
        return func

    return decorate


def not_on_team(what: str) -> str:
    """The sentence for a command that does not run on a team store (``what``: it)."""
    return f"{what} does not run on a team store; use a SQLite store with --db FILE."


def say(settings: Settings, data: Any, message: str) -> None:
    """``data`` as JSON with --json, else ``message``, a sentence (:func:`echo`)."""
    if settings.json:
        from casecli.render import write_json

        write_json(data)
    else:
        echo(message)


def fail(message: str, code: int = 1) -> None:
    """Print one plain sentence to stderr and exit with ``code``."""
    echo(f"casecli: {message}", err=True)
    raise typer.Exit(code)


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "y")
