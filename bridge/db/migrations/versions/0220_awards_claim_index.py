"""Awards: an index of the issuance work waiting in the queue, so a claim reads only that work.

Revision ID: 0220_awards_claim_index
Revises: 0210_awards_names

A claim takes the oldest queued issue, revoke or EDC jobs. With one index on (state, next_attempt_at) it read every
queued job — the PDF follow-ups too, which pile up while a cohort is being signed — and sorted them: at 100,000
learners, hundreds of thousands of rows per claim. The partial index holds only the rows a claim wants, in order.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0220_awards_claim_index"
down_revision = "0210_awards_names"
branch_labels = None
depends_on = None

URGENT = sa.text("state = 'queued' AND kind IN ('issue', 'revoke', 'edc')")


def upgrade() -> None:
    op.create_index("ix_jobs_urgent_queue", "jobs", ["next_attempt_at", "id"], postgresql_where=URGENT,
                    sqlite_where=URGENT)


def downgrade() -> None:
    op.drop_index("ix_jobs_urgent_queue", table_name="jobs")
