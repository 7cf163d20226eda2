"""Client commands for identity: login, logout, whoami, orgs, projects, tokens."""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from typing import Annotated

import typer

from aifhub.client import ApiError, Client
from aifhub.client.config import (
    ClientConfig,
    config_path,
    forget_token,
    load_config,
    save_config,
)
from aifhub.client.output import (
    JsonOpt,
    console,
    handles_errors,
    print_fields,
    print_result,
    signed_in_client,
    table,
)
from aifhub.schemas.identity import OrgMemberRead, ProjectMemberRead, TokenCreated, UserRead

orgs_app = typer.Typer(help="Organisations you belong to.", no_args_is_help=True)
projects_app = typer.Typer(help="Projects and their members.", no_args_is_help=True)
tokens_app = typer.Typer(help="Your API tokens.", no_args_is_help=True)

ORG_KINDS = "startup, sme, large_company, academic, public_body"


# ---------------------------------------------------------------- session


@handles_errors
def login(
    url: Annotated[str | None, typer.Option(help="Server URL (default: the saved one)")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail (prompted when absent)")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
    token_name: Annotated[str | None, typer.Option(help="Name of the new token")] = None,
    expires_in_days: Annotated[int, typer.Option(help="Token lifetime in days")] = 90,
    admin: Annotated[
        bool,
        typer.Option("--admin", help="Staff: give the token the 'admin' scope (your staff roles)"),
    ] = False,
) -> None:
    """Sign in with e-mail and password; the new API token is saved in the config file."""
    server = (url or load_config().url).rstrip("/")
    email = email or typer.prompt("E-mail")
    if password_stdin:
        password = typer.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True)
    name = token_name or f"cli@{socket.gethostname()}"
    with Client(server) as client:
        # Staff powers travel in a token only when asked for (least privilege by default).
        scopes = ["read", "write", "admin"] if admin else ["read", "write"]
        created = client.login(
            email, password, name, scopes=scopes, expires_in_days=expires_in_days
        )
        me = client.me()
    path = save_config(url=server, token=created.token, token_id=created.id)
    console.print(f"[green]Signed in to {server} as {me.email}[/] (token '{created.name}').")
    console.print(f"Saved in {path}")


@handles_errors
def logout() -> None:
    """Revoke the saved token on the server and forget it."""
    cfg = load_config()
    if cfg.token_source == "file" and cfg.token and cfg.token_id is not None:
        try:
            with Client(cfg.url, cfg.token) as client:
                client.tokens.revoke(cfg.token_id)
        except ApiError as exc:
            if exc.status not in (401, 404, 409):  # already unusable: forgetting it is enough
                raise
    if forget_token():
        console.print(f"Signed out of {cfg.url}.")
    else:
        console.print("Not signed in.")
    if cfg.token_source == "env":
        console.print("[yellow]AIFHUB_TOKEN is still set in the environment.[/]")


@handles_errors
def whoami(as_json: JsonOpt = False) -> None:
    """Who the saved token belongs to, on which server."""
    cfg = load_config()
    with signed_in_client() as client:
        me = client.me()
    print_result(me, as_json, lambda me: _show_me(me, cfg))


def _show_me(me: UserRead, cfg: ClientConfig) -> None:
    roles = ", ".join(me.staff_roles) or "-"
    console.print(f"[bold]{me.name}[/] <{me.email}>  staff roles: {roles}")
    console.print(f"server: {cfg.url} ({cfg.url_source}); config: {config_path()}")


# ---------------------------------------------------------------- organisations


def _members_table(slug: str) -> Callable[[Sequence[OrgMemberRead | ProjectMemberRead]], None]:
    return table(
        f"Members of {slug}",
        ["id", "e-mail", "name", "role"],
        lambda m: (m.user_id, m.email, m.name, m.role),
    )


@orgs_app.command("list")
@handles_errors
def orgs_list(as_json: JsonOpt = False) -> None:
    """Organisations you belong to (all of them, for staff)."""
    with signed_in_client() as client:
        orgs = list(client.iter_organisations())
    print_result(
        orgs,
        as_json,
        table(
            f"Organisations ({len(orgs)})",
            ["slug", "name", "kind", "country", "sectors", "my role"],
            lambda o: (o.slug, o.name, o.kind, o.country, ", ".join(o.sectors), o.my_role),
        ),
    )


