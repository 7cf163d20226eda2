"""Client commands for access: modes, apply, applications, reviews, allocations."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from aifhub.client import Client
from aifhub.client.output import (
    JsonOpt,
    console,
    handles_errors,
    print_result,
    signed_in_client,
    table,
)
from aifhub.schemas.access import ApplicationRead

apps_app = typer.Typer(
    help="Access applications: follow, revise, submit; staff decide.", no_args_is_help=True
)


def _access_client() -> Client:
    return signed_in_client()


HoursOpt = Annotated[
    list[str] | None,
    typer.Option("--hours", help="PARTITION=HOURS in normalised hours, e.g. jz/a100=1000 (repeat)"),
]


def parse_pairs(pairs: list[str] | None, what: str = "--hours") -> dict[str, Decimal]:
    """{"cluster/partition": hours} from ["cluster/partition=hours", ...]."""
    out: dict[str, Decimal] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        try:
            amount = Decimal(value)
        except InvalidOperation:
            amount = Decimal(-1)
        if not sep or not key or amount <= 0:
            raise ValueError(
                f"{what} takes PARTITION=HOURS with HOURS > 0, e.g. jz/a100=1000; got '{pair}'."
            )
        out[key] = amount
    return out


def _show_app(a: ApplicationRead) -> None:
    console.print(
        f"[bold]Application #{a.id}[/] {a.title}  [cyan]{a.state}[/]"
        + ("  [red]late[/]" if a.late else "")
    )
    console.print(
        f"project {a.project} ({a.organisation}), mode {a.mode}, {a.kind}, "
        f"{a.duration_months} months"
    )
    for i in a.items:
        granted = f", granted {i.granted}" if i.granted is not None else ""
        console.print(f"  {i.partition}: {i.requested} {i.unit}{granted}")
    if a.fallback_partitions:
        console.print(f"fallback: {', '.join(a.fallback_partitions)}")
    if a.due_date:
        console.print(f"decision due by {a.due_date}")
    if a.state_reason:
        console.print(f"reason: {a.state_reason}")
    console.print(f"next: {', '.join(a.allowed_actions) or '-'}")


def _app_row(a: ApplicationRead) -> tuple[object, ...]:
    return (a.id, a.project, a.mode, a.state, "yes" if a.late else "", a.due_date, a.title)


APP_COLUMNS = ("id", "project", "mode", "state", "late", "due", "title")


@handles_errors
def modes(as_json: JsonOpt = False) -> None:
    """The open access modes and their rules."""
    c = _access_client()
    with c:
        found = c.access_modes.list()
    print_result(
        found,
        as_json,
        table(
            "Access modes",
            ("slug", "name", "max", "min", "months", "working days", "next cut-off"),
            lambda m: (
                m.slug,
                m.name,
                ", ".join(f"{k} {v}" for k, v in m.max_hours.items()) or "-",
                ", ".join(f"{k} {v}" for k, v in m.min_hours.items()) or "-",
                "/".join(map(str, m.durations_months)),
                m.deadline_working_days,
                m.next_cutoff or "continuous",
            ),
        ),
    )


@handles_errors
def apply(
    project: Annotated[str, typer.Option(help="Project slug (you are its PI)")],
    mode: Annotated[str, typer.Option(help="Access mode slug (see `aifhub modes`)")],
    title: Annotated[str, typer.Option(help="Title of the application")],
    months: Annotated[int, typer.Option(help="Duration in months")],
    hours: HoursOpt = None,
    sector: Annotated[str, typer.Option(help="Sector, e.g. health")] = "other",
    description: Annotated[str, typer.Option(help="Technical description")] = "",
    description_file: Annotated[
        Path | None, typer.Option(help="Read the description from a file")
    ] = None,
    datasets: Annotated[str, typer.Option(help="Datasets and models you intend to use")] = "",
    fallback: Annotated[list[str] | None, typer.Option(help="Fallback partition (repeat)")] = None,
    kind: Annotated[str, typer.Option(help="new, renewal or top_up")] = "new",
    allocation: Annotated[
        int | None, typer.Option(help="Allocation a renewal/top-up is about")
    ] = None,
    submit: Annotated[bool, typer.Option(help="Submit at once")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Draft an application to an access mode (and submit it with --submit)."""
    amounts = parse_pairs(hours)
    if not amounts:
        raise ValueError("Give at least one --hours PARTITION=HOURS.")
    if description_file is not None:
        description = description_file.read_text()
    c = _access_client()
    with c:
        a = c.applications.create(
            project=project,
            mode=mode,
            title=title,
            sector=sector,
            duration_months=months,
            amounts=amounts,
            technical_description=description,
            datasets_models=datasets,
            fallback_partitions=fallback or [],
            kind=kind,
            allocation_id=allocation,
        )
        if submit:
            a = c.applications.submit(a.id)
    print_result(a, as_json, _show_app)


