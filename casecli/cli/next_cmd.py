"""The caseworker's commands: ``next``, ``case``, ``caseload``, ``waiting``."""

from datetime import date
from typing import Annotated, Any

import typer

from casecli.cli.options import Settings, command

HEAD = 200  # a supervisor's or manager's ranked actions kept: the most urgent 200


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
    """What the user's ranked actions depend on today (:mod:`casecli.core.local.nextcache`)."""
    from casecli.core.local import config, nextcache

    cfg = config.load() if cfg is None else cfg
    return nextcache.stamp(
        conn, today=settings.today, redact=settings.redact, urgency=cfg.get("urgency"),
        playbooks=settings.playbooks or config.playbooks_dir(cfg),
    )  # fmt: skip


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
    """The user's case views, ranked actions (as ``next --json`` objects, kept) and whether
    the whole list names anyone but the user.
    ``rank_others`` False: for a supervisor, a manager or an admin the views alone (their
    ``caseload`` and ``waiting`` need no ranking; ranking tens of thousands of actions is
    left to their ``next``). ``want``: how many actions the caller shows (a supervisor's or
    a manager's list is ranked and kept up to the most urgent ``max(want, HEAD)``)."""
    from casecli.core.local import config, nextcache
    from casecli.core.store import scope
    from casecli.core.views import caseload

    conn = conn or settings.connect()
    # The config file, read once for the stamp, the urgency coefficients and the playbooks.
    cfg = config.load() if cfg is None else cfg
    stamp = stamp or _stamp(settings, conn, cfg)  # before the cases are read
    conn, who, books, coef = _context(settings, conn, cfg)
    if only_worker and who.role != "worker":
        return [], [], False
    clause, params = scope.cases_clause(who, "c")
    kw: dict[str, Any] = {
        "today": settings.today, "books": books, "coef": coef, "redact": settings.redact,
        "behind": caseload.behind(conn, who, settings.today, books), "me": who.staff_id,
    }  # fmt: skip
    if who.role == "worker":  # one caseload: evaluated whole (next keeps its ranking)
        views = caseload.open_views(conn, who, **kw)
    else:  # a unit's or an office's: kept briefs, re-evaluated only where they changed
        from casecli.core.views import unit

        # every action only for the ranking (next); caseload and waiting read the top one
        views = unit.kept_views(conn, clause, params, full=rank_others, **kw)
    from casecli.core.views import staffing

    if who.role != "worker" and not rank_others:
        return views, [], False
    # a worker's whole list; a supervisor's or a manager's head of it (want: next -n)
    cut = None if who.role == "worker" else max(want or 0, HEAD)
    found = staffing.ranked(
        conn, who, views, settings.today, _namer(settings.redact), books=books, limit=cut
    )
    ranked = [action_json(a) | worker_json(w, a, settings.redact) for a, w in found.pairs]
    nextcache.write(
        settings.db_path(), who.staff_id, settings.redact, stamp, ranked,
        cut=None if found.complete else cut, spans=found.spans,
    )  # fmt: skip
    return views, ranked, found.spans


def refresh_next(settings: Settings) -> None:
    """After a worker's local write, work out and keep their ranked actions, so the next
    ``casecli next`` is already current. Only for a worker's own caseload (a supervisor's
    or manager's scope is too large to add to every write); never fails the write."""
    import contextlib

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
    """``casecli db warm``: run, for ``settings.today``, what the user's morning commands
    evaluate, so that they read it kept: their ranked ``next`` (and with it every open
    case's brief in their scope), their unit's or office's view (the briefs without goals'
    weight and the key measures), ``score``'s counts (each measure's period, and this
    month), ``focus``'s and the month's digests'. The user and the number of open cases
    evaluated. A brief changes every day for most cases (urgency rises with each day
    overdue, idle, waiting), so what is kept is a day's; this is what makes the first view
    of a day read it (README: "The nightly run")."""
    from casecli.core.errors import CasecliError
    from casecli.core.local import config, kept, nextcache
    from casecli.core.measures import focus as fo
    from casecli.core.measures import measures, periods
    from casecli.core.measures import score as sc
    from casecli.core.views import digest, unit

    conn = settings.connect()
    db, folder = settings.db_path(), nextcache.folder(settings.db_path())
    try:
        if not kept.can_keep(conn):
            raise CasecliError(
                f"Nothing can be kept beside {db}: {folder} cannot be made or written; make it"
                " writable (the views work without it, evaluating as they go)."
            )
        cfg = config.load()
        views = _evaluate(settings, conn, cfg=cfg)[0]
        conn, who, books, coef = _context(settings, conn, cfg)
        kw = {"today": settings.today, "books": books, "coef": coef, "redact": settings.redact}
        if who.role == "supervisor" and who.unit_id:
            unit.unit_view(conn, who, who.unit_id, **kw)
        elif who.role == "manager" and who.office_id:
            unit.office_view(conn, who, who.office_id, **kw)
        options = measures.Options.from_playbooks(books)
        scope = sc.resolve_scope(conn, who)
        sc.scorecard(conn, scope, None, settings.today, options=options)
        # and every measure for this month (score --period this month)
        month = periods.parse(settings.today.strftime("%Y-%m"), settings.today)
        sc.scorecard(conn, scope, month, settings.today, options=options)
        fo.focus(conn, scope, None, settings.today, options=options, redact=settings.redact)
        # the month's digests (focus --month M --out DIR): their counts, not their files
        for _ in digest.results(
            conn, digest.staff_of(conn, scope), month, settings.today, options=options,
            redact=settings.redact,
        ):  # fmt: skip
            pass
        # what was evaluated must have been kept (a kept file busy past its timeout, or
        # full, keeps nothing and says nothing): else say so, not "Kept"
        if who.role == "worker":
            user = (settings.staff_id(conn) or "").strip()
            now = _stamp(settings, conn, cfg)
            lost = nextcache.read(db, user, settings.redact, now) is None
        else:
            assigned = {v.case_id for v in views if isinstance(v, kept.Brief)}
            have = kept.kept_today(conn, settings.today, books, coef, settings.redact)
            lost = bool(assigned - have)
        if lost:
            raise CasecliError(
                f"What was worked out could not all be kept in {folder} (another casecli held"
                " it too long, or the disk is full); run casecli db warm again."
            )
    finally:
        conn.close()
    return who, sum(1 for v in views if v.case.get("status") == "open")


