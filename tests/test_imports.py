"""The layers point one way: no import cycle among approxgen's modules, counting every import
statement (module level and inside functions); and ``approxgen.fit`` / ``approxgen.emit`` are the
API's functions while the subpackages of the same names still import."""

from __future__ import annotations

import ast
import pydoc
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "approxgen"


def import_graph() -> dict[str, set[str]]:
    """Module -> the approxgen modules it imports anywhere (``from approxgen import forms`` names
    the submodule ``approxgen.forms``; ``from approxgen.x import name`` the module ``x``)."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    head = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(head + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    found.add(target)
        graph[name] = found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    assert {"approxgen.fitting", "approxgen.forms.pwl", "approxgen.emit.c"} <= set(graph)
    assert "approxgen.fit.problem" in graph["approxgen.fitting"]  # function-level ones count too
    assert cycles(graph) == []


def test_the_cycle_check_sees_a_cycle_through_a_function_level_import():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_forms_import_no_emitter_and_no_driver():
    graph = import_graph()
    for name in (m for m in graph if m.startswith("approxgen.forms")):
        assert not {m for m in graph[name] if m.startswith(("approxgen.emit", "approxgen.fitting",
                                                            "approxgen.artifact"))}, name


def test_fit_and_emit_are_the_api_functions_and_the_subpackages_import():
    script = """
import sys, pydoc
import approxgen
assert "numpy" not in sys.modules
import approxgen.fit.problem, approxgen.emit.c  # the subpackages
from approxgen.fit import segment
from approxgen.emit import EMITTERS
import approxgen.api as api
assert approxgen.fit is api.fit and approxgen.emit is api.emit, (approxgen.fit, approxgen.emit)
print(pydoc.render_doc(approxgen.fit, renderer=pydoc.plaintext))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "function fit in module approxgen.api" in out.stdout
    assert "fit(function_or_spec: 'str | Path | dict', *, calibrate" in out.stdout
    assert "Fit a built-in function name, a spec mapping or a spec file" in out.stdout
    import approxgen

    assert "Render ``fit`` as the text of ``target``" in pydoc.render_doc(approxgen.emit)
