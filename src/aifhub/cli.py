"""The `aifhub` command (Typer + Rich): server commands and the client of a running server."""

from __future__ import annotations

import importlib
import pkgutil

import typer

from aifhub import commands

app = typer.Typer(
    name="aifhub",
    help="aifhub: compute, data, models, experts and training of an AI Factory.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _register_all() -> None:
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"aifhub.commands.{info.name}")
        module.register(app)


_register_all()


def main() -> None:
    """Entry point of the console script."""
    app()
