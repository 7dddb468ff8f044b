"""What a held meeting decided, and the meeting at which an action was agreed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meeting_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['occurrence_id'], ['occurrence.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('occurrence_id', 'number', name='uq_meeting_decision_number')
    )
    with op.batch_alter_table('meeting_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_decision_occurrence_id'), ['occurrence_id'], unique=False)

    with op.batch_alter_table('improvement_action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agreed_at_occurrence_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_improvement_action_agreed_at_occurrence_id'), ['agreed_at_occurrence_id'], unique=False)
        batch_op.create_foreign_key('fk_improvement_action_agreed_at_occurrence_id', 'occurrence', ['agreed_at_occurrence_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('improvement_action', schema=None) as batch_op:
        batch_op.drop_constraint('fk_improvement_action_agreed_at_occurrence_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_improvement_action_agreed_at_occurrence_id'))
        batch_op.drop_column('agreed_at_occurrence_id')

    with op.batch_alter_table('meeting_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_decision_occurrence_id'))

    op.drop_table('meeting_decision')