def _next_actions(settings: Settings, want: int) -> tuple[list[dict[str, Any]], str, bool]:
    """The user's ranked actions (``next --json``'s objects), most urgent first, at least
    the first ``want`` of them: the kept ones when their stamp is current, else worked out
    (and kept); the user; whether the whole list names anyone but the user."""
    from casecli.core.local import config, nextcache

    conn = settings.connect()
    cfg = config.load()
    stamp = _stamp(settings, conn, cfg)
    user = (settings.staff_id(conn) or "").strip()  # a login's user is kept under their id
    if user:
        kept = nextcache.load(settings.db_path(), user, settings.redact, stamp, want)
        if kept is not None:
            actions, spans = kept
            return actions, user, _spans(actions, user) if spans is None else spans
    _, actions, spans = _evaluate(settings, conn, stamp, cfg=cfg, want=want)
    return actions, user, spans


def _spans(actions: list[dict[str, Any]], user: str) -> bool:
    return any(a.get("worker_id") != user for a in actions)


def _namer(redact: bool) -> Any:
    from casecli.render import initials

    def name(n: str | None) -> str:
        return (initials(n) or "") if redact else (n or "")

    return name


def worker_json(w: Any, a: Any, redact: bool) -> dict[str, Any]:
    """Whose case an action is on: ``worker_id`` (None: an unassigned case), ``worker``
    (the name; initials with --redact) and ``worker_active``; for an "assign" or
    "reassign" action, ``case_ids`` too."""
    out: dict[str, Any] = {
        "worker_id": w.staff_id if w else None,
        "worker": _namer(redact)(w.name) if w else None,
        "worker_active": w.active if w else None,
    }
    return out


def register(app: typer.Typer) -> None:
    @command(app, "next", playbooks=True)
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

    @command(app, "case", playbooks=True)
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

    @command(app, "caseload", playbooks=True)
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

    @command(app, "waiting", playbooks=True)
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
    for v in views:
        j = _whose(v.case, staff, redact)
        out[v.case_id] = (j["worker_id"], j["worker"], j["worker_active"])
    return out


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def action_json(a: Any) -> dict[str, Any]:
    return {
        "case_id": a.case_id,
        "action": a.action,
        "kind": a.kind,
        "step": a.step,
        "due_on": _iso(a.due_on),
        "urgency": a.urgency,
        "terms": _terms_json(a.terms),
        "stuck": any(t.term == "stuck" for t in a.terms),
        "scheduled_on": _iso(a.scheduled_on),
        "scheduled_after_deadline": a.scheduled_late,
        "people": [
            {
                "person_id": p.person_id,
                "due_on": _iso(p.due_on),
                "urgency": p.urgency,
                "terms": _terms_json(p.terms),
            }
            for p in a.people
        ],
    }


def _terms_json(terms: Any) -> list[dict[str, Any]]:
    return [{"term": t.term, "points": t.points, "why": t.why} for t in terms]


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
    from casecli.render import initials

    out = dict(v.case)
    if redact:
        out["name"] = initials(out.get("name"))
    people = [dict(p) for p in v.people]
    for p in people:
        if redact:
            p["name"] = initials(p.get("name"))
            p["birth_on"] = None
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
            "actions": [action_json(a) for a in v.actions],
            "recent": events,
        }
    )
    return out
