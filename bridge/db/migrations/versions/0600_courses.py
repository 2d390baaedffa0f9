"""Courses: which remote course (Moodle, Open edX) a credential design became on which target.

Revision ID: 0600_courses
Revises: 0001_dataspace
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0600_courses"
down_revision = "0001_dataspace"
branch_labels = ("courses",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "course_links",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("design_key", sa.String(200), nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("lms", sa.String(20), nullable=False),
        sa.Column("remote_id", sa.String(255), nullable=True),
        sa.Column("url", sa.String(1000), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("design_key", "target", name="uq_course_links_design_target"),
    )
    op.create_index("ix_course_links_design_key", "course_links", ["design_key"])


def downgrade() -> None:
    op.drop_index("ix_course_links_design_key", table_name="course_links")
    op.drop_table("course_links")
