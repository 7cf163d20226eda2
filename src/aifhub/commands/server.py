"""Server-side commands: serve, worker, db, demo, create-admin."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Annotated

import typer
from rich.console import Console

from aifhub.core.config import Settings, get_settings

console = Console()
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


def _settings() -> Settings:
    return get_settings()


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the migrations to the configured database."""
    from aifhub.core.migrate import upgrade

    settings = _settings()
    settings.ensure_var_dir()
    upgrade(settings.resolved_database_url(), revision)
    console.print(f"[green]database at {revision}[/]")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    demo: Annotated[bool, typer.Option(help="Migrate and load the demo data first")] = False,
    workers: Annotated[int, typer.Option(help="Web processes (the worker then runs apart)")] = 1,
    worker: Annotated[bool, typer.Option(help="Run the background worker in-process")] = True,
) -> None:
    """Run the platform (web pages, API, and the worker in-process by default)."""
    import uvicorn

    settings = _settings()
    settings.ensure_var_dir()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if demo:
        from aifhub.core.migrate import upgrade
        from aifhub.demo import DEMO_LOGINS, load_demo

        upgrade(settings.resolved_database_url())
        asyncio.run(load_demo(settings))
        console.print("[bold]Demo logins[/] (password for all: [cyan]demo-password[/]):")
        for email, what in DEMO_LOGINS:
            console.print(f"  {email:32} {what}")
        os.environ["AIFHUB_DEMO"] = "1"  # the app below runs with the demo's settings
    os.environ["AIFHUB_RUN_WORKER_IN_PROCESS"] = "1" if worker and workers == 1 else "0"
    get_settings.cache_clear()
    url = f"http://{host}:{port}/"
    console.print(f"[bold green]aifhub is starting at {url}[/]  (API docs: {url}api/v1/docs)")
    uvicorn.run(
        "aifhub.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


def worker_cmd(
    once: Annotated[bool, typer.Option(help="Run each task once and exit")] = False,
) -> None:
    """Run the background worker (deliveries, polling, accounting, notifications)."""
    from aifhub.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = _settings()
    if once:
        from aifhub.worker import standalone_worker

        async def _once() -> None:
            async with standalone_worker(settings) as worker:
                done = await worker.run_once()
            console.print(done)

        asyncio.run(_once())
        return
    asyncio.run(run_worker(settings))


def demo_cmd() -> None:
    """Migrate the database and load the demo data (idempotent)."""
    from aifhub.core.migrate import upgrade
    from aifhub.demo import load_demo

    settings = _settings()
    settings.ensure_var_dir()
    upgrade(settings.resolved_database_url())
    created = asyncio.run(load_demo(settings))
    console.print("[green]demo data loaded[/]" if created else "demo data already present")


def create_admin(
    email: str,
    name: Annotated[str, typer.Option(help="Display name")] = "Administrator",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)] = "",
) -> None:
    """Create a staff admin account on the configured database."""
    from aifhub.core.db import make_engine, make_sessionmaker
    from aifhub.core.errors import AppError
    from aifhub.identity.service import create_user

    settings = _settings()

    async def _create() -> None:
        engine = make_engine(settings.resolved_database_url())
        async with make_sessionmaker(engine)() as session:
            await create_user(
                session,
                email=email,
                name=name,
                password=password,
                staff_roles=["admin"],
                email_verified=True,  # created by the operator, who vouches for it
            )
            await session.commit()
        await engine.dispose()

    try:
        asyncio.run(_create())
    except AppError as exc:
        console.print(f"[red]{exc.detail}[/]")
        raise typer.Exit(1) from exc
    console.print(f"[green]admin {email} created[/]")


def register(app: typer.Typer) -> None:
    """Add the server commands to the root command."""
    app.add_typer(db_app, name="db")
    app.command("serve")(serve)
    app.command("worker")(worker_cmd)
    app.command("demo")(demo_cmd)
    app.command("create-admin")(create_admin)
