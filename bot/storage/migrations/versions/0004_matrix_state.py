"""Matrix transport state in the database (issue 15)

Session (access token, device id, sync token), the nio crypto store, pending replies, offered choices,
invites still to join, undecryptable events waiting for their keys, and the ids of handled events.
Before this, all of it lived in files under DESKBOT_MATRIX_STORE_DIR, which several instances had to
share; the transport imports such a directory once (docs/guide-admin.md).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 16:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'matrix_accounts',
        sa.Column('user_id', sa.String(length=255), nullable=False),
        sa.Column('device_id', sa.String(length=64), nullable=False),
        sa.Column('access_token', sa.Text(), nullable=False),
        sa.Column('homeserver', sa.String(length=255), nullable=False),
        sa.Column('next_batch', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('user_id'),
    )
    op.create_table(
        'matrix_items',
        sa.Column('account', sa.String(length=320), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('account', 'kind', 'key'),
    )
    op.create_table(
        'matrix_handled_events',
        sa.Column('event_id', sa.String(length=255), nullable=False),
        sa.Column('account', sa.String(length=255), nullable=False),
        sa.Column('room_id', sa.String(length=255), nullable=False),
        sa.Column('handled_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('event_id'),
    )
    with op.batch_alter_table('matrix_handled_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_matrix_handled_events_handled_at'), ['handled_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('matrix_handled_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_matrix_handled_events_handled_at'))
    op.drop_table('matrix_handled_events')
    op.drop_table('matrix_items')
    op.drop_table('matrix_accounts')
