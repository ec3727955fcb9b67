"""The import graph of ``shared/lily`` holds no cycle (grimp, the graph import-linter builds), and only the
functions and local mode import the composition root."""

from __future__ import annotations

import grimp

# None: the last one (lily.local.runner <-> lily.local.serve) went with lily.local.net. No cycle may be added here.
KNOWN_CYCLES: set[frozenset[str]] = set()


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("lily", "functions", cache_dir=None)


def _cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The strongly connected components of more than one module among lily's modules (Tarjan, iterative)."""
    modules = sorted(m for m in graph.modules if m == "lily" or m.startswith("lily."))
    edges = {m: sorted(n for n in graph.find_modules_directly_imported_by(m) if n in modules or n == "lily")
             for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[set[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            recurse = False
            for j in range(i, len(edges[node])):
                nxt = edges[node][j]
                if nxt not in index:
                    work.append((node, j + 1))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if recurse:
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for m in ("lily.a", "lily.b", "lily.c", "lily.d"):
        graph.add_module(m)
    graph.add_import(importer="lily.a", imported="lily.b")
    graph.add_import(importer="lily.b", imported="lily.c")
    graph.add_import(importer="lily.c", imported="lily.a")
    graph.add_import(importer="lily.c", imported="lily.d")
    assert _cycles(graph) == [{"lily.a", "lily.b", "lily.c"}]


def test_shared_lily_has_no_import_cycle():
    cycles = [c for c in _cycles(_graph()) if frozenset(c) not in KNOWN_CYCLES]
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(sorted(c)) for c in cycles)


def test_only_functions_and_local_mode_import_the_composition_root():
    graph = _graph()
    importers = graph.find_modules_that_directly_import("lily.composition")
    wiring = ("functions.", "lily.local.")  # the operator CLI's entry point is functions/admin_cli
    wrong = sorted(m for m in importers if not m.startswith(wiring))
    assert wrong == []
    assert any(m.startswith("functions.") for m in importers)  # the functions do wire through it
