"""verified e-mail and invitations

Revision ID: security_0003
Revises: security_0002
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import aifhub.core.db  # noqa: F401

revision: str = "security_0003"
down_revision: str | None = "security_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("email_verified_at", aifhub.core.db.UTCDateTime(timezone=True), nullable=True)
        )
    # Accounts that existed before verification was required: staff accounts and accounts
    # with a linked federated identity were vouched for; the others must verify their address.
    op.execute(
        "UPDATE users SET email_verified_at = created_at WHERE id IN "
        "(SELECT user_id FROM staff_roles) OR id IN (SELECT user_id FROM external_identities)"
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_verified_at")
