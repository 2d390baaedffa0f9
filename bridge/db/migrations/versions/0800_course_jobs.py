"""Course generation jobs in the database: any web process reads their progress, ``leads worker`` runs them.

Revision ID: 0800_course_jobs
Revises: 0600_courses
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0800_course_jobs"
down_revision = "0600_courses"
branch_labels = ("course_jobs",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "course_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("design", sa.String(200), nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("worker", sa.String(100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_course_jobs_status", "course_jobs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_course_jobs_status", table_name="course_jobs")
    op.drop_table("course_jobs")
