"""Unit tests for the tricky pieces of `bot.intents.parse` (dates, times, desks, spaces, intents)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime

import pytest

from bot.domain import SpaceRef
from bot.intents import parse
from tests.nlu_spaces import BERLIN, NOW, SPACES


def p(text: str, now: datetime = NOW, spaces=SPACES):
    return parse(text, now, spaces)


def at(y: int, m: int, d: int, h: int = 9) -> datetime:
    return datetime(y, m, d, h, 0, tzinfo=BERLIN)


def ds(*isos: str) -> list[date]:
    return [date.fromisoformat(x) for x in isos]


# ---------------------------------------------------------------- relative days, weekdays


@pytest.mark.parametrize(
    "text,now,expected",
    [
        ("morgen", at(2026, 12, 31), ["2027-01-01"]),
        ("übermorgen", at(2026, 12, 30), ["2027-01-01"]),
        ("tomorrow", at(2027, 2, 28), ["2027-03-01"]),
        ("tomorrow", at(2028, 2, 28), ["2028-02-29"]),
        ("in 3 Tagen", at(2026, 12, 30), ["2027-01-02"]),
        ("in two weeks", at(2026, 12, 28), ["2027-01-11"]),
        ("heute", at(2026, 3, 29, 3), ["2026-03-29"]),  # DST switch night
    ],
)
def test_relative_days_cross_month_and_year(text, now, expected):
    assert p(text, now).dates == ds(*expected)


def test_now_local_date_is_used():
    # 23:30 in Berlin is still Monday there
    assert p("morgen", datetime(2026, 11, 23, 23, 30, tzinfo=BERLIN)).dates == ds("2026-11-24")


def test_bare_weekday_is_next_day_after_today():
    # now is Monday 2026-11-23
    assert p("Montag").dates == ds("2026-11-30")
    assert p("Dienstag").dates == ds("2026-11-24")
    assert p("So.").dates == ds("2026-11-29")
    assert p("Sonntag", at(2026, 11, 29)).dates == ds("2026-12-06")


def test_this_and_next_weekday():
    assert p("diesen Montag").dates == ds("2026-11-23")
    assert p("kommenden Mittwoch").dates == ds("2026-11-25")
    assert p("nächsten Dienstag").dates == ds("2026-12-01")
    assert p("next Wednesday").dates == ds("2026-12-02")
    assert p("Wednesday next week").dates == ds("2026-12-02")
    assert p("Montag nächste Woche").dates == ds("2026-11-30")
    # on a Saturday "next Monday" is the Monday after (start of the next calendar week)
    assert p("next Monday", at(2026, 11, 28)).dates == ds("2026-11-30")


def test_weekday_label_next_to_date_adds_nothing():
    assert p("Di 1.12. Senden").dates == ds("2026-12-01")
    assert p("Dienstag, den 8.12.").dates == ds("2026-12-08")


def test_ambiguous_do_and_so():
    assert p("what can you do?").dates == []
    assert p("Do Duelmen").dates == ds("2026-11-26")
    assert p("So geht das nicht").dates == []
    assert p("Sa und So").dates == ds("2026-11-28", "2026-11-29")


# ---------------------------------------------------------------- explicit dates


@pytest.mark.parametrize(
    "text,expected",
    [
        ("3.12.", "2026-12-03"),
        ("03.12.2026", "2026-12-03"),
        ("3.12.26", "2026-12-03"),
        ("2026-12-03", "2026-12-03"),
        ("1. Dezember", "2026-12-01"),
        ("1 Dez", "2026-12-01"),
        ("Dec 1st", "2026-12-01"),
        ("December 1", "2026-12-01"),
        ("2 December", "2026-12-02"),
        ("the 3rd of December", "2026-12-03"),
        ("20.11.", "2026-11-20"),  # explicitly named past day stays
        ("5.1.", "2027-01-05"),  # far in the past this year -> next year
    ],
)
def test_explicit_dates(text, expected):
    assert p(text).dates == ds(expected)


def test_day_of_month_rollover():
    assert p("am 24.").dates == ds("2026-11-24")
    assert p("am 23.").dates == ds("2026-11-23")  # today counts
    assert p("am 22.").dates == ds("2026-12-22")
    assert p("am 31.").dates == ds("2026-12-31")  # November has no 31st
    assert p("am 5.", at(2026, 12, 28)).dates == ds("2027-01-05")
    assert p("am 29.", at(2027, 1, 30)).dates == ds("2027-03-29")  # no 29 Feb 2027
    assert p("on the 15th").dates == ds("2026-12-15")


def test_named_days_next_occurrence():
    assert p("Silvester").dates == ds("2026-12-31")
    assert p("Heiligabend").dates == ds("2026-12-24")
    assert p("Neujahr").dates == ds("2027-01-01")
    assert p("Christmas Eve", at(2026, 12, 28)).dates == ds("2027-12-24")
    assert p("New Year's Eve").dates == ds("2026-12-31")
    assert p("Ostermontag", at(2026, 3, 29)).dates == ds("2026-04-06")


def test_lists_ranges_and_weeks():
    assert p("Di und Do").dates == ds("2026-11-24", "2026-11-26")
    assert p("Tue and Thu").dates == ds("2026-11-24", "2026-11-26")
    assert p("Do + Fr").dates == ds("2026-11-26", "2026-11-27")
    assert p("Mo-Fr").dates == ds("2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04")
    assert p("vom 1. bis 3. Dezember").dates == ds("2026-12-01", "2026-12-02", "2026-12-03")
    assert p("29.12.-2.1.").dates == ds("2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02")
    week = ds("2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04")
    assert p("die ganze nächste Woche").dates == week
    assert p("the whole next week").dates == week
    assert p("KW 49").dates == week
    assert p("diese Woche", at(2026, 11, 25)).dates == ds("2026-11-25", "2026-11-26", "2026-11-27")


def test_recurrences():
    assert p("jeden Freitag im Dezember").dates == ds("2026-12-04", "2026-12-11", "2026-12-18", "2026-12-25")
    assert p("every Monday in December").dates == ds("2026-12-07", "2026-12-14", "2026-12-21", "2026-12-28")
    assert p("alle Dienstage im Januar").dates == ds("2027-01-05", "2027-01-12", "2027-01-19", "2027-01-26")
    # without a month: the next 4 occurrences
    assert p("jeden Montag").dates == ds("2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21")
    # within the current month only days from today on
    assert p("jeden Dienstag im November", at(2026, 11, 20)).dates == ds("2026-11-24")


def test_unreadable_dates():
    for text in ("am 35.13.", "on Blursday", "31.11.", "30.2."):
        it = p(text)
        assert it.dates == [] and it.date_text_unreadable, text
    assert not p("morgen Olfen").date_text_unreadable


# ---------------------------------------------------------------- parts and times


@pytest.mark.parametrize(
    "text,start,end",
    [
        ("9-13", "09:00", "13:00"),
        ("9–13 Uhr", "09:00", "13:00"),
        ("von 8 bis 12 Uhr", "08:00", "12:00"),
        ("ab 13 Uhr", "13:00", None),
        ("bis 12", None, "12:00"),
        ("10am to 2pm", "10:00", "14:00"),
        ("1pm to 5pm", "13:00", "17:00"),
        ("1-5pm", "13:00", "17:00"),
        ("9:30–16:00", "09:30", "16:00"),
        ("8.30-12", "08:30", "12:00"),
        ("zwischen 9 und 12", "09:00", "12:00"),
        ("from 9 to 1", "09:00", "13:00"),
    ],
)
def test_time_ranges(text, start, end):
    it = p("morgen " + text)
    assert (it.start, it.end) == (start, end)
    assert it.dates == ds("2026-11-24")
    assert it.part is None


def test_times_are_not_dates_and_dates_not_times():
    it = p("3.12. Olfen")
    assert it.dates == ds("2026-12-03") and it.start is None
    it = p("morgen 2 Plätze")
    assert it.desks == 2 and it.start is None


@pytest.mark.parametrize(
    "text,dates,part",
    [
        ("morgen früh", ["2026-11-24"], "morning"),
        ("morgen vormittag", ["2026-11-24"], "morning"),
        ("morgens Olfen", [], "morning"),
        ("heute morgen", ["2026-11-23"], "morning"),
        ("Guten Morgen, übermorgen", ["2026-11-25"], None),
        ("nachmittags", [], "afternoon"),
        ("Freitagnachmittag", ["2026-11-27"], "afternoon"),
        ("ganztägig", [], "full"),
        ("den ganzen Tag", [], "full"),
        ("all day", [], "full"),
        ("tomorrow morning", ["2026-11-24"], "morning"),
    ],
)
def test_parts(text, dates, part):
    it = p(text)
    assert it.dates == ds(*dates)
    assert it.part == part


@pytest.mark.parametrize(
    "text,n",
    [("2 Plätze", 2), ("4 Plätze", 4), ("3 desks for my team", 3), ("für 3 Personen", 3), ("zu dritt", 3),
     ("for 2 people", 2), ("ich und 2 Kollegen", 3), ("einen Platz", 1), ("morgen", 1)],
)
def test_desks(text, n):
    assert p(text).desks == n


# ---------------------------------------------------------------- spaces


@pytest.mark.parametrize(
    "text,slug",
    [("Dülmen", "duelmen"), ("Duelmen", "duelmen"), ("Dulmen", "duelmen"), ("dülmen", "duelmen"),
     ("Lüdinghausn", "luedinghausen"), ("Coesfled", "coesfeld"), ("in Senden", "senden"),
     ("Coworking Olfen", "olfen"), ("nottuln", "nottuln")],
)
def test_fuzzy_spaces(text, slug):
    assert p("morgen " + text).space == slug


def test_space_by_name():
    spaces = SPACES + (SpaceRef("weberei", "Alte Weberei", "Gronau"),)
    assert p("morgen in der Alten Weberei", spaces=spaces).space == "weberei"
    assert p("morgen Alte Weberei", spaces=spaces).space == "weberei"
    assert p("morgen Gronau", spaces=spaces).space == "weberei"


def test_unknown_place():
    it = p("morgen in Münster")
    assert it.space is None and it.space_text == "Münster"
    it = p("morgen in Olfenbach")
    assert it.space is None and it.space_guess and it.space_guess[0] == "olfen"


def test_no_false_space_from_common_words():
    for text in ("Ist morgen offen?", "morgen", "Was kostet ein Döner?", "Kannst du mir die Rechnung senden?"):
        assert p(text).space is None, text


# ---------------------------------------------------------------- intents


@pytest.mark.parametrize(
    "text,intent",
    [
        ("/start ACME-2026", "start"),
        ("ACME-2026", "start"),
        ("/sprache en", "language"),
        ("English please", "language"),
        ("auf Deutsch", "language"),
        ("/settings", "settings"),
        ("/einstellungen", "settings"),
        ("auf die Warteliste", "waitlist"),
        ("put me on the waitlist", "waitlist"),
        ("rückgängig", "undo"),
        ("Ich kann morgen doch nicht kommen", "cancel"),
        ("Ich schaffe es übermorgen nicht", "cancel"),
        ("I can't make it tomorrow", "cancel"),
        ("cancle friday", "cancel"),
        ("stornierne morgen", "cancel"),
        ("buhce morgen olfen", "book"),
        ("morgen Dülmen", "book"),
        ("Hallo, hätte ich am 26.11. einen Platz in Nottuln?", "book"),
        ("Ist morgen in Olfen was frei?", "availability"),
        ("any desks available tomorrow?", "availability"),
        ("/free", "availability"),
        ("/book@DeskBot", "book"),
        ("/mybookings", "list"),
        ("/quota", "contingent"),
        ("Bin angekommen", "checkin"),
        ("what can you do?", "help"),
        ("Was kostet ein Döner?", "unknown"),
        ("qwertz", "unknown"),
        ("danke", "thanks"),
    ],
)
def test_intents(text, intent):
    assert p(text).intent == intent


def test_extras():
    assert p("/start ACME-2026").args == ["ACME-2026"]
    assert p("ACME-2026").args == ["ACME-2026"]
    it = p("/language de")
    assert it.args == ["de"] and it.lang == "de"
    assert p("English please").args == ["en"]
    it = p("alle Buchungen stornieren")
    assert it.intent == "cancel" and it.dates == [] and it.args == ["all"]


def test_slash_command_arguments():
    it = p("/book duelmen 2026-11-26")
    assert (it.intent, it.space, it.dates) == ("book", "duelmen", ds("2026-11-26"))
    it = p("/buchen senden übermorgen")
    assert (it.intent, it.space, it.dates) == ("book", "senden", ds("2026-11-25"))
    it = p("/cancel@DeskBot 2026-12-01")
    assert (it.intent, it.dates) == ("cancel", ds("2026-12-01"))


def test_lang_guess():
    assert p("morgen Olfen").lang == "de"
    assert p("tomorrow Olfen").lang == "en"
    assert p("Olfen").lang == "de"
    assert p("qwertz").lang == "de"


def test_json_contract():
    j = p("Freitag Dülmen, 4 Plätze 9-13").to_json()
    assert j == {"intent": "book", "dates": ["2026-11-27"], "part": None, "start": "09:00", "end": "13:00",
                 "space": "duelmen", "desks": 4, "lang": "de", "confidence": 0.9}


def test_import_is_cheap():
    code = "import sys, bot.intents; print('rapidfuzz' in sys.modules, 'dateparser' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_robust_against_odd_input():
    for text in ("", "   ", "🙂🙂", "/", "//", "@@@", "9999-99-99", "1" * 500, "a" * 2000, "\x00\n\t"):
        assert p(text).intent in ("unknown", "help", "book", "thanks")  # "🙂🙂" is a reaction


# ---------------------------------------------------------------- issue 13: confidence, questions, new intents

from bot.intents import CONFIDENT


@pytest.mark.parametrize(
    "text",
    ["Ist Freitag in Senden noch was zu kriegen?", "Is Havixbeck full on Monday?", "geht morgen was in Olfen?",
     "Wer ist morgen in Dülmen?", "war gestern in Dülmen einkaufen", "Morgen soll es in Olfen regnen",
     "Der Bus nach Senden fällt morgen aus", "danke", "super, danke!", "gestern Dülmen",
     "Schalke spielt Freitag, wer guckt mit?", "Wie weit ist es von Dülmen nach Senden?"],
)
def test_questions_and_small_talk_never_confident_bookings(text):
    it = p(text)
    assert not (it.intent == "book" and it.confidence >= CONFIDENT), (it.intent, it.confidence)


@pytest.mark.parametrize(
    "text,intent",
    [("Ist Freitag in Senden noch was zu kriegen?", "availability"), ("Is Havixbeck full on Monday?", "availability"),
     ("geht morgen was in Olfen?", "availability"), ("Wer ist morgen in Dülmen?", "who"),
     ("who's in Olfen on Friday?", "who"), ("war gestern in Dülmen einkaufen", "smalltalk"),
     ("Preußen hat am Samstag in Münster gewonnen", "smalltalk"), ("danke", "thanks"), ("super, danke!", "thanks"),
     ("sitze jetzt am Schreibtisch", "checkin"), ("I'm at my desk", "checkin"),
     ("schaffe es Freitag doch nicht nach Olfen", "cancel"), ("streich den Mittwoch", "cancel"),
     ("wie viele bezahlte Tage bleiben mir", "contingent"), ("how many paid days do I have left", "contingent"),
     ("Kontigent", "contingent"), ("keine Ahnung, wie das geht", "help"), ("how do I use you", "help"),
     ("rückgängig", "undo"), ("undo", "undo"), ("Urlaub vom 14. bis 18.12.", "absence"),
     ("Erinnerung 19:30", "settings"), ("Erinnerungen aus", "settings"), ("/einstellungen morgens 06:45", "settings"),
     ("Kontingent der Firma", "company_contingent"), ("/firma Dezember", "company_contingent"),
     ("Buchungen der Mitarbeiter", "team_bookings"), ("/team Dezember", "team_bookings"),
     ("wie viel hat Anna noch?", "member_contingent"), ("gestern Dülmen", "past_day"),
     ("buche gestern Olfen", "past_day")],
)
def test_issue13_intents(text, intent):
    assert p(text).intent == intent


def test_bare_fragment_is_confident_booking_and_unclear_message_is_not():
    for text in ("morgen Dülmen", "Fr Olfen vormittags", "morgen Olfen bitte", "book Senden tomorrow"):
        it = p(text)
        assert it.intent == "book" and it.confidence >= CONFIDENT, text
    it = p("morgen Olfen Fahrrad")  # a word we do not know next to day + place: ask, do not act
    assert it.confidence < CONFIDENT
    it = p("Hätte ich am 26.11. einen Platz in Nottuln?")  # a polite request phrased as a question: ask first
    assert it.intent == "book" and it.confidence < CONFIDENT and it.question


def test_availability_topics():
    assert p("Wann hat Havixbeck geöffnet?").topic == "hours"
    assert p("Was kostet ein Tag in Coesfeld?").topic == "price"
    it = p("wie geht's dir?")
    assert it.intent == "unknown" and it.topic == "smalltalk"


def test_slots_of_new_intents():
    it = p("für Carl morgen Dülmen")
    assert (it.intent, it.colleague, it.space, it.dates) == ("book", "Carl", "duelmen", ds("2026-11-24"))
    assert p("Kannst du für meine Kollegin Jana Donnerstag in Coesfeld buchen?").colleague == "Jana"
    assert p("morgen Dülmen für mich").colleague is None
    assert p("für Lisa und mich Donnerstag Havixbeck").desks == 2
    assert p("wie viel hat Anna noch?").name == "Anna"
    assert p("Kontingent im Dezember").month == "2026-12"
    assert p("how many days left in January?").month == "2027-01"
    assert p("/team Dezember").month == "2026-12"
    assert p("Urlaub vom 14. bis 18.12.").dates == ds("2026-12-14", "2026-12-15", "2026-12-16", "2026-12-17",
                                                         "2026-12-18")
    assert p("Erinnerung 19:30").args == ["erinnerung", "19:30"]
    assert p("Erinnerungen aus").args == ["erinnerungen", "aus"]
    assert p("/einstellungen morgens 06:45").args == ["morgens", "06:45"]


def test_typo_in_space_name_is_flagged_for_did_you_mean():
    it = p("morgen Dülman")
    assert it.space == "duelmen" and it.space_fuzzy and it.space_guess == ["duelmen"] and it.space_text == "Dülman"
    assert it.confidence < CONFIDENT
    it = p("morgen Dulmen")  # umlaut written without dots is no typo
    assert it.space == "duelmen" and not it.space_fuzzy


def test_half_day_is_morning_with_a_flag():
    it = p("morgen halbtags in Olfen")
    assert it.part == "morning" and it.part_guessed and it.confidence < CONFIDENT
    assert not p("morgen vormittags in Olfen").part_guessed


@pytest.mark.parametrize(
    "text,start,end",
    [("Viertel nach acht bis zwölf", "08:15", "12:00"), ("halb neun", "08:30", None),
     ("ab halb neun", "08:30", None), ("halb neun bis halb eins", "08:30", "12:30"),
     ("Viertel vor neun bis 14 Uhr", "08:45", "14:00"), ("um acht", "08:00", None),
     ("von acht bis zwölf", "08:00", "12:00"), ("halb neun bis fünf", "08:30", "17:00"),
     ("ab 3", "15:00", None), ("dreiviertel neun", "08:45", None)],
)
def test_colloquial_times(text, start, end):
    it = p("morgen Olfen " + text)
    assert (it.start, it.end) == (start, end)
    assert it.dates == ds("2026-11-24")


def test_time_range_before_place():
    it = p("Fr 9–13 Olfen")
    assert (it.dates, it.start, it.end, it.space) == (ds("2026-11-27"), "09:00", "13:00", "olfen")


def test_team_sizes():
    assert p("wir kommen zu fünft morgen nach Dülmen").desks == 5
    assert p("book Senden tomorrow for 4 of us").desks == 4
    assert p("Für uns drei morgen Havixbeck").desks == 3
    assert p("team of 5, Thursday, Dülmen").desks == 5
    assert p("me + 3 colleagues in Senden on Friday").desks == 4


def test_lists_series_and_relative_weeks():
    assert p("am 8., 10. und 15.").dates == ds("2026-12-08", "2026-12-10", "2026-12-15")
    assert p("am 1., 3. und 4.12.").dates == ds("2026-12-01", "2026-12-03", "2026-12-04")
    assert p("on the 2nd, 4th and 9th").dates == ds("2026-12-02", "2026-12-04", "2026-12-09")
    assert p("die kommenden vier Mittwoche").dates == ds("2026-11-25", "2026-12-02", "2026-12-09", "2026-12-16")
    assert p("next 3 Mondays").dates == ds("2026-11-30", "2026-12-07", "2026-12-14")
    assert p("dienstags, die nächsten 4 Wochen").dates == ds("2026-11-24", "2026-12-01", "2026-12-08", "2026-12-15")
    assert p("in drei Wochen am Freitag").dates == ds("2026-12-18")
    assert p("Friday in two weeks").dates == ds("2026-12-11")
    assert p("letzten Freitag").dates == ds("2026-11-20")
    assert p("vorgestern").dates == ds("2026-11-21")


def test_mutation_gaps_of_issue_14():
    assert p("Olfen am 5th").dates == ds("2026-12-05")  # ordinal without "the": the next 5th
    assert p("the 5th").dates == ds("2026-12-05")
    assert p("3/12 in Senden").dates == ds("2026-12-03")  # slash date = day/month
    assert p("am 31. in Olfen").dates == ds("2026-12-31")  # November has no 31st: the next month that has it
    assert p("am 31.", at(2027, 1, 31)).dates == ds("2027-01-31")
    assert p("am 31.", at(2027, 2, 1)).dates == ds("2027-03-31")
    assert p("in einem Monat", at(2027, 1, 31)).dates == ds("2027-02-28")  # clamped to the month's last day
    assert p("in einem Monat", at(2028, 1, 31)).dates == ds("2028-02-29")
    assert p("in a month", at(2026, 11, 23)).dates == ds("2026-12-23")
    it = p("morgen ab 3")
    assert it.start == "15:00"  # a bare hour before 7 means the afternoon
    assert p("morgen ab 9").start == "09:00"


def test_not_this_place_but_that():
    assert p("nicht Olfen, sondern Dülmen morgen bitte").space == "duelmen"
    assert p("lieber Senden statt Olfen").space == "senden"


@pytest.mark.parametrize(
    "text",
    ["jeden Dienstag im Dezember in Coesfeld", "every Tuesday in December in Coesfeld", "die ganze nächste Woche Nottuln",
     "the whole next week in Billerbeck", "Wir sind zu dritt, morgen Olfen", "2 Plätze Mi in Nottuln",
     "übermorgen 9-13 Uhr Senden", "Dec 3 Nottuln", "tomorrow through friday Coesfeld", "Freitag vormittags in Olfen"],
)
def test_guide_style_fragments_are_confident_bookings(text):
    it = p(text)
    assert it.intent == "book" and it.confidence >= CONFIDENT, (it.intent, it.confidence)


def test_ordinal_words_before_a_month_and_other_probe5_readings():
    assert p("am zweiten Dezember in Senden").dates == ds("2026-12-02")
    assert p("the twelfth of December in Coesfeld").dates == ds("2026-12-12")
    assert p("am einunddreissigsten Dezember").dates == ds("2026-12-31")
    assert p("Need Senden all day Wednesday").dates == ds("2026-11-25")  # "all day" is no recurrence
    assert p("ich und meine Kollegin morgen Olfen").desks == 2
    assert p("Olfen morgen, für meine Praktikantin Lea").colleague == "Lea"
    assert p("Ist mein Chef morgen in Coesfeld?").intent == "who"
    assert p("Do you know if Anna is in Senden on Friday?").intent == "who"
    assert p("free up my desk for Friday").intent == "cancel"
    it = p("is it ok if I come to Senden on Friday?")
    assert it.intent == "book" and it.confidence < CONFIDENT


def test_probe7_slot_readings():
    assert p("übernächsten Freitag Havixbeck").dates == ds("2026-12-11")
    assert p("Plätze für 3 morgen in Olfen").desks == 3
    assert p("Olfen für 2 am Mittwoch").desks == 2
    assert p("2x Platz morgen Coesfeld").desks == 2
    assert p("party of four, Dülmen, Thursday").intent == "book"
    assert p("morgen für 9 Uhr Olfen").desks == 1
    assert p("Olfen für 2 Tage").desks == 1
    it = p("in Senden morgen Vormittag ab 9")  # a start time keeps the named part of day
    assert (it.part, it.start) == ("morning", "09:00")
    assert p("morgen vormittag 9-12 Olfen").part == "morning"  # explicit hours within the named half keep it
    assert p("morgen vormittag 9-15 Olfen").part is None  # hours beyond it replace it


def test_chat_abbreviations():
    it = p("mo olfen vorm.")
    assert (it.dates, it.space, it.part) == (ds("2026-11-30"), "olfen", "morning")
    assert p("nä. woche mi senden").dates == ds("2026-12-02")
    assert p("übern. coesfeld").dates == ds("2026-11-25")
    assert p("fri olfen pm").part == "afternoon"
    assert p("thu coesfeld 2 ppl").desks == 2
    assert p("canc fri").intent == "cancel"
    assert p("jetzt gleich in Dülmen").dates == ds("2026-11-23")
    for text, intent in (("da!", "checkin"), ("angek.", "checkin"), ("kont?", "contingent"), ("tage?", "contingent"),
                         ("dnk", "thanks")):
        assert p(text).intent == intent, text


def test_request_after_a_question_and_loose_ranges():
    it = p("Ist morgen in Olfen was frei? Dann bitte buchen")
    assert it.intent == "book" and it.confidence >= CONFIDENT and not it.question
    assert p("Ich bin ab Mittwoch im Urlaub bis Freitag").dates == ds("2026-11-25", "2026-11-26", "2026-11-27")
    assert p("Ist schon jemand in Senden eingecheckt?").intent == "who"
    assert p("Olfen morgen noch frei? 🙏").question
