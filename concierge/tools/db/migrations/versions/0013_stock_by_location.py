"""stock by location: a product's and a variant's stock per shop location, when the export gives it so

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 18:30:48.973945
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("product_variants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stock_by_location", sa.JSON(), nullable=True))

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stock_by_location", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("stock_by_location")

    with op.batch_alter_table("product_variants", schema=None) as batch_op:
        batch_op.drop_column("stock_by_location")
