"""The `aifhub` command (Typer + Rich): server commands and the client of a running server."""

from __future__ import annotations

import typer

from aifhub.commands import server
from aifhub.domains import DOMAINS

app = typer.Typer(
    name="aifhub",
    help="aifhub: compute, data, models, experts and training of an AI Factory.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


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
