"""The headless core: store, sync, engine, measures. Imports no typer, rich or textual."""
