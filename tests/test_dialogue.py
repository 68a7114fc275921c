"""Dialogue tests written as chat scripts: send -> expected reply (terminal transport, SQLite)."""

from __future__ import annotations

from datetime import datetime

from bot.domain import IncomingMessage
from tests.conftest import TZ


def test_onboarding_book_list_cancel_checkin_contingent(chat, clock):
    r = chat.send("anna", "STADTWERKE-2026")
    assert "Mitarbeiter:in von Stadtwerke Münsterland" in r
    assert "noch 8 von 8 Tagen" in r
    r = chat.send("anna", "morgen Dülmen")
    assert "✅ Gebucht: Coworking Dülmen, Di, 24.11., Platz 1." in r
    assert "Marktstraße 18, 48249 Dülmen" in r and "07:30–19:00" in r
    assert "noch 7 von 8 Tagen" in r
    assert len(chat.last["anna"]) == 1 and not chat.last["anna"][0].attachments  # one message per answer
    assert "Kalender" in chat.press("anna", "In den Kalender")  # the .ics on demand
    assert chat.last["anna"][0].attachments[0].data.startswith(b"BEGIN:VCALENDAR")
    r = chat.send("anna", "/buchungen")
    assert "Di, 24.11. – Coworking Dülmen, Platz 1" in r
    r = chat.send("anna", "wie viele Tage habe ich noch?")
    assert "noch 7 von 8 Tagen" in r
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=TZ))
    r = chat.send("anna", "einchecken")
    assert "eingecheckt" in r and "Dülmen" in r
    r = chat.send("anna", "/buchen senden übermorgen")
    assert "Gebucht: Coworking Senden, Do, 26.11." in r
    r = chat.send("anna", "Ich kann übermorgen doch nicht kommen")
    assert "Storniert: Do, 26.11. Coworking Senden" in r and "1 Tag wieder" in r


def test_english_user_gets_english(chat):
    r = chat.send("tom", "book Coesfeld Tue and Thu", lang_hint="en")
    assert "✅ Booked at Coworking Coesfeld" in r
    assert "Tue 24 Nov" in r and "Thu 26 Nov" in r
    assert "You pay yourself: €36.00 on site (€18.00 per day and desk)." in r
    r = chat.send("tom", "cancel Thursday")
    assert "Cancelled: Thu 26 Nov Coworking Coesfeld" in r


def test_undo_button_and_no_replay(chat):
    chat.send("anna", "KREIS-2026")
    chat.send("anna", "Freitag Olfen")
    undo = chat.choices("anna")[0]
    r = chat.press_data("anna", undo.data)
    assert "Rückgängig gemacht" in r
    assert chat.send("anna", "meine Buchungen").startswith("Du hast keine kommenden Buchungen")
    assert "schon erledigt" in chat.press_data("anna", undo.data)


def test_forged_and_foreign_buttons_fail(chat):
    chat.send("anna", "Freitag Olfen")
    undo = chat.choices("anna")[0]
    chat.send("mallory", "hallo")
    assert "gehört zu jemand anderem" in chat.press_data("mallory", undo.data)
    assert "kenne ich nicht" in chat.press_data("mallory", "a:AAAAAAAAAAAAAAAA")
    assert "kenne ich nicht" in chat.press_data("mallory", "cancel:1")
    assert "Olfen" in chat.send("anna", "meine Buchungen")


def test_no_space_asks_with_recent_first(chat):
    chat.send("anna", "Freitag Nottuln")
    r = chat.send("anna", "morgen nachmittags")
    assert "In welchem Coworking" in r
    labels = [c.label for c in chat.choices("anna")]
    assert labels[0] == "⭐ Nottuln" and len(labels) == 11
    r = chat.press("anna", "Nottuln")
    assert "Gebucht: Coworking Nottuln, Di, 24.11., nachmittags" in r


def test_unknown_space_did_you_mean(chat):
    r = chat.send("anna", "morgen in Dülmnen")
    # a typo is not booked on a guess: the bot asks, and a typed "ja" answers
    assert "Meintest du Dülmen?" in r and "Gebucht" not in r
    r = chat.send("anna", "ja")
    assert "Gebucht: Coworking Dülmen" in r
    r = chat.send("anna", "morgen in Münster")
    assert "„Münster“ kenne ich nicht" in r and "Coesfeld" in r


def test_full_space_offers_alternatives_and_waitlist(chat):
    chat.send("a", "morgen Rosendahl")
    chat.send("b", "morgen Rosendahl")
    r = chat.send("c", "morgen Rosendahl")
    assert "ausgebucht" in r and "Frei am" in r
    labels = [c.label for c in chat.choices("c")]
    assert "Auf die Warteliste" in labels
    r = chat.press("c", "Warteliste")
    assert "Warteliste für Coworking Rosendahl" in r
    chat.send("b", "morgen stornieren")
    assert "Rosendahl, Platz" in chat.send("c", "meine Buchungen")


def test_closed_and_past_days_are_explained(chat):
    assert "Feiertag: Erster Weihnachtstag" in chat.send("anna", "25.12. Coesfeld")
    assert "hat am So, 29.11. geschlossen" in chat.send("anna", "29.11. Coesfeld")
    assert "Vergangenheit" in chat.send("anna", "20.11. Coesfeld")


