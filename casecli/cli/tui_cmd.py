"""``casecli tui``: the Textual app. Textual is imported inside the command only, so no
other command pays for it (tests/test_imports.py checks)."""

import typer

from casecli.cli.options import Settings, command


def register(app: typer.Typer) -> None:
    @command(app, "tui", playbooks=True, team=True)
    def tui(settings: Settings) -> None:
        """The full-screen app: unit and office views, drill-down to every case, acting."""
        conn = settings.connect()  # fails early, in one sentence, on a bad store or user
        try:
            who = settings.actor(conn)  # the user given, or the one whose login is yours
            stamp = None
            from tui import prefetch

            if settings.team is not None and who.role in prefetch.FIRST:
                from casecli.core.store import team

                stamp = team.written(conn)  # what anyone wrote, before the view is read
        finally:
            conn.close()
        # the first screen's view, read in another process while this one starts Textual
        db = settings.team if settings.team is not None else settings.db_path()
        pending = prefetch.for_actor(
            db, who, settings.today, settings.redact, settings.playbooks, stamp
        )
        from tui.app import make_app

        try:
            make_app(
                db, who.staff_id, settings.today, settings.redact,
                playbooks=settings.playbooks, prefetched=pending,
            ).run()  # fmt: skip
        finally:
            if pending is not None:
                pending.cancel()
