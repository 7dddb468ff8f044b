"""Email outbox: daily digest emails, reminders pointing at the email that carries them,
and the day each task was opened (its first reminder).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("digest_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
        sa.UniqueConstraint("recipient", "kind", "digest_date", name="uq_email_daily"),
    )
    op.create_index("ix_email_message_digest_date", "email_message", ["digest_date"])
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("opened_on", sa.Date(), nullable=True))
    with op.batch_alter_table("reminder") as batch:
        batch.add_column(sa.Column("email_id", sa.Integer(), nullable=True))
        batch.create_index("ix_reminder_email_id", ["email_id"])
        batch.create_foreign_key("fk_reminder_email", "email_message", ["email_id"], ["id"])
        batch.drop_column("message_id")
        batch.drop_column("attempts")
        batch.drop_column("last_error")
        batch.drop_column("claimed_until")
        batch.drop_column("sent_at")


def downgrade() -> None:
    with op.batch_alter_table("reminder") as batch:
        batch.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_error", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("message_id", sa.String(length=255), nullable=True))
        batch.drop_constraint("fk_reminder_email", type_="foreignkey")
        batch.drop_index("ix_reminder_email_id")
        batch.drop_column("email_id")
    with op.batch_alter_table("task") as batch:
        batch.drop_column("opened_on")
    op.drop_index("ix_email_message_digest_date", table_name="email_message")
    op.drop_table("email_message")
