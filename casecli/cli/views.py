"""Rich renderings of the engine's views, readable at 80 columns."""

from __future__ import annotations

import textwrap
from datetime import date
from typing import Any

from casecli.cli.options import Settings
from casecli.core.words import count, in_days, noun, plural
from casecli.render import console, initials, printable, safe


def _reasons(terms: Any, explain: bool, action: str = "", escape: Any = safe) -> str:
    """The reasons in words (without ``explain``: those the action's own sentence does not
    already say), or every term with its points. ``escape`` makes each reason printable:
    Rich markup escaped by default, :func:`printable` for plain output."""
    ordered = sorted(terms, key=lambda t: -t.points)
    if explain:
        return "\n".join(f"{t.term:<14} {t.points:+7.2f}  {escape(t.why)}" for t in ordered)
    said = action.lower()  # "The caregiver was jailed…" already says "the caregiver was jailed…"
    return " · ".join(escape(t.why) for t in ordered if t.why.lower() not in said)


def short_name(name: str | None) -> str:
    """'Olivia Wilson' -> 'O. Wilson' (initials, as --redact gives them, stay as they are)."""
    parts = (name or "").split()
    if len(parts) < 2 or name is None or name.endswith("."):
        return name or ""
    return f"{parts[0][0]}. {parts[-1]}"


def worker_lines(
    worker_id: str | None, name: str | None, active: bool | None, width: int
) -> list[str]:
    """A worker cell of a wrapped table: the name (short under 18 columns) cut to
    ``width``, and '(inactive)' on a line of its own when they are: the mark is never cut."""
    if worker_id is None:
        return ["unassigned"]
    shown = printable(name or worker_id)
    if width < 18:
        shown = short_name(shown)
    lines = [_fit(shown, width)]
    if active is False:
        lines.append("(inactive)")
    return lines


ACTION_W = 90  # the widest the action column of `next` gets


def next_table(
    actions: list[Any], explain: bool, stale: str | None = None, workers: bool = False
) -> None:
    """Rank, case, action, due, urgency; the reasons in words under each action.

    Written without Rich: this is the command people run most, and importing
    ``rich.console`` alone costs ~7 ms of its start-up budget (DESIGN.md: within 1.3x of
    the libraries' own start-up). It needs only bold and dim, written as Rich would write
    them (:func:`casecli.render.plain_styles`), at the width Rich would use. ``stale``:
    the sentence that says the data is old (:mod:`casecli.core.store.freshness`), first.
    ``workers``: the list spans workers (a supervisor's): a column names whose each is.
    """
    import sys

    from casecli.render import plain_styles, terminal_width

    bold, dim = plain_styles(sys.stdout)
    if stale:
        sys.stdout.write(bold(stale) + "\n")
    if not actions:
        sys.stdout.write(
            f"Nothing needs doing now across your caseload. {dim('(casecli caseload lists it.)')}\n"
        )
        return
    case_w = max(4, *(len(printable(a.case_id)) for a in actions))
    width = max(terminal_width(), 60)
    worker_w = (18 if width >= 100 else 11) if workers else 0
    gap = worker_w + 2 if workers else 0
    # The action column stops at ACTION_W: on a wide terminal due and urgency stay beside
    # the action, not 150 characters to its right (issue 14 item 16).
    text_w = min(width - (3 + case_w + 2 + 2 + 10 + 2 + 5) - gap, ACTION_W)
    pad = " " * (3 + case_w + 2)
    head = f"{'worker':<{worker_w}}  " if workers else ""
    shown = [
        bold(f"{'#':>2} {'case':<{case_w}}  {head}{'action':<{text_w}}  {'due':<10}  {'urg':>5}")
    ]
    for rank, a in enumerate(actions, 1):
        lines = textwrap.wrap(printable(a.action), text_w) or [""]
        why = _reasons(a.terms, explain, a.action, escape=printable)
        due = a.due_on.isoformat() if a.due_on else ""
        who = worker_lines(a.worker_id, a.worker, a.worker_active, worker_w) if workers else []

        def cell(i: int, who: list[str] = who) -> str:
            return f"{who[i] if i < len(who) else '':<{worker_w}}  " if workers else ""

        shown.append(
            f"{rank:>2} {printable(a.case_id):<{case_w}}  {cell(0)}{lines[0]:<{text_w}}  {due:<10}  {a.urgency:>5.1f}"
        )
        shown.extend(pad + cell(i) + line for i, line in enumerate(lines[1:], 1))
        shown.extend(pad + cell(i) for i in range(len(lines), len(who)))
        pad_why = pad + " " * gap
        for reason in why.split("\n") if why else []:
            shown.extend(f"{pad_why}{dim(line)}" for line in textwrap.wrap(reason, text_w))
    if not explain:
        hint = "casecli next --explain shows every term; casecli case ID shows a case."
        shown.extend(dim(line) for line in textwrap.wrap(hint, width))
    sys.stdout.write("\n".join(shown) + "\n")


