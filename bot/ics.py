"""Calendar files (.ics) for booking confirmations, made with the icalendar library."""

from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from bot.booking import BookingInfo
from bot.i18n import translator

tr = translator("report")  # the event's title: bot/locales/<lang>/LC_MESSAGES/deskbot.po


def booking_ics(bookings: list[BookingInfo], tz: ZoneInfo, lang: str = "de", *, method: str = "PUBLISH",
                name: str | None = None) -> bytes:
    """One VEVENT per booking, in local time with the zone named and its VTIMEZONE included (RFC 5545).
    `method="CANCEL"` makes the cancelling file that removes the events from a calendar."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//deskbot//Kreis Coesfeld//DE")
    cal.add("version", "2.0")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    for b in bookings:
        ev = Event()
        ev.add("uid", f"booking-{b.id}@deskbot")
        ev.add("summary", tr(lang, "calendar_title", town=b.space.town, desk=b.desk_label))
        ev.add("location", f"{b.space.name}, {b.space.address}")
        ev.add("dtstart", datetime.combine(b.day, time(b.start_min // 60, b.start_min % 60), tzinfo=tz))
        ev.add("dtend", datetime.combine(b.day, time(b.end_min // 60, b.end_min % 60), tzinfo=tz))
        ev.add("dtstamp", datetime.now(timezone.utc))
        cancelled = method == "CANCEL" or b.status == "cancelled"
        ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        ev.add("sequence", 1 if cancelled else 0)
        cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()