@apps_app.command("list")
@handles_errors
def list_applications(
    project: Annotated[str | None, typer.Option(help="Only this project")] = None,
    mode: Annotated[str | None, typer.Option(help="Only this mode")] = None,
    state: Annotated[str | None, typer.Option(help="Only this state")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Applications you can see (all, for staff)."""
    c = _access_client()
    with c:
        found = list(c.applications.iter(project=project, mode=mode, state=state))
    print_result(found, as_json, table("Applications", APP_COLUMNS, _app_row))


@apps_app.command("show")
@handles_errors
def show_application(app_id: int, as_json: JsonOpt = False) -> None:
    """One application, its deadline and what can happen next."""
    c = _access_client()
    with c:
        print_result(c.applications.get(app_id), as_json, _show_app)


@apps_app.command("update")
@handles_errors
def update_application(
    app_id: int,
    title: Annotated[str | None, typer.Option(help="New title")] = None,
    months: Annotated[int | None, typer.Option(help="New duration in months")] = None,
    hours: HoursOpt = None,
    description: Annotated[str | None, typer.Option(help="New technical description")] = None,
    datasets: Annotated[str | None, typer.Option(help="New datasets and models")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Revise a draft or an application sent back for changes."""
    fields: dict[str, object] = {
        "title": title,
        "duration_months": months,
        "technical_description": description,
        "datasets_models": datasets,
    }
    if hours:
        fields["amounts"] = parse_pairs(hours)
    c = _access_client()
    with c:
        print_result(c.applications.update(app_id, **fields), as_json, _show_app)


@apps_app.command("submit")
@handles_errors
def submit_application(app_id: int, as_json: JsonOpt = False) -> None:
    """Submit (or resubmit) an application; its eligibility is checked at once."""
    c = _access_client()
    with c:
        print_result(c.applications.submit(app_id), as_json, _show_app)


@apps_app.command("withdraw")
@handles_errors
def withdraw_application(app_id: int, as_json: JsonOpt = False) -> None:
    """Withdraw an application before its assessment."""
    c = _access_client()
    with c:
        print_result(c.applications.withdraw(app_id), as_json, _show_app)


@apps_app.command("assess")
@handles_errors
def assess(app_id: int, as_json: JsonOpt = False) -> None:
    """Staff: open the technical assessment."""
    c = _access_client()
    with c:
        print_result(c.applications.start_assessment(app_id), as_json, _show_app)


@apps_app.command("peer-review")
@handles_errors
def peer_review(app_id: int, as_json: JsonOpt = False) -> None:
    """Staff: close the technical assessment and open peer review."""
    c = _access_client()
    with c:
        print_result(c.applications.send_to_peer_review(app_id), as_json, _show_app)


@apps_app.command("request-changes")
@handles_errors
def request_changes(
    app_id: int,
    reason: Annotated[str, typer.Option(help="What to change")],
    as_json: JsonOpt = False,
) -> None:
    """Staff: send an application back to its applicant."""
    c = _access_client()
    with c:
        print_result(c.applications.request_changes(app_id, reason), as_json, _show_app)


@apps_app.command("assign")
@handles_errors
def assign(
    app_id: int,
    reviewer: Annotated[str, typer.Option(help="Reviewer e-mail")],
    step: Annotated[str, typer.Option(help="technical or peer")] = "technical",
) -> None:
    """Staff: assign a reviewer."""
    c = _access_client()
    with c:
        r = c.applications.assign_reviewer(app_id, reviewer, step)
    console.print(f"review #{r.id}: {r.reviewer} ({r.step}) {r.state}")


@apps_app.command("decide")
@handles_errors
def decide(
    app_id: int,
    outcome: Annotated[str, typer.Argument(help="accept or reject")],
    reason: Annotated[str, typer.Option(help="Reasons shown to the applicant")],
    grant: Annotated[
        list[str] | None, typer.Option(help="PARTITION=HOURS granted (reduces; repeat)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Staff: accept (possibly with reduced amounts) or reject."""
    granted = parse_pairs(grant, "--grant")
    c = _access_client()
    with c:
        print_result(
            c.applications.decide(app_id, outcome, reason, granted=granted), as_json, _show_app
        )


def register(app: typer.Typer) -> None:
    """Add the access client commands to the root command."""
    app.command("modes")(modes)
    app.command("apply")(apply)
    app.add_typer(apps_app, name="applications")