def _name(value: str | None, redact: bool) -> str:
    return initials(value) if redact else (value or "")


def case_card(card: Any, settings: Settings) -> None:
    """The card's sentences come from :mod:`casecli.core.views.card`, the TUI's too."""
    from casecli.core.views import card as cards

    out = console()
    v, today, redact = card.view, settings.today, settings.redact
    c = v.case
    kind = str(c["case_type"]).replace("_", " ")
    head = f"[bold]Case {safe(c['case_id'])}[/] · {safe(kind)} · {safe(_name(c['name'], redact))}"
    out.print(head)
    out.print(safe(cards.facts_line(card)))
    out.print(safe(cards.worker_line(card, redact)))
    stale = settings.freshness()
    if stale:
        out.print(f"[bold]{safe(stale)}[/]")
    situation = f"Situation: {v.situation}"
    plan = f"Plan: {v.plan} ({v.plan_why})" if v.plan else ""
    if plan and len(situation) + 3 + len(plan) <= out.width:
        out.print(f"Situation: [bold]{safe(v.situation)}[/]   {safe(plan)}")
    else:  # the plan on a line of its own rather than broken mid-phrase
        out.print(f"Situation: [bold]{safe(v.situation)}[/]")
        if plan:
            out.print(safe(plan))
    if v.milestone:
        m = v.milestone
        out.print(f"Next milestone: {safe(m.what)} on {m.on.isoformat()} ({in_days(m.days_left)})")
    _section(out, "Now")
    if not v.actions:
        out.print("  nothing to do now")
    for a in v.actions:  # every term with its points: they add up to the urgency
        _hang(out, f"  {a.urgency:5.1f}  ", a.action)
        for line in _reasons(a.terms, True, escape=printable).split("\n") if a.terms else []:
            _hang(out, "         ", line, style="dim")
    if card.support is not None:
        _section(out, "Support")
        for line in cards.support_lines(card.support, today):
            _hang(out, "  ", line)
    if card.children:
        _section(out, "Children in care")
        for child in card.children:
            for line in cards.child_lines(child, today, redact):
                _hang(out, "  ", line)
    later = [s for s in v.steps if s.status == "open" and s.due_on and (s.due_on - today).days > 30]
    scheduled = [s for s in v.steps if s.scheduled_on]
    if later or scheduled:
        _section(out, "Scheduled")
        for s in sorted(
            set(later) | set(scheduled), key=lambda s: s.scheduled_on or s.due_on or date.max
        ):
            when = s.scheduled_on or s.due_on
            note = "scheduled" if s.scheduled_on else "due"
            out.print(f"  {when.isoformat() if when else '':<10}  {safe(s.step.title)} ({note})")
    blocked = [s for s in v.steps if s.status in ("blocked", "waiting")]
    if v.barriers or blocked:
        _section(out, "Waiting on")
        for b in v.barriers:
            out.print(f"  {safe(cards.barrier_words(b))}")
        for s in blocked:
            out.print(f"  {safe(s.step.title)}: {safe(s.blocked_by)}")
    if v.people:
        _section(out, "People")
        for p in v.people:
            born = "" if redact or not p["birth_on"] else f"  born {p['birth_on']}"
            out.print(
                f"  {safe(p['person_id']):<10} {safe(str(p['role']).replace('_', ' ')):<20} {safe(_name(p['name'], redact))}{born}"
            )
    if v.goals:
        _section(out, "Plan goals")
        for g in v.goals:
            target = f", target {g['target_on']}" if g["target_on"] else ""
            out.print(f"  {safe(g['goal_id'])}  {safe(cards.goal_words(g))}{target}")
            out.print(f"    {safe(g['description'])}")
    if v.signals:
        _section(out, "Signals")
        for s in sorted(v.signals, key=lambda s: str(s["observed_on"]), reverse=True)[:5]:
            out.print(
                f"  {s['observed_on']}  {safe(str(s['kind']).replace('_', ' '))} ({safe(s['source'] or 'outside data')})"
            )
    if card.recent:
        _section(out, "Recent activity")
        for e in card.recent:
            mark = " (recorded here)" if e["source"] == "recorded" else ""
            out.print(
                f"  {str(e['on'])[:10]}  {safe(str(e['kind']).replace('_', ' '))} {e['status']}{mark}"
            )


