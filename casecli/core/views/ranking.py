"""A user's ranked actions (``casecli next``), worked out for their scope and kept, and the
nightly warm (``casecli db warm``) that works out the morning's views ahead.

Who sees what: a worker's whole caseload is evaluated and ranked; a supervisor's unit
and a manager's office are read as kept briefs (:func:`casecli.core.views.briefs.kept_views`)
and only the head of their list is ranked (:data:`HEAD`, or more when asked). Each case
is ranked with the goals its worker is behind on (the urgency ``goal_impact`` term,
:func:`casecli.core.views.caseload.behind`) and whether the user is its worker. What is
ranked is kept beside the store (:mod:`casecli.core.local.nextcache`) as the objects
``next --json`` prints (:func:`action_json` and :func:`worker_json`), so a change to their
shape is a change to the code the kept list is stamped with.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from casecli.core.store.scope import Actor, assigned_clause, cases_clause, home
from casecli.core.words import initials

HEAD = 200  # a supervisor's or manager's ranked actions kept: the most urgent 200


def stamp(
    conn: sqlite3.Connection,
    *,
    today: date,
    redact: bool,
    cfg: dict[str, Any],
    playbooks: Path | None,
) -> str:
    """What the user's ranked actions depend on today (:mod:`casecli.core.local.nextcache`):
    ``cfg`` the config file as read, ``playbooks`` the folder given with --playbooks."""
    from casecli.core.local import config, nextcache

    return nextcache.stamp(
        conn, today=today, redact=redact, urgency=cfg.get("urgency"),
        playbooks=playbooks or config.playbooks_dir(cfg),
    )  # fmt: skip


def evaluate(
    conn: sqlite3.Connection,
    who: Actor,
    *,
    db: Path | None,
    stamp: str,
    today: date,
    redact: bool,
    books: dict[str, Any],
    coef: dict[str, float],
    only_worker: bool = False,
    rank_others: bool = True,
    want: int | None = None,
) -> tuple[list[Any], list[dict[str, Any]], bool]:
    """``who``'s case views, ranked actions (as ``next --json`` objects, kept under
    ``stamp`` beside the store at ``db``, a team store's login's place included; None:
    nowhere to keep them) and
    whether the whole list names anyone but them.
    ``rank_others`` False: for a supervisor, a manager or an admin the views alone (their
    ``caseload`` and ``waiting`` need no ranking; ranking tens of thousands of actions is
    left to their ``next``). ``want``: how many actions the caller shows (a supervisor's or
    a manager's list is ranked and kept up to the most urgent ``max(want, HEAD)``)."""
    from casecli.core.local import nextcache
    from casecli.core.views import caseload

    if only_worker and who.role != "worker":
        return [], [], False
    clause, params = cases_clause(who, "c")
    kw: dict[str, Any] = {
        "today": today, "books": books, "coef": coef, "redact": redact,
        "behind": caseload.behind(conn, who, today, books), "me": who.staff_id,
    }  # fmt: skip
    if who.role == "worker":  # one caseload: evaluated whole (next keeps its ranking)
        views = caseload.open_views(conn, who, **kw)
    else:  # a unit's or an office's: kept briefs, re-evaluated only where they changed
        from casecli.core.views import briefs

        # every action only for the ranking (next); caseload and waiting read the top one
        views = briefs.kept_views(
            conn, clause, params, assigned=assigned_clause(who, "c"), full=rank_others, **kw
        )
    from casecli.core.views import staffing

    if who.role != "worker" and not rank_others:
        return views, [], False
    # a worker's whole list; a supervisor's or a manager's head of it (want: next -n)
    cut = None if who.role == "worker" else max(want or 0, HEAD)
    found = staffing.ranked(conn, who, views, today, namer(redact), books=books, limit=cut)
    ranked = [action_json(a) | worker_json(w, a, redact) for a, w in found.pairs]
    if db is not None:
        nextcache.write(
            db, who.staff_id, redact, stamp, ranked,
            cut=None if found.complete else cut, spans=found.spans,
        )  # fmt: skip
    return views, ranked, found.spans


def refresh_kept(conn: sqlite3.Connection, *, db: Path, today: date) -> list[str]:
    """After a sync (``casecli sync``'s hook, in another process: ``after_sync.refresh_views_apart``):
    work out again, for the store as it is now, the ranked actions kept beside it for
    ``today`` or later of each user whose kept stamp differs from today's by writes alone
    (kept under the settings the config gives, as ``next`` without --playbooks reads
    them), so that their first ``next`` after the nightly sync reads them: a manager's of a
    60,000-case office took 1.5-2.2 s after a 1% delta, 0.08 s read. Not an admin's (the
    whole store's list). The playbooks are read after a first stamp, and every stamp kept
    must name the same settings and code: an edit meanwhile stops this (a file kept with
    settings it was not made with would be read as current). The staff ids done."""
    from casecli.core.engine import playbooks, urgency
    from casecli.core.errors import CasecliError
    from casecli.core.local import config, nextcache
    from casecli.core.store import scope

    done = []
    cfg = config.load()
    first = stamp(conn, today=today, redact=False, cfg=cfg, playbooks=None).split("\n")
    books = playbooks.load(config.playbooks_dir(cfg))  # (after that stamp: see below)
    coef = urgency.coefficients(config.urgency_overrides(cfg))
    for user, redact, old in nextcache.kept_since(db, today):
        try:
            day = date.fromisoformat(old.split("\n", 2)[1])
            now = stamp(conn, today=day, redact=redact, cfg=cfg, playbooks=None)  # (cases after)
            if now.split("\n")[6:] != first[6:]:
                break  # the settings or the code changed while this ran: the views work
            if old == now or not nextcache.same_but_writes(old, now):
                continue  # current already, or kept under other settings or code
            who = scope.actor(conn, user)
            if who.role == "admin":
                continue  # the whole store's list: left to its next
            evaluate(conn, who, db=db, stamp=now, today=day, redact=redact, books=books,
                     coef=coef)  # fmt: skip
            done.append(user)
        except (CasecliError, ValueError, IndexError, sqlite3.Error):
            continue  # (no longer in the store, a file not as written: left to its next)
    return done


def warm(
    conn: sqlite3.Connection,
    who: Actor,
    *,
    db: Path,
    user: str,
    today: date,
    redact: bool,
    books: dict[str, Any],
    coef: dict[str, float],
    stamp: Callable[[], str],
) -> int:
    """``casecli db warm``: work out, for ``today``, what the user's morning commands read
    kept: their ranked ``next`` (:func:`evaluate`, and with it every open case's brief in
    their scope), their unit's or office's view (the briefs without goals' weight and the
    key measures) and what it waits on (``bottlenecks``), ``score``'s counts (each
    measure's period, and this month), ``focus``'s and the month's digests'; the number of
    open cases evaluated. ``stamp`` gives the
    ranked list's stamp as the store is now. A brief changes every day for most cases
    (urgency rises with each day overdue, idle, waiting), so what is kept is a day's; this
    is what makes the first view of a day read it (README: "The nightly run"). Raises a
    one-sentence error when what was worked out could not all be kept."""
    from casecli.core.errors import CasecliError
    from casecli.core.local import kept, nextcache
    from casecli.core.measures import focus as fo
    from casecli.core.measures import measures, periods
    from casecli.core.measures import score as sc
    from casecli.core.views import digest, office, unit

    folder = nextcache.folder(db)
    kw: dict[str, Any] = {"today": today, "books": books, "coef": coef, "redact": redact}
    evaluated = evaluate(conn, who, db=db, stamp=stamp(), **kw)[0]  # stamp: before they are read
    where = home(who)
    if where is not None and where[0] == "unit":
        unit.unit_view(conn, who, where[1], **kw)
    elif where is not None:
        office.office_view(conn, who, where[1], **kw)
    if where is not None:  # and what it waits on (bottlenecks)
        unit.bottlenecks_of(conn, who, None, None, today=today)
    options = measures.Options.from_playbooks(books)
    scope = sc.resolve_scope(conn, who)
    sc.scorecard(conn, scope, None, today, options=options)
    # and every measure for this month (score --period this month)
    month = periods.parse(today.strftime("%Y-%m"), today)
    sc.scorecard(conn, scope, month, today, options=options)
    fo.focus(conn, scope, None, today, options=options, redact=redact)
    # the month's digests (focus --month M --out DIR): their counts, not their files
    for _ in digest.results(
        conn, digest.staff_of(conn, scope), month, today, options=options, redact=redact
    ):
        pass
    # what was evaluated must have been kept (a kept file busy past its timeout, or
    # full, keeps nothing and says nothing): else say so, not "Kept"
    if who.role == "worker":
        lost = nextcache.read(db, user, redact, stamp()) is None
    else:
        assigned = {v.case_id for v in evaluated if isinstance(v, kept.Brief)}
        have = kept.kept_today(conn, today, books, coef, redact)
        lost = bool(assigned - have)
    if lost:
        raise CasecliError(
            f"What was worked out could not all be kept in {folder} (another casecli held"
            " it too long, or the disk is full); run casecli db warm again."
        )
    return sum(1 for v in evaluated if v.case.get("status") == "open")


def spans(actions: list[dict[str, Any]], user: str) -> bool:
    """Whether a list of actions names anyone's case but ``user``'s."""
    return any(a.get("worker_id") != user for a in actions)


def namer(redact: bool) -> Callable[[str | None], str]:
    """A name as the lists show it: initials with --redact."""

    def name(n: str | None) -> str:
        return (initials(n) or "") if redact else (n or "")

    return name


def worker_json(w: Any, a: Any, redact: bool) -> dict[str, Any]:
    """Whose case an action is on: ``worker_id`` (None: an unassigned case), ``worker``
    (the name; initials with --redact) and ``worker_active``; for an "assign" or
    "reassign" action, ``case_ids`` too."""
    out: dict[str, Any] = {
        "worker_id": w.staff_id if w else None,
        "worker": namer(redact)(w.name) if w else None,
        "worker_active": w.active if w else None,
    }
    return out


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def action_json(a: Any) -> dict[str, Any]:
    """An action as ``next --json`` (and the kept list) holds it."""
    return {
        "case_id": a.case_id,
        "action": a.action,
        "kind": a.kind,
        "step": a.step,
        "due_on": iso(a.due_on),
        "urgency": a.urgency,
        "terms": terms_json(a.terms),
        "stuck": any(t.term == "stuck" for t in a.terms),
        "scheduled_on": iso(a.scheduled_on),
        "scheduled_after_deadline": a.scheduled_late,
        "people": [
            {
                "person_id": p.person_id,
                "due_on": iso(p.due_on),
                "urgency": p.urgency,
                "terms": terms_json(p.terms),
            }
            for p in a.people
        ],
    }


def terms_json(terms: Any) -> list[dict[str, Any]]:
    return [{"term": t.term, "points": t.points, "why": t.why} for t in terms]
