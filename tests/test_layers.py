"""The import rules of the architecture, checked on the source (no imports are executed).

- ``storage_backends`` imports only the wire layer (``gateway.wire``) from ``gateway``;
- ``gateway.wire`` imports nothing else of ``gateway`` and nothing of ``storage_backends``;
- the rest of ``gateway`` reaches storage only through ``storage_backends.base``, ``.identity``, ``.outbox``,
  ``.usage``, ``.holders``, ``.state_cache`` and ``.loader``;
- no handler module imports another handler module;
- SQL lives in the catalog: no other module executes statements on a database connection;
- there are no import cycles between modules, lazy (function-level) imports included (imports under
  ``if TYPE_CHECKING:`` only serve annotations and are not counted there; the layer rules count them).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("gateway", "storage_backends")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((REPO / pkg).rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The module an import names: ``gateway.wire.xml`` or, for ``from pkg import name``, the package."""
    known = modules()
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, *, runtime: bool = False) -> Iterator[tuple[str, int]]:
    """(imported project module, line) for every import statement in ``module``, at any depth
    (``runtime``: without those under ``if TYPE_CHECKING:``, which only serve annotations)."""
    path = modules()[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    type_only: set[int] = set()
    if runtime:
        type_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and _is_type_checking(block.test)
                     for stmt in block.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names] or [base]
        else:
            continue
        for name in names:
            if name.split(".")[0] in PACKAGES:
                target = _resolve(name)
                if target is not None and target != module:
                    yield target, node.lineno


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _violations(sources: str, forbidden: re.Pattern[str], allowed: re.Pattern[str] | None = None) -> list[str]:
    found = []
    for module in modules():
        if not re.match(sources, module):
            continue
        for target, line in imports_of(module):
            if forbidden.match(target) and not (allowed and allowed.match(target)):
                found.append(f"{modules()[module].relative_to(REPO)}:{line} imports {target}")
    return found


def test_storage_imports_only_the_wire_layer_from_gateway() -> None:
    assert _violations(r"storage_backends(\.|$)", re.compile(r"gateway(\.|$)"),
                       re.compile(r"gateway(\.wire(\.|$)|$)")) == []


def test_wire_layer_imports_nothing_above_it() -> None:
    assert _violations(r"gateway\.wire(\.|$)", re.compile(r"(gateway|storage_backends)(\.|$)"),
                       re.compile(r"gateway(\.wire(\.|$)|$)")) == []


def test_gateway_reaches_storage_only_through_its_protocol_and_loader() -> None:
    allowed = r"storage_backends(\.(base|identity|outbox|usage|holders|state_cache|loader))?$"
    assert _violations(r"gateway(\.|$)", re.compile(r"storage_backends(\.|$)"), re.compile(allowed)) == []


def test_handlers_import_no_other_handler() -> None:
    assert _violations(r"gateway\.handlers\.", re.compile(r"gateway\.handlers\.")) == []


_SQL_CALL = re.compile(r"\.(execute|executemany|executescript)\(|\bimport sqlite3\b|\bimport psycopg\b")


def test_sql_lives_only_in_the_catalog() -> None:
    outside = [f"{path.relative_to(REPO)}:{n}" for module, path in modules().items()
               # (the postgresql:// notification target writes to a broker's table, not our metadata; the
               # redis:// one executes a Redis pipeline)
               if not module.startswith("storage_backends.catalog")
               and module not in ("gateway.events.targets.postgresql", "gateway.events.targets.redis")
               for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
               if _SQL_CALL.search(line)]
    outside += [f"{path.relative_to(REPO)}:{n}" for path in sorted((REPO / "bench").glob("*.py"))
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                if _SQL_CALL.search(line)]
    assert outside == []


def _cycle() -> list[str] | None:
    graph = {m: sorted({t for t, _ in imports_of(m, runtime=True)}) for m in modules()}
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for module in graph:
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycles() -> None:
    assert _cycle() is None


@pytest.mark.parametrize("rule", ["storage->gateway", "handler->handler"])
def test_the_rules_catch_what_they_forbid(rule: str) -> None:
    """The checks are real: on today's tree a known-good edge exists and a forbidden one would be reported."""
    if rule == "storage->gateway":
        assert ("gateway.wire.errors" in {t for t, _ in imports_of("storage_backends.base")})
        assert _violations(r"storage_backends\.base$", re.compile(r"gateway\.wire\."), None)  # would be caught
    else:
        assert _violations(r"gateway\.operations$", re.compile(r"gateway\.handlers\."))  # the table imports them
