"""The caseworker's commands: ``next``, ``case``, ``caseload``, ``waiting``."""

from datetime import date
from typing import Annotated, Any

import typer

from casecli.cli.options import Settings, command


def _context(
    settings: Settings, conn: Any = None, cfg: dict[str, Any] | None = None
) -> tuple[Any, Any, dict[str, Any], dict[str, float]]:
    """The store, the user, the playbooks and the urgency coefficients (``cfg``: the
    config file, when the caller has already read it)."""
    from casecli.cli.common import books
    from casecli.core.engine import urgency
    from casecli.core.local import config

    conn = conn or settings.connect()
    cfg = config.load() if cfg is None else cfg
    who = settings.actor(conn)
    coef = urgency.coefficients(config.urgency_overrides(cfg))
    return conn, who, books(settings, cfg), coef


def _stamp(settings: Settings, conn: Any, cfg: dict[str, Any] | None = None) -> str:
    """What the user's ranked actions depend on today (:func:`casecli.core.views.ranking.stamp`)."""
    from casecli.core.local import config
    from casecli.core.views import ranking

    cfg = config.load() if cfg is None else cfg
    return ranking.stamp(
        conn, today=settings.today, redact=settings.redact, cfg=cfg, playbooks=settings.playbooks
    )


def _my_views(settings: Settings, conn: Any = None) -> tuple[list[Any], dict[str, Any], str]:
    """The open cases in the user's scope, evaluated for today (their ranked actions are
    kept for the next ``casecli next``: :mod:`casecli.core.local.nextcache`), the workers whose
    cases they are (``staffing.Worker`` by staff id) and the user's staff id."""
    from casecli.core.views import staffing

    conn = conn or settings.connect()
    views = _evaluate(settings, conn, rank_others=False)[0]
    ids = {v.case["worker_id"] for v in views}
    return views, staffing.workers(conn, ids), (settings.staff_id(conn) or "").strip()


def _whose(case: Any, staff: dict[str, Any], redact: bool) -> dict[str, Any]:
    """``worker_id``, ``worker`` (name) and ``worker_active`` for a case's JSON."""
    sid = case["worker_id"]
    w = staff.get(str(sid)) if sid is not None else None
    if w is None and sid is not None:  # a worker missing from staff: the id alone
        return {"worker_id": sid, "worker": None, "worker_active": None}
    from casecli.core.views.ranking import worker_json

    return worker_json(w, None, redact)


def _evaluate(
    settings: Settings,
    conn: Any = None,
    stamp: str | None = None,
    *,
    cfg: dict[str, Any] | None = None,
    only_worker: bool = False,
    rank_others: bool = True,
    want: int | None = None,
) -> tuple[list[Any], list[dict[str, Any]], bool]:
    """The user's case views, ranked actions (kept) and whether the whole list names
    anyone but the user: :func:`casecli.core.views.ranking.evaluate` for the user, the
    playbooks and the urgency settings these options and the config file give."""
    from casecli.core.local import config
    from casecli.core.views import ranking

    conn = conn or settings.connect()
    # The config file, read once for the stamp, the urgency coefficients and the playbooks.
    cfg = config.load() if cfg is None else cfg
    stamp = stamp or _stamp(settings, conn, cfg)  # before the cases are read
    conn, who, books, coef = _context(settings, conn, cfg)
    return ranking.evaluate(
        conn, who, db=settings.kept_at(conn), stamp=stamp, today=settings.today,
        redact=settings.redact, books=books, coef=coef, only_worker=only_worker,
        rank_others=rank_others, want=want,
    )  # fmt: skip


def refresh_next(settings: Settings) -> None:
    """After a worker's local write, work out and keep their ranked actions, so the next
    ``casecli next`` is already current. Only for a worker's own caseload (a supervisor's
    or manager's scope is too large to add to every write); never fails the write."""
    import contextlib

    # (on a team store too: the login's own, kept in its cache folder; what others write
    # meanwhile is checked for at the next read, as for every kept evaluation)
    # Any failure here, even a bug, must not turn a write that succeeded into an error:
    # the same evaluation runs (and reports) on the next ``casecli next``.
    with contextlib.suppress(Exception):
        conn = settings.connect()
        try:
            if settings.staff_id(conn):  # given, or found by login; nobody: nothing to keep
                _evaluate(settings, conn, only_worker=True)
        finally:
            conn.close()


