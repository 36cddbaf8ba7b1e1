"""The package's layers, read from the source: the core names no family and no front end, families
name no front end, no module imports another in a circle, and no function imports a cvae_tf module.

Each module's layer follows from its package path: ``cvae_tf.core.*`` is the core,
``cvae_tf.families.*`` the families, and the rest (the package's front door, the CLI, the server,
the widgets, the exporters) the front ends. Imports inside functions count as much as those at the
top of a file, so the AST of every file is walked whole.
"""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import cvae_tf

ROOT = Path(cvae_tf.__file__).parent
ORDER = {"core": 0, "families": 1, "front": 2}


def module_files() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its ``__init__.py``)."""
    modules = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = module_files()


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("core", "families"):
        return parts[1]
    return "front"


def resolve(name: str) -> str:
    """The module that an imported dotted name lives in (``a.b.c`` → ``a.b`` when c is a name)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def imports_of(module: str) -> list[tuple[str, int, bool]]:
    """(imported cvae_tf module, line, inside a function) for every import statement of ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names if alias.name.startswith("cvae_tf")]
                found.extend((resolve(name), child.lineno, inner) for name in names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:  # relative: from the module's own package upwards
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                if base.startswith("cvae_tf"):
                    for alias in child.names:
                        full = f"{base}.{alias.name}"
                        found.append((full if full in MODULES else resolve(base), child.lineno, inner))
            visit(child, inner)

    visit(tree, False)
    return [(target, line, inner) for target, line, inner in found if target and target != module]


GRAPH = {module: imports_of(module) for module in MODULES}


def where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT.parent)}:{line}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports(name):
    importlib.import_module(name)


def test_the_walk_finds_every_module_python_finds():
    found = {info.name for info in pkgutil.walk_packages([str(ROOT)], prefix="cvae_tf.")}
    assert found <= set(MODULES), sorted(found - set(MODULES))


def test_imports_point_down_only():
    offenders = [
        f"{where(module, line)}: {module} ({layer(module)}) imports {target} ({layer(target)})"
        for module, edges in GRAPH.items()
        for target, line, _ in edges
        if ORDER[layer(target)] > ORDER[layer(module)]
    ]
    assert not offenders, "imports from a lower layer up to a higher one:\n" + "\n".join(offenders)


def test_no_function_imports_a_cvae_tf_module():
    offenders = [
        f"{where(module, line)}: {module} imports {target} inside a function"
        for module, edges in GRAPH.items()
        for target, line, inside in edges
        if inside
    ]
    assert not offenders, "imports of cvae_tf modules belong at the top of the file:\n" + "\n".join(offenders)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of imports as [a, b, …, a], or None (a depth-first search)."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_no_module_imports_another_in_a_circle():
    cycle = find_cycle({module: {target for target, _, _ in edges} for module, edges in GRAPH.items()})
    assert cycle is None, "an import circle: " + " → ".join(cycle)


def test_the_cycle_finder_finds_a_circle_and_the_layers_are_read_from_the_path():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert layer("cvae_tf.core.runs") == "core" and layer("cvae_tf.families.mnist.data") == "families"
    assert layer("cvae_tf.cli") == layer("cvae_tf.serve.app") == layer("cvae_tf") == "front"


def test_the_core_names_no_family():
    """No core module imports a family (checked above) nor names a built-in family or its data."""
    named = [
        f"{where(module, 1)}: names {word!r}"
        for module, path in MODULES.items()
        if layer(module) == "core"
        for word in ("mnist_cvae", "face_cvae", "pix2pix", "classify_nums", "conv_vae", "face_conditions")
        if f'"{word}"' in path.read_text()
    ]
    assert not named, "\n".join(named)
