"""``casecli demo FOLDER``: write a realistic synthetic export (no real personal data)."""

from pathlib import Path
from typing import Annotated

import typer

from casecli.cli.options import Settings, command, echo


def register(app: typer.Typer) -> None:
    @command(app, "demo")
    def demo(
        settings: Settings,
        folder: Annotated[
            Path, typer.Argument(help="Folder to write the export into (created if needed).")
        ],
        cases: Annotated[int, typer.Option("--cases", min=1, help="How many cases.")] = 1000,
        seed: Annotated[int, typer.Option("--seed", help="Same seed, same export.")] = 1,
    ) -> None:
        """Write a deterministic synthetic export of every file, for trying casecli out."""
        from casecli.core.demo import write_demo
        from casecli.core.errors import CasecliError

        if folder.exists() and not folder.is_dir():
            raise CasecliError(f"{folder} is a file; give a folder for the export.")
        folder.mkdir(parents=True, exist_ok=True)
        summary = write_demo(folder, cases=cases, seed=seed, today=settings.today)
        if settings.json:
            from casecli.render import write_json

            write_json(
                {
                    "folder": str(folder),
                    "cases": cases,
                    "seed": seed,
                    "files": summary.files,
                    "seconds": round(summary.seconds, 2),
                }
            )
        else:
            from casecli.core.words import plural

            rows = sum(summary.files.values())
            counts = f"{plural(rows, 'row')} in {plural(len(summary.files), 'file')}"
            echo(
                f"Wrote {plural(cases, 'case')} ({counts}) to {folder} "
                f"in {summary.seconds:.1f} s. Next: casecli --db cases.db sync {folder}"
            )
