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
    "exported_members",
    "contract",
    "fuzz",
    "hygiene",
    "packaging",
    "writerai",
}
FEATURES |= {"batch/guarantees", "cli/readme"}


def test_every_test_file_names_a_module_or_a_documented_feature() -> None:
    """``tests/batch/test_state.py`` names ``jobwise/batch/state.py``, and
    ``tests/emulator/test_faults.py`` the emulator's ``faults.py``."""
    tests = Path(__file__).resolve().parent
    for path in tests.rglob("test_*.py"):
        relative = path.relative_to(tests).with_suffix("")
        if relative.parts[0] in ("live", "sim"):
            continue
        name = "/".join((*relative.parts[:-1], relative.name.removeprefix("test_")))
        module = FACADE / f"{name}.py"
        if relative.parts[0] == "emulator":
            module = EMULATOR / f"{name.removeprefix('emulator/')}.py"
        assert module.exists() or name in FEATURES, f"{path} names no module of jobwise"


def hand_written() -> list[Path]:
    """The facade's modules but the sync ones, which scripts/unasync.py writes from _async."""
    return [p for p in FACADE.rglob("*.py") if "_sync" not in p.relative_to(FACADE).parts]


def test_no_module_is_over_400_lines_and_no_class_over_300() -> None:
    """A module holds one concept and a class one object (issue 29's house rules)."""
    for path in hand_written():
        text = path.read_text()
        assert text.count("\n") <= 400, f"{path.relative_to(FACADE)}: {text.count(chr(10))} lines"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                size = node.end_lineno - node.lineno + 1
                assert size <= 300, f"{path.relative_to(FACADE)}: class {node.name}, {size} lines"


# Item statuses no server job has (a job can be submitted, completed or failed too).
ITEM_ONLY = {"pending", "sending", "unknown", "retrying", "invalid", "ambiguous", "timed_out"}


def test_item_statuses_are_spelled_only_by_the_status_enum() -> None:
    """Everywhere else names ``ItemStatus`` members, so a status is renamed in one place."""
    allowed = {FACADE / "batch" / "items.py"}
    for path in hand_written():
        if path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in ITEM_ONLY:
                raise AssertionError(f"{path.relative_to(FACADE)}:{node.lineno} {node.value!r}")


def test_the_cli_reads_the_state_file_through_the_library() -> None:
    """No ``ATTACH`` or SQL of the state file's table in the CLI: it reads
    ``jobwise.batch.reader`` (rows in input order), so the file's layout is the library's."""
    for path in (FACADE / "cli").rglob("*.py"):
        text = path.read_text()
        assert "ATTACH" not in text.upper(), path.name
        assert "FROM items" not in text, path.name
