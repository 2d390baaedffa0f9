"""Awards: grade events, awards (one per learner, design, achievement), job outbox, webhook receipts, AGS targets.

Revision ID: 0200_awards
Revises: 0001_dataspace
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0200_awards"
down_revision = "0001_dataspace"
branch_labels = ("awards",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "grade_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("learner", sa.String(200), nullable=False),
        sa.Column("design", sa.String(200), nullable=False),
        sa.Column("context", sa.String(300), nullable=True),
        sa.Column("assessment", sa.String(200), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("maximum", sa.Float(), nullable=True),
        sa.Column("percent", sa.Float(), nullable=True),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_grade_events"),
        sa.UniqueConstraint("source", "event_id", name="uq_grade_events_source_event"),
    )
    op.create_index("ix_grade_events_learner_design", "grade_events", ["learner", "design"])
    op.create_table(
        "awards",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("learner", sa.String(200), nullable=False),
        sa.Column("learner_name", sa.String(300), nullable=True),
        sa.Column("learner_email", sa.String(300), nullable=True),
        sa.Column("design", sa.String(200), nullable=False),
        sa.Column("achievement", sa.String(200), nullable=False),
        sa.Column("context", sa.String(300), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("grade_event_id", sa.Integer(), nullable=True),
        sa.Column("credential_id", sa.String(300), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("issued_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_awards"),
        sa.ForeignKeyConstraint(["grade_event_id"], ["grade_events.id"],
                                name="fk_awards_grade_event_id_grade_events"),
        sa.UniqueConstraint("learner", "design", "achievement", name="uq_awards_learner_design_achievement"),
    )
    op.create_index("ix_awards_design_state", "awards", ["design", "state"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("award_id", sa.String(32), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("locked_by", sa.String(120), nullable=True),
        sa.Column("locked_until", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.ForeignKeyConstraint(["award_id"], ["awards.id"], name="fk_jobs_award_id_awards"),
    )
    op.create_index("ix_jobs_state_next", "jobs", ["state", "next_attempt_at"])
    op.create_index("ix_jobs_award", "jobs", ["award_id"])
    op.create_table(
        "webhook_receipts",
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("source", "event_id", name="pk_webhook_receipts"),
    )
    op.create_table(
        "ags_targets",
        sa.Column("context", sa.String(300), nullable=False),
        sa.Column("design", sa.String(200), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("issuer", sa.String(300), nullable=False),
        sa.Column("client_id", sa.String(300), nullable=False),
        sa.Column("endpoint", sa.JSON(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("polled_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("context", name="pk_ags_targets"),
    )


def downgrade() -> None:
    op.drop_table("ags_targets")
    op.drop_table("webhook_receipts")
    op.drop_index("ix_jobs_award", "jobs")
    op.drop_index("ix_jobs_state_next", "jobs")
    op.drop_table("jobs")
    op.drop_index("ix_awards_design_state", "awards")
    op.drop_table("awards")
    op.drop_index("ix_grade_events_learner_design", "grade_events")
    op.drop_table("grade_events")
