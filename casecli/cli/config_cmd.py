"""``casecli config path | list | get KEY | set KEY VALUE | unset KEY``."""

from typing import Annotated, Any

import typer

from casecli.cli.options import Settings, command, echo, say
from casecli.cli.usage import Group

KeyArg = Annotated[str, typer.Argument(help="db, user, playbooks or urgency.TERM.")]


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(_safe(value))


def _safe(value: Any) -> Any:
    """``value``, but a team store's address without its password (text and --json alike:
    a password is never printed)."""
    from casecli.core.store.team import is_team, masked

    return masked(str(value)) if is_team(value) else value


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(
        cls=Group,
        help="Your settings: default store, staff id, playbooks folder, urgency coefficients.",
        no_args_is_help=True,
    )
    app.add_typer(config_app, name="config")

    @command(config_app, "path", team=True)
    def path(settings: Settings) -> None:
        """Where the config file is (CASECLI_CONFIG points elsewhere)."""
        from casecli.core.local import config

        p = config.config_path()
        say(settings, {"path": str(p), "exists": p.is_file()}, str(p))

    @command(config_app, "list", team=True)
    def list_(settings: Settings) -> None:
        """Every key, its value, and whether it is set or a default."""
        from casecli.core.local import config

        items = config.entries()
        if settings.json:
            from casecli.render import write_json

            write_json(
                [
                    {"key": e.key, "value": _safe(e.value), "source": e.source, "about": e.about}
                    for e in items
                ]
            )
            return
        width = max(len(e.key) for e in items)
        for e in items:
            value = _show(e.value) if e.source != "unset" else "-"
            mark = {"set": "", "default": "  (default)", "unset": "  (not set)"}.get(
                e.source, f"  ({e.source}; casecli config unset {e.key})"
            )
            echo(f"{e.key:<{width}}  {value}{mark}")

    @command(config_app, "get", team=True)
    def get(settings: Settings, key: KeyArg) -> None:
        """One key's value (its default if it is not set)."""
        from casecli.core.errors import CasecliError
        from casecli.core.local import config

        entry = config.get_value(key)
        if entry.source == "unset" and not settings.json:
            raise CasecliError(f"{key} is not set; casecli config set {key} VALUE sets it.")
        say(
            settings,
            {"key": entry.key, "value": _safe(entry.value), "source": entry.source},
            _show(entry.value),
        )

    @command(config_app, "set", team=True)
    def set_(
        settings: Settings,
        key: KeyArg,
        value: Annotated[str, typer.Argument(help="The value (a path, a staff id, a number).")],
    ) -> None:
        """Set a key in the config file (created with mode 0600)."""
        from casecli.core.local import config

        stored = config.set_value(key, value)
        say(
            settings,
            {"key": key, "value": _safe(stored), "path": str(config.config_path())},
            f"{key} = {_show(stored)}",
        )

    @command(config_app, "unset", team=True)
    def unset(settings: Settings, key: KeyArg) -> None:
        """Remove a key from the config file (back to its default)."""
        from casecli.core.local import config

        removed = config.unset_value(key)
        message = f"Removed {key}." if removed else f"{key} was not set; nothing to do."
        say(settings, {"key": key, "removed": removed}, message)
