"""`aifhub tickets ...` and `aifhub kb search`: the support desk, as a client of the server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aifhub.client.output import (
    JsonOpt,
    console,
    handles_errors,
    print_result,
    signed_in_client,
    table,
)
from aifhub.schemas.support import MessageRead, TicketDetail, TicketRead

tickets_app = typer.Typer(help="Support tickets.", no_args_is_help=True)
kb_app = typer.Typer(help="The knowledge base.", no_args_is_help=True)

TICKET_COLUMNS = ("id", "project", "priority", "state", "title", "SLA")


def _sla(t: TicketRead) -> str:
    return "breached" if t.sla.first_response_breached or t.sla.resolution_breached else "ok"


def _show(t: TicketRead) -> None:
    console.print(f"[bold]#{t.id} {t.title}[/] ({t.state}, {t.priority}, {t.category})")
    console.print(
        f"project {t.project}; first response due {t.sla.first_response_due:%Y-%m-%d %H:%M}, "
        f"resolution due {t.sla.resolution_due:%Y-%m-%d %H:%M} (UTC); SLA {_sla(t)}"
    )
    console.print(f"next: {', '.join(t.allowed_transitions) or '-'}")
    if isinstance(t, TicketDetail):
        for m in t.messages:
            files = ", ".join(a.filename for a in m.attachments)
            extra = f"  [dim]{files}[/]" if files else ""
            when = f"{m.created_at:%Y-%m-%d %H:%M}"
            console.print(f"[cyan]{m.author_name}[/] {when}: {m.body}{extra}")


@tickets_app.command("list")
@handles_errors
def list_cmd(
    state: Annotated[str | None, typer.Option(help="Only tickets in this state")] = None,
    project: Annotated[str | None, typer.Option(help="Only this project's tickets")] = None,
    mine: Annotated[bool, typer.Option(help="Only tickets I opened or am assigned")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Tickets one can see, newest first, with their SLA status."""
    with signed_in_client() as c:
        found = list(c.tickets.iter(state=state, project=project, mine=mine))
    print_result(
        found,
        as_json,
        table(
            f"Tickets ({len(found)})",
            TICKET_COLUMNS,
            lambda t: (t.id, t.project, t.priority, t.state, t.title, _sla(t)),
        ),
    )


@tickets_app.command("open")
@handles_errors
def open_cmd(
    project: str,
    title: Annotated[str, typer.Option(help="One line that says what is wrong")],
    body: Annotated[str, typer.Option(help="What you did, what happened, what you expected")],
    category: Annotated[str, typer.Option(help="access/compute/data/models/...")] = "other",
    priority: Annotated[str, typer.Option(help="low/normal/high/urgent")] = "normal",
    as_json: JsonOpt = False,
) -> None:
    """Open a ticket on one of one's projects."""
    with signed_in_client() as c:
        t = c.tickets.open(
            project=project, title=title, body=body, category=category, priority=priority
        )
    print_result(t, as_json, _opened)


def _opened(t: TicketRead) -> None:
    due = f"{t.sla.first_response_due:%Y-%m-%d %H:%M} UTC"
    console.print(f"[green]ticket #{t.id} opened[/]; first response due {due}")


@tickets_app.command("show")
@handles_errors
def show_cmd(ticket_id: int, as_json: JsonOpt = False) -> None:
    """A ticket and its thread."""
    with signed_in_client() as c:
        t = c.tickets.get(ticket_id)
    print_result(t, as_json, _show)


@tickets_app.command("reply")
@handles_errors
def reply_cmd(
    ticket_id: int,
    body: str,
    attach: Annotated[list[Path] | None, typer.Option(help="A file to attach (repeat)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a message (and files) to a ticket."""
    with signed_in_client() as c:
        m = c.tickets.post_message(ticket_id, body, attachments=attach or [])
    print_result(m, as_json, lambda m: _replied(ticket_id, m))


def _replied(ticket_id: int, m: MessageRead) -> None:
    files = f" with {len(m.attachments)} file(s)" if m.attachments else ""
    console.print(f"[green]message added to #{ticket_id}[/]{files}")


@tickets_app.command("move")
@handles_errors
def move_cmd(ticket_id: int, state: str, as_json: JsonOpt = False) -> None:
    """Move a ticket to another state (the allowed moves are named when refused)."""
    with signed_in_client() as c:
        t = c.tickets.transition(ticket_id, state)
    print_result(t, as_json, lambda t: console.print(f"[green]#{t.id} is now {t.state}[/]"))


@tickets_app.command("rate")
@handles_errors
def rate_cmd(
    ticket_id: int,
    rating: Annotated[int, typer.Argument(min=1, max=5, help="1 (poor) to 5 (excellent)")],
    comment: Annotated[str, typer.Option(help="What helped, what did not")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Rate the help received once the ticket is resolved."""
    with signed_in_client() as c:
        t = c.tickets.rate(ticket_id, rating, comment)
    print_result(t, as_json, lambda t: console.print(f"[green]#{t.id} rated {t.rating}/5[/]"))


@tickets_app.command("propose")
@handles_errors
def propose_cmd(ticket_id: int, as_json: JsonOpt = False) -> None:
    """The best-matching available experts for a ticket, with reasons (support desk)."""
    with signed_in_client() as c:
        found = c.tickets.proposals(ticket_id)
    print_result(
        found,
        as_json,
        table(
            f"Experts for #{ticket_id}",
            ("expert", "id", "score", "load", "reasons"),
            lambda p: (
                p.name,
                p.expert_id,
                f"{p.score:.2f}",
                f"{p.load}/{p.capacity}",
                "; ".join(p.reasons),
            ),
        ),  # fmt: skip
    )


@tickets_app.command("assign")
@handles_errors
def assign_cmd(
    ticket_id: int,
    expert_email: str,
    over_capacity: Annotated[bool, typer.Option(help="Assign even if the expert is full")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Assign a ticket to an expert (support desk)."""
    with signed_in_client() as c:
        t = c.tickets.assign(ticket_id, expert_email, allow_over_capacity=over_capacity)
    print_result(
        t, as_json, lambda t: console.print(f"[green]#{t.id} assigned to {expert_email}[/]")
    )


@kb_app.command("search")
@handles_errors
def kb_search(q: str, as_json: JsonOpt = False) -> None:
    """Knowledge-base articles matching some words, best first."""
    with signed_in_client() as c:
        hits = c.kb.search(q)
    print_result(
        hits,
        as_json,
        table(
            f"Articles for '{q}'",
            ("slug", "title", "score", "excerpt"),
            lambda h: (h.slug, h.title, f"{h.score:.2f}", h.excerpt[:80]),
        ),
    )


def register(app: typer.Typer) -> None:
    """Add `aifhub tickets` and `aifhub kb`."""
    app.add_typer(tickets_app, name="tickets")
    app.add_typer(kb_app, name="kb")
