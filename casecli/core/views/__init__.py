"""Views over many cases, as the commands and the TUI show them.

``caseload`` (a caseload's cases, ranked actions and waits), ``load`` (what a worker
carries: each case's share of the work, capacity used), ``staffing`` (cases nobody works
and who could take them), ``unit_score`` (the key measure of a unit, its workers and its
office), ``unit`` (the unit and office views), ``card`` (the case card), ``digest`` (the
monthly Markdown digests).

Imports: anything else in the core. Nothing in the core imports it.
"""
