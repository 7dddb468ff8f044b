"""Learning and improvement: tasks finished without a return, meetings held or
cancelled with their attendance, findings and where they were placed, risk ratings,
actions and the Action Plan Evaluation group's judgements.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meeting_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=False),
    sa.Column('agency_key', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['occurrence_id'], ['occurrence.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('occurrence_id', 'agency_key', name='uq_meeting_attendance')
    )
    with op.batch_alter_table('meeting_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_attendance_occurrence_id'), ['occurrence_id'], unique=False)

    op.create_table('meeting_record',
    sa.Column('occurrence_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['occurrence_id'], ['occurrence.id'], ),
    sa.PrimaryKeyConstraint('occurrence_id')
    )
    op.create_table('finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=True),
    sa.Column('case_reference', sa.String(length=32), nullable=True),
    sa.Column('activity', sa.String(length=64), nullable=False),
    sa.Column('agency_key', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('theme', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('derivation_key', sa.String(length=200), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['occurrence_id'], ['occurrence.id'], ),
    sa.ForeignKeyConstraint(['submission_id'], ['return_submission.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('derivation_key')
    )
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_activity'), ['activity'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_agency_key'), ['agency_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_case_reference'), ['case_reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_financial_year'), ['financial_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_occurrence_id'), ['occurrence_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_recorded_on'), ['recorded_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_reference'), ['reference'], unique=True)
        batch_op.create_index(batch_op.f('ix_finding_submission_id'), ['submission_id'], unique=False)

    op.create_table('finding_placement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('route', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=True),
    sa.Column('financial_year', sa.Integer(), nullable=True),
    sa.Column('placed_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], ),
    sa.ForeignKeyConstraint(['occurrence_id'], ['occurrence.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('finding_id', 'route', name='uq_finding_route')
    )
    with op.batch_alter_table('finding_placement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_placement_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_placement_occurrence_id'), ['occurrence_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_placement_route'), ['route'], unique=False)

    op.create_table('improvement_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('financial_year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=True),
    sa.Column('case_reference', sa.String(length=32), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('source_key', sa.String(length=200), nullable=True),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('owner_kind', sa.String(length=16), nullable=False),
    sa.Column('owner_key', sa.String(length=64), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('dropped_reason', sa.Text(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], ),
    sa.ForeignKeyConstraint(['submission_id'], ['return_submission.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source_key'),
    sa.UniqueConstraint('task_id')
    )
    with op.batch_alter_table('improvement_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_action_case_reference'), ['case_reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvement_action_due'), ['due'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvement_action_financial_year'), ['financial_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvement_action_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvement_action_owner_key'), ['owner_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvement_action_reference'), ['reference'], unique=True)
        batch_op.create_index(batch_op.f('ix_improvement_action_submission_id'), ['submission_id'], unique=False)

    op.create_table('risk_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('likelihood', sa.Integer(), nullable=False),
    sa.Column('impact', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('band', sa.String(length=32), nullable=False),
    sa.Column('rated_on', sa.Date(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('finding_id', 'sequence', name='uq_risk_rating_sequence')
    )
    with op.batch_alter_table('risk_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_rating_finding_id'), ['finding_id'], unique=False)

    op.create_table('action_evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('judgement', sa.String(length=24), nullable=False),
    sa.Column('evaluated_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['improvement_action.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('action_evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_evaluation_action_id'), ['action_id'], unique=False)

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('done_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('done_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('evidence', sa.Text(), server_default='', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('evidence')
        batch_op.drop_column('done_by')
        batch_op.drop_column('done_on')

    with op.batch_alter_table('action_evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_evaluation_action_id'))

    op.drop_table('action_evaluation')
    with op.batch_alter_table('risk_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_rating_finding_id'))

    op.drop_table('risk_rating')
    with op.batch_alter_table('improvement_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_improvement_action_submission_id'))
        batch_op.drop_index(batch_op.f('ix_improvement_action_reference'))
        batch_op.drop_index(batch_op.f('ix_improvement_action_owner_key'))
        batch_op.drop_index(batch_op.f('ix_improvement_action_finding_id'))
        batch_op.drop_index(batch_op.f('ix_improvement_action_financial_year'))
        batch_op.drop_index(batch_op.f('ix_improvement_action_due'))
        batch_op.drop_index(batch_op.f('ix_improvement_action_case_reference'))

    op.drop_table('improvement_action')
    with op.batch_alter_table('finding_placement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_placement_route'))
        batch_op.drop_index(batch_op.f('ix_finding_placement_occurrence_id'))
        batch_op.drop_index(batch_op.f('ix_finding_placement_finding_id'))

    op.drop_table('finding_placement')
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_submission_id'))
        batch_op.drop_index(batch_op.f('ix_finding_reference'))
        batch_op.drop_index(batch_op.f('ix_finding_recorded_on'))
        batch_op.drop_index(batch_op.f('ix_finding_occurrence_id'))
        batch_op.drop_index(batch_op.f('ix_finding_financial_year'))
        batch_op.drop_index(batch_op.f('ix_finding_case_reference'))
        batch_op.drop_index(batch_op.f('ix_finding_agency_key'))
        batch_op.drop_index(batch_op.f('ix_finding_activity'))

    op.drop_table('finding')
    op.drop_table('meeting_record')
    with op.batch_alter_table('meeting_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_attendance_occurrence_id'))

    op.drop_table('meeting_attendance')
