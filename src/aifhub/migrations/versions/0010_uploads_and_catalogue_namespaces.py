"""uploads and catalogue namespaces

Revision ID: security_0004
Revises: security_0003
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import aifhub.core.db  # noqa: F401

revision: str = "security_0004"
down_revision: str | None = "security_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
