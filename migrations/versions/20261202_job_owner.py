"""jobs.owner: the process running a job, so a job whose process died can be failed

Revision ID: 20261202_job_owner
Revises: 20261203_export_authorship
Create Date: 2026-12-02

A job runs on a thread of the process that started it; killed, that process
left its job "running" for ever. Jobs made before this revision have no owner
and are left as they are.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_job_owner"
down_revision: str | None = "20261203_export_authorship"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("owner", sa.String(length=64), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("owner")
