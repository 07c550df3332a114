"""slice_masks.sop_instance_uid and frame: which source slice a mask belongs to

Revision ID: 20261129_slice_mask_sources
Revises: 20261128_export_claimer
Create Date: 2026-11-29

A slice index is a position in the series' volume, and an instance arriving
later between existing slices shifts every later position; the source SOP
Instance UID and frame pin a mask to its slice. Both are NULL on rows written
before this revision, which keep being placed by their slice index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261129_slice_mask_sources"
down_revision: str | None = "20261128_export_claimer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("slice_masks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sop_instance_uid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("frame", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slice_masks", schema=None) as batch_op:
        batch_op.drop_column("frame")
        batch_op.drop_column("sop_instance_uid")
