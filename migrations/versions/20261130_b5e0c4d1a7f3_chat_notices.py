"""chat_notices: groups and channels answered once

Revision ID: b5e0c4d1a7f3
Revises: 7c1d2e9a4b10
Create Date: 2026-11-30 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b5e0c4d1a7f3"
down_revision: str | None = "7c1d2e9a4b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_notices",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_chat_notices")),
    )


def downgrade() -> None:
    op.drop_table("chat_notices")
