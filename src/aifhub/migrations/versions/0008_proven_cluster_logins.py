"""proven cluster logins

Revision ID: security_0002
Revises: security_0001
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aifhub.core.db  # noqa: F401

revision: str = "security_0002"
down_revision: str | None = "security_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A login used to be whatever a user typed; now only an approved one reaches the cluster.
    # Existing rows keep what they proved: set by staff -> approved (source staff); claimed by
    # the user -> pending (source request), to be approved by staff before it is used again.
    with op.batch_alter_table("cluster_logins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("decided_at", aifhub.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_cluster_logins_decided_by_id_users"),
            "users",
            ["decided_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    logins = sa.table(
        "cluster_logins",
        sa.column("set_by_staff", sa.Boolean()),
        sa.column("status", sa.String()),
        sa.column("source", sa.String()),
    )
    op.execute(
        logins.update()
        .where(logins.c.set_by_staff == sa.true())
        .values(status="approved", source="staff")
    )
    op.execute(
        logins.update()
        .where(logins.c.set_by_staff == sa.false())
        .values(status="pending", source="request")
    )
    with op.batch_alter_table("cluster_logins", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("source", existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_column("set_by_staff")


def downgrade() -> None:
    with op.batch_alter_table("cluster_logins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("set_by_staff", sa.Boolean(), nullable=True))
    logins = sa.table(
        "cluster_logins",
        sa.column("set_by_staff", sa.Boolean()),
        sa.column("status", sa.String()),
        sa.column("source", sa.String()),
    )
    op.execute(logins.update().values(set_by_staff=logins.c.source != "request"))
    # Only approved logins were proven; the others must not come back as usable claims.
    op.execute(logins.delete().where(logins.c.status != "approved"))
    with op.batch_alter_table("cluster_logins", schema=None) as batch_op:
        batch_op.alter_column("set_by_staff", existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_constraint(
            batch_op.f("fk_cluster_logins_decided_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by_id")
        batch_op.drop_column("reason")
        batch_op.drop_column("source")
        batch_op.drop_column("status")
