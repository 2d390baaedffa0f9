"""Awards: an index of each course's awards, newest first, so the instructor's dashboard reads one page.

Revision ID: 0230_awards_course_board
Revises: 0220_awards_claim_index

The dashboard lists a course's awards a page at a time, newest first, after the last one shown, and counts them by
state. Without an index on (context, created_at, id) each page read every award of every course; with it a page is
an index range and the counts read only the course's own entries.
"""

from __future__ import annotations

from alembic import op

revision = "0230_awards_course_board"
down_revision = "0220_awards_claim_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_awards_course_board", "awards", ["context", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_awards_course_board", table_name="awards")
