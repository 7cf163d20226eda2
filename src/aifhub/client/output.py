"""What every client command shares: errors with an exit code per kind, tables, JSON.

A command fetches with `signed_in_client()`, then hands the answer to `print_result`, which
prints it as JSON under --json and otherwise with the command's own `show` (most often a
`table(...)`), so every command's --json prints the same way. A failure prints the server's
problem detail in red on standard error, or under --json the problem as JSON on standard
output (`{"error": {...}, "exit_code": N}`), and exits with the code of its kind
(:class:`ExitCode`, listed in docs/cli.md), never with a traceback.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from aifhub.client import Client
from aifhub.client.config import load_config
from aifhub.client.errors import (
    ApiError,
    ClientError,
    NotSignedIn,
    ServerUnreachable,
    StateConflict,
)

console = Console()
err_console = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)
Shown = TypeVar("Shown", bound=BaseModel | Sequence[BaseModel])
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


class ExitCode(IntEnum):
    """What a command's exit status says about why it failed (0: it did not)."""

    FAILED = 1  # anything else (a local file that cannot be read...)
    USAGE = 2  # the command line itself (an unknown option): Typer's own code
    NOT_SIGNED_IN = 3  # no token, or the server refused it (401)
    FORBIDDEN = 4  # signed in, but not allowed (403)
    NOT_FOUND = 5  # nothing there that you can see (404)
    CONFLICT = 6  # the current state forbids it (409)
    INVALID = 7  # the input was refused (400, 413, 422, or checked before sending)
    RATE_LIMITED = 8  # too many requests: wait and retry (429)
    UNAVAILABLE = 9  # the server is unreachable or failing (5xx, network)


_BY_STATUS = {
    401: ExitCode.NOT_SIGNED_IN,
    403: ExitCode.FORBIDDEN,
    404: ExitCode.NOT_FOUND,
    409: ExitCode.CONFLICT,
    400: ExitCode.INVALID,
    413: ExitCode.INVALID,
    422: ExitCode.INVALID,
    429: ExitCode.RATE_LIMITED,
}


def exit_code_for(exc: Exception) -> ExitCode:
    """The exit code of a failure, by its kind."""
    if isinstance(exc, ApiError):
        if exc.status >= 500:
            return ExitCode.UNAVAILABLE
        return _BY_STATUS.get(exc.status, ExitCode.FAILED)
    if isinstance(exc, NotSignedIn):
        return ExitCode.NOT_SIGNED_IN
    if isinstance(exc, StateConflict):
        return ExitCode.CONFLICT
    if isinstance(exc, ServerUnreachable):
        return ExitCode.UNAVAILABLE
    if isinstance(exc, ValueError):
        return ExitCode.INVALID
    return ExitCode.FAILED


def report_error(exc: Exception, *, as_json: bool = False) -> typer.Exit:
    """Print why a command failed (red on stderr, or JSON on stdout) and return its exit."""
    code = exit_code_for(exc)
    if as_json:
        if isinstance(exc, ApiError):
            error: dict[str, Any] = exc.body or {
                "status": exc.status, "title": exc.title, "detail": exc.detail
            }  # fmt: skip
        else:
            error = {"title": type(exc).__name__, "detail": str(exc)}
        print(json.dumps({"error": error, "exit_code": int(code)}, indent=2, ensure_ascii=False))
    elif isinstance(exc, ApiError):
        extra = "\nSign in again with `aifhub login`." if exc.status == 401 else ""
        err_console.print(f"[red]Error ({exc.status} {exc.title}): {exc.detail}{extra}[/]")
    else:
        err_console.print(f"[red]Error: {exc}[/]")
    return typer.Exit(int(code))


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Report a failed call (see :func:`report_error`) instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (ClientError, ValueError) as exc:
            raise report_error(exc, as_json=bool(kwargs.get("as_json"))) from None

    return wrapper


def signed_in_client() -> Client:
    """A client for the saved (or AIFHUB_*) server and token; says how to sign in if none."""
    cfg = load_config()
    if not cfg.token:
        raise NotSignedIn(f"Not signed in to {cfg.url}; run `aifhub login` (or set AIFHUB_TOKEN).")
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
