"""The package's shape, held against the code: a library with two thin doors (issue 10).

Read with ast, nothing is run. Imports inside functions and under TYPE_CHECKING count: hiding an import does not
remove the dependency. Importing `a.b.c` also runs the packages `a.b` (its __init__), so that counts as well.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "xlplugin"
DOORS = {"xlplugin.cli", "xlplugin.ribbon", "xlplugin.demo"}


def modules() -> dict[str, Path]:
    out = {}
    for p in PACKAGE.rglob("*.py"):
        parts = p.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


def import_graph() -> dict[str, set[str]]:
    mods = modules()

    def owner(name: str) -> str | None:  # the module an imported name lives in
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, path in mods.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = m.split(".") if is_pkg else m.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in mods else stem for a in node.names]
            for t in targets:
                t = owner(t) if t.startswith("xlplugin") else None
                while t and t != "xlplugin":  # the module and every package __init__ that importing it runs
                    if t != m and not m.startswith(t + "."):
                        graph[m].add(t)
                    t = t.rpartition(".")[0]
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for w in graph[todo.pop()]:
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def test_the_import_graph_has_no_circle():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_circle():
    """The check above can fail: a graph with a circle is reported."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_nothing_in_the_library_imports_a_front_door():
    graph = import_graph()
    assert DOORS <= set(graph), "the doors are cli.py, ribbon.py and demo.py"
    back = sorted(f"{m} -> {t}" for m, targets in graph.items() if m not in DOORS for t in targets if t in DOORS)
    assert back == []


def test_reading_a_form_never_imports_the_writer():
    graph = import_graph()
    for reader in ("xlplugin.forms.read", "xlplugin.forms.inputs", "xlplugin.forms.spec", "xlplugin.forms.meta"):
        assert "xlplugin.forms.write" not in reachable(graph, reader), reader


def test_every_module_says_its_role():
    missing = [name for name, path in modules().items()
               if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))]
    assert missing == []


def test_a_long_module_says_why_it_is_one_piece():
    """Over 500 lines, a module's docstring must say why it is not split ("one piece")."""
    long = [name for name, path in modules().items() if len(path.read_text(encoding="utf-8").splitlines()) > 500
            and "one piece" not in (ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "").lower()]
    assert long == []


def test_no_sheet_name_is_spelled_outside_the_ledger():
    """Every sheet of the office workbook is named in ledger.py only: other modules ask it."""
    from xlplugin import ledger

    names = {s.name for s in ledger.ALL_SHEETS if s.name not in {c for s in ledger.ALL_SHEETS for c in s.columns}}
    # also words of the domain: sources, column headers of the result tables, what is sent
    names -= {"评议", "领导", "加分", "单位", "指标", "等次", "考评部门", "考评期", "评议组", "总排名", "一票否决", "反馈"}
    found = []
    for name, path in modules().items():
        if name == "xlplugin.ledger":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
                found.append(f"{name}: {node.value}")
    assert found == []
