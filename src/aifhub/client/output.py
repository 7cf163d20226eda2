"""What every client command shares: red problem details and exit 1, tables, JSON.

A command fetches with `signed_in_client()`, then hands the answer to `print_result`, which
prints it as JSON under --json and otherwise with the command's own `show` (most often a
`table(...)`), so every command's --json prints the same way.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from aifhub.client import Client
from aifhub.client.config import load_config
from aifhub.client.errors import ApiError, ClientError

console = Console()
err_console = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)
Shown = TypeVar("Shown", bound=BaseModel | Sequence[BaseModel])
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Print a failed call's problem detail in red and exit 1 (never a traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ApiError as exc:
            extra = ""
            if exc.status == 401:
                extra = "\nSign in again with `aifhub login`."
            err_console.print(f"[red]Error ({exc.status} {exc.title}): {exc.detail}{extra}[/]")
            raise typer.Exit(1) from None
        except (ClientError, ValueError) as exc:
            err_console.print(f"[red]Error: {exc}[/]")
            raise typer.Exit(1) from None

    return wrapper


def signed_in_client() -> Client:
    """A client for the saved (or AIFHUB_*) server and token; says how to sign in if none."""
    cfg = load_config()
    if not cfg.token:
        raise ClientError(f"Not signed in to {cfg.url}; run `aifhub login` (or set AIFHUB_TOKEN).")
    return Client.from_config(cfg)


def print_result(value: Shown, as_json: bool, show: Callable[[Shown], object]) -> None:
    """Print what a command fetched: as JSON with --json, else `show(value)` for a person."""
    if as_json:
        print_json(value)
    else:
        show(value)


def table(
    title: str, columns: Sequence[str], row: Callable[[M], Sequence[Any]]
) -> Callable[[Sequence[M]], None]:
    """A `show` for print_result: a table titled `title`, one `row(item)` per item."""
    return lambda items: print_table(title, columns, [row(item) for item in items])


def print_json(value: BaseModel | Sequence[BaseModel]) -> None:
    """Print a model or a list of models as indented JSON (what --json prints)."""
    if isinstance(value, BaseModel):
        data: Any = value.model_dump(mode="json")
    else:
        data = [v.model_dump(mode="json") for v in value]
    print(json.dumps(data, indent=2, ensure_ascii=False))


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print rows as a Rich table (None shows as an empty cell)."""
    grid = Table(title=title, title_justify="left")
    for col in columns:
        grid.add_column(col)
    for row in rows:
        grid.add_row(*["" if v is None else str(v) for v in row])
    console.print(grid)


def print_fields(title: str, model: BaseModel) -> None:
    """Print one model as a two-column table of its fields (lists joined by commas)."""
    grid = Table(title=title, title_justify="left", show_header=False)
    grid.add_column(style="bold")
    grid.add_column()
    for key, value in model.model_dump(mode="json").items():
        shown = ", ".join(value) if isinstance(value, list) else value
        grid.add_row(key, "" if shown is None else str(shown))
    console.print(grid)