def warm_views(settings: Settings) -> tuple[Any, int]:
    """``casecli db warm`` (:func:`casecli.core.views.ranking.warm`) for the user and the
    day these options give: the user and the number of open cases evaluated."""
    from casecli.core.errors import CasecliError
    from casecli.core.local import config, kept, nextcache
    from casecli.core.views import ranking

    conn = settings.connect()
    try:
        db = settings.kept_at(conn)
        folder = nextcache.folder(db) if db is not None else None
        if db is None or not kept.can_keep(conn):
            where = (
                f"beside {db}: {folder}"
                if settings.team is None
                else (f"for you on this machine: {folder or nextcache.cache_root()}")
            )
            raise CasecliError(
                f"Nothing can be kept {where} cannot be made or written; make it writable"
                " (the views work without it, evaluating as they go)."
            )
        cfg = config.load()
        conn, who, books, coef = _context(settings, conn, cfg)
        user = (settings.staff_id(conn) or "").strip() if who.role == "worker" else ""
        cases = ranking.warm(
            conn, who, db=db, user=user, today=settings.today, redact=settings.redact,
            books=books, coef=coef, stamp=lambda: _stamp(settings, conn, cfg),
        )  # fmt: skip
    finally:
        conn.close()
    return who, cases


def _next_actions(settings: Settings, want: int) -> tuple[list[dict[str, Any]], str, bool]:
    """The user's ranked actions (``next --json``'s objects), most urgent first, at least
    the first ``want`` of them: the kept ones when their stamp is current, else worked out
    (and kept); the user; whether the whole list names anyone but the user."""
    from casecli.core.local import config, nextcache
    from casecli.core.views import ranking

    conn = settings.connect()
    cfg = config.load()
    stamp = _stamp(settings, conn, cfg)
    user = (settings.staff_id(conn) or "").strip()  # a login's user is kept under their id
    db = settings.kept_at(conn)
    if user and db is not None:
        kept = nextcache.load(db, user, settings.redact, stamp, want)
        if kept is not None:
            actions, spans = kept
            return actions, user, ranking.spans(actions, user) if spans is None else spans
    _, actions, spans = _evaluate(settings, conn, stamp, cfg=cfg, want=want)
    return actions, user, spans


def register(app: typer.Typer) -> None:
    @command(app, "next", playbooks=True, team=True)
    def next_(
        settings: Settings,
        n: Annotated[int, typer.Option("--number", "-n", min=1, help="How many actions.")] = 7,
        explain: Annotated[
            bool, typer.Option("--explain", help="Show every urgency term.")
        ] = False,
    ) -> None:
        """Your prioritised actions across your caseload, each with its reasons."""
        everything, user, spans = _next_actions(settings, n)
        actions = everything[:n]
        if settings.json:
            from casecli.render import write_json

            write_json(actions)
            return
        from casecli.cli import views as show
        from casecli.core.local.nextcache import actions as shown

        # a list that spans workers (a supervisor's, a manager's) names whose each one is
        show.next_table(shown(actions), explain, settings.freshness(), workers=spans)

    @command(app, "case", playbooks=True, team=True)
    def case(
        settings: Settings, case_id: Annotated[str, typer.Argument(help="The case id.")]
    ) -> None:
        """The case card: now, scheduled, next milestone, people, barriers, goals, signals."""
        from casecli.core.store import scope
        from casecli.core.views import card as cards

        conn, who, books, coef = _context(settings)
        scope.check_case(conn, who, case_id)
        card = cards.load(
            conn, case_id, today=settings.today, books=books, coef=coef, redact=settings.redact
        )
        if card is None:
            from casecli.core.errors import CasecliError

            raise CasecliError(
                f"Case {case_id} was marked gone by a full export; it is kept but not shown."
            )
        if settings.json:
            from casecli.render import write_json

            write_json(
                case_json(card.view, card.recent, settings.today, settings.redact)
                | card_json(card, settings.redact)
                | settings.freshness_fields()
            )
            return
        from casecli.cli import views as show

        show.case_card(card, settings)

    @command(app, "caseload", playbooks=True, many=True, team=True)
    def caseload_(settings: Settings) -> None:
        """Your cases, one line each: situation, next action, urgency."""
        views, staff, user = _my_views(settings)
        if settings.json:
            from casecli.render import write_json

            write_json(
                [
                    {
                        "case_id": v.case_id,
                        "case_type": v.case["case_type"],
                        "situation": v.situation,
                        "next_action": v.next_action,
                        "urgency": v.urgency,
                        "milestone": milestone_json(v),
                    }
                    | _whose(v.case, staff, settings.redact)
                    for v in views
                ]
            )
            return
        from casecli.cli import views as show

        whose = _workers_shown(views, staff, user, settings.redact)
        show.caseload_table(views, settings, whose)

    @command(app, "waiting", playbooks=True, many=True, team=True)
    def waiting(settings: Settings) -> None:
        """What your cases wait on, grouped by what is awaited, with counts and ages."""
        from casecli.core.views import caseload

        views, staff, user = _my_views(settings)
        groups = caseload.waiting(views)
        case_of = {v.case_id: v.case for v in views}
        if settings.json:
            from casecli.render import write_json

            write_json(
                [
                    {
                        "what": g.what,
                        "count": g.count,
                        "median_days": g.median_days,
                        "oldest_days": g.oldest_days,
                        "cases": [
                            barrier_json(b)
                            | {"case_id": cid}
                            | _whose(case_of[cid], staff, settings.redact)
                            for cid, b in g.items
                        ],
                    }
                    for g in groups
                ]
            )
            return
        from casecli.cli import views as show

        whose = _workers_shown(views, staff, user, settings.redact)
        show.waiting_table(groups, settings.freshness(), whose)


