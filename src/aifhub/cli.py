"""The `aifhub` command (Typer + Rich): server commands and the client of a running server."""

from __future__ import annotations

from typing import Annotated

import typer

from aifhub import __version__
from aifhub.commands import server
from aifhub.domains import DOMAINS

app = typer.Typer(
    name="aifhub",
    help="aifhub: compute, data, models, experts and training of an AI Factory.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _print_version(value: bool) -> None:
    if value:
        print(f"aifhub {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit"
        ),
    ] = False,
) -> None:
    """aifhub: compute, data, models, experts and training of an AI Factory."""


def _register_all() -> None:
    # Alphabetical by part (the server's own commands are the part "server"), so `aifhub
    # --help` lists the commands in the same order whatever the layer order of the domains.
    parts = [*DOMAINS.commands, ("server", server.register)]
    for _, register in sorted(parts, key=lambda part: part[0]):
        register(app)


_register_all()


def main() -> None:
    """Entry point of the console script."""
    app()
