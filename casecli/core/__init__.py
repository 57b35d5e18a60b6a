"""The headless core: everything casecli knows, with no typer, rich or textual.

Its subpackages stand in a line; each imports only those below it (a test,
``tests/test_architecture.py``, walks the imports and fails on a circle or an upward one):

- ``store``    the store file and what may be seen of it: opening, creating, migrating,
               checking and backing up; the export contract's tables; who may see which
               cases (scope); how fresh the data is.
- ``ingest``   reading exports and applying them (``casecli sync``). Uses ``store``.
- ``engine``   for one case, what must happen now and why: playbooks, steps, barriers,
               actions, urgency, the data it loads. Uses ``store``.
- ``local``    what a user writes and keeps: records, their config, the kept rankings and
               evaluations. Uses ``store`` and ``engine``.
- ``measures`` the goal calculator: periods, the federal measures of both programs,
               incentives, scorecards, goals, focus. Uses everything above but ``views``.
- ``views``    views over many cases: a caseload, a unit, an office, staffing, the case
               card, the monthly digests. The top of the core.

``ingest`` and ``engine`` are siblings and never import each other. Four small modules
here are shared by every layer and import nothing else of casecli: ``errors`` (the one
error a user sees), ``words`` (counted nouns and day counts), ``when`` (reading dates) and
``apart`` (work handed to another Python process).

The synthetic-data generator is not core: it is ``casecli.demo``. The CLI
(``casecli.cli``) and the TUI (``tui``) call the core and render; neither runs SQL.
"""
