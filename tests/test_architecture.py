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
# SQL a statement or a condition holds, in capitals as this code base writes it; and, in
# any case, the shapes only a statement has (English text may say "select" or "from").
SQL = re.compile(
    r"\b(SELECT|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+"
    r"(TEMP\s+|UNIQUE\s+)?(TABLE|INDEX|VIEW|TRIGGER)|DROP\s+(TABLE|INDEX|VIEW)|PRAGMA|ATTACH|"
    r"WITH\s+\w+\s+AS|WHERE|AND|OR|FROM|JOIN|GROUP\s+BY|ORDER\s+BY)\b"
    r"|(?i:\b(insert\s+(or\s+\w+\s+)?into|replace\s+into|delete\s+from|update\s+\S+\s+set|"
    r"create\s+(temp\s+|unique\s+)?(table|index|view|trigger)|drop\s+(table|index|view)|"
    r"alter\s+table|vacuum\s+into\s+[?'\"]|pragma\s+\w+\s*[=(]|begin\s+(immediate|exclusive)|"
    r"select\s+[\w.*,() ]+\s+from\s+\w+(\s+\w+)?\s+(where|join|group|order|limit)|"
    r"\w+\.\w+\s*(=|<|>|is\s+(not\s+)?null|in\s*\()\s*[?'(:]))"
)
UI_LIBRARIES = ("typer", "rich", "textual", "click")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    files = [*(ROOT / "casecli").rglob("*.py"), *(ROOT / "tui").rglob("*.py")]
    return {module_name(p): p for p in files}


MODULES = sources()


