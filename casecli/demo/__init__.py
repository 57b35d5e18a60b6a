"""The synthetic-data generator (``casecli demo``): a realistic export for demos, tests and
benchmarks, deterministic for a seed. A tool, not the product: nothing in
``casecli.core`` imports it. ``export`` writes the files; ``base`` holds the building
blocks; ``welfare``, ``care``, ``services`` and ``support`` the pieces of each program.

Imports: ``casecli.core.store.contract`` (the columns it writes) and the shared modules.
"""
