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
from typing import Annotated, Any

import typer

from casecli.core.errors import CasecliError, UsageError

DbOpt = Annotated[
    Path | None,
    typer.Option("--db", envvar="CASECLI_DB", help="The store (SQLite file).", show_default=False),
]
AsOpt = Annotated[
    str | None,
    typer.Option(
        "--as", envvar="CASECLI_USER", help="Act as this staff id (scope follows its role)."
    ),
]
TodayOpt = Annotated[
    str | None,
    typer.Option("--today", envvar="CASECLI_TODAY", help="Treat this date (YYYY-MM-DD) as today."),
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

    __slots__ = ("db", "user", "today", "today_given", "json", "redact", "playbooks")

    def __init__(
        self,
        db: Path | None,
        user: str | None,
        today: date,
        today_given: bool,
        json: bool,
        redact: bool,
        playbooks: Path | None = None,  # --playbooks, on the commands that use playbooks
    ) -> None:
        self.db = db
        self.user = user
        self.today = today
        self.today_given = today_given
        self.json = json
        self.redact = redact
        self.playbooks = playbooks

    def db_path(self) -> Path:
        if self.db is None:
            raise CasecliError(
                "No store is configured: sync an export into one "
                "(casecli --db cases.db sync FOLDER), or try --db sample.db."
            )
        return self.db

    def connect(self, *, create: bool = False, write: str | None = None) -> sqlite3.Connection:
        """Open the store (for a write, ``write`` names it: the store must pass its quick
        check, ``storecheck.verify``). A store made by ``casecli demo`` is as of its export's
        date unless --today says otherwise, so the sample reads the same on any day."""
        from casecli.core import store

        conn = store.connect(self.db_path(), create=create, write=write)
        if not self.today_given:
            row = conn.execute(
                "SELECT source, as_of FROM sync_log ORDER BY sync_id DESC LIMIT 1"
            ).fetchone()
            if row is not None and row[0] == "casecli demo" and row[1]:
                self.today = date.fromisoformat(str(row[1])[:10])
        return conn


def parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option} must be a date like 2026-11-24, not {value!r}.") from None


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

    from casecli.core import config

    cfg: dict[str, Any] = {}
    db, user = pick("db"), pick("as_")
    if db is None or user is None:
        cfg = config.load()
    if db is None and cfg.get("db"):
        db = Path(str(cfg["db"])).expanduser()
    if user is None and cfg.get("user"):
        user = str(cfg["user"])
    today_raw = pick("today")
    return Settings(
        db=db,
        user=user,
        today=parse_date(today_raw, "--today") if today_raw else date.today(),
        today_given=bool(today_raw),
        json=bool(pick("json_")),
        redact=bool(pick("redact")),
    )


def command(
    app: typer.Typer, name: str | None = None, *, playbooks: bool = False, **kwargs: Any
) -> Callable[..., Any]:
    """Register ``func(settings, ...)`` as a command that also takes the global options
    (and ``--playbooks DIR`` when it reads playbooks)."""

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
                return func(settings, **values)
            except CasecliError as exc:
                fail(str(exc), exc.exit_code)
            except sqlite3.DatabaseError as exc:
                # The one place where SQLite's errors from any command become a sentence:
                # a damaged page met by a read (or a write, which SQLite rolled back), a
                # full disk, an I/O error. Anything else is a bug (main.run reports it).
                from casecli.core.storefaults import explain

                problem = explain(exc, settings.db if settings else None)
                if problem is None:
                    raise
                fail(str(problem), problem.exit_code)

        del wrapper.__wrapped__  # type: ignore[attr-defined]
        params = [CTX_PARAM, *own, *GLOBAL_PARAMS, *([PLAYBOOKS_PARAM] if playbooks else [])]
        wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        app.command(name, **kwargs)(wrapper)
        return func

    return decorate


def fail(message: str, code: int = 1) -> None:
    """Print one plain sentence to stderr and exit with ``code``."""
    typer.echo(f"casecli: {message}", err=True)
    raise typer.Exit(code)


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "y")