@orgs_app.command("show")
@handles_errors
def orgs_show(slug: str, as_json: JsonOpt = False) -> None:
    """One organisation."""
    with signed_in_client() as client:
        org = client.organisations.get(slug)
    print_result(org, as_json, lambda org: print_fields(f"Organisation {org.slug}", org))


@orgs_app.command("create")
@handles_errors
def orgs_create(
    slug: str,
    name: Annotated[str, typer.Option(help="Display name")],
    kind: Annotated[str, typer.Option(help=ORG_KINDS)],
    country: Annotated[str, typer.Option(help="ISO 3166 code, e.g. FR")],
    sector: Annotated[list[str] | None, typer.Option(help="A sector (repeatable)")] = None,
    website: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an organisation; you become its owner."""
    with signed_in_client() as client:
        org = client.organisations.create(
            slug, name, kind=kind, country=country, sectors=sector or [], website=website
        )
    print_result(
        org, as_json, lambda org: console.print(f"[green]Organisation '{org.slug}' created.[/]")
    )


@orgs_app.command("members")
@handles_errors
def orgs_members(slug: str, as_json: JsonOpt = False) -> None:
    """Members of an organisation."""
    with signed_in_client() as client:
        members = client.organisations.members(slug)
    print_result(members, as_json, _members_table(slug))


@orgs_app.command("set-role")
@handles_errors
def orgs_set_role(slug: str, email: str, role: str) -> None:
    """Change a member's role (owner, admin, member)."""
    with signed_in_client() as client:
        m = client.organisations.set_role(slug, email, role)
    console.print(f"[green]{m.email} is now {m.role} of '{slug}'.[/]")


@orgs_app.command("remove-member")
@handles_errors
def orgs_remove_member(slug: str, email: str) -> None:
    """Remove a member from an organisation (or leave it, with your own e-mail)."""
    with signed_in_client() as client:
        client.organisations.remove_member(slug, email)
    console.print(f"[green]{email} removed from '{slug}'.[/]")


@orgs_app.command("invite")
@handles_errors
def orgs_invite(
    slug: str,
    email: str,
    role: Annotated[str, typer.Option(help="owner, admin, member")] = "member",
) -> None:
    """Invite an e-mail address into an organisation: the only way in (the invitee accepts)."""
    with signed_in_client() as client:
        inv = client.organisations.invite(slug, email, role=role)
    console.print(f"[green]Invited {inv.email} as {inv.role} until {inv.expires_at:%Y-%m-%d}.[/]")


@orgs_app.command("invitations")
@handles_errors
def orgs_invitations(as_json: JsonOpt = False) -> None:
    """Pending invitations addressed to you."""
    with signed_in_client() as client:
        invitations = client.organisations.invitations()
    print_result(
        invitations,
        as_json,
        table(
            "Your invitations",
            ["id", "organisation", "role", "expires"],
            lambda i: (i.id, i.org_slug, i.role, f"{i.expires_at:%Y-%m-%d}"),
        ),
    )


@orgs_app.command("accept")
@handles_errors
def orgs_accept(invitation_id: int) -> None:
    """Accept an invitation (your e-mail address must be verified)."""
    with signed_in_client() as client:
        inv = client.organisations.accept(invitation_id)
    console.print(f"[green]You joined '{inv.org_slug}' as {inv.role}.[/]")


# ---------------------------------------------------------------- projects


@projects_app.command("list")
@handles_errors
def projects_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Projects you can see, with your role in each."""
    with signed_in_client() as client:
        projects = list(client.iter_projects(organisation=org))
    print_result(
        projects,
        as_json,
        table(
            f"Projects ({len(projects)})",
            ["slug", "name", "organisation", "sector", "status", "my role"],
            lambda p: (p.slug, p.name, p.organisation, p.sector, p.status, p.my_role),
        ),
    )


@projects_app.command("show")
@handles_errors
def projects_show(slug: str, as_json: JsonOpt = False) -> None:
    """One project."""
    with signed_in_client() as client:
        project = client.projects.get(slug)
    print_result(project, as_json, lambda p: print_fields(f"Project {p.slug}", p))


@projects_app.command("create")
@handles_errors
def projects_create(
    slug: str,
    name: Annotated[str, typer.Option(help="Display name")],
    org: Annotated[str, typer.Option("--org", help="Organisation slug")],
    sector: Annotated[str, typer.Option(help="e.g. health, energy, materials")],
    description: Annotated[str, typer.Option()] = "",
    as_json: JsonOpt = False,
) -> None:
    """Open a project in one of your organisations; you become its PI."""
    with signed_in_client() as client:
        project = client.projects.create(
            slug, name, organisation=org, sector=sector, description=description
        )
    print_result(
        project, as_json, lambda p: console.print(f"[green]Project '{p.slug}' created.[/]")
    )


@projects_app.command("members")
@handles_errors
def projects_members(slug: str, as_json: JsonOpt = False) -> None:
    """Members of a project and their roles."""
    with signed_in_client() as client:
        members = client.projects.members(slug)
    print_result(members, as_json, _members_table(slug))


@projects_app.command("add-member")
@handles_errors
def projects_add_member(
    slug: str, email: str, role: Annotated[str, typer.Option(help="pi, manager, member")] = "member"
) -> None:
    """Add a member of the project's organisation to the project (invite others first)."""
    with signed_in_client() as client:
        m = client.projects.add_member(slug, email, role=role)
    console.print(f"[green]{m.email} is now {m.role} of project '{slug}'.[/]")


@projects_app.command("set-role")
@handles_errors
def projects_set_role(slug: str, email: str, role: str) -> None:
    """Change a member's role (pi, manager, member)."""
    with signed_in_client() as client:
        m = client.projects.set_role(slug, email, role)
    console.print(f"[green]{m.email} is now {m.role} of project '{slug}'.[/]")


@projects_app.command("remove-member")
@handles_errors
def projects_remove_member(slug: str, email: str) -> None:
    """Remove a member from a project (or leave it, with your own e-mail)."""
    with signed_in_client() as client:
        client.projects.remove_member(slug, email)
    console.print(f"[green]{email} removed from project '{slug}'.[/]")


# ---------------------------------------------------------------- tokens


@tokens_app.command("list")
@handles_errors
def tokens_list(as_json: JsonOpt = False) -> None:
    """Your API tokens (never their secrets)."""
    with signed_in_client() as client:
        tokens = client.tokens.list()
    fmt = "%Y-%m-%d"
    print_result(
        tokens,
        as_json,
        table(
            "API tokens",
            ["id", "name", "prefix", "scopes", "expires", "last used", "revoked"],
            lambda t: (
                t.id,
                t.name,
                t.prefix + "…",
                " ".join(t.scopes),
                t.expires_at.strftime(fmt) if t.expires_at else "never",
                t.last_used_at.strftime(fmt) if t.last_used_at else "",
                t.revoked_at.strftime(fmt) if t.revoked_at else "",
            ),
        ),
    )


@tokens_app.command("create")
@handles_errors
def tokens_create(
    name: str,
    scope: Annotated[list[str] | None, typer.Option(help="read, write, admin (repeatable)")] = None,
    expires_in_days: Annotated[int, typer.Option(help="Lifetime in days")] = 90,
    as_json: JsonOpt = False,
) -> None:
    """Create an API token; its secret is printed once."""
    with signed_in_client() as client:
        created = client.tokens.create(
            name, scopes=scope or ["read", "write"], expires_in_days=expires_in_days
        )
    print_result(created, as_json, _show_created_token)


def _show_created_token(created: TokenCreated) -> None:
    console.print(f"[green]Token {created.id} '{created.name}' ({' '.join(created.scopes)})[/]")
    console.print("Copy it now, it is not shown again:")
    print(created.token)


@tokens_app.command("revoke")
@handles_errors
def tokens_revoke(token_id: int) -> None:
    """Revoke one of your tokens."""
    with signed_in_client() as client:
        token = client.tokens.revoke(token_id)
    console.print(f"[green]Token {token.id} '{token.name}' revoked.[/]")


def register(app: typer.Typer) -> None:
    """Add the identity client commands to the root command."""
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("whoami")(whoami)
    app.add_typer(orgs_app, name="orgs")
    app.add_typer(projects_app, name="projects")
    app.add_typer(tokens_app, name="tokens")
