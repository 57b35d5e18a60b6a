"""Modal forms that record what was done, through casecli.core.local.record: validated and
scope-checked there, audited; what is wrong shows in the form, which stays open."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from casecli.core.errors import UsageError
from casecli.core.local import record
from casecli.core.words import days
from casecli.render import initials, printable
from tui.data import CaseCard, Session
from tui.messages import Saved, SaveFailed, user_error

FIRST_KINDS = ("caseworker_visit", "face_to_face_contact", "contact_attempt", "collateral_contact",
               "school_contact")  # fmt: skip


def _value(widget: Input | Select[Any]) -> str | None:
    value = widget.value
    if value is Select.NULL or value is None:
        return None
    text = str(value).strip()
    return text or None


class Form(ModalScreen[str | None]):
    """A form for one case: ``fields()`` yields the inputs, ``save(session, values)`` runs
    in a thread worker and returns the sentence to show when it went through."""

    BINDINGS = [Binding("escape", "cancel", "cancel"), Binding("ctrl+s", "save", "save")]
    TITLE_TEXT = ""

    def __init__(self, card: CaseCard | None = None, where: str = "") -> None:
        super().__init__()
        self.card = card
        self.case_id = card.view.case_id if card is not None else ""
        self.where = where or f"case {self.case_id}"

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            title = Text.assemble((self.TITLE_TEXT, "bold"), f" · {printable(self.where)}")
            yield Static(title, id="form-title")
            for item in self.fields():
                if isinstance(item, tuple):
                    with Horizontal(classes="field"):
                        yield Label(item[0], classes="label")
                        item[1].compact = True
                        yield item[1]
                else:
                    yield item
            yield Label("", id="error")
            with Horizontal(id="buttons"):
                yield Button("Save (Ctrl+S)", variant="primary", id="save", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def fields(self) -> Iterator[tuple[str, Input | Select[Any]] | Static]:
        """(label, input) pairs, one a line; or a Static to explain something."""
        raise NotImplementedError

    def on_mount(self) -> None:
        self._check()

    @work(thread=True, exclusive=True, group="check")
    def _check(self) -> None:
        session: Session = self.app.session  # type: ignore[attr-defined]
        try:
            self.check(session)
        except Exception as exc:
            self.post_message(SaveFailed(user_error(exc)))

    def check(self, session: Session) -> None:
        """Runs when the form opens (in a thread): raise to say at once why it will fail."""

    def values(self) -> dict[str, str | None]:
        return {w.id: _value(w) for w in self.query("Input, Select") if w.id}  # type: ignore[arg-type]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        self.query_one("#error", Label).update("Saving…")
        self._save(self.values())

    @work(thread=True, exclusive=True, group="save")
    def _save(self, values: dict[str, str | None]) -> None:
        session: Session = self.app.session  # type: ignore[attr-defined]
        try:
            summary = self.save(session, values)
        except Exception as exc:
            self.post_message(SaveFailed(user_error(exc)))
            return
        self.post_message(Saved(summary))

    def save(self, session: Session, values: dict[str, str | None]) -> str:
        raise NotImplementedError

    def on_saved(self, message: Saved) -> None:
        self.dismiss(message.summary)

    def on_save_failed(self, message: SaveFailed) -> None:
        self.query_one("#error", Label).update(Text(printable(message.error)))

    def people(self) -> list[tuple[str, str]]:
        redact = self.app.session.redact  # type: ignore[attr-defined]
        out = []
        assert self.card is not None
        for p in self.card.view.people:
            name = initials(p.get("name")) if redact else printable(p.get("name") or "")
            out.append(
                (
                    f"{p['person_id']} {name} ({str(p['role']).replace('_', ' ')})",
                    str(p["person_id"]),
                )
            )
        return out


class RecordForm(Form):
    TITLE_TEXT = "Record a visit or contact"

    def fields(self) -> Iterator[tuple[str, Input | Select[Any]] | Static]:
        books = self.app.session.books  # type: ignore[attr-defined]
        kinds = list(FIRST_KINDS) + [k for k in record.known_kinds(books) if k not in FIRST_KINDS]
        options = [(k.replace("_", " "), k) for k in kinds]
        yield ("What", Select(options, value="caseworker_visit", allow_blank=False, id="kind"))
        everyone = [("all the children", record.ALL_PEOPLE)]  # --person all
        yield (
            "With",
            Select(self.people() + everyone, prompt="(optional) a person", id="person_id"),
        )
        yield (
            "When",
            Input(value="today", placeholder="YYYY-MM-DD[THH:MM], today, yesterday", id="on"),
        )
        yield (
            "Where",
            Select([(x, x) for x in record.LOCATIONS], prompt="(optional)", id="location"),
        )
        yield ("Note", Input(placeholder="(optional)", id="note"))

    def save(self, session: Session, values: dict[str, str | None]) -> str:
        kind = values.pop("kind") or ""
        new_id = session.record_event(self.case_id, kind, **values)
        return f"Recorded {kind.replace('_', ' ')} on case {self.case_id} (#{new_id})."


class BarrierForm(Form):
    TITLE_TEXT = "Add a barrier: what the case waits on"

    # what each input is called on the form: core.record's errors name these, not the
    # command line's --expect (issue 14 item 21)
    LABELS = {"what": "Waiting for", "step": "Step", "service": "Service", "expect": "Expected by"}

    def steps(self) -> list[tuple[str, str]]:
        """The steps of the case's playbook, the ones the card shows open first: (label, id)."""
        from casecli.core.engine import playbooks

        assert self.card is not None
        books = self.app.session.books  # type: ignore[attr-defined]
        book = playbooks.for_case(books, str(self.card.view.case["case_type"]))
        current = [s.step.id for s in self.card.view.steps if s.status != "done"]
        order = {sid: i for i, sid in enumerate(dict.fromkeys(current))}
        ranked = sorted(book.steps, key=lambda s: order.get(s.id, len(order)))
        return [(f"{printable(s.title)} ({s.id})"[:56], s.id) for s in ranked]

    def fields(self) -> Iterator[tuple[str, Input | Select[Any]] | Static]:
        label = self.LABELS
        yield (label["what"], Input(placeholder="e.g. drug screen result", id="what"))
        yield (
            label["step"],
            Select(self.steps(), prompt="(optional) the playbook step it holds", id="step"),
        )
        yield (label["service"], Input(placeholder="(optional) e.g. substance_treatment",
                                       id="service"))  # fmt: skip
        yield (label["expect"], Input(placeholder="(optional) YYYY-MM-DD", id="expect"))

    def save(self, session: Session, values: dict[str, str | None]) -> str:
        what = values.pop("what") or ""
        new_id = session.add_barrier(self.case_id, what, fields=self.LABELS, **values)
        step = values.get("step")
        holds = f", holding step {step}" if step else ""
        return f"Barrier #{new_id} added to case {self.case_id}{holds}."


