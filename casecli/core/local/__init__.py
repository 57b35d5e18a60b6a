"""What a user writes and what casecli keeps for them beside the store.

``record`` (events, barriers and goal progress a user records, each audited), ``config``
(the user's settings file: default store, staff id, playbook and urgency overrides),
``nextcache`` (each user's ranked actions for today) and ``kept`` (each open case's
evaluation, kept so that views over many cases read instead of evaluating).

Imports: ``casecli.core.store``, ``casecli.core.engine`` and the shared modules.
"""
