"""The migrations create exactly the tables the models declare, and the app insists on them."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from aifhub.app import create_app
from aifhub.core.config import Settings
from aifhub.core.migrate import include_name
from aifhub.models import metadata


async def test_migrations_match_models(engine):
    def diff(conn):
        return compare_metadata(
            MigrationContext.configure(conn, opts={"include_name": include_name}), metadata
        )

    async with engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == [], f"models and migrations differ; add a migration: {changes}"


async def test_app_refuses_unmigrated_database(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", var_dir=tmp_path)
    app = create_app(settings)
    with pytest.raises(RuntimeError, match="aifhub db upgrade"):
        async with app.router.lifespan_context(app):
            pass
