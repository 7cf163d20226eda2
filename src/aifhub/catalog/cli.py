"""`aifhub data ...`: search the catalogue, push and pull dataset/model versions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from aifhub.client import Client
from aifhub.client.errors import ClientError
from aifhub.client.output import JsonOpt, print_result, report_error
from aifhub.schemas.catalog import SearchResult

console = Console()
data_app = typer.Typer(help="Datasets and models: search, push, pull.", no_args_is_help=True)
# Transfers of large files: a slow answer is not a dead server.
TRANSFER_TIMEOUT_S = 300.0


def _client() -> Client:
    return Client.from_config(timeout=TRANSFER_TIMEOUT_S)


def _fail(exc: ClientError | OSError, as_json: bool = False) -> typer.Exit:
    """Print why a data command failed and return the exit (its code says the kind)."""
    return report_error(exc, as_json=as_json)


class _Bars:
    """One Rich bar per file, fed by the SDK's progress callback."""

    def __init__(self, progress: Progress, verb: str) -> None:
        self.progress, self.verb = progress, verb
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, path: str, done: int, size: int) -> None:
        if path not in self.tasks:
            self.tasks[path] = self.progress.add_task(f"{self.verb} {path}", total=size)
        self.progress.advance(self.tasks[path], done)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


@data_app.command("search")
def search(
    q: Annotated[str, typer.Argument(help="Words to find")] = "",
    kind: Annotated[str | None, typer.Option(help="dataset or model")] = None,
    license: Annotated[str | None, typer.Option(help="Licence id, e.g. apache-2.0")] = None,
    language: Annotated[str | None, typer.Option(help="Language code, e.g. fr")] = None,
    task: Annotated[str | None, typer.Option(help="Task, e.g. text-generation")] = None,
    limit: int = 20,
    as_json: JsonOpt = False,
) -> None:
    """Search the catalogue."""
    try:
        with _client() as c:
            result = c.catalog.search(
                q or None, kind=kind, license=license, language=language, task=task, limit=limit
            )
    except (ClientError, OSError) as exc:
        raise _fail(exc, as_json) from exc
    print_result(result, as_json, _show_hits)


def _show_hits(result: SearchResult) -> None:
    table = Table("asset", "kind", "licence", "access", "name")
    for hit in result.items:
        table.add_row(hit.slug, hit.kind, hit.license, hit.access_policy, hit.name)
    console.print(table)
    console.print(f"{result.total} found")


@data_app.command("push")
def push(
    directory: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="Folder")],
    asset: Annotated[str, typer.Option(help="Asset id <namespace>/<name>")],
    version: Annotated[str, typer.Option(help="New version label, e.g. v1")],
    notes: Annotated[str, typer.Option(help="Release notes")] = "",
    publish: Annotated[bool, typer.Option(help="Publish once every file is uploaded")] = True,
) -> None:
    """Upload a folder as a new version (rerun to resume an interrupted push)."""
    try:
        with _client() as c, _progress() as bars:
            result = c.catalog.push(
                directory, asset=asset, version=version, notes=notes, publish=publish,
                progress=_Bars(bars, "up"), hashing=_Bars(bars, "sha256"),
            )  # fmt: skip
    except (ClientError, OSError) as exc:
        raise _fail(exc) from exc
    console.print(
        f"[green]{asset}@{result.label}[/] {result.state}: "
        f"{len(result.files)} files, {result.total_bytes} bytes"
    )


@data_app.command("pull")
def pull(
    ref: Annotated[str, typer.Argument(help="<namespace>/<name>[@version]")],
    directory: Annotated[Path, typer.Argument(file_okay=False, help="Where to write")],
    project: Annotated[str | None, typer.Option(help="Project holding the grant")] = None,
) -> None:
    """Download a version into a folder; checksums verified, partial files resumed."""
    try:
        with _client() as c, _progress() as bars:
            files = c.catalog.pull(ref, directory, project=project, progress=_Bars(bars, "down"))
    except (ClientError, OSError) as exc:
        raise _fail(exc) from exc
    console.print(f"[green]{len(files)} files verified[/] in {directory}")


def register(app: typer.Typer) -> None:
    """Add `aifhub data` to the CLI."""
    app.add_typer(data_app, name="data")
