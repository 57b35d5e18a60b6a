"""Command palette entries beyond the app's: open a case by its id."""

from __future__ import annotations

import re
from functools import partial

from textual.command import Hit, Hits, Provider

CASE_ID = re.compile(r"[A-Za-z]{0,3}\d{1,12}")


class CaseCommands(Provider):
    async def search(self, query: str) -> Hits:
        text = query.strip()
        words = text.split()
        if words and words[0].lower() == "case":
            text = " ".join(words[1:])
        units = {u for u, _ in getattr(self.app, "units", [])}
        # a unit id has the shape of a case id too: "U001" is offered once, as the unit
        if CASE_ID.fullmatch(text) and text.upper() not in units:
            open_case = getattr(self.app, "open_case", None)
            if open_case is not None:
                yield Hit(1.0, f"Open case {text.upper()}", partial(open_case, text),
                          help="The case card, if it is in your scope")  # fmt: skip
