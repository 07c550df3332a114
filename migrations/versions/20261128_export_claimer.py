"""exports.claimed_by: which process holds a delivery claim

Revision ID: 20261128_export_claimer
Revises: 20261128_users
Create Date: 2026-11-28

A process killed mid-delivery leaves its claim behind; knowing the claimer
(`host:pid`) lets a process of the same host release it at start instead of
waiting for the lease, without touching the claims of processes still running.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_export_claimer"
down_revision: str | None = "20261128_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimed_by", sa.String(length=64), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
