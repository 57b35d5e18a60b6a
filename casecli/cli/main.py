"""The ``casecli`` entry point: the Typer app, global options, and error handling.

Commands live in sibling modules and import ``casecli.core`` lazily, inside the
command, so that start-up stays fast and Textual is never imported by the CLI.
"""

import os
import sys
from typing import Annotated

import typer

from casecli import __version__
from casecli.cli import options as o
from casecli.cli.usage import Group

# Which module registers each command. run() builds the app with only the module the
# command line names (Typer turns every registered command into a Click command on each
# start, ~10 ms for all of them); `app`, for help and tests, has every command.
COMMAND_MODULES = {
    "next": "next_cmd", "case": "next_cmd", "caseload": "next_cmd", "waiting": "next_cmd",
    "sync": "sync_cmd", "rejects": "sync_cmd", "db": "db_cmd", "demo": "demo_cmd",
    "record": "record_cmd", "wait": "record_cmd", "resolve": "record_cmd", "progress": "record_cmd",
    "config": "config_cmd",
    "unit": "unit_cmd", "bottlenecks": "unit_cmd", "tui": "tui_cmd",
    "score": "score_cmd", "goals": "score_cmd", "focus": "focus_cmd",
}  # fmt: skip
GLOBAL_WITH_VALUE = ("--db", "--as", "--today")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"casecli {__version__}")
        raise typer.Exit()


def main(
    ctx: typer.Context,
    db: o.DbOpt = None,
    as_: o.AsOpt = None,
    today: o.TodayOpt = None,
    json_: o.JsonOpt = False,
    redact: o.RedactOpt = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """casecli: what matters most now across a caseload, and why."""
    ctx.obj = {"db": db, "as_": as_, "today": today, "json_": json_, "redact": redact}


def make_app(modules: list[str] | None = None) -> typer.Typer:
    """The Typer app with the commands of ``modules`` (default: every command)."""
    import importlib

    new = typer.Typer(
        name="casecli",
        help="A visibility engine and success coach for casework: what matters most now, and why.",
        cls=Group,
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    new.callback()(main)
    for name in modules or list(dict.fromkeys(COMMAND_MODULES.values())):
        importlib.import_module(f"casecli.cli.{name}").register(new)
    return new


def _command_module(argv: list[str]) -> str | None:
    """The module of the command named on the command line, or None (help, a typo…)."""
    args = iter(argv)
    for arg in args:
        if arg in GLOBAL_WITH_VALUE:
            next(args, None)
        elif not arg.startswith("-"):
            return COMMAND_MODULES.get(arg)
    return None


_full_app: typer.Typer | None = None


def __getattr__(name: str) -> typer.Typer:
    """``casecli.cli.main.app``: every command, built on first use (tests, python -m)."""
    global _full_app
    if name != "app":
        raise AttributeError(name)
    if _full_app is None:
        _full_app = make_app()
    return _full_app


def run() -> None:
    """Console-script entry: user mistakes are one sentence, never a traceback."""
    from casecli.core.errors import CasecliError

    module = _command_module(sys.argv[1:])
    try:
        (make_app([module]) if module else make_app())()
    except CasecliError as exc:
        o.echo(f"casecli: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        o.echo("casecli: interrupted; nothing was changed by the unfinished step.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: say so plainly, without data from the store
        if o.env_flag("CASECLI_DEBUG"):
            raise
        o.echo(
            f"casecli: internal error ({type(exc).__name__}); nothing more was changed. "
            "Run again with CASECLI_DEBUG=1 to see the details, and report it.",
            err=True,
        )
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("COLUMNS", "100")
    run()
