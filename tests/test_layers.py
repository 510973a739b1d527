"""The house by layer: the folders are the architecture, and this test keeps them so.

    settings → data → core → energy / attacks → runs → api → cli      (errors, io, stats, viz: anyone's)

No module imports a higher layer (function-level imports included), the module-level import graph has no cycle,
no module is over 400 lines nor any function over 60, and at most 8 modules sit directly in src/spiketext/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "spiketext"
LAYERS = {"settings": 1, "data": 2, "core": 3, "energy": 4, "attacks": 4, "runs": 5, "api": 6, "cli": 7}
SHARED = {"errors", "io", "stats", "viz", "__init__"}  # the foundation: importable from every layer


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__") or "__init__"


def layer(module: str) -> tuple[str, int]:
    top = module.split(".")[0]
    if top in SHARED:
        return top, 0
    return top, LAYERS[top]


def imports(path: Path, module_level_only: bool = False) -> list[tuple[str, int]]:
    """(imported spiketext module, line) for every import in the file."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("spiketext"):
            base = node.module.removeprefix("spiketext").lstrip(".")
            if base:
                found.append((base, node.lineno))
            else:  # from spiketext import x (a module, or a name of the package's own __init__)
                found += [(a.name if (SRC / a.name).exists() or (SRC / f"{a.name}.py").exists() else "__init__",
                           node.lineno) for a in node.names]  # fmt: skip
        elif isinstance(node, ast.Import):
            found += [(a.name.removeprefix("spiketext."), node.lineno) for a in node.names
                      if a.name.startswith("spiketext.")]  # fmt: skip
    return found


MODULES = sorted(p for p in SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_no_module_imports_a_higher_layer(path):
    name, own = layer(module_name(path))
    for imported, line in imports(path):
        other, level = layer(imported)
        if own == 0:  # the foundation imports only the foundation
            assert level == 0, f"{module_name(path)}:{line} imports {imported}"
            continue
        assert level < own or other == name, f"{module_name(path)} (layer {name}):{line} imports {imported} ({other})"


def test_the_module_level_import_graph_has_no_cycle():
    graph = {module_name(p): {m for m, _ in imports(p, module_level_only=True)} for p in MODULES}
    known = set(graph)

    def resolve(m: str) -> str | None:  # "core.models.textcnn" or a package's own name
        return m if m in known else None

    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for dep in graph.get(m, ()):
            d = resolve(dep)
            if d is None:
                continue
            assert state.get(d) != 1, "import cycle: " + " -> ".join([*stack, m, d])
            if d not in state:
                visit(d, [*stack, m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_modules_and_functions_stay_short(path):
    text = path.read_text()
    assert len(text.splitlines()) <= 400, f"{module_name(path)}: {len(text.splitlines())} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            assert length <= 60, f"{module_name(path)}.{node.name}: {length} lines"


def test_at_most_eight_modules_sit_directly_in_the_package_and_every_folder_is_a_layer():
    direct = sorted(p.name for p in SRC.glob("*.py"))
    assert len(direct) <= 8, direct
    # a folder of modules is a layer; a folder of data (the released models) holds no module
    folders = {p.name for p in SRC.iterdir() if p.is_dir() and not p.name.startswith("__") and any(p.rglob("*.py"))}
    assert folders <= set(LAYERS), folders - set(LAYERS)
