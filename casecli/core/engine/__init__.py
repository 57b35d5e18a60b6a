"""The engine: for one case, what must happen now, what it waits on, what comes next.

``playbooks`` (what each case type requires, and when: TOML), ``steps`` (where each step
stands today), ``asfa`` (the 15-of-22 months clock), ``barriers`` (what a case waits on),
``payments`` (a support case's ledger in words), ``actions`` (what to do now),
``urgency`` (one number per action, from named terms), ``casedata`` (loading what the
engine needs in a few set-based queries), ``engine`` (putting it together into a case
view).

Imports: ``casecli.core.store`` and the shared modules only.
"""
