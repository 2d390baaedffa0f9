"""Credentials: an index of (issuer, design), for what an issuer's public page lists.

Revision ID: 0320_credentials_issuer_designs
Revises: 0310_credentials_withdrawn

``/issuers/{slug}`` (anonymous) lists the designs an organisation has issued. It ran ``SELECT DISTINCT design_key``
over every credential of the issuer, unindexed (470 ms a request at 200,000 credentials on SQLite); it now asks one
``EXISTS`` per design of the data space, each a probe of this index.
"""

from __future__ import annotations

from alembic import op

revision = "0320_credentials_issuer_designs"
down_revision = "0310_credentials_withdrawn"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_issued_credentials_issuer_design", "issued_credentials", ["issuer_slug", "design_key"])


def downgrade() -> None:
    op.drop_index("ix_issued_credentials_issuer_design", table_name="issued_credentials")
