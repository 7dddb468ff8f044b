"""Review cases: numbering per financial year, decision rationale, the run that opened
them, and their clock-chain stages.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_case") as batch:
        batch.add_column(sa.Column("financial_year", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("number", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("decision_rationale", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("opened_by_run", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_review_case_opened_by_run", ["opened_by_run"])
    op.create_table(
        "review_stage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("signed_by", sa.String(length=120), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["review_case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "stage", name="uq_review_stage"),
    )
    op.create_index("ix_review_stage_case_id", "review_stage", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_review_stage_case_id", table_name="review_stage")
    op.drop_table("review_stage")
    with op.batch_alter_table("review_case") as batch:
        batch.drop_constraint("uq_review_case_opened_by_run", type_="unique")
        batch.drop_column("opened_by_run")
        batch.drop_column("decision_rationale")
        batch.drop_column("number")
        batch.drop_column("financial_year")
