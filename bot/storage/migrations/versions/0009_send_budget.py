"""send budget shared by instances (issue 16): the bot token's cell rate (30/s) and each chat's (1/s)
as GCRA theoretical arrival times, and, on PostgreSQL, the function that grants sends from them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# One call decides a batch of sends (bot/throttle.py, PgSendBudget): the bot's row is locked, so every
# instance's decisions are serialised on it; per request, in order: the bot-wide GCRA (bulk must leave
# p_reserve of the burst), then the chat's; 0 = granted, > 0 = the chat's wait, < 0 = the bot's (microseconds).
TAKE_FUNCTION_SQL = r"""
CREATE OR REPLACE FUNCTION send_budget_take(p_bot text, p_gint bigint, p_gtau bigint, p_reserve bigint,
                                            p_keys text[], p_cint bigint[], p_ctau bigint[], p_bulk boolean[])
RETURNS bigint[] LANGUAGE plpgsql AS $fn$
DECLARE
    now_us bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    g bigint;
    c bigint;
    w bigint;
    res bigint[] := '{}';
BEGIN
    SELECT tat INTO g FROM send_budget WHERE bucket = p_bot FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO send_budget (bucket, tat) VALUES (p_bot, 0) ON CONFLICT (bucket) DO NOTHING;
        SELECT tat INTO g FROM send_budget WHERE bucket = p_bot FOR UPDATE;
    END IF;
    FOR i IN 1 .. coalesce(array_length(p_keys, 1), 0) LOOP
        w := g - (CASE WHEN p_bulk[i] THEN p_gtau - p_reserve ELSE p_gtau END) - now_us;
        IF w > 0 THEN
            res := res || (-w);
            CONTINUE;
        END IF;
        IF p_keys[i] IS NOT NULL THEN
            SELECT tat INTO c FROM send_budget WHERE bucket = p_keys[i] FOR UPDATE;
            IF FOUND THEN
                w := c - p_ctau[i] - now_us;
                IF w > 0 THEN
                    res := res || w;
                    CONTINUE;
                END IF;
                UPDATE send_budget SET tat = greatest(c, now_us) + p_cint[i] WHERE bucket = p_keys[i];
            ELSE
                INSERT INTO send_budget (bucket, tat) VALUES (p_keys[i], now_us + p_cint[i])
                ON CONFLICT (bucket) DO UPDATE SET tat = greatest(send_budget.tat, now_us) + p_cint[i];
            END IF;
        END IF;
        g := greatest(g, now_us) + p_gint;
        res := res || 0::bigint;
    END LOOP;
    UPDATE send_budget SET tat = g WHERE bucket = p_bot;
    IF random() < 0.002 THEN  -- forget chats idle for ten minutes
        DELETE FROM send_budget WHERE bucket LIKE p_bot || ':%' AND tat < now_us - 600000000;
    END IF;
    RETURN res;
END
$fn$
"""


def upgrade() -> None:
    op.create_table(
        'send_budget',
        sa.Column('bucket', sa.String(length=80), nullable=False),
        sa.Column('tat', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('bucket'),
    )
    if op.get_bind().dialect.name == 'postgresql':
        # rate state only: nothing of it needs to survive a crash of the database server
        op.execute('ALTER TABLE send_budget SET UNLOGGED')
        op.execute(TAKE_FUNCTION_SQL)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS send_budget_take(text, bigint, bigint, bigint, text[], bigint[], bigint[], boolean[])')
    op.drop_table('send_budget')
