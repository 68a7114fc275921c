"""The operator slice's services for the platform admin's command line: close a space for a day, and the
check-in QR code of a space, both by the space's slug.

Closing goes through `bot.features.operator.chat.close_day` (which calls `BookingService.close_day`, writes
the `space_closed` notices and the audit row), so the chat's /schliessen and `deskbot admin close` are the
same change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from bot.features.district.service import space_by_slug
from bot.storage.models import Booking

CANCELLED_BY_CLOSING = ("confirmed", "waitlisted")


@dataclass(frozen=True, slots=True)
class ClosedDay:
    space: str  # name
    bookings: int  # cancelled with refund
    people: int  # told (one `space_closed` notice each)
    checked_in: int  # already checked in: their bookings stay


def bookings_to_cancel(core, slug: str, day: date) -> int:
    """How many bookings closing the space on that day would cancel (a dry run)."""
    with core.db.session() as s:
        sp = space_by_slug(s, slug)
        return s.scalar(select(func.count(Booking.id)).where(
            Booking.space_id == sp.id, Booking.day == day, Booking.status.in_(CANCELLED_BY_CLOSING))) or 0


def close_space(core, slug: str, day: date, reason: str = "", *, actor_id: int | None = None) -> ClosedDay | None:
    """Close the space on that day (bookings cancelled with full refund, everyone booked is told);
    None when it was closed already."""
    from bot.features.operator.chat import close_day

    with core.db.session() as s:
        space_id = space_by_slug(s, slug).id
    res = close_day(core, actor_id, space_id, day, reason, core.clock.now(), check=False)
    return None if res is None else ClosedDay(*res)


def space_qr(core, slug: str, *, scale: int = 10) -> tuple[str, bytes]:
    """(check-in deep link, QR code PNG) of the space."""
    from bot.features.operator.chat import checkin_link, qr_png

    with core.db.session() as s:
        space_by_slug(s, slug)
    link = checkin_link(core.settings, slug)
    return link, qr_png(link, scale=scale)
