"""segments.status: not started / in progress / completed / flagged

Revision ID: 20261202_segment_status
Revises: 20261129_slice_mask_sources
Create Date: 2026-12-02

Existing segments start as "not_started" (the server default).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_segment_status"
down_revision: str | None = "20261129_slice_mask_sources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="not_started")
        )


def downgrade() -> None:
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.drop_column("status")
