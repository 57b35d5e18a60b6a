"""``casecli sync FOLDER`` and ``casecli rejects``."""

import functools
import textwrap
from pathlib import Path
from typing import Annotated, Any

import typer

from casecli.cli.options import Settings, command


def register(app: typer.Typer) -> None:
    @command(app, "sync", team=True)
    def sync(
        settings: Settings,
        folder: Annotated[
            Path, typer.Argument(help="The export folder (CSV files, manifest.toml).")
        ],
        profile: Annotated[
            str | None,
            typer.Option("--profile", help="A profile TOML file (or name) mapping the export."),
        ] = None,
        full: Annotated[
            bool,
            typer.Option("--full", help="A full snapshot: records absent from it are marked gone."),
        ] = False,
        strict: Annotated[
            bool, typer.Option("--strict", help="Apply nothing if any row is rejected.")
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Validate and report; change nothing.")
        ] = False,
        allow_older: Annotated[
            bool,
            typer.Option(
                "--allow-older",
                help="Apply an export older than one already applied (its as_of).",
            ),
        ] = False,
    ) -> None:
        """Import an export folder into the store: validated, atomic, idempotent."""
        from casecli.core.ingest.sync import sync_store
        from casecli.core.local import config

        bar = _progress(settings)
        pending: list[Any] = []  # what brings the kept views up to date, run after the output
        if settings.team is not None:  # a team store (casecli.core.ingest.team_sync): run
            # by the login's staff member, and nothing kept beside it to bring up to date
            from casecli.core.ingest.team_sync import sync_team

            run: Any = functools.partial(sync_team, settings.team)
        else:
            run = functools.partial(
                sync_store,
                settings.db_path(),
                run_by=settings.user,
                before_commit=_keeping(settings, pending),
            )
        try:
            result = run(
                folder,
                today=settings.today,
                profile=profile,
                full=full,
                strict=strict,
                dry_run=dry_run,
                allow_older=allow_older,
                config_dir=config.config_dir(),
                timezone=config.timezone(),
                progress=bar.update if bar else None,
                on_plan=bar.start if bar else None,
            )
        finally:
            if bar:
                bar.stop()
        if settings.json:
            from casecli.render import write_json

            write_json(result.to_json())
        else:
            _show(result, settings)
        _bring_up_to_date(settings, pending)
        if not dry_run and result.exit_code in (0, 3) and settings.team is None:
            # A worker syncing their own laptop's store (their login in staff.csv, or
            # casecli config set user ID) finds their next already worked out for the new
            # data (casecli.core.local.nextcache); with nobody to work it out for, nothing runs.
            from casecli.cli.next_cmd import refresh_next

            refresh_next(settings)
        raise typer.Exit(result.exit_code)

    @command(app, "rejects", team=True)
    def rejects(
        settings: Settings,
        sync_id: Annotated[
            int | None, typer.Option("--sync", help="Only this sync's rejects.")
        ] = None,
    ) -> None:
        """What was rejected and why, still outstanding (not applied nor superseded)."""
        from casecli.core.ingest.sync import outstanding_rejects

        conn = settings.connect()
        if settings.team is not None and not _reads_rejects(settings, conn):
            # The database shows the rejects (raw rows of any case) to an admin alone (and
            # to the store's owner, who may sync): an empty list here would say "nothing
            # rejected", which is not known.
            from casecli.core.errors import CasecliError

            raise CasecliError(
                "On a team store only an admin reads the rejects (raw export rows of any"
                " case); ask the one who runs casecli sync."
            )
        rows = outstanding_rejects(conn, sync_id)
        if settings.json:
            from casecli.render import write_json

            write_json([_public(r, settings) for r in rows])
            return
        from rich.table import Table

        from casecli.render import console, safe

        out = console()
        if not rows:
            out.print("No outstanding rejects.")
            return
        table = Table(box=None, pad_edge=False)
        for head in ("sync", "file", "line", "column", "value", "reason"):
            table.add_column(head, overflow="fold")
        for r in rows:
            r = _public(r, settings)
            table.add_row(
                str(r["sync_id"]),
                safe(r["file"]),
                str(r["line"] or ""),
                safe(r["column"] or ""),
                safe(_short(r["value"])),
                safe(r["reason"]),
            )
        out.print(table)
        out.print(
            f"{len(rows)} outstanding. Rows rejected for a missing record are retried on every sync."
        )


