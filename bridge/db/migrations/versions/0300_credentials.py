"""Credentials: issued credentials and their Bitstring status lists.

Revision ID: 0300_credentials
Revises: 0001_dataspace
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0300_credentials"
down_revision = "0001_dataspace"
branch_labels = ("credentials",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "issued_credentials",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("award_id", sa.String(64), nullable=True),
        sa.Column("design_key", sa.String(200), nullable=False),
        sa.Column("issuer_slug", sa.String(60), nullable=False),
        sa.Column("learner_name", sa.String(300), nullable=False),
        sa.Column("learner_id", sa.String(300), nullable=True),
        sa.Column("learner_email_hash", sa.String(100), nullable=True),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("revocation_list", sa.String(32), nullable=True),
        sa.Column("revocation_index", sa.Integer(), nullable=True),
        sa.Column("suspension_list", sa.String(32), nullable=True),
        sa.Column("suspension_index", sa.Integer(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("suspended_reason", sa.Text(), nullable=True),
        sa.Column("suspended_at", TS, nullable=True),
        sa.Column("created", TS, nullable=False),
        sa.UniqueConstraint("award_id", name="uq_issued_credentials_award_id"),
        sa.UniqueConstraint("revocation_list", "revocation_index", name="uq_issued_credentials_revocation"),
        sa.UniqueConstraint("suspension_list", "suspension_index", name="uq_issued_credentials_suspension"),
    )
    op.create_index("ix_issued_credentials_design_key", "issued_credentials", ["design_key"])
    op.create_index("ix_issued_credentials_learner_id", "issued_credentials", ["learner_id"])
    op.create_table(
        "status_lists",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("issuer_slug", sa.String(60), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("bits", sa.LargeBinary(), nullable=False),
        sa.Column("allocated", sa.LargeBinary(), nullable=False),
        sa.Column("allocated_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("signed", sa.JSON(), nullable=True),
        sa.Column("signed_version", sa.Integer(), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("updated", TS, nullable=False),
    )
    op.create_index("ix_status_lists_issuer_slug", "status_lists", ["issuer_slug"])


def downgrade() -> None:
    op.drop_table("status_lists")
    op.drop_table("issued_credentials")
