"""learning without breaking: evaluation sets, policies (and the version each turn used), experiments, alerts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:57:03.647710
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import concierge.tools.db.base

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "active_policies",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous_version", sa.Integer(), nullable=True),
        sa.Column("activated_at", concierge.tools.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("baseline", sa.JSON(), nullable=False),
        sa.Column("watched", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("deliveries", sa.JSON(), nullable=False),
        sa.Column("created_at", concierge.tools.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", concierge.tools.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", concierge.tools.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_tenant_kind_status", ["tenant_id", "kind", "status"], unique=False)

    op.create_table(
        "eval_sets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("cases", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", concierge.tools.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "name", "version"),
    )
    op.create_table(
        "experiments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("control_version", sa.Integer(), nullable=False),
        sa.Column("treatment_version", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("min_turns", sa.Integer(), nullable=False),
        sa.Column("eval", sa.JSON(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", concierge.tools.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("step_started_at", concierge.tools.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", concierge.tools.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.create_index("ix_experiments_tenant_status", ["tenant_id", "status"], unique=False)

    op.create_table(
        "policies",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", concierge.tools.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "version"),
    )
    op.create_table(
        "policy_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("at", concierge.tools.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("policy_events", schema=None) as batch_op:
        batch_op.create_index("ix_policy_events_tenant_at", ["tenant_id", "at"], unique=False)

    op.create_table(
        "fine_tune_jobs",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("base_model", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("fine_tuned_model", sa.String(length=300), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", concierge.tools.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", concierge.tools.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fine_tune_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fine_tune_jobs_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("retrieval_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy_version", sa.Integer(), nullable=True))

    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_column("policy_version")

    with op.batch_alter_table("retrieval_log", schema=None) as batch_op:
        batch_op.drop_column("policy_version")

    with op.batch_alter_table("policy_events", schema=None) as batch_op:
        batch_op.drop_index("ix_policy_events_tenant_at")

    with op.batch_alter_table("fine_tune_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fine_tune_jobs_tenant_id"))

    op.drop_table("fine_tune_jobs")
    op.drop_table("policy_events")
    op.drop_table("policies")
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.drop_index("ix_experiments_tenant_status")

    op.drop_table("experiments")
    op.drop_table("eval_sets")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_tenant_kind_status")

    op.drop_table("alerts")
    op.drop_table("active_policies")
