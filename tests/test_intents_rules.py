"""The date and time rules of `bot.intents.parse`, pinned at their edges (issue 14, item 11).

A mutation run found these unguarded: ordinals ("5th"), "ab 3", slash dates ("3/12"), the 31st of a
month and "in einem Monat" at the end of January. Each case here is one rule a user relies on when the
bot books for them; `now` is Monday 2026-11-23 09:00 Europe/Berlin unless a case says otherwise.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.intents import CONFIDENT, parse
from tests.nlu_spaces import BERLIN, SPACES

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)  # a Monday


def p(text: str, now: datetime = NOW):
    return parse(text, now, SPACES)


def at(y: int, m: int, d: int, h: int = 9) -> datetime:
    return datetime(y, m, d, h, 0, tzinfo=BERLIN)


def ds(*isos: str) -> list[date]:
    return [date.fromisoformat(x) for x in isos]


# ---------------------------------------------------------------- ordinals


@pytest.mark.parametrize("text,expected", [
    ("5th", "2026-12-05"),  # a bare ordinal: the next 5th
    ("22nd", "2026-12-22"),  # yesterday's number: next month
    ("23rd", "2026-11-23"),  # today counts
    ("Olfen 24th", "2026-11-24"),
    ("1st Olfen", "2026-12-01"),
    ("the 11th", "2026-12-11"),
    ("on the 12th", "2026-12-12"),
    ("am 13th", "2026-12-13"),
    ("3rd Dezember", "2026-12-03"),
    ("December 5th", "2026-12-05"),
    ("5th of December", "2026-12-05"),
    ("am zweiten Dezember", "2026-12-02"),
    ("the twelfth of December", "2026-12-12"),
    ("twenty-first of December", "2026-12-21"),
])
def test_ordinals(text, expected):
    it = p(text)
    assert it.intent == "book" and it.dates == ds(expected)


def test_two_ordinals():
    assert p("the 5th and 6th").dates == ds("2026-12-05", "2026-12-06")


# ---------------------------------------------------------------- hours without am/pm


@pytest.mark.parametrize("text,start,end", [
    ("ab 3", "15:00", None),  # office hours: a bare 1..6 is the afternoon
    ("ab 6", "18:00", None),
    ("ab 7", "07:00", None),  # 7 and later are taken as said
    ("ab 9", "09:00", None),
    ("ab 13", "13:00", None),
    ("ab 15:30", "15:30", None),
    ("um 3", "15:00", None),
    ("bis 3", None, "15:00"),
    ("bis 16:45", None, "16:45"),
    ("9-3", "09:00", "15:00"),
    ("von 9 bis 3", "09:00", "15:00"),
    ("9:30 bis 11:45", "09:30", "11:45"),
    ("9.30-11.45", "09:30", "11:45"),
    ("9am-2:30pm", "09:00", "14:30"),
])
def test_times_without_am_pm(text, start, end):
    it = p(f"morgen {text} Olfen")
    assert (it.intent, it.dates, it.space) == ("book", ds("2026-11-24"), "olfen")
    assert (it.start, it.end) == (start, end)


def test_ab_3_alone_and_with_a_date():
    assert (p("ab 3").start, p("ab 3").dates) == ("15:00", [])
    it = p("3/12 ab 3")
    assert (it.dates, it.start) == (ds("2026-12-03"), "15:00")


# ---------------------------------------------------------------- slash dates


@pytest.mark.parametrize("text,expected", [
    ("3/12", "2026-12-03"),  # day/month, as in German
    ("3/1", "2027-01-03"),  # past this year: next year
    ("31/1", "2027-01-31"),
    ("31/12", "2026-12-31"),
    ("13/12", "2026-12-13"),
    ("3/12/2027", "2027-12-03"),
    ("3/12/27", "2027-12-03"),
])
def test_slash_dates(text, expected):
    assert p(text).dates == ds(expected)


@pytest.mark.parametrize("text", ["1/31", "32/1", "3/13", "0/5"])
def test_slash_dates_that_are_no_dates(text):
    it = p(text)
    assert it.dates == [] and it.intent != "book"


def test_slash_date_with_a_space_books():
    it = p("3/12 Olfen")
    assert (it.intent, it.dates, it.space) == ("book", ds("2026-12-03"), "olfen")
    assert it.confidence >= CONFIDENT


# ---------------------------------------------------------------- the 31st and other days of the month


@pytest.mark.parametrize("now,text,expected", [
    (NOW, "am 31.", "2026-12-31"),  # November has no 31st
    (at(2026, 11, 30), "am 31. Olfen", "2026-12-31"),
    (at(2026, 12, 31), "am 31.", "2026-12-31"),  # today
    (at(2027, 1, 1), "am 31.", "2027-01-31"),
    (at(2027, 2, 2), "am 31.", "2027-03-31"),  # February has none
    (at(2027, 4, 2), "the 31st", "2027-05-31"),  # nor April
    (at(2027, 6, 1), "am 31.", "2027-07-31"),
    (at(2026, 12, 31), "am 30.", "2027-01-30"),  # across the year
    (at(2027, 2, 2), "am 30.", "2027-03-30"),
    (at(2026, 12, 28), "am 5.", "2027-01-05"),
])
def test_day_of_month(now, text, expected):
    assert p(text, now).dates == ds(expected)


# ---------------------------------------------------------------- in n days, weeks, months


@pytest.mark.parametrize("now,text,expected", [
    (at(2027, 1, 31), "in einem Monat", "2027-02-28"),  # no 31 February: its last day
    (at(2028, 1, 31), "in einem Monat", "2028-02-29"),  # a leap year
    (at(2027, 1, 29), "in einem Monat", "2027-02-28"),
    (at(2027, 3, 31), "in a month", "2027-04-30"),
    (at(2027, 5, 31), "in einem Monat", "2027-06-30"),
    (at(2026, 12, 15), "in einem Monat", "2027-01-15"),  # across the year
    (at(2026, 12, 31), "in 2 Monaten", "2027-02-28"),
    (NOW, "in 3 Tagen", "2026-11-26"),
    (NOW, "in zwei Wochen", "2026-12-07"),
    (NOW, "in 1 Woche", "2026-11-30"),
])
def test_in_n_units(now, text, expected):
    it = p(text, now)
    assert it.intent == "book" and it.dates == ds(expected)


# ---------------------------------------------------------------- named days, day lists, "this month"


@pytest.mark.parametrize("now,text,expected", [
    (NOW, "Tag der Deutschen Einheit", ["2027-10-03"]),
    (NOW, "jeden Freitag diesen Monat", ["2026-11-27"]),
    (NOW, "this month every Friday", ["2026-11-27"]),
    (NOW, "jeden Freitag im nächsten Monat", ["2026-12-04", "2026-12-11", "2026-12-18", "2026-12-25"]),
    (NOW, "1.12 Olfen", ["2026-12-01"]),
    (NOW, "am 30. und 31.", ["2026-12-30", "2026-12-31"]),  # both days in one month: December
])
def test_more_dates(now, text, expected):
    assert p(text, now).dates == ds(*expected)


def test_an_impossible_day_list_is_unreadable_not_ignored():
    it = p("am 30. und 31. Februar")
    assert it.dates == [] and it.date_text_unreadable and it.intent == "book" and it.confidence < CONFIDENT


def test_month_context_for_the_contingent():
    assert p("Kontingent diesen Monat").month == "2026-11"
    assert p("Kontingent im Dezember").month == "2026-12"


# ---------------------------------------------------------------- what makes the bot act
# The dialogue books or cancels only for these intents at or above CONFIDENT; below, it asks with buttons.
# A question, small talk or a request for help must never book or cancel.

ACTS, ASKS = True, False


@pytest.mark.parametrize("text,intent,acts", [
    ("morgen Dülmen", "book", ACTS),
    ("1.12 Olfen", "book", ACTS),
    ("zwei Plätze übermorgen Havixbeck", "book", ACTS),
    ("Mon, Wed, Fri Coesfeld", "book", ACTS),
    ("morgen zwischen 9 und 12 in Olfen", "book", ACTS),
    ("morgen in Münster", "book", ACTS),  # an unknown place: the dialogue says so
    ("tomorrow in Munich", "book", ACTS),
    ("Freitag in Berlin", "book", ACTS),
    ("can i have olfen on thursday", "book", ACTS),
    ("Freitag absagen bitte", "cancel", ACTS),
    ("please cancel my booking in Olfen", "cancel", ACTS),
    ("Ich schaffe es am Donnerstag nicht nach Olfen", "cancel", ACTS),
    ("Ist übermorgen in Dülmen noch was frei?", "availability", ACTS),
    ("Wo ist morgen was frei?", "availability", ACTS),
    ("Wie voll ist Olfen morgen?", "availability", ACTS),
    ("freie Plätze am Freitag", "availability", ACTS),
    ("Gibt es Donnerstag noch freie Plätze in Coesfeld?", "availability", ACTS),
    ("how does Olfen look on Friday?", "availability", ACTS),
    ("free seats tomorrow?", "availability", ACTS),
    ("How do I cancel a booking?", "help", ACTS),
    ("Wie kann ich meine Buchungen sehen?", "help", ACTS),
    ("Was kannst du?", "help", ACTS),
    ("Zeig mir meine Buchungen", "list", ACTS),
    ("what did I book?", "list", ACTS),
    ("how many days do I have left?", "contingent", ACTS),
    ("put me on the waitlist for Friday", "waitlist", ACTS),
    ("Erinnerung morgen aus", "settings", ACTS),
    ("Der Bus nach Senden fällt morgen aus, typisch", "smalltalk", ASKS),  # not a cancellation
    ("Was kostet ein Döner?", "unknown", ASKS),
    ("The weather is nice", "unknown", ASKS),
    ("on Blursday in Olfen", "book", ASKS),  # a date that cannot be read
])
def test_what_the_bot_acts_on(text, intent, acts):
    it = p(text)
    assert it.intent == intent
    assert (it.confidence >= CONFIDENT) is acts, it.confidence


@pytest.mark.parametrize("text,desks", [("for 2 people", 2), ("2 Plätze", 2), ("zwei Plätze", 2), ("für 3 Personen", 3)])
def test_a_number_of_desks_alone_is_a_booking_request(text, desks):
    it = p(text)
    assert (it.intent, it.desks) == ("book", desks)


@pytest.mark.parametrize("text,lang", [("English for me", "en"), ("Englisch wäre super", "en"),
                                       ("nur Deutsch danke", "de"), ("auf Deutsch", "de")])
def test_a_short_message_naming_a_language_switches_it(text, lang):
    it = p(text)
    assert (it.intent, it.args) == ("language", [lang])


# ---------------------------------------------------------------- desk choice (issue 17)
# "Platz 3" names a desk by its label; the number is no date, time or team size. Features use the world
# file's names (monitor, quiet, standing) and come in that order.


@pytest.mark.parametrize("text,label", [
    ("Platz 3 morgen in Olfen", "3"),
    ("Tisch 3 morgen in Olfen", "3"),
    ("Schreibtisch Nr. 3 am Freitag in Dülmen", "3"),
    ("Platz Nummer 3 morgen Coesfeld", "3"),
    ("buche den Platz 3 morgen in Coesfeld", "3"),
    ("desk 3 tomorrow in Olfen", "3"),
    ("seat #3 on Friday in Senden", "3"),
    ("desk number 12 tomorrow Coesfeld", "12"),
    ("Tisch drei morgen Coesfeld", "3"),
    ("Arbeitsplatz 4 übermorgen Coesfeld", "4"),
])
def test_desk_label(text, label):
    it = p(text)
    assert it.desk_label == label
    assert it.intent == "book" and it.confidence >= CONFIDENT
    assert len(it.dates) == 1 and it.dates[0] >= NOW.date()
    assert (it.start, it.end, it.desks) == (None, None, 1)


@pytest.mark.parametrize("text,dates,start,end,desks", [
    ("Platz 3 am 3.12. in Coesfeld", ["2026-12-03"], None, None, 1),
    ("Platz 3 am Freitag Coesfeld", ["2026-11-27"], None, None, 1),  # "am" is German here, no a.m.
    ("seat 3 at 9 am Friday Coesfeld", ["2026-11-27"], "09:00", None, 1),
    ("desk 2 tomorrow 9am-1pm Coesfeld", ["2026-11-24"], "09:00", "13:00", 1),
])
def test_desk_label_next_to_dates_and_times(text, dates, start, end, desks):
    it = p(text)
    assert it.desk_label is not None
    assert (it.dates, it.start, it.end, it.desks) == (ds(*dates), start, end, desks)


@pytest.mark.parametrize("text,dates,start,desks", [
    ("Platz für 3 morgen in Olfen", ["2026-11-24"], None, 3),  # three people, no desk named
    ("Tisch 10 Uhr morgen Olfen", ["2026-11-24"], "10:00", 1),  # a time
    ("ein Platz 9-13 morgen Olfen", ["2026-11-24"], "09:00", 1),
    ("3 Plätze morgen in Olfen", ["2026-11-24"], None, 3),
])
def test_a_number_after_a_desk_word_that_is_no_label(text, dates, start, desks):
    it = p(text)
    assert it.desk_label is None
    assert (it.dates, it.start, it.desks) == (ds(*dates), start, desks)


@pytest.mark.parametrize("text,features", [
    ("morgen Olfen mit Monitor", ["monitor"]),
    ("morgen Coesfeld Platz mit Bildschirm", ["monitor"]),
    ("with a monitor tomorrow in Olfen", ["monitor"]),
    ("tomorrow Coesfeld, a desk with a screen", ["monitor"]),
    ("ein ruhiger Platz morgen in Senden", ["quiet"]),
    ("ruhige Ecke morgen Olfen", ["quiet"]),
    ("quiet desk tomorrow in Havixbeck", ["quiet"]),
    ("Stehpult am Freitag in Dülmen", ["standing"]),
    ("Stehtisch morgen Olfen", ["standing"]),
    ("höhenverstellbarer Schreibtisch morgen Coesfeld", ["standing"]),
    ("standing desk tomorrow Coesfeld", ["standing"]),
    ("ruhigen Platz mit Monitor am Freitag in Coesfeld", ["monitor", "quiet"]),
    ("standing desk with a screen tomorrow Olfen", ["monitor", "standing"]),
    # typos go through the typo correction
    ("morgen Coesfeld Platz mit Bildschrim", ["monitor"]),
    ("morgen Coesfeld mit Monitr", ["monitor"]),
    ("Stehpullt morgen Coesfeld", ["standing"]),
    ("hoehenverstelbarer Tisch morgen Coesfeld", ["standing"]),
])
def test_desk_features(text, features):
    it = p(text)
    assert it.desk_features == features
    assert it.intent == "book" and it.confidence >= CONFIDENT and len(it.dates) == 1 and it.space


@pytest.mark.parametrize("text", [
    "buch mir ruhig einen Platz morgen in Olfen",  # "ruhig" = "feel free", no feature
    "morgen Coesfeld ohne Monitor",
    "Ist es morgen ruhig in Olfen?",  # how busy it is: availability
])
def test_no_desk_feature(text):
    assert p(text).desk_features == []


def test_desk_choice_in_questions_is_availability():
    it = p("Ist Platz 3 morgen in Coesfeld frei?")
    assert (it.intent, it.desk_label, it.space, it.dates) == ("availability", "3", "coesfeld", ds("2026-11-24"))
    it = p("wo gibt es Freitag einen Platz mit Monitor?")
    assert (it.intent, it.desk_features, it.dates) == ("availability", ["monitor"], ds("2026-11-27"))
    it = p("Is there a quiet desk in Coesfeld on Friday?")
    assert it.intent == "availability" and it.desk_features == ["quiet"]


# ---------------------------------------------------------------- clock hours in an office day
# A start hour 1-6 without am/pm (bare, "Uhr" or with minutes, not written "06:30") is the afternoon unless the
# message says morning; an end hour 1-7 likewise; a range is increasing.


@pytest.mark.parametrize("text,start,end", [
    ("ab 3 Uhr", "15:00", None),  # "Uhr" reads like the bare hour
    ("um 3 Uhr", "15:00", None),
    ("3 Uhr", "15:00", None),
    ("ab 3:30", "15:30", None),
    ("von 1 bis 4", "13:00", "16:00"),
    ("1-4", "13:00", "16:00"),
    ("from 2 to 5", "14:00", "17:00"),
    ("7 bis 5", "07:00", "17:00"),
    ("10-2", "10:00", "14:00"),
    ("ab 10 bis 2", "10:00", "14:00"),
    ("12-4", "12:00", "16:00"),
    ("bis 7", None, "19:00"),
    ("bis 5 Uhr", None, "17:00"),
    ("halb drei", "14:30", None),
    ("um eins", "13:00", None),
    ("6 bis 10", "06:00", "10:00"),  # the afternoon reading would end at 22:00
    ("ab 06:30", "06:30", None),  # written with a leading zero: as written
    ("3 am", "03:00", None),
    ("früh um 6", "06:00", None),  # morning said
    ("vormittags von 6 bis 9", "06:00", "09:00"),
])
def test_clock_hours_in_an_office_day(text, start, end):
    it = p(f"morgen {text} in Olfen")
    assert (it.start, it.end) == (start, end)
    assert it.dates == ds("2026-11-24") and it.space == "olfen"


@pytest.mark.parametrize("text,lang", [
    ("in einem Monat in Dülmen", "de"),  # "in" is a word of both languages
    ("am 5. in Senden", "de"),
    ("Erinnerungen wieder an", "de"),
    ("Olfen was really nice last week", "en"),
    ("Yesterday's meeting in Dülmen was long", "en"),
    ("I will be in Olfen tomorrow", "en"),
])
def test_language_of_a_message(text, lang):
    assert p(text).lang == lang


# ---------------------------------------------------------------- dates counted from an anchor, lists, spans


@pytest.mark.parametrize("text,expected", [
    ("heute in einer Woche Coesfeld", ["2026-11-30"]),  # not today *and* in a week
    ("morgen in einer Woche Coesfeld", ["2026-12-01"]),
    ("morgen in 3 Tagen Coesfeld", ["2026-11-27"]),
    ("a week from tomorrow in Senden", ["2026-12-01"]),
    ("two weeks from today in Senden", ["2026-12-07"]),
    ("next tue + thu Nottuln", ["2026-12-01", "2026-12-03"]),  # "next" covers the whole list
    ("nächsten Montag und Mittwoch Olfen", ["2026-11-30", "2026-12-02"]),
    ("diesen Freitag und nächsten Montag Olfen", ["2026-11-27", "2026-11-30"]),
    ("ab Dienstag drei Tage Olfen", ["2026-11-24", "2026-11-25", "2026-11-26"]),
    ("ab Donnerstag für 3 Tage Olfen", ["2026-11-26", "2026-11-27", "2026-11-30"]),  # working days
    ("Für morgen hätte ich gerne Ascheberg, so ab 8", ["2026-11-24"]),  # "so ab 8" = about 8, no Sunday
    ("Fr, Sa, So Dülmen", ["2026-11-27", "2026-11-28", "2026-11-29"]),
])
def test_anchored_and_listed_dates(text, expected):
    assert p(text).dates == ds(*expected)


@pytest.mark.parametrize("text,desks", [
    ("Ich würde morgen gern mit meiner Kollegin nach Senden", 2),
    ("with a colleague tomorrow in Olfen", 2),
    ("mit meinen Kollegen morgen Olfen", 1),  # how many is not said
    ("Kann ich morgen mit 2 Kollegen nach Olfen?", 3),
])
def test_desks_from_companions(text, desks):
    assert p(text).desks == desks


@pytest.mark.parametrize("text,intent", [
    ("Morgen um 9 in Billerbeck, geht klar?", "book"),  # a request asking for a yes: ask before booking
    ("Kann ich morgen mit 2 Kollegen nach Olfen?", "book"),
    ("just sat down in Senden", "checkin"),
    ("My kids have a day off on Friday", "smalltalk"),
    ("Nimm die letzte Buchung zurück", "undo"),
    ("Falls in Senden am Freitag was frei wird, sag Bescheid", "waitlist"),
    ("let me know if something opens up in Coesfeld on Thursday", "waitlist"),
])
def test_questions_and_statements_that_do_not_book_confidently(text, intent):
    it = p(text)
    assert it.intent == intent
    if intent == "book":
        assert it.confidence < CONFIDENT


@pytest.mark.parametrize("text,intent,dates", [
    ("am Wochenende Dülmen", "book", ["2026-11-28", "2026-11-29"]),
    ("Nach dem Wochenende wieder Olfen", "book", ["2026-11-30"]),
    ("Am Wochenende war ich in Nottuln", "smalltalk", ["2026-11-21", "2026-11-22"]),  # the last one: a story
    ("Was machst du am Wochenende?", "unknown", []),  # chit-chat: the weekend names no day here
    ("Hab übermorgen frei", "absence", ["2026-11-25"]),
    ("Vom 28.12. bis 8.1. Betriebsferien", "absence", None),
    ("noch Platz in Senden am Freitag", "availability", ["2026-11-27"]),  # a question without "?"
    ("Ich arbeite Donnerstag in Billerbeck, ist da noch was", "availability", ["2026-11-26"]),
    ("something came up, can't do thursday", "cancel", ["2026-11-26"]),
    ("Letzte Woche Montag Coesfeld nachtragen bitte", "past_day", ["2026-11-16"]),
])
def test_weekends_days_off_and_questions_without_a_question_mark(text, intent, dates):
    it = p(text)
    assert it.intent == intent
    if dates is not None:
        assert it.dates == ds(*dates)


def test_a_tag_question_after_day_and_place_asks():
    it = p("Freitag Dülmen möglich?")
    assert (it.intent, it.dates, it.space) == ("book", ds("2026-11-27"), "duelmen") and it.confidence < CONFIDENT


@pytest.mark.parametrize("text,start,end", [
    ("tomorrow Olfen from quarter past nine", "09:15", None),
    ("tomorrow Olfen till half past three", None, "15:30"),
    ("tomorrow Olfen from quarter to ten", "09:45", None),
])
def test_english_colloquial_times(text, start, end):
    it = p(text)
    assert (it.intent, it.start, it.end) == ("book", start, end)


@pytest.mark.parametrize("text,intent,dates,part", [
    ("Who's around in Senden this afternoon?", "who", ["2026-11-23"], "afternoon"),
    ("the whole week after next in Nordkirchen", "book",
     ["2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11"], None),
    ("Olfen, Tue & Wed next week, full days", "book", ["2026-12-01", "2026-12-02"], "full"),
    ("Actually make that Friday instead of Thursday", "book", ["2026-11-27"], None),
])
def test_more_english_dates(text, intent, dates, part):
    it = p(text)
    assert (it.intent, it.dates, it.part) == (intent, ds(*dates), part)


@pytest.mark.parametrize("text,intent", [
    ("Do I need to check in when I arrive in Olfen?", "help"),  # asks how, checks nothing in
    ("I'm in, desk 2", "checkin"),
    ("What's my balance?", "contingent"),
    ("When am I in Olfen next?", "list"),
    ("Olfen's coffee machine is broken again", "smalltalk"),
])
def test_english_intent_phrasings(text, intent):
    assert p(text).intent == intent


@pytest.mark.parametrize("text,intent", [
    ("hätte Rosendahl am 10.12. Platz für 4 Leute", "availability"),  # verb first: a question without "?"
    ("hätte gern am 10.12. einen Platz in Rosendahl", "book"),
    ("bekomm ich am 8. noch nen Platz in Coesfeld?", "availability"),  # "noch": is anything left
    ("hau den Dienstag in Lüdinghausen raus", "cancel"),
    ("hau mir Donnerstag Olfen rein", "book"),
    ("Friday can't come soon enough lol", "smalltalk"),
    ("Bin Donnerstag beim Arzt, komme nicht", "absence"),  # away with a reason, no booking named (4 Dec)
    ("Wer hat den Kühlschrank leer gemacht", "unknown"),  # no day, no place: not "who is where"
    ("kannst du mir ein Rezept für Apfelkuchen geben", "unknown"),  # "für Apfelkuchen" is no place
    ("How late is Lüdinghausen open on Fridays?", "availability"),
    ("was kostet das bei euch eigentlich", "availability"),
])
def test_intents_from_the_dev_set_rules(text, intent):
    it = p(text)
    assert it.intent == intent
    assert not (it.intent == "book" and it.confidence >= CONFIDENT and text.startswith(("hätte R", "bekomm")))


@pytest.mark.parametrize("text,name", [
    ("Wie viele Tage darf Sarah diesen Monat noch buchen?", "Sarah"),
    ("check Ahmed's contingent", "Ahmed"),
    ("wieviel kontingent bleibt bei Tim im Dezember", "Tim"),
])
def test_member_names(text, name):
    it = p(text)
    assert (it.intent, it.name) == ("member_contingent", name)


@pytest.mark.parametrize("text,dates", [
    ("do buses to Nordkirchen run on Sunday", ["2026-11-29"]),  # English "do" is no Thursday
    ("do fällt flach", ["2026-11-26"]),
    ("Hey, brauche für Do nen Platz in Dülmen", ["2026-11-26"]),
])
def test_do_as_thursday(text, dates):
    assert p(text).dates == ds(*dates)


@pytest.mark.parametrize("word,text", [
    ("macht", "Der Bäcker in Nottuln macht Freitag zu"),  # no "march"
    ("übertragen", "Wird Freitag in Olfen das Spiel übertragen?"),  # no "übermorgen"
    ("Weihnachtsmann", "Kommt der Weihnachtsmann am 24. auch nach Dülmen?"),  # no "Weihnachten"
    ("schreiben", "kannst du mir ein Gedicht schreiben"),  # no "screen"
    ("sending", "stop sending me reminders"),  # no "standing"
])
def test_typo_correction_leaves_real_words_alone(word, text):
    from bot.intents import _parser_for
    folded, _words, corrected = _parser_for(SPACES)._normalise(text)
    assert not any(folded[a:b] in ("march", "uebermorgen", "weihnachten", "screen", "standing")
                   for a, b, _fixed in corrected), folded


@pytest.mark.parametrize("typo,space", [("Duelmnen", "duelmen"), ("Coesfld", "coesfeld"), ("Nordkichen", "nordkirchen")])
def test_typos_of_places_still_read(typo, space):
    assert p(f"morgen {typo}").space == space


def test_typos_of_feature_words_with_an_ending():
    assert p("hoehenverstelbarer Tisch morgen Coesfeld").desk_features == ["standing"]


@pytest.mark.parametrize("text", [
    "Mich würde interessieren, ob in Senden morgen Platz ist",  # an indirect question
    "Frage zu Senden am Freitag",
    "Senden morgen, wie ist die Lage",
    "Vielleicht komme ich Freitag nach Senden",  # not decided yet
    "maybe Olfen on Thursday, not sure yet",
    "Anna fährt morgen nach Olfen",  # someone else
    "my boss booked Coesfeld for Thursday",
    "Wie komme ich von Senden nach Olfen?",  # directions
])
def test_statements_and_questions_that_never_book_confidently(text):
    it = p(text)
    assert not (it.intent == "book" and it.confidence >= CONFIDENT), (it.intent, it.confidence)


@pytest.mark.parametrize("text,intent", [
    ("ich komm morgen nicht", "cancel"),  # were confident bookings ("ich komme" reads like a request)
    ("Freitag kann ich nicht, bitte raus", "cancel"),
    ("vergiss Donnerstag in Olfen", "cancel"),
    ("wie letzte Woche, Dienstag Senden", "book"),  # "wie letzte Woche" compares, names no date
    ("bis wann kann ich in Olfen bleiben", "availability"),
    ("is einer von uns morgen in Senden", "who"),
    ("nee, mach das wieder weg", "undo"),
    ("gestern Olfen nachbuchen", "past_day"),
])
def test_colloquial_intents(text, intent):
    assert p(text).intent == intent


def test_a_bare_day_and_place_after_a_remark_asks():
    it = p("kein Bock auf Homeoffice, morgen Olfen")
    assert (it.intent, it.dates, it.space) == ("book", ds("2026-11-24"), "olfen") and it.confidence < CONFIDENT
    assert p("wie letzte Woche, Dienstag Senden").dates == ds("2026-11-24")


@pytest.mark.parametrize("text,intent", [
    ("Brauch ich für Senden morgen eine Buchung?", "help"),  # were confident bookings: "Buchung" is a noun here
    ("Kann ich in Senden auch ohne Buchung arbeiten?", "help"),
    ("Hat die Buchung morgen Olfen geklappt?", "availability"),
    ("Olfen morgen, jemand Lust mitzukommen?", "smalltalk"),
])
def test_questions_about_bookings_do_not_book(text, intent):
    it = p(text)
    assert it.intent == intent
    assert not (it.intent == "book" and it.confidence >= CONFIDENT)


@pytest.mark.parametrize("subject", ["Anna", "Mein Chef", "Die Kollegen", "My boss", "He", "Er"])
@pytest.mark.parametrize("rest", ["fährt morgen nach Olfen", "is in Olfen tomorrow", "kommt am Freitag nach Senden",
                                  "will be in Dülmen on Monday"])
def test_someone_elses_plans_never_book_confidently(subject, rest):
    it = p(f"{subject} {rest}")
    assert not (it.intent == "book" and it.confidence >= CONFIDENT), (it.intent, it.confidence)


def test_the_users_own_plans_still_book():
    assert p("I will be in Olfen tomorrow").intent == "book"
    assert p("Mein Platz morgen in Olfen bitte").confidence >= CONFIDENT


@pytest.mark.parametrize("text,intent", [
    ("dnake", "thanks"),  # a swapped letter in a short word is a typo
    ("wie vile tage hab ich noch", "contingent"),  # a dropped letter
    ("kein Bock auf Homeoffice, morgen Olfen", "book"),  # "Bock" is no "book" (a substitution is no typo here)
])
def test_short_word_typos(text, intent):
    assert p(text).intent == intent


@pytest.mark.parametrize("text,args", [
    ("alle stornieren", ["all"]), ("alles stornieren", ["all"]), ("cancel all", ["all"]),
    ("storniere alle meine Buchungen", ["all"]),
    ("alle Buchungen in Olfen stornieren", []),  # those in Olfen, not everything
    ("alle Freitage stornieren", []),  # the Fridays
])
def test_cancel_all(text, args):
    it = p(text)
    assert it.intent == "cancel" and it.args == args


@pytest.mark.parametrize("text,intent", [
    ("hi there", "help"), ("hallo zusammen", "help"), ("hello everyone", "help"), ("hey du", "help"),
    ("du", "unknown"), ("all", "unknown"),  # fillers alone greet nobody
])
def test_greetings_with_a_filler(text, intent):
    assert p(text).intent == intent


@pytest.mark.parametrize("text", ["Olfen am 3.12.", "Olfen am Freitag", "Senden am Montag", "Dülmen am 24.",
                                  "bitte Coesfeld am Mittwoch"])
def test_german_am_before_a_date_is_no_morning(text):
    """"am" = "on the": once the date after it is cut out, the text ends in "am", which is no a.m."""
    it = p(text)
    assert it.intent == "book" and it.dates and it.part is None


def test_a_trailing_am_pm_is_a_part_of_day():
    assert p("Olfen tomorrow am").part == "morning" and p("Olfen tomorrow pm").part == "afternoon"
    assert p("book Olfen 9 am").start == "09:00"
