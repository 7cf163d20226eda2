"""identity: web sessions keep what a federated sign-out needs (RP-initiated logout)

Revision ID: identity_0014
Revises: catalog_0013
Create Date: 2026-12-03 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "identity_0014"
down_revision: str | None = "catalog_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oidc_provider", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("id_token", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_column("id_token")
        batch_op.drop_column("oidc_provider")
