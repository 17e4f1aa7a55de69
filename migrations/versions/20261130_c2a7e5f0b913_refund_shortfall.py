"""payments.refund_shortfall: the pack's credits already spent when it was refunded

Revision ID: c2a7e5f0b913
Revises: 7d2e4b1c9a05
Create Date: 2026-11-30 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c2a7e5f0b913"
down_revision: str | None = "7d2e4b1c9a05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refund_shortfall", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("refund_shortfall")