def _hang(out: Any, lead: str, text: str, style: str = "") -> None:
    """``lead`` then ``text`` wrapped to the console's width, its further lines indented
    under its first (a long action reads as one block at 80 columns). ``text`` is plain:
    it is printed without markup."""
    width = max(out.width, 40) - len(lead)
    lines = textwrap.wrap(printable(text), width) or [""]
    pad = " " * len(lead)
    for i, line in enumerate(lines):
        out.print(
            (lead if i == 0 else pad) + line, markup=False, highlight=False, style=style or None
        )


def _section(out: Any, title: str) -> None:
    out.print(f"\n[bold]{title}[/]")


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def worker_cell(whose: Any, width: int) -> str:
    """A one-line worker cell: the name (short under 18 columns) cut so that an inactive
    worker's ' (inactive)' always shows whole; 'unassigned' for nobody's."""
    worker_id, name, active = whose
    if worker_id is None:
        return "unassigned"
    shown = printable(name or worker_id)
    if width < 18:
        shown = short_name(shown)
    if active is False:
        mark = " (inactive)"
        return _fit(shown, max(width - len(mark), 2)) + mark
    return _fit(shown, width)


def caseload_table(views: list[Any], settings: Settings, whose: Any = None) -> None:
    """One line per case, cut to the terminal's width rather than wrapped; ``whose``
    (case id -> (worker id, name, active)): the list spans workers, name each."""
    out = console()
    stale = settings.freshness()
    if stale:
        out.print(f"[bold]{safe(stale)}[/]")
    if not views:
        out.print("No open cases in your caseload.")
        return
    width = max(out.width, 60)
    worker_w = 0
    if whose is not None:
        worker_w = 18 if width >= 100 else 11
        if width < 100 and any(w[2] is False for w in whose.values()):
            worker_w = 16  # 'A. Sanc… (inactive)': room for a few letters of the name
    head = f"{'worker':<{worker_w + 1}}" if worker_w else ""
    sit_w = 12 if worker_w and width < 100 else 17  # room for the next action at 80
    if width >= 120:  # the situation whole as width allows ("waiting on child care
        # (waitlisted)" from 120, "waiting on substance treatment (waitlisted)" from 160)
        sit_w = min(max(sit_w, *(len(v.situation) for v in views)), 44 if width >= 160 else 34)
    out.print(
        _fit(
            f"{'case':<10}{head}{'type':<14}{'urg':>5}  {'situation':<{sit_w + 1}} next action",
            width,
        ),
        style="bold",
        markup=False,
    )
    lines = []
    for v in views:
        nxt = v.next_action or ""
        kind = str(v.case["case_type"]).replace("_", " ")
        who = f"{worker_cell(whose[v.case_id], worker_w):<{worker_w + 1}}" if worker_w else ""
        line = f"{_fit(v.case_id, 9):<10}{who}{_fit(kind, 13):<14}{v.urgency:>5.1f}  {_fit(v.situation, sit_w):<{sit_w + 1}} {nxt}"
        lines.append(_fit(printable(line), width))
    # written as they are, not laid out by Rich line by line: an office's tens of thousands
    # of lines, each already cut to the width and made printable
    out.file.write("\n".join(lines) + "\n")
    out.print(f"[dim]{plural(len(views), 'open case')}.[/]")


def age_cell(n: int) -> str:
    """'   1 day ', '  12 days': a column of ages, the numbers aligned."""
    return f"{n:>4} {noun(n, 'day'):<4}"


def waiting_table(groups: list[Any], stale: str | None = None, whose: Any = None) -> None:
    """Each wait, its five oldest cases; ``whose`` (case id -> (worker id, name,
    active)): the list spans workers, name each case's."""
    from casecli.core.views.unit import wait_counts

    out = console()
    if stale:
        out.print(f"[bold]{safe(stale)}[/]")
    if not groups:
        out.print("Nothing is waiting on anyone.")
        return
    for g in groups:
        out.print(f"[bold]{safe(g.what)}[/] — {wait_counts(g)}, oldest {g.oldest_days}")
        for cid, b in g.items[:5]:
            ref = f"#{b.number} " if b.number is not None else ""
            who = ""
            if whose is not None:
                w = 16 if any(x[2] is False for x in whose.values()) else 11
                who = f"{safe(worker_cell(whose[cid], w)):<{w}} "
            out.print(f"  {safe(cid):<10} {who}{age_cell(b.age_days)}  {ref}{safe(b.what)}")
        if g.count > 5:
            out.print(f"  [dim]… and {count(g.count - 5)} more[/]")
