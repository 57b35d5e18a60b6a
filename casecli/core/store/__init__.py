"""The store: the database file, its schema, and who may see what in it.

``store`` opens, creates (mode 0600), migrates, checks and backs up the SQLite store;
``storecheck`` is the quick check a write runs on opening; ``faults`` says in one sentence
why a store could not be opened, read or written; ``storelock`` keeps one writer of the
structure at a time; ``contract`` is EXPORTS.md as data (record types, columns, rules);
``scope`` says who is acting and which cases their role lets them see or change;
``freshness`` how old the newest export is.

Imports: the standard library and ``casecli.core``'s shared modules (errors, words, when)
only. Everything else in the core builds on this.
"""
