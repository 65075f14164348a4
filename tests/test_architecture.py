"""The layers hold: one boundary to the generated code, imports one way, no cycles, and no
module reaching into another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

FACADE = Path(__file__).resolve().parent.parent / "facade" / "jobwise"
EMULATOR = Path(__file__).resolve().parent.parent / "emulator" / "jobwise_emulator"


def module_name(path: Path, root: Path, package: str) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join((package, *parts)).removesuffix(".__init__")


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def facade_graph() -> dict[str, set[str]]:
    modules = {module_name(p, FACADE, "jobwise"): p for p in FACADE.rglob("*.py")}
    return {
        name: {i for i in imports(path) if i in modules and i != name}
        for name, path in modules.items()
    }


def test_only_the_api_boundary_imports_the_generated_operations() -> None:
    for path in FACADE.rglob("*.py"):
        name = module_name(path, FACADE, "jobwise")
        touches = {i for i in imports(path) if i.startswith("jobwise_api.api")}
        if touches:
            assert name.startswith("jobwise._api."), f"{name} imports {sorted(touches)}"


def test_the_facade_has_no_import_cycle() -> None:
    graph = facade_graph()
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, "import cycle: " + " -> ".join([*path, name])
        if name in done:
            return
        for target in graph[name]:
            visit(target, [*path, name])
        done.add(name)

    for name in graph:
        visit(name, [])


def test_the_sync_and_async_layers_never_import_each_other() -> None:
    for name, targets in facade_graph().items():
        if name.startswith("jobwise._async"):
            assert not any(t.startswith("jobwise._sync") for t in targets), name
        if name.startswith("jobwise._sync"):
            assert not any(t.startswith("jobwise._async") for t in targets), name


def test_the_emulator_imports_nothing_of_the_client() -> None:
    for path in EMULATOR.rglob("*.py"):
        bad = {i for i in imports(path) if i.split(".")[0] in ("jobwise", "jobwise_api")}
        assert not bad, f"{path.name} imports {sorted(bad)}"


def test_no_module_uses_another_objects_private_attribute() -> None:
    """``x._name`` is allowed on ``self``/``cls`` only (and dunders), everywhere in the facade,
    except the generated code's request builders, which the boundary calls by design."""
    for path in FACADE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
                continue
            if node.attr.startswith("__") or node.attr == "_get_kwargs":
                continue
            owner = node.value
            assert isinstance(owner, ast.Name) and owner.id in ("self", "cls"), (
                f"{path.relative_to(FACADE)}:{node.lineno} uses .{node.attr} of another object"
            )


LAYERS = (
    ("jobwise.cli", 6),
    ("jobwise._async", 4),
    ("jobwise._sync", 4),
    ("jobwise.batch", 3),
    ("jobwise.errors", 1),
    ("jobwise.models", 1),
    ("jobwise._api", 2),
    ("jobwise._version", 0),
)
"""cli -> public jobwise -> _async/_sync -> batch -> shared decisions -> errors and models
(docs/ARCHITECTURE.md). Unnamed modules are shared decisions (2), as is _api, the one boundary
to the generated operations, which reads them."""


def layer(name: str) -> int:
    if name == "jobwise":
        return 5
    for prefix, rank in LAYERS:
        if name == prefix or name.startswith(prefix + "."):
            return rank
    return 2


def test_imports_point_down_the_layers_only() -> None:
    """Each import goes to the same layer or one below, so no module reaches a layer above it
    through any chain of imports either (the batch engine never reaches a client)."""
    wrong = [
        f"{name} -> {target}"
        for name, targets in facade_graph().items()
        for target in targets
        if layer(target) > layer(name)
    ]
    assert not wrong, wrong


# Test files that name a feature rather than a module (tests/live/ holds live tests by kind).
FEATURES = {
    "answers",
    "architecture",
    "cassettes",
    "contract",
    "fuzz",
    "hygiene",
    "packaging",
    "writerai",
}
FEATURES |= {"batch/guarantees", "cli/readme", "emulator/server"}


def test_every_test_file_names_a_module_or_a_documented_feature() -> None:
    tests = Path(__file__).resolve().parent
    for path in tests.rglob("test_*.py"):
        relative = path.relative_to(tests).with_suffix("")
        if relative.parts[0] in ("live", "sim"):
            continue
        name = "/".join((*relative.parts[:-1], relative.name.removeprefix("test_")))
        module = FACADE / f"{name}.py"
        assert module.exists() or name in FEATURES, f"{path} names no module of jobwise"
