"""Damaged real-world exports (issue 11): nothing lost, hidden or made up.

Each test names the damage and what the sync must do about it; each failed on the code
before the fix that it pins.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from casecli.core.demo import write_demo
from tests.conftest import TODAY


def _casecli_proc(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECLI_")}
    env["CASECLI_CONFIG"] = "/nonexistent/config.toml"
    code = "import sys; from casecli.cli.main import run; sys.argv = sys.argv[1:]; run()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "casecli", "--today", TODAY.isoformat(), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def test_two_first_syncs_into_one_new_store_run_one_after_the_other(tmp_path: Path) -> None:
    """Both used to build the store in one shared temporary file: the first said
    'applied' while the store held the second's data, the second ended in an internal
    error. Now the second waits for the first (the store's writer lock), then syncs in
    place: the store holds both exports, as two syncs one after the other would."""
    one, two = tmp_path / "one", tmp_path / "two"
    write_demo(one, cases=2000, seed=1, today=TODAY)
    write_demo(two, cases=2000, seed=2, today=TODAY)
    db = tmp_path / "new.db"
    procs = [_casecli_proc("--db", str(db), "sync", str(f)) for f in (one, two)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    for code, _, err in results:
        assert code == 0, err
        assert "internal error" not in err
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    logged = conn.execute("SELECT folder, status FROM sync_log ORDER BY sync_id").fetchall()
    assert sorted(f for f, _ in logged) == sorted([str(one), str(two)])
    assert {s for _, s in logged} == {"applied"}
    # the second export's cases are there, whichever ran last
    last = Path(logged[-1][0])
    with (last / "cases.csv").open() as fh:
        next(fh)
        first_id = fh.readline().split(",")[0]
    assert conn.execute("SELECT count(*) FROM cases WHERE case_id = ?", (first_id,)).fetchone()
    assert not list(tmp_path.glob("new.db.initial-sync*"))
