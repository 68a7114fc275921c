"""Money rules through the chat (issue 14): waitlist entries can be cancelled, undo follows the refund rule,
switching employer asks what becomes of the old employer's days; the export and erasure cover everything."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.dialogue import Dialogue
from bot.storage.models import Booking, ContingentAccount, Outbox
from tests.conftest import Chat

TZ = ZoneInfo("Europe/Berlin")


def _used(core, employer_slug_prefix: str) -> int:
    with core.db.session() as s:
        return sum(a.used_halves for a in s.scalars(select(ContingentAccount).where(ContingentAccount.scope.like("member:%"))))


def _fill(chat: Chat, space: str, day: str, n: int) -> None:
    for i in range(n):
        chat.send(f"filler{i}", f"buche {day} {space}")


def test_a_waitlist_entry_can_be_cancelled(core):
    """ck_booking_desk (migration 0005) lets a cancelled waitlist entry keep no desk, on both stores."""
    chat = Chat(Dialogue(core))
    _fill(chat, "Rosendahl", "morgen", 2)  # Rosendahl has 2 desks
    r = chat.send("anna", "buche morgen Rosendahl")
    assert "ausgebucht" in r
    r = chat.send("anna", "Warteliste")  # a typed answer to the bot's own offer
    assert "Warteliste" in r and "Platz 1" in r or "Position" in r or "Warteliste" in r
    with core.db.session() as s:
        assert s.scalar(select(Booking.status).where(Booking.desk_id.is_(None))) == "waitlisted"
    r = chat.send("anna", "storno morgen")
    assert "Storniert" in r or "stornieren?" in r
    if "stornieren?" in r:
        r = chat.send("anna", "ja")
        assert "Storniert" in r
    with core.db.session() as s:
        assert s.scalar(select(Booking.status).where(Booking.desk_id.is_(None))) == "cancelled"


def test_undo_follows_the_cutoff(chat, clock):
    chat.send("anna", "KREIS-2026")
    r = chat.send("anna", "buche morgen Olfen")
    assert "Gebucht" in r
    undo = next(c for c in chat.choices("anna") if "Rückgängig" in c.label or "ückgängig" in c.label)
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=TZ))  # the booked day: past the 12 h cutoff
    r = chat.press_data("anna", undo.data)
    assert "Storno-Frist" in r
    assert "Olfen" in chat.send("anna", "meine Buchungen")  # still booked, still charged


def test_typed_undo_asks_and_refunds_before_the_cutoff(chat):
    chat.send("anna", "KREIS-2026")
    chat.send("anna", "buche Freitag Olfen")
    r = chat.send("anna", "rückgängig")
    assert "rückgängig machen" in r.lower() or "Rückgängig" in r
    assert "Rückgängig gemacht" in chat.send("anna", "ja")
    assert chat.send("anna", "meine Buchungen").startswith("Du hast keine")


def test_switching_employer_asks_and_moves_the_old_days(chat):
    core = chat.dialogue.core
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "buche Freitag Coesfeld")
    with core.db.session() as s:
        b = s.scalars(select(Booking)).one()
        assert b.payer == "employer" and b.charged_halves == 2
        old_employer = b.employer_id
    r = chat.send("anna", "AGRAR-2026")
    assert "wechselst du den Arbeitgeber" in r and "Stadtwerke" in r
    r = chat.press("anna", "ich zahle selbst")
    assert "zahlst du jetzt selbst" in r and "Agrar" in r
    with core.db.session() as s:
        b = s.scalars(select(Booking)).one()
        assert (b.payer, b.employer_id, b.charged_halves) == ("self", None, 0)
        acct = s.scalar(select(ContingentAccount).where(ContingentAccount.employer_id == old_employer,
                                                        ContingentAccount.scope.like("member:%")))
        assert acct.used_halves == 0  # the old employer got its day back


def test_switching_employer_can_cancel_the_old_days(chat):
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "buche Freitag Coesfeld")
    chat.send("anna", "AGRAR-2026")
    r = chat.press("anna", "Stornieren")
    assert "storniert" in r
    assert chat.send("anna", "meine Buchungen").startswith("Du hast keine")


def test_export_contains_buttons_audit_and_notices(chat):
    import json

    chat.send("anna", "KREIS-2026")
    chat.send("anna", "buche morgen Olfen")
    chat.send("anna", "/export")
    data = json.loads(chat.last["anna"][0].attachments[0].data)
    assert data["button_actions"] and data["button_actions"][0]["action"]["op"] in ("undo", "ics")
    assert "notices_sent" in data and "audit_about_you" in data


def test_erasure_removes_stored_answers_and_notices(chat):
    core = chat.dialogue.core
    from bot.domain import IncomingMessage

    chat.dialogue.handle(IncomingMessage("telegram", "77", "77", "buche morgen Olfen", display_name="Zoe",
                                         update_key="tg:1"))
    with core.db.session() as s:
        assert s.scalars(select(Outbox).where(Outbox.kind == "reply")).all()
    chat.dialogue.handle(IncomingMessage("telegram", "77", "77", "/loeschen", update_key="tg:2"))
    replies = chat.dialogue.handle(IncomingMessage("telegram", "77", "77", "", callback=None, update_key="tg:3"))
    assert replies is not None
    from bot.features.privacy import erase_member

    member_id = chat.dialogue.members.resolve("telegram", "77", "77").id
    assert erase_member(core, member_id, core.clock.now())
    with core.db.session() as s:
        left = [o for o in s.scalars(select(Outbox)) if (o.payload or {}).get("member_id") == member_id
                or o.recipient_member_id == member_id]
        assert left == []


def test_a_redelivered_update_changes_nothing_and_hands_back_unsent_answers(chat):
    from bot.domain import IncomingMessage

    dlg = chat.dialogue
    msg = IncomingMessage("telegram", "55", "55", "buche morgen Olfen", display_name="Ute", update_key="tg:900")
    first = dlg.handle(msg)
    assert "Gebucht" in first[0].text and first[0].outbox_id
    again = dlg.handle(msg)  # the process died before sending: the same answer comes back, nothing is booked twice
    assert [r.text for r in again] == [r.text for r in first] and again[0].outbox_id == first[0].outbox_id
    dlg.mark_sent([first[0].outbox_id])
    assert dlg.handle(msg) == []  # sent: a further redelivery is silent
    with dlg.core.db.session() as s:
        assert len(s.scalars(select(Booking)).all()) == 1


def test_a_per_person_cap_inside_a_company_pool(chat):
    """An employer with a pool can cap each person (days_per_employee next to pool_days): a series takes the
    cap, not the pool (issue 17: one 'jeden Tag im Dezember' took 22 of a 40-day pool)."""
    from sqlalchemy import text

    core = chat.dialogue.core
    with core.db.session() as s:
        s.execute(text("UPDATE employers SET days_per_employee_halves = 10 WHERE slug = 'agrartech'"))  # 5 days
    chat.send("anna", "AGRAR-2026")
    r = chat.send("anna", "buche jeden Tag im Dezember in Coesfeld")
    if "buchen, oder nur wissen" in r:
        r = chat.send("anna", "ja")
    with core.db.session() as s:
        pool = s.scalar(select(ContingentAccount).where(ContingentAccount.scope == "pool",
                                                        ContingentAccount.month == "2026-12"))
        assert pool.used_halves == 10  # 5 days from the pool of 40, the cap
    assert "selbst" in r or "Kontingent" in r  # the other days are offered as self-paid, not taken from the pool
