"""Compute commands: submit, jobs, logs, cancel, usage (client); clusters sync and check,
allocations push."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from aifhub.backends.base import BackendError
from aifhub.client.output import (
    JsonOpt,
    console,
    err_console,
    handles_errors,
    print_result,
    print_table,
    signed_in_client,
    table,
)
from aifhub.compute.cli_clusters import clusters_check
from aifhub.compute.cli_logins import register_logins
from aifhub.compute.login_proofs import sync_mapping_files
from aifhub.compute.push import push_allocations
from aifhub.core.config import get_settings
from aifhub.core.db import make_engine, make_sessionmaker
from aifhub.core.errors import AppError
from aifhub.core.infra import build_infrastructure
from aifhub.resources import sync_site
from aifhub.schemas.access import ProjectUsage, overrun_sentence
from aifhub.schemas.compute import JobRead
from aifhub.schemas.enums.compute import TERMINAL_STATUSES

clusters_app = typer.Typer(help="Clusters and partitions of the site file.", no_args_is_help=True)
allocations_app = typer.Typer(help="Allocations on the clusters.", no_args_is_help=True)


@handles_errors
def submit(
    script: Annotated[Path, typer.Argument(help="The job script (bash)", exists=True)],
    project: Annotated[str, typer.Option(help="Project slug charged")],
    partition: Annotated[str, typer.Option(help="Partition: name or cluster/name")],
    gpus: Annotated[int, typer.Option(help="GPUs in total")] = 0,
    time_limit: Annotated[str, typer.Option("--time", help="Time limit: 30m, 2h, 1d")] = "1h",
    name: Annotated[str | None, typer.Option(help="Job name (default: script name)")] = None,
    nodes: Annotated[int, typer.Option(help="Nodes")] = 1,
    ntasks: Annotated[int, typer.Option(help="Tasks")] = 1,
    cpus_per_task: Annotated[int, typer.Option(help="CPUs per task")] = 1,
    mem_mb: Annotated[int | None, typer.Option(help="Memory per node (MB)")] = None,
    qos: Annotated[str | None, typer.Option(help="QoS")] = None,
    workdir: Annotated[str | None, typer.Option(help="Working directory on the cluster")] = None,
    env: Annotated[list[str] | None, typer.Option(help="NAME=VALUE, repeatable")] = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            help="A catalogue dataset or model the job reads, org/asset@version (its kind is "
            "looked up; or write dataset:org/asset@version); repeatable",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Submit a script; the hours are reserved at once, the worker sends it to the cluster.

    The job reads each --input (read-only) at $AIFHUB_INPUT_<ORG>_<ASSET>, which is
    /inputs/<org>/<asset> on a local cluster. A script written with CRLF line ends runs as is.
    """
    env_map = {}
    for item in env or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--env takes NAME=VALUE, not '{item}'")
        env_map[key] = value
    with signed_in_client() as client:
        job = client.jobs.submit(
            script,
            project=project,
            partition=partition,
            gpus=gpus,
            time=time_limit,
            name=name,
            nodes=nodes,
            ntasks=ntasks,
            cpus_per_task=cpus_per_task,
            mem_mb=mem_mb,
            qos=qos,
            workdir=workdir,
            env=env_map or None,
            inputs=inputs,
        )
    print_result(
        job,
        as_json,
        lambda j: console.print(
            f"[green]Job {j.id} {j.state}[/] on {j.partition} "
            f"({j.reserved_hours} normalised hours reserved)"
        ),
    )


