"""Typed answers to the bot's own question (issue 13's dialogue): a pick by place ("den dritten", "Nr. 2"), an
acceptance of the one thing offered ("dann nehm ich den", "ok buch das"), and — never a guess — a "which one?"
when "ja" or "mach das" meets several offers of one kind. A new request typed instead is a new request."""

from __future__ import annotations


def _bookings(chat, user="anna"):
    dlg = chat.dialogue
    member = dlg.members.resolve("terminal", user, user.capitalize())
    return dlg.booking.my_bookings(member.id)


def test_accepting_the_one_offer_books_it(chat_both):
    chat = chat_both
    chat.send("anna", "STADTWERKE-2026")
    r = chat.send("anna", "Ist am Donnerstag in Senden noch was zu kriegen?")
    assert "Senden" in r and not _bookings(chat)  # the question booked nothing
    r = chat.send("anna", "dann nehm ich den")
    assert "Gebucht: Coworking Senden" in r
    assert [b.space.slug for b in _bookings(chat)] == ["senden"]


def test_yes_or_do_it_to_several_offers_asks_which(chat):
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "was ist Freitag frei")
    offers = [c.label for c in chat.choices("anna")]
    assert len(offers) >= 2
    for answer in ("ja", "ja mach das", "ok buch das"):
        r = chat.send("anna", answer)
        assert "Welche meinst du?" in r, answer
        assert [c.label for c in chat.choices("anna")] == offers  # the same buttons, the question stays open
        assert not _bookings(chat)
    r = chat.send("anna", "den zweiten")
    assert f"Gebucht: Coworking {offers[1].split()[0]}" in r


def test_a_pick_by_place(chat):
    chat.send("tom", "what is free on Friday", lang_hint="en")
    chat.send("tom", "STADTWERKE-2026")
    chat.send("tom", "what is free on Friday")
    offers = [c.label for c in chat.choices("tom")]
    r = chat.send("tom", "the last one")
    assert f"Booked: Coworking {offers[-1].split()[-1]}" in r


def test_no_or_a_new_request_is_not_an_acceptance(chat):
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "Ist am Donnerstag in Senden noch was zu kriegen?")
    r = chat.send("anna", "nee, nimm den lieber nicht")
    assert "Gebucht" not in r and not _bookings(chat)
    chat.send("anna", "Ist am Donnerstag in Senden noch was zu kriegen?")
    r = chat.send("anna", "buch Freitag Olfen")  # a request of its own, not the Senden offer
    assert "Gebucht: Coworking Olfen" in r
    assert [b.space.slug for b in _bookings(chat)] == ["olfen"]


def test_typed_undo_takes_back_the_whole_last_request(chat_both):
    """"rückgängig" after a series undoes the series, as its undo button would (not just its last day)."""
    chat = chat_both
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "morgen Dülmen")
    r = chat.send("anna", "buche jeden Mittwoch im Dezember in Olfen")
    assert r.count("Mi, ") == 5
    r = chat.send("anna", "rückgängig")
    assert "Coworking Olfen: Mi, 02.12., Mi, 09.12., Mi, 16.12., Mi, 23.12., Mi, 30.12." in r
    assert len(_bookings(chat)) == 6  # asking changed nothing
    chat.press("anna", "Ja")
    assert [b.space.slug for b in _bookings(chat)] == ["duelmen"]
    r = chat.send("anna", "rückgängig")  # the series' undo button is spent: the booking before it
    assert "Di, 24.11. Coworking Dülmen" in r


def test_yes_to_an_english_cancel_question_cancels(chat):
    """"Yes, cancel all" is the yes of the question, not a "no" (the word "cancel" is no refusal)."""
    chat.send("tom", "hello", lang_hint="en")
    chat.send("tom", "STADTWERKE-2026")
    chat.send("tom", "tomorrow Olfen")
    chat.send("tom", "Friday Senden")
    for answer, left in (("no", 2), ("yes", 0)):
        r = chat.send("tom", "cancel all")
        assert "cancel" in r.lower() and len(_bookings(chat, "tom")) == 2
        chat.send("tom", answer)
        assert len(_bookings(chat, "tom")) == left, answer
    chat.send("tom", "tomorrow Olfen")
    chat.send("tom", "cancel all")
    chat.send("tom", "ok do it")
    assert _bookings(chat, "tom") == []


def test_a_thing_of_its_own_with_please_is_no_acceptance(chat):
    """"bitte" is a yes word, but "Parkplatz bitte" names something else: it was taken as accepting the offer."""
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "Ist am Donnerstag in Senden noch was zu kriegen?")
    r = chat.send("anna", "Parkplatz bitte")
    assert "Gebucht" not in r and not _bookings(chat)
    chat.send("anna", "Ist am Donnerstag in Senden noch was zu kriegen?")
    r = chat.send("anna", "super, dann nehm ich den")  # only accepting words: books
    assert "Gebucht: Coworking Senden" in r


