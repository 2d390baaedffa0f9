"""Issuer trust: the issuers this installation's administrators trust.

Revision ID: 0700_trust
Revises: 0001_dataspace
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0700_trust"
down_revision = "0001_dataspace"
branch_labels = ("trust",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trusted_issuers",
        sa.Column("did", sa.String(500), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("url", sa.String(1000), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("trusted_issuers")
