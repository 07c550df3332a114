"""task_readers: everyone who has held a reading, so that nobody reads a case twice

Revision ID: 20261203_task_readers
Revises: 20261202_job_owner
Create Date: 2026-12-03

An admin may hand a reading on (PATCH /api/tasks/{id}); the reader it came from,
and everyone it passed through, had its masks and must not be handed another
reading of the same case. tasks.reader names only who holds it now. Filled from
the tasks (their readers) and their annotations (who began them, for readings
handed on before this revision).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_task_readers"
down_revision: str | None = "20261202_job_owner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_readers",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("reader", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_readers_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", "reader", name=op.f("pk_task_readers")),
    )
    op.create_index(op.f("ix_task_readers_reader"), "task_readers", ["reader"], unique=False)
    op.execute("INSERT INTO task_readers (task_id, reader) SELECT id, reader FROM tasks")
    op.execute(
        "INSERT INTO task_readers (task_id, reader) SELECT tasks.id, annotations.created_by "
        "FROM tasks JOIN annotations ON annotations.id = tasks.annotation_id "
        "WHERE annotations.created_by <> tasks.reader"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_task_readers_reader"), table_name="task_readers")
    op.drop_table("task_readers")