def test_a_follow_up_question_is_read_with_the_last_one(chat_both):
    """"und am 9.?" after "Was ist mit Lüdinghausen am 8.12.?" showed every space; "nee lieber Olfen" asked for the
    day again. A follow-up takes the place, day and part it leaves out from the question before, and stays a
    question: nothing is booked, a booking verb on a day taken from context is asked first."""
    chat = chat_both
    chat.send("anna", "STADTWERKE-2026")
    r = chat.send("anna", "Was ist mit Lüdinghausen am 8.12.?")
    assert "Freie Plätze am Di, 08.12.:\n• Coworking Lüdinghausen: 6 von 6 frei" in r
    r = chat.send("anna", "und am 9.?")
    assert "Freie Plätze am Mi, 09.12.:\n• Coworking Lüdinghausen: 6 von 6 frei" in r and "Olfen" not in r
    r = chat.send("anna", "nee lieber Olfen")
    assert "Freie Plätze am Mi, 09.12.:\n• Coworking Olfen: 3 von 3 frei" in r
    r = chat.send("anna", "und nachmittags?")
    assert "Freie Plätze am Mi, 09.12. (nachmittags):\n• Coworking Olfen" in r
    r = chat.send("anna", "und dann buch mir Senden")
    assert "Coworking Senden am Mi, 09.12. buchen" in r and not _bookings(chat)
    r = chat.press("anna", "Ja, buchen")
    assert "Gebucht: Coworking Senden, Mi, 09.12." in r
    r = chat.send("anna", "Wer ist morgen in Dülmen?")
    r = chat.send("anna", "und in Olfen?")  # the same kind of question: who, that day
    assert "Di, 24.11." in r and "Freie Plätze" not in r
    r = chat.send("anna", "morgen Olfen")  # not a follow-up: a request of its own
    assert "Gebucht: Coworking Olfen, Di, 24.11." in r
    chat.send("anna", "Was ist mit Lüdinghausen am 8.12.?")
    r = chat.send("anna", "dann am 10.12. Lüdinghausen")  # a follow-up word, but complete: the request it is
    assert "Gebucht: Coworking Lüdinghausen, Do, 10.12." in r
    chat.send("tom", "hello", lang_hint="en")
    chat.send("tom", "what about Senden on Friday?")
    assert "Free desks on Mon 30 Nov:\n• Coworking Senden" in chat.send("tom", "and on Monday?")


def test_a_bare_slot_after_a_question_reads_with_that_question(chat_both):
    """"nur vormittags", "Freitag", "Olfen" or "zu zweit" typed after an availability answer: the same question with
    that slot changed (it asked the day again, or read "Freitag" as a booking without a place); nothing is booked."""
    chat = chat_both
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "Kann ich am Donnerstag in Senden einen Platz kriegen?")
    r = chat.send("anna", "nur vormittags")
    assert "Freie Plätze am Do, 26.11. (vormittags)" in r and "Coworking Senden" in r and not _bookings(chat)
    r = chat.send("anna", "Freitag")
    assert "Freie Plätze am Fr, 27.11." in r and "Coworking Senden" in r and not _bookings(chat)
    r = chat.send("anna", "Olfen")
    assert "Freie Plätze am Fr, 27.11." in r and "Coworking Olfen" in r and "Senden" not in r and not _bookings(chat)
    r = chat.send("anna", "zu zweit")
    assert [c.label for c in chat.choices("anna")] == ["Olfen buchen (2 Plätze)"] and not _bookings(chat)
    r = chat.press("anna", "Olfen buchen")
    assert "Gebucht: Coworking Olfen, Fr, 27.11., vormittags, 2 Plätze" in r  # the morning asked about, kept


def test_the_guides_follow_up_words(chat):
    """The employee guide's words after an answer to "is … free?" (both languages), each read with that question."""
    chat.send("anna", "STADTWERKE-2026")
    chat.send("tom", "hello", lang_hint="en")
    chat.send("tom", "STADTWERKE-2026")
    for user, question, steps in (
            ("anna", "Ist am Donnerstag in Senden noch was frei?",
             [("nur vormittags", "Do, 26.11. (vormittags)"), ("und Freitag?", "Fr, 27.11. (vormittags)"),
              ("Olfen", "Coworking Olfen"), ("zu zweit", "Olfen buchen (2 Plätze)")]),
            ("tom", "Is anything free in Senden on Thursday?",
             [("morning only", "Thu 26 Nov (morning)"), ("and Friday?", "Fri 27 Nov (morning)"),
              ("Olfen", "Coworking Olfen"), ("for two", "Book Olfen (2 desks)")])):
        chat.send(user, question)
        for typed, shown in steps:
            r = chat.send(user, typed)
            assert shown in r + " ".join(c.label for c in chat.choices(user)), (typed, r)
        assert not _bookings(chat, user)


def test_a_question_of_its_own_after_a_question_is_not_narrowed(chat):
    """"was ist morgen frei?" after a question about Olfen asks about every space, not Olfen's."""
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "Ist am Freitag in Olfen was frei?")
    r = chat.send("anna", "was ist morgen frei?")
    assert "Coworking Dülmen" in r and "Coworking Senden" in r
    chat.send("tom", "hello", lang_hint="en")
    chat.send("tom", "can I get a desk in senden on thursday?")
    r = chat.send("tom", "morning only")
    assert "Free desks on Thu 26 Nov (morning)" in r and "Senden" in r
    r = chat.send("tom", "any desks free tomorrow?")
    assert "Coworking Dülmen" in r and "Coworking Olfen" in r


def test_yes_or_no_with_no_question_open_says_so(chat):
    """A "ja" after the question was answered got "nicht verstanden"; it says that nothing is being asked."""
    chat.send("anna", "STADTWERKE-2026")
    chat.send("anna", "morgen Olfen")
    assert chat.send("anna", "Ja").startswith("Gerade ist keine Frage von mir offen.")
    chat.send("tom", "hello", lang_hint="en")
    assert chat.send("tom", "no").startswith("There is no question of mine open right now.")
    assert len(_bookings(chat)) == 1
