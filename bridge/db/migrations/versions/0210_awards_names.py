"""Awards: learners' names and course titles as the LMS gives them; the roster service of a polled course.

Revision ID: 0210_awards_names
Revises: 0200_awards
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0210_awards_names"
down_revision = "0200_awards"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lms_people",
        sa.Column("learner", sa.String(200), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("email", sa.String(300), nullable=True),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("learner", name="pk_lms_people"),
    )
    op.create_table(
        "lms_contexts",
        sa.Column("context", sa.String(300), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("context", name="pk_lms_contexts"),
    )
    with op.batch_alter_table("ags_targets") as batch:
        batch.add_column(sa.Column("roster", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ags_targets") as batch:
        batch.drop_column("roster")
    op.drop_table("lms_contexts")
    op.drop_table("lms_people")
