"""``casecli db init | migrate | check | backup | warm``: store upkeep."""

from pathlib import Path
from typing import Annotated

import typer

from casecli.cli.options import Settings, command, echo, fail, say
from casecli.cli.usage import Group


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(
        cls=Group,
        help="Store upkeep: init, migrate, check, backup, warm, grant.",
        no_args_is_help=True,
    )
    app.add_typer(db_app, name="db")

    @command(db_app, "init", team=True)
    def init(settings: Settings) -> None:
        """Create an empty store (mode 0600) at the latest schema; on PostgreSQL, the
        team store's schema, roles, policies and audit triggers."""
        from casecli.core.store import store

        if settings.team is not None:
            _team_init(settings, settings.team)
            return
        path = settings.db_path()
        if path.exists():
            fail(f"{path} already exists; use casecli db migrate to upgrade it.", 1)
        conn = store.connect(path, create=True)
        version = store.schema_version(conn)
        conn.close()
        say(
            settings,
            {"db": str(path), "schema": version, "created": True},
            f"Created {path} at schema {version}.",
        )

    @command(db_app, "migrate", team=True)
    def migrate(settings: Settings) -> None:
        """Back up the store, then bring it to the latest schema."""
        from casecli.core.store import store

        if settings.team is not None:
            _team_migrate(settings, settings.team)
            return
        path = settings.db_path()
        conn = store.connect(path, migrate=False)
        try:
            # Under the writer lock, once: see store.upgrade.
            before, after, backup = store.upgrade(conn, path)
        finally:
            conn.close()
        msg = (
            f"Migrated {path} from schema {before} to {after} (backup: {backup})."
            if backup
            else f"{path} is already at the latest schema ({after})."
        )
        say(
            settings,
            {
                "db": str(path),
                "from": before,
                "to": after,
                "backup": str(backup) if backup else None,
            },
            msg,
        )

    @command(db_app, "check", team=True)
    def check(settings: Settings) -> None:
        """Integrity, foreign keys, schema version and row counts."""
        from casecli.core.store import store

        if settings.team is not None:
            _team_check(settings, settings.team)
            return
        path = settings.db_path()
        conn = store.connect(path, migrate=False)
        try:
            result = store.check(conn)
        finally:
            conn.close()
        data = {
            "ok": result.ok,
            "damaged": result.damaged,
            "schema": result.schema,
            "latest": result.latest,
            "problems": list(result.problems),
            "counts": result.counts,
        }
        if settings.json:
            from casecli.render import write_json

            write_json(data)
        else:
            status = "ok" if result.ok else "DAMAGED" if result.damaged else "PROBLEMS"
            echo(f"{path}: {status}, schema {result.schema} of {result.latest}")
            for problem in result.problems:
                echo(f"  problem: {problem}")
            echo(
                "  "
                + ", ".join(
                    f"{k} {v:,}" if v is not None else f"{k} unreadable"
                    for k, v in result.counts.items()
                )
            )
        if result.damaged:
            reported = [p.removeprefix("integrity: ") for p in result.problems]
            from casecli.core.store.faults import damaged

            fail(str(damaged(path, "; ".join(reported[:3]))), 1)
        if not result.ok:
            raise typer.Exit(1)

    @command(db_app, "grant", team=True)
    def grant(settings: Settings) -> None:
        """Team store: give each staff member's login the role of their staff.csv role
        (run by the store's owner after a sync)."""
        if settings.team is None:
            fail(
                "casecli db grant is for a team store (--db postgresql://…); on a personal"
                " store the file's owner is its only user.",
                1,
            )
        assert settings.team is not None
        from casecli.core.store import team
        from casecli.core.words import plural

        with team.connect(settings.team) as conn:
            done = team.grant(conn)
        data = {
            "granted": [{"login": lg, "staff_id": s, "role": r} for lg, s, r in done.granted],
            "created": done.created,
            "revoked": [{"login": lg, "role": r} for lg, r in done.revoked],
            "skipped": [{"login": lg, "why": why} for lg, why in done.skipped],
            "strangers": done.strangers,
        }
        if settings.json:
            from casecli.render import write_json

            write_json(data)
            return
        echo(
            f"Granted {plural(len(done.granted), 'login')} their staff role"
            f" ({plural(len(done.created), 'login')} created, {len(done.revoked)} roles taken back)."
        )
        for login, why in done.skipped:
            echo(f"  left alone: {login} ({why})")
        if done.strangers:
            echo(
                f"  {plural(len(done.strangers), 'login')} no staff member here has still"
                f" hold a casecli role: {', '.join(done.strangers[:5])}"
                + (" and more" if len(done.strangers) > 5 else "")
                + " (another team store's on this server, or granted by hand; REVOKE it if not)."
            )

    @command(db_app, "backup", team=True)
    def backup(
        settings: Settings,
        dest: Annotated[
            Path | None, typer.Argument(help="Where to write the copy (default: beside the store).")
        ] = None,
    ) -> None:
        """Copy the store (VACUUM INTO) to a new file, mode 0600; a team store with
        pg_dump, by its owner."""
        from casecli.core.store import store

        if settings.team is not None:
            from casecli.core.store import team

            team.connect(settings.team).close()  # (one sentence if it cannot be reached)
            out = team.backup(settings.team, dest)
            where = team.where(settings.team)
            say(settings, {"db": where, "backup": str(out)}, f"Backed up {where} to {out}.")
            return
        path = settings.db_path()
        conn = store.connect(path, migrate=False)
        out = store.backup(conn, path, dest=dest)
        conn.close()
        say(settings, {"db": str(path), "backup": str(out)}, f"Backed up {path} to {out}.")

    @command(db_app, "warm", playbooks=True, team=True)
    def warm(settings: Settings) -> None:
        """Work out today's views of your scope ahead, after the nightly sync, so the
        morning's first next, unit, score and focus read them instead of evaluating."""
        import time

        from casecli.cli.next_cmd import warm_views
        from casecli.core.words import plural

        started = time.perf_counter()
        who, cases = warm_views(settings)
        took = time.perf_counter() - started
        say(
            settings,
            {"db": _shown(settings), "staff_id": who.staff_id, "role": who.role,
             "today": settings.today.isoformat(), "cases": cases, "seconds": round(took, 1)},
            f"Kept {settings.today.isoformat()}'s evaluations of {plural(cases, 'open case')}"
            f" for {who.staff_id} ({who.role}) in {took:.1f} s.",
        )  # fmt: skip


