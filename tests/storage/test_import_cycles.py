"""No import cycle inside the otdesk package: the layers depend one way (issue 13).

The graph is read from the source with ast, so an import inside a function counts as much
as one at the top (a cycle hidden in a function still ties the modules together). Counted:
`import a.b`, `from a import b` (the submodule b when there is one, else the module a),
relative imports, the names a package loads on first use (otdesk.lazy_names: its `_FROM`
table names the submodule), and otdesk module names spelled out in a module that imports
by name (importlib.import_module). Not counted: imports under `if TYPE_CHECKING:`, which
never run (they only serve the type checker).
"""

from __future__ import annotations

import ast
from pathlib import Path

import otdesk

Graph = dict[str, dict[str, int]]  # module -> {module it imports: first line}


def _modules(root: Path, package: str) -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


def _lazy_names(tree: ast.Module, package: str) -> dict[str, str]:
    """A package's `_FROM = {"Name": "submodule"}` table (otdesk.lazy_names)."""
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(node, ast.AnnAssign):
            target = node.target
        if isinstance(target, ast.Name) and target.id == "_FROM":
            value = node.value
            if isinstance(value, ast.Dict):
                return {
                    key.value: f"{package}.{home.value}"
                    for key, home in zip(value.keys, value.values, strict=True)
                    if isinstance(key, ast.Constant) and isinstance(home, ast.Constant)
                }
    return {}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph(root: Path, package: str) -> Graph:
    """Which modules of `package` (its folder `root`) each of its modules imports."""
    modules = _modules(root, package)
    trees = {
        name: ast.parse(path.read_text(encoding="utf-8")) for name, (path, _) in modules.items()
    }
    lazy = {name: _lazy_names(trees[name], name) for name, (_, pkg) in modules.items() if pkg}

    def owner(dotted: str) -> str | None:
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    graph: Graph = {}
    for name, (_, is_package) in modules.items():
        here = name if is_package else name.rpartition(".")[0]
        edges: dict[str, int] = {}

        def add(target: str | None, line: int, name: str = name, edges: dict = edges) -> None:
            if target is not None and target != name:
                edges.setdefault(target, line)

        def visit(node: ast.AST, here: str = here) -> None:
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                for child in node.orelse:
                    visit(child)
                return
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(owner(alias.name), node.lineno)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = here.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                if base in modules:
                    for alias in node.names:
                        submodule = f"{base}.{alias.name}"
                        if submodule in modules:
                            add(submodule, node.lineno)
                        else:
                            add(base, node.lineno)
                            add(lazy.get(base, {}).get(alias.name), node.lineno)
                else:
                    add(owner(base), node.lineno)
            for child in ast.iter_child_nodes(node):
                visit(child)

        tree = trees[name]
        visit(tree)
        if any(
            isinstance(node, ast.Attribute | ast.Name)
            and getattr(node, "attr", getattr(node, "id", None)) == "import_module"
            for node in ast.walk(tree)
        ):
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and node.value in modules:
                    add(node.value, node.lineno)
        graph[name] = edges
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The groups of modules that import each other (strongly connected, two or more),
    each sorted, found with Tarjan's algorithm (iteratively: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in graph:
                    continue
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph[target])))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
    return found


def describe(graph: Graph, group: list[str]) -> str:
    lines = [f"import cycle among {', '.join(group)}:"]
    for module in group:
        for target, line in sorted(graph[module].items()):
            if target in group:
                lines.append(f"  {module} line {line} imports {target}")
    return "\n".join(lines)


def test_the_otdesk_package_has_no_import_cycle():
    root = Path(otdesk.__file__).parent
    graph = import_graph(root, "otdesk")
    assert "otdesk.services.visits" in graph and graph["otdesk.services.visits"]
    found = cycles(graph)
    assert found == [], "\n\n".join(describe(graph, group) for group in found)


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path):
    root = _package(
        tmp_path,
        {
            "low.py": "def later():\n    from pkg.high import thing\n    return thing\n",
            "high.py": "from pkg import low\nthing = 1\n",
            "side.py": "from pkg import low\n",
        },
    )
    graph = import_graph(root, "pkg")
    found = cycles(graph)
    assert found == [["pkg.high", "pkg.low"]]
    assert "pkg.low line 2 imports pkg.high" in describe(graph, found[0])


def test_relative_lazy_and_by_name_imports_count_and_type_checking_ones_do_not(tmp_path):
    root = _package(
        tmp_path,
        {
            "a.py": "from .b import x\n",
            "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n",
            "sub/__init__.py": '_FROM = {"Thing": "inner"}\n',
            "sub/inner.py": "from pkg.sub import other\n",
            "sub/other.py": "def f():\n    from pkg.sub import Thing\n",
            "cli.py": 'import importlib\nNAMES = ("pkg.cmd",)\nimportlib.import_module(NAMES[0])\n',
            "cmd.py": "from pkg.cli import NAMES\n",
        },
    )
    graph = import_graph(root, "pkg")
    assert "pkg.b" in graph["pkg.a"] and "pkg.a" not in graph["pkg.b"]
    assert sorted(cycles(graph)) == [["pkg.cli", "pkg.cmd"], ["pkg.sub.inner", "pkg.sub.other"]]
