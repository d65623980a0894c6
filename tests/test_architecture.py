"""The tree's shape (issue 9): dependencies between parts point one way, files stay small.

A *part* is a top-level package (`trainer`, `pipelines`, `nni`) or a first-level member of
`kubetune` (`kubetune.engine`, `kubetune.results`, ...). Every import counts, including those
inside functions: a lazy import is still a dependency a reader has to follow.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ("kubetune", "trainer", "pipelines", "nni")
MAX_LINES = 500


def _generated(path: Path) -> bool:
    """protoc's output (Katib's api.proto compiled): checked in, never edited by hand."""
    return path.name.endswith(("_pb2.py", "_pb2_grpc.py", "_pb2.pyi"))


def _sources() -> list[Path]:
    return sorted(p for d in SOURCE_DIRS for p in (ROOT / d).rglob("*.py") if not _generated(p))


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _part(module: str) -> str:
    bits = module.split(".")
    return ".".join(bits[:2]) if bits[0] == "kubetune" and len(bits) > 1 else bits[0]


def _imports(path: Path) -> set[str]:
    module = _module(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                found.add(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                found.add(node.module)
    return {name for name in found if name.split(".")[0] in SOURCE_DIRS}


def part_graph() -> dict[str, dict[str, list[str]]]:
    """part -> {imported part: [files that import it]}."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in _sources():
        src = _part(_module(path))
        for name in _imports(path):
            dst = _part(name)
            if dst != src and dst != "kubetune":
                graph[src][dst].append(str(path.relative_to(ROOT)))
    return graph


def _cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def test_no_import_cycle_between_parts():
    graph = part_graph()
    described = []
    for cycle in _cycles(graph):
        edges = [f"{a} -> {b} ({', '.join(sorted(set(graph[a][b])))})" for a, b in zip(cycle, cycle[1:])]
        described.append("\n  ".join(edges))
    assert not described, "import cycles between parts:\n  " + "\n\n  ".join(described)


def test_trainer_depends_on_nothing_in_kubetune():
    graph = part_graph()
    bad = {dst: files for dst, files in graph.get("trainer", {}).items() if dst.startswith("kubetune")}
    assert not bad, f"trainer imports kubetune: {bad}"


def test_bottom_layers_import_no_part_above_them():
    """results (trial rows, the best-trial and objective-selection rules), gocompat (Go semantics)
    and numbers (formatting for people) are what every other part builds on."""
    graph = part_graph()
    bottom = {"kubetune.results", "kubetune.gocompat", "kubetune.numbers"}
    bad = {src: {dst: files for dst, files in graph[src].items() if dst not in bottom}
           for src in bottom if graph.get(src)}
    assert not any(bad.values()), f"bottom-layer parts import other parts: {bad}"


def test_experiment_and_algorithms_stay_below_the_executors():
    """The spec model knows no algorithm; algorithms know neither engine nor cluster (so the
    local engine and the Katib services serve the same code)."""
    graph = part_graph()
    allowed = {"kubetune.experiment": {"kubetune.results", "kubetune.gocompat", "kubetune.numbers"},
               "kubetune.algorithms": {"kubetune.experiment", "kubetune.results", "kubetune.gocompat",
                                       "kubetune.numbers"}}
    bad = {src: {dst: files for dst, files in graph.get(src, {}).items() if dst not in ok}
           for src, ok in allowed.items()}
    assert not any(bad.values()), f"imports above their layer: {bad}"


def test_no_source_file_over_the_limit():
    long = [f"{p.relative_to(ROOT)} ({n} lines)" for p in _sources()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not long, f"source files over {MAX_LINES} lines (two jobs in one file?): {long}"


def test_the_checker_sees_cycles_and_lazy_imports(tmp_path):
    # The rule itself must be able to fail: a function-level import closing a loop is a cycle.
    graph = {"a": {"b": ["a.py"]}, "b": {"a": ["b.py"]}}
    assert _cycles(graph)
    lazy = tmp_path / "kubetune" / "x" / "m.py"
    lazy.parent.mkdir(parents=True)
    lazy.write_text("def f():\n    from kubetune.y import z\n    from ..w import v\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert _imports(lazy) == {"kubetune.y", "kubetune.w"}
    finally:
        ROOT = saved
