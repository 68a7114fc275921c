"""handled updates know their chat: the flood throttle counts a chat's messages across instances

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('handled_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat_key', sa.String(length=300), nullable=True))
        batch_op.create_index('ix_handled_updates_chat', ['chat_key', 'handled_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('handled_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_handled_updates_chat')
        batch_op.drop_column('chat_key')
