"""The public pool: profiles, published credentials and the competences they back.

Revision ID: 0100_pool
Revises: 0001_dataspace (depends on the credentials branch: entries refer to issued credentials)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0100_pool"
down_revision = "0001_dataspace"
branch_labels = ("pool",)
depends_on = None  # the link to issued_credentials is by value, not a foreign key


def upgrade() -> None:
    op.create_table(
        "pool_profiles",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("handle", sa.String(80), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("wiki_username", sa.String(200), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("contact", sa.String(500), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("learner", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("handle", name="uq_pool_profiles_handle"),
        sa.UniqueConstraint("learner", name="uq_pool_profiles_learner"),
    )
    op.create_table(
        "pool_entries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("profile_id", sa.Integer(), sa.ForeignKey("pool_profiles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("credential", sa.JSON(), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("design_key", sa.String(200), nullable=True),
        sa.Column("local_credential_id", sa.String(36), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("profile_id", "fingerprint", name="uq_pool_entries_profile_id"),
    )
    op.create_index("ix_pool_entries_profile_id", "pool_entries", ["profile_id"])
    op.create_index("ix_pool_entries_local_credential_id", "pool_entries", ["local_credential_id"])
    op.create_table(
        "pool_competences",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("pool_entries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("competence_key", sa.String(200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
    )
    op.create_index("ix_pool_competences_entry_id", "pool_competences", ["entry_id"])
    op.create_index("ix_pool_competences_competence_key", "pool_competences", ["competence_key"])


def downgrade() -> None:
    op.drop_table("pool_competences")
    op.drop_table("pool_entries")
    op.drop_table("pool_profiles")
