"""Calendar (issue 17): a VTIMEZONE in every file, the cancelling .ics, the personal feed over HTTP with a token."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from bot.dialogue import Dialogue
from bot.features.booking.calendar import member_feed
from bot.health import HealthServer
from tests.conftest import Chat


def _ics(chat, user):
    return Calendar.from_ical(chat.last[user][0].attachments[0].data)


def test_booking_file_has_a_vtimezone_and_the_cancel_file_cancels(chat):
    chat.send("anna", "buche morgen Olfen")
    chat.press("anna", "In den Kalender")
    cal = _ics(chat, "anna")
    assert [c.name for c in cal.walk("VTIMEZONE")] and cal.walk("VTIMEZONE")[0]["TZID"] == "Europe/Berlin"
    uid = cal.walk("VEVENT")[0]["UID"]
    assert "Storniert" in chat.send("anna", "storno morgen")
    chat.press("anna", "Aus dem Kalender entfernen")
    cancel = _ics(chat, "anna")
    assert cancel["METHOD"] == "CANCEL" and cancel.walk("VTIMEZONE")
    ev = cancel.walk("VEVENT")[0]
    assert ev["UID"] == uid and ev["STATUS"] == "CANCELLED" and int(ev["SEQUENCE"]) == 1


def test_kalender_without_public_url_says_so(chat):
    assert "DESKBOT_PUBLIC_URL" in chat.send("anna", "/kalender")


async def test_personal_feed_over_http(sqlite_core, unused_tcp_port_factory=None):
    import aiohttp

    core = sqlite_core
    core.settings.public_url = "https://bot.example.org"
    dlg = Dialogue(core)
    chat = Chat(dlg)
    chat.send("anna", "buche morgen Olfen")
    chat.send("anna", "buche Freitag Senden")
    r = chat.send("anna", "/kalender")
    assert "webcal://bot.example.org/cal/" in r
    token = r.split("/cal/", 1)[1].split(".ics", 1)[0]
    server = HealthServer(core, port=0, host="127.0.0.1", routes=dlg.routes.http)
    await server.start()
    try:
        port = server.bound_port if hasattr(server, "bound_port") else None
        if port is None:
            port = server._runner.addresses[0][1]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/cal/{token}.ics") as resp:
                assert resp.status == 200 and resp.content_type == "text/calendar"
                cal = Calendar.from_ical(await resp.read())
            async with http.get(f"http://127.0.0.1:{port}/cal/not-a-token.ics") as resp:
                assert resp.status == 404
    finally:
        await server.stop()
    towns = sorted(str(e["SUMMARY"]) for e in cal.walk("VEVENT"))
    assert len(towns) == 2 and "Olfen" in towns[0] + towns[1] and cal.walk("VTIMEZONE")
    # a new link makes the old one useless
    chat.send("anna", "/kalender neu")
    assert member_feed(core, token) is None


@pytest.mark.parametrize("bad", ["", "x" * 200])
def test_feed_refuses_odd_tokens(sqlite_core, bad):
    assert member_feed(sqlite_core, bad) is None
