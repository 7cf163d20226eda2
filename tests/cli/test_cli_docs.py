"""docs/cli.md lists every `aifhub` command, and names no command that does not exist."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main

from aifhub.cli import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _commands() -> dict[str, set[str]]:
    """Top-level command -> its subcommands (empty for a plain command)."""
    root: Any = typer.main.get_command(app)
    found: dict[str, set[str]] = {}
    for name in root.list_commands(None):
        sub = root.get_command(None, name)
        found[name] = set(sub.list_commands(None)) if hasattr(sub, "list_commands") else set()
    return found


def _documented_calls() -> list[list[str]]:
    """The words after `aifhub` on every example line of the page's code."""
    calls = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*(?:\$ )?aifhub\s+(.*)$", line)
        if match:
            calls.append(match.group(1).split())
    return calls


def test_every_command_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = []
    for name, subs in _commands().items():
        for path in [f"{name} {s}" for s in sorted(subs)] or [name]:
            if not re.search(rf"aifhub {re.escape(path)}(\s|$|`)", text):
                missing.append(path)
    assert not missing, f"docs/cli.md does not show: {', '.join(missing)}"


def test_documented_commands_exist() -> None:
    commands = _commands()
    wrong = []
    for words in _documented_calls():
        if not words or words[0].startswith("-"):
            continue
        top = words[0]
        if top not in commands:
            wrong.append(top)
        elif commands[top] and (len(words) < 2 or words[1] not in commands[top]):
            wrong.append(" ".join(words[:2]))
    assert not wrong, f"docs/cli.md shows commands that do not exist: {wrong}"
