"""sale prices: the regular price of a product or variant on sale

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:14:53.344152
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("product_variants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("regular_price", sa.Numeric(precision=12, scale=2), nullable=True))

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("regular_price", sa.Numeric(precision=12, scale=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("regular_price")

    with op.batch_alter_table("product_variants", schema=None) as batch_op:
        batch_op.drop_column("regular_price")