class ResolveForm(Form):
    TITLE_TEXT = "Resolve a barrier"

    def recorded(self) -> list[tuple[str, str]]:
        assert self.card is not None
        return [
            (f"#{b.number} {printable(b.what)} ({days(b.age_days)})", str(b.number))
            for b in self.card.view.barriers
            if b.number is not None
        ]

    def fields(self) -> Iterator[tuple[str, Input | Select[Any]] | Static]:
        options = self.recorded()
        if not options:
            yield Static("No barrier was recorded here. Waits from referrals and results end "
                         "when the export shows the service started or the result came in.")  # fmt: skip
        yield ("Barrier", Select(options, prompt="choose the barrier", id="barrier_id"))
        yield ("Note", Input(placeholder="(optional)", id="note"))

    def save(self, session: Session, values: dict[str, str | None]) -> str:
        raw = values.get("barrier_id")
        if raw is None:
            raise UsageError("Choose the barrier to resolve.")
        session.resolve_barrier(int(raw), values.get("note"))
        return f"Barrier #{raw} on case {self.case_id} resolved."


class ProgressForm(Form):
    TITLE_TEXT = "Record plan goal progress"

    def fields(self) -> Iterator[tuple[str, Input | Select[Any]] | Static]:
        assert self.card is not None
        goals = [(f"{g['goal_id']} {printable(g['description'])}"[:60], str(g["goal_id"]))
                 for g in self.card.view.goals]  # fmt: skip
        if not goals:
            yield Static("This case has no plan goals.")
        yield ("Goal", Select(goals, prompt="choose the goal", id="goal_id"))
        yield (
            "Percent done",
            Input(placeholder="0 to 100, or a status", id="percent", type="integer"),
        )
        statuses = [(x.replace("_", " "), x) for x in record.GOAL_STATUSES]
        yield ("Status", Select(statuses, prompt="(or) a status", id="status"))
        yield ("Note", Input(placeholder="(optional)", id="note"))

    def save(self, session: Session, values: dict[str, str | None]) -> str:
        goal = values.get("goal_id")
        if goal is None:
            raise UsageError("Choose the goal.")
        raw = values.get("percent")
        try:
            percent = int(raw) if raw is not None else None
        except ValueError:
            raise UsageError(
                f"Percent must be a whole number from 0 to 100, not {raw!r}."
            ) from None
        session.record_progress(self.case_id, goal, percent=percent, status=values.get("status"),
                                note=values.get("note"),
                                fields={"percent": "Percent done", "status": "Status"})  # fmt: skip
        return f"Progress on goal {goal} of case {self.case_id} recorded."


