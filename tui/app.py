"""The Textual app: one factory, ``make_app``, used by ``casecli tui`` and by the tests.

It opens on the view for the user's role: a worker's next actions, a supervisor's unit,
a manager's office. Database work happens in thread workers (screens/base.py); this
module only routes between screens and watches the store for changes (a sync).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen

from casecli.core.store import scope
from casecli.core.store.scope import Actor
from casecli.render import printable
from tui.commands import CaseCommands
from tui.data import Session
from tui.messages import Casecli

WATCH_SECONDS = 2.0


class CasecliApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "casecli"
    COMMANDS = App.COMMANDS | {CaseCommands}
    BINDINGS = [
        Binding("q", "quit", "quit"),
        Binding("question_mark", "help", "help"),
        Binding("r", "toggle_redact", "redact"),
        Binding("t", "toggle_dark", "theme", show=False),
    ]

    def __init__(self, session: Session, who: Actor, *, watch: bool = True) -> None:
        super().__init__()
        self.session = session
        self.who = who
        self.generation = 0  # bumped when the store changes or the names change
        self._stamp = session.stamp()
        self._watch = watch
        self._unreachable = False  # the watch could not read the store last time
        self._watching = False  # a watch's read is under way (in a thread)
        self.units: list[tuple[str, str]] = []  # (id, name) of the units this user may open
        self.sub_title = f"{who.name} · {who.role} · as of {session.today.isoformat()}"

    # Where to start, and how to move -------------------------------------------------

    def get_default_screen(self) -> Screen:
        who = self.who
        home = scope.home(who)
        if home is not None and home[0] == "unit":
            from tui.screens.unit import UnitScreen

            return UnitScreen(home[1])
        if home is not None:
            from tui.screens.office import OfficeScreen

            return OfficeScreen(home[1])
        if who.role == "admin":
            from tui.screens.office import UnitsScreen

            return UnitsScreen()
        from tui.screens.cases import NextScreen

        return NextScreen()

    def back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def open_unit(self, unit_id: str) -> None:
        from tui.screens.unit import UnitScreen

        self.push_screen(UnitScreen(unit_id))

    def open_worker(self, staff_id: str) -> None:
        from tui.screens.cases import WorkerScreen

        self.push_screen(WorkerScreen(staff_id))

    def open_cases(self, title: str, case_ids: list[str]) -> None:
        from tui.screens.cases import GroupScreen

        self.push_screen(GroupScreen(title, case_ids))

    def open_case(self, case_id: str) -> None:
        from tui.screens.case import CaseScreen

        self.push_screen(CaseScreen(case_id.strip().upper()))

    def my_work(self, name: str) -> Screen[None]:
        """A new screen of the user's own work: 'next', 'caseload', 'waiting' or 'score'."""
        from tui.screens.cases import NextScreen
        from tui.screens.mine import CaseloadScreen, ScoreScreen, WaitingScreen

        views: dict[str, type[Screen[None]]] = {
            "next": NextScreen, "caseload": CaseloadScreen, "waiting": WaitingScreen,
            "score": ScoreScreen,
        }  # fmt: skip
        return views[name]()

    # Keys ---------------------------------------------------------------------------

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            from casecli.core.views.load import all_case_hours, capacity_words

            self.push_screen(HelpScreen(capacity_words(all_case_hours(self.session.books))))

    def action_toggle_redact(self) -> None:
        self.session.redact = not self.session.redact
        self.notify("Initials instead of names." if self.session.redact else "Names shown.")
        self.changed()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification (the screens' too) passes here: shown as plain text, its
        control characters (escape sequences from an export or a user) made harmless
        and no markup read in it."""
        kw = {} if timeout is None else {"timeout": timeout}
        super().notify(
            printable(message), title=printable(title), severity=severity, markup=False, **kw
        )

    def changed(self) -> None:
        """The store or the way names show changed: reload what is on screen now, and
        every other screen when it comes back."""
        self.generation += 1
        reload = getattr(self.screen, "reload", None)
        if reload is not None:
            reload()

    def exit(self, *args: Any, **kwargs: Any) -> None:
        """Closing: stop the other process reading the first screen, if it still does
        (the screen's load then ends at once instead of being waited for)."""
        self.session.close()
        super().exit(*args, **kwargs)

    def on_mount(self) -> None:
        if self._watch:
            self.set_interval(WATCH_SECONDS, self._check_store)

    def _check_store(self) -> None:
        """Whether anyone wrote the store (the two-second watch), read in a thread: a team
        store's server slow to answer (up to its 10 s connection timeout) must not freeze
        the screen. One read at a time; what it finds comes back to :meth:`_stamp_read`."""
        if self._watching:
            return
        self._watching = True
        self.run_worker(self._read_stamp, thread=True, group="watch")

    def _read_stamp(self) -> None:
        try:
            stamp: tuple[int, ...] | None = self.session.stamp()
        except Exception as exc:  # noqa: BLE001  (a team store out of reach: say so, go on)
            if not _out_of_reach(exc):
                self._watching = False
                raise
            stamp = None
        self.call_from_thread(self._stamp_read, stamp)

    def _stamp_read(self, stamp: tuple[int, ...] | None) -> None:
        self._watching = False
        if stamp is None:
            if not self._unreachable:
                self._unreachable = True
                self.notify(
                    "The store cannot be read just now; what is shown is as last read.",
                    severity="warning",
                )
            return
        if self._unreachable:
            self._unreachable = False
            self.notify("The store can be read again.")
        if stamp != self._stamp:
            self._stamp = stamp
            self.changed()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, less its "Keys" (the help panel): our "Help" (``?``) lists
        the keys with what the figures mean, and two entries for one thing read as a
        command listed twice (issue 14 item 21e)."""
        yield from (c for c in super().get_system_commands(screen) if c.title != "Keys")
        yield SystemCommand(
            "Redact names", "Initials instead of names (r)", self.action_toggle_redact
        )
        yield SystemCommand("Refresh", "Read the store again (F5)", self.changed)
        yield SystemCommand("Help", "Keys and what the figures mean (?)", self.action_help)
        for unit_id, name in self.units:
            yield SystemCommand(
                f"Open unit {unit_id}", str(name or ""), partial(self.open_unit, unit_id)
            )


def _out_of_reach(exc: BaseException) -> bool:
    """Whether the watch's failure is the store being out of reach (a team store's server
    down or refusing connections, a file being replaced), not a bug of casecli's."""
    from casecli.core.errors import CasecliError, from_driver

    return isinstance(exc, (CasecliError, OSError)) or from_driver(exc)


def make_app(
    db: Path | str,
    user: str,
    today: date,
    redact: bool = False,
    *,
    playbooks: Path | None = None,
    watch: bool = True,
    prefetched: Any = None,
) -> CasecliApp:
    """The app for ``user`` on the store ``db`` as of ``today`` (tests call this too);
    ``prefetched``: its first screen's view, being worked out (``tui.prefetch``)."""
    from casecli.core.store.team import is_team

    where = str(db) if is_team(str(db)) else Path(db)  # a team store's address, or a file
    session = Session(where, user, today, redact, playbooks, prefetched=prefetched)
    app = CasecliApp(session, session.actor(), watch=watch)
    app.units = session.units()
    return app


if TYPE_CHECKING:  # mypy checks that the app gives the screens what they ask of it

    def _gives_what_screens_ask(app: CasecliApp) -> Casecli:
        return app