def _shown(settings: Settings) -> str:
    """The store as ``--json`` names it: a personal store's path, a team store's address."""
    if settings.team is None:
        return str(settings.db_path())
    from casecli.core.store import team

    return team.where(settings.team)


def _team_init(settings: Settings, url: str) -> None:
    from casecli.core.store import team

    with team.connect(url) as conn:
        version = team.init(conn)
    where = team.where(url)
    say(
        settings,
        {"db": where, "schema": version, "created": True},
        f"Initialised the team store {where} at schema {version}, with its roles and"
        " policies. Sync an export into it (casecli sync, as its owner), then run casecli db"
        " grant.",
    )


def _team_migrate(settings: Settings, url: str) -> None:
    from casecli.core.store import team

    with team.connect(url) as conn:
        # a schema change is backed up first (DESIGN.md), as on a personal store
        backup = team.backup(url, reason="before-migrate") if team.pending(conn) else None
        before, after = team.migrate(conn)
    where = team.where(url)
    msg = (
        f"Migrated the team store {where} from schema {before} to {after} (backup: {backup})."
        if after != before
        else f"The team store {where} is already at the latest schema ({after}); its"
        " policies were applied again."
    )
    data = {"db": where, "from": before, "to": after, "backup": str(backup) if backup else None}
    say(settings, data, msg)


def _team_check(settings: Settings, url: str) -> None:
    from casecli.core.store import team

    with team.connect(url) as conn:
        result = team.check(conn)
    if settings.json:
        from casecli.render import write_json

        write_json(result)
    else:
        status = "ok" if result["ok"] else "PROBLEMS"
        echo(f"{team.where(url)}: {status}, schema {result['schema']} of {result['latest']}")
        for problem in result["problems"]:
            echo(f"  problem: {problem}")
        if result["counts"]:
            echo(
                "  rows you can see: "
                + ", ".join(f"{k} {v:,}" for k, v in result["counts"].items())
            )
    if not result["ok"]:
        raise typer.Exit(1)
