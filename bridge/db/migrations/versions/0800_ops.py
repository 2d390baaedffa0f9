"""Worker heartbeats, for readiness and the heartbeat-age metric.

Revision ID: 0800_ops
Revises: 0001_dataspace
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0800_ops"
down_revision = "0001_dataspace"
branch_labels = ("ops",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeats")),
    )
    op.create_index(op.f("ix_worker_heartbeats_seen_at"), "worker_heartbeats", ["seen_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_worker_heartbeats_seen_at"), table_name="worker_heartbeats")
    op.drop_table("worker_heartbeats")
