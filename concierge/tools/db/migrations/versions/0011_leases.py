"""leases: a job one replica at a time runs (the learning loop) is held here

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:29:48.374605
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import concierge.tools.db.base

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", concierge.tools.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("leases")
