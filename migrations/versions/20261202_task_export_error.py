"""tasks.export_error: why an approved reading's SEG did not go to the PACS

Revision ID: 20261202_task_export_error
Revises: 20261202_consensus_case
Create Date: 2026-12-02

An approval whose SEG could not be written (e.g. two frames at one position) was
recorded only in the audit log; the reading looked approved and sent. Existing
tasks start with no error (the server default).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_task_export_error"
down_revision: str | None = "20261202_consensus_case"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("export_error", sa.String(length=300), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("export_error")
