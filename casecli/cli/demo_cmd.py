"""``casecli demo FOLDER``: write a realistic synthetic export (no real personal data)."""

from pathlib import Path
from typing import Annotated

import typer

from casecli.cli.options import Settings, command, echo


def register(app: typer.Typer) -> None:
    @command(app, "demo", team=True)
    def demo(
        settings: Settings,
        folder: Annotated[
            Path, typer.Argument(help="Folder to write the export into (created if needed).")
        ],
        cases: Annotated[int, typer.Option("--cases", min=1, help="How many cases.")] = 1000,
        seed: Annotated[int, typer.Option("--seed", help="Same seed, same export.")] = 1,
        office_cases: Annotated[
            int | None,
            typer.Option(
                "--office-cases",
                min=1,
                help="Office O01 holds this many of the open cases, with units and workers "
                "to match; the other cases go to the other offices.",
            ),
        ] = None,
    ) -> None:
        """Write a deterministic synthetic export of every file, for trying casecli out."""
        from casecli.core.errors import CasecliError, UsageError
        from casecli.demo.export import most_office_cases, write_demo

        if office_cases is not None and office_cases > (most := most_office_cases(cases)):
            raise UsageError(
                f"--office-cases {office_cases:,} is more than the {most:,} open cases of "
                f"--cases {cases:,}; give at most {most}, or more --cases."
            )
        if folder.exists() and not folder.is_dir():
            raise CasecliError(f"{folder} is a file; give a folder for the export.")
        folder.mkdir(parents=True, exist_ok=True)
        summary = write_demo(
            folder, cases=cases, seed=seed, today=settings.today, office_cases=office_cases
        )
        if settings.json:
            from casecli.render import write_json

            write_json(
                {
                    "folder": str(folder),
                    "cases": cases,
                    "seed": seed,
                    **({} if office_cases is None else {"office_cases": office_cases}),
                    "files": summary.files,
                    "seconds": round(summary.seconds, 2),
                }
            )
        else:
            from casecli.core.words import plural

            rows = sum(summary.files.values())
            counts = f"{plural(rows, 'row')} in {plural(len(summary.files), 'file')}"
            if office_cases is not None:
                counts += f"; {office_cases:,} open in office O01"
            echo(
                f"Wrote {plural(cases, 'case')} ({counts}) to {folder} "
                f"in {summary.seconds:.1f} s. Next: casecli --db cases.db sync {folder}"
            )
