"""Course links: which LMS course asked for a course LEADS generated (None: the administrator).

Revision ID: 0810_course_links_owner
Revises: 0800_course_jobs

An instructor's launch that names no design may only create a course nobody made yet, and resume or update the one
it made; the link keeps whose it is (``lti:<issuer>:<context>``). Links made before stay the administrator's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0810_course_links_owner"
down_revision = "0800_course_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("course_links") as batch:
        batch.add_column(sa.Column("created_by", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("course_links") as batch:
        batch.drop_column("created_by")
