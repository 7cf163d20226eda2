"""`aifhub tickets ...`: the support desk from a shell on the server, acting as a named user.

These commands open the configured database and go through the same services (and so the
same authorisation) as the API; `--as` (or AIFHUB_USER) names the acting user.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.core import context
from aifhub.core.config import get_settings
from aifhub.core.errors import AppError, NotFound

console = Console()
tickets_app = typer.Typer(help="Support tickets.", no_args_is_help=True)
T = TypeVar("T")

AsUser = Annotated[str, typer.Option("--as", envvar="AIFHUB_USER", help="Acting user's e-mail")]


def run_as(email: str, work: Callable[[AsyncSession, Any], Awaitable[T]]) -> T:
    """Run `work(session, user)` as the user with this e-mail and commit; errors exit 1."""
    from aifhub.core.db import make_engine, make_sessionmaker
    from aifhub.identity.service import get_user_by_email

    settings = get_settings()

    async def _go() -> T:
        engine = make_engine(settings.resolved_database_url())
        try:
            async with make_sessionmaker(engine)() as session:
                user = await get_user_by_email(session, email)
                if user is None or not user.is_active:
                    raise NotFound(f"No active user {email}; pass --as with a known e-mail.")
                context.begin(None, actor_label=user.email)
                context.set_actor(user.id, user.email)
                result = await work(session, user)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    try:
        return asyncio.run(_go())
    except AppError as exc:
        console.print(f"[red]{exc.detail}[/]")
        raise typer.Exit(1) from exc


def _policy() -> Any:
    from aifhub.support.sla import policy_from_site

    return policy_from_site(get_settings().load_site().section("support"))


@tickets_app.command("list")
def list_cmd(
    as_user: AsUser,
    state: Annotated[str | None, typer.Option(help="Only tickets in this state")] = None,
) -> None:
    """Tickets one can see, newest first, with their SLA status."""
    from aifhub.support import tickets

    async def work(s: AsyncSession, u: Any) -> Any:
        rows, _ = await tickets.list_tickets(s, u, limit=200, offset=0, state=state)
        return [(t, slug, tickets.sla_status(t)) for t, slug in rows]

    table = Table("id", "project", "priority", "state", "title", "SLA")
    for t, slug, sla in run_as(as_user, work):
        breach = "breached" if sla.first_response_breached or sla.resolution_breached else "ok"
        table.add_row(str(t.id), slug, t.priority, t.state, t.title, breach)
    console.print(table)


@tickets_app.command("open")
def open_cmd(
    project: str,
    as_user: AsUser,
    title: Annotated[str, typer.Option(help="One line that says what is wrong")],
    body: Annotated[str, typer.Option(help="What you did, what happened, what you expected")],
    category: Annotated[str, typer.Option(help="access/compute/data/models/...")] = "other",
    priority: Annotated[str, typer.Option(help="low/normal/high/urgent")] = "normal",
) -> None:
    """Open a ticket on one of one's projects."""
    from aifhub.support import schemas, tickets

    data = _validated(
        schemas.TicketCreate,
        project=project,
        title=title,
        body=body,
        category=category,
        priority=priority,
    )

    async def work(s: AsyncSession, u: Any) -> Any:
        return await tickets.open_ticket(
            s,
            u,
            project=data.project,
            title=data.title,
            body=data.body,
            category=data.category.value,
            priority=data.priority.value,
            policy=_policy(),
        )

    t = run_as(as_user, work)
    console.print(f"[green]ticket #{t.id} opened[/]; first response due {t.first_response_due:%c}")


def _validated(model: Any, **values: Any) -> Any:
    from pydantic import ValidationError

    try:
        return model(**values)
    except ValidationError as exc:
        for err in exc.errors():
            console.print(f"[red]{'.'.join(map(str, err['loc']))}: {err['msg']}[/]")
        raise typer.Exit(2) from exc


@tickets_app.command("show")
def show_cmd(ticket_id: int, as_user: AsUser) -> None:
    """A ticket and its thread."""
    from aifhub.support import tickets

    t, msgs = run_as(as_user, lambda s, u: tickets.thread(s, u, ticket_id))
    console.print(f"[bold]#{t.id} {t.title}[/] ({t.state}, {t.priority}, {t.category})")
    for m, name, files in msgs:
        extra = f"  [dim]{', '.join(f.filename for f in files)}[/]" if files else ""
        console.print(f"[cyan]{name}[/] {m.created_at:%Y-%m-%d %H:%M}: {m.body}{extra}")


@tickets_app.command("reply")
def reply_cmd(ticket_id: int, body: str, as_user: AsUser) -> None:
    """Add a message to a ticket."""
    from aifhub.support import tickets

    run_as(as_user, lambda s, u: tickets.post_message(s, u, ticket_id, body=body))
    console.print(f"[green]message added to #{ticket_id}[/]")


@tickets_app.command("move")
def move_cmd(ticket_id: int, state: str, as_user: AsUser) -> None:
    """Move a ticket to another state (the allowed moves are named when refused)."""
    from aifhub.support import tickets

    t = run_as(as_user, lambda s, u: tickets.transition(s, u, ticket_id, to=state))
    console.print(f"[green]#{t.id} is now {t.state}[/]")


@tickets_app.command("propose")
def propose_cmd(ticket_id: int, as_user: AsUser) -> None:
    """The best-matching available experts for a ticket, with reasons."""
    from aifhub.support import experts

    table = Table("expert", "email", "score", "load", "reasons")
    for p in run_as(as_user, lambda s, u: experts.propose_experts(s, u, ticket_id)):
        table.add_row(
            p.expert.name,
            p.expert.email,
            f"{p.score:.2f}",
            f"{p.load}/{p.profile.capacity}",
            "; ".join(p.reasons),
        )
    console.print(table)


@tickets_app.command("assign")
def assign_cmd(ticket_id: int, expert_email: str, as_user: AsUser) -> None:
    """Assign a ticket to an expert (support desk)."""
    from aifhub.identity.service import get_user_by_email
    from aifhub.support import tickets

    async def work(s: AsyncSession, u: Any) -> Any:
        expert = await get_user_by_email(s, expert_email)
        if expert is None:
            raise NotFound(f"No user {expert_email}.")
        return await tickets.assign(s, u, ticket_id, expert_id=expert.id)

    t = run_as(as_user, work)
    console.print(f"[green]#{t.id} assigned to {expert_email}[/]")


def register(app: typer.Typer) -> None:
    """Add `aifhub tickets`."""
    app.add_typer(tickets_app, name="tickets")
