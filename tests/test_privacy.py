"""Identity linking, export, erasure, retention, commute distance and the flood throttle (issue 7)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot.dialogue import Dialogue
from bot.features.privacy import purge_inactive
from bot.throttle import FloodWindow
from bot.storage.models import Booking, Identity, LinkCode, Member, Role
from conftest import Chat


def mid(core, transport: str, user: str) -> int:
    with core.db.session() as s:
        return s.scalar(select(Identity.member_id).where(Identity.transport == transport, Identity.external_id == user))


def test_link_merges_second_account_and_codes_work_once(chat_both):
    core = chat_both.dialogue.core
    tg = chat_both
    mx = Chat(tg.dialogue, transport="matrix")
    tg.send("anna", "/start STADTWERKE-2026")
    assert "Gebucht" in tg.send("anna", "morgen Coesfeld")
    mx.send("@anna:kreis.de", "hallo")
    assert "Gebucht" in mx.send("@anna:kreis.de", "übermorgen Dülmen")  # the Matrix account's own booking (self-paid)
    code = re.search(r"/link ([A-Z0-9]{8})", tg.send("anna", "/link")).group(1)
    old = mid(core, "matrix", "@anna:kreis.de")
    reply = mx.send("@anna:kreis.de", f"/link {code}")
    assert "Verknüpft" in reply and "Anna" in reply
    anna = mid(core, "terminal", "anna")
    assert mid(core, "matrix", "@anna:kreis.de") == anna
    listing = mx.send("@anna:kreis.de", "/buchungen")
    assert "Coesfeld" in listing and "Dülmen" in listing
    assert "Stadtwerke" in mx.send("@anna:kreis.de", "/kontingent")
    with core.db.session() as s:
        assert s.get(Member, old).deleted_at is not None
        assert {b.member_id for b in s.scalars(select(Booking))} == {anna}
    # replayed, self, unknown and expired codes fail
    assert "schon benutzt" in mx.send("@eve:evil.org", f"/link {code}")
    code2 = re.search(r"/link ([A-Z0-9]{8})", tg.send("anna", "/link")).group(1)
    assert "schon mit diesem Profil" in mx.send("@anna:kreis.de", f"/link {code2}")
    assert "kenne ich nicht" in mx.send("@eve:evil.org", "/link ZZZZZZZZ")
    core.clock.advance(timedelta(minutes=16))
    assert "abgelaufen" in mx.send("@eve:evil.org", f"/link {code2}")
    assert mid(core, "matrix", "@eve:evil.org") != anna


def test_link_with_overlapping_bookings_cancels_the_duplicate(chat):
    core = chat.dialogue.core
    mx = Chat(chat.dialogue, transport="matrix")
    chat.send("anna", "morgen Coesfeld")
    mx.send("@anna:x", "morgen Olfen")
    code = re.search(r"/link ([A-Z0-9]{8})", chat.send("anna", "/link")).group(1)
    reply = mx.send("@anna:x", f"/link {code}")
    assert "1 Buchung dieses Kontos" in reply and "storniert" in reply
    with core.db.session() as s:
        rows = s.execute(select(Booking.space_id, Booking.status)).all()
        assert sorted(st for _, st in rows) == ["cancelled", "confirmed"]


def test_export_contains_everything_about_me(chat):
    chat.send("anna", "/start STADTWERKE-2026")
    chat.send("anna", "morgen Coesfeld")
    chat.send("anna", "/pendeln 23")
    reply = chat.send("anna", "/export")
    assert "(1 Buchung)" in reply
    att = chat.last["anna"][0].attachments[0]
    assert att.mime == "application/json"
    data = json.loads(att.data)
    assert data["member"]["display_name"] == "Anna" and data["member"]["commute_km"] == 23
    assert data["identities"][0]["external_id"] == "anna"
    assert data["roles"][0]["employer"].startswith("Stadtwerke")
    assert data["bookings"][0]["space"] == "coesfeld" and data["bookings"][0]["payer"] == "employer"
    assert data["contingent_accounts"][0]["used_days"] == 1
    # nobody else's data
    chat.send("bert", "morgen Olfen")
    assert len(json.loads(chat.last["anna"][0].attachments[0].data)["bookings"]) == 1


def test_delete_erases_personal_data_keeps_anonymous_bookings(chat):
    core = chat.dialogue.core
    chat.send("anna", "/start STADTWERKE-2026")
    chat.send("anna", "heute Coesfeld")
    chat.send("anna", "1.12. Coesfeld")
    chat.send("anna", "/pendeln 12")
    anna = mid(core, "terminal", "anna")
    reply = chat.send("anna", "/loeschen")
    assert "(1)" in reply and "nicht rückgängig" in reply
    assert "bleibt" in chat.press("anna", "Nein")
    assert mid(core, "terminal", "anna") == anna
    chat.send("anna", "/delete")
    assert "gelöscht" in chat.press("anna", "Ja")
    with core.db.session() as s:
        m = s.get(Member, anna)
        assert m.display_name == "" and m.prefs == {} and m.commute_km is None and m.deleted_at is not None
        assert s.scalar(select(Identity.id).where(Identity.member_id == anna)) is None
        assert s.scalar(select(Role.id).where(Role.member_id == anna)) is None
        statuses = [b.status for b in s.scalars(select(Booking).where(Booking.member_id == anna).order_by(Booking.day))]
        assert statuses == ["confirmed", "cancelled"]  # today's stays (billing), the future one is cancelled
    # writing again starts afresh
    chat.send("anna", "hallo")
    assert mid(core, "terminal", "anna") != anna
    assert "keine kommenden Buchungen" in chat.send("anna", "/buchungen")


def test_retention_purges_inactive_members(chat):
    core = chat.dialogue.core
    chat.send("old", "morgen Coesfeld")
    old = mid(core, "terminal", "old")
    core.clock.advance(timedelta(days=core.settings.retention_days + 1))
    chat.send("new", "hallo")
    assert purge_inactive(core, dry_run=True) == [old]
    assert purge_inactive(core) == [old]
    new = mid(core, "terminal", "new")
    with core.db.session() as s:
        assert s.get(Member, old).deleted_at is not None and s.get(Member, old).display_name == ""
        assert s.scalar(select(Booking.member_id)) == old  # the booking stays, anonymised
        assert s.get(Member, new).deleted_at is None
    assert purge_inactive(core) == []


def test_commute_distance(chat):
    core = chat.dialogue.core
    assert "freiwillig" in chat.send("anna", "/pendeln")
    reply = chat.send("anna", "/pendeln 23")
    assert "23 km" in reply and "46 km" in reply and "6,9 kg" in reply
    assert "23,5 km" in chat.send("anna", "/pendeln 23,5 km")
    assert "kann ich nicht als Kilometer" in chat.send("anna", "/pendeln weit")
    assert "kann ich nicht als Kilometer" in chat.send("anna", "/pendeln 9999")
    with core.db.session() as s:
        assert s.get(Member, mid(core, "terminal", "anna")).commute_km == 23.5
    assert "gelöscht" in chat.send("anna", "/pendeln löschen")
    reply = chat.send("bob", "/commute 10", lang_hint="en")
    assert "Saved: 10 km one way" in reply and "20 km" in reply and "3 kg" in reply


def test_flood_throttle(sqlite_core):
    core = sqlite_core
    dlg = Dialogue(core)
    chat = Chat(dlg)
    limit = core.settings.flood_messages_per_minute
    for i in range(limit):
        assert "Langsam" not in chat.send("anna", "/pendeln"), i
    assert "Langsam" in chat.send("anna", "/pendeln")
    assert chat.send("anna", "/pendeln") == ""  # told once per minute, then silence
    assert "Langsam" not in chat.send("bert", "/pendeln")  # per member
    core.clock.advance(timedelta(seconds=61))
    assert "Langsam" not in chat.send("anna", "/pendeln")
    # another Dialogue instance (another process) has its own window
    assert "Langsam" not in Chat(Dialogue(core)).send("anna", "/pendeln")


def test_flood_window_slides():
    w = FloodWindow(3)
    assert all(w.allow(1, t) for t in (0.0, 10.0, 20.0))
    assert not w.allow(1, 30.0)
    assert w.should_warn(1, 30.0) and not w.should_warn(1, 40.0)  # one "slow down" per window
    assert w.allow(1, 60.5)  # the message at 0.0 left the window
    assert not w.allow(1, 61.0)
    assert w.should_warn(1, 95.0)


def test_too_long_message_is_refused(chat):
    limit = chat.dialogue.core.settings.max_message_length
    assert "zu lang" in chat.send("anna", "x" * (limit + 1))


@pytest.mark.parametrize("lang_hint,expect", [(None, "Verknüpfungscode"), ("en", "linking code")])
def test_link_reply_language(chat, lang_hint, expect):
    assert expect in chat.send("zoe", "/link", lang_hint=lang_hint)
    with chat.dialogue.core.db.session() as s:
        assert s.scalar(select(LinkCode.code)) is not None


def test_scheduler_runs_retention_once_a_day(chat):
    from bot.scheduler import Periodic

    core = chat.dialogue.core
    chat.send("old", "hallo")
    old = mid(core, "terminal", "old")
    core.clock.advance(timedelta(days=core.settings.retention_days + 1))
    from bot.storage.models import PendingAction

    core.members.issue(mid(core, "terminal", "old"), {"op": "keep"}, ttl=timedelta(minutes=1))  # long expired by now
    with core.db.session() as s:
        s.execute(update(PendingAction).values(expires_at=core.clock.now() - timedelta(days=2)))
    periodic = Periodic(core)
    assert periodic.run_due(core.clock.now())["retention"] == 1
    with core.db.session() as s:
        assert s.scalar(select(func.count()).select_from(PendingAction)) == 0  # expired buttons purged
    assert periodic.run_due(core.clock.now())["retention"] == 0  # once per day
    with core.db.session() as s:
        assert s.get(Member, old).deleted_at is not None


def test_erasing_or_exporting_asked_in_words(chat):
    """"delete my data" got the cancel menu and "Was habt ihr über mich gespeichert?" "nicht verstanden"; they are
    /loeschen (asked first, nothing erased before "Ja") and /export."""
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "morgen Olfen")
    r = chat.send("anna", "Meine Daten löschen bitte")
    assert "Willst du deine Daten wirklich löschen?" in r and "künftige Buchungen (1) storniert" in r
    assert "Alles bleibt" in chat.send("anna", "nein")
    assert "Olfen" in chat.send("anna", "meine Buchungen")  # asking erased nothing
    r = chat.send("anna", "Was habt ihr über mich gespeichert?")
    data = json.loads(chat.last["anna"][0].attachments[0].data)
    assert "Alles, was ich über dich gespeichert habe (1 Buchung)" in r and len(data["bookings"]) == 1
    assert "Olfen" in chat.send("anna", "Buchung morgen Olfen stornieren")  # a booking named: cancelling it
    chat.send("tom", "hello", lang_hint="en")
    r = chat.send("tom", "delete my account")
    assert "Do you really want to delete your data?" in r
    assert [c.label for c in chat.choices("tom")] == ["Yes, delete everything", "No, keep"]
    chat.send("tom", "yes")
    assert chat.dialogue.members.resolve("terminal", "tom", "Tom").is_new  # erased: a new member writes again
