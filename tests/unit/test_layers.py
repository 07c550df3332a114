"""Imports point down (STYLE.md rule 14): a lower layer never imports a higher one.

api -> workflows -> state -> pacs/auth/observability -> seg -> store -> imaging/db -> config.
`state` (the typed application state) holds the PACS clients, the authenticator
and the metrics, so it sits above them and below the workflows that use it; the
composition root (app, services, cli and its export_cli) wires everything and is on top.
"""

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "service" / "segdicom"

# Lowest first. A module may import its own layer and those below.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset(
        {"__init__", "config", "errors", "enums", "uids", "process", "jobs", "bundled", "asgi"}
    ),
    frozenset({"imaging", "db", "masks"}),
    frozenset({"store"}),
    frozenset({"seg"}),
    frozenset({"pacs", "auth", "observability"}),
    frozenset({"state"}),
    frozenset({"workflows"}),
    frozenset({"api"}),
    frozenset({"app", "services", "middleware", "cli", "export_cli", "__main__"}),
)
RANK = {part: rank for rank, layer in enumerate(LAYERS) for part in layer}


def part_of(path: Path) -> str:
    """The top-level part a file belongs to: its subpackage, or its own module name."""
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_parts(path: Path) -> set[str]:
    """The parts of segdicom that `path` imports (absolute imports; relative ones are
    inside its own part)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "segdicom":  # a submodule, or a name of the package's __init__
                names = [f"segdicom.{_part_named(alias.name)}" for alias in node.names]
        found |= {n.split(".")[1] for n in names if n.startswith("segdicom.")}
    return found


def _part_named(name: str) -> str:
    is_part = (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()
    return name if is_part else "__init__"


def import_graph() -> dict[str, set[str]]:
    """part -> the other parts it imports."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in sorted(PACKAGE.rglob("*.py")):
        part = part_of(path)
        graph[part] |= imported_parts(path) - {part}
    return graph


def test_every_part_of_the_package_has_a_layer() -> None:
    assert set(import_graph()) - set(RANK) == set()


def test_no_part_imports_a_higher_layer() -> None:
    upward = [
        f"{part} (layer {RANK[part]}) imports {target} (layer {RANK[target]})"
        for part, targets in sorted(import_graph().items())
        for target in sorted(targets)
        if RANK.get(target, -1) > RANK.get(part, len(LAYERS))
    ]
    assert upward == []


# What writing a query looks like (in a module that uses SQLAlchemy at all).
SQL = ("select(", "session.execute", "session.scalar", "session.get(", ".query(", 'text("')
# ORM writes, found in any module: a session handed in needs no sqlalchemy import.
ORM_WRITES = ("session.add(", "session.add_all(", "session.delete(", "session.merge(")


def sql_outside_db() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if part_of(path) == "db":
            continue
        source = path.read_text()
        words = ORM_WRITES + (SQL if "sqlalchemy" in source else ())
        found += [f"{path.relative_to(PACKAGE)}: {word}" for word in words if word in source]
    return found


def test_sql_is_written_in_db_only() -> None:
    assert sql_outside_db() == []


MAX_LINES = 400  # issue 15: no module over 400 lines (split by concept, as starlette does)


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


if __name__ == "__main__":  # print the graph: python tests/unit/test_layers.py
    for part, targets in sorted(import_graph().items(), key=lambda kv: RANK.get(kv[0], 99)):
        print(f"{part:14} -> {', '.join(sorted(targets, key=lambda t: -RANK.get(t, 99)))}")


def _own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's own body, not of the functions defined inside it."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        yield child
        yield from _own_nodes(child)


def test_async_handlers_leave_the_database_to_worker_threads() -> None:
    """ARCHITECTURE "Layers": blocking work never runs on the event loop; an `async def`
    endpoint reaches the database only through run_in_threadpool."""
    offenders = []
    for path in sorted((PACKAGE / "api").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.AsyncFunctionDef):
                continue
            if any(isinstance(n, ast.Attribute) and n.attr == "sessions" for n in _own_nodes(node)):
                offenders.append(f"{path.name}:{node.name}")
    assert offenders == []
