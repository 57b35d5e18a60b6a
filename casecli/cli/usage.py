"""How the command line reads to a person: usage errors, usage lines and help text.

Click and Typer would answer a bad value with a red box ("╭─ Error ─╮ Invalid value for
'target': '95%' is not a valid float."); casecli answers every usage mistake the way it
answers its own: one sentence on stderr that says what to do, exit 2 (DESIGN.md). The
top-level group (:class:`Group`) runs the command line without Click's standalone
handling and turns each Click error into such a sentence (:func:`sentence`), so nothing
typed on a command line can reach a traceback or a box.

Usage lines name arguments as the help does (``casecli case [OPTIONS] CASE_ID``, not
Typer's ``{case_id}``), and help text is one paragraph per blank-line block, reflowed to
the terminal (:func:`reflow`), never cut where the docstring's lines happened to end.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import typer
from typer._click import core as click
from typer._click import exceptions as errors
from typer._click import types
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import Abort

# typer 0.26-0.28 (pyproject) carry their own copy of Click, typer._click: its errors and
# types are the ones raised and used here, not the click package's.


def echo(message: object, *, err: bool = False) -> None:
    """Print a message for a person (stdout, or stderr with ``err``). Every message
    passes here: the text it carries from an export, a profile, a path or a user has its
    control characters (escape sequences, BEL, NUL, bidi overrides) made harmless."""
    from casecli.render import printable

    typer.echo(printable(message), err=err)


def _is_argument(param: click.Parameter) -> bool:
    return param.param_type_name == "argument"


def _argument_name(param: click.Parameter) -> str:
    return (param.metavar or param.name or "VALUE").upper()


def _usage_pieces(command: click.Command, ctx: click.Context) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if _is_argument(param):
            name = _argument_name(param)
            pieces.append(name if param.required else f"[{name}]")
    return pieces


class Command(TyperCommand):
    """A command whose usage line reads ``CASE_ID``, as its help does."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return _usage_pieces(self, ctx)


class Group(TyperGroup):
    """The ``casecli`` group (and ``goals``): usage errors become one sentence, exit 2."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [*_usage_pieces(self, ctx), "COMMAND [ARGS]..."]

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name or "casecli", complete_var, False, **extra)
        except errors.NoArgsIsHelpError as exc:  # the help was shown already
            sys.exit(exc.exit_code)
        except errors.ClickException as exc:
            echo(f"casecli: {sentence(exc)}", err=True)
            sys.exit(2 if isinstance(exc, errors.UsageError) else exc.exit_code)
        except Abort:
            echo("casecli: stopped; nothing was changed by the unfinished step.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _path(exc: errors.ClickException) -> str:
    ctx = getattr(exc, "ctx", None)
    return ctx.command_path if ctx is not None else "casecli"


def _option_name(param: click.Parameter) -> str:
    if _is_argument(param):
        return _argument_name(param)
    opts = sorted(param.opts, key=len, reverse=True)
    return opts[0] if opts else str(param.name)


def _kind(param_type: types.ParamType) -> str | None:
    """What a value of ``param_type`` must be, in words ('a whole number of at least 1')."""
    if isinstance(param_type, types.IntRange):
        low, high = param_type.min, param_type.max
        if low is not None and high is not None:
            return f"a whole number from {low} to {high}"
        if low is not None:
            return f"a whole number of at least {low}"
        return f"a whole number of at most {high}"
    if isinstance(param_type, types.IntParamType):
        return "a whole number"
    if isinstance(param_type, types.FloatParamType):
        return "a number"
    return None


def _given(message: str) -> str | None:
    found = re.match(r"'(.*)' is not (a valid|one of)|(\S+) is not in the range", message, re.S)
    if not found:
        return None
    return found.group(1) if found.group(1) is not None else found.group(3)


def sentence(exc: errors.ClickException) -> str:
    """One sentence for a usage mistake: what was wrong and what to do."""
    path = _path(exc)
    see = f"{path} --help shows how"
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, errors.MissingParameter) and exc.param is not None:
        name = _option_name(exc.param)
        if _is_argument(exc.param) and ctx is not None:
            usage = ctx.get_usage().removeprefix("Usage:").strip()
            return f"{name} is missing; type {usage}."
        return f"{name} needs a value; {see}."
    if isinstance(exc, errors.NoSuchOption):
        from casecli.core.words import did_you_mean

        known = [o for p in (ctx.command.params if ctx else []) for o in p.opts if o[:2] == "--"]
        hint = did_you_mean(exc.option_name, known) or f"{path} --help lists them."
        return f"{exc.option_name} is not an option of {path}; {hint}"
    if isinstance(exc, errors.BadOptionUsage) and "requires an argument" in exc.message:
        return f"{exc.option_name} needs a value; {see}."
    if isinstance(exc, errors.BadParameter) and exc.param is not None:
        name = _option_name(exc.param)
        kind = _kind(exc.param.type)
        given = _given(exc.message)
        if kind and given is not None:
            return f"{name} must be {kind}, not {given!r}."
        return f"{name}: {_one(exc.message)} ({see})."
    message = exc.format_message()
    command = re.match(r"No such command '(.*)'\.(?: Did you mean '(.*)'\?)?", message)
    if command:
        hint = f"did you mean {command.group(2)}?" if command.group(2) else f"{path} -h lists them."
        return f"{command.group(1)!r} is not a command of {path}; {hint}"
    return f"{_one(message)}; {see}."


def _one(message: str) -> str:
    """Click's message, its sentences joined into one, without the final full stop."""
    parts = [p.strip().rstrip(".") for p in re.split(r"(?<=[.?!])\s+", message.strip()) if p]
    text = "; ".join(p[:1].lower() + p[1:] if i else p for i, p in enumerate(parts))
    return text.rstrip(".")


def reflow(help_text: str | None) -> str | None:
    """A docstring as help: each blank-line paragraph on one line (the terminal wraps it)."""
    if not help_text:
        return help_text
    import inspect

    paragraphs = inspect.cleandoc(help_text).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)
