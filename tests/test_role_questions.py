"""Free-text questions answered for the asker's role: an operator's "wer kommt morgen?" is their arrivals and
"wie voll ist es diese Woche?" their occupancy; an employer admin's "wer hat diesen Monat gebucht?" is the team
view. A question naming another space, or asked by someone who also commutes, is a commuter's question."""

from __future__ import annotations


def test_operator_who_and_how_full(chat_both):
    chat = chat_both
    chat.send("anna", "STADTWERKE-2026")
    assert "Gebucht" in chat.send("anna", "morgen Dülmen")
    chat.send("olga", "OP-DUELMEN")
    r = chat.send("olga", "wer kommt morgen?")
    assert "Coworking Dülmen" in r and "Anna" in r and "erwartet" in r
    r = chat.send("olga", "wie voll ist es diese Woche")
    assert "Belegung KW 48" in r and "Di, 24.11.: 1/6" in r
    r = chat.send("olga", "und wie voll ist es nächste Woche?")
    assert "Belegung KW 49" in r
    r = chat.send("olga", "wer ist Freitag da")  # a later day: that week's occupancy
    assert "Belegung KW 48" in r
    # another space is a commuter's question: the free desks, no one's names
    r = chat.send("olga", "was ist morgen in Olfen frei?")
    assert "Coworking Olfen" in r and "Belegung" not in r and "Anna" not in r


def test_operator_view_in_english(chat):
    chat.send("otto", "hello", lang_hint="en")
    chat.send("otto", "OP-OLFEN")
    r = chat.send("otto", "who is coming tomorrow?")
    assert "Coworking Olfen" in r and "Tomorrow" in r


def test_employer_admin_who_booked(chat_both):
    chat = chat_both
    chat.send("eva", "STADTWERKE-ADMIN")
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "morgen Dülmen")
    r = chat.send("eva", "wer hat diesen Monat gebucht?")
    assert "Anna" in r and "24.11." in r
    assert "keiner Firma zugeordnet" not in r



def test_employer_admin_asks_about_a_day_and_a_place(chat_both):
    """"Wer ist morgen in Dülmen?" from an admin gave the whole month's team view; it is that day and that space."""
    chat = chat_both
    chat.send("eva", "STADTWERKE-ADMIN")
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "morgen Dülmen")
    chat.send("anna", "Mittwoch vormittags Senden")
    r = chat.send("eva", "wer ist morgen in Dülmen?")
    assert "bezahlte Buchungen am Di, 24.11. in Dülmen:" in r and "Anna (#" in r and "Senden" not in r
    r = chat.send("eva", "wer ist Mittwoch in Dülmen")
    assert "Niemand von Stadtwerke Münsterland (Demo) hat am Mi, 25.11. in Dülmen über die Firma gebucht." in r
    r = chat.send("eva", "Buchungen der Mitarbeiter diese Woche")
    assert "vom Mo, 23.11. bis Fr, 27.11.:" in r and "Di, 24.11. Dülmen ganztags, Mi, 25.11. Senden vormittags" in r
    r = chat.send("eva", "Buchungen der Mitarbeiter nächste Woche")
    assert "Niemand von Stadtwerke Münsterland (Demo) hat vom Mo, 30.11. bis Fr, 04.12. über die Firma gebucht." in r
    chat.send("eva", "/sprache en")
    r = chat.send("eva", "who's in Senden on Wednesday?")
    assert "Bookings paid by Stadtwerke Münsterland (Demo) on Wed 25 Nov in Senden:" in r and "morning" in r
    r = chat.send("eva", "Buchungen der Mitarbeiter")  # no day named: the month, as before
    assert "in November 2026:" in r and "Tue 24 Nov Dülmen full day, Wed 25 Nov Senden morning" in r

def test_a_commuting_admin_asks_about_colleagues(chat):
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "STADTWERKE-ADMIN")  # an employee who is also the company's admin
    r = chat.send("anna", "wer ist morgen in Dülmen?")
    assert "Im November 2026" not in r  # the colleagues answer, not the month's team view