def _workers_shown(
    views: list[Any], staff: dict[str, Any], user: str, redact: bool
) -> dict[str, tuple[str | None, str | None, bool | None]] | None:
    """Per case, (worker id, name as shown, active) when the list spans workers (any case
    is not the user's), else None: a worker's own list names nobody."""
    if all(v.case["worker_id"] == user for v in views):
        return None
    out = {}
    seen: dict[Any, tuple[str | None, str | None, bool | None]] = {}  # per worker
    for v in views:
        sid = v.case["worker_id"]
        if sid not in seen:
            j = _whose(v.case, staff, redact)
            seen[sid] = (j["worker_id"], j["worker"], j["worker_active"])
        out[v.case_id] = seen[sid]
    return out


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def barrier_json(b: Any) -> dict[str, Any]:
    return {
        "id": b.id,
        "number": b.number,  # what casecli resolve takes; None: ends by itself
        "kind": b.kind,
        "what": b.what,
        "since": _iso(b.since),
        "age_days": b.age_days,
        "step": b.step,
        "service": b.service,
        "expect_on": _iso(b.expect_on),
    }


def milestone_json(v: Any) -> dict[str, Any] | None:
    m = v.milestone
    return {"what": m.what, "on": _iso(m.on), "days_left": m.days_left} if m else None


def card_json(card: Any, redact: bool) -> dict[str, Any]:
    """What the card adds to the engine's view (:mod:`casecli.core.views.card`): the worker,
    a support case's money (cents, as stored), each child in care."""
    from dataclasses import asdict

    from casecli.core.views.card import worker_words
    from casecli.render import initials

    c, w, s = card.view.case, card.worker, card.support
    out: dict[str, Any] = {
        "worker": None
        if w is None
        else {
            "staff_id": w.staff_id,
            "name": initials(w.name) if redact else w.name,
            "unit_id": w.unit_id,
            "unit_name": w.unit_name,
        },
        "worker_words": worker_words(w, c["worker_id"], redact),
        "support": None,
        "children_in_care": [
            {
                "person_id": k.person_id,
                "removed_on": _iso(k.removed_on),
                "entered_on": _iso(k.entered_on),
                "days_in_care": k.days_in_care,
                "asfa_month": k.asfa_month,
                "asfa_month_15": _iso(k.asfa_month_15),
                "asfa_done_on": _iso(k.asfa_done_on),
                "placement": k.placement,
                "placement_since": _iso(k.placement_since),
                "placement_moves": k.moves,
            }
            for k in card.children
        ],
    }
    if s is not None:
        out["support"] = {
            "order_established_on": _iso(s.order_on),
            "months": [asdict(m) for m in s.months],
            "current_due": s.current_due,
            "current_paid": s.current_paid,
            "arrears_balance": s.arrears_balance,
            "arrears_paid": s.arrears_paid,
            "last_paid_month": s.last_paid,
            "months_without_payment": s.months_unpaid,
        }
    return out


def case_json(v: Any, events: list[dict[str, Any]], today: date, redact: bool) -> dict[str, Any]:
    from casecli.core.views import ranking
    from casecli.core.words import redacted_person

    out = redacted_person(v.case, birth=False) if redact else dict(v.case)
    people = [redacted_person(p) if redact else dict(p) for p in v.people]
    out.update(
        {
            "situation": v.situation,
            "plan": v.plan,
            "plan_why": v.plan_why,
            "steps": [
                {
                    "step": s.step.id,
                    "title": s.step.title,
                    "status": s.status,
                    "due_on": _iso(s.due_on),
                    "person_id": s.person_id,
                    "done_on": _iso(s.done_on),
                    "scheduled_on": _iso(s.scheduled_on),
                    "blocked_by": s.blocked_by,
                    "statutory": s.step.statutory,
                    "court": s.step.court,
                }
                for s in v.steps
            ],
            "barriers": [barrier_json(b) for b in v.barriers],
            "milestone": milestone_json(v),
            "people": people,
            "goals": [
                {
                    k: g[k]
                    for k in (
                        "goal_id",
                        "description",
                        "person_id",
                        "target_on",
                        "status",
                        "percent",
                    )
                }
                for g in v.goals
            ],
            "signals": [
                {k: s[k] for k in ("signal_id", "kind", "observed_on", "person_id", "source")}
                for s in v.signals
            ],
            "actions": [ranking.action_json(a) for a in v.actions],
            "recent": events,
        }
    )
    return out