def test_recurrence_with_holidays_books_the_rest(chat):
    r = chat.send("anna", "buche jeden Donnerstag im Dezember in Senden")
    assert "Do, 03.12." in r and "Do, 31.12." in r
    # Christmas Eve is no public holiday in NRW; all five Thursdays are booked
    assert r.count("., Platz ") == 5


def test_nonsense_gets_help_not_a_trace(chat):
    r = chat.send("anna", "qwertz")
    assert "nicht verstanden" in r and "morgen Dülmen" in r
    r = chat.send("anna", "Was kostet ein Döner?")
    assert "nicht verstanden" in r
    r = chat.send("anna", "x" * 5000)
    assert "zu lang" in r


def test_invite_code_errors_are_friendly(chat):
    assert "kenne ich nicht" in chat.send("anna", "/start NOPE-123")
    assert "Stadtwerke" in chat.send("anna", "/start STADTWERKE-2026")
    assert "schon eingelöst" in chat.send("anna", "/start STADTWERKE-2026")


def test_operator_code_and_group_registration(chat):
    r = chat.send("olga", "OP-OLFEN")
    assert "Betreiber:in von Coworking Olfen" in r
    r = chat.send("olga", "/start OP-OLFEN", chat_id="group-1", is_group=True)
    assert "Gruppenchat bekommt jetzt die Ankunftsmeldungen" in r
    # a stranger cannot register a group with a leaked code
    r = chat.send("mallory", "/start OP-OLFEN", chat_id="group-2", is_group=True)
    assert "kenne ich nicht" in r


def test_group_messages_need_addressing(chat):
    msg = IncomingMessage("terminal", "anna", "grp", "morgen Olfen", is_group=True, addressed=False)
    assert chat.dialogue.handle(msg) == []


def test_language_switch(chat):
    chat.send("anna", "hallo")
    assert "English from now on" in chat.send("anna", "/language en")
    assert "Booked" in chat.send("anna", "morgen Olfen")
    assert "Deutsch" in chat.send("anna", "/sprache de")


