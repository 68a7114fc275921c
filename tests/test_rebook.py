"""Moving a day's booking ("morgen doch lieber Olfen" with a booking in Coesfeld): the bot offers to move it and
changes nothing until asked; the move is one step — when the new space cannot be booked any more, the old
booking stays (a savepoint takes the cancellation back) and the reply says so. Both stores."""

from __future__ import annotations


def _mine(chat, user="anna"):
    dlg = chat.dialogue
    m = dlg.members.resolve("terminal", user, user.capitalize())
    return [(b.space.slug, b.day.isoformat()) for b in dlg.booking.my_bookings(m.id)], dlg.booking.remaining(m.id)


def test_move_a_day_to_another_space(chat_both):
    chat = chat_both
    chat.send("anna", "STADTWERKE-2026")
    assert "Gebucht: Coworking Coesfeld" in chat.send("anna", "morgen Coesfeld")
    before, rem_before = _mine(chat)
    r = chat.send("anna", "morgen doch lieber Olfen")
    assert "schon eine Buchung: Coworking Coesfeld" in r and "nach Olfen umbuchen" in r
    assert _mine(chat)[0] == before  # the offer changed nothing
    r = chat.press("anna", "umbuchen")
    assert "Umgebucht: Coworking Coesfeld ist storniert" in r and "Gebucht: Coworking Olfen, Di, 24.11." in r
    after, rem_after = _mine(chat)
    assert after == [("olfen", "2026-11-24")]
    assert rem_after.effective_left == rem_before.effective_left  # refunded and charged again: one day in all


def test_a_move_that_cannot_be_booked_keeps_the_old_booking(chat_both):
    chat = chat_both
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "morgen Coesfeld")
    before, rem_before = _mine(chat)
    chat.send("anna", "morgen Olfen")  # the offer to move
    for user in ("bea", "carl", "dora"):  # meanwhile Olfen (3 desks) fills up
        chat.send(user, "STADTWERKE-2026")
        assert "Gebucht: Coworking Olfen" in chat.send(user, "morgen Olfen")
    r = chat.press("anna", "umbuchen")
    assert "Deine Buchung in Coworking Coesfeld am Di, 24.11. bleibt deshalb bestehen" in r
    after, rem_after = _mine(chat)
    assert after == before and rem_after.effective_left == rem_before.effective_left


def test_keep_and_same_space(chat):
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "morgen Coesfeld")
    r = chat.send("anna", "morgen Coesfeld")  # the same space again: nothing to move
    assert "schon eine Buchung" in r and "umbuchen" not in r
    chat.send("anna", "morgen Olfen")
    chat.send("anna", "nein")
    assert _mine(chat)[0] == [("coesfeld", "2026-11-24")]


def test_cancel_one_place_and_book_another_instead_is_offered_as_the_move(chat):
    chat.send("anna", "STADTWERKE-2026")
    assert "Gebucht: Coworking Havixbeck" in chat.send("anna", "Dienstag Havixbeck")
    before, _ = _mine(chat)
    r = chat.send("anna", "Cancel Tuesday in Havixbeck and book me Nottuln instead, the parking's easier")
    assert "schon eine Buchung: Coworking Havixbeck" in r and "umbuchen" in r
    assert _mine(chat)[0] == before  # asked, nothing changed
    r = chat.press("anna", "umbuchen")
    assert "Umgebucht" in r and _mine(chat)[0] == [("nottuln", "2026-11-24")]
