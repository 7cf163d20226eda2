"""`aifhub clusters check`: the Slurm clusters' daemons and the site file's drift, on the
configured database and site file (an operator's command, run where the worker runs)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from aifhub.client.output import JsonOpt, console, err_console
from aifhub.compute.cluster_check import ClusterReport, check_clusters, check_targets
from aifhub.core.config import get_settings
from aifhub.core.db import make_engine, make_sessionmaker
from aifhub.core.errors import AppError
from aifhub.core.infra import build_infrastructure

_STYLE = {"error": "red", "warning": "yellow"}


def clusters_check(
    cluster: Annotated[str | None, typer.Option(help="Only this cluster")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the Slurm clusters: daemons' health, and the site file against Slurm's partitions
    and settings. Exits 1 when a daemon is down or a finding is an error."""
    try:
        reports = asyncio.run(_run(cluster))
    except AppError as exc:
        err_console.print(f"[red]Error: {exc.detail}[/]")
        raise typer.Exit(1) from None
    except (SQLAlchemyError, OSError, ValueError) as exc:
        err_console.print(f"[red]Error: the check could not start: {exc}[/]")
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps([r.as_dict() for r in reports], indent=2))
    elif not reports:
        console.print("No enabled Slurm cluster in the site file: nothing to check.")
    for report in reports if not as_json else ():
        _print_report(report)
    if not all(r.ok for r in reports):
        raise typer.Exit(1)


async def _run(cluster: str | None) -> list[ClusterReport]:
    infra = build_infrastructure(get_settings())
    engine = make_engine(infra.settings.resolved_database_url())
    try:
        async with make_sessionmaker(engine)() as session:
            targets = await check_targets(session, cluster=cluster)
        return await check_clusters(targets, infra.backends)
    finally:
        await engine.dispose()
        await infra.aclose()


def _print_report(report: ClusterReport) -> None:
    verdict = "[green]OK[/]" if report.ok else "[red]NOT OK[/]"
    title = f"{report.cluster} ({report.backend}): {verdict}"
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("what", no_wrap=True)
    table.add_column("answer")
    for daemon in report.daemons:
        style = "green" if daemon.up else "red"
        table.add_row(daemon.daemon, f"[{style}]{_escape(daemon.text)}[/]")
    for finding in report.findings:
        style = _STYLE[finding.severity]
        table.add_row(f"[{style}]{finding.severity}[/]", _escape(finding.message))
    if not report.findings:
        table.add_row("drift", "[green]none: the site file matches Slurm[/]")
    console.print(table)
    console.print(f"[dim]checked at {report.checked_at:%Y-%m-%d %H:%M:%S} UTC[/]")


def _escape(text: str) -> str:
    # Slurm's messages and node lists contain square brackets (node[01-04]): not Rich markup.
    return text.replace("[", r"\[")
