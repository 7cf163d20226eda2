"""The migrations create exactly the tables the models declare, and the app insists on them."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from aifhub.app import create_app
from aifhub.core.config import Settings
from aifhub.core.migrate import alembic_config, include_name
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


def test_migration_files_sort_in_chain_order():
    """`ls versions/` reads as the chain: file names sort from base to head."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    chain = [Path(rev.path).name for rev in reversed(list(script.walk_revisions()))]
    assert chain == sorted(chain), f"rename the files so they sort in chain order: {chain}"
    assert len(script.get_heads()) == 1, "the migrations must form one chain"
