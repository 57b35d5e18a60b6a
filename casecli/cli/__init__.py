"""The command line: Typer commands that parse, call ``casecli.core`` and render. Thin."""