def test_errors_inside_become_apology(chat, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("db on fire")

    monkeypatch.setattr(chat.dialogue.booking, "book", boom)
    r = chat.send("anna", "morgen Olfen")
    assert "schiefgegangen" in r and "nichts wurde verändert" in r
    assert "Traceback" not in r


def test_no_contingent_offers_pay_self(chat, sqlite_core):
    from sqlalchemy import text

    with sqlite_core.db.session() as s:
        s.execute(text("UPDATE employers SET pool_halves = 1 WHERE slug = 'agrartech'"))
    chat.send("anna", "AGRAR-2026")
    r = chat.send("anna", "morgen Olfen")
    assert "reicht für Di, 24.11. nicht mehr" in r
    r = chat.press("anna", "Selbst zahlen")
    assert "Gebucht" in r and "Du zahlst selbst" in r


def test_days_the_contingent_does_not_cover_get_one_note_and_one_button(chat, sqlite_core):
    """A range that outruns the contingent: one note naming the days, one button for paying all of them (it was a
    note and an unlabelled "Selbst zahlen" button per day)."""
    chat.send("anna", "STADTWERKE-2026")  # 8 days a month
    r = chat.send("anna", "vom 1. bis 14.12. Olfen")
    assert r.count("reicht für") == 1
    assert "reicht für Fr, 11.12., Mo, 14.12. nicht mehr" in r and "diese 2 Tage selbst zahlen (15,00 € pro Tag)" in r
    assert [c.label for c in chat.choices("anna")] == ["Rückgängig", "📅 In den Kalender", "2 Tage selbst zahlen (30,00 €)"]
    r = chat.press("anna", "selbst zahlen")
    assert "Fr, 11.12." in r and "Mo, 14.12." in r and "Du zahlst selbst" in r
    assert chat.send("anna", "meine Buchungen").count("Olfen") == 10
    chat.send("bert", "/sprache en")
    chat.send("bert", "STADTWERKE-2026")
    r = chat.send("bert", "book Olfen from 1 to 14 December")
    assert "isn't enough for Fri 11 Dec, Mon 14 Dec" in r and "pay for these 2 days yourself (€15.00 a day)" in r
    assert chat.choices("bert")[-1].label == "Pay myself for 2 days (€30.00)"


def test_price_and_hours_asked_without_a_place_answer_for_the_region(chat):
    """"Was kostet das?" without a place used to answer with today's free desks; now it gives the prices (and
    "wann habt ihr offen?" the hours of the day), the spaces with the same figure on one line, nothing booked."""
    r = chat.send("karl", "Hallo, ich bin selbstständig, was kostet das?")
    assert "Ein Tag im Coworking kostet" in r and "Freie Plätze" not in r
    assert "• 18,00 €: Coesfeld" in r and "• 15,00 €: Ascheberg, Billerbeck, Dülmen," in r
    assert "Wittlich" not in r  # another region's spaces are not offered
    r = chat.send("karl", "wann habt ihr morgen offen?")
    assert r.splitlines()[0] == "🕘 Geöffnet am Di, 24.11.:" and "• 07:30–19:00: Dülmen" in r
    r = chat.send("karl", "wann habt ihr Samstag offen?")
    assert "• geschlossen: Ascheberg, Billerbeck, Coesfeld," in r and "• 09:00–13:00: Dülmen" in r
    chat.send("tom", "/sprache en")
    r = chat.send("tom", "when are you open?")
    assert r.splitlines()[0] == "🕘 Open on Mon 23 Nov:" and "• 07:30–19:00: Dülmen" in r
    assert "(if your company doesn't pay)" in chat.send("tom", "how much is a day?")
    assert chat.send("karl", "meine Buchungen").count("•") == 0


def test_book_without_day_or_place_offers_quick_buttons(chat):
    r = chat.send("anna", "/buchen")
    assert "Für welchen Tag" in r
    assert [c.label for c in chat.choices("anna")][:3] == ["Mo, 23.11.", "Di, 24.11.", "Mi, 25.11."]
    r = chat.press("anna", "Di, 24.11.")
    assert "In welchem Coworking" in r
    assert "Gebucht: Coworking Olfen, Di, 24.11." in chat.press("anna", "Olfen")
    chat.send("anna", "Freitag Senden")
    r = chat.send("anna", "/buchen")
    assert "Wann und wo" in r
    labels = [c.label for c in chat.choices("anna")]
    assert labels == ["Mo, 23.11. Senden", "Di, 24.11. Senden", "Mi, 25.11. Senden",
                      "Mo, 23.11. Olfen", "Di, 24.11. Olfen", "Mi, 25.11. Olfen"]
    assert "schon eine Buchung" in chat.press("anna", "Di, 24.11. Senden")


def test_writing_in_a_group_keeps_the_direct_chat(chat, sqlite_core):
    from sqlalchemy import select

    from bot.storage.models import Identity

    chat.send("olga", "OP-OLFEN")
    chat.send("olga", "/start OP-OLFEN", chat_id="group-1", is_group=True)
    with sqlite_core.db.session() as s:
        assert s.scalar(select(Identity.chat_id).where(Identity.external_id == "olga")) == "olga"
    chat.send("nina", "/hilfe", chat_id="group-1", is_group=True)  # first contact in a group
    with sqlite_core.db.session() as s:
        assert s.scalar(select(Identity.chat_id).where(Identity.external_id == "nina")) == "nina"


def test_help_shows_the_commands_of_ones_roles(chat):
    r = chat.send("anna", "/hilfe")
    assert "/link" in r and "/firma" not in r and "/ankuenfte" not in r
    chat.send("olga", "OP-OLFEN")
    r = chat.send("olga", "/hilfe")
    assert "/ankuenfte" in r and "/qr" in r and "/firma" not in r
    chat.send("eva", "STADTWERKE-ADMIN")
    r = chat.send("eva", "/help", lang_hint="en")
    assert "/team" in r and "/ankuenfte" not in r


def test_an_unsure_request_is_asked_not_booked(chat):
    """Below the parser's confidence threshold nothing is booked: the bot asks, and one answer books."""
    from bot.features.booking.chat import ask_book_or_look

    chat.send("anna", "hallo")
    dlg = chat.dialogue
    from bot.router import Ctx

    member = dlg.members.resolve("terminal", "anna", "anna")
    with dlg.core.db.unit_of_work():
        ctx = Ctx(None, member, "de", dlg.core.clock.now())  # type: ignore[arg-type]
        r = ask_book_or_look(dlg, ctx, {"op": "book", "space": "senden", "dates": ["2026-12-03"], "part": None,
                                        "start": None, "end": None, "desks": 1})
        dlg._finish(ctx, r)
    assert "buchen, oder nur wissen" in r[0].text
    assert not dlg.booking.my_bookings(member.id)  # asking booked nothing
    assert "Gebucht: Coworking Senden" in chat.send("anna", "ja")  # the typed answer books


def test_a_question_after_the_bot_asked_is_answered_not_taken_as_the_answer(chat):
    chat.send("anna", "KREIS-2026")
    r = chat.send("anna", "morgen")  # the bot asks where, with a button per town
    assert "Senden" in " ".join(c.label for c in chat.choices("anna"))
    r = chat.send("anna", "Ist morgen in Senden noch was frei?")
    assert "Gebucht" not in r
    assert chat.send("anna", "meine Buchungen").startswith("Du hast keine")
    chat.send("anna", "morgen")
    assert "Gebucht: Coworking Senden" in chat.send("anna", "Senden")  # a typed town answers the question


def test_check_in_at_another_space_offers_to_move_todays_booking(chat, clock):
    from bot.domain import IncomingMessage

    chat.send("anna", "KREIS-2026")
    chat.send("anna", "buche morgen Dülmen")
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=TZ))
    r = chat.send("anna", "/start checkin-olfen")  # the QR code at Olfen's door
    assert "Dülmen" in r and "verlegen" in r and "eingecheckt" not in r.split("?")[0]
    r = chat.press("anna", "Nach Olfen verlegen")
    assert "Verlegt und eingecheckt: Coworking Olfen" in r
    mine = chat.send("anna", "meine Buchungen")
    assert "Olfen" in mine and "Dülmen" not in mine
    assert "noch 5 von 6" in chat.send("anna", "wie viele Tage habe ich noch?")  # charged once, not twice


def test_a_full_space_suggests_the_nearest_alternatives(chat):
    for i in range(2):  # Rosendahl has two desks
        chat.send(f"f{i}", "buche morgen Rosendahl")
    r = chat.send("anna", "buche morgen Rosendahl")
    assert "ausgebucht" in r
    alternatives = next(line for line in r.split("\n") if line.startswith("Frei am"))
    assert alternatives.index("Coesfeld") < alternatives.index("Billerbeck") < alternatives.index("Nottuln")
    assert "Ascheberg" not in alternatives and "7 km)" in alternatives


