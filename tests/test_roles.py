"""Employer admins and operators in the chat, and authorization (issue 7).

Authorization and invite codes run on SQLite and PostgreSQL (`chat_both`); the rest on SQLite.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.domain import IncomingMessage
from bot.features.operator.chat import qr_png
from bot.storage.models import Booking, ContingentAccount, Member, Outbox, Role, SpaceClosure
from conftest import TZ, Chat


def setup_world(chat: Chat) -> Chat:
    chat.send("boss", "/start STADTWERKE-ADMIN")
    chat.send("agrarboss", "/start AGRAR-ADMIN")
    chat.send("anna", "/start STADTWERKE-2026")
    chat.send("bert", "/start AGRAR-2026")
    chat.send("op", "/start OP-COESFELD")
    assert "Gebucht" in chat.send("anna", "morgen Coesfeld")
    assert "Gebucht" in chat.send("bert", "morgen Dülmen")
    return chat


def member_id(core, name: str) -> int:
    with core.db.session() as s:
        return s.scalar(select(Member.id).where(Member.display_name == name.capitalize()))


@pytest.fixture
def world(chat_both):
    return setup_world(chat_both)


@pytest.fixture
def world1(chat):
    return setup_world(chat)


def core_of(chat: Chat):
    return chat.dialogue.core


# --- authorization (both stores) -------------------------------------------------------------


def test_employer_admin_sees_only_own_staff(world):
    firma = world.send("boss", "/firma")
    assert "Anna" in firma and "Bert" not in firma
    team = world.send("boss", "/team")
    assert "Anna" in team and "Coesfeld" in team and "Bert" not in team and "Dülmen" not in team
    assert "Bert" in world.send("agrarboss", "/firma") and "Anna" not in world.send("agrarboss", "/firma")
    # naming the other company is refused, with the reason and what to do instead
    other = world.send("boss", "/firma agrartech")
    assert "nicht deine Firma" in other and "/firma" in other
    assert "nicht deine Firma" in world.send("boss", "/team agrartech")
    # the other employer's people cannot even be found (same answer as for nobody)
    bert = member_id(core_of(world), "bert")
    for cmd in ("/team kontingent bert 3", f"/team kontingent #{bert} 3", "/team entfernen bert", f"/team entfernen {bert}"):
        assert "finde ich" in world.send("boss", cmd), cmd
    assert "finde ich „nobody“ nicht" in world.send("boss", "/team kontingent nobody 3")
    with core_of(world).db.session() as s:
        assert s.scalar(select(Role.contingent_override_halves).where(Role.member_id == bert)) is None
    # the CSV holds the own staff only
    world.send("boss", "/team csv")
    att = world.last["boss"][0].attachments[0]
    body = att.data.decode("utf-8-sig")
    assert att.mime == "text/csv" and "Anna" in body and "Bert" not in body


def test_operator_sees_only_their_spaces(world):
    arr = world.send("op", "/ankuenfte")
    assert "Coworking Coesfeld" in arr and "Anna" in arr and "Bert" not in arr and "Dülmen" not in arr
    for cmd in ("/ankuenfte duelmen", "/belegung duelmen", "/schliessen duelmen morgen", "/qr duelmen"):
        reply = world.send("op", cmd)
        assert "betreibst du nicht" in reply and "/ankuenfte" in reply, cmd
        assert "Bert" not in reply
    with core_of(world).db.session() as s:
        assert s.scalar(select(SpaceClosure.id)) is None


def test_stranger_sees_nothing_friendly_refusal(world):
    for cmd in ("/firma", "/team", "/team csv", "/team einladen", "/ankuenfte", "/belegung", "/schliessen morgen", "/qr",
                "/stats", "/firma stadtwerke", "/ankuenfte coesfeld"):
        reply = world.send("stranger", cmd)
        assert "Anna" not in reply and "Bert" not in reply, cmd
        assert re.search(r"nur für|können nur|schick mir|wende dich", reply), (cmd, reply)
        assert not world.last["stranger"][-1].attachments and not world.choices("stranger"), cmd
    # an employee is a stranger to the admin views as well
    assert "nur für Firmen-Admins" in world.send("anna", "/firma")
    assert "Betreiber" in world.send("anna", "/ankuenfte")


def test_forged_and_replayed_buttons_fail(world):
    world.send("boss", "/team entfernen anna")
    data = next(c.data for c in world.choices("boss") if "entfernen" in c.label)
    assert "jemand anderem" in world.press_data("agrarboss", data)  # someone else's button
    assert "kenne ich nicht" in world.press_data("boss", "a:forged-token-123")
    assert "kenne ich nicht" in world.press_data("boss", '{"op": "emp_remove", "employer_id": 1, "member_id": 3}')
    assert "gehört nicht mehr" in world.press_data("boss", data)
    assert "schon erledigt" in world.press_data("boss", data)  # replay


def test_button_is_reauthorised_when_pressed(world):
    """A button issued while the member was operator does nothing after the role is gone."""
    clock = core_of(world).clock
    world.send("anna", "/storno alle")
    world.press("anna", "Ja")
    assert "Gebucht" in world.send("anna", "heute Coesfeld")
    world.send("op", "/ankuenfte")
    data = next(c.data for c in world.choices("op") if "Anna" in c.label and "✅" in c.label)
    with core_of(world).db.session() as s:
        for r in s.scalars(select(Role).where(Role.member_id == member_id(core_of(world), "op"))):
            s.delete(r)
    reply = world.press_data("op", data)
    assert "Betreiber" in reply
    with core_of(world).db.session() as s:
        assert s.scalar(select(Booking.status).where(Booking.day == clock.today())) == "confirmed"


def test_invite_codes_from_chat_max_uses_and_expiry(world):
    reply = world.send("boss", "/team einladen 1 7")
    code = re.search(r"(STADTWERKE-[A-Z0-9]{8})", reply).group(1)
    assert f"start={code}" in reply and "für 1 Person." in reply
    assert "Stadtwerke" in world.send("carl", f"/start {code}")
    assert "so oft benutzt" in world.send("dora", f"/start {code}")
    code2 = re.search(r"(STADTWERKE-[A-Z0-9]{8})", world.send("boss", "/team einladen 5 1")).group(1)
    core_of(world).clock.advance(timedelta(days=2))
    assert "abgelaufen" in world.send("emil", f"/start {code2}")
    firma = world.send("boss", "/firma")
    assert "Carl" in firma and "Dora" not in firma and "Emil" not in firma
    assert "So geht's" in world.send("boss", "/team einladen 9999")


# --- employer admin features (SQLite) --------------------------------------------------------


def test_change_contingent_never_below_used(world1):
    core = core_of(world1)
    anna = member_id(core, "anna")
    reply = world1.send("boss", "/team kontingent anna 3")
    assert "3 Tage pro Monat" in reply and "übrig: 2 Tage" in reply
    assert "noch 2 von 3" in world1.send("anna", "/kontingent")
    reply = world1.send("boss", f"/team kontingent #{anna} 0,5")
    assert "schon 1 Tag genutzt" in reply
    with core.db.session() as s:
        acct = s.scalar(select(ContingentAccount).where(ContingentAccount.scope == f"member:{anna}"))
        assert (acct.granted_halves, acct.used_halves) == (2, 2)
        assert s.scalar(select(Role.contingent_override_halves).where(Role.member_id == anna, Role.kind == "employee")) == 1
    assert "Firmenregel (8 Tage" in world1.send("boss", "/team kontingent anna standard")
    assert "noch 7 von 8" in world1.send("anna", "/kontingent")
    assert "kann ich nicht als Tage lesen" in world1.send("boss", "/team kontingent anna viele")


def test_admin_asking_contingent_gets_company_view(world1):
    reply = world1.send("boss", "wie viele Tage haben wir noch?")
    assert "Stadtwerke" in reply and "Anna" in reply
    assert "Anna" not in world1.send("anna", "/kontingent")


def test_remove_employee_future_bookings_become_self_paid(world1):
    core = core_of(world1)
    anna = member_id(core, "anna")
    world1.send("anna", "heute Coesfeld")
    world1.send("anna", "1.12. Coesfeld")
    reply = world1.send("boss", "/team entfernen anna")
    assert "(2)" in reply and "selbst" in reply
    reply = world1.press("boss", "entfernen")
    assert "2 gebuchte Tage" in reply and "2 Tage zurück" in reply
    with core.db.session() as s:
        rows = s.scalars(select(Booking).where(Booking.member_id == anna).order_by(Booking.day)).all()
        today = core.clock.today()
        assert [(b.day > today, b.payer, b.charged_halves) for b in rows] == [
            (False, "employer", 2), (True, "self", 0), (True, "self", 0)]
        assert all(b.status == "confirmed" for b in rows)
        assert s.scalar(select(Role.id).where(Role.member_id == anna)) is None
        notice = s.scalar(select(Outbox).where(Outbox.kind == "employment_ended", Outbox.recipient_member_id == anna))
        assert "nicht mehr zu Stadtwerke" in notice.payload["text"] and len(notice.payload["booking_ids"]) == 2
    assert "keinem Arbeitgeber" in world1.send("anna", "/kontingent")
    assert "Anna" not in world1.send("boss", "/firma")


def test_csv_export_of_month(world1):
    world1.send("boss", "/firma")
    world1.press("boss", "CSV")
    att = world1.last["boss"][0].attachments[0]
    rows = list(csv.reader(io.StringIO(att.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["date", "employee_id", "employee"]
    assert rows[1][2] == "Anna" and rows[1][3] == "coesfeld" and rows[1][-2] == "1"
    assert att.filename == "deskbot-stadtwerke-2026-11.csv"
    assert "verstehe ich nicht als Monat" in world1.send("boss", "/team csv Brumaire")


def test_english_company_view(world1):
    world1.send("ceo", "/start STADTWERKE-ADMIN", lang_hint="en")
    reply = world1.send("ceo", "/company")
    assert "Employees (1)" in reply and "7 of 8 days left" in reply
    assert "company admins only" in world1.send("eve", "/company", lang_hint="en")


# --- operators (SQLite) ----------------------------------------------------------------------


def test_operator_marks_arrival_and_no_show(world1):
    core = core_of(world1)
    assert "Gebucht" in world1.send("carl", "heute Coesfeld")
    assert "Gebucht" in world1.send("dora", "heute Coesfeld")
    world1.send("op", "/ankuenfte")
    labels = [c.label for c in world1.choices("op")]
    assert "✅ Carl" in labels and "❌ Carl" in labels
    reply = world1.press("op", "✅ Carl")
    assert "Carl ist als angekommen" in reply and "✅ da" in reply
    core.clock.advance(timedelta(minutes=30))
    world1.send("op", "/ankuenfte")
    reply = world1.press("op", "❌ Dora")
    assert "nicht erschienen" in reply
    with core.db.session() as s:
        st = dict(s.execute(select(Member.display_name, Booking.status).join(Booking, Booking.member_id == Member.id)
                            .where(Booking.day == core.clock.today())).all())
        assert st == {"Carl": "checked_in", "Dora": "no_show"}
        assert s.scalar(select(Outbox.id).where(Outbox.kind == "no_show")) is not None
    # an operator with no booking of their own who says "checkin" gets the list to tick off
    assert "Ankünfte deiner Räume" in world1.send("op", "einchecken")


def test_close_day_cancels_refunds_and_notifies(world1):
    core = core_of(world1)
    anna = member_id(core, "anna")
    assert "noch 7 von 8" in world1.send("anna", "/kontingent")
    reply = world1.send("op", "/schliessen morgen Wasserschaden")
    assert "1 Buchung wird storniert" in reply and "Wasserschaden" in reply
    reply = world1.press("op", "schließen")
    assert "1 Buchung von 1 Person storniert" in reply
    assert "noch 8 von 8" in world1.send("anna", "/kontingent")
    with core.db.session() as s:
        assert s.scalar(select(Booking.status).where(Booking.member_id == anna)) == "cancelled"
        notice = s.scalar(select(Outbox).where(Outbox.kind == "space_closed"))
        assert notice.recipient_member_id == anna and "Wasserschaden" in notice.payload["text"]
        assert s.scalar(select(SpaceClosure.reason)) == "Wasserschaden"
    assert "geschlossen" in world1.send("anna", "morgen Coesfeld")
    assert "schon geschlossen" in world1.send("op", "/schliessen morgen")
    assert "schon vorbei" in world1.send("op", "/schliessen 2026-11-01")
    assert "So geht's" in world1.send("op", "/schliessen irgendwann")


def test_occupancy_and_qr(world1):
    core = core_of(world1)
    occ = world1.send("op", "/belegung")
    assert "KW 48" in occ and "Di, 24.11.: 1/8" in occ
    core.settings.telegram_bot_username = ""
    assert "DESKBOT_TELEGRAM_BOT_USERNAME" in world1.send("op", "/qr")  # no link to a guessed bot
    assert not world1.last["op"][0].attachments
    core.settings.telegram_bot_username = "kreisbot"
    reply = world1.send("op", "/qr")
    assert "https://t.me/kreisbot?start=checkin-coesfeld" in reply
    att = world1.last["op"][0].attachments[0]
    assert att.mime == "image/png" and att.data.startswith(b"\x89PNG")
    from io import BytesIO

    from PIL import Image

    img = Image.open(BytesIO(att.data))
    plain = Image.open(BytesIO(qr_png("https://t.me/kreisbot?start=checkin-coesfeld")))
    assert img.height > plain.height and img.width == plain.width  # the space's name printed under the code
    band = img.crop((0, plain.height, img.width, img.height)).convert("L")
    assert band.getextrema()[0] < 100  # dark text pixels in the caption band
    # the QR link checks in (walk-in) through the ordinary /start handler
    msg = IncomingMessage("terminal", "walker", "walker", "/start checkin-coesfeld", display_name="Walker")
    assert "Coesfeld" in "\n".join(r.text for r in world1.dialogue.handle(msg))


def test_platform_admin_names_the_space_or_employer(world1):
    world1.send("root", "/start KREIS-PLATFORM-ADMIN")
    assert "coesfeld" in world1.send("root", "/ankuenfte")  # asks which
    assert "Anna" in world1.send("root", "/ankuenfte coesfeld")
    assert "stadtwerke" in world1.send("root", "/firma")
    assert "Anna" in world1.send("root", "/firma stadtwerke")


def test_operator_group_sees_names_only_of_own_space_bookings_today(world1):
    core = core_of(world1)
    core.clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=TZ))
    arr = world1.send("op", "/ankuenfte")
    assert "Heute, Di, 24.11." in arr and "Anna" in arr and "Bert" not in arr


def test_late_cancellations_show_in_team_as_in_firma(chat, clock):
    from datetime import datetime

    chat.send("boss", "STADTWERKE-ADMIN")
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "buche morgen Coesfeld")
    clock.set(datetime(2026, 11, 24, 7, 0, tzinfo=clock.now().tzinfo))  # past the 12 h cutoff
    chat.send("anna", "storno heute")
    chat.send("anna", "ja")
    team = chat.send("boss", "/team")
    assert "Anna" in team and "spät storniert" in team
    assert "Anna" in chat.send("boss", "/firma")
