"""Credentials: a partial index of the revoked or suspended ones, by id.

Revision ID: 0310_credentials_withdrawn
Revises: 0300_credentials

The award pages show an award whose credential an administrator revoked or suspended as revoked or suspended
(bridge.awards.standing): the instructor's dashboard counts a course's issued awards against their credentials. A
probe of the credentials' primary key reads their wide rows (the signed document); this index holds only the few
withdrawn ones, so the probe of an award in good standing finds nothing in a small index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0310_credentials_withdrawn"
down_revision = "0300_credentials"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_issued_credentials_withdrawn", "issued_credentials", ["id"],
                    sqlite_where=sa.text("revoked = 1 OR suspended = 1"),
                    postgresql_where=sa.text("revoked OR suspended"))


def downgrade() -> None:
    op.drop_index("ix_issued_credentials_withdrawn", table_name="issued_credentials")
