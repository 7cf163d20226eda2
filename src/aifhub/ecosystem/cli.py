"""`aifhub courses|partners|offers ...`: training, incubators and funds, the talent board."""

from __future__ import annotations

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
from aifhub.schemas.ecosystem import CourseRead, EnrolmentRead

courses_app = typer.Typer(help="Training courses and sessions.", no_args_is_help=True)
partners_app = typer.Typer(help="Incubators, funds and introductions.", no_args_is_help=True)
offers_app = typer.Typer(help="Job and internship offers.", no_args_is_help=True)

SESSION_COLUMNS = ("course", "level", "session", "starts", "format", "lang", "seats", "waiting")


def _session_rows(courses: list[CourseRead]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for c in courses:
        if not c.sessions:
            rows.append((c.title, c.level, "-", "-", "-", "-", "-", "-"))
        for s in c.sessions:
            rows.append(
                (
                    c.title,
                    c.level,
                    s.id,
                    f"{s.starts_at:%Y-%m-%d %H:%M}",
                    s.format,
                    s.language,
                    f"{s.enrolled}/{s.seats}",
                    s.waitlisted,
                )
            )
    return rows


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def _enrolment_line(e: EnrolmentRead) -> str:
    where = f" (position {e.waitlist_position} on the waiting list)" if e.waitlist_position else ""
    return f"enrolment {e.id} on session {e.session_id}: {e.state}{where}"


@courses_app.command("list")
@handles_errors
def list_cmd(
    q: Annotated[str | None, typer.Option(help="Words in the title or summary")] = None,
    past: Annotated[bool, typer.Option(help="Include past sessions")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Courses and their upcoming sessions, with seats taken."""
    with signed_in_client() as c:
        found = c.courses.list(q=q, upcoming_only=not past)
    print_result(
        found,
        as_json,
        lambda courses: print_table(
            f"Courses ({len(courses)})", SESSION_COLUMNS, _session_rows(courses)
        ),
    )


@courses_app.command("show")
@handles_errors
def show_cmd(slug: str, as_json: JsonOpt = False) -> None:
    """One course and all its sessions."""
    with signed_in_client() as c:
        course = c.courses.get(slug)
    print_result(course, as_json, _show_course)


def _show_course(course: CourseRead) -> None:
    console.print(f"[bold]{course.title}[/] ({course.level}) {', '.join(course.topics)}")
    if course.summary:
        console.print(course.summary)
    print_table("Sessions", SESSION_COLUMNS, _session_rows([course]))


@courses_app.command("enrol")
@handles_errors
def enrol_cmd(session_id: int, as_json: JsonOpt = False) -> None:
    """Enrol in a session (a seat, or the waiting list when it is full)."""
    with signed_in_client() as c:
        e = c.courses.enrol(session_id)
    print_result(e, as_json, lambda e: console.print(f"[green]{_enrolment_line(e)}[/]"))


@courses_app.command("mine")
@handles_errors
def mine_cmd(as_json: JsonOpt = False) -> None:
    """One's enrolments, with waiting-list positions."""
    with signed_in_client() as c:
        found = c.courses.my_enrolments()
    print_result(
        found,
        as_json,
        table(
            "My enrolments",
            ("enrolment", "session", "state", "waiting position", "attended"),
            lambda e: (e.id, e.session_id, e.state, e.waitlist_position, _yes(e.attended)),
        ),
    )


@courses_app.command("cancel")
@handles_errors
def cancel_cmd(enrolment_id: int, as_json: JsonOpt = False) -> None:
    """Cancel an enrolment; the first person waiting gets the seat."""
    with signed_in_client() as c:
        e = c.courses.cancel(enrolment_id)
    print_result(e, as_json, lambda e: console.print(f"[green]enrolment {e.id} cancelled[/]"))


@courses_app.command("roster")
@handles_errors
def roster_cmd(session_id: int, as_json: JsonOpt = False) -> None:
    """Who is enrolled and waiting on a session (training staff)."""
    with signed_in_client() as c:
        found = c.courses.roster(session_id)
    print_result(
        found,
        as_json,
        table(
            f"Session {session_id}",
            ("enrolment", "name", "email", "state", "attended"),
            lambda e: (e.id, e.name, e.email, e.state, _yes(e.attended)),
        ),
    )


@partners_app.command("list")
@handles_errors
def partners_cmd(
    kind: Annotated[str | None, typer.Option(help="incubator or fund")] = None,
    sector: Annotated[str | None, typer.Option(help="Only partners of this sector")] = None,
    stage: Annotated[str | None, typer.Option(help="Only partners of this stage")] = None,
    country: Annotated[str | None, typer.Option(help="Only partners in this country")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Incubators and funds, filtered."""
    with signed_in_client() as c:
        found = c.partners.list(kind=kind, sector=sector, stage=stage, country=country)
    print_result(
        found,
        as_json,
        table(
            f"Partners ({len(found)})",
            ("slug", "name", "kind", "country", "sectors", "stages"),
            lambda p: (
                p.slug,
                p.name,
                p.kind,
                p.country,
                ", ".join(p.sectors),
                ", ".join(p.stages),
            ),
        ),  # fmt: skip
    )


@partners_app.command("introduce")
@handles_errors
def introduce_cmd(
    partner: str,
    org: Annotated[str, typer.Option("--org", help="Your startup's organisation slug")],
    pitch: Annotated[str, typer.Option(help="A short pitch (20 characters or more)")],
    as_json: JsonOpt = False,
) -> None:
    """Ask a partner for an introduction to one of one's startups."""
    with signed_in_client() as c:
        i = c.partners.request_introduction(partner, organisation=org, pitch=pitch)
    print_result(
        i,
        as_json,
        lambda i: console.print(
            f"[green]introduction #{i.id} to {partner} requested[/] ({i.state})"
        ),
    )


@partners_app.command("introductions")
@handles_errors
def introductions_cmd(
    state: Annotated[str | None, typer.Option(help="requested, accepted or declined")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Introductions one can see."""
    with signed_in_client() as c:
        found = c.partners.introductions(state=state)
    print_result(
        found,
        as_json,
        table(
            "Introductions",
            ("id", "partner", "organisation", "state", "outcome", "asked"),
            lambda i: (
                i.id,
                i.partner_name,
                i.organisation_name,
                i.state,
                i.outcome,
                f"{i.created_at:%Y-%m-%d}",
            ),
        ),  # fmt: skip
    )


@offers_app.command("list")
@handles_errors
def offers_cmd(
    kind: Annotated[str | None, typer.Option(help="job or internship")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Open job and internship offers."""
    with signed_in_client() as c:
        found = c.offers.list(kind=kind)
    print_result(
        found,
        as_json,
        table(
            f"Offers ({len(found)})",
            ("id", "kind", "title", "location", "skills"),
            lambda o: (o.id, o.kind, o.title, o.location, ", ".join(o.skills)),
        ),
    )


def register(app: typer.Typer) -> None:
    """Add `aifhub courses`, `aifhub partners` and `aifhub offers`."""
    app.add_typer(courses_app, name="courses")
    app.add_typer(partners_app, name="partners")
    app.add_typer(offers_app, name="offers")
