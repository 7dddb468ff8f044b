"""The yearly report: its sign-offs (Independent Scrutineer, top body) and publication.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

# Registers the table's model in SQLModel's metadata for autogenerate comparisons (until
# migrations/env.py imports it with the other table modules).
from qaframework.persistence import yearly_report_tables  # noqa: F401


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('yearly_report_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('body', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('signed_by', sa.String(length=120), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('financial_year', 'step', name='uq_yearly_report_step')
    )
    with op.batch_alter_table('yearly_report_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_yearly_report_step_financial_year'), ['financial_year'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('yearly_report_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_yearly_report_step_financial_year'))
    op.drop_table('yearly_report_step')
