"""dashboard links and sessions: a one-time link from /dashboard opens a browser session (issue 19);
an index of bookings by employer and day for the employer page

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'dashboard_links',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("purpose IN ('link','session')", name='ck_dashboard_link_purpose'),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    op.create_index('ix_dashboard_links_member', 'dashboard_links', ['member_id'], unique=False)
    op.create_index('ix_dashboard_links_expires', 'dashboard_links', ['expires_at'], unique=False)
    # an employer's bookings by day (the dashboard's employer page, /firma, the monthly report)
    op.create_index('ix_bookings_employer_day', 'bookings', ['employer_id', 'day'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_bookings_employer_day', table_name='bookings')
    op.drop_index('ix_dashboard_links_expires', table_name='dashboard_links')
    op.drop_index('ix_dashboard_links_member', table_name='dashboard_links')
    op.drop_table('dashboard_links')
