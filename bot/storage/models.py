"""SQLAlchemy 2.0 models. The schema itself is made by the Alembic migrations in `migrations/`.

Integrity that must hold under concurrency is the database's job, not Python's:
- a desk is never given twice for overlapping times: PostgreSQL exclusion constraint
  `bookings_desk_no_overlap` (btree_gist), on SQLite a trigger of the same name;
- a member never holds two overlapping bookings: `bookings_member_no_overlap` (same two forms);
- a contingent never goes below zero: CHECK (used_halves <= granted_halves) on contingent_accounts,
  charged with a conditional UPDATE;
- invite codes are never used more than allowed: CHECK (max_uses IS NULL OR uses <= max_uses);
- an outbox row is sent once: unique dedupe_key, claimed with FOR UPDATE SKIP LOCKED on PostgreSQL.

Contingents are counted in half days (`*_halves`) so that half days count 0.5 without floats.
Booking times are local wall-clock minutes: `t0`/`t1` = days since 2000-01-01 * 1440 + minute of day.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    TypeDecorator,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

EPOCH = date(2000, 1, 1)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def minute_ordinal(day: date, minute_of_day: int) -> int:
    """Local wall-clock minute number used for overlap constraints."""
    return (day - EPOCH).days * 1440 + minute_of_day


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Region(Base):
    """A district taking part (issue 17): a tenant. Spaces, employers and invite codes belong to one; a
    region admin sees only theirs. Public holidays come from the region (a space may override)."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    holiday_region: Mapped[str] = mapped_column(String(8), default="NW")  # NW, RP, ... (the `holidays` subdivision)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")


class Space(Base):
    __tablename__ = "spaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)  # 0008
    name: Mapped[str] = mapped_column(String(200))
    town: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    # {"mon": ["08:00", "18:00"], ..., "sun": null}
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    holiday_region: Mapped[str] = mapped_column(String(8), default="NW")
    day_price_cents: Mapped[int] = mapped_column(Integer, default=0)
    # free cancellation until this many hours before the booking starts
    cancel_cutoff_hours: Mapped[int] = mapped_column(Integer, default=12)
    # a booking must be checked in within this many minutes after it starts, else no-show
    checkin_deadline_minutes: Mapped[int] = mapped_column(Integer, default=120)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    lat: Mapped[float | None] = mapped_column(default=None)
    lon: Mapped[float | None] = mapped_column(default=None)

    desks: Mapped[list[Desk]] = relationship(back_populates="space", order_by="Desk.id")