def test_booking_for_a_colleague_charges_them_tells_them_and_they_can_decline(sqlite_core, clock):
    import io

    from bot.dialogue import Dialogue
    from bot.handlers.terminal import TerminalTransport
    from bot.scheduler import TerminalDriver
    from tests.conftest import Chat

    dlg = Dialogue(sqlite_core)
    chat = Chat(dlg)
    tr = TerminalTransport(io.StringIO())
    driver = TerminalDriver(sqlite_core, dlg, {"terminal": tr})
    chat.send("anna", "STADTWERKE-2026")
    chat.send("carl", "STADTWERKE-2026")
    chat.send("xena", "AGRAR-2026")
    assert "finde ich nicht" in chat.send("anna", "für Xena morgen Dülmen")  # another employer: refused
    r = chat.send("anna", "Kannst du für Carl morgen Dülmen buchen?")  # a question: still the question for Carl
    assert "Carls Kontingent" in r and "Freie Plätze" not in r
    chat.press("anna", "Nein")
    r = chat.send("anna", "für Carl morgen Dülmen")
    assert "Carls Kontingent" in r and "Gebucht" not in r
    r = chat.press("anna", "Für Carl buchen")
    assert "Für Carl gebucht" in r
    assert "Dülmen" in chat.send("carl", "meine Buchungen")
    assert chat.send("anna", "meine Buchungen").startswith("Du hast keine")
    assert "noch 7 von 8" in chat.send("carl", "wie viele Tage habe ich noch?")
    driver.pump()
    notice = next(r for c, r in tr.delivered if c == "carl" and "hat für dich gebucht" in r.text)
    assert "Anna hat für dich gebucht" in notice.text
    r = chat.press_data("carl", notice.flat_choices()[0].data)
    assert "Storniert" in r
    driver.pump()
    assert any(c == "anna" and "abgelehnt" in r.text for c, r in tr.delivered)
    assert "noch 8 von 8" in chat.send("carl", "wie viele Tage habe ich noch?")


def test_home_space_is_offered_first(chat):
    chat.send("anna", "buche morgen Olfen")
    assert "Heimat-Space" in chat.send("anna", "/heimat Coesfeld")
    chat.send("anna", "übermorgen")  # the bot asks where: home first, then the recent space
    labels = [c.label for c in chat.choices("anna")]
    assert labels[0] == "🏠 Coesfeld" and labels[1] == "⭐ Olfen"
    assert "Coesfeld" in chat.send("anna", "/heimat")


def test_a_self_payer_is_told_the_sum_for_a_team_or_a_half_day(chat):
    """The self-pay line said "15,00 € pro Tag" for three desks and for a morning alike; it now gives what is paid."""
    r = chat.send("anna", "Mittwoch Dülmen für 3 Leute")
    assert "3 Plätze" in r and "Du zahlst selbst: 45,00 € vor Ort (15,00 € pro Tag und Platz)." in r
    r = chat.send("anna", "morgen vormittag Olfen")
    assert "Du zahlst selbst: 7,50 € vor Ort (halber Tag; 15,00 € für einen ganzen Tag)." in r
    r = chat.send("anna", "Freitag Senden")
    assert "Du zahlst selbst: 15,00 € pro Tag vor Ort." in r
    r = chat.send("tom", "Thursday afternoon in Coesfeld for 2 of us", lang_hint="en")
    assert "You pay yourself: €18.00 on site (€18.00 per day and desk)." in r


def test_an_absence_over_booked_days_asks_with_buttons(chat):
    """"Ich bin Donnerstag und Freitag krank" with bookings then: it said "Schreib z. B. „storno 26.11.“" and a typed
    "ja" was not understood; it asks with buttons, and "ja"/"nein" answer it. Nothing is cancelled unasked."""
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "Do Olfen")
    chat.send("anna", "Fr Senden")
    r = chat.send("anna", "Ich bin Donnerstag und Freitag krank")
    assert "abwesend Do, 26.11. – Fr, 27.11." in r and "(Do, 26.11., Fr, 27.11.). Soll ich sie stornieren?" in r
    assert [c.label for c in chat.choices("anna")] == ["❌ Ja, stornieren", "Nein, behalten"]
    assert chat.send("anna", "meine Buchungen").count("• ") == 2  # asking changed nothing
    chat.send("anna", "Ich bin Donnerstag und Freitag krank")
    assert "Alles bleibt" in chat.send("anna", "nein")
    assert chat.send("anna", "meine Buchungen").count("• ") == 2
    chat.send("anna", "Ich bin Donnerstag und Freitag krank")
    r = chat.send("anna", "ja")
    assert "Storniert: Do, 26.11. Coworking Olfen, Fr, 27.11. Coworking Senden." in r and "2 Tage" in r
    r = chat.send("anna", "Urlaub vom 14. bis 18.12.")  # nothing booked then: no question
    assert "abwesend Mo, 14.12. – Fr, 18.12." in r and not chat.choices("anna")
    chat.send("tom", "hello", lang_hint="en")
    chat.send("tom", "Friday Olfen")
    r = chat.send("tom", "I'm off on Friday")
    assert "Shall I cancel them?" in r and [c.label for c in chat.choices("tom")][0].endswith("Yes, cancel")


