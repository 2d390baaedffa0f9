"""The data space: entities pulled from Wikibase or loaded from the bundled sample.

Revision ID: 0001_dataspace
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_dataspace"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entities",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False, index=True),
        sa.Column("wikibase_id", sa.String(40), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "dataspace_meta",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dataspace_meta")
    op.drop_table("entities")