class SpaceClosure(Base):
    """A day an operator closes the space (event, own holiday)."""

    __tablename__ = "space_closures"
    __table_args__ = (UniqueConstraint("space_id", "day", name="uq_closure_space_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Desk(Base):
    __tablename__ = "desks"
    __table_args__ = (UniqueConstraint("space_id", "label", name="uq_desk_label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(50))
    features: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    space: Mapped[Space] = relationship(back_populates="desks")


class Employer(Base):
    __tablename__ = "employers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)  # 0008
    name: Mapped[str] = mapped_column(String(200))
    # contingent policy, in half days per month; either or both may be set
    days_per_employee_halves: Mapped[int | None] = mapped_column(Integer, default=None)
    pool_halves: Mapped[int | None] = mapped_column(Integer, default=None)
    alert_percent: Mapped[int] = mapped_column(Integer, default=20)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InviteCode(Base):
    __tablename__ = "invite_codes"
    __table_args__ = (
        CheckConstraint("max_uses IS NULL OR uses <= max_uses", name="ck_invite_uses"),
        CheckConstraint("uses >= 0", name="ck_invite_uses_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # employee | employer_admin | operator | region_admin | platform_admin
    # the region the code belongs to (0008): its employer's or space's, the region a region admin runs
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    lang: Mapped[str] = mapped_column(String(5), default="de")
    commute_km: Mapped[float | None] = mapped_column(default=None)  # one way, stated by the member
    # notification preferences and other per-user settings
    prefs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # GDPR erasure
    # the region of the code the member redeemed last (0008); None: none yet (the first region applies)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))

    identities: Mapped[list[Identity]] = relationship(back_populates="member")
    roles: Mapped[list[Role]] = relationship(back_populates="member")


class Identity(Base):
    """One chat account of a member (a member may have several: Telegram and Matrix)."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("transport", "external_id", name="uq_identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    transport: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(255))
    chat_id: Mapped[str] = mapped_column(String(255))  # the direct chat to send notices to
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # user blocked the bot
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    member: Mapped[Member] = relationship(back_populates="identities")


class Role(Base):
    """employee of X, employer admin of X, operator of space Y, admin of region R, platform admin (all regions)."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("member_id", "kind", "scope", name="uq_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(40), default="")  # "employer:3", "space:5" or ""
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id", ondelete="CASCADE"), index=True)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))  # region_admin (0008)
    # per-employee override of the employer's days per month, in half days
    contingent_override_halves: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    member: Mapped[Member] = relationship(back_populates="roles")


class ContingentAccount(Base):
    """What an employer grants for one month: one row per employee (`member:<id>`) and one `pool` row."""

    __tablename__ = "contingent_accounts"
    __table_args__ = (
        UniqueConstraint("employer_id", "scope", "month", name="uq_contingent_account"),
        CheckConstraint("used_halves >= 0", name="ck_contingent_nonneg"),
        CheckConstraint("used_halves <= granted_halves", name="ck_contingent_not_overdrawn"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(40))  # "pool" | "member:<id>"
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    granted_halves: Mapped[int] = mapped_column(Integer)
    used_halves: Mapped[int] = mapped_column(Integer, default=0)
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("t1 > t0", name="ck_booking_interval"),
        CheckConstraint("charged_halves >= 0", name="ck_booking_charge"),
        CheckConstraint(
            "status IN ('confirmed','checked_in','cancelled','no_show','waitlisted')", name="ck_booking_status"
        ),
        CheckConstraint("part IN ('full','morning','afternoon','hours')", name="ck_booking_part"),
        # a waitlist entry has no desk, also once cancelled (0005)
        CheckConstraint("desk_id IS NOT NULL OR status IN ('waitlisted','cancelled')", name="ck_booking_desk"),
        Index("ix_bookings_member_day", "member_id", "day"),
        Index("ix_bookings_space_day_status", "space_id", "day", "status"),
        Index("ix_bookings_desk_day", "desk_id", "day"),
        # for the overlap checks (SQLite triggers): only bookings ending after the new one starts (0002)
        Index("ix_bookings_desk_t1", "desk_id", "t1"),
        Index("ix_bookings_member_t1", "member_id", "t1"),
        # availability over all spaces: the day's bookings (0003); on PostgreSQL with the columns of the busy
        # count, so it is an index-only scan (0011)
        Index("ix_bookings_day_space", "day", "space_id", postgresql_include=["status", "desk_id", "t0", "t1"]),
        # the dashboard's district figures (0010), read from these indexes alone (PostgreSQL: index-only scans):
        # utilisation, check-ins and no-shows per space and day ...
        Index("ix_bookings_day_space_stats", "day", "space_id",
              postgresql_include=["status", "part", "start_min", "end_min"],
              postgresql_where=text("status IN ('confirmed','checked_in','no_show')"),
              sqlite_where=text("status IN ('confirmed','checked_in','no_show')")),
        # ... and one month's counted bookings in member order (PostgreSQL only; the expression is
        # bot.features.dashboard.service.MONTH_INDEX_EXPR)
        Index("ix_bookings_month_member",
              text("(CAST(EXTRACT(year FROM day) * 12 + EXTRACT(month FROM day) AS INTEGER))"), "member_id", "day",
              postgresql_include=["status", "seat", "part", "start_min", "end_min", "payer", "employer_id", "space_id"],
              postgresql_where=text("status IN ('confirmed','checked_in')")).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    desk_id: Mapped[int | None] = mapped_column(ForeignKey("desks.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    part: Mapped[str] = mapped_column(String(10))
    start_min: Mapped[int] = mapped_column(Integer)
    end_min: Mapped[int] = mapped_column(Integer)
    t0: Mapped[int] = mapped_column(Integer)
    t1: Mapped[int] = mapped_column(Integer)
    seat: Mapped[int] = mapped_column(Integer, default=0)  # 0: the member's own desk, 1..n-1: team desks
    group_ref: Mapped[str] = mapped_column(String(32), default="")  # one request booking several desks
    status: Mapped[str] = mapped_column(String(12))
    payer: Mapped[str] = mapped_column(String(10), default="self")  # employer | self
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id", ondelete="SET NULL"))
    charged_halves: Mapped[int] = mapped_column(Integer, default=0)
    member_account_id: Mapped[int | None] = mapped_column(ForeignKey("contingent_accounts.id"))
    pool_account_id: Mapped[int | None] = mapped_column(ForeignKey("contingent_accounts.id"))
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    space: Mapped[Space] = relationship()
    desk: Mapped[Desk | None] = relationship()
    member: Mapped[Member] = relationship()


class ChatChannel(Base):
    """A group (Telegram) or room (Matrix) registered by an operator for a space's notices."""

    __tablename__ = "chat_channels"
    __table_args__ = (UniqueConstraint("transport", "chat_id", "space_id", name="uq_chat_channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    transport: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PendingAction(Base):
    """What a button stands for. The button carries only the random token: it cannot be forged
    to act for another member (checked against the presser) and works once (`used_at`)."""

    __tablename__ = "pending_actions"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    action: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Outbox(Base):
    """Everything sent later or to someone else. Written in the transaction of the change that
    caused it; delivered by the scheduler."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "due_at"),
        CheckConstraint("status IN ('pending','sent','dead','cancelled')", name="ck_outbox_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    transport: Mapped[str | None] = mapped_column(String(20))  # None: the member's preferred identity
    chat_id: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HandledUpdate(Base):
    """A messenger update (Telegram update_id, Matrix event id) that was handled: recorded in the same
    transaction as the change and the reply it caused, so a redelivery is a no-op (0005)."""

    __tablename__ = "handled_updates"
    __table_args__ = (Index("ix_handled_updates_chat", "chat_key", "handled_at"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    transport: Mapped[str] = mapped_column(String(20))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # "transport:chat": the flood throttle counts a chat's updates of the last minute here, across instances (0006)
    chat_key: Mapped[str | None] = mapped_column(String(300))


class LinkCode(Base):
    """One-time code for linking a second chat account (`/link`)."""

    __tablename__ = "link_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditLog(Base):
    """Who changed what (admin and operator actions)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- Matrix transport state (issue 15) ---
# Everything the Matrix transport must remember lives here, so that instances share nothing on disk and
# a takeover continues with the current session, sync position and crypto state.


class MatrixAccount(Base):
    """The bot's Matrix session: logged in once, reused by every start and every instance."""

    __tablename__ = "matrix_accounts"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    access_token: Mapped[str] = mapped_column(Text)
    homeserver: Mapped[str] = mapped_column(String(255))
    next_batch: Mapped[str | None] = mapped_column(Text)  # sync token, saved after the batch was handled
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MatrixItem(Base):
    """Keyed state of the Matrix transport. `account` is the user id, or "user_id/device_id" for the
    crypto store (Olm account, Olm and Megolm sessions, device keys, key requests); `kind` names the
    sort of item (e.g. "olm.account", "megolm.inbound", "pending", "choices", "invite", "undecrypted")."""

    __tablename__ = "matrix_items"

    account: Mapped[str] = mapped_column(String(320), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MatrixHandledEvent(Base):
    """Matrix events already handed to the dialogue: a redelivered event (restart, takeover) is skipped."""

    __tablename__ = "matrix_handled_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    account: Mapped[str] = mapped_column(String(255))
    room_id: Mapped[str] = mapped_column(String(255))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# --- Dashboard (issue 19) ---
# `/dashboard` in the chat hands out a one-time link (purpose "link", 15 minutes); opening it makes a browser
# session (purpose "session", an HttpOnly cookie). Only the SHA-256 of each token is stored.


class DashboardLink(Base):
    """A dashboard link or session of a member. The role and scope are not stored: they are read from
    `roles` on every request (bot.authz.grants)."""

    __tablename__ = "dashboard_links"
    __table_args__ = (
        CheckConstraint("purpose IN ('link','session')", name="ck_dashboard_link_purpose"),
        Index("ix_dashboard_links_member", "member_id"),
        Index("ix_dashboard_links_expires", "expires_at"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(10))  # link | session
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a link: when it was opened (once)


# an employer's bookings by day: the dashboard's employer page, /firma and the monthly report (0007)
Index("ix_bookings_employer_day", Booking.employer_id, Booking.day)


# --- Send budget (issue 16): the messenger's limits are per bot token and per chat, not per process ---


class SendBudget(Base):
    """GCRA state of one send budget: ``bucket`` is the bot ("tg:<bot id>") or one of its chats
    ("tg:<bot id>:<chat id>"), ``tat`` its theoretical arrival time in microseconds of the database's
    clock. Written only by the PostgreSQL function ``send_budget_take`` and `PgSendBudget.pause`
    (bot/throttle.py); UNLOGGED there (rate state, nothing to keep after a crash). Unused on SQLite."""

    __tablename__ = "send_budget"

    bucket: Mapped[str] = mapped_column(String(80), primary_key=True)
    tat: Mapped[int] = mapped_column(BigInteger())
