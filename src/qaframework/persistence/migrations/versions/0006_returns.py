"""Returns: what each submission was (type, format, fingerprint), the original file kept,
idempotent receipt (one row per task and file content), and the rejection notice.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("return_submission") as batch:
        batch.add_column(sa.Column("return_type", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("file_format", sa.String(length=8), nullable=False, server_default=""))
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("dedupe_key", sa.String(length=140), nullable=True))
        batch.add_column(sa.Column("size_bytes", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("original", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("actor", sa.String(length=120), nullable=False, server_default=""))
        batch.add_column(sa.Column("notice_status", sa.String(length=16), nullable=False, server_default="none"))
        batch.add_column(sa.Column("notice_email_id", sa.Integer(), nullable=True))
        batch.create_unique_constraint("uq_return_dedupe", ["dedupe_key"])
        batch.create_foreign_key("fk_return_notice_email", "email_message", ["notice_email_id"], ["id"])
        batch.create_index("ix_return_submission_agency_key", ["agency_key"])


def downgrade() -> None:
    with op.batch_alter_table("return_submission") as batch:
        batch.drop_index("ix_return_submission_agency_key")
        batch.drop_constraint("fk_return_notice_email", type_="foreignkey")
        batch.drop_constraint("uq_return_dedupe", type_="unique")
        for column in ("notice_email_id", "notice_status", "actor", "original", "size_bytes", "dedupe_key", "fingerprint", "file_format", "return_type"):
            batch.drop_column(column)
