"""Pool entries record how the publisher proved holding the credential (decision 012).

Revision ID: 0150_pool_holder
Revises: 0100_pool
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0150_pool_holder"
down_revision = "0100_pool"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pool_entries") as batch:
        batch.add_column(sa.Column("holder_proof", sa.String(20), nullable=True))
        batch.add_column(sa.Column("holder_did", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pool_entries") as batch:
        batch.drop_column("holder_did")
        batch.drop_column("holder_proof")
