"""Outbox indexes: find the unsent emails and the reminders still waiting without reading
every email ever sent (the daily run's cost follows the day's work, not the history).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from alembic import op


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("email_message", schema=None) as batch_op:
        batch_op.create_index("ix_email_message_status_digest_date", ["status", "digest_date"], unique=False)
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_status_email_id", ["status", "email_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_status_email_id")
    with op.batch_alter_table("email_message", schema=None) as batch_op:
        batch_op.drop_index("ix_email_message_status_digest_date")
