"""Wallets: an access token gives its certificate to one wallet key.

Revision ID: 0710_wallet_token_one_holder
Revises: 0700_wallets

Before, a token (10 minutes) issued a holder-bound copy to every key that sent a proof over a fresh nonce: a copy, an
``issued_credentials`` row and a status index each. ``holder_hash`` (SHA-256 of the holder DID) is set by the first
credential request; a request from another key is refused (decision 012: one offer, one wallet).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0710_wallet_token_one_holder"
down_revision = "0700_wallets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wallet_offers") as batch:
        batch.add_column(sa.Column("holder_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wallet_offers") as batch:
        batch.drop_column("holder_hash")