def test_an_operator_closes_a_day_in_own_words_and_asks_for_the_qr_code(chat):
    """"Morgen ist bei uns geschlossen wegen Wasserschaden" got "ich buche Schreibtische"; it is /schliessen, asked
    first. A typed "QR-Code bitte" while that question was open closed the day ("bitte" read as yes)."""
    chat.send("anna", "STADTWERKE-2026")
    assert "Gebucht" in chat.send("anna", "morgen Dülmen")
    chat.send("olga", "OP-DUELMEN")
    r = chat.send("olga", "Morgen ist bei uns geschlossen wegen Wasserschaden")
    assert "Coworking Dülmen am Di, 24.11. schließen (Wasserschaden)?" in r and "1 Buchung wird storniert" in r
    r = chat.send("olga", "QR-Code bitte")  # not an answer to the question: the QR answer, nothing closed
    assert "QR-Code" in r and "geschlossen" not in r
    assert "Platz 1" in chat.send("anna", "meine Buchungen")
    r = chat.send("olga", "Am 24.12. haben wir zu")  # no place: the operator's own space, not a booking
    assert "Coworking Dülmen am Do, 24.12. schließen?" in r
    assert "Alles bleibt, wie es war." in chat.press("olga", "Abbrechen")
    r = chat.send("olga", "vom 24.12. bis 31.12. geschlossen")  # one day at a time, each confirmed
    assert "Ich schließe Tage einzeln" in r and "„/schliessen 24.12.“" in r
    r = chat.send("olga", "/schliessen 24.12.")  # the hint works as typed
    assert "Coworking Dülmen am Do, 24.12. schließen?" in r
    r = chat.send("olga", "Morgen ist schönes Wetter in Dülmen")  # small talk stays small talk
    assert "schließen" not in r
    assert "schließen" not in chat.send("olga", "Morgen ist es bei uns zu voll")  # "zu" + adjective: no closing
    chat.send("olga", "/sprache en")
    r = chat.send("olga", "we're closed tomorrow")
    assert "Close Coworking Dülmen on Tue 24 Nov?" in r
    r = chat.press("olga", "Yes, close")
    assert "closed" in r
    assert "Platz" not in chat.send("anna", "meine Buchungen")


def test_an_operator_who_also_commutes_closes_their_own_space(chat):
    chat.send("olga", "OP-DUELMEN")
    chat.send("olga", "STADTWERKE-2026")
    r = chat.send("olga", "morgen ist bei uns geschlossen wegen Wasserschaden")
    assert "Coworking Dülmen am Di, 24.11. schließen (Wasserschaden)?" in r
    r = chat.send("olga", "Freitag ist Olfen geschlossen")  # another space: not hers to close
    assert "schließen?" not in r


def test_a_district_admin_asks_for_the_figures_in_own_words(chat):
    """"Wie läuft es?", "Wie viele Arbeitgeber machen mit?", "Auslastung der Spaces im November" from a region admin
    got "nicht verstanden" or the free desks; they are /statistik. A commuter's words stay a commuter's."""
    chat.send("dora", "COESFELD-REGION-ADMIN")
    for text in ("Wie läuft es?", "Wie viele Arbeitgeber machen mit?", "Auslastung der Spaces im November", "Statistik"):
        r = chat.send("dora", text)
        assert "📊 Wirkung von deskbot" in r and "Region Kreis Coesfeld" in r, text
        assert [a.filename for a in chat.last["dora"][0].attachments][-1] == "deskbot-impact.csv"
    assert "Gebucht: Coworking Dülmen" in chat.send("dora", "morgen Dülmen")  # her own booking stays one
    r = chat.send("anna", "Wie viele Arbeitgeber machen mit?")
    assert "Wirkung" not in r


def test_an_employer_admin_asks_for_the_monthly_report(chat):
    """"Bericht für November" got "nicht verstanden"; it is the monthly report sent on the 1st, at once."""
    chat.send("eva", "STADTWERKE-ADMIN")
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "morgen Dülmen")
    chat.send("anna", "Mittwoch vormittags Senden")
    r = chat.send("eva", "Bericht für November")
    assert r.splitlines()[0] == ("📊 Monatsbericht Stadtwerke Münsterland (Demo), November 2026: 1,5 Tage im Coworking, "
                                 "Kosten 22,50 €.")
    assert "• Anna: 1,5 Tage, 22,50 €" in r
    assert [a.filename for a in chat.last["eva"][0].attachments][0] == "deskbot-2026-11-stadtwerke-muensterland-demo.csv"
    r = chat.send("eva", "Monatsbericht")  # no month named: the month before
    assert "Oktober 2026: 0 Tage im Coworking" in r
    chat.send("eva", "/sprache en")
    assert "Monthly report Stadtwerke Münsterland (Demo), November 2026: 1.5 days of coworking" in chat.send(
        "eva", "report for November please")
    assert "Monatsbericht" not in chat.send("anna", "Bericht für November")  # not an admin
