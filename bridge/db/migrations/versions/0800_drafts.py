"""The data-space editor: people's sessions, local editors, drafts, published-edit history, shared learner maps.

Revision ID: 0800_drafts
Revises: 0001_dataspace
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0800_drafts"
down_revision = "0001_dataspace"
branch_labels = ("drafts",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "editor_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_editor_sessions")),
    )
    op.create_index(op.f("ix_editor_sessions_expires_at"), "editor_sessions", ["expires_at"])
    op.create_table(
        "local_editors",
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_local_editors")),
    )
    op.create_table(
        "editor_drafts",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("base_rev", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_editor_drafts")),
    )
    op.create_table(
        "editor_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editor_history")),
    )
    op.create_index(op.f("ix_editor_history_key"), "editor_history", ["key"])
    op.create_table(
        "learner_maps",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner_maps")),
    )


def downgrade() -> None:
    op.drop_table("learner_maps")
    op.drop_index(op.f("ix_editor_history_key"), table_name="editor_history")
    op.drop_table("editor_history")
    op.drop_table("editor_drafts")
    op.drop_table("local_editors")
    op.drop_index(op.f("ix_editor_sessions_expires_at"), table_name="editor_sessions")
    op.drop_table("editor_sessions")
