"""`aifhub logins`: one's cluster logins and requests; staff mapping, decisions and listing."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from aifhub.client.output import (
    JsonOpt,
    console,
    handles_errors,
    print_result,
    print_table,
    signed_in_client,
    table,
)
from aifhub.compute.login_proofs import sync_mapping_files
from aifhub.core.config import get_settings
from aifhub.core.db import make_engine, make_sessionmaker
from aifhub.schemas.compute import ClusterLoginRead

logins_app = typer.Typer(
    help="Cluster logins: yours, requests, staff mapping and approval, the site mapping.",
    no_args_is_help=True,
)


def _done(row: ClusterLoginRead) -> None:
    console.print(
        f"Login '{row.login}' on {row.cluster} for {row.user_email}: {row.status}",
        markup=False, highlight=False,
    )  # fmt: skip
    if row.note and row.status == "approved":
        console.print(f"Note: {row.note}", markup=False, highlight=False)


@handles_errors
def logins_list(
    cluster: Annotated[str | None, typer.Option(help="Staff: only this cluster")] = None,
    status: Annotated[
        str | None, typer.Option(help="Staff: only this state (pending, approved...)")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Staff: only this user (e-mail)")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Staff: every user's logins")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Your logins and requests; staff: everyone's with --all, --cluster, --status or --user."""
    with signed_in_client() as client:
        if all_ or cluster or status or user:
            rows = client.cluster_logins.list(status, cluster=cluster, user=user)
        else:
            rows = client.cluster_logins.mine()
    print_result(
        rows,
        as_json,
        table(
            f"Cluster logins ({len(rows)})",
            ["id", "user", "cluster", "login", "state", "source", "reason"],
            lambda r: (r.id, r.user_email, r.cluster, r.login, r.status, r.source, r.reason or ""),
        ),
    )


@handles_errors
def logins_show(login_id: int, as_json: JsonOpt = False) -> None:
    """Staff: one login or request, whoever's: its user, state, source and reason."""
    with signed_in_client() as client:
        row = client.cluster_logins.get(login_id)

    def show(r: ClusterLoginRead) -> None:
        print_table(
            f"Cluster login {r.id}",
            ["", ""],
            [
                ("user", r.user_email), ("cluster", r.cluster), ("login", r.login),
                ("state", r.status), ("proven by", r.source), ("reason", r.reason or ""),
                ("since", f"{r.created_at:%Y-%m-%d %H:%M}"),
                ("decided", f"{r.decided_at:%Y-%m-%d %H:%M}" if r.decided_at else ""),
            ],
        )  # fmt: skip
        if r.note:
            console.print(f"Note: {r.note}", markup=False, highlight=False)

    print_result(row, as_json, show)


@handles_errors
def logins_request(cluster: str, login: str) -> None:
    """Request your login on a cluster (used once the staff approve it)."""
    with signed_in_client() as client:
        row = client.cluster_logins.request(cluster, login)
    console.print(f"Login '{row.login}' on {row.cluster}: {row.status}", markup=False)


@handles_errors
def logins_map(user_email: str, cluster: str, login: str) -> None:
    """Staff: set a user's proven login on a cluster (approved at once)."""
    with signed_in_client() as client:
        _done(client.cluster_logins.map(user_email, cluster, login))


def _decide(action: str, login_id: int, reason: str) -> None:
    with signed_in_client() as client:
        _done(client.cluster_logins.decide(login_id, action, reason))


@handles_errors
def logins_approve(login_id: int) -> None:
    """Staff: approve a pending login request."""
    _decide("approve", login_id, "")


@handles_errors
def logins_reject(
    login_id: int, reason: Annotated[str, typer.Option(help="Why (the user reads it)")]
) -> None:
    """Staff: reject a pending login request."""
    _decide("reject", login_id, reason)


@handles_errors
def logins_revoke(
    login_id: int, reason: Annotated[str, typer.Option(help="Why (the user reads it)")]
) -> None:
    """Staff: revoke an approved login (the next push removes it from the Slurm accounts)."""
    _decide("revoke", login_id, reason)


def logins_sync() -> None:
    """Apply the clusters' site mapping files (idempotent; dropped lines are revoked)."""
    settings = get_settings()

    async def run() -> dict[str, int]:
        engine = make_engine(settings.resolved_database_url())
        async with make_sessionmaker(engine)() as session:
            done = await sync_mapping_files(session)
            await session.commit()
        await engine.dispose()
        return done

    done = asyncio.run(run())
    console.print(
        f"{done['approved']} login(s) applied, {done['revoked']} revoked, "
        f"{done['skipped']} refused (see the log)."
    )


def register_logins(app: typer.Typer) -> None:
    """Add `aifhub logins ...` to the root command."""
    for name, command in (
        ("list", logins_list), ("show", logins_show), ("request", logins_request),
        ("map", logins_map), ("approve", logins_approve), ("reject", logins_reject),
        ("revoke", logins_revoke), ("sync", logins_sync),
    ):  # fmt: skip
        logins_app.command(name)(command)
    app.add_typer(logins_app, name="logins")
