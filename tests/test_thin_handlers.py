"""Handlers stay thin: no SQL in an api/web module, no hand-rolled rollback in a page.

Every statement lives in a service function, where the caller's rights are part of the query;
a page that shows a refused form again undoes the refused call with `core.db.attempt`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "aifhub"
# What builds a statement, and what a session runs one (or undoes the request) with.
STATEMENTS = {"select", "insert", "update", "delete", "text", "union", "exists"}
SESSION_CALLS = {"execute", "scalar", "scalars", "get", "stream", "stream_scalars"}
UNDO_CALLS = {"rollback", "refresh"}
SESSION_TYPES = {"DbSession", "AsyncSession", "Session"}


def handler_modules() -> list[Path]:
    """Every api*.py and web*.py module of the package, and the web/ package's modules."""
    found = {p for p in SRC.rglob("*.py") if p.name.startswith(("api", "web"))}
    found |= set((SRC / "web").glob("*.py"))
    return sorted(found)


def _session_names(tree: ast.AST) -> set[str]:
    """Names that hold a session: `db`/`session`, parameters typed as one, `with maker() as x`."""
    names = {"db", "session"}
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            if any(
                isinstance(n, ast.Name) and n.id in SESSION_TYPES for n in ast.walk(node.annotation)
            ):
                names.add(node.arg)
        if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            call = node.context_expr
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                if "maker" in call.func.id:
                    names.add(node.optional_vars.id)
    return names


def violations(source: str) -> list[str]:
    """Each SQL statement, session query or session undo found in a module's source."""
    tree = ast.parse(source)
    sessions = _session_names(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            for alias in node.names:
                if alias.name in STATEMENTS:
                    out.append(f"line {node.lineno}: imports {alias.name} from {node.module}")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in STATEMENTS:
            out.append(f"line {node.lineno}: builds a statement with {func.id}()")
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in sessions
        ):
            if func.attr in SESSION_CALLS:
                out.append(f"line {node.lineno}: runs SQL with {func.value.id}.{func.attr}()")
            if func.attr in UNDO_CALLS:
                out.append(
                    f"line {node.lineno}: {func.value.id}.{func.attr}() by hand "
                    "(run the service call in `async with attempt(db):`)"
                )
    return out


def test_the_handler_list_is_not_empty() -> None:
    names = {p.relative_to(SRC).as_posix() for p in handler_modules()}
    assert {"identity/api.py", "support/api.py", "compute/web.py", "web/forms.py"} <= names


@pytest.mark.parametrize("path", handler_modules(), ids=lambda p: p.relative_to(SRC).as_posix())
def test_handler_runs_no_sql(path: Path) -> None:
    found = violations(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(SRC)}: move these into a service function:\n" + (
        "\n".join(found)
    )


def test_the_check_sees_each_kind_of_violation() -> None:
    source = """
from sqlalchemy import select
async def page(db: DbSession, other: AsyncSession, maker):
    await db.scalar(select(User))
    await other.execute(stmt)
    await db.get(User, 1)
    await db.rollback()
    async with maker() as s:
        await s.scalars(stmt)
    values.update(x=1)  # a dict, not SQL
"""
    found = violations(source)
    assert len(found) == 7, found
    assert any("imports select" in f for f in found)
    assert any("other.execute" in f for f in found)
    assert any("s.scalars" in f for f in found)
    assert any("db.rollback() by hand" in f for f in found)
    assert not any("update" in f for f in found)
