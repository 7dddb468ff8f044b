"""Meeting papers: every version of each pack and exception report, and the notices of
them sent through the email outbox.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meeting_paper',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurrence_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('body', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('paper_number', sa.String(length=32), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('folder', sa.String(length=300), nullable=False),
    sa.Column('stem', sa.String(length=120), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['occurrence_id'], ['occurrence.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('occurrence_id', 'kind', 'body', 'version', name='uq_meeting_paper_version')
    )
    with op.batch_alter_table('meeting_paper', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_paper_occurrence_id'), ['occurrence_id'], unique=False)

    op.create_table('paper_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('email_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['paper_id'], ['meeting_paper.id'], ),
    sa.ForeignKeyConstraint(['email_id'], ['email_message.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('paper_id', 'recipient', name='uq_paper_notice')
    )
    with op.batch_alter_table('paper_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_notice_paper_id'), ['paper_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_notice_email_id'), ['email_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('paper_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_notice_email_id'))
        batch_op.drop_index(batch_op.f('ix_paper_notice_paper_id'))
    op.drop_table('paper_notice')
    with op.batch_alter_table('meeting_paper', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_paper_occurrence_id'))
    op.drop_table('meeting_paper')
