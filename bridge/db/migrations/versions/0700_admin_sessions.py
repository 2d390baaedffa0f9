"""Admin sessions: the browser login of the admin (only the hash of the session id, with its expiry).

Revision ID: 0700_admin_sessions
Revises: 0001_dataspace
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0700_admin_sessions"
down_revision = "0001_dataspace"
branch_labels = ("admin_sessions",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_admin_sessions")),
    )
    op.create_index(op.f("ix_admin_sessions_expires_at"), "admin_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_admin_sessions_expires_at"), table_name="admin_sessions")
    op.drop_table("admin_sessions")
