"""Pool: since when a profile has nothing published, so that profiles left empty are deleted after a while.

Revision ID: 0820_pool_empty_profiles
Revises: 0810_pool_search_order

Anyone may open a profile (a name, languages, a contact, a handle taken); one that never publishes anything, or whose
credentials all left, was kept for ever. ``emptied_at`` is set when a profile is opened and when its last entry
leaves, cleared when something is published; ``bridge.pool.retention`` deletes profiles empty for longer than
``LEADS_POOL_KEEP_EMPTY_DAYS``. Profiles already empty at upgrade count from the upgrade, not from when they were
opened: nobody loses a profile without the notice its page now shows.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0820_pool_empty_profiles"
down_revision = "0810_pool_search_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pool_profiles") as batch:
        batch.add_column(sa.Column("emptied_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_pool_profiles_emptied_at", "pool_profiles", ["emptied_at"])
    op.get_bind().execute(
        sa.text("UPDATE pool_profiles SET emptied_at = :now WHERE NOT EXISTS "
                "(SELECT 1 FROM pool_entries WHERE pool_entries.profile_id = pool_profiles.id)"),
        {"now": datetime.now(UTC)})


def downgrade() -> None:
    op.drop_index("ix_pool_profiles_emptied_at", table_name="pool_profiles")
    with op.batch_alter_table("pool_profiles") as batch:
        batch.drop_column("emptied_at")