def test_a_question_about_several_days_shows_each_and_one_button_books_them_all(chat):
    """"Can you book me ... Tuesday and Wednesday, mornings only?" is a question: it showed Tuesday alone and its
    button booked a full Tuesday. Now each day, and the one button books both mornings."""
    chat.send("tom", "hello", lang_hint="en")
    chat.send("tom", "STADTWERKE-2026")
    r = chat.send("tom", "can you book me a desk in Dülmen for Tuesday and Wednesday, mornings only?")
    assert "Free desks at Coworking Dülmen:\n• Tue 24 Nov: 6 of 6 free\n• Wed 25 Nov: 6 of 6 free" in r
    assert "Booked" not in r and [c.label for c in chat.choices("tom")] == ["Book Dülmen (2 days)"]
    r = chat.press("tom", "Book Dülmen")
    assert "Tue 24 Nov, morning" in r and "Wed 25 Nov, morning" in r and "7 of 8 days left" in r


def test_hours_of_a_named_day_and_the_half_day_price(chat):
    r = chat.send("anna", "Hat Senden am Samstag offen?")
    assert "Am Sa, 28.11. ist Coworking Senden geschlossen." in r
    r = chat.send("anna", "Wann hat Senden am Freitag auf?")
    assert "Am Fr, 27.11. hat Coworking Senden von 08:00 bis 17:00 Uhr geöffnet." in r
    r = chat.send("anna", "Was kostet ein halber Tag in Olfen?")
    assert "Ein halber Tag in Coworking Olfen kostet 7,50 €, ein ganzer 15,00 €" in r


def test_an_availability_button_books_the_desks_asked_for(chat):
    chat.send("anna", "STADTWERKE-2026")
    r = chat.send("anna", "Ist morgen in Olfen Platz für uns drei?")
    assert "Gebucht" not in r
    r = chat.press("anna", "Olfen buchen")
    assert "3 Plätze (1, 2, 3)" in r


def test_my_bookings_narrowed_by_the_day_month_or_place_asked(chat):
    """"Bin ich Freitag in Senden eingetragen?" and "Was habe ich im Dezember gebucht?" listed every booking."""
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "Fr Senden")
    chat.send("anna", "Mo Olfen")
    r = chat.send("anna", "Bin ich Freitag in Senden eingetragen?")
    assert r.startswith("📅 Deine Buchungen am Fr, 27.11. in Coworking Senden:\n• Fr, 27.11.") and "Olfen" not in r
    r = chat.send("anna", "Bin ich Donnerstag irgendwo gebucht?")
    assert r == "Du hast am Do, 26.11. keine Buchung.\nAlle deine Buchungen (2) zeigt „meine Buchungen“."
    r = chat.send("anna", "Was habe ich im Dezember gebucht?")
    assert r.startswith("Du hast im Dezember 2026 keine Buchung.")
    r = chat.send("anna", "meine Buchungen nächste Woche")
    assert "vom Mo, 30.11. bis Fr, 04.12.:" in r and "Olfen" in r and "Senden" not in r
    assert chat.send("anna", "meine Buchungen").count("• ") == 2
    chat.send("tom", "hello", lang_hint="en")
    chat.send("tom", "Friday Olfen")
    assert chat.send("tom", "what did I book in December").startswith("You have no booking in December 2026.")


def test_a_time_before_opening_is_no_full_house(chat):
    """"Ist morgen um 7 irgendwo was frei?" said "Am Di, 24.11. ist leider nirgends ein Platz frei" (every space
    closed at 07:00, none full); it says no space is open then, with that day's hours."""
    r = chat.send("anna", "Ist morgen um 7 irgendwo was frei?")
    assert "nirgends" not in r and "Zur gewünschten Zeit (ab 07:00) ist am Di, 24.11. kein Coworking geöffnet." in r
    assert "07:30–19:00: Dülmen" in r
    r = chat.send("anna", "Ist morgen um 7 in Coesfeld was frei?")
    assert "hat Coworking Coesfeld am Di, 24.11. nicht geöffnet" in r and "von 08:00 bis 18:00 Uhr" in r
    r = chat.send("anna", "morgen ab 7:30 frei?")
    assert "• Coworking Dülmen: 6 von 6 frei" in r and "• Coworking Olfen: zu der Zeit zu (geöffnet 08:00–18:00)" in r


def test_how_paying_works_is_answered(chat):
    """"how does payment work?" got the help text, "can I pay by card?" "nicht verstanden"."""
    r = chat.send("sam", "Hi, I'm self-employed, how does payment work?", lang_hint="en")
    assert "Without a company code you pay yourself, on site" in r and "€18.00: Coesfeld" in r
    assert "Without a company code" in chat.send("sam", "can I pay by card?")
    chat.send("anna", "STADTWERKE-2026")
    r = chat.send("anna", "Muss ich was bezahlen?")
    assert "Deine Buchungen zahlt dein Arbeitgeber aus seinem Kontingent; du zahlst nichts." in r and "15,00 €" in r
    r = chat.send("anna", "Wie viele Tage habe ich noch?")  # the contingent stays the contingent
    assert "noch 8 von 8 Tagen" in r and "zahlt dein Arbeitgeber aus seinem" not in r


