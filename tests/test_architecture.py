"""The architecture as the tree shows it (issue 16): cli -> core <- tui, and inside the core
store <- ingest; store <- engine <- local <- measures <- views, with no import circles.

Every import counts: at the top of a module, inside a function (a lazy import is still a
dependency) and under ``TYPE_CHECKING`` (a type is one too). The walk reads the source
with :mod:`ast`, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Each part of the core, and the parts below it that it may import. The shared modules
# (errors, words, when, apart) sit at the bottom and may import nothing else of casecli.
SHARED = {"casecli.core.errors", "casecli.core.words", "casecli.core.when", "casecli.core.apart"}
MAY_IMPORT = {
    "store": set(),
    "ingest": {"store"},
    "engine": {"store"},
    "local": {"store", "engine"},
    "measures": {"store", "engine", "local"},
    "views": {"store", "engine", "local", "measures"},
}
# SQL a statement or a condition holds, in capitals as this code base writes it.
SQL = re.compile(
    r"\b(SELECT|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+"
    r"(TEMP\s+|UNIQUE\s+)?(TABLE|INDEX|VIEW|TRIGGER)|DROP\s+(TABLE|INDEX|VIEW)|PRAGMA|ATTACH|"
    r"WITH\s+\w+\s+AS|WHERE|AND|OR|FROM|JOIN|GROUP\s+BY|ORDER\s+BY)\b"
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    files = [*(ROOT / "casecli").rglob("*.py"), *(ROOT / "tui").rglob("*.py")]
    return {module_name(p): p for p in files}


MODULES = sources()


def imports_of(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """(module imported, line) for each casecli or tui module ``name`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in MODULES:
                    yield full, node.lineno
                elif base in MODULES:
                    yield base, node.lineno


GRAPH = {
    name: sorted({(m, line) for m, line in imports_of(name, path) if m != name})
    for name, path in MODULES.items()
}


def part_of(module: str) -> str:
    """'views' for casecli.core.views.unit; 'shared' for casecli.core.words; else the top."""
    if module in SHARED:
        return "shared"
    parts = module.split(".")
    if parts[:2] == ["casecli", "core"]:
        return parts[2] if len(parts) > 2 else "core"
    return ".".join(parts[:2]) if parts[0] == "casecli" else parts[0]


def test_the_walk_sees_the_tree() -> None:
    """Guards the test itself: it found the modules and their imports."""
    assert {"casecli.core.views.unit", "casecli.core.store.store", "tui.app"} <= set(MODULES)
    assert ("casecli.core.store.store", 0) not in GRAPH["casecli.core.views.unit"]
    assert any(m == "casecli.core.local.kept" for m, _ in GRAPH["casecli.core.views.unit"])
    assert {part_of(m) for m in MODULES} >= {*MAY_IMPORT, "shared", "casecli.cli", "tui"}


def cycles() -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w, _ in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_itself_back_through_another() -> None:
    assert cycles() == []


def test_the_cycle_finder_finds_one() -> None:
    GRAPH["casecli.core.words"].append(("casecli.core.when", 1))
    GRAPH["casecli.core.when"].append(("casecli.core.words", 1))
    try:
        assert ["casecli.core.when", "casecli.core.words"] in cycles()
    finally:
        GRAPH["casecli.core.words"].pop()
        GRAPH["casecli.core.when"].pop()


def upward() -> list[str]:
    wrong = []
    for name, found in GRAPH.items():
        mine = part_of(name)
        for target, line in found:
            theirs = part_of(target)
            if theirs == mine:
                continue
            if mine == "shared":
                ok = False
            elif mine in MAY_IMPORT:
                ok = theirs == "shared" or theirs in MAY_IMPORT[mine]
            elif mine == "core":
                ok = False
            elif mine == "casecli.demo":
                ok = theirs == "shared" or target == "casecli.core.store.contract"
            elif mine in ("casecli.cli", "casecli.render", "casecli.__main__"):
                ok = theirs != "tui" or target in ("tui.app", "tui.prefetch")  # `casecli tui`
            elif mine == "tui":
                ok = theirs not in ("casecli.cli", "casecli.demo")
            else:
                ok = True
            if not ok:
                wrong.append(f"{MODULES[name].relative_to(ROOT)}:{line} imports {target}")
    return wrong


def test_each_part_imports_only_the_parts_below_it() -> None:
    assert upward() == []


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("casecli.core.engine.engine", "casecli.core.views.unit"),  # engine -> views
        ("casecli.core.ingest.sync", "casecli.core.engine.engine"),  # siblings
        ("casecli.core.store.store", "casecli.core.ingest.sync"),
        ("casecli.core.words", "casecli.core.store.store"),  # shared -> a part
        ("casecli.core.views.unit", "casecli.cli.views"),  # core -> cli
        ("casecli.core.measures.score", "casecli.demo.export"),  # core -> the generator
    ],
)
def test_an_upward_import_is_caught(importer: str, imported: str) -> None:
    GRAPH[importer].append((imported, 1))
    try:
        assert any(w.endswith(f"imports {imported}") for w in upward())
    finally:
        GRAPH[importer].pop()


def sql_in(paths: list[Path]) -> list[str]:
    """Each string constant that holds SQL, and each call of execute, in ``paths``."""
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
            where = f"{shown}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if SQL.search(node.value):
                    found.append(f"{where}: {node.value.strip()[:60]!r}")
            elif isinstance(node, ast.Attribute) and node.attr in (
                "execute",
                "executemany",
                "executescript",
            ):
                found.append(f"{where}: .{node.attr}(")
    return found


def test_the_cli_and_the_tui_run_no_sql() -> None:
    """They parse, call the core and render: every statement lives in the core."""
    ui = [
        *(ROOT / "casecli" / "cli").rglob("*.py"),
        ROOT / "casecli" / "render.py",
        *(ROOT / "tui").rglob("*.py"),
    ]
    assert sql_in(ui) == []


def test_the_sql_finder_finds_sql(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        'A = "SELECT 1 FROM cases"\nB = "Select a case: a word, not a statement"\n'
        'C = "DELETE FROM wanted"\ndef f(conn):\n    conn.execute(A)\n'
        'D = f"{A} AND c.status = 1"\nE = "Or a sentence, from a person"\n'
    )
    assert sorted(s.split(": ", 1)[1] for s in sql_in([probe])) == [
        "'AND c.status = 1'",
        "'DELETE FROM wanted'",
        "'SELECT 1 FROM cases'",
        ".execute(",
    ]
