"""payments: stored before they are credited (payload, credited_at, notified_at)

Revision ID: e3a1c7b90d42
Revises: 97e917e7acde
Create Date: 2026-11-30 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e3a1c7b90d42"
down_revision: str | None = "97e917e7acde"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("credited_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("notified_at", sa.DateTime(), nullable=True))
    # Before this revision a payment row was written in the same transaction as its credit.
    op.execute("UPDATE payments SET credited_at = created_at, notified_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("notified_at")
        batch_op.drop_column("credited_at")
        batch_op.drop_column("payload")
