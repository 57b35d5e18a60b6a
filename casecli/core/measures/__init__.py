"""The goal calculator: the federal measures, scorecards, goals and where to focus.

``periods`` (a month, a federal fiscal year, a range), ``measures`` (what each measure is,
computing it for a set of cases and a period), ``child_support`` and ``child_welfare``
(each program's measures in set-based SQL, the rule cited beside each), ``incentives``
(45 CFR 305.33's applicable percentage), ``goals`` (targets per office, unit or worker),
``score`` (a scorecard beside the unit's and the office's), ``focus`` and
``focus_cases`` (the measures a scope is behind on and the cases that close each gap).

Imports: ``store``, ``engine``, ``local`` and the shared modules. Never ``views``.
"""
