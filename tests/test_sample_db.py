"""sample.db is at the latest schema and is exactly what the generator makes.

If the generator, the contract or the schema change, rebuild it: ./scripts/make-sample-db
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date
from pathlib import Path

from casecli.core.ingest.sync import sync
from casecli.core.store import store
from casecli.core.store.store import EXPORT_TABLES
from casecli.demo.export import write_demo

SAMPLE = Path(__file__).resolve().parents[1] / "sample.db"
REBUILD = "sample.db is stale: rebuild it with ./scripts/make-sample-db"


def digest(conn: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    out = {}
    for table in EXPORT_TABLES:
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != "_sync_id"]
        h = hashlib.sha256()
        n = 0
        for row in conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY 1, 2"):
            h.update(repr(row).encode())
            n += 1
        out[table] = (n, h.hexdigest())
    return out


def test_sample_db_is_at_the_latest_schema() -> None:
    conn = sqlite3.connect(f"file:{SAMPLE}?mode=ro", uri=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.latest_version(), REBUILD
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_sample_db_is_one_office_three_or_four_units_about_1000_cases() -> None:
    conn = sqlite3.connect(f"file:{SAMPLE}?mode=ro", uri=True)
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 1000
    offices, units = conn.execute(
        "SELECT count(DISTINCT office_id), count(DISTINCT unit_id) FROM staff"
    ).fetchone()
    assert offices == 1 and units in (3, 4)
    assert conn.execute("SELECT count(*) FROM rejects").fetchone()[0] == 0
    assert SAMPLE.stat().st_size < 10 * 1024 * 1024


def test_sample_db_matches_the_generator(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write_demo(folder, cases=1000, seed=1, today=date(2026, 11, 24))
    fresh = store.connect(tmp_path / "fresh.db", create=True)
    result = sync(fresh, folder, today=date(2026, 11, 24))
    assert result.status == "applied" and not result.rejects
    sample = sqlite3.connect(f"file:{SAMPLE}?mode=ro", uri=True)
    assert digest(sample) == digest(fresh), REBUILD
