"""sandbox network grants

Revision ID: security_0001
Revises: compute_0001
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aifhub.core.db

revision: str = "security_0001"
down_revision: str | None = "compute_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing partitions keep jobs off the network until the site file says otherwise.
    with op.batch_alter_table("partitions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allow_network", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("partitions", schema=None) as batch_op:
        batch_op.alter_column("allow_network", server_default=None)
    op.create_table(
        "network_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("partition_id", sa.Integer(), nullable=True),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", aifhub.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", aifhub.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["clusters.id"],
            name=op.f("fk_network_grants_cluster_id_clusters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["users.id"],
            name=op.f("fk_network_grants_granted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partition_id"],
            ["partitions.id"],
            name=op.f("fk_network_grants_partition_id_partitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_network_grants_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["users.id"],
            name=op.f("fk_network_grants_revoked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_grants")),
    )
    op.create_index(
        "ix_network_grants_project_cluster",
        "network_grants",
        ["project_id", "cluster_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_network_grants_project_cluster", table_name="network_grants")
    op.drop_table("network_grants")
    with op.batch_alter_table("partitions", schema=None) as batch_op:
        batch_op.drop_column("allow_network")