class GoalForm(Form):
    """Set a performance goal for a worker, a unit or an office (through
    casecli.core.measures.goals.set_goal, which says who may: a supervisor in their unit, a
    manager in their office)."""

    TITLE_TEXT = "Set a goal"

    def __init__(
        self,
        scopes: list[tuple[str, str]],
        chosen: str,
        measure_ids: list[str],
        measure: str | None,
    ) -> None:
        """``scopes``: (label, "kind:id") to choose from; ``chosen`` the one preselected."""
        label = next((name for name, value in scopes if value == chosen), chosen)
        super().__init__(where=label)
        self.scopes, self.chosen = scopes, chosen
        self.measure_ids, self.measure = measure_ids, measure

    def fields(self) -> Iterator[tuple[str, Input | Select[Any]] | Static]:
        from casecli.core.measures import measures

        yield ("For", Select(self.scopes, value=self.chosen, allow_blank=False, id="scope"))
        options = [(f"{measures.get(m).title} ({m})", m) for m in self.measure_ids]
        start = self.measure if self.measure in self.measure_ids else Select.NULL
        yield ("Measure", Select(options, value=start, prompt="choose the measure", id="measure"))
        yield ("Target", Input(placeholder="e.g. 95 (percent), a rate, or 4.5 ($ per $1)",
                               id="target"))  # fmt: skip
        yield ("Period", Input(placeholder="(optional) every month; or 2026-12, FFY2027",
                               id="period"))  # fmt: skip

    def check(self, session: Session) -> None:
        kind, _, scope_id = self.chosen.partition(":")
        session.may_set_goal(kind, scope_id)

    def save(self, session: Session, values: dict[str, str | None]) -> str:
        kind, _, scope_id = (values.get("scope") or self.chosen).partition(":")
        session.may_set_goal(kind, scope_id)  # who may, before what is typed
        measure = values.get("measure")
        if measure is None:
            raise UsageError("Choose the measure the goal is for.")
        raw = values.get("target")
        if raw is None:
            raise UsageError("Give the target, a number such as 95.")
        from casecli.core.measures import goals, measures

        target = goals.parse_target(raw, measures.get(measure), "the target")
        goal = session.set_goal(kind, scope_id, measure, target, values.get("period"))
        when = goal.period or "every period"
        return f"Goal set: {goal.measure} {goal.target:g} for {goal.scope}, {when}."