def test_desks_near_a_town(chat):
    """"morgen irgendwo in der Nähe von Nottuln" was small talk; it lists the region's spaces by distance from Nottuln
    with their free desks, and a button books (nothing booked by asking)."""
    chat.send("anna", "STADTWERKE-2026")
    r = chat.send("anna", "morgen irgendwo in der Nähe von Nottuln")
    assert r.startswith("Freie Plätze am Di, 24.11. in der Nähe von Nottuln:\n• Coworking Nottuln (0 km): 4 von 4 frei\n")
    assert "Gebucht" not in r and [c.label for c in chat.choices("anna")][:2] == ["Nottuln buchen", "Billerbeck buchen"]
    assert "Gebucht: Coworking Billerbeck, Di, 24.11." in chat.press("anna", "Billerbeck buchen")
    chat.send("tom", "hello", lang_hint="en")
    assert chat.send("tom", "a desk near Senden on Friday?").startswith("Free desks on Fri 27 Nov near Senden:")


def test_a_typed_walk_in_is_asked_first(chat, clock):
    """"Ich bin jetzt in Olfen" with no booking today booked a desk and spent a contingent day on a statement; it
    asks first. The QR code at the door (a deliberate scan) still books and checks in at once."""
    clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=TZ))
    chat.send("anna", "STADTWERKE-2026")
    r = chat.send("anna", "Ich bin jetzt in Olfen")
    assert "Soll ich dir jetzt einen Platz in Coworking Olfen buchen und dich einchecken?" in r
    assert "keine kommenden Buchungen" in chat.send("anna", "meine Buchungen")  # asking booked nothing
    chat.send("anna", "Ich bin jetzt in Olfen")
    assert "Ich habe dir Platz 1 bis 18:00 Uhr gebucht und dich eingecheckt." in chat.send("anna", "ja")
    r = chat.send("bert", "/start checkin-senden")
    assert "Willkommen in Coworking Senden" in r and "eingecheckt" in r


def test_a_question_about_a_full_space_offers_the_nearest_and_the_waitlist(chat):
    """"Ist morgen in Rosendahl was frei?" with Rosendahl full answered "0 von 2 frei" and no button at all."""
    chat.send("anna", "STADTWERKE-2026")
    chat.send("bert", "STADTWERKE-2026")
    chat.send("anna", "morgen Rosendahl")
    chat.send("bert", "morgen Rosendahl")
    chat.send("carl", "STADTWERKE-2026")
    r = chat.send("carl", "Ist morgen in Rosendahl noch was frei?")
    assert "Coworking Rosendahl ist am Di, 24.11. ausgebucht." in r and "Gebucht" not in r
    labels = [c.label for c in chat.choices("carl")]
    assert "Coesfeld buchen" in labels and any("Warteliste" in x for x in labels)
    assert "Warteliste" in chat.press("carl", "Warteliste")


def test_cancelling_a_weekday_with_that_weekday_booked_later_asks_about_it(chat_both):
    """"Dienstag stornieren" on a Monday with nothing tomorrow but next Tuesday booked: it said "keine Buchung
    gefunden" and listed everything; it asks about that Tuesday (nothing is cancelled on the guess)."""
    chat = chat_both
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "nächsten Di und Mi in Olfen")
    chat.send("anna", "Fr Senden")
    r = chat.send("anna", "Dienstag stornieren")
    assert r.startswith("Am Di, 24.11. hast du nichts gebucht. Di, 01.12. Coworking Olfen stornieren?")
    assert chat.send("anna", "meine Buchungen").count("• ") == 3  # asking changed nothing
    chat.send("anna", "Dienstag stornieren")
    r = chat.send("anna", "ja")
    assert "Storniert: Di, 01.12. Coworking Olfen." in r
    assert chat.send("anna", "meine Buchungen").count("• ") == 2
    r = chat.send("anna", "Donnerstag stornieren")  # no Thursday at all: the list of all, as before
    assert "Dazu habe ich keine Buchung von dir gefunden." in r and len(chat.choices("anna")) == 2
    chat.send("anna", "Di 8.12. Senden")
    chat.send("anna", "Di 15.12. Senden")
    r = chat.send("anna", "Dienstag stornieren")  # two later Tuesdays: which one, asked with a button each
    assert r.startswith("Am Di, 24.11. hast du nichts gebucht. Welche Buchung möchtest du stornieren?")
    assert [c.label for c in chat.choices("anna")] == ["❌ Di, 08.12. Senden", "❌ Di, 15.12. Senden"]
    assert chat.send("anna", "meine Buchungen").count("• ") == 4


def test_a_day_with_a_price_question_gets_both(chat):
    """"Kann ich Fr in Olfen arbeiten, und wie teuer ist das?" answered the price only; the day's free desks come too."""
    chat.send("anna", "STADTWERKE-2026")
    r = chat.send("anna", "kann ich fr in olfen arbeiten, und wie teuer ist das?")
    assert "Freie Plätze am Fr, 27.11." in r and "Coworking Olfen: 3 von 3 frei" in r and "kostet 15,00 €" in r
    assert [c.label for c in chat.choices("anna")] == ["Olfen buchen"]
    r = chat.send("anna", "was kostet Olfen?")  # no day: the price alone, as before
    assert r.startswith("💶 Ein Tag in Coworking Olfen kostet 15,00 €")


