"""`aifhub courses ...`: training sessions, enrolments and rosters, acting as a named user."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from aifhub.commands.support import AsUser, console, run_as

courses_app = typer.Typer(help="Training courses and sessions.", no_args_is_help=True)


@courses_app.command("list")
def list_cmd(
    as_user: AsUser,
    q: Annotated[str | None, typer.Option(help="Words in the title or summary")] = None,
) -> None:
    """Courses and their upcoming sessions, with seats taken."""
    from aifhub.ecosystem import training

    async def work(s: AsyncSession, u: Any) -> Any:
        rows = await training.list_courses(s, q=q)
        counts = await training.seat_counts(s, [x.id for _, ss in rows for x in ss])
        return rows, counts

    rows, counts = run_as(as_user, work)
    table = Table("course", "level", "session", "starts", "format", "lang", "seats", "waiting")
    for c, sessions in rows:
        for cs in sessions or [None]:
            if cs is None:
                table.add_row(c.title, c.level, "-", "-", "-", "-", "-", "-")
                continue
            n = counts[cs.id]
            table.add_row(
                c.title,
                c.level,
                str(cs.id),
                f"{cs.starts_at:%Y-%m-%d %H:%M}",
                cs.format,
                cs.language,
                f"{n['enrolled']}/{cs.seats}",
                str(n["waitlisted"]),
            )
    console.print(table)


@courses_app.command("enrol")
def enrol_cmd(session_id: int, as_user: AsUser) -> None:
    """Enrol in a session (a seat, or the waiting list when it is full)."""
    from aifhub.ecosystem import training

    e = run_as(as_user, lambda s, u: training.enrol(s, u, session_id))
    console.print(f"[green]enrolment {e.id}: {e.state}[/]")


@courses_app.command("cancel")
def cancel_cmd(enrolment_id: int, as_user: AsUser) -> None:
    """Cancel an enrolment; the first person waiting gets the seat."""
    from aifhub.ecosystem import training

    e = run_as(as_user, lambda s, u: training.cancel(s, u, enrolment_id))
    console.print(f"[green]enrolment {e.id} cancelled[/]")


@courses_app.command("roster")
def roster_cmd(session_id: int, as_user: AsUser) -> None:
    """Who is enrolled and waiting on a session (training staff)."""
    from aifhub.ecosystem import training

    table = Table("enrolment", "name", "email", "state", "attended")
    for e, u in run_as(as_user, lambda s, u: training.roster(s, u, session_id)):
        table.add_row(str(e.id), u.name, u.email, e.state, "yes" if e.attended else "")
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add `aifhub courses`."""
    app.add_typer(courses_app, name="courses")
