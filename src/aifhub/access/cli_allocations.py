"""Client commands for reviews (staff reviewers) and allocations with their balances."""

from __future__ import annotations

from typing import Annotated

import typer

from aifhub.access.cli import _access_client
from aifhub.client.output import JsonOpt, console, handles_errors, print_result, table
from aifhub.schemas.access import AllocationRead, overrun_sentence

reviews_app = typer.Typer(help="Your review queue (staff reviewers).", no_args_is_help=True)
allocs_app = typer.Typer(help="Allocations and their balances.", no_args_is_help=True)


@reviews_app.command("list")
@handles_errors
def list_reviews(
    state: Annotated[str | None, typer.Option(help="assigned, submitted or conflict")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Your reviews."""
    c = _access_client()
    with c:
        found = c.reviews.list(state=state)
    print_result(
        found,
        as_json,
        table(
            "Reviews",
            ("id", "application", "title", "step", "state"),
            lambda r: (r.id, r.application_id, r.application_title, r.step, r.state),
        ),
    )


@reviews_app.command("submit")
@handles_errors
def submit_review(
    review_id: int,
    score: Annotated[list[str], typer.Option(help="CRITERION=1..5 (repeat for each criterion)")],
    comment: Annotated[str, typer.Option(help="Your comments")],
) -> None:
    """Submit a review."""
    scores: dict[str, int] = {}
    for pair in score:
        key, _, value = pair.partition("=")
        if not value.isdigit():
            raise ValueError(f"--score takes CRITERION=1..5; got '{pair}'.")
        scores[key] = int(value)
    c = _access_client()
    with c:
        r = c.reviews.submit(review_id, scores, comment)
    console.print(f"review #{r.id} {r.state}")


@reviews_app.command("conflict")
@handles_errors
def conflict(
    review_id: int, reason: Annotated[str, typer.Option(help="Why you cannot review")]
) -> None:
    """Decline a review for a conflict of interest."""
    c = _access_client()
    with c:
        r = c.reviews.declare_conflict(review_id, reason)
    console.print(f"review #{r.id} {r.state}")


def _alloc_row(a: AllocationRead) -> tuple[object, ...]:
    return (
        a.id,
        a.project,
        a.partition,
        a.state,
        f"{a.starts_at:%Y-%m-%d}",
        f"{a.ends_at:%Y-%m-%d}",
        a.balance.granted,
        a.balance.used,
        a.balance.reserved,
        a.balance.remaining,
        a.overrun_hours,
    )


def _overrun_notes(allocs: list[AllocationRead]) -> None:
    for a in allocs:
        if a.overrun_hours > 0:
            console.print(overrun_sentence(a.id, a.partition, a.overrun_hours))


ALLOC_COLUMNS = (
    "id",
    "project",
    "partition",
    "state",
    "from",
    "to",
    "granted",
    "used",
    "reserved",
    "remaining",
    "overrun",
)


@allocs_app.command("list")
@handles_errors
def list_allocations(
    project: Annotated[str | None, typer.Option(help="Only this project")] = None,
    state: Annotated[str | None, typer.Option(help="scheduled, active, expired, suspended")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Allocations of your projects with their balances (normalised hours)."""
    c = _access_client()
    with c:
        page = c.allocations.list(project=project, state=state, limit=500)
    print_result(page.items, as_json, table("Allocations", ALLOC_COLUMNS, _alloc_row))
    if not as_json:
        _overrun_notes(page.items)


@allocs_app.command("show")
@handles_errors
def show_allocation(allocation_id: int, as_json: JsonOpt = False) -> None:
    """One allocation with its balance."""
    c = _access_client()
    with c:
        a = c.allocations.get(allocation_id)
    show = table(f"Allocation #{a.id}", ALLOC_COLUMNS, _alloc_row)
    print_result(a, as_json, lambda one: show([one]))
    if not as_json:
        _overrun_notes([a])


def register(app: typer.Typer) -> None:
    """Add the review and allocation commands to the root command."""
    app.add_typer(reviews_app, name="reviews")
    app.add_typer(allocs_app, name="allocations")
