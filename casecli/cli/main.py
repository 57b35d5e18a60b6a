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

app = typer.Typer(
    name="casecli",
    help="A visibility engine and success coach for casework: what matters most now, and why.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"casecli {__version__}")
        raise typer.Exit()


@app.callback()
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


from casecli.cli import db_cmd, demo_cmd, next_cmd, sync_cmd  # noqa: E402  (registers the commands)

next_cmd.register(app)
db_cmd.register(app)
sync_cmd.register(app)
demo_cmd.register(app)

from casecli.cli import config_cmd, record_cmd  # noqa: E402

record_cmd.register(app)
config_cmd.register(app)


def run() -> None:
    """Console-script entry: user mistakes are one sentence, never a traceback."""
    from casecli.core.errors import CasecliError

    try:
        app()
    except CasecliError as exc:
        typer.echo(f"casecli: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("casecli: interrupted; nothing was changed by the unfinished step.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: say so plainly, without data from the store
        if o.env_flag("CASECLI_DEBUG"):
            raise
        typer.echo(
            f"casecli: internal error ({type(exc).__name__}); nothing more was changed. "
            "Run again with CASECLI_DEBUG=1 to see the details, and report it.",
            err=True,
        )
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("COLUMNS", "100")
    run()