def _resolve(node: ast.Import | ast.ImportFrom, package: str) -> Iterator[str]:
    """Every dotted name an import statement names (a module, or a module's attribute)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        up = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*up, base] if base else up)
    yield from (f"{base}.{alias.name}" for alias in node.names)


def _code_in(text: str) -> ast.Module | None:
    """Python a string holds when it is code run elsewhere (``python -c``, a second
    process's ``Apart("from casecli… import …")``): its imports count as the module's."""
    if not re.match(r"\s*(from|import)\s+(casecli|tui)\b", text):
        return None
    try:
        return ast.parse(text)
    except SyntaxError:
        return None


def named_imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """(dotted name, line) for each import in module ``name``: statements anywhere (at
    the top, in a function, under TYPE_CHECKING), ``importlib.import_module("…")`` and
    ``__import__("…")`` with a constant name, and code held in a string."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    trees = [(ast.parse(path.read_text(), str(path)), 0)]
    while trees:
        tree, offset = trees.pop()
        for node in ast.walk(tree):
            line = offset + getattr(node, "lineno", 0)
            if isinstance(node, ast.Import | ast.ImportFrom):
                yield from ((n, line) for n in _resolve(node, package))
            elif isinstance(node, ast.Call) and node.args:
                f = node.func
                called = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                first = node.args[0]
                if called in ("import_module", "__import__") and isinstance(first, ast.Constant):
                    yield str(first.value), line
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                code = _code_in(node.value)
                if code is not None:
                    trees.append((code, line - 1))


def imports_of(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """(module imported, line) for each casecli or tui module ``name`` imports."""
    for dotted, line in named_imports(name, path):
        while dotted and dotted not in MODULES:
            dotted = dotted.rpartition(".")[0]
        if dotted:
            yield dotted, line


GRAPH = {
    name: sorted({(m, line) for m, line in imports_of(name, path) if m != name})
    for name, path in MODULES.items()
}


# Every module belongs to one of these; a module that belongs to none (a new flat module
# in casecli/core, a new top-level casecli module) fails until its place is decided here.
UI = ("casecli.cli", "casecli.render", "casecli")  # the CLI, its renderer, the package
DATA = ("casecli.playbooks", "casecli.profiles")  # packaged TOML, no code


def part_of(module: str) -> str:
    """'views' for casecli.core.views.unit; 'shared' for casecli.core.words; 'tui' for
    tui.app; 'casecli.cli' for casecli.cli.main; '?' for a module with no place."""
    if module in SHARED:
        return "shared"
    parts = module.split(".")
    if parts[0] == "tui":
        return "tui"
    if parts[:2] == ["casecli", "core"]:
        if len(parts) == 2:
            return "core"
        return (
            parts[2]
            if parts[2] in MAY_IMPORT
            and len(parts) > 3
            or (parts[2] in MAY_IMPORT and module.endswith(parts[2]))
            else "?"
        )
    top = ".".join(parts[:2])
    if top in (*UI, *DATA, "casecli.demo"):
        return top
    return "?"


def test_every_module_has_its_place() -> None:
    assert [m for m in sorted(MODULES) if part_of(m) == "?"] == []


def test_a_module_out_of_place_is_caught() -> None:
    assert part_of("casecli.core.newthing") == "?"  # a flat core module, not shared
    assert part_of("casecli.helpers") == "?"  # a new top-level module
    assert part_of("casecli.core.views.unit") == "views"
    assert part_of("casecli.core.views") == "views"


def test_the_walk_sees_the_tree() -> None:
    """Guards the test itself: it found the modules and their imports."""
    assert {"casecli.core.views.unit", "casecli.core.store.store", "tui.app"} <= set(MODULES)
    assert ("casecli.core.store.store", 0) not in GRAPH["casecli.core.views.unit"]
    assert any(m == "casecli.core.local.kept" for m, _ in GRAPH["casecli.core.views.unit"])
    assert {part_of(m) for m in MODULES} >= {*MAY_IMPORT, "shared", "casecli.cli", "tui"}
    assert ("casecli.core.views.unit", 0) not in GRAPH["casecli.core.words"]


def test_imports_by_name_and_in_code_strings_count(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import importlib\n"
        "def f():\n"
        "    importlib.import_module('casecli.core.views.unit')\n"
        "    __import__('casecli.core.measures.score')\n"
        "CHILD = 'from casecli.core.local.kept import briefs; briefs()'\n"
        "WORDS = 'from the list, import what you need'\n"
        "from casecli.core import words\n"
    )
    found = sorted({m for m, _ in imports_of("casecli.core.store.probe", probe)})
    assert found == [
        "casecli.core.local.kept",
        "casecli.core.measures.score",
        "casecli.core.views.unit",
        "casecli.core.words",
    ]


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
                "cursor",
            ):
                found.append(f"{where}: .{node.attr}(")
    return found


def test_the_cli_and_the_tui_run_no_sql() -> None:
    """They parse, call the core and render: every statement lives in the core."""
    ui = [MODULES[m] for m in MODULES if part_of(m) in (*UI, "tui")]
    assert len(ui) > 30 and ROOT / "casecli" / "render.py" in ui
    assert sql_in(ui) == []


def test_the_sql_finder_finds_sql(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        'A = "SELECT 1 FROM cases"\nB = "Select a case: a word, not a statement"\n'
        'C = "DELETE FROM wanted"\ndef f(conn):\n    conn.execute(A)\n'
        'D = f"{A} AND c.status = 1"\nE = "Or a sentence, from a person"\n'
        'F = "select id from cases where x = 1"\nG = "c.status = \'open\' and 1"\n'
        'H = "Select one from the list below."\nI = "insert into t values (1)"\n'
    )
    found = sorted(s.split(": ", 1)[1] for s in sql_in([probe]))
    texts = [
        "AND c.status = 1",
        "DELETE FROM wanted",
        "SELECT 1 FROM cases",
        "c.status = 'open' and 1",
        "insert into t values (1)",
        "select id from cases where x = 1",
    ]
    assert found == sorted([*map(repr, texts), ".execute("])


def test_the_core_and_the_generator_use_no_ui_library_and_the_tui_no_cli_one() -> None:
    """The core and casecli.demo run headless (no typer, rich, textual or click, even
    lazily); the TUI builds on Textual and Rich, never on the CLI's typer or click."""
    wrong = []
    for name, path in MODULES.items():
        part = part_of(name)
        banned = UI_LIBRARIES if part in (*MAY_IMPORT, "shared", "core", "casecli.demo") else ()
        banned = ("typer", "click") if part == "tui" else banned
        for dotted, line in named_imports(name, path):
            if dotted.split(".")[0] in banned:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {dotted}")
    assert wrong == []


def test_the_kept_lists_are_stamped_with_every_folder_of_core_code() -> None:
    """A change to any code the kept rankings and evaluations are made with makes them
    stale (nextcache stamps them with each folder's files): every folder of the core that
    holds code is one it reads, however deep (a sub-subpackage too)."""
    from casecli.core.local import nextcache

    core = Path(nextcache.__file__).resolve().parents[1]
    folders = {p.parent for p in core.rglob("*.py")}
    assert folders <= set(nextcache._CODE_DIRS)
    assert core.parent / "playbooks" in nextcache._CODE_DIRS
