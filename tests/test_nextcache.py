"""`casecli next` keeps each user's ranked actions beside the store and reads them back
while nothing they depend on has changed (casecli/core/local/nextcache.py).

Whether a run read the kept actions is shown by tampering with the kept file: a run that
prints the tampered sentence read it; a run that prints the real one worked it out again.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from casecli.cli.main import app
from casecli.core.local import nextcache
from tests.conftest import FIXTURES
from tests.test_next_cli import cli, db, runner  # noqa: F401  (the fixture)

FAKE = "TAMPERED: read from the kept file"


@pytest.fixture(scope="module")
def backend() -> None:
    """SQLite alone: the kept next lists are a personal store's files beside it
    (casecli.core.local.nextcache); a team store keeps none."""
    return None


def kept_file(db: Path, user: str = "W1", redact: bool = False) -> Path:  # noqa: F811
    """The one file of the user's kept actions (one a day: these tests use one day)."""
    (path,) = nextcache.folder(db).glob(f"next-{user.encode().hex()}-{int(redact)}-*.json")
    return path


def kept_name(user: str, redact: bool, day: str = "2026-11-24") -> str:
    return f"next-{user.encode().hex()}-{int(redact)}-{day}.json"


def tamper(db: Path, user: str = "W1", redact: bool = False) -> None:  # noqa: F811
    path = kept_file(db, user, redact)
    kept = json.loads(path.read_text())
    kept["actions"][0]["action"] = FAKE
    path.write_text(json.dumps(kept))


def first_action(db: Path, *args: str, user: str = "W1") -> str:  # noqa: F811
    result = cli(db, user, *args, "next", "--json")
    assert result.exit_code == 0, result.stderr
    return str(json.loads(result.stdout)[0]["action"])


def test_the_kept_actions_are_what_the_engine_works_out(db: Path) -> None:  # noqa: F811
    for user in ("W1", "W2", "S1"):
        for args in ((), ("--explain",), ("-n", "2"), ("--json",), ("--json", "-n", "1")):
            worked_out = cli(db, user, "next", *args)
            read_back = cli(db, user, "next", *args)
            assert worked_out.exit_code == 0, worked_out.stderr
            assert read_back.stdout == worked_out.stdout, (user, args)
    assert kept_file(db, "S1").is_file()


def test_the_second_next_reads_the_kept_file_made_private(db: Path) -> None:  # noqa: F811
    assert first_action(db) == "See the child face to face (Ana) — 1 day overdue"
    folder, path = nextcache.folder(db), kept_file(db)
    assert folder == db.parent / "s.db-cache"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    tamper(db)
    assert first_action(db) == FAKE
    text = cli(db, "W1", "next", "-n", "1")
    assert FAKE in text.stdout


