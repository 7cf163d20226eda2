"""Schema migrations (Alembic), callable from the CLI, the app start and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and this database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def head_revision() -> str | None:
    """The newest migration shipped with this code."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision_of(conn: Connection) -> str | None:
    """The revision a database connection is at (None when never migrated)."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at url to a revision (head by default)."""
    command.upgrade(alembic_config(url), revision)


def stamp_head(url: str) -> None:
    """Mark a database created from the models as being at head (tests)."""
    command.stamp(alembic_config(url), "head")


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database behind an engine is at."""
    async with engine.connect() as conn:
        return await conn.run_sync(current_revision_of)


async def check_migrated(engine: AsyncEngine) -> None:
    """Refuse to run on a database that is not at the newest migration, naming the fix."""
    current, head = await current_revision(engine), head_revision()
    if current != head:
        where = "never migrated" if current is None else f"at revision {current}"
        raise RuntimeError(
            f"The database is {where}, this code needs revision {head}. "
            "Run `aifhub db upgrade` (it applies the migrations), then start again."
        )


# Objects created by raw DDL in a migration (full-text indexes), invisible to the models.
RAW_DDL_PREFIXES = ("catalog_search",)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate/compare filter: skip the raw-DDL objects named in RAW_DDL_PREFIXES."""
    return not (name or "").startswith(RAW_DDL_PREFIXES)
