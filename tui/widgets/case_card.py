"""The case card as Rich text: now (each action with its urgency terms), scheduled, next
milestone, people, barriers, plan goals, signals, recent activity."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.text import Text

from casecli.core.store.freshness import as_sentence
from casecli.core.views import card as cards
from casecli.core.words import in_days
from casecli.render import initials, printable
from tui.data import CaseCard


def _hanging(text: str, indent: int, width: int) -> str:
    """``text`` wrapped to ``width`` after ``indent`` columns already used, its further
    lines indented as far: a long action reads as one block at 80 columns."""
    if width <= indent + 20 or len(text) <= width - indent:
        return text
    import textwrap

    lines = textwrap.wrap(text, width - indent) or [""]
    return ("\n" + " " * indent).join(lines)


def _words(value: object) -> str:
    return printable(str(value or "").replace("_", " "))


def card_text(
    card: CaseCard, today: date, redact: bool, stale: str | None = None, width: int = 0
) -> Text:
    """``stale``: how old the data is, when it is (a line of its own under the facts);
    ``width``: the card's width, so an action and a term's reason too long for it wrap
    under their own text instead of at the left edge (0: no wrapping here)."""
    v, c = card.view, card.view.case
    t = Text()

    def head(title: str) -> None:
        t.append(f"\n{title}\n", style="bold underline")

    name = initials(c.get("name")) if redact else printable(c.get("name") or "")
    t.append(f"Case {printable(c['case_id'])}", style="bold")
    t.append(f" · {_words(c['case_type'])} · {name}\n")
    t.append(printable(cards.facts_line(card)) + "\n")
    t.append(printable(cards.worker_line(card, redact)) + "\n")
    if stale:
        t.append(as_sentence(stale) + "\n", style="bold")
    t.append("Situation: ")
    t.append(printable(v.situation), style="bold")
    if v.plan:
        t.append(f"   Plan: {v.plan} ({printable(v.plan_why)})")
    t.append("\n")
    if v.milestone:
        m = v.milestone
        t.append(f"Next milestone: {m.what} on {m.on.isoformat()} ({in_days(m.days_left)})\n")
    head("Now")
    if not v.actions:
        t.append("  nothing to do now\n")
    for a in v.actions:
        t.append(f"  {a.urgency:5.1f}  ", style="bold")
        t.append(_hanging(printable(a.action), 9, width) + "\n")
        for term in sorted(a.terms, key=lambda x: -x.points):
            lead = f"         {term.term:<14} {term.points:+7.2f}  "
            t.append(lead + _hanging(printable(term.why), len(lead), width) + "\n", style="dim")
    if card.support is not None:
        head("Support")
        for line in cards.support_lines(card.support, today):
            t.append("  " + _hanging(printable(line), 2, width) + "\n")
    if card.children:
        head("Children in care")
        for child in card.children:
            for line in cards.child_lines(child, today, redact):
                t.append("  " + _hanging(printable(line), 2, width) + "\n")
    _scheduled(t, v, today, head)
    blocked = [s for s in v.steps if s.status in ("blocked", "waiting")]
    if v.barriers or blocked:
        head("Waiting on")
        for b in v.barriers:
            t.append(f"  {printable(cards.barrier_words(b))}\n")
        for s in blocked:
            t.append(f"  {printable(s.step.title)}: {printable(s.blocked_by)}\n")
    if v.people:
        head("People")
        for p in v.people:
            who = initials(p.get("name")) if redact else printable(p.get("name") or "")
            born = "" if redact or not p.get("birth_on") else f"  born {p['birth_on']}"
            t.append(f"  {printable(p['person_id']):<10} {_words(p['role']):<20} {who}{born}\n")
    if v.goals:
        head("Plan goals")
        for g in v.goals:
            target = f", target {g['target_on']}" if g.get("target_on") else ""
            t.append(f"  {printable(g['goal_id'])}  {printable(cards.goal_words(g))}{target}\n")
            t.append(f"    {printable(g['description'])}\n", style="dim")
    if v.signals:
        head("Signals")
        for sig in sorted(v.signals, key=lambda x: str(x["observed_on"]), reverse=True)[:5]:
            source = printable(sig.get("source") or "outside data")
            t.append(f"  {sig['observed_on']}  {_words(sig['kind'])} ({source})\n")
    if card.recent:
        head("Recent activity")
        for e in card.recent:
            mark = " (recorded here)" if e["source"] == "recorded" else ""
            t.append(f"  {str(e['on'])[:10]}  {_words(e['kind'])} {e['status']}{mark}\n")
    return t


def _scheduled(t: Text, v: Any, today: date, head: Any) -> None:
    later = [s for s in v.steps if s.status == "open" and s.due_on and (s.due_on - today).days > 30]
    scheduled = [s for s in v.steps if s.scheduled_on]
    if not (later or scheduled):
        return
    head("Scheduled")
    for s in sorted(
        set(later) | set(scheduled), key=lambda s: s.scheduled_on or s.due_on or date.max
    ):
        when = s.scheduled_on or s.due_on
        note = "scheduled" if s.scheduled_on else "due"
        t.append(f"  {when.isoformat() if when else '':<10}  {printable(s.step.title)} ({note})\n")