def test_a_member_who_writes_english_is_answered_in_english_from_the_second_message(chat):
    """A member whose first word set German ("hey") and who then writes English got German replies for good; two
    clearly English messages in a row switch the language (one does not), and a language chosen with /sprache stays."""
    chat.send("anna", "hey")
    chat.send("anna", "STADTWERKE-2026")
    assert "Gebucht" in chat.send("anna", "need a desk in Coesfeld on Wednesday please")  # one English message: German
    r = chat.send("anna", "what do I have booked next week")
    assert r.startswith("You have no booking from Mon 30 Nov")
    r = chat.send("anna", "wie viele Tage habe ich noch")  # one German message: still English
    assert r.startswith("Your contingent")
    chat.send("anna", "was habe ich gebucht")
    assert chat.send("anna", "wie viele Tage habe ich noch").startswith("Dein Kontingent")
    chat.send("tom", "Hallo")
    chat.send("tom", "STADTWERKE-2026")
    chat.send("tom", "/sprache deutsch")
    for text in ("what do I have booked next week", "what do I have booked next week", "how many days do I have left"):
        r = chat.send("tom", text)
    assert r.startswith("Dein Kontingent")  # chosen: it stays German


def test_each_place_gets_its_own_days_in_one_message(chat):
    """ "Mittwoch Senden und Donnerstag Olfen" booked both days in Senden; each place now gets its days, the
    confirmation names both, one Undo takes back both, and a conflict is explained for that day's place."""
    chat.send("anna", "KREIS-2026")
    r = chat.send("anna", "Mittwoch Senden und Donnerstag Olfen")
    assert "Coworking Senden, Mi, 25.11." in r and "Coworking Olfen, Do, 26.11." in r
    listed = chat.send("anna", "meine Buchungen")
    assert "Mi, 25.11. – Coworking Senden" in listed and "Do, 26.11. – Coworking Olfen" in listed
    r = chat.send("anna", "Mi Olfen und Do Senden")  # the other way round: each day offers its own move
    assert "nach Olfen umbuchen" in r and "nach Senden umbuchen" in r
    r = chat.send("anna", "Mittwoch Senden. Und Donnerstag auch, aber in Olfen.")  # as booked: nothing to move
    assert "umbuchen" not in r and r.count("schon eine Buchung") == 2
    r = chat.send("anna", "rückgängig")
    assert "Olfen" in r and "Senden" in r


def test_a_place_without_days_of_its_own_is_no_second_leg(chat):
    chat.send("anna", "KREIS-2026")
    r = chat.send("anna", "Mittwoch Senden oder Olfen")
    assert "Olfen, Mi" not in r
    assert "Coworking Olfen" not in chat.send("anna", "meine Buchungen")


def test_a_question_about_two_places_answers_each_and_books_nothing(chat):
    chat.send("anna", "KREIS-2026")
    r = chat.send("anna", "Ist Mittwoch in Senden und Donnerstag in Olfen was frei?")
    senden, olfen = r.split("Coworking Olfen")
    assert "Coworking Senden" in senden and "Mi, 25.11." in senden and "Do, 26.11." not in senden
    assert "Do, 26.11." in olfen and "Mi, 25.11." not in olfen
    assert chat.send("anna", "meine Buchungen").startswith("Du hast keine kommenden Buchungen")  # a question books nothing
    chat.send("anna", "Ist Mittwoch in Senden und Donnerstag in Olfen was frei?")
    (book,) = chat.choices("anna")
    assert book.label == "Senden + Olfen buchen"
    r = chat.press_data("anna", book.data)  # one button books each place on its day
    assert "Coworking Senden, Mi, 25.11." in r and "Coworking Olfen, Do, 26.11." in r


def test_a_question_about_either_of_two_places_answers_both(chat):
    """ "ist freitag in senden und olfen was frei" answered Senden only; now both, one button per place."""
    chat.send("anna", "KREIS-2026")
    r = chat.send("anna", "ist freitag in senden und olfen was frei")
    assert "Coworking Senden" in r and "Coworking Olfen" in r and r.count("Fr, 27.11.") == 2
    assert [c.label for c in chat.choices("anna")] == ["Senden buchen", "Olfen buchen"]
    assert chat.send("anna", "meine Buchungen").startswith("Du hast keine kommenden Buchungen")


def test_a_day_changed_right_after_a_booking_moves_it_after_asking(chat):
    """ "actually make that Thursday" after booking Friday asked for a place (and would have booked a second day)."""
    chat.send("anna", "KREIS-2026")
    chat.send("anna", "Freitag vormittags Olfen")
    r = chat.send("anna", "nee, lieber Donnerstag")
    assert "Fr, 27.11. Coworking Olfen, vormittags auf Do, 26.11. verschieben?" in r
    assert "Do, 26.11." not in chat.send("anna", "meine Buchungen")  # asked, nothing changed yet
    chat.send("anna", "nee, lieber Donnerstag")
    r = chat.send("anna", "1")
    assert "Verschoben: Fr, 27.11. Coworking Olfen, vormittags ist storniert." in r
    assert "Gebucht: Coworking Olfen, Do, 26.11., vormittags" in r
    listed = chat.send("anna", "meine Buchungen")
    assert "Do, 26.11., vormittags – Coworking Olfen" in listed and "Fr, 27.11." not in listed
    r = chat.send("anna", "Montag")  # no change word: a new request, which asks for the place
    assert "verschieben" not in r


