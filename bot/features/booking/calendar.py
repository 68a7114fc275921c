"""The calendar: the .ics of a booking on demand, the cancelling .ics (METHOD:CANCEL), and a personal calendar
feed — an ICS URL with a secret token, served on `deskbot run`'s HTTP port, offered as a webcal link by /kalender.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.domain import Reply
from bot.i18n import t
from bot.storage.models import Member

if TYPE_CHECKING:  # pragma: no cover
    from bot.dialogue import Dialogue
    from bot.router import Ctx

FEED_PATH = "/cal/{token}.ics"
FEED_DAYS_BACK = 30  # cancelled or past bookings stay in the feed this long (so calendars drop them cleanly)


def feed_token(dlg: Dialogue, member_id: int, *, renew: bool = False) -> str:
    prefs = dlg.members.view(member_id).prefs or {}
    token = prefs.get("calendar_token")
    if not token or renew:
        token = secrets.token_urlsafe(24)
        dlg.members.set_pref(member_id, "calendar_token", token)
    return token


def feed_url(settings, token: str) -> str | None:
    base = (settings.public_url or "").rstrip("/")
    return f"{base}{FEED_PATH.format(token=token)}" if base else None


def cmd_calendar(dlg: Dialogue, ctx: Ctx) -> list[Reply]:
    """/kalender: the member's personal feed as a webcal link (`/kalender neu` makes a new secret link)."""
    renew = any(a.lower() in ("neu", "new", "reset") for a in (ctx.intent.args if ctx.intent else []))
    url = feed_url(dlg.core.settings, feed_token(dlg, ctx.member.id, renew=renew))
    if url is None:
        return [Reply(t(ctx.lang, "calendar_not_set_up"))]
    webcal = "webcal://" + url.split("://", 1)[1]
    return [Reply(t(ctx.lang, "calendar_feed", webcal=webcal, https=url))]


def member_feed(core, token: str) -> bytes | None:
    """The feed behind a token: the member's bookings from a month ago on (cancelled ones marked), or None."""
    from bot.booking import booking_info
    from bot.ics import booking_ics
    from bot.storage.models import Booking, Desk, Space

    if not token or len(token) > 64:
        return None
    with core.db.session() as s:
        row = s.execute(select(Member.id, Member.lang).where(Member.prefs["calendar_token"].as_string() == token,
                                                             Member.deleted_at.is_(None))).first()
        if row is None:
            return None
        since = core.clock.today() - timedelta(days=FEED_DAYS_BACK)
        rows = s.execute(select(Booking, Space, Desk.label).join(Space, Space.id == Booking.space_id)
                         .outerjoin(Desk, Desk.id == Booking.desk_id)
                         .where(Booking.member_id == row.id, Booking.seat == 0, Booking.day >= since,
                                Booking.status.in_(("confirmed", "checked_in", "cancelled", "no_show")))
                         .order_by(Booking.day)).all()
        infos = [booking_info(b, sp, label) for b, sp, label in rows]
    return booking_ics(infos, core.clock.tz, row.lang or "de", name="deskbot")


def feed_handler(core):
    """aiohttp handler of FEED_PATH (an unknown token is a plain 404: nothing tells whether it ever existed)."""
    from aiohttp import web

    async def handle(request: web.Request) -> web.StreamResponse:
        import asyncio

        body = await asyncio.to_thread(member_feed, core, request.match_info.get("token", ""))
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="text/calendar", charset="utf-8",
                            headers={"Cache-Control": "private, max-age=300"})

    return handle
