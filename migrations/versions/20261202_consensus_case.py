"""annotations.consensus_case_id: the case a consensus annotation was built from

Revision ID: 20261202_consensus_case
Revises: 20261202_projects
Create Date: 2026-12-02

A consensus of a case's readings is a new annotation with no task, so nothing
tied it to its project and the readers of a blinded case could read it. The
consensus annotations made before this revision are linked from the results
of the consensus jobs that made them (`{"annotation_id", "case_id"}`).
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_consensus_case"
down_revision: str | None = "20261202_projects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_annotations = sa.table("annotations", sa.column("id"), sa.column("consensus_case_id"))
_cases = sa.table("cases", sa.column("id"))
_jobs = sa.table("jobs", sa.column("kind"), sa.column("state"), sa.column("result"))


def upgrade() -> None:
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consensus_case_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_annotations_consensus_case_id"), ["consensus_case_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_annotations_consensus_case_id_cases"),
            "cases",
            ["consensus_case_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _link_earlier_consensus()


def _link_earlier_consensus() -> None:
    """Each finished consensus job's annotation gets its case, when both are still there."""
    connection = op.get_bind()
    done = sa.select(_jobs.c.result).where(_jobs.c.kind == "consensus", _jobs.c.state == "done")
    cases = set(connection.scalars(sa.select(_cases.c.id)))
    for text in connection.scalars(done):
        result = json.loads(text or "{}")
        annotation_id, case_id = result.get("annotation_id"), result.get("case_id")
        if not isinstance(annotation_id, int) or case_id not in cases:
            continue
        connection.execute(
            sa.update(_annotations)
            .where(_annotations.c.id == annotation_id)
            .values(consensus_case_id=case_id)
        )


def downgrade() -> None:
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_annotations_consensus_case_id_cases"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_annotations_consensus_case_id"))
        batch_op.drop_column("consensus_case_id")
