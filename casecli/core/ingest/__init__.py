"""Ingest: reading an export folder and applying it to the store (``casecli sync``).

``sync`` runs one sync under EXPORTS.md's promises (validated, atomic, idempotent, nothing
lost); ``sync_job`` is one record type in it, ``sync_apply`` its set-based merge,
``sync_rejects`` the rows it refused, ``sync_result`` what it reports. Reading: ``source``
(one file: finding, decoding, its header, its rows), ``lines`` (bytes and lines with
bounded memory), ``manifest`` (``manifest.toml``), ``profiles`` and ``transforms`` (a real
system's export mapped onto the contract). Checking: ``checks`` (SQL validation from the
contract) and ``fastchecks`` (the cheap checks of the fast paths).

Imports: ``casecli.core.store`` and the shared modules. Never the engine, measures or
views: a sync evaluates nothing.
"""
