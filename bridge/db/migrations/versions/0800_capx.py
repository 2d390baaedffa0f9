"""Wikimedia sign-in and the Capacity Exchange link (decision 027).

Pool profiles get the wiki account's central id and the time the login proved it. Wiki usernames typed before
this revision were never proven (a profile "mallory" could claim CatGLAM), so they are CLEARED: nothing typed is ever
shown as verified; the person signs in with Wikimedia to show it again. Downgrading keeps the proven usernames.

Revision ID: 0800_capx
Revises: 0150_pool_holder
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0800_capx"
down_revision = "0150_pool_holder"
branch_labels = ("capx",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pool_profiles") as batch:
        batch.add_column(sa.Column("wiki_sub", sa.String(64), nullable=True))
        batch.add_column(sa.Column("wiki_verified_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_unique_constraint("uq_pool_profiles_wiki_sub", ["wiki_sub"])
    op.execute("UPDATE pool_profiles SET wiki_username = NULL")
    op.create_table(
        "wiki_login_states",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["profile_id"], ["pool_profiles.id"], ondelete="CASCADE",
                                name="fk_wiki_login_states_profile_id_pool_profiles"),
        sa.PrimaryKeyConstraint("state_hash", name="pk_wiki_login_states"),
    )
    op.create_index("ix_wiki_login_states_expires_at", "wiki_login_states", ["expires_at"])
    op.create_table(
        "wiki_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("wiki_sub", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name="pk_wiki_sessions"),
    )
    op.create_index("ix_wiki_sessions_expires_at", "wiki_sessions", ["expires_at"])
    op.create_table(
        "capx_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("capx_url", sa.String(500), nullable=False),
        sa.Column("capx_user_id", sa.Integer(), nullable=False),
        sa.Column("token_sealed", sa.String(400), nullable=True),
        sa.Column("share_available", sa.Boolean(), nullable=False),
        sa.Column("added_known", sa.JSON(), nullable=False),
        sa.Column("added_available", sa.JSON(), nullable=False),
        sa.Column("declined", sa.JSON(), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["profile_id"], ["pool_profiles.id"], ondelete="CASCADE",
                                name="fk_capx_links_profile_id_pool_profiles"),
        sa.PrimaryKeyConstraint("id", name="pk_capx_links"),
        sa.UniqueConstraint("profile_id", name="uq_capx_links_profile_id"),
    )


def downgrade() -> None:
    op.drop_table("capx_links")
    op.drop_index("ix_wiki_sessions_expires_at", table_name="wiki_sessions")
    op.drop_table("wiki_sessions")
    op.drop_index("ix_wiki_login_states_expires_at", table_name="wiki_login_states")
    op.drop_table("wiki_login_states")
    with op.batch_alter_table("pool_profiles") as batch:
        batch.drop_constraint("uq_pool_profiles_wiki_sub", type_="unique")
        batch.drop_column("wiki_verified_at")
        batch.drop_column("wiki_sub")
