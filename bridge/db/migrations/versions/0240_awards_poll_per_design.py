"""Awards: the AGS poll keeps each design linked in a course, not one design per course.

Revision ID: 0240_awards_poll_per_design
Revises: 0230_awards_course_board

``ags_targets`` was keyed by the course context alone, so each claim link launched overwrote the course's design and
a course linking two micro-credentials had only the last one polled. The key is now (context, design); the rows
already kept stay as they are (one design each).
"""

from __future__ import annotations

from alembic import op

revision = "0240_awards_poll_per_design"
down_revision = "0230_awards_course_board"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ags_targets", recreate="always") as batch:
        batch.drop_constraint("pk_ags_targets", type_="primary")
        batch.create_primary_key("pk_ags_targets", ["context", "design"])


def downgrade() -> None:
    """Back to one row per context: the most recently updated design of each course is kept."""
    op.execute("DELETE FROM ags_targets WHERE EXISTS (SELECT 1 FROM ags_targets AS newer WHERE "
               "newer.context = ags_targets.context AND (newer.updated_at > ags_targets.updated_at OR "
               "(newer.updated_at = ags_targets.updated_at AND newer.design > ags_targets.design)))")
    with op.batch_alter_table("ags_targets", recreate="always") as batch:
        batch.drop_constraint("pk_ags_targets", type_="primary")
        batch.create_primary_key("pk_ags_targets", ["context"])
