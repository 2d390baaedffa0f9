"""Shared learner maps: kept for ``LEADS_MAP_KEEP_DAYS`` (a year by default), not for ever.

Revision ID: 0810_maps_kept_for_a_while
Revises: 0800_drafts

Anyone may share a map, and each was a row kept for ever. The index lets sharing a new map delete the maps past their
time (``bridge.editor.map_pages``) without reading the table. Maps shared before the upgrade count from when they were
shared: the shared page says until when it is kept.
"""

from __future__ import annotations

from alembic import op

revision = "0810_maps_kept_for_a_while"
down_revision = "0800_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_learner_maps_created_at"), "learner_maps", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_learner_maps_created_at"), table_name="learner_maps")
