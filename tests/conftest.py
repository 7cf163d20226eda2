"""Test fixtures: a real SQLite file and a real PostgreSQL for every database test."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from aifhub.app import create_app
from aifhub.core.config import Settings
from aifhub.core.db import make_engine, make_sessionmaker
from aifhub.core.migrate import upgrade
from aifhub.models import metadata

from . import workers
from .browser_fixtures import browser, live_server, live_server_with_worker  # noqa: F401  (shared fixtures)
from .pg import shared_server, stop_shared_server
from .system_fixtures import bwrap_installed, slurm_cluster  # noqa: F401  (shared fixtures)
from .unix_users import make_unix_user, unix_user  # noqa: F401  (shared fixtures)

# argon2's cheapest parameters: the default cost (~0.1 s a hash) was most of the suite's time.
# Server processes the tests start inherit it through the environment.
os.environ.setdefault("AIFHUB_PASSWORD_HASH_COST", "cheapest")

DATABASES = [
    d for d in os.environ.get("AIFHUB_TEST_DATABASES", "sqlite,postgresql").split(",") if d
]


@pytest.fixture(scope="session")
def postgres_server(pytestconfig: pytest.Config) -> str:
    """A PostgreSQL server URL: AIFHUB_TEST_POSTGRES_URL if it answers, else a private one,
    shared by every worker of the run (each worker makes its own database there)."""
    url = os.environ.get("AIFHUB_TEST_POSTGRES_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        if _answers(url):
            return url
    return shared_server(workers.shared_dir(pytestconfig))


def _answers(url: str) -> bool:
    async def probe() -> bool:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False
        finally:
            await engine.dispose()

    return asyncio.run(probe())


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh, migrated database of each kind (the suite runs once per kind)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        name = f"aifhub_test_{uuid.uuid4().hex[:10]}"
        _admin_sql(server, f'CREATE DATABASE "{name}"')
        request.addfinalizer(lambda: _admin_sql(server, f'DROP DATABASE "{name}" WITH (FORCE)'))
        url = server.rsplit("/", 1)[0] + "/" + name
    upgrade(url)  # the real migrations, so a model/migration drift fails here
    return url


def _admin_sql(server_url: str, sql: str) -> None:
    async def run() -> None:
        engine = make_engine(server_url)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
        await engine.dispose()

    asyncio.run(run())


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at the test database and a temporary var folder."""
    var = tmp_path_factory.mktemp("var")
    return Settings(
        database_url=database_url,
        var_dir=var,
        secret_key="test-secret",
        login_max_failures=5,
        run_worker_in_process=False,
    )


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test database."""
    eng = make_engine(database_url)
    yield eng
    await eng.dispose()


# One round trip tells which tables hold rows: most tests touch a handful of the tables.
_TABLES_WITH_ROWS = text(
    " UNION ALL ".join(
        f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"
        for t in metadata.sorted_tables
    )
)
# Sequences some insert advanced (PostgreSQL) go back to their start, as TRUNCATE ... RESTART
# IDENTITY would do; setval rewrites them in place (ALTER SEQUENCE RESTART makes a new file).
_RESTART_USED_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
    " FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)


async def _wipe(engine: AsyncEngine) -> None:
    """Empty every table and restart the ids, touching only the tables that hold rows.

    Same end state as a TRUNCATE of every table with RESTART IDENTITY (PostgreSQL) or a DELETE
    of every table (SQLite), for a fraction of the cost: a TRUNCATE of all 40-odd tables costs
    60-200 ms on PostgreSQL, this 2-6 ms.
    """
    async with engine.begin() as conn:
        used = set((await conn.execute(_TABLES_WITH_ROWS)).scalars())
        for table in reversed(metadata.sorted_tables):  # children before their parents
            if table.name in used:
                await conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            await conn.execute(_RESTART_USED_SEQUENCES)


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session on an empty database; every table is emptied after the test."""
    maker = make_sessionmaker(engine)
    async with maker() as session:
        yield session
    await _wipe(engine)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[object]:
    """The application, started (lifespan run) on the test database."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        # Start-up writes rows (the site's clusters); tests start from an empty database.
        await _wipe(application.state.engine)
        yield application


@pytest.fixture
async def client(app: object, db: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process (the database is emptied after)."""
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 5555))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests keep what a person may want to look at (screenshots)."""
    path = Path(os.environ.get("AIFHUB_TEST_ARTIFACTS", "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Tell each xdist worker the folder the run's processes share (tests/workers.py)."""
    node.workerinput.update(workers.worker_input(node.config))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config: pytest.Config, specs: Any) -> None:
    """Workers start from the controller's environment as Python sees it (tests/workers.py)."""
    workers.forget_leaked_terminal_size()


def pytest_unconfigure(config: pytest.Config) -> None:
    """The process that started the run stops the shared PostgreSQL server, once every worker
    is done."""
    folder = workers.remove_shared_dir(config)
    if folder is not None:
        stop_shared_server(folder)
        workers.discard(folder)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Tests that share a one-of-a-kind service run on one xdist worker (tests/workers.py)."""
    workers.mark_worker_group(item)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked postgresql_only (row locks) have no SQLite variant: deselect it; the real
    Slurm tests run first and the tests in the session browser last."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.get_closest_marker("postgresql_only") and params.get("database_url") == "sqlite":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    workers.order_groups(items)
