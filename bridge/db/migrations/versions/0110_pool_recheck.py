"""Pool re-check that loses nothing: each entry's state, its issuer's trusted name, and the re-check backoff.

Revision ID: 0110_pool_recheck
Revises: 0100_pool
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0110_pool_recheck"
down_revision = "0100_pool"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("pool_entries") as batch:
        batch.add_column(sa.Column("issuer_name", sa.String(300), nullable=False, server_default=""))
        batch.add_column(sa.Column("state", sa.String(20), nullable=False, server_default="verified"))
        batch.add_column(sa.Column("checked_at", TS, nullable=True))
        batch.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_check_at", TS, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pool_entries") as batch:
        for column in ("next_check_at", "failures", "checked_at", "state", "issuer_name"):
            batch.drop_column(column)
