"""Recording what happened: ``record``, ``wait``, ``resolve``, ``progress``."""

from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from casecli.cli.next_cmd import refresh_next
from casecli.cli.options import Settings, command, say


class _KindsInHelp(TyperCommand):
    """``record --help`` lists the event kinds, read from the contract only when shown
    (importing it at start-up would slow every command)."""

    @property  # type: ignore[override]
    def epilog(self) -> str:
        from casecli.core.store.contract import EVENT_KINDS

        return (
            "Event kinds: "
            + ", ".join(EVENT_KINDS)
            + "; and any kind a playbook's done_by lists."
            + "\n\n--on takes YYYY-MM-DD, YYYY-MM-DDTHH:MM, today or yesterday (default today)."
        )

    @epilog.setter
    def epilog(self, value: object) -> None:
        pass


def _open(settings: Settings) -> tuple[Any, Any]:
    conn = settings.connect(write="local")
    return conn, settings.actor(conn)


def register(app: typer.Typer) -> None:
    @command(app, "record", playbooks=True, team=True, cls=_KindsInHelp)
    def record(
        settings: Settings,
        case_id: Annotated[str, typer.Argument(help="The case id.")],
        kind: Annotated[str, typer.Argument(help="What happened, e.g. caseworker_visit.")],
        person: Annotated[
            str | None,
            typer.Option(
                "--person",
                help="The person it was with (person id); 'all' for every child of the case.",
            ),
        ] = None,
        on: Annotated[
            str | None, typer.Option("--on", help="When it happened (default today).")
        ] = None,
        location: Annotated[
            str | None,
            typer.Option("--location", help="home, office, court, school, placement or other."),
        ] = None,
        result: Annotated[str | None, typer.Option("--result", help="The outcome.")] = None,
        note: Annotated[str | None, typer.Option("--note", help="A note for the case.")] = None,
    ) -> None:
        """Record an event that happened: a visit, a contact, a report filed."""
        from casecli.cli.common import books
        from casecli.core.local import record as rec

        conn, who = _open(settings)
        try:
            new_id = rec.record_event(
                conn, who, case_id, kind,
                person_id=person, on=on, location=location, result=result, note=note,
                today=settings.today, books=books(settings),
            )  # fmt: skip
            data = rec.recorded_event(conn, new_id)
        finally:
            conn.close()
        who_part = f" with {data['person_id']}" if data["person_id"] else ""
        say(
            settings,
            data,
            f"Recorded {data['kind']} on {data['on']}{who_part} for case {case_id} (#{new_id}).",
        )
        refresh_next(settings)

    @command(app, "wait", playbooks=True, team=True)
    def wait(
        settings: Settings,
        case_id: Annotated[str, typer.Argument(help="The case id.")],
        what: Annotated[
            str, typer.Argument(help='What the case is waiting for, e.g. "drug screen result".')
        ],
        service: Annotated[
            str | None, typer.Option("--service", help="The service it waits on, if any.")
        ] = None,
        expect: Annotated[
            str | None, typer.Option("--expect", help="When it is expected (YYYY-MM-DD).")
        ] = None,
        step: Annotated[
            str | None, typer.Option("--step", help="The playbook step it blocks (a step id).")
        ] = None,
    ) -> None:
        """Record a barrier: something the case is waiting for."""
        from casecli.cli.common import books
        from casecli.core.local import record as rec

        conn, who = _open(settings)
        try:
            new_id = rec.add_barrier(
                conn, who, case_id, what,
                service=service, step=step, expect=expect, today=settings.today,
                books=books(settings),
            )  # fmt: skip
            barrier = rec.barrier(conn, new_id)
        finally:
            conn.close()
        expected = f" (expected {barrier['expect_on']})" if barrier["expect_on"] else ""
        say(
            settings,
            barrier,
            f"Case {case_id} is waiting on {barrier['what']}{expected} (barrier #{new_id}); "
            f"clear it with casecli resolve {new_id}.",
        )
        refresh_next(settings)

    @command(app, "resolve", team=True)
    def resolve(
        settings: Settings,
        barrier: Annotated[
            str,
            typer.Argument(
                help="The barrier number casecli waiting and casecli case show: 5, #5 or barrier:5."
            ),
        ],
        note: Annotated[str | None, typer.Option("--note", help="How it was resolved.")] = None,
    ) -> None:
        """Clear a barrier: what the case waited for has happened."""
        from casecli.core.local import record as rec

        barrier_id = rec.barrier_number(barrier)
        conn, who = _open(settings)
        try:
            rec.resolve_barrier(conn, who, barrier_id, today=settings.today, note=note)
            done = rec.barrier(conn, barrier_id)
        finally:
            conn.close()
        say(
            settings,
            done,
            f"Resolved barrier #{barrier_id} on case {done['case_id']} ({done['what']}) "
            f"on {done['resolved_on']}.",
        )
        refresh_next(settings)

    @command(app, "progress", team=True)
    def progress(
        settings: Settings,
        case_id: Annotated[str, typer.Argument(help="The case id.")],
        goal_id: Annotated[str, typer.Argument(help="The case plan goal id.")],
        percent: Annotated[
            int | None, typer.Option("--percent", help="How far along, 0 to 100.")
        ] = None,
        status: Annotated[
            str | None,
            typer.Option("--status", help="not_started, in_progress, achieved or not_achieved."),
        ] = None,
        note: Annotated[str | None, typer.Option("--note", help="A note on the goal.")] = None,
    ) -> None:
        """Record case plan goal progress: --percent N or --status S."""
        from casecli.core.local import record as rec

        conn, who = _open(settings)
        try:
            new_id = rec.record_progress(
                conn, who, case_id, goal_id,
                percent=percent, status=status, note=note, today=settings.today,
            )  # fmt: skip
            data = rec.recorded_progress(conn, new_id)
        finally:
            conn.close()
        how = f"{percent}%" if percent is not None else f"status {data['status']}"
        say(
            settings,
            data,
            f"Recorded progress on goal {goal_id} of case {case_id}: {how} (#{new_id}).",
        )
        refresh_next(settings)
