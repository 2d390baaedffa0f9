"""LTI tool: platforms, deployments, nonces, launch data.

Revision ID: 0500_lti
Revises: 0001_dataspace
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0500_lti"
down_revision = "0001_dataspace"
branch_labels = ("lti",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lti_platforms",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("auth_login_url", sa.String(1000), nullable=False),
        sa.Column("auth_token_url", sa.String(1000), nullable=False),
        sa.Column("key_set_url", sa.String(1000), nullable=False),
        sa.Column("auth_audience", sa.String(1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client"),
    )
    op.create_index("ix_lti_platforms_issuer", "lti_platforms", ["issuer"])
    op.create_table(
        "lti_deployments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("platform_id", sa.Integer(), sa.ForeignKey("lti_platforms.id", ondelete="CASCADE",
                  name="fk_lti_deployments_platform_id_lti_platforms"), nullable=False),
        sa.Column("deployment_id", sa.String(255), nullable=False),
        sa.UniqueConstraint("platform_id", "deployment_id", name="uq_lti_deployments_platform_dep"),
    )
    op.create_table(
        "lti_nonces",
        sa.Column("nonce", sa.String(255), primary_key=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_lti_nonces_expires_at", "lti_nonces", ["expires_at"])
    op.create_table(
        "lti_launch_data",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_lti_launch_data_expires_at", "lti_launch_data", ["expires_at"])


def downgrade() -> None:
    op.drop_table("lti_launch_data")
    op.drop_table("lti_nonces")
    op.drop_table("lti_deployments")
    op.drop_index("ix_lti_platforms_issuer", "lti_platforms")
    op.drop_table("lti_platforms")