@pytest.mark.parametrize(
    "change",
    ["today", "local write", "sync", "urgency", "playbooks", "redact", "code"],
)
def test_anything_the_actions_depend_on_makes_next_work_them_out_again(
    db: Path,  # noqa: F811
    tmp_path: Path,
    change: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first_action(db)
    tamper(db)
    assert first_action(db) == FAKE
    args: tuple[str, ...] = ()
    env = {"CASECLI_CONFIG": "/nonexistent/c.toml", "COLUMNS": "80"}
    today = "2026-11-25" if change == "today" else "2026-11-24"
    if change == "local write":  # by someone else, on another case: still a new state
        done = cli(db, "W2", "record", "C200", "collateral_contact", "--on", "2026-11-24")
        assert done.exit_code == 0, done.stderr
    elif change == "sync":  # by an admin's script (no --as): nothing kept for W1 by it
        done = cli(db, None, "sync", str(FIXTURES / "basic"))
        assert done.exit_code == 0, done.stderr
    elif change == "urgency":
        config = tmp_path / "c.toml"
        config.write_text("[urgency]\nsafety = 9.0\n")
        env["CASECLI_CONFIG"] = str(config)
    elif change == "playbooks":
        books = tmp_path / "books"
        books.mkdir()
        args = ("--playbooks", str(books))
    elif change == "redact":
        args = ("--redact",)  # kept apart: the sentences differ (initials)
    elif change == "code":  # an upgrade or an edit of casecli itself
        code = tmp_path / "code"
        code.mkdir()
        (code / "engine.py").write_text("# a new version\n")
        monkeypatch.setattr(nextcache, "_CODE_DIRS", (*nextcache._CODE_DIRS, code))
    command = ["--db", str(db), "--today", today, "--as", "W1", "next", *args]
    result = runner.invoke(app, [*command, "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    worked_out = json.loads(result.stdout)
    assert worked_out[0]["action"] != FAKE
    kept = {p.name for p in nextcache.folder(db).iterdir()}
    assert kept == {kept_name("W1", False)} | {
        "today": {kept_name("W1", False, "2026-11-25")},  # each day's list, side by side
        "redact": {kept_name("W1", True)},
        "local write": {kept_name("W2", False)},  # W2's own write kept W2's actions
    }.get(change, set())
    for path in nextcache.folder(db).iterdir():
        path.unlink()  # nothing kept: what the engine says now
    again = runner.invoke(app, [*command, "--json"], env=env)
    assert json.loads(again.stdout) == worked_out


def test_a_workers_own_write_leaves_their_next_already_worked_out(db: Path) -> None:  # noqa: F811
    assert first_action(db, user="W1")
    done = cli(db, "W1", "record", "004", "face_to_face_contact", "--person", "P1")
    assert done.exit_code == 0, done.stderr
    tamper(db)  # the file record kept: a next reading it shows the tampered sentence
    after = first_action(db)
    assert after == FAKE
    kept = json.loads(kept_file(db).read_text())["actions"]
    assert "first face-to-face" not in " ".join(a["action"] for a in kept)  # the visit counts
    kept_file(db).unlink()
    fresh = cli(db, "W1", "next", "--json")
    assert json.loads(fresh.stdout)[1:] == kept[1:]


def test_next_works_without_a_cache_it_cannot_write_or_read(db: Path) -> None:  # noqa: F811
    expected = first_action(db)
    for path in nextcache.folder(db).iterdir():
        path.write_text("{not json")  # a damaged file: worked out again and replaced
    assert first_action(db) == expected
    tamper(db)
    assert first_action(db) == FAKE  # and kept again
    for path in nextcache.folder(db).iterdir():
        path.unlink()
    nextcache.folder(db).rmdir()
    nextcache.folder(db).write_text("not a folder")  # nothing can be kept there
    assert first_action(db) == expected
    assert first_action(db) == expected


def test_a_workers_own_sync_leaves_their_next_worked_out_for_the_new_data(db: Path) -> None:  # noqa: F811
    steps = {a["step"] for a in json.loads(cli(db, "W1", "next", "--json").stdout)}
    assert "case_plan" not in steps  # the fixture's delta recorded C100's case plan
    done = cli(db, "W1", "sync", str(FIXTURES / "basic"))  # a full export without it
    assert done.exit_code == 0, done.stderr
    kept = json.loads(kept_file(db).read_text())["actions"]
    assert "case_plan" in {a["step"] for a in kept}
    tamper(db)
    assert first_action(db) == FAKE  # current: the sync kept it
    kept_file(db).unlink()
    fresh = cli(db, "W1", "next", "--json")
    assert json.loads(fresh.stdout)[1:] == kept[1:]


def test_a_days_list_is_kept_beside_the_next_days_and_older_days_are_removed(
    tmp_path: Path,
) -> None:
    """One file per day: the list a nightly warm keeps for tomorrow survives the evening's
    list for today; lists from before yesterday (and the one-file layout before days
    were kept) go when a new one is written."""
    from datetime import date, timedelta

    store = tmp_path / "s.db"
    today = date.today()

    def stamp(day: date) -> str:
        return f"{nextcache.VERSION}\n{day.isoformat()}\nrest"

    old_layout = nextcache.folder(store) / f"next-{b'W1'.hex()}-0.json"
    tomorrow, old = today + timedelta(days=1), today - timedelta(days=10)
    assert nextcache.write(store, "W1", False, stamp(old), [{"case_id": "C_OLD"}])
    old_layout.write_text("{}")
    assert nextcache.write(store, "W1", False, stamp(tomorrow), [{"case_id": "C_TOMORROW"}])
    assert nextcache.write(store, "W1", True, stamp(old), [{"case_id": "C_REDACTED"}])
    assert nextcache.write(store, "W1x", False, stamp(old), [{"case_id": "C_OTHER"}])
    yesterday = today - timedelta(days=1)
    assert nextcache.write(store, "W1", False, stamp(yesterday), [{"case_id": "C_YESTERDAY"}])
    assert nextcache.write(store, "W1", False, stamp(today), [{"case_id": "C_TODAY"}])
    assert nextcache.read(store, "W1", False, stamp(yesterday)) == [{"case_id": "C_YESTERDAY"}]
    # another user's files, even one whose id begins with this one's, are theirs
    assert nextcache.read(store, "W1x", False, stamp(old)) == [{"case_id": "C_OTHER"}]
    assert nextcache.read(store, "W1", False, stamp(tomorrow)) == [{"case_id": "C_TOMORROW"}]
    assert nextcache.read(store, "W1", False, stamp(today)) == [{"case_id": "C_TODAY"}]
    assert nextcache.read(store, "W1", False, stamp(old)) is None  # removed
    assert not old_layout.exists()
    # another --redact setting's files are its own
    assert nextcache.read(store, "W1", True, stamp(old)) == [{"case_id": "C_REDACTED"}]
    names = sorted(p.name for p in nextcache.folder(store).iterdir())
    assert names == sorted(
        [
            *(
                f"next-{b'W1'.hex()}-{r}-{d.isoformat()}.json"
                for r, d in ((0, tomorrow), (0, today), (0, yesterday), (1, old))
            ),
            f"next-{b'W1x'.hex()}-0-{old.isoformat()}.json",
        ]
    )
