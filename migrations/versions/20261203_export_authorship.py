"""exports.content_creator, exports.approved_by: whom the SEG names

Revision ID: 20261203_export_authorship
Revises: 20261202_task_export_error
Create Date: 2026-12-03

An approved project reading names its reader as the SEG's content creator and
records the reviewer who approved it. Earlier exports keep "" and NULL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_export_authorship"
down_revision: str | None = "20261202_task_export_error"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("content_creator", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("approved_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_column("approved_by")
        batch_op.drop_column("content_creator")
