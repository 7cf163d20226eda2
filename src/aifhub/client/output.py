"""What every client command shares: red problem details and exit 1, tables, JSON."""

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


def print_json(value: BaseModel | Sequence[BaseModel]) -> None:
    if isinstance(value, BaseModel):
        data: Any = value.model_dump(mode="json")
    else:
        data = [v.model_dump(mode="json") for v in value]
    print(json.dumps(data, indent=2, ensure_ascii=False))


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    console.print(table)


def print_fields(title: str, model: BaseModel) -> None:
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in model.model_dump(mode="json").items():
        shown = ", ".join(value) if isinstance(value, list) else value
        table.add_row(key, "" if shown is None else str(shown))
    console.print(table)
