"""catalog: Hugging Face card metadata kept verbatim, every base model

Revision ID: catalog_0013
Revises: identity_0012
Create Date: 2026-12-03 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "catalog_0013"
down_revision: str | None = "identity_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch table copy: the SQLite full-text triggers stay in place).
    op.add_column("catalog_assets", sa.Column("card_metadata", sa.Text(), nullable=True))
    op.add_column(
        "catalog_assets",
        sa.Column("base_models", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    assets = sa.table(
        "catalog_assets",
        sa.column("id", sa.Integer()),
        sa.column("base_model", sa.String()),
        sa.column("base_models", sa.JSON()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(assets.c.id, assets.c.base_model).where(assets.c.base_model.is_not(None))
    ).all()
    for asset_id, base_model in rows:
        bind.execute(
            assets.update().where(assets.c.id == asset_id).values(base_models=[base_model])
        )


def downgrade() -> None:
    op.drop_column("catalog_assets", "base_models")
    op.drop_column("catalog_assets", "card_metadata")
