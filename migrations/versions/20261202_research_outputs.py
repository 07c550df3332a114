"""exports.segmentation_type, the SR beside the SEG (sr_*), and the datasets table

Revision ID: 20261202_research_outputs
Revises: 20261202_segment_status
Create Date: 2026-12-02

An export may be a LABELMAP SEG (Supplement 243) and may carry a TID 1500
measurement report (Comprehensive 3D SR) delivered with it through the outbox;
a dataset export (NIfTI / nnU-Net zip for model training) is recorded so its
file can be downloaded later.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_research_outputs"
down_revision: str | None = "20261202_segment_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "segmentation_type", sa.String(length=16), nullable=False, server_default="binary"
            )
        )
        batch_op.add_column(sa.Column("sr_sop_instance_uid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("sr_series_uid", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("sr_path", sa.String(length=512), nullable=False, server_default="")
        )
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("num_cases", sa.Integer(), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
    )
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_datasets_job_id"), ["job_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_datasets_job_id"))
    op.drop_table("datasets")
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_column("sr_path")
        batch_op.drop_column("sr_series_uid")
        batch_op.drop_column("sr_sop_instance_uid")
        batch_op.drop_column("segmentation_type")