def test_two_places_for_one_day_asks_which(chat):
    """ "Senden und Olfen morgen" booked Senden (the first named); a day has one desk: the bot asks which place."""
    chat.send("anna", "KREIS-2026")
    r = chat.send("anna", "Senden und Olfen morgen")
    assert "Welcher der Orte" in r and [c.label for c in chat.choices("anna")] == ["Senden buchen", "Olfen buchen"]
    assert chat.send("anna", "meine Buchungen").startswith("Du hast keine kommenden Buchungen")
    chat.send("anna", "Senden und Olfen morgen")
    assert "Coworking Olfen, Di, 24.11." in chat.send("anna", "2")


def test_a_booking_moved_by_name_from_one_day_to_another(chat):
    """ "verschieb mein Olfen von Freitag auf Donnerstag" read both days as a booking request for two days; now it
    offers to move the Friday booking (nothing changes before the press); a move without a booking on the old day asks
    whether to book the new one."""
    chat.send("anna", "KREIS-2026")
    chat.send("anna", "Freitag vormittags Olfen")
    r = chat.send("anna", "kannst du mein Olfen von Freitag auf Donnerstag schieben?")
    assert "Fr, 27.11. Coworking Olfen, vormittags auf Do, 26.11. verschieben?" in r
    assert "Do, 26.11." not in chat.send("anna", "meine Buchungen")  # asked, nothing changed yet
    chat.send("anna", "move my friday booking to thursday please")
    r = chat.send("anna", "1")
    assert "Gebucht: Coworking Olfen, Do, 26.11., vormittags" in r
    listed = chat.send("anna", "meine Buchungen")
    assert "Do, 26.11., vormittags – Coworking Olfen" in listed and "Fr, 27.11." not in listed
    r = chat.send("anna", "verschieb Senden von Mittwoch auf Dienstag")  # nothing booked on Wednesday: asked first
    assert "Am Mi, 25.11. hast du in Coworking Senden keine Buchung. Soll ich Di, 24.11. buchen?" in r
    assert "Di, 24.11." not in chat.send("anna", "meine Buchungen")
    chat.send("anna", "verschieb Senden von Mittwoch auf Dienstag")
    assert "Gebucht: Coworking Senden, Di, 24.11." in chat.send("anna", "1")


def test_the_default_place_typed_in_words_is_the_home_space(chat):
    """ "mein Standardort ist Olfen" got "Das kenne ich nicht als Einstellung"; it sets the home space (/heimat)."""
    chat.send("anna", "KREIS-2026")
    assert "Olfen ist dein Heimat-Space" in chat.send("anna", "mein Standardort ist Olfen")
    assert "Dein Heimat-Space: Olfen" in chat.send("anna", "/heimat")
    chat.send("anna", "set my default place to Senden")
    assert "Senden" in chat.send("anna", "/heimat")
    r = chat.send("anna", "morgen")  # the place question offers the home space first
    assert [c.label for c in chat.choices("anna")][0] == "🏠 Senden", r


def test_verschieb_das_moves_the_booking_just_made_team_included(chat):
    """ "verschieb das auf Donnerstag" right after a team booking got "Dabei kann ich leider nicht helfen"; it offers
    to move all four desks (a team's booking moves with every seat)."""
    chat.send("anna", "KREIS-2026")
    assert "4 Plätze" in chat.send("anna", "Wir sind Freitag zu viert in Senden, bitte Plätze für uns alle")
    r = chat.send("anna", "verschieb das auf Donnerstag")
    assert "Fr, 27.11. Coworking Senden auf Do, 26.11. verschieben?" in r
    r = chat.send("anna", "1")
    assert "Gebucht: Coworking Senden, Do, 26.11., 4 Plätze" in r
    listed = chat.send("anna", "meine Buchungen")
    assert "Do, 26.11." in listed and "Fr, 27.11." not in listed


def test_a_cancellation_with_a_new_booking_offers_the_move(chat):
    """ "Storno für Donnerstag in Olfen, dafür bitte Freitag dort" cancelled Thursday and left the Friday unbooked;
    it offers the move (one press cancels and books)."""
    chat.send("anna", "KREIS-2026")
    chat.send("anna", "Donnerstag Olfen")
    r = chat.send("anna", "Storno für Donnerstag in Olfen, dafür bitte Freitag dort")
    assert "Do, 26.11. Coworking Olfen auf Fr, 27.11. verschieben?" in r
    assert "Gebucht: Coworking Olfen, Fr, 27.11." in chat.send("anna", "1")
    listed = chat.send("anna", "meine Buchungen")
    assert "Fr, 27.11." in listed and "Do, 26.11." not in listed


def test_colleagues_view_of_ones_bookings_is_switched_in_words_and_a_question_changes_nothing(chat):
    """ "I don't want colleagues to see where I'm booked, can you hide this?" got the booking list; it switches off
    what /einstellungen sichtbar switches, in words and both ways, and asking about it switches nothing."""
    from bot.features.settings.chat import _prefs

    chat.send("anna", "KREIS-2026")
    mid = chat.dialogue.core.members.resolve("terminal", "anna", "anna", "Anna").id

    def shared():
        return _prefs(chat.dialogue, mid).get("share_presence")

    assert "unsichtbar" in chat.send("anna", "Kollegen sollen nicht sehen, wo ich gebucht bin")
    assert shared() is False
    chat.send("anna", "Kollegen dürfen sehen, wo ich bin")
    assert shared() is True
    chat.send("anna", "Können Kollegen sehen, wo ich gebucht bin?")  # a question: nothing switched
    assert shared() is True
    assert "unsichtbar" in chat.send("anna", "I dont want colleagues to see where I am booked, can you hide this?")
    assert shared() is False
