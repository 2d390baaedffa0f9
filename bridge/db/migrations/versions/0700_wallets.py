"""Wallets: OpenID4VCI credential offers (pre-authorized codes, access tokens) and single-use holder nonces.

Revision ID: 0700_wallets
Revises: 0001_dataspace
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0700_wallets"
down_revision = "0001_dataspace"
branch_labels = ("wallets",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallet_offers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("award_id", sa.String(32), nullable=False),
        sa.Column("learner", sa.String(200), nullable=False),
        sa.Column("configurations", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("code_hash", name="uq_wallet_offers_code_hash"),
        sa.UniqueConstraint("token_hash", name="uq_wallet_offers_token_hash"),
    )
    op.create_index("ix_wallet_offers_award_id", "wallet_offers", ["award_id"])
    op.create_table(
        "holder_nonces",
        sa.Column("value_hash", sa.String(64), primary_key=True),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_holder_nonces_expires_at", "holder_nonces", ["expires_at"])


def downgrade() -> None:
    op.drop_table("holder_nonces")
    op.drop_table("wallet_offers")