def _public(row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    from casecli.core.words import redact_value

    row = dict(row)
    row["value"] = redact_value(row.get("column"), row.get("value"), settings.redact)
    return row


def _short(value: object, width: int = 30) -> str:
    s = "" if value is None else str(value)
    return s if len(s) <= width else s[: width - 1] + "…"


class _Bar:
    """A Rich progress bar over the bytes of every file in the export (stderr)."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        from casecli.render import console

        self.progress = Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console(stderr=True),
            transient=True,
        )
        self.done: dict[str, int] = {}
        self.task: Any = None

    def start(self, plan: list[Any]) -> None:
        total = sum(s.size() for s in plan)
        self.progress.start()
        self.task = self.progress.add_task("sync", total=total)

    def update(self, file: str, nbytes: int) -> None:
        from casecli.render import safe

        self.done[file] = nbytes
        # the file name comes from the export or a profile's `file =`: no escape codes, no markup
        self.progress.update(self.task, completed=sum(self.done.values()), description=safe(file))

    def stop(self) -> None:
        self.progress.stop()


def _progress(settings: Settings) -> _Bar | None:
    if settings.json:
        return None
    from casecli.render import console

    return _Bar() if console(stderr=True).is_terminal else None


def _reads_rejects(settings: Settings, conn: Any) -> bool:
    """On a team store: the store's owner (who runs the first sync, and is no staff
    member) or an admin."""
    from casecli.core.store import team

    return team.owns(conn) or settings.actor(conn).role == "admin"


def _keeping(settings: Settings, pending: list[Any]) -> Any:
    """The sync's hook: before its commit, what ``after_sync.sync_hook`` prepares (the kept
    counts as they were); what it would run after the commit goes to ``pending``, run by
    :func:`_bring_up_to_date` once the sync has let go of its lock and said what it did."""
    from casecli.core.views import after_sync

    def settings_now() -> tuple[Any, Any]:
        from casecli.cli.common import books
        from casecli.core.engine import urgency
        from casecli.core.local import config

        return books(settings), urgency.coefficients(config.urgency_overrides())

    hook = after_sync.sync_hook(today=settings.today, settings=settings_now)

    def before(conn: Any, sync_id: int) -> None:
        after = hook(conn, sync_id)
        if after is not None:
            pending.append(after)

    return before


def _bring_up_to_date(settings: Settings, pending: list[Any]) -> None:
    """What is kept for today and later (measure counts, the briefs of the changed cases),
    brought up to date after the sync (``after_sync.sync_hook``): another sync may start
    meanwhile, and whatever goes wrong here leaves it to the views (never the sync's exit
    code)."""
    if not pending:
        return
    import contextlib

    from casecli.core.store import store

    with contextlib.suppress(Exception):
        conn = store.connect(settings.db_path())
        try:
            for after in pending:
                with contextlib.suppress(Exception):
                    after(conn)
        finally:
            conn.close()


def _show(result: Any, settings: Settings) -> None:
    from rich.table import Table

    from casecli.core.words import plural
    from casecli.render import console, printable, safe

    out = console()
    err = console(stderr=True)
    for warning in result.warnings:
        err.print(f"note: {safe(warning)}", soft_wrap=True)
    if result.status == "failed":
        err.print(f"casecli: {safe(result.message)}", soft_wrap=True)  # one line, as errors are
    head = f"{'Dry run of ' if result.dry_run else ''}sync {result.sync_id or ''}".strip()
    as_of = f", as of {result.as_of}" if result.as_of else ""
    status = result.status.replace("_", " ")
    out.print(
        f"[bold]{head}[/]: {safe(f'{status} ({result.kind}{as_of}, profile {result.profile})')}"
    )
    table = Table(box=None, pad_edge=False)
    table.add_column("file")
    for name in ("rows", "inserted", "updated", "unchanged", "gone", "rejected"):
        table.add_column(name, justify="right")
    for f in result.files:
        label = f.file + (" *" if f.skipped else "")
        table.add_row(
            safe(label),
            *(
                f"{getattr(f, n):,}"
                for n in ("rows", "inserted", "updated", "unchanged", "gone", "rejected")
            ),
        )
    out.print(table)
    if any(f.skipped for f in result.files):
        out.print("* the same bytes as at the last sync: not read again.")
    if result.resolved:
        out.print(f"{plural(result.resolved, 'row')} rejected earlier now applied.")
    if result.rejects:
        out.print(
            f"[bold]{plural(len(result.rejects), 'row')} not applied[/] (casecli rejects lists them all):"
        )
        for r in result.rejects[:10]:
            value = _public({"column": r.column, "value": r.value}, settings)["value"]
            where = f"{r.file}:{r.line}" + (f" {r.column}={_short(value)!r}" if r.column else "")
            out.print(f"  {safe(where)}")
            for line in textwrap.wrap(
                printable(r.reason), max(out.width - 4, 40), break_on_hyphens=False
            ):
                out.print(f"    {safe(line)}")
        if len(result.rejects) > 10:
            out.print(f"  … and {len(result.rejects) - 10:,} more.")
    if result.older_rejects:
        n = result.older_rejects
        out.print(
            f"{plural(n, 'older reject')} from earlier exports still "
            "outstanding: casecli rejects lists them."
        )
