"""Edits and albums: generations.parent_id and extra_original_keys; albums and album_parts

Revision ID: 7d2e4b1c9a05
Revises: 7c1d2e3f4a5b
Create Date: 2026-11-30 04:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d2e4b1c9a05"
down_revision: str | None = "7c1d2e3f4a5b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("extra_original_keys", sa.Text(), nullable=True))
    op.create_table(
        "albums",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("media_group_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("question_message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_part_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_albums_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_albums"),
        sa.UniqueConstraint("chat_id", "media_group_id", name="uq_albums_group"),
    )
    op.create_index("ix_albums_status_last_part", "albums", ["status", "last_part_at"])
    op.create_table(
        "album_parts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("album_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("media_group_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("file_id", sa.String(length=256), nullable=False),
        sa.Column("original_key", sa.String(length=128), nullable=False),
        sa.Column("aspect_ratio", sa.String(length=8), nullable=False),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["album_id"], ["albums.id"], name="fk_album_parts_album_id_albums", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_album_parts_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_album_parts"),
        sa.UniqueConstraint("chat_id", "message_id", name="uq_album_parts_message"),
    )
    op.create_index("ix_album_parts_album", "album_parts", ["album_id"])


def downgrade() -> None:
    op.drop_index("ix_album_parts_album", table_name="album_parts")
    op.drop_table("album_parts")
    op.drop_index("ix_albums_status_last_part", table_name="albums")
    op.drop_table("albums")
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.drop_column("extra_original_keys")
        batch_op.drop_column("parent_id")