@handles_errors
def jobs(
    project: Annotated[str | None, typer.Option(help="Only this project")] = None,
    state: Annotated[str | None, typer.Option(help="Only this state")] = None,
    limit: Annotated[int, typer.Option(help="How many")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Your jobs (and those of projects you manage), newest first."""
    with signed_in_client() as client:
        page = client.jobs.list(project=project, state=state, limit=limit)
    print_result(
        page.items,
        as_json,
        table(
            f"Jobs ({page.total})",
            ["id", "name", "project", "partition", "state", "reason", "gpus", "charged h"],
            lambda j: (
                j.id,
                j.name,
                j.project,
                j.partition,
                j.state,
                j.reason,
                j.gpus,
                j.charged_hours,
            ),
        ),  # fmt: skip
    )


@handles_errors
def job(job_id: int, as_json: JsonOpt = False) -> None:
    """One job: its state, exit code, the scheduler's reason and why it failed or waits."""
    with signed_in_client() as client:
        found = client.jobs.get(job_id)
    print_result(found, as_json, _show_job)


def _show_job(j: JobRead) -> None:
    rows = [
        ("state", j.state),
        ("exit code", j.exit_code),
        ("reason", j.reason),
        ("project", j.project),
        ("partition", j.partition),
        ("cluster job id", j.backend_id),
        ("submitted", j.created_at),
        ("started", j.started_at),
        ("ended", j.ended_at),
        ("reserved h", j.reserved_hours),
        ("charged h", j.charged_hours),
    ]
    print_table(f"Job {j.id} {j.name}", ["", ""], rows)
    if j.explanation is not None:
        console.print(f"{j.explanation.text} [dim]({j.explanation.key})[/]", markup=True)
        if j.explanation.evidence:
            console.print(j.explanation.evidence, markup=False, highlight=False)
    if j.state in TERMINAL_STATUSES:
        console.print(f"[dim]aifhub logs {j.id} --stderr[/] prints its error output.")


@handles_errors
def logs(
    job_id: int,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new output")
    ] = False,
    stderr: Annotated[bool, typer.Option(help="Show stderr instead of stdout")] = False,
) -> None:
    """Print a job's output (with --follow, until the job ends)."""
    stream = "stderr" if stderr else "stdout"
    with signed_in_client() as client:
        if follow:
            for text in client.jobs.follow(job_id, stream=stream):
                sys.stdout.write(text)
                sys.stdout.flush()
            return
        offset = 0
        while True:
            chunk = client.jobs.log(job_id, offset, stream)
            sys.stdout.write(chunk.text)
            if not chunk.text:
                break
            offset = chunk.next_offset
    sys.stdout.flush()


@handles_errors
def cancel(job_id: int) -> None:
    """Cancel a job."""
    with signed_in_client() as client:
        job = client.jobs.cancel(job_id)
    console.print(f"Job {job.id}: {job.state}" + (" (cancel sent)" if job.cancel_requested else ""))


@handles_errors
def usage(
    project: str,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV")] = False,
    as_json: JsonOpt = False,
) -> None:
    """A project's hours: granted, reserved, used and remaining per allocation."""
    with signed_in_client() as client:
        if csv:
            sys.stdout.write(client.jobs.usage_csv(project))
            return
        report = client.jobs.usage(project)
    print_result(report, as_json, lambda r: _usage_table(project, r))


def _usage_table(project: str, report: ProjectUsage) -> None:
    print_table(
        f"Allocations of {project}",
        [
            "id",
            "partition",
            "state",
            "until",
            "granted",
            "reserved",
            "used",
            "remaining",
            "overrun",
        ],
        [
            (
                a.allocation_id,
                a.partition,
                a.state,
                f"{a.ends_at:%Y-%m-%d}",
                a.granted,
                a.reserved,
                a.used,
                a.remaining,
                a.overrun_hours,
            )
            for a in report.allocations
        ],  # fmt: skip
    )
    for a in report.allocations:
        if a.overrun_hours > 0:
            console.print(overrun_sentence(a.allocation_id, a.partition, a.overrun_hours))


def clusters_sync() -> None:
    """Create/update clusters and partitions from the site file (idempotent)."""
    infra = build_infrastructure(get_settings())

    async def run() -> dict[str, int]:
        engine = make_engine(infra.settings.resolved_database_url())
        async with make_sessionmaker(engine)() as session:
            done = await sync_site(session, infra.site, base_dir=infra.paths.site_dir)
            await sync_mapping_files(session)
            await session.commit()
        await engine.dispose()
        return done

    done = asyncio.run(run())
    console.print(f"{done['clusters']} cluster(s) declared, {done['changed']} change(s) applied.")


def allocations_push(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only print the commands")] = False,
    cluster: Annotated[str | None, typer.Option(help="Only this cluster")] = None,
) -> None:
    """Push allocations to the Slurm clusters: accounts, users, GrpTRESMins, blocks."""
    settings = get_settings()

    async def run() -> list[str]:
        engine = make_engine(settings.resolved_database_url())
        try:
            async with make_sessionmaker(engine)() as session:
                lines = await push_allocations(session, dry_run=dry_run, cluster=cluster)
                await session.commit()
        finally:
            await engine.dispose()
        return lines

    start = time.perf_counter()
    try:
        lines = asyncio.run(run())
    except (BackendError, AppError) as exc:
        # slurmdbd/slurmctld down, sacctmgr missing or refused, a bad account name: a sentence.
        err_console.print(f"[red]Push failed: {escape(str(exc))}[/]", soft_wrap=True)
        raise typer.Exit(1) from None
    for line in lines:
        print(line)
    console.print(f"[dim]done in {time.perf_counter() - start:.2f} s[/]")


def register(app: typer.Typer) -> None:
    """Add the compute commands to the root command."""
    app.command("submit")(submit)
    app.command("jobs")(jobs)
    app.command("job")(job)
    app.command("logs")(logs)
    app.command("cancel")(cancel)
    app.command("usage")(usage)
    clusters_app.command("sync")(clusters_sync)
    clusters_app.command("check")(clusters_check)
    app.add_typer(clusters_app, name="clusters")
    register_logins(app)
    # `aifhub allocations` belongs to the access commands: add `push` to that group.
    existing = next((g for g in app.registered_groups if g.name == "allocations"), None)
    target = existing.typer_instance if existing and existing.typer_instance else allocations_app
    target.command("push")(allocations_push)
    if existing is None:
        app.add_typer(allocations_app, name="allocations")
