"""Families of phrasings a fresh dev set (tests/corpus/blind3_dev.jsonl) showed the parser missing.

Each case is a variant written for the family, not a line of the dev set: plans that fell through, a bare
"day + place" first clause followed by a comment, "mach ... fest", undo/list/thanks/language/settings/waitlist
phrasings, the employer views (an organisation as subject, "unser Gesamtkontingent", "wie oft waren meine
Leute ..."), days off ("nehm ich frei", "dienstfrei") and slots ("Gruppe von 4"). `now` is Monday 2026-11-23.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.intents import CONFIDENT, parse
from tests.nlu_spaces import BERLIN, SPACES

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)  # a Monday


def p(text: str):
    return parse(text, NOW, SPACES)


@pytest.mark.parametrize("text,intent", [
    ("Wo sitze ich am Freitag?", "list"),
    ("Where do I sit tomorrow?", "list"),
    ("ach nee, mach es zurück", "undo"),
    ("Du hast mir sehr geholfen", "thanks"),
    ("you've been a great help", "thanks"),
    ("Kannst du mir in Englisch schreiben? Mein Kollege liest mit", "language"),
    ("Can you reply in English please, my German is bad", "language"),
    ("Ich möchte nicht jeden Morgen eine Nachricht bekommen", "settings"),
    ("stop sending me messages every evening", "settings"),
    ("Falls Olfen am Freitag doch noch Platz hat, buch mich ein", "waitlist"),
    ("Nachrückerliste Senden Freitag", "waitlist"),
    ("Wie viele Tage hat die Gemeindeverwaltung noch?", "company_contingent"),
    ("Wie steht unser Gesamtkontingent im Dezember?", "company_contingent"),
    ("Wie oft waren meine Mitarbeiter im Oktober da?", "team_bookings"),
    ("Freitag nehm ich frei", "absence"),
    ("Ich hab Mittwoch arbeitsfrei", "absence"),
    ("Am 17.12. Senden, letzter Tag vor dem Urlaub", "book"),
    ("Bevor ich buche, wie sieht es Freitag in Senden aus?", "availability"),
    ("Wann waren meine Praktikanten im Coworking?", "team_bookings"),
    ("Zeig mir, wo meine Mitarbeiter diese Woche sitzen", "team_bookings"),
    ("Hab mich eben an den Tisch gesetzt", "checkin"),
    ("Can you add last Thursday in Olfen?", "past_day"),
    ("Was kostet der Tag in Olfen und gibt es Parkplätze?", "availability"),
    ("Montag Billerbeck hätte geklappt, aber jetzt ist das Auto kaputt", "smalltalk"),
    ("Ich wollte eigentlich Mittwoch nach Senden, aber der Zug fällt aus", "smalltalk"),
    ("Alle Buchungen des Unternehmens im Dezember", "team_bookings"),
    ("Ich will keine Morgenerinnerung mehr", "settings"),
    ("Vergiss das eben", "undo"),
    ("Donnerstag Olfen hätte mir gefallen, klappt aber nicht", "smalltalk"),
    ("We were going to go to Senden on Friday but it snowed", "smalltalk"),
    ("Würdest du mich für Mittwoch in Olfen anmelden?", "book"),
    ("Gern Donnerstag Senden, falls noch was frei ist", "book"),
    ("Could you log last Thursday in Olfen for me?", "past_day"),
    ("Kann mir bitte jemand Olfen für Freitag buchen?", "book"),
    ("Is there wifi in Senden?", "availability"),
    ("Has Leo used up all his days?", "member_contingent"),
    ("Show me Ida's days", "member_contingent"),
    ("What did my staff book in October?", "team_bookings"),
    ("Off on Thursday, kids are ill", "absence"),
    ("Was bedeutet Warteliste?", "help"),
    ("What does contingent mean?", "help"),
    ("Wer aus dem Unternehmen war im November wie oft da?", "team_bookings"),
    ("Olfen war heute richtig schön, danke für den Tipp", "smalltalk"),
    ("Keine Pushs mehr am Wochenende bitte", "settings"),
    ("Friday in Olfen if there's room", "book"),
    ("Schaffst du es, mir Donnerstag was in Olfen zu reservieren?", "book"),
    ("Welche Mitarbeiter aus meiner Firma waren letzte Woche im Coworking?", "team_bookings"),
    ("Hab morgen Frühschicht, nicht da", "absence"),
])
def test_intent_of_a_phrasing_family(text, intent):
    assert p(text).intent == intent


def test_a_member_named_with_an_article():
    it = p("Hat die Petra ihre Tage schon verbraucht?")
    assert (it.intent, it.name) == ("member_contingent", "Petra")


def test_the_price_without_contingent_is_a_price_question():
    it = p("Was zahlt man in Senden ohne Kontingent?")
    assert (it.intent, it.topic, it.space) == ("availability", "price", "senden")


@pytest.mark.parametrize("text", ["Dienstag Senden wäre toll gewesen, leider keine Zeit",
                                  "Monday Havixbeck would have been great",
                                  "Eigentlich wollte ich Donnerstag nach Senden, aber das Auto streikt"])
def test_plans_that_fell_through_are_small_talk(text):
    it = p(text)
    assert it.intent == "smalltalk" and it.alternative == "book"


@pytest.mark.parametrize("text", ["Donnerstag Billerbeck, mein Sohn hat Geburtstag",
                                  "Freitag Senden, Chef bringt Brötchen mit"])
def test_a_bare_first_clause_is_a_booking_asked_first(text):
    it = p(text)
    assert it.intent == "book" and it.confidence < CONFIDENT


def test_mach_fest_is_a_booking_verb():
    it = p("Mittwoch Olfen, mach mal fest")
    assert it.intent == "book" and it.confidence >= CONFIDENT


def test_kriegst_du_hin_asks_for_a_booking():
    it = p("Kriegst du mir Freitag was in Senden hin?")
    assert it.intent == "book" and it.confidence < CONFIDENT


def test_writing_something_is_no_booking():
    assert p("Schreib mir ein Lied über Kühe").intent != "book"  # "ein" is an article here, not "eintragen"


def test_a_group_of_n_is_the_desk_count():
    assert p("Platz in Senden morgen für eine Gruppe von 4?").desks == 4


def test_halt_mir_frei_is_a_booking():
    it = p("Halt mir Montag in Olfen einen Platz frei")
    assert it.intent == "book" and it.confidence >= CONFIDENT


def test_a_member_asked_in_english_without_the_word_contingent():
    it = p("Does Ben still have days?")
    assert (it.intent, it.name) == ("member_contingent", "Ben")


@pytest.mark.parametrize("text,month", [("Team-Buchungen Oktober", "2026-10"), ("Firmenkontingent September", "2026-09"),
                                        ("Team-Buchungen Januar", "2027-01")])
def test_a_report_on_a_month_just_past(text, month):
    assert p(text).month == month


@pytest.mark.parametrize("text,name", [("Wie steht's um Pauls Kontingent?", "Paul"), ("Wie viele Tage hat Jonas noch?", "Jonas"),
                                       ("Kontingent für Kollegin Becker?", "Becker"),
                                       ("Wie viel hat Tina diesen Monat schon verbraucht?", "Tina")])
def test_member_names_in_more_shapes(text, name):
    it = p(text)
    assert (it.intent, it.name) == ("member_contingent", name)


def test_opening_hours_of_a_day_without_a_place():
    it = p("Öffnungszeiten am Samstag?")  # the example of the brief: a date present is still an hours question
    assert (it.intent, it.topic) == ("availability", "hours")


@pytest.mark.parametrize("text,name", [("Gib Mia 10 Tage", "Mia"), ("Give Sam 5 more days", "Sam"),
                                       ("Gib Jonas für Dezember 8 Tage", "Jonas"), ("Lena braucht 4 Tage mehr Kontingent", "Lena")])
def test_an_admin_giving_a_member_days_is_no_absence(text, name):
    it = p(text)
    assert (it.intent, it.name, it.dates) == ("member_contingent", name, [])


@pytest.mark.parametrize("text", ["Mia ist morgen krank", "Die Kollegin ist Freitag im Urlaub", "Sam is off sick tomorrow"])
def test_someone_elses_absence_is_not_the_senders(text):
    assert p(text).intent == "smalltalk"


def test_the_senders_absence_stays_absence():
    assert p("Ich bin Freitag im Urlaub").intent == "absence"


@pytest.mark.parametrize("text,start", [("Erinnerung um halb sieben", "06:30"), ("Reminder 5:45", "05:45"),
                                        ("Erinnerung um 18:30", "18:30"), ("Erinnerung abends um 6", "18:00")])
def test_a_reminder_hour_as_written(text, start):
    it = p(text)
    assert (it.intent, it.start) == ("settings", start)


def test_todays_weekday_in_a_story_is_today():
    assert [d.isoformat() for d in p("Montag war ich in Senden, schön ruhig").dates] == ["2026-11-23"]


def test_last_month_is_the_month_before():
    assert p("Team bookings last month").month == "2026-10"


def test_a_reminder_set_to_an_hour():
    assert p("Set my reminder to 7 pm").start == "19:00"


@pytest.mark.parametrize("text,iso", [("Donnerstag war ich in Olfen, sehr nett", "2026-11-19"),
                                      ("Thursday in Senden was great", "2026-11-19"),
                                      ("Ich war Freitag in Olfen, bitte nachtragen", "2026-11-20"),
                                      ("Had planned Friday in Olfen but the car broke down", "2026-11-27")])
def test_a_bare_weekday_in_a_story_is_the_last_one(text, iso):
    assert [d.isoformat() for d in p(text).dates] == [iso]


@pytest.mark.parametrize("text,name", [("Weißt du, wie viele Tage Carla noch hat?", "Carla"), ("Tage von Herrn Krause?", "Krause")])
def test_member_names_in_more_shapes_2(text, name):
    it = p(text)
    assert (it.intent, it.name) == ("member_contingent", name)


def test_a_colleague_coming_along_is_a_second_desk():
    assert p("Freitag Olfen bitte, meine Kollegin kommt mit").desks == 2


def test_a_member_asked_about_with_den_tagen():
    it = p("Wie sieht's bei Carla aus mit den Tagen?")
    assert (it.intent, it.name) == ("member_contingent", "Carla")


@pytest.mark.parametrize("text", ["Morgen zu dritt nach Senden, geht das klar?", "Noch einen Tisch für Donnerstag in Senden bitte, danke!"])
def test_requests_with_a_tag_or_bitte_are_bookings(text):
    assert p(text).intent == "book"


# ---- round 2 (probe-47): families found by voice-dictated, formal, terse and English messages ----

@pytest.mark.parametrize("text", ["Kollege und ich kommen Mittwoch nach Senden", "Kollegin und ich wollen Freitag nach Olfen",
                                  "Jan und ich möchten übermorgen in Havixbeck arbeiten"])
def test_x_und_ich_is_two_desks(text):
    assert p(text).desks == 2


@pytest.mark.parametrize("text", ["Wie viele Tage hat Jan noch?", "Was ist bei Jan noch übrig im Kontingent?"])
def test_jan_is_a_name_in_a_member_question(text):
    it = p(text)
    assert (it.intent, it.name) == ("member_contingent", "Jan")


def test_kontingent_im_jan_is_still_january():  # guard for the rule above (passes on the old code too)
    assert p("Kontingent im Jan").month == "2027-01"


@pytest.mark.parametrize("text,day", [("Kundentermin abgesagt, dann doch Donnerstag Billerbeck", 26),
                                      ("Besprechung fällt aus, also doch übermorgen nach Senden", 25)])
def test_plans_changed_then_doch_day_place_is_a_booking(text, day):
    it = p(text)
    assert it.intent == "book" and [d.day for d in it.dates] == [day]


@pytest.mark.parametrize("text", ["Falls es Mittwoch schneit, komm ich nicht nach Senden", "If it snows on Thursday I won't come anyway"])
def test_a_weather_condition_is_smalltalk(text):
    assert p(text).intent == "smalltalk"


@pytest.mark.parametrize("text,day", [("KW 49 Mittwoch Senden bitte", 2), ("Freitag in KW 49 Olfen", 4)])
def test_a_calendar_week_with_a_weekday_is_that_day(text, day):
    it = p(text)
    assert [(d.month, d.day) for d in it.dates] == [(12, day)]


def test_wir_alle_nach_is_not_a_weekly_series():
    assert len(p("Die Chefin will, dass wir Mittwoch alle nach Senden kommen").dates) == 1


def test_gucken_ob_frei_is_an_availability_question():
    assert p("kannst du gucken ob Donnerstag in Nottuln was frei ist").intent == "availability"


@pytest.mark.parametrize("text,intent,name", [
    ("Teilen Sie mir bitte mit, wie viel Kontingent unseres Betriebs übrig ist", "company_contingent", None),
    ("Wie viele Tage stehen Frau Kaya noch zu?", "member_contingent", "Kaya"),
])
def test_formal_admin_questions(text, intent, name):
    it = p(text)
    assert (it.intent, it.name) == (intent, name)


# Round 3 (probe-48): families of phrasings, each case a variant written for its family (not a probe line).
@pytest.mark.parametrize("text,intent,dates", [
    # the day of another event (deadline, exam, appointment) next to a booking is no booking day
    ("Abgabe am Freitag, deshalb Donnerstag Olfen", "book", ["2026-11-26"]),
    ("Wegen der Besprechung am Mittwoch brauche ich Dienstag Dülmen", "book", ["2026-11-24"]),
    ("Hab Donnerstag Elternsprechtag, also bitte Freitag Senden", "book", ["2026-11-27"]),
    ("Exam on Thursday, so I need Senden on Wednesday", "book", ["2026-11-25"]),
    ("Nach dem Zahnarzt morgen noch Olfen", "book", ["2026-11-24"]),
    # someone else's question or news is small talk
    ("Die Chefin fragt, ob wir Donnerstag alle in Olfen sind", "smalltalk", ["2026-11-26"]),
    ("Meine Kollegin will wissen, ob ich morgen in Senden bin", "smalltalk", ["2026-11-24"]),
    ("My boss asked if we are all in Dülmen on Thursday", "smalltalk", ["2026-11-26"]),
    ("Hab gehört, Senden ist Freitag voll", "smalltalk", ["2026-11-27"]),
    # the sender's own plan: "bei mir ist ... dran", "für mich steht ... an"
    ("Bei mir ist Freitag Billerbeck dran", "book", ["2026-11-27"]),
    ("Bei uns ist Mittwoch Senden angesagt", "book", ["2026-11-25"]),
    # a vague time ("irgendwann", "Anfang/Mitte ...") names no day but is still a booking
    ("Irgendwann Anfang nächster Woche Senden", "book", None),
    ("Mitte Dezember irgendwann Dülmen", "book", None),
    # "again"/"now" + day + place, the past in another clause: the coming day
    ("Wieder Dienstag Olfen bitte, war toll letzte Woche", "book", ["2026-11-24"]),
    ("Die Woche war lang, jetzt Donnerstag wieder Senden", "book", ["2026-11-26"]),
    ("nochmal Mittwoch Dülmen, das hat letzte Woche super gepasst", "book", ["2026-11-25"]),
    ("Wie besprochen: Freitag Nottuln", "book", ["2026-11-27"]),  # "wie besprochen" asks nothing
    # plural third persons are small talk
    ("Die Leute vom Marketing arbeiten Freitag in Dülmen", "smalltalk", ["2026-11-27"]),
    ("Guten Morgen, Bot", "help", None),
])
def test_round3_phrasing_families(text, intent, dates):
    it = p(text)
    assert it.intent == intent
    if dates is not None:
        assert [d.isoformat() for d in it.dates] == dates


@pytest.mark.parametrize("text,intent,dates", [  # guards (pass on the old code too): the rules above stay narrow
    ("Deadline am Freitag, puh", "smalltalk", ["2026-11-27"]),
    ("Mein Kollege fragt, ob morgen in Olfen noch was frei ist", "availability", ["2026-11-24"]),
    ("Letzte Woche Montag Coesfeld nachtragen bitte", "past_day", ["2026-11-16"]),
    ("Freitag war ich in Senden, super", "smalltalk", ["2026-11-20"]),
])
def test_round3_guards(text, intent, dates):
    it = p(text)
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, dates)


# Round 3 (blind5 dev): families of phrasings, each case a variant written for its family (not a line of the set).
@pytest.mark.parametrize("text,intent,dates,space", [
    ("Hvxbck Freitag vormittags", "book", ["2026-11-27"], "havixbeck"),  # a town without its vowels (asked: space_fuzzy)
    ("Rsndhl morgen bitte", "book", ["2026-11-24"], "rosendahl"),
    ("übermorgen komma senden komma nachmittags", "book", ["2026-11-25"], "senden"),  # dictated punctuation
    ("Do u. Mo Senden", "book", ["2026-11-26", "2026-11-30"], "senden"),  # "u." = und
    ("bitte den 22.12. in Senden, will vor Weihnachten noch was wegschaffen", "book", ["2026-12-22"], "senden"),
    ("nehmt mich für Freitag in Olfen auf", "book", ["2026-11-27"], "olfen"),
    ("Der Bus fällt morgen aus, reserviert mir trotzdem Olfen", "book", ["2026-11-24"], "olfen"),
    ("Die Bahn fällt mal wieder aus, bucht mir bitte morgen Senden", "book", ["2026-11-24"], "senden"),
    ("Ist Senden morgen vormittags buchbar?", "availability", ["2026-11-24"], "senden"),
    ("Lisa and Ben are planning to work in Olfen on Friday", "smalltalk", ["2026-11-27"], "olfen"),
    ("Could you register last Tuesday in Dülmen for me?", "past_day", ["2026-11-17"], "duelmen"),
    ("Buchungsübersicht meines Teams für Freitag", "team_bookings", ["2026-11-27"], None),
    ("Ping me when Senden gets a free desk on Friday", "waitlist", ["2026-11-27"], "senden"),
    ("Freitag hab ich einen freien Tag", "absence", ["2026-11-27"], None),
    ("Donnerstag Überstunden abbauen", "absence", ["2026-11-26"], None),
    ("Is Marco in Senden tomorrow?", "who", ["2026-11-24"], "senden"),  # "Marco" is no "March"
])
def test_blind5_phrasing_families(text, intent, dates, space):
    it = p(text)
    assert (it.intent, [d.isoformat() for d in it.dates], it.space) == (intent, dates, space)


def test_a_town_without_its_vowels_is_asked_about():
    it = p("Hvxbck Freitag vormittags")
    assert it.space_fuzzy and it.confidence < CONFIDENT


def test_a_members_days_with_still_has():
    it = p("Check how many days Ben still has")
    assert (it.intent, it.name) == ("member_contingent", "Ben")


@pytest.mark.parametrize("text", ["I was wondering if Billerbeck has a free desk tomorrow",  # guards: questions stay questions
                                  "Hab ich am Freitag einen freien Tag?"])
def test_blind5_guards(text):
    assert p(text).intent not in ("waitlist", "absence", "book")


# Round 3 (probe-49, written after the blind5 fixes): variants, not probe lines; all fail on 48345f3.
@pytest.mark.parametrize("text,intent,dates,space,part", [
    ("Vorlesung am Dienstag, deshalb Mittwoch Senden", "book", ["2026-11-25"], "senden", None),
    ("Flight on Thursday, so book me Dülmen on Wednesday", "book", ["2026-11-25"], "duelmen", None),  # "so" is no Sunday in English
    ("Olfen on Tuesday, so please book it", "book", ["2026-11-24"], "olfen", None),
    ("Arzttermin Mittwoch früh, danach Mittwoch nachmittags Olfen", "book", ["2026-11-25"], "olfen", "afternoon"),
    ("Mein Teamleiter fragt, wer morgen in Dülmen ist", "smalltalk", ["2026-11-24"], "duelmen", None),
    ("Ist einer aus dem Team morgen in Olfen?", "who", ["2026-11-24"], "olfen", None),  # "Team morgen" is no "am Morgen"
    ("Wenn Dülmen ausgebucht ist, nehm ich Olfen am Freitag", "book", ["2026-11-27"], "olfen", None),
])
def test_probe49_phrasing_families(text, intent, dates, space, part):
    it = p(text)
    assert (it.intent, [d.isoformat() for d in it.dates], it.space, it.part) == (intent, dates, space, part)


def test_a_business_trip_keeps_its_days():  # guard: a trip is an absence, its days are not another event's
    it = p("Business trip Tuesday and Wednesday")
    assert (it.intent, [d.day for d in it.dates]) == ("absence", [24, 25])


# Round 3 (probe-50, native English and colloquial German): variants, not probe lines; all fail on 48345f3.
@pytest.mark.parametrize("text,intent,dates,space,part,start,end", [
    ("could you get me Senden tomorrow arvo", "book", ["2026-11-24"], "senden", "afternoon", None, None),
    ("Can we get Olfen for the four of us on Friday?", "book", ["2026-11-27"], "olfen", None, None, None),
    ("Thursday from 9 until lunch, Dülmen", "book", ["2026-11-26"], "duelmen", None, "09:00", "12:00"),
    ("Übermorgen Senden bitte, falls was frei is", "book", ["2026-11-25"], "senden", None, None, None),
    ("Jahrestagung am Freitag, darum Donnerstag Olfen", "book", ["2026-11-26"], "olfen", None, None, None),
])
def test_probe50_phrasing_families(text, intent, dates, space, part, start, end):
    it = p(text)
    assert (it.intent, [d.isoformat() for d in it.dates], it.space, it.part, it.start, it.end) == \
        (intent, dates, space, part, start, end)


def test_where_is_a_member_sitting_is_a_who_question():
    assert p("Where's Jonas sitting on Friday?").intent == "who"


# Round 3 (probe-51): variants, not probe lines; all fail on 48345f3 except the guards.
@pytest.mark.parametrize("text,intent,dates,space", [
    ("Teamworkshop am Mittwoch, davor Dienstag bitte Olfen", "book", ["2026-11-24"], "olfen"),  # an event compound
    ("Ich hab Mittwoch frei, aber Dienstag brauch ich Senden", "book", ["2026-11-24"], "senden"),  # one's own day off
    ("Donnerstag hab ich Nachtschicht, also Mittwoch früh Coesfeld", "book", ["2026-11-25"], "coesfeld"),
    ("Die Kinder haben Freitag schulfrei, deshalb Donnerstag Dülmen", "book", ["2026-11-26"], "duelmen"),
    ("Our team call is on Wednesday, so can I get Olfen on Thursday?", "book", ["2026-11-26"], "olfen"),
    ("Das mit Olfen am Freitag kannst du vergessen", "cancel", ["2026-11-27"], "olfen"),
    ("Heute war Senden ziemlich voll", "smalltalk", ["2026-11-23"], "senden"),  # how full it was today: a report
])
def test_probe51_phrasing_families(text, intent, dates, space):
    it = p(text)
    assert (it.intent, [d.isoformat() for d in it.dates], it.space) == (intent, dates, space)


@pytest.mark.parametrize("text,intent,dates", [  # guards: without a place, days off keep all their days
    ("Ich hab Donnerstag frei und Freitag auch", "absence", ["2026-11-26", "2026-11-27"]),
    ("Hab ich Freitag frei oder Donnerstag?", "availability", ["2026-11-26", "2026-11-27"]),
])
def test_probe51_guards(text, intent, dates):
    it = p(text)
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, dates)


# Round 3 (probe-52): variants, not probe lines; all fail on 48345f3.
@pytest.mark.parametrize("text,intent,dates,space", [
    ("Ich gebe meinen Platz am Freitag in Olfen ab", "cancel", ["2026-11-27"], "olfen"),  # separable "abgeben/abtreten"
    ("Kannst du für meine Kollegen übermorgen Senden buchen?", "book", ["2026-11-25"], "senden"),  # a booking, not who
    ("Übermorgen bis 12 Uhr in Dülmen, danach Termin beim Kunden", "book", ["2026-11-25"], "duelmen"),
])
def test_probe52_phrasing_families(text, intent, dates, space):
    it = p(text)
    assert (it.intent, [d.isoformat() for d in it.dates], it.space) == (intent, dates, space)


@pytest.mark.parametrize("text", ["Würde morgen Olfen gehen", "Würde Freitag in Senden passen",
                                  "Würden Dienstag und Mittwoch in Dülmen klappen"])
def test_whether_it_would_work_is_asked_not_booked(text):
    it = parse(text, NOW, SPACES)
    assert it.question and not (it.intent == "book" and it.confidence >= CONFIDENT)


def test_wuerde_gern_stays_a_request():
    it = parse("Würde morgen gern nach Olfen", NOW, SPACES)
    assert it.intent == "book" and it.confidence >= CONFIDENT


@pytest.mark.parametrize("text", ["what do I have next week", "what do I have tomorrow?", "Was hab ich nächste Woche?"])
def test_what_do_i_have_on_a_day_is_the_list(text):
    it = parse(text, NOW, SPACES)
    assert it.intent == "list" and it.dates


@pytest.mark.parametrize("text,days", [
    ("Dülmen Di 8.12. bis Do 10.12.", ["2026-12-08", "2026-12-09", "2026-12-10"]),
    ("Senden Montag, 14.12. - Mittwoch, den 16.12.", ["2026-12-14", "2026-12-15", "2026-12-16"]),
    ("Ist in Olfen in der Woche vom 30.11. was frei?", ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]),
    ("Coesfeld the week of 7 December", ["2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11"]),
    ("Nottuln on 9 and 10 December please", ["2026-12-09", "2026-12-10"]),
    ("Senden Dec 1, 3 and 8", ["2026-12-01", "2026-12-03", "2026-12-08"]),
    ("Olfen morgen früh, so bis elf", ["2026-11-24"]),  # "so bis" is "about until", no Sunday
    ("Could I book Havixbeck on 2 December? Great if so.", ["2026-12-02"]),
    ("Letzte Woche Mittwoch, den 18., war ich in Olfen, kann man das nachbuchen?", ["2026-11-18"]),
])
def test_day_ranges_lists_and_weeks_in_more_shapes(text, days):
    assert [d.isoformat() for d in parse(text, NOW, SPACES).dates] == days


@pytest.mark.parametrize("text,desks", [("Rosendahl Freitag für mich und nen Kollegen", 2),
                                        ("Book Olfen for me and my three teammates on Thursday", 4),
                                        ("Senden Mittwoch, ich und eine Kollegin", 2)])
def test_me_and_colleagues_is_the_desk_count(text, desks):
    assert parse(text, NOW, SPACES).desks == desks


@pytest.mark.parametrize("text", ["Coesfeld on Thursday after lunch", "Donnerstag Coesfeld nach der Mittagspause",
                                  "Donnerstag nach dem Mittagessen in Coesfeld"])
def test_after_lunch_is_the_afternoon(text):
    it = parse(text, NOW, SPACES)
    assert it.part == "afternoon" and it.intent == "book"


@pytest.mark.parametrize("text,start", [("reminders at 5pm please", "17:00"), ("Erinnerung um 8 abends", "20:00"),
                                        ("remind me at half past six in the evening", "18:30"),
                                        ("Erinnerung um halb sieben", "06:30")])
def test_a_reminder_hour_with_its_evening(text, start):
    it = parse(text, NOW, SPACES)
    assert it.intent == "settings" and it.start == start


def test_having_sat_there_without_booking_is_no_booking():
    it = parse("Letzten Montag, den 16., war ich in Senden, ohne zu buchen. Kann man das nachtragen?", NOW, SPACES)
    assert not (it.intent == "book" and it.confidence >= CONFIDENT) and [d.isoformat() for d in it.dates] == ["2026-11-16"]


@pytest.mark.parametrize("text,days,space", [
    ("Guten Tag, ich bin neu hier und probiere das mal aus. Also: Freitag Senden, ganzer Tag. Vielen Dank!",
     ["2026-11-27"], "senden"),
    ("Ich bräuchte am Mittwoch einen Platz in Olfen. Habt ihr dort eigentlich Kaffee?", ["2026-11-25"], "olfen"),
    ("Letzte Woche war ich in Dülmen. Morgen Nottuln bitte.", ["2026-11-24"], "nottuln"),
    ("Hab morgen die Handwerker da... Senden ab neun bitte", ["2026-11-24"], "senden"),
])
def test_the_request_sentence_among_story_greeting_or_side_question(text, days, space):
    it = parse(text, NOW, SPACES)
    assert it.intent == "book" and [d.isoformat() for d in it.dates] == days and it.space == space


@pytest.mark.parametrize("text", ["Morgen Dülmen. Nee, war nur Spaß.", "Am 5.12. ist Weihnachtsmarkt in Olfen. Gehst du hin?"])
def test_a_request_taken_back_or_a_date_with_a_dot_is_no_request_sentence(text):
    it = parse(text, NOW, SPACES)
    assert not (it.intent == "book" and it.confidence >= CONFIDENT)


@pytest.mark.parametrize("text", ["Nee, zurück, das letzte wollte ich nicht", "zurück, das eben war falsch"])
def test_back_the_last_one_is_undo(text):
    assert parse(text, NOW, SPACES).intent == "undo"


@pytest.mark.parametrize("text", ["morgen irgendwo in der Nähe von Olfen", "Freitag was rund um Dülmen",
                                  "Is there a desk near Coesfeld tomorrow?"])
def test_near_a_town_is_asked_for_the_spaces_around_it(text):
    it = parse(text, NOW, SPACES)
    assert it.intent == "availability" and it.topic == "near" and it.space


def test_near_a_window_is_no_town_near():
    it = parse("Desk in Senden on Thursday morning, near a window if possible", NOW, SPACES)
    assert it.topic != "near" and it.intent == "book"


def test_working_before_the_holidays_is_a_booking():
    it = parse("Please book Olfen on Dec 22 and 23, working before the holidays", NOW, SPACES)
    assert it.intent == "book" and [d.isoformat() for d in it.dates] == ["2026-12-22", "2026-12-23"]


@pytest.mark.parametrize("text", ["Ist Freitag in Dülmen was frei? Nur mal schauen, buchen tu ich später",
                                  "just checking: Senden on Thursday, I'll book it later"])
def test_just_looking_or_booking_later_is_a_question_for_now(text):
    it = parse(text, NOW, SPACES)
    assert it.intent == "availability"


def test_booking_the_rest_later_keeps_todays_request():
    assert parse("morgen Olfen bitte, den Rest buche ich später", NOW, SPACES).intent == "book"


def test_a_free_desk_question_with_just_looking_is_availability():
    assert parse("Ist Donnerstag in Olfen noch ein Platz frei? Nur mal gucken", NOW, SPACES).intent == "availability"


def test_a_wrong_number_is_no_undo():
    assert parse("Sorry, das war falsch verbunden", NOW, SPACES).intent != "undo"
    assert parse("das war falsch", NOW, SPACES).intent == "undo"


def test_vm_is_the_morning_and_wie_gehe_ich_vor_is_help():
    assert parse("senden do vm", NOW, SPACES).part == "morning"
    assert parse("Hallo, mein Chef hat mir den Bot empfohlen. Wie gehe ich vor?", NOW, SPACES).intent == "help"


@pytest.mark.parametrize("text, space, days", [
    ("übermorgen Olfen, nee doch lieber Havixbeck", "havixbeck", ["2026-11-25"]),
    ("Thursday Nottuln, no wait, Billerbeck", "billerbeck", ["2026-11-26"]),
    ("Mi Senden. ach nee, Do.", "senden", ["2026-11-26"]),
    ("morgen Coesfeld, korrektur: Freitag", "coesfeld", ["2026-11-27"]),
    ("Friday Olfen, make that Thursday", "olfen", ["2026-11-26"]),
])
def test_a_correction_inside_the_message_replaces_what_it_names(text, space, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, it.space, [d.isoformat() for d in it.dates]) == ("book", space, days)


def test_a_correction_that_takes_back_books_nothing():
    assert parse("morgen Olfen, ach nee, doch nicht", NOW, SPACES).intent != "book"


@pytest.mark.parametrize("text, part", [
    ("Freitag Senden vormittags, nachmittags hab ich einen Termin beim Zahnarzt", "morning"),
    ("Do in Olfen bitte nur nachmittags, vormittags bin ich beim Arzt", "afternoon"),
    ("Tuesday Dülmen in the afternoon, the morning I have a meeting at school", "afternoon"),
    ("morgen Nottuln vormittags und nachmittags", "full"),
    ("morgen Havixbeck vormittags, nachmittags hab ich auch Zeit", "full"),
])
def test_the_half_of_the_day_the_user_is_busy_is_not_booked(text, part):
    assert parse(text, NOW, SPACES).part == part


def test_u_and_n_join_weekdays():
    assert [d.isoformat() for d in parse("nächste woche mo u do senden", NOW, SPACES).dates] == ["2026-11-30", "2026-12-03"]
    assert [d.isoformat() for d in parse("di u mi olfen", NOW, SPACES).dates] == ["2026-11-24", "2026-11-25"]
    assert parse("what do u do on friday", NOW, SPACES).dates == [parse("friday", NOW, SPACES).dates[0]]


@pytest.mark.parametrize("text, intent", [
    ("bin jetz in olfen", "checkin"), ("bin grad in senden", "checkin"),
    ("Herzlichen Dank, das ist wirklich sehr nett von Ihnen!", "thanks"),
    ("Thank you so much, that was really helpful of you", "thanks"),
    ("Could you speak English with me? My German is bad", "language"),
    ("kannst du mit mir deutsch reden", "language"),
    ("our train to Coesfeld on Friday got cancelled again", "smalltalk"),
    ("Am Mittwoch bin ich auf Dienstreise, da brauch ich keinen Platz", "absence"),
    ("Monday I'm on a business trip so I don't need a desk", "absence"),
])
def test_more_everyday_phrasings(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text, space, days", [
    ("Freitag Senden, oder nee – Donnerstag. Senden bleibt.", "senden", ["2026-11-26"]),
    ("Wednesday Olfen - actually scratch that, make it Nottuln. Same day.", "nottuln", ["2026-11-25"]),
    ("my bad, thursday coesfeld not dülmen", "coesfeld", ["2026-11-26"]),
])
def test_more_corrections(text, space, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, it.space, [d.isoformat() for d in it.dates]) == ("book", space, days)


@pytest.mark.parametrize("text, days", [
    ("Mittwoch Senden. Und Donnerstag auch, gleicher Ort.", ["2026-11-25", "2026-11-26"]),
    ("Tuesday in Dülmen please. Oh and Wednesday too, same place.", ["2026-11-24", "2026-11-25"]),
])
def test_a_day_added_in_a_second_sentence(text, days):
    assert [d.isoformat() for d in parse(text, NOW, SPACES).dates] == days


@pytest.mark.parametrize("text, days", [
    ("krankgeschrieben bis Donnerstag", ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"]),
    ("out sick until Tuesday", ["2026-11-23", "2026-11-24"]),
])
def test_an_absence_until_a_day_starts_today(text, days):
    it = parse(text, NOW, SPACES)
    assert it.intent == "absence" and [d.isoformat() for d in it.dates] == days


@pytest.mark.parametrize("text, intent", [
    ("vorige Woche Mittwoch Olfen nachtragen bitte", "past_day"),
    ("I'm the HR lead here. How many days does our company have left this month?", "company_contingent"),
    ("Als Teamleitung frage ich: wie viele Tage hat unser Unternehmen noch?", "company_contingent"),
    ("Bin heute krank, werde keinen Platz brauchen", "absence"),
    ("Off sick tomorrow, won't be needing my desk", "absence"),
    ("Do I have anything booked on Friday? Can't remember", "list"),
])
def test_and_more_everyday_phrasings(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


def test_chit_chat_in_each_sentence_makes_no_request_across_them():
    """The place of one chatty sentence and the day of another are no booking."""
    it = parse("Kennt ihr ein nettes Café in Billerbeck? Wollen Samstag nach dem Markt Kuchen essen", NOW, SPACES)
    assert it.intent == "smalltalk"
    assert parse("Morgen brauch ich was. In Olfen bitte.", NOW, SPACES).intent == "book"


def test_muensterland_platt():
    it = parse("Könnt ihr mi för Donnerdag in Billerbeck wat freihalten?", NOW, SPACES)
    assert [d.isoformat() for d in it.dates] == ["2026-11-26"] and it.space == "billerbeck"
    it = parse("wat kost dat in Olfen", NOW, SPACES)
    assert it.intent == "availability" and it.topic == "price"
    assert [d.isoformat() for d in parse("Mi bitte Senden", NOW, SPACES).dates] == ["2026-11-25"]


def test_british_half_hours():
    it = parse("desk in Senden on Friday from half eight to half three please", NOW, SPACES)
    assert (it.start, it.end) == ("08:30", "15:30")
    assert parse("Olfen tomorrow, half day", NOW, SPACES).part == "morning"


@pytest.mark.parametrize("text, intent", [
    ("Hi, booking for next Wednesday in Nottuln please", "book"),
    ("Is Olfen free on Friday? Not booking yet, just looking", "availability"),
    ("my bookings for next week", "list"),
])
def test_booking_as_a_verb_and_not_booking_yet(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text, intent, day", [
    ("Could you book Olfen for Tuesday the 17th?", "past_day", "2026-11-17"),  # the 17th that was a Tuesday
    ("Dienstag, den 17. in Senden", "past_day", "2026-11-17"),
    ("Thursday the 17th in Olfen", "book", "2026-12-17"),  # the 17th to come is a Thursday
    ("Freitag den 15. Nottuln", "book", "2027-01-15"),  # the next Friday the 15th, in January
    ("Donnerstag, den 18. Dülmen", "book", "2026-12-18"),  # no Thursday 18th near: the weekday is a slip
])
def test_a_weekday_with_a_day_of_the_month_picks_the_month_they_agree_in(text, intent, day):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, [day])


@pytest.mark.parametrize("text, legs", [
    ("Mittwoch Senden und Donnerstag Olfen", [("senden", ["2026-11-25"]), ("olfen", ["2026-11-26"])]),
    ("Senden am Mittwoch und Olfen am Donnerstag", [("senden", ["2026-11-25"]), ("olfen", ["2026-11-26"])]),
    ("Mittwoch Senden. Und Donnerstag auch, aber in Olfen.", [("senden", ["2026-11-25"]), ("olfen", ["2026-11-26"])]),
    ("Mi und Do Senden, Fr Olfen", [("senden", ["2026-11-25", "2026-11-26"]), ("olfen", ["2026-11-27"])]),
    ("Wed in Senden, Thu in Olfen please", [("senden", ["2026-11-25"]), ("olfen", ["2026-11-26"])]),
    ("Mittwoch Senden, Donnerstag Olfen, Freitag wieder Senden",
     [("senden", ["2026-11-25", "2026-11-27"]), ("olfen", ["2026-11-26"])]),
    ("Senden oder Olfen morgen", []),  # a choice
    ("Mittwoch Senden, falls voll dann Olfen", []),  # a fallback
    ("Senden und Olfen morgen", []),  # two places, one day
    ("morgen nicht Senden sondern Olfen", []),  # a correction
])
def test_each_place_with_its_own_days(text, legs):
    it = parse(text, NOW, SPACES)
    assert [(slug, [d.isoformat() for d in days]) for slug, days in it.legs] == legs
    if legs:
        assert it.intent == "book" and it.space == legs[0][0]


@pytest.mark.parametrize("text, days", [
    ("mach mal 1.12 bis 3.12 nordkirchen vormittags", ["2026-12-01", "2026-12-02", "2026-12-03"]),  # no dots
    ("14.-16.12 rosendahl bitte", ["2026-12-14", "2026-12-15", "2026-12-16"]),
    ("28.11-1.12 Senden", ["2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"]),
    ("vom siebten bis zum elften Dezember Olfen", ["2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11"]),
    ("bin ab morgen für drei tage in dülmen, kannst du das buchen", ["2026-11-24", "2026-11-25", "2026-11-26"]),
])
def test_lowercase_and_dotless_day_ranges(text, days):
    assert [d.isoformat() for d in parse(text, NOW, SPACES).dates] == days


def test_clock_ranges_with_dots_stay_hours():
    it = parse("morgen 9.30-12.30 Senden", NOW, SPACES)
    assert ([d.isoformat() for d in it.dates], it.start, it.end) == (["2026-11-24"], "09:30", "12:30")


@pytest.mark.parametrize("text, name", [
    ("wie viele tage hat frau schulte noch", "Schulte"),
    ("hat der jan hölscher sein kontingent schon aufgebraucht", "Jan"),
    ("how many days has mark jansen got left", "Mark"),
    ("remaining days for employee lisa brinkmann pls", "Lisa"),
])
def test_a_member_named_in_lower_case(text, name):
    it = parse(text, NOW, SPACES)
    assert (it.intent, it.name) == ("member_contingent", name)


@pytest.mark.parametrize("text", ["how many days has everyone left", "wieviel kontingent hat jeder noch",
                                  "wie viele tage hab ich noch"])
def test_nobody_in_particular_is_no_member(text):
    assert parse(text, NOW, SPACES).intent == "contingent"


@pytest.mark.parametrize("text, intent", [
    ("wenn übermorgen in olfen was aufgeht gib mir ne info", "waitlist"),  # not a booking
    ("wie schauts fr in ascheberg aus, hat da wer noch nen tisch", "availability"),
    ("wer hat Donnerstag in Havixbeck einen Platz?", "who"),
    ("ups hab gestern vergessen havixbeck zu buchen geht das noch", "past_day"),
    ("ups", "undo"),
    ("bin grad reingekommen", "checkin"),
    ("zahlt mein chef eigentlich noch was oder bin ich für november schon durch", "contingent"),
    ("haben wir als unternehmen noch tage im paket oder müssen wir aufstocken", "company_contingent"),
    ("nächste woche dienstreise nach hamburg, brauch also keinen platz", "absence"),
    ("trag mich bitte jeden dienstag in olfen ein, ich hab da immer meinen reha termin in der nähe", "book"),
])
def test_blind9_classes(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text, desks, part", [
    ("wir sind nächsten mi mit 4 leuten in lüdinghausen", 4, None),  # four in all
    ("ich mit 3 kollegen freitag olfen", 4, None),
    ("ich und mein azubi brauchen fr nen platz in olfen", 2, None),
    ("donnerstag coesfeld nur vormittags weil ich nachmittags noch nach münster muss", 1, "morning"),
])
def test_team_sizes_and_the_busy_half(text, desks, part):
    it = parse(text, NOW, SPACES)
    assert (it.desks, it.part) == (desks, part)


@pytest.mark.parametrize("text, space", [
    ("nicht Ascheberg sondern Nordkirchen morgen", "nordkirchen"),  # the correction's words are no small talk
    ("morgen nicht Senden sondern Olfen", "olfen"),
    ("Freitag nicht in Senden, lieber in Olfen", "olfen"),
    ("morgen lieber nach Senden als nach Olfen", "senden"),
])
def test_a_place_corrected_in_the_message_is_a_request(text, space):
    it = parse(text, NOW, SPACES)
    assert (it.intent, it.space) == ("book", space) and it.confidence >= 0.8


def test_the_half_spent_at_home_is_the_busy_one():
    assert parse("morgen vormittag coesfeld, nachmittag bin ich im homeoffice", NOW, SPACES).part == "morning"


@pytest.mark.parametrize("text, now, days", [
    ("the Monday after next, Billerbeck, full day", NOW, ["2026-12-07"]),
    ("Zwischen den Jahren Dienstag + Mittwoch Olfen", NOW, ["2026-12-29", "2026-12-30"]),  # the period says when
    ("Zwischen den Jahren will ich nicht pendeln. Bitte 28.12. bis 30.12. Ascheberg", NOW,
     ["2026-12-28", "2026-12-29", "2026-12-30"]),
    ("zwischen den Jahren Olfen", NOW, ["2026-12-27", "2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31"]),
    ("book senden for the whole of next week except Thursday and Friday", NOW, ["2026-11-30", "2026-12-01", "2026-12-02"]),
    ("Montag bis Freitag außer Mittwoch Senden", NOW, ["2026-11-30", "2026-12-01", "2026-12-03", "2026-12-04"]),
    ("Can you sort out Ascheberg for tomorrow and the day after?", NOW, ["2026-11-24", "2026-11-25"]),
    ("Freitag und den Tag danach Olfen", NOW, ["2026-11-27", "2026-11-28"]),
    ("Ich würde gern am Wochenende vor Weihnachten... ne Quatsch, Freitag 18.12. in Senden", NOW, ["2026-12-18"]),
])
def test_blind10_day_readings(text, now, days):
    assert [d.isoformat() for d in parse(text, now, SPACES).dates] == days


@pytest.mark.parametrize("text, intent", [
    ("WFH tomorrow, no desk needed", "absence"),
    ("Am 2. und 3. Dezember bin ich im Homeoffice", "absence"),  # no desk needed those days
    ("kein Bock auf Homeoffice, morgen Olfen", "book"),
    ("Planänderung: statt Homeoffice lieber Dienstag in Nordkirchen", "book"),
    ("Stell meinen Standardort auf Dülmen", "settings"),
    ("Can we switch to German? I want to practise", "language"),
    ("Als Admin: wer aus der Firma hat für den 21.12. gebucht?", "team_bookings"),
    ("wer aus der Firma ist morgen in Dülmen?", "who"),
    ("Ich nehm zwischen den Jahren frei", "absence"),
])
def test_blind10_classes(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


def test_a_member_named_with_an_initial():
    it = parse("check remaining quota for employee M. Overbeck", NOW, SPACES)
    assert (it.intent, it.name) == ("member_contingent", "Overbeck")


@pytest.mark.parametrize("text, days, legs", [
    ("Montag bis Mittwoch Senden und Donnerstag Olfen", ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"],
     [("senden", ["2026-11-30", "2026-12-01", "2026-12-02"]), ("olfen", ["2026-12-03"])]),
    ("Montag bis Mittwoch und Freitag Senden", ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-04"], []),
    ("Mo-Mi Senden, Do Olfen", ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"],
     [("senden", ["2026-11-30", "2026-12-01", "2026-12-02"]), ("olfen", ["2026-12-03"])]),
])
def test_a_weekday_after_a_range_goes_on_in_its_week(text, days, legs):
    it = parse(text, NOW, SPACES)
    assert [d.isoformat() for d in it.dates] == days
    assert [(slug, [d.isoformat() for d in ds]) for slug, ds in it.legs] == legs


def test_an_excepted_day_leaves_a_sure_request():
    it = parse("nächste woche außer freitag coesfeld", NOW, SPACES)
    assert [d.isoformat() for d in it.dates] == ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"]
    assert it.confidence >= 0.8  # "außer" is no unknown word that makes it small talk


@pytest.mark.parametrize("text, places", [
    ("ist freitag in senden und olfen was frei", ["senden", "olfen"]),
    ("Senden oder Olfen morgen?", ["senden", "olfen"]),
    ("morgen nicht Senden sondern Olfen", []),  # a choice made
    ("morgen Olfen", []),
])
def test_the_places_named_without_a_choice(text, places):
    assert parse(text, NOW, SPACES).places == places


@pytest.mark.parametrize("text, intent", [
    ("how do I check in", "help"), ("wie checke ich ein", "help"), ("how do I book", "help"),
    ("check in", "checkin"), ("I'm at my desk", "checkin"),
])
def test_how_do_i_is_a_question_about_the_bot(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text, days", [
    ("ab dem 7.12. jeden Montag Nottuln", ["2026-12-07", "2026-12-14", "2026-12-21", "2026-12-28"]),
    ("Ab dem 7. Dezember immer montags und dienstags Nottuln, erstmal zwei Wochen",
     ["2026-12-07", "2026-12-08", "2026-12-14", "2026-12-15"]),
    ("ab 7.12. montags Olfen für zwei Wochen", ["2026-12-07", "2026-12-14"]),
    ("jeden Dienstag Olfen", ["2026-11-24", "2026-12-01", "2026-12-08", "2026-12-15"]),
])
def test_a_series_from_a_start_day(text, days):
    assert [d.isoformat() for d in parse(text, NOW, SPACES).dates] == days


# ---- blind13a's classes (variants written for each family, not the set's lines) ----------------------------------

@pytest.mark.parametrize("text, intent, days, space", [
    # chat shorthand: "übermo", "heut", "nächste wo"
    ("übermo olfen pls", "book", ["2026-11-25"], "olfen"),
    ("heut morgen war der bus in dülmen pünktlich", "smalltalk", ["2026-11-23"], "duelmen"),
    ("nächste wo di und do senden", "book", ["2026-12-01", "2026-12-03"], "senden"),
    ("wo ist das coworking in senden", "availability", [], "senden"),  # "wo" alone still asks where
    # a town typed in two pieces
    ("freitag havix beck", "book", ["2026-11-27"], "havixbeck"),
    ("morgen nord-kirchen bitte", "book", ["2026-11-24"], "nordkirchen"),
    # an aside with its own day beside the request
    ("schule hat am mi zu, also gib mir do in olfen", "book", ["2026-11-26"], "olfen"),
    ("schnee ohne ende heute, aber übermorgen will ich nach senden", "book", ["2026-11-25"], "senden"),
    ("Dienstag Coesfeld, Mittwoch bin ich krank", "book", ["2026-11-24"], "coesfeld"),
    ("am 22.12. noch olfen, danach bin ich im urlaub", "book", ["2026-12-22"], "olfen"),
    ("Donnerstag Olfen. Oh und Freitag auch, gleicher Ort.", "book", ["2026-11-26", "2026-11-27"], "olfen"),
    ("rain all day lol. anyway friday senden", "book", ["2026-11-27"], "senden"),
    # a bus line that is cancelled is no cancellation
    ("die 560 fällt heute aus, ätzend", "smalltalk", ["2026-11-23"], None),
    ("der S1 fällt wieder aus", "unknown", [], None),
    # "give me a desk"
    ("gebt mir bitte Freitag einen Platz in Senden", "book", ["2026-11-27"], "senden"),
    ("Könnt ihr mir für Mittwoch einen Tisch in Olfen besorgen?", "book", ["2026-11-25"], "olfen"),
    ("get me a desk in Dülmen on Thursday", "book", ["2026-11-26"], "duelmen"),
    # remarks are no questions
    ("Senden is really packed today", "smalltalk", ["2026-11-23"], "senden"),
    ("in Olfen ist es heute echt ruhig", "smalltalk", ["2026-11-23"], "olfen"),
    ("the streets around Senden are like a skating rink today", "smalltalk", ["2026-11-23"], "senden"),
    ("football on saturday, half of billerbeck will be there haha", "smalltalk", ["2026-11-28"], "billerbeck"),
    ("merry christmas from olfen", "smalltalk", [], "olfen"),
])
def test_blind13a_classes(text, intent, days, space):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates], it.space) == (intent, days, space)


@pytest.mark.parametrize("text, start, end", [
    ("Olfen 9-13 am Donnerstag", "09:00", "13:00"),  # German "am" before a day is no a.m.
    ("senden 8-12 am 3.12.", "08:00", "12:00"),
    ("olfen tomorrow 8 am to 12", "08:00", "12:00"),
])
def test_am_before_a_day_is_no_am(text, start, end):
    it = parse(text, NOW, SPACES)
    assert (it.start, it.end) == (start, end)


@pytest.mark.parametrize("text, intent", [
    ("alles klar, super", "thanks"), ("perfekt", "thanks"), ("sounds good", "thanks"), ("ok", "unknown"),
    ("mach Senden zu meinem Standardort", "settings"), ("set my default location to Olfen", "settings"),
    ("book my usual place tomorrow", "book"),
    ("WFH on thursday", "absence"), ("working from home tomorrow, the heating guy comes", "absence"),
    ("is lisa in senden on friday?", "who"), ("ist der tom morgen auch in olfen?", "who"),
    ("is olfen full tomorrow?", "availability"),
])
def test_blind13a_small_intents(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text, desks", [
    ("für meine Kollegin und mich Freitag Senden", 2), ("for my coworker and me tomorrow in Olfen", 2),
])
def test_a_colleague_and_me_are_two(text, desks):
    assert parse(text, NOW, SPACES).desks == desks


def test_a_request_beside_an_absence_is_asked_first():
    it = parse("Dienstag Coesfeld, Mittwoch bin ich krank", NOW, SPACES)  # read as an absence before: not booked blind
    assert it.intent == "book" and it.confidence < CONFIDENT and it.alternative == "absence"


@pytest.mark.parametrize("text, days", [
    ("am zweiten zwölften und vierten zwölften in Senden", ["2026-12-02", "2026-12-04"]),  # day and month as ordinals
    ("Olfen am fünften ersten", ["2027-01-05"]),
    ("Senden 7. bis 11.12., nee doch nur bis zum 9.", ["2026-12-07", "2026-12-08", "2026-12-09"]),  # the end moved
    ("olfen dec 7 to 10, no wait, until the 12th", ["2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10",
                                                    "2026-12-11", "2026-12-12"]),
])
def test_blind13a_days(text, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == ("book", days)


@pytest.mark.parametrize("text, intent", [
    # a negation and a coming verb in different clauses make no cancellation
    ("Mein Fahrrad ist nicht fahrbereit und der Bus kommt erst um 9. Gebt mir bitte Freitag einen Platz in Olfen",
     "book"),
    ("ich schaff es am 3. nicht nach Olfen, gib den Platz bitte frei", "cancel"),
    ("I can't make it on Friday", "cancel"),
])
def test_a_negation_cancels_in_its_own_clause(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


# ---- blind14a's classes -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, intent, days", [
    # an outing is no booking, and its day is no request
    ("Thinking about a hike around Billerbeck on Sunday if the weather holds", "smalltalk", ["2026-11-29"]),
    ("Samstag Radtour ab Nottuln in die Baumberge, wer ist dabei?", "smalltalk", ["2026-11-28"]),
    ("Nach dem Ausflug am Samstag brauch ich Montag einen Platz in Senden", "book", ["2026-11-30"]),
    # a reason with its own day, cut at "so I ..." or after an emoji
    ("the car is at the garage until friday so we need a desk in olfen on wednesday", "book", ["2026-11-25"]),
    ("Zug fällt Donnerstag aus 😤 Kannst du mir Mittwoch was in Olfen reservieren?", "book", ["2026-11-25"]),
    # English "do" after "only"/"just" is no Thursday
    ("I can only do afternoons. Put me in Olfen on Tuesday", "book", ["2026-11-24"]),
    # a booking verb beats "here now" in a story
    ("We just moved here now. Please book me Senden tomorrow", "book", ["2026-11-24"]),
    # "so I'm off" after a reason is an absence; "I'm off to <town>" is going there
    ("Got a workshop in Köln on Thursday, so I'm off", "absence", ["2026-11-26"]),
    ("I'm off to Olfen on Friday", "book", ["2026-11-27"]),
])
def test_blind14a_classes(text, intent, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, days)


@pytest.mark.parametrize("text, part", [
    ("morgen Olfen nur vormittags, nachmittags hab ich Elternabend", "morning"),
    ("Freitag Senden nachmittags, vormittags ist Schulung", "afternoon"),
])
def test_the_busy_half_with_school_and_training_words(text, part):
    assert parse(text, NOW, SPACES).part == part


@pytest.mark.parametrize("text", ["Kannst du auch Deutsch? Mein Englisch ist nicht so gut, sorry", "can you also english"])
def test_can_you_speak_a_language(text):
    assert parse(text, NOW, SPACES).intent == "language"


def test_a_sure_request_beside_an_aside_is_acted_on():
    it = parse("schule hat am mi zu, also mach mir lieber do in olfen", NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == ("book", ["2026-11-26"]) and it.confidence >= CONFIDENT


# ---- blind15a's classes -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, days, moved_from", [
    ("verschieb mein Senden von Mittwoch auf Freitag", ["2026-11-27"], ["2026-11-25"]),
    ("could you move my Olfen booking from Friday to Monday?", ["2026-11-30"], ["2026-11-27"]),
    ("leg meinen Platz vom 3.12. auf den 4.12. um", ["2026-12-04"], ["2026-12-03"]),
    ("reschedule my tuesday to thursday", ["2026-11-26"], ["2026-11-24"]),
    ("von Montag bis Mittwoch Olfen", ["2026-11-30", "2026-12-01", "2026-12-02"], []),  # a range, no move
])
def test_a_move_names_the_new_days(text, days, moved_from):
    it = parse(text, NOW, SPACES)
    assert it.intent == "book" and not it.question
    assert ([d.isoformat() for d in it.dates], [d.isoformat() for d in it.move_from]) == (days, moved_from)


@pytest.mark.parametrize("text, intent", [
    # a question about the bot next to a request: the request (asked first when the whole read as help)
    ("Hallo, ich kenne mich hier noch nicht aus. Ich bräuchte Dienstag einen Platz in Olfen.", "book"),
    ("hey, first time here, no idea how this works – I need a desk in Senden on Friday", "book"),
    ("I don't need my desk on Friday", "cancel"),
    ("Bin gerade in Olfen angekommen. Wie geht das jetzt mit dem Einchecken?", "checkin"),
    ("what's left of the contingent for my company?", "company_contingent"),
    ("Ich bin bei uns für das Kontingent zuständig – wie viel haben wir noch?", "company_contingent"),
    ("Wie viele Tage hat unsere Praktikantin Mia noch?", "member_contingent"),
    ("Mittwoch Homeoffice, nur zur Info", "absence"),
])
def test_blind15a_intents(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


def test_a_request_with_is_it_possible_is_asked_first():
    it = parse("I'd like to book Senden on Thursday, is that possible?", NOW, SPACES)
    assert it.intent == "book" and it.confidence < CONFIDENT and it.alternative == "availability"


def test_me_and_my_intern_are_two():
    assert parse("me and my trainee tomorrow in Olfen", NOW, SPACES).desks == 2


@pytest.mark.parametrize("text, days", [
    ("KW 50 Di+Do Senden", ["2026-12-08", "2026-12-10"]),  # weekdays named with a calendar week: those days of it
    ("KW 50 Mo-Mi Olfen", ["2026-12-07", "2026-12-08", "2026-12-09"]),
    ("kw 50 fr olfen", ["2026-12-11"]),
    ("KW 50 Senden", ["2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11"]),
    ("Tuesday and Thursday in the week of Dec 7, Olfen", ["2026-12-08", "2026-12-10"]),
    ("in der Woche vom 7.12. Montag bis Mittwoch Senden", ["2026-12-07", "2026-12-08", "2026-12-09"]),
    ("jeden Tag diese Woche Olfen, ab heute", ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]),
])
def test_weekdays_in_a_named_week(text, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == ("book", days)


@pytest.mark.parametrize("text, intent", [
    ("nimm mich Donnerstag in Olfen wieder raus", "cancel"), ("trag mich für Mittwoch in Senden aus", "cancel"),
    ("trag mich für Mittwoch in Senden ein", "book"),
    ("Wie funktioniert das eigentlich mit dem Kontingent?", "help"),
    ("Book me Olfen on Friday please. And how do I cancel if I get sick?", "book"),
    ("Wie läuft das mit den Kontingenten? Egal, buch mir Montag Senden", "book"),
])
def test_blind15a_more_intents(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


# ---- blind16b's classes -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, days", [
    # "alle" / "all" / "jeden" elsewhere in the message make no series of the weekday
    ("Wir kommen Donnerstag zu fünft nach Olfen, bitte Plätze für alle", ["2026-11-26"]),
    ("Freitag Senden, auf jeden Fall vormittags", ["2026-11-27"]),
    ("jeden Donnerstag Olfen", ["2026-11-26", "2026-12-03", "2026-12-10", "2026-12-17"]),
    ("Mo und Mi Senden, jede Woche", ["2026-11-25", "2026-11-30", "2026-12-02", "2026-12-07", "2026-12-09",
                                     "2026-12-14", "2026-12-16", "2026-12-21"]),
    # every other week
    ("jeden zweiten Mittwoch Olfen", ["2026-11-25", "2026-12-09", "2026-12-23", "2027-01-06"]),
    ("every other Friday in Senden", ["2026-11-27", "2026-12-11", "2026-12-25", "2027-01-08"]),
])
def test_a_series_only_with_its_own_words(text, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == ("book", days) and it.confidence >= CONFIDENT


def test_all_bookings_for_a_weekday_is_that_day():
    it = parse("show me all employee bookings for Friday", NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == ("team_bookings", ["2026-11-27"])


@pytest.mark.parametrize("text", [
    # requests phrased as a check or a plan: read as a booking the bot asks about (never booked without the press)
    "Donnerstag zu zweit in Senden, geht klar oder?", "Morgen Nachmittag Olfen, ginge das noch?",
    "Heiligabend vormittags noch schnell Senden?",
    "I'll be in Senden on Thursday if that works", "ich wär dann Freitag in Olfen, passt das?",
    "there'll be 3 of us in Olfen on Friday",
    "ist Donnerstag in Coesfeld was frei? würde gern kommen",
])
def test_a_plan_or_a_check_is_a_request_asked_first(text):
    it = parse(text, NOW, SPACES)
    assert it.intent == "book" and it.confidence < CONFIDENT, (it.intent, it.confidence)


def test_get_me_into_is_a_booking_verb():
    it = parse("could you squeeze me into Senden on Friday?", NOW, SPACES)  # like "kannst du ... buchen?": 0.8
    assert (it.intent, it.space, it.confidence) == ("book", "senden", 0.8)


def test_a_question_is_still_a_question():
    assert parse("Hast du morgen einen Platz in Olfen?", NOW, SPACES).intent == "availability"
    assert parse("Habt ihr Freitag noch nen Tisch für mich in Senden?", NOW, SPACES).intent == "availability"
    assert parse("He will be in Olfen tomorrow", NOW, SPACES).intent == "smalltalk"


@pytest.mark.parametrize("text, intent, days", [
    ("zwischen dem 7.12. und 9.12. Senden", "book", ["2026-12-07", "2026-12-08", "2026-12-09"]),  # a range
    ("between Dec 7 and Dec 9 in Olfen", "book", ["2026-12-07", "2026-12-08", "2026-12-09"]),
    ("zwischen Olfen und Senden, morgen", "book", ["2026-11-24"]),  # two places, no range
    ("morgen + day after, Senden", "book", ["2026-11-24", "2026-11-25"]),
    ("am 3ten dez in olfen", "book", ["2026-12-03"]),
    ("Ditch Friday, I'm stuck at home with a cold", "cancel", ["2026-11-27"]),
    ("Zeig mal, ob Donnerstag in Olfen noch was frei ist", "availability", ["2026-11-26"]),
    ("remind me where I'm booked next week", "list", ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03",
                                                     "2026-12-04"]),
    ("am I out of days for December?", "contingent", []),
    ("I was going to do Olfen on Friday, but Anna says Senden is quieter, so let's do Senden on Friday", "book",
     ["2026-11-27"]),
])
def test_blind16b_classes(text, intent, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, days)
    if "let's do Senden" in text:
        assert it.space == "senden"


@pytest.mark.parametrize("text, intent, days", [
    ("nicht Donnerstag — Freitag, Olfen bitte", "book", ["2026-11-27"]),  # a correction, no range
    ("Donnerstag - Freitag Olfen", "book", ["2026-11-26", "2026-11-27"]),  # a range
    ("Dienstag oder Mittwoch Senden, ist egal – nimm Dienstag", "book", ["2026-11-24"]),  # the day picked
    ("Thursday or Friday in Olfen, whichever... let's say Friday", "book", ["2026-11-27"]),
    ("I booked Senden for Monday and Tuesday, but I don't need Tuesday anymore", "cancel", ["2026-11-24"]),
    ("Mittwoch und Freitag Olfen bitte stornieren", "cancel", ["2026-11-25", "2026-11-27"]),
])
def test_a_negated_picked_or_dropped_day(text, intent, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, days)


@pytest.mark.parametrize("text", ["verschieb das auf Donnerstag", "kannst du es auf Freitag schieben?",
                                  "move it to Friday please", "could you push that to Thursday?"])
def test_moving_the_booking_just_made(text):
    it = parse(text, NOW, SPACES)
    assert it.intent == "book" and len(it.dates) == 1 and not it.question and it.move_from == []


# ---- blind18a's classes -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, days, moved_from, space", [
    # a cancellation and a new booking in one message: a move (offered as one step)
    ("Storno für Mittwoch in Olfen, dafür bitte Donnerstag dort", ["2026-11-26"], ["2026-11-25"], "olfen"),
    ("bitte den Dienstag in Senden streichen und stattdessen Freitag buchen", ["2026-11-27"], ["2026-11-24"], "senden"),
    ("cancel my friday in olfen and put me in for monday instead", ["2026-11-30"], ["2026-11-27"], "olfen"),
])
def test_a_cancellation_with_a_new_booking_is_a_move(text, days, moved_from, space):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates], [d.isoformat() for d in it.move_from], it.space) == \
        ("book", days, moved_from, space)


@pytest.mark.parametrize("text, intent", [
    ("Schulung in Köln am Dienstag, da brauch ich nix", "absence"),
    ("Seminar Thursday and Friday, so I don't need anything", "absence"),
    ("heute Olfen doch nicht, Kind ist krank", "cancel"),
    ("Übermorgen ist schon Nikolaus und in Olfen ist noch nix geschmückt", "smalltalk"),
    ("heute wird das nix mit Olfen, kannst den Platz weggeben", "cancel"),
    ("Wäre es möglich, mich am 3. Dezember in Senden einzubuchen?", "book"),
    ("nachträglich für letzten Freitag in Olfen bitte", "past_day"),
    ("jo passt", "thanks"), ("ja", "unknown"),
    ("english pls, my german is really not good", "language"),
    ("I'm the office manager at Agrartech – how much of our contingent is left?", "company_contingent"),
    ("Verfallen meine restlichen Tage am Monatsende?", "contingent"),
])
def test_blind18a_intents(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


def test_fuern_is_fuer_den():
    it = parse("fürn 4. ne Buchung in Olfen", NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == ("book", ["2026-12-04"])


@pytest.mark.parametrize("text, intent, days", [
    ("Ich wollte eigentlich Montag nach Olfen, aber nee, doch lieber Dienstag.", "book", ["2026-11-24"]),
    ("Ich wollte eigentlich Montag nach Olfen, aber nee, doch nicht", "smalltalk", ["2026-11-30"]),
    ("I don't want Friday. Thursday in Senden please.", "book", ["2026-11-26"]),
    ("nee, zurück, das wollte ich nicht", "undo", []),
])
def test_blind18a_more(text, intent, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, days)


@pytest.mark.parametrize("text, intent, days, extra", [
    # a booking verb denied is no booking: the question stands
    ("Könnten Sie mir bitte mitteilen, ob in Olfen am 2. Dezember noch Arbeitsplätze zur Verfügung stehen? "
     "Buchen möchte ich noch nicht.", "availability", ["2026-12-02"], {}),
    ("Olfen Freitag, aber noch nicht buchen", "availability", ["2026-11-27"], {}),
    ("Is there space in Senden on Friday? Don't book it yet", "availability", ["2026-11-27"], {}),
    ("bitte nicht Montag buchen sondern Dienstag, Olfen", "book", ["2026-11-24"], {}),
    # "(erst) ab mittag(s)" is the afternoon; with a clock end it stays a time
    ("morgen Havixbeck, aber erst ab mittags", "book", ["2026-11-24"], {"part": "afternoon"}),
    ("Donnerstach Olfen, ab mittach", "book", ["2026-11-26"], {"part": "afternoon"}),
    ("morgen ab mittag bis 17 Uhr olfen", "book", ["2026-11-24"], {"start": "12:00", "end": "17:00"}),
    # a series whose start is a week
    ("jeden Montag in Rosendahl ab nächster Woche", "book", ["2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21"], {}),
    ("every other Monday in Rosendahl starting next week", "book",
     ["2026-11-30", "2026-12-14", "2026-12-28", "2027-01-11"], {}),
    ("jeden Montag und Mittwoch nächste Woche Senden", "book", ["2026-11-30", "2026-12-02"], {}),
    # a request beside a weather question; a question beside a remark
    ("Morgen Coesfeld bitte, und regnet das eigentlich wieder den ganzen Tag?", "book", ["2026-11-24"], {}),
    ("Wer ist morgen in Senden? Wir könnten zusammen Mittag essen", "who", ["2026-11-24"], {}),
    ("Eigentlich wollte ich Mittwoch nach Olfen, aber die Kinder sind krank", "smalltalk", ["2026-11-25"], {}),
    # a past day to be recorded, not the booking list; thanks for the help, not help
    ("ich habe am 17. November im Coworking Havixbeck gearbeitet, aber die Buchung versäumt. Nachträglich erfassen?",
     "past_day", ["2026-11-17"], {}),
    ("Herzlichen Dank für Ihre schnelle Hilfe, das hat wunderbar geklappt.", "thanks", [], {}),
    ("Restbudget Firma?", "company_contingent", [], {}),
    ("Ey bot, Donnerstag Olfen", "book", ["2026-11-26"], {}),
])
def test_blind20a_classes(text, intent, days, extra):
    it = parse(text, NOW, SPACES)
    got = it.to_json()
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, days)
    assert {k: got[k] for k in extra} == extra
    if intent != "book":
        assert it.intent != "book"


def test_a_day_month_just_past_at_new_year_is_last_years():
    """In January "den 30.12." is the December just gone (a past day), not the one in eleven months."""
    jan = datetime(2027, 1, 5, 9, 0, tzinfo=NOW.tzinfo)
    it = parse("Kann ich den 30.12. noch für Billerbeck buchen? War da, hab's verpennt", jan, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == ("past_day", ["2026-12-30"])
    assert [d.isoformat() for d in parse("am 3.2. Olfen", jan, SPACES).dates] == ["2027-02-03"]
    assert [d.isoformat() for d in parse("am 3.1. Olfen", NOW, SPACES).dates] == ["2027-01-03"]


@pytest.mark.parametrize("text, topic", [
    ("I dont want colleagues to see where I am booked, can you hide this?", "share_off"),
    ("Kollegen sollen nicht sehen, wo ich gebucht bin", "share_off"),
    ("make me invisible to colleagues", "share_off"),
    ("Kollegen dürfen sehen, wo ich bin", "share_on"),
    ("share my bookings with my colleagues", "share_on"),
])
def test_the_colleagues_view_in_words_is_a_setting(text, topic):
    it = parse(text, NOW, SPACES)
    assert (it.intent, it.topic) == ("settings", topic)


def test_asking_whether_colleagues_see_is_no_setting():
    assert parse("Können Kollegen sehen, wo ich gebucht bin?", NOW, SPACES).intent != "settings"


@pytest.mark.parametrize("text, intent, days", [
    # an unsure request beside a question about the place's facilities stays an unsure request
    ("Kannst du Freitag Nordkirchn machen? Und sag mal, gibts da Kaffee?", "book", ["2026-11-27"]),
    ("Senden for Wednesday and also could you tell me if parking is free there?", "book", ["2026-11-25"]),
    ("Morgen Olfen bitte. Gibt es dort WLAN?", "book", ["2026-11-24"]),
    ("Ist in Senden am Freitag noch was frei? Und gibts da Parkplätze?", "availability", ["2026-11-27"]),
    # a preference is a request, asked first; a remark comparing things is not
    ("Thursday works better for me, same place as usual, Ascheberg", "book", ["2026-11-26"]),
    ("afternoon is better", "book", []),
    ("The coffee in Dülmen is way better than in Olfen lol", "smalltalk", []),
    # a greeting asked: anyone there
    ("Hallo?", "help", []), ("Moin?", "help", []), ("Morgen?", "availability", ["2026-11-24"]),
])
def test_side_questions_preferences_and_greetings(text, intent, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, days)
    if intent == "book":
        assert it.confidence < CONFIDENT  # asked before anything is booked


@pytest.mark.parametrize("text, intent, days, extra", [
    ("mach den Donnerstag in Senden bitte wieder weg", "cancel", ["2026-11-26"], {}),
    ("streich mal meinen platz heute in havixbeck, zug fällt aus", "cancel", ["2026-11-23"], {}),
    ("streich mal Mi Dülmen, und Do auch", "cancel", ["2026-11-25", "2026-11-26"], {}),
    ("Olfen Do + Fr absagen", "cancel", ["2026-11-26", "2026-11-27"], {}),
    ("RB 45 fällt morgen wohl wieder aus, also dann eben Coworking Dülmen morgen", "book", ["2026-11-24"], {}),
    ("Morgen soll's in Coesfeld ja richtig stürmen, hoffentlich fällt der Strom nicht aus", "smalltalk", ["2026-11-24"], {}),
    ("Donnerstag bin ich auf Schulung in Münster, also nix mit Coworking", "absence", ["2026-11-26"], {}),
    ("morgen home office, Kita hat zu", "absence", ["2026-11-24"], {}),
    ("off Fri, parent-teacher day + kids at home", "absence", ["2026-11-27"], {}),
    ("My kids have a day off on Friday", "smalltalk", ["2026-11-27"], {}),
    ("I'll most likely be working from Senden this Thursday", "book", ["2026-11-26"], {}),
    ("I think I'll pop into the Olfen space on Friday afternoon", "book", ["2026-11-27"], {"part": "afternoon"}),
    ("ich glaube ich bin die nächsten drei Donnerstage in Nordkirchen", "book", ["2026-11-26", "2026-12-03", "2026-12-10"], {}),
    ("ich glaube Olfen ist am Freitag voll", "smalltalk", ["2026-11-27"], {}),
    ("ich geh morgen nach Coesfeld ins Coworking", "book", ["2026-11-24"], {}),
    ("nach der Nachtschicht Mi ab 14 uhr in Lüdinghausen", "book", ["2026-11-25"], {"start": "14:00"}),
    ("Mittwoch hab ich Nachtschicht", "absence", ["2026-11-25"], {}),
    ("jeden Di vm in Nottuln bis auf weiteres", "book", ["2026-11-24", "2026-12-01", "2026-12-08", "2026-12-15"],
     {"part": "morning"}),
    ("Morgen und übermorgen Nottuln vm, Kinder haben Weihnachtsfeier nachm.", "book", ["2026-11-24", "2026-11-25"],
     {"part": "morning"}),
    ("jeden Mittwoch nachmittag Senden (Teilzeit, vormittags bin ich im Büro)", "book",
     ["2026-11-25", "2026-12-02", "2026-12-09", "2026-12-16"], {"part": "afternoon"}),
    ("Can u do Olfen for next Tuesday afternoon? 🙏", "book", ["2026-12-01"], {"part": "afternoon"}),
    ("Can my coworker Piotr and me sit in Dülmen tomorrow? 2 desks", "book", ["2026-11-24"], {"desks": 2}),
    ("morgen Coesfeld, und wer ist da sonst noch so?", "book", ["2026-11-24"], {}),
    ("Nächsten Dienstag bin ich in Havixbeck, wäre cool wenn da ein Schreibtisch für mich frei gehalten wird",
     "book", ["2026-12-01"], {}),
    ("has Tobias Kemper used up his days?", "member_contingent", [], {}),
])
def test_blind21_classes(text, intent, days, extra):
    it = parse(text, NOW, SPACES)
    got = it.to_json()
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, days)
    assert {k: got[k] for k in extra} == extra


@pytest.mark.parametrize("text, days, moved_from", [
    ("buch mal eben Do Coesfeld, und streich dafür den Mittwoch", ["2026-11-26"], ["2026-11-25"]),
    ("Fr nachm. Rosendahl + streich bitte Do", ["2026-11-27"], ["2026-11-26"]),
])
def test_a_booking_with_a_cancellation_after_it_is_a_move(text, days, moved_from):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates], [d.isoformat() for d in it.move_from]) == ("book", days, moved_from)


def test_a_past_day_written_in_january_to_be_booked_for_the_contingent():
    jan = datetime(2027, 1, 4, 8, 30, tzinfo=NOW.tzinfo)
    it = parse("Am 30.12. war ich in Lüdinghausen, bitte noch buchen fürs Kontingent", jan, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == ("past_day", ["2026-12-30"])


@pytest.mark.parametrize("text, intent, days", [
    ("Mo Coesfeld bitte raus, Schicht getauscht", "cancel", ["2026-11-30"]),
    ("Sind Marta und Tobi Mi in Ascheberg?", "who", ["2026-11-25"]),
    ("Sind morgen Plätze in Olfen frei?", "availability", ["2026-11-24"]),
    ("Hi, my name is Joost, I like to sit in Senden next Friday, whole day. Is that ok?", "book", ["2026-12-04"]),
    ("morgen Olfen canceln bitte + Mittwoch bleibt", "cancel", ["2026-11-24"]),
    # a plural weekday beside the singular one is a habit, not a series
    ("Is it possible to book Rosendahl on Wednesday morning? I work only until 12 on Wednesdays", "book", ["2026-11-25"]),
    ("Is the Senden space usually packed on Thursdays? Thinking about this Thursday", "availability", ["2026-11-26"]),
    ("Olfen on Wednesdays", "book", ["2026-11-25", "2026-12-02", "2026-12-09", "2026-12-16"]),
])
def test_blind21a_more(text, intent, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, days)


@pytest.mark.parametrize("text, intent, days", [
    # a weekday to be recorded after the fact is the one gone, never a booking of the coming one
    ("could you log Tuesday for me in Coesfeld? forgot to book, I was there all day", "past_day", ["2026-11-17"]),
    ("Kannst du Dienstag in Coesfeld nachtragen? War den ganzen Tag da", "past_day", ["2026-11-17"]),
    ("hab vergessen Dienstag zu buchen, war aber in Coesfeld", "past_day", ["2026-11-17"]),
    # "forgot to book" alone may be the coming day; a story about last week is no record
    ("Ich hab vergessen, Freitag Olfen zu buchen – geht das noch?", "availability", ["2026-11-27"]),
    ("I was in Olfen last week, loved it. Tuesday Olfen please", "book", ["2026-11-24"]),
])
def test_a_weekday_recorded_after_the_fact(text, intent, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, days)


def test_days_to_be_recorded_after_the_fact_are_never_a_booking():
    it = parse("Gestern war ich ja in Senden... hm, nee, Sonntag war ja zu. Ich meinte Freitag, den 20. Kannst du den "
               "noch nachtragen?", NOW, SPACES)
    assert it.intent == "past_day" and all(d < NOW.date() for d in it.dates) and it.dates[0].isoformat() == "2026-11-20"


@pytest.mark.parametrize("text, space, days", [
    ("I can use the coworking in Dülmen. tomorrow would be great", "duelmen", ["2026-11-24"]),
    ("Die B525 ist ab Donnerstag wegen Bauarbeiten gesperrt, da bleib ich lieber in Nottuln. Kannst du mir Donnerstag "
     "und Freitag da nen Tisch geben?", "nottuln", ["2026-11-26", "2026-11-27"]),
    ("Gestern war ich in Olfen. Morgen Senden bitte.", "senden", ["2026-11-24"]),
])
def test_the_place_of_another_sentence_is_the_requests_place(text, space, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, it.space, [d.isoformat() for d in it.dates]) == ("book", space, days)


@pytest.mark.parametrize("text, days", [
    # the n-th or last weekday of a month
    ("Senden am ersten Montag im Dezember", ["2026-12-07"]),
    ("am zweiten Dienstag im Januar Olfen", ["2027-01-12"]),
    ("the last Wednesday in January, Olfen", ["2027-01-27"]),
    ("first Monday of next month in Olfen", ["2026-12-07"]),
    # a weekday as the anchor of "in n weeks" (German "in acht Tagen" is a week), British "Thursday week"
    ("Senden Freitag in 8 Tagen", ["2026-12-04"]),
    ("Am Montag in einer Woche Senden", ["2026-11-30"]),
    ("Dülmen a week from Friday", ["2026-12-04"]),
    ("Dülmen Thursday week", ["2026-12-03"]),
    # the edge of a week is one day of it; a weekday named beside it decides
    ("Senden Ende der Woche", ["2026-11-27"]),
    ("Senden Mitte nächster Woche", ["2026-12-02"]),
    ("Senden early next week", ["2026-11-30"]),
    ("Anfang nächster Woche, Dienstag am besten, Rosendahl", ["2026-12-01"]),
])
def test_days_named_by_their_place_in_a_month_or_week(text, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == ("book", days)


@pytest.mark.parametrize("text, part, start, end", [
    ("Olfen morgen vor der Mittagspause", "morning", None, None),
    ("Olfen tomorrow before lunch", "morning", None, None),
    ("Olfen morgen bis zur Mittagspause", "morning", None, "12:00"),
    ("ich brauch morgen einen platz in olfen so ab viertel nach acht bis mittags eins", None, "08:15", "13:00"),
    ("di nm olfen pls", "afternoon", None, None),
])
def test_lunch_as_the_edge_of_a_half_day(text, part, start, end):
    j = parse(text, NOW, SPACES).to_json()
    assert (j["intent"], j["part"], j["start"], j["end"]) == ("book", part, start, end)


def test_nm_alone_is_never_mind_not_an_afternoon():
    assert parse("nm, forget it", NOW, SPACES).intent != "book"


@pytest.mark.parametrize("text, intent", [
    # a question, then a request on its answer: a request ("Wenn ja, mach bitte"), asked before booking when it is only
    # a wish; a booking stated as what one would do then ("Würde dann gern buchen") leaves the question
    ("Is Billerbek open on Friday? If so I'd like a desk", "book"),
    ("Kann man für Do in Senden buchen? Wenn ja, mach bitte.", "book"),
    ("gibts am 10.12 in havixbeck platz für 5 leute? dann würd ich buchen", "availability"),
    ("Wäre am Do. 26.11. in Billerbeck noch ein Platz für mich? Würde dann gern buchen", "availability"),
    ("Is Olfen free on Friday? I'd book it then", "availability"),
    # a remark after the question is no request
    ("Ist Olfen morgen frei? Mach dir keinen Stress", "availability"),
])
def test_a_request_on_the_answer_to_a_question(text, intent):
    it = parse(text, NOW, SPACES)
    assert it.intent == intent and it.dates and (intent != "book" or it.confidence < CONFIDENT or "mach" in text)


@pytest.mark.parametrize("text, intent", [
    # away with a reason and no booking named: an absence (the bot asks about any booking then, cancels nothing)
    ("Sick today, sorry, not coming in", "absence"),
    ("Kind krank 🤒 bin morgen raus", "absence"),
    ("Wir haben am 18.12. Weihnachtsfeier, da bin ich nicht im Coworking", "absence"),
    ("I'm at a training course next week, I probably won't come in at all", "absence"),
    ("morgen bin ich im büro in münster", "absence"),
    # a booking named, or a place, or a change of plan: a cancellation
    ("bin krank, bitte morgen stornieren", "cancel"),
    ("schaffe es Freitag doch nicht nach Olfen", "cancel"),
    # a past day whose record is missing; a forgotten key is a story
    ("am 18.11. war ich in havixbeck, taucht nicht in der abrechnung auf", "past_day"),
    ("last Tuesday I was in Olfen but forgot to check in", "past_day"),
    ("Vorgestern in Olfen hab ich den Schlüssel vergessen", "smalltalk"),
    # one's own bookings asked about
    ("Did I book Ascheberg for tomorrow or was it Wednesday?", "list"),
    ("which days am I in Lüdinghausen?", "list"),
    # a language the bot does not speak, named in any language, with a place in another sentence
    ("Türkçe konuşabilir misin?", "language"),
    ("Könnten Sie bitte auf Niederländisch antworten? Ik ben Nederlander, woon in Rosendahl", "language"),
    # Münsterland Platt
    ("Ick bün nu dor! Nordkirchen", "checkin"),
    ("Wat heb ick noch an Dage över?", "contingent"),
])
def test_blind24_kinds(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


def test_another_language_is_offered_the_choice_not_switched():
    it = parse("Can you speak Polish?", NOW, SPACES)
    assert it.intent == "language" and it.args == ["other"] and it.lang in ("de", "en")


@pytest.mark.parametrize("text, days", [
    # a series to an end day: those weekdays up to it, never every day up to it
    ("jeden Dienstag bis 17.12. senden", ["2026-11-24", "2026-12-01", "2026-12-08", "2026-12-15"]),
    ("ab nächster woche dienstags und donnerstags bis 17.12. senden",
     ["2026-12-01", "2026-12-03", "2026-12-08", "2026-12-10", "2026-12-15", "2026-12-17"]),
    ("every Monday until 21 December at Coesfeld", ["2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21"]),
    # a range of days without their final dots, weekdays in front
    ("Mo 30.11 bis Mi 2.12 Olfen", ["2026-11-30", "2026-12-01", "2026-12-02"]),
    ("jeden donnerstag koesfeld", ["2026-11-26", "2026-12-03", "2026-12-10", "2026-12-17"]),
])
def test_series_to_an_end_day_and_ranges(text, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == ("book", days) and it.space


@pytest.mark.parametrize("text, desks", [
    ("Wir sind ein 3er-Team aus Münster und würden gern am 9.12 in Senden arbeiten", 3),
    ("Ich und meine zwei Azubis würden gern am 3.12 nach Lüdinghausen", 3),
    ("Dülmen morgen, 4 Schreibtische", 4),
    ("me and 2 interns in Olfen tomorrow", 3),
])
def test_team_sizes_of_blind24(text, desks):
    it = parse(text, NOW, SPACES)
    assert (it.intent, it.desks) == ("book", desks)


@pytest.mark.parametrize("text, intent, space, days", [
    # a correction decides, also after a question, in the sentence that names the new day (not its reason)
    ("Friday Billerbeck. Or actually no, Havixbeck is closer for me. So Friday Havixbeck.", "book", "havixbeck",
     ["2026-11-27"]),
    ("I was thinking of the 8th first, but that's my daughter's birthday... so rather Dec 9 in Billerbeck", "book",
     "billerbeck", ["2026-12-09"]),
    ("i think i'll take havixbeck the day after tomorrow, or tomorrow? nah, day after tomorrow.", "book", "havixbeck",
     ["2026-11-25"]),
    ("need something in nordkirchen tomorrow, no wait, dentist tomorrow. thursday then", "book", "nordkirchen",
     ["2026-11-26"]),
    ("Please delete my booking in Senden on 3 Dec. No wait, the one on 4 Dec! The 3rd stays.", "cancel", "senden",
     ["2026-12-04"]),
    ("Ich würde gern am Wochenende vor Weihnachten... ne Quatsch, Freitag 18.12. in Senden", "book", "senden",
     ["2026-12-18"]),
    # every day of a range is the range
    ("every day from tomorrow till Friday in Coesfeld please", "book", "coesfeld",
     ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]),
])
def test_corrections_and_daily_ranges(text, intent, space, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, it.space, [d.isoformat() for d in it.dates]) == (intent, space, days)


@pytest.mark.parametrize("text, intent", [
    ("what's the weather like tomorrow?", "unknown"),
    ("is it gonna rain in Senden tomorrow?", "smalltalk"),
    ("Mein Standard soll Lüdinghausen sein, da bin ich fast immer", "settings"),
    ("Nee, dat wollt ick nich! Mach dat letzte wedder weg", "undo"),
    ("Vielen lieben Dank, Sie sind ja fixer als meine Bank 😄", "thanks"),
])
def test_blind24c_small_kinds(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text, days", [
    # every day of a week from or until a day of it
    ("Diese Woche noch ab morgen jeden Tag Lüdinghausen", ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]),
    ("jeden Tag nächste Woche ab Dienstag Olfen", ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]),
    ("nächste Woche jeden Tag bis Donnerstag Olfen", ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"]),
])
def test_every_day_of_a_week_from_or_until_a_day(text, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == ("book", days)


@pytest.mark.parametrize("text, intent", [
    ("how many days are left for my team in December?", "company_contingent"),
    ("Wie viele Tage hat mein Team noch?", "company_contingent"),
    ("wie viele tage hab ich noch? mein team fragt auch", "contingent"),
    ("Kannst du mir sagen ob ich morgen in Olfen gebucht bin?", "list"),
    ("can you check if I'm booked in Olfen tomorrow?", "list"),
])
def test_whose_days_and_whose_bookings(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text, days", [
    # a day named by its place next to a named day
    ("Den Tag nach Nikolaus hätte ich gern einen Platz in Billerbeck", ["2026-12-07"]),
    ("Tag vor Silvester Rosendahl", ["2026-12-30"]),
    ("Book me Lüdinghausen for the Monday after New Year, please", ["2027-01-04"]),
    ("Monday and Tuesday after Christmas, Billerbeck", ["2026-12-28", "2026-12-29"]),
    ("der erste Werktag nach Neujahr Olfen", ["2027-01-04"]),
    ("Am Tag nach dem ersten Advent würde ich gerne nach Nordkirchen", ["2026-11-30"]),
    ("Dreikönige Havixbeck, ganztags", ["2027-01-06"]),
    ("Rosenmontag bitte Havixbeck", ["2027-02-08"]),
    # "and the day before"
    ("Olfen Freitag und den Tag davor", ["2026-11-26", "2026-11-27"]),
    # the holidays as a time frame are no absence
    ("In den Weihnachtsferien bräucht ich vom 28. bis 30.12. was in Olfen, die Kinder sind dann bei Oma",
     ["2026-12-28", "2026-12-29", "2026-12-30"]),
])
def test_days_next_to_named_days(text, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == ("book", days)


@pytest.mark.parametrize("text, intent", [
    # a booking or cancellation beside a setting: the act of the message
    ("next wed billerbeck pls and can u switch my reminders to 6:45", "book"),
    ("Rosendahl nächsten Freitag absagen bitte und erinner mich auch nicht mehr dran", "cancel"),
    ("Erinnere mich morgen früh an Olfen", "settings"),
    # a past weekday the sender was at, asked to be recorded
    ("Samstag war ich in Senden, zählt das auch? Bitte eintragen", "past_day"),
    # no coworking today: an absence, never a booking
    ("Heute kein Coworking für mich, Kita ist wegen Grippewelle zu", "absence"),
    ("heute kein Coworking", "absence"),
    # a reaction to the reply
    ("👍", "thanks"),
    ("danke 🙏", "thanks"),
    ("😂", "unknown"),
])
def test_blind25_kinds(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text, intent, days", [
    # a day said not is left out, the other one asked for; never the one said not
    ("Buch mir nächste Woche Nottuln, aber bloß nicht am Freitag, da hab ich Zahnarzt", "book",
     ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"]),
    ("nächste Woche Nottuln, aber nicht Freitag", "book", ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"]),
    ("Nicht heute, sondern morgen – Rosendahl", "book", ["2026-11-24"]),
    ("Olfen nicht Freitag sondern Donnerstag", "book", ["2026-11-26"]),
    ("Ich kann nicht am Freitag, aber Donnerstag Olfen", "book", ["2026-11-26"]),
    ("Montag Olfen, Dienstag nicht", "book", ["2026-11-30"]),
    # a day in a town with no space of ours is no booking
    ("morgen bin ich in Münster", "absence", ["2026-11-24"]),
    ("ich fahr morgen eh nach Münster, aber übermorgen brauch ich Senden", "book", ["2026-11-25"]),
    ("Thursday I'm in Münster anyway, but Friday book me into Olfen", "book", ["2026-11-27"]),
])
def test_days_said_not_and_days_elsewhere(text, intent, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, days)


@pytest.mark.parametrize("text, intent", [
    # an employer's views asked in the admin's own words
    ("Admin here: what did my staff book in Coesfeld this week?", "team_bookings"),
    ("Übersicht Teambuchungen Lüdinghausen bitte", "team_bookings"),
    ("What has Anna actually booked? I'm her manager", "team_bookings"),
    ("Welche Buchungen hat Anna? Ich bin ihre Chefin", "team_bookings"),
    ("Ich bin Admin bei uns: wie viel ist vom Firmenkontingent noch übrig?", "company_contingent"),
    ("what did i book?", "list"),
    ("buch mir und meinen mitarbeitern morgen olfen", "book"),
    # how something works is the help
    ("Wie funktioniert das mit dem Einchecken?", "help"),
    ("How does check-in work?", "help"),
])
def test_admin_views_and_how_it_works(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text, intent", [
    ("keine nachrichten mehr am wochenende bitte", "settings"),
    ("ist frau hölscher am 3.12 in havixbeck?", "who"),
    # thanks beside a request is an aside
    ("coesfeld friday 🙏 thx in advance bro", "book"),
    ("danke, und morgen olfen bitte", "book"),
    # a language asked for in any language
    ("Kun je ook in het Nederlands antwoorden? Ik woon net over de grens.", "language"),
    ("Geht das auch auf Türkisch? Für meinen Vater wäre das einfacher", "language"),
    ("Ich hab heute einen Kurs in Spanisch", "smalltalk"),
])
def test_blind25_more(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text, days, part, end", [
    # days of a month without the month: this month's if they are to come, else the next month's
    ("Olfen vom 1. bis 3.", ["2026-12-01", "2026-12-02", "2026-12-03"], None, None),
    ("Olfen vom 25. bis 27.", ["2026-11-25", "2026-11-26", "2026-11-27"], None, None),
    # until noon is the morning half, ending at noon
    ("Olfen morgen bis mittags", ["2026-11-24"], "morning", "12:00"),
    ("Olfen morgen, aber nur bis zum Mittag", ["2026-11-24"], "morning", "12:00"),
    # halves of the day by their names
    ("Olfen tomorrow first half", ["2026-11-24"], "morning", None),
    ("Olfen morgen zweite Tageshälfte", ["2026-11-24"], "afternoon", None),
    ("Olfen tomorrow late afternoon", ["2026-11-24"], "afternoon", None),
])
def test_days_of_a_month_and_halves_of_a_day(text, days, part, end):
    j = parse(text, NOW, SPACES).to_json()
    assert (j["intent"], j["dates"], j["part"], j["end"]) == ("book", days, part, end)


def test_a_range_of_days_ending_past_the_month_is_the_next_months():
    it = parse("Urlaub vom 28. bis 31.", NOW, SPACES)
    assert it.intent == "absence" and [d.isoformat() for d in it.dates][0] == "2026-12-28"


@pytest.mark.parametrize("text, intent, desks, days", [
    ("Gudn Morgen, eventuell bräuchte ich am Mittwoch 2.12. nen Platz in Senden", "book", 1, ["2026-12-02"]),
    ("Mittwoch kommen wir mit dem ganzen Projektteam nach Ascheberg, wir sind insgesamt vier", "book", 4, ["2026-11-25"]),
    ("The day after tomorrow I'm at a client's in Münster, so I won't be around", "absence", 1, ["2026-11-25"]),
])
def test_greeting_typos_team_totals_and_days_at_a_client(text, intent, desks, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, it.desks, [d.isoformat() for d in it.dates]) == (intent, desks, days)


@pytest.mark.parametrize("text", [
    # a request in the sender's words beside a story, or asked as a question: a booking, asked before it books
    "Stever ist mal wieder übers Ufer getreten, die Straße nach Lüdinghausen ist zu. Bin dann morgen lieber in Olfen, "
    "kannste das machen?",
    "Can I get Havixbeck for Wednesday, Thursday and Friday this week? Working from there while my car's in the shop.",
    "Moinsen, Donnerstag ich und drei Kollegen nach Lüdinghausen, kriegt ihr das hin?",
    "Right, so I've got a client call at 2 but otherwise I'm free, could you sort me a desk in Ascheberg this afternoon?",
])
def test_a_request_in_the_senders_words_is_asked_before_it_books(text):
    it = parse(text, NOW, SPACES)
    assert it.intent == "book" and it.confidence < CONFIDENT


@pytest.mark.parametrize("text, intent", [
    # whether something is left is a question; a state asked about is no request
    ("Can I still get a seat in Billerbeck tomorrow?", "availability"),
    ("Is there any chance Senden is free on Friday?", "availability"),
])
def test_whether_something_is_left_stays_a_question(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text, intent", [
    # asked before booking: the question first
    ("Bevor ich buche: ab wann kann man in Billerbeck morgens rein? Ich fang gern früh an", "availability"),
    # not remembering is no negation of a booking
    ("Was hab ich morgen gebucht? Weiß nicht mehr ob Olfen oder Senden", "list"),
    ("Ich trau mich gar nicht mehr zu buchen, weil ich Angst hab, dass mein Budget leer ist. Kannst du nachschauen?",
     "contingent"),
    ("Olfen brauch ich nicht mehr", "cancel"),
    # someone's days, asked in English word order; one's own days asked without the word
    ("Can you check how many days Tobias Reher has left? I'm his team lead", "member_contingent"),
    ("Frohes Neues! Sind meine Tage jetzt wieder aufgefüllt? Wie viele hab ich für Januar?", "contingent"),
    ("Die Nachrichten kommen immer um 6 Uhr morgens, viel zu früh! Kann man das später stellen?", "settings"),
    # "remaining days" with a place and a week is the booking of them
    ("Olfen diese Woche, alle restlichen Tage", "book"),
    # a booked day named as wrong is cancelled, not the last action undone
    ("Ich hab den 2.12. in Dülmen gebucht, das war falsch – der soll einfach weg", "cancel"),
])
def test_blind26d_kinds(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


def test_a_half_named_beside_its_hours_stays():
    j = parse("ich hätte gern am Mittwoch vormittags einen Schreibtisch in Lüdinghausen, also so von 8 bis 12", NOW,
              SPACES).to_json()
    assert (j["part"], j["start"], j["end"]) == ("morning", "08:00", "12:00")
    j = parse("Olfen morgen vormittags 8 bis 15", NOW, SPACES).to_json()
    assert (j["part"], j["start"], j["end"]) == (None, "08:00", "15:00")


@pytest.mark.parametrize("text", [
    # weather small talk with a past "could" is no request
    "So foggy between Nottuln and Appelhülsen this morning, could barely see the road",
    "Heavy fog on the road to Rosendahl this morning, could barely see anything",
])
def test_what_one_could_barely_do_is_small_talk(text):
    assert parse(text, NOW, SPACES).intent == "smalltalk"


@pytest.mark.parametrize("text, intent", [
    # a question, and a remark after it with a "nicht" or "nix", cancels nothing
    ("was hab ich eigentlich nächste Woche alles gebucht? ich blick da nicht mehr durch", "list"),
    # a hedge on a booking ("I can always cancel") is no cancellation
    ("wenn das Wetter morgen hält fahr ich mitm Rad nach Havixbeck, also mach mal bitte einen Platz da fest, zur Not "
     "sag ich halt wieder ab", "book"),
    ("falls es Mittwoch glatt ist, bleib ich im Dorf, also Rosendahl, reservier mal vorsorglich, absagen kann ich ja "
     "immer noch oder?", "book"),
    ("bitte Freitag Olfen absagen", "cancel"),
])
def test_remarks_and_hedges_cancel_nothing(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


def test_and_so_is_no_sunday():
    assert [d.isoformat() for d in parse("morgen Olfen und so", NOW, SPACES).dates] == ["2026-11-24"]
    assert [d.isoformat() for d in parse("Olfen Sa und So", NOW, SPACES).dates] == ["2026-11-28", "2026-11-29"]


@pytest.mark.parametrize("text, intent", [
    ("hups, zurück bitte, das wollt ich nicht", "undo"),
    ("czy możesz pisać po polsku? ok if not, English is also fine", "language"),
    ("morgen zusammen, bin jetzt in Havixbeck am Platz, mein Kollege kommt später", "checkin"),
    ("morgen zusammen in Olfen", "book"),
    ("sag mal, weißt du ob meine Kollegin Frau Brüggemann Mittwoch in Lüdinghausen ist", "who"),
    ("Jana wollte heute auch nach Rosendahl kommen, weißt du ob die schon da ist?", "who"),
    ("weißt du ob Olfen morgen offen ist?", "availability"),
    ("kurze Frage als Admin, meine Mitarbeiterin Frau Demir fragt wie viel sie noch hat", "member_contingent"),
    ("danke, hat geklappt, mein Mann war auch ganz begeistert lol", "thanks"),
    ("Super, vielen lieben Dank! Das war ja einfacher als gedacht", "thanks"),
])
def test_blind26b_kinds(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


def test_a_colleague_coming_along_after_all_is_a_second_desk_and_actually_corrects():
    assert parse("ja passt so, aber mach bitte noch einen zweiten Platz dazu, mein Kollege kommt doch mit", NOW,
                 SPACES).desks == 2
    it = parse("i was gonna say friday but actually thursday works better, so thursday in ascheberg from 9 to 3 please",
               NOW, SPACES)
    assert [d.isoformat() for d in it.dates] == ["2026-11-26"]


@pytest.mark.parametrize("text", [
    # when a space opens or closes is asked, whatever remark follows
    "wann macht Lüdinghausen morgens auf? mein Bus kommt um 7:20 an und ich will nicht in der Kälte stehen",
    "what time does Nordkirchen close on Fridays? I might have to wait for the late bus",
    "wann macht Olfen auf?",
])
def test_opening_hours_asked(text):
    it = parse(text, NOW, SPACES)
    assert it.intent == "availability" and it.topic == "hours"


@pytest.mark.parametrize("text, intent, days", [
    # a kind of day ("on a Sunday", "Is that a Monday?") is none of them
    ("Sorry for the late message on a Sunday, I need Coesfeld tomorrow", None, ["2026-11-24"]),
    ("Book me Lüdinghausen on the 7th of December, please. Is that a Monday? I always mix up the days", "book",
     ["2026-12-07"]),
    ("Ich dachte an Donnerstag, Ort egal – ach nee, Olfen wär am besten, da wohn ich ja.", "book", ["2026-11-26"]),
    # a record missing, a booking given back, what to bring, whether to tell
    ("Why wasn't I recorded in Coesfeld yesterday? I was there!", "past_day", ["2026-11-22"]),
    ("Can I give back my whole booking for next week?", "cancel",
     ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]),
    ("Do I need to bring anything, like an ID, or is the booking via this bot enough?", "help", []),
    ("Do I need to tell you if I'm not coming on Thursday? I have a doctor's appointment", "absence", ["2026-11-26"]),
])
def test_blind26d_more(text, intent, days):
    it = parse(text, NOW, SPACES)
    assert (intent is None or it.intent == intent) and [d.isoformat() for d in it.dates] == days


def test_chat_in_every_sentence_is_small_talk():
    it = parse("Raining cats and dogs in Rosendahl again. Is it ever not raining in the Münsterland on a Monday?", NOW,
               SPACES)
    assert it.intent == "smalltalk"


@pytest.mark.parametrize("text, intent", [
    # blind27d: settings, desks, absences, records, views, greetings
    ("schick mir die nachrichten bitte erst ab 9, nich so früh", "settings"),
    ("Standard-Standort bitte auf Lüdinghausen setzen", "settings"),
    ("Die anderen sollen nicht sehen, dass ich in Coesfeld bin", "settings"),
    ("hallo hier ist renate ich wollte nur sagen dass ich heute nicht komme mein auto springt nicht an", "absence"),
    ("heut nich, kind hat fieber", "absence"),
    ("Am 18.11. war ich in Billerbeck, das steht aber nicht in meiner Übersicht", "past_day"),
    ("wie viel budget is bei mir noch übrig für dieses jahr", "contingent"),
    ("Hallo, ich mach bei uns die Verwaltung (Dachdeckerei, 8 Leute). Reicht unser Kontingent noch bis Jahresende?",
     "company_contingent"),
    ("Als Admin: wie ist der Stand von unserem Gesamtbudget?", "company_contingent"),
    ("Admin hier. Wie viel Budget hat unser Azubi Lukas noch übrig?", "member_contingent"),
    ("kannst du mir sagen wie viel die anja noch hat? bin ihre chefin", "member_contingent"),
    ("was hat der mehmet noch an tagen? der will nächste woche jeden tag nach dülmen", "member_contingent"),
    ("Hallo, Elektro Schürmann hier. Welche von unseren Jungs sind am Mittwoch eingebucht?", "team_bookings"),
    ("Tach zusammen", "help"),
    ("jau, passt", "thanks"),
])
def test_blind27d_kinds(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text, desks", [
    ("Kannst du für uns beide morgen in Senden was buchen? Mein Mann kommt mit", 2),
    ("Ich und mein Kompagnon brauchen Montag Plätze in Ascheberg", 2),
    ("Für unsere 2 Azubis bitte am 3.12. Plätze in Coesfeld, die Berufsschule fällt aus", 2),
])
def test_blind27d_desks(text, desks):
    it = parse(text, NOW, SPACES)
    assert (it.intent, it.desks) == ("book", desks)


@pytest.mark.parametrize("text, intent, days", [
    # English dates in the US order, when only that order is a date or it comes first
    ("Please book the Coesfeld space for 12/15 thru 12/17.", "book", ["2026-12-15", "2026-12-16", "2026-12-17"]),
    ("Could you reserve Olfen on 12/4? (that's December 4th, US format 🙂)", "book", ["2026-12-04"]),
    ("Olfen am 3/12", "book", ["2026-12-03"]),
    # "now" beside a day named is that day
    ("can u put me in rosendahl for thursday pls, driving to enschede is a nightmare rn", "book", ["2026-11-26"]),
    ("any free desks in coesfeld rn?", "availability", ["2026-11-23"]),
    ("wenn in Dülmen Donnerstag doch noch was frei wird, sag mir bitte Bescheid, dann nehm ich das sofort", "waitlist",
     ["2026-11-26"]),
    # a train cancelled is no booking cancelled; "straight away" nobody away; weather asked
    ("my RE42 got cancelled AGAIN 🙄 just put me in Dülmen for today pls", "book", ["2026-11-23"]),
    ("Is there room in Havixbeck on Thursday for 3 of us? If yes I'll book straight away", "availability",
     ["2026-11-26"]),
    ("Is it just me or is it absolutely freezing in Coesfeld today?", "smalltalk", ["2026-11-23"]),
    ("Snow day, I'm not going anywhere today ❄️", "absence", ["2026-11-23"]),
    ("Which days have I got in Coesfeld at the moment?", "list", []),
])
def test_blind27c_kinds(text, intent, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, days)


def test_leaving_at_is_the_end():
    j = parse("Please reserve Coesfeld for Wednesday 2nd December, arriving at 10 and leaving at 3", NOW, SPACES).to_json()
    assert (j["start"], j["end"]) == ("10:00", "15:00")


@pytest.mark.parametrize("text, space", [
    # cancel one place and book another the same day: the booking in the other place (the move is offered)
    ("Cancel Tuesday in Havixbeck and book me Nottuln instead, the parking's easier", "nottuln"),
    ("Storniere bitte Dienstag in Senden und buch mir stattdessen Dienstag Dülmen", "duelmen"),
])
def test_cancel_here_book_there_the_same_day(text, space):
    it = parse(text, NOW, SPACES)
    assert (it.intent, it.space, [d.isoformat() for d in it.dates]) == ("book", space, ["2026-11-24"])


@pytest.mark.parametrize("text, intent", [
    ("Hi, I'm new here. Is this the bot for booking desks? What do I type?", "help"),
    ("Is there an English version? Your last message came in German and I couldn't read it", "language"),
    ("Hi, I look after the coworking contract for our firm. Are we close to our monthly limit?", "company_contingent"),
    ("turn off the weekly summary pls", "settings"),
])
def test_blind27c_more(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text, intent, desks", [
    ("Can you order a pizza to the Coesfeld space for lunch?", "unknown", 1),
    ("Kannst du mir ne Pizza nach Ascheberg bestellen?", "unknown", 1),
    ("buch mir Olfen morgen, und bestell mir ne Pizza", "book", 1),
    ("Good afternoon, I'd like to arrange desks for my colleague Priya and myself in Lüdinghausen on Friday 4 December.",
     "book", 2),
])
def test_orders_we_cannot_serve_and_a_named_colleague(text, intent, desks):
    it = parse(text, NOW, SPACES)
    assert (it.intent, it.desks) == (intent, desks)


def test_a_town_dictated_in_pieces():
    it = parse("hey deskbot book me a desk in loo ding hausen for next monday", NOW, SPACES)
    assert (it.intent, it.space) == ("book", "luedinghausen")
    assert parse("need a place in coesfield day after tomorrow", NOW, SPACES).dates[0].isoformat() == "2026-11-25"


@pytest.mark.parametrize("text, days, part, end", [
    ("Wednesday AM, Ascheberg, ta", ["2026-11-25"], "morning", None),
    ("Olfen tomorrow PM", ["2026-11-24"], "afternoon", None),
    ("Can I book Coesfeld tomorrow from 8:45 a.m. until a quarter to five?", ["2026-11-24"], None, "16:45"),
    # the day of a weekend named beside it
    ("Gonna be in Olfen visiting my gran this weekend, can I grab a desk there on Saturday?", ["2026-11-28"], None, None),
    ("Olfen am Wochenende, Samstag und Sonntag", ["2026-11-28", "2026-11-29"], None, None),
])
def test_halves_quarters_and_weekend_days(text, days, part, end):
    j = parse(text, NOW, SPACES).to_json()
    assert (j["dates"], j["part"], j["end"]) == (days, part, end)


@pytest.mark.parametrize("text, intent, days", [
    # blind28b's confident bookings from non-booking lines: a question and what one would do on its answer, both
    # desks given up after a correction, a day of the month gone told in the past tense
    ("Was ist am Freitag in Nordkirchen noch frei? Je nachdem nehm ich dann vormittags oder nachmittags",
     "availability", ["2026-11-27"]),
    ("Gibt's Kollegen, die Mittwoch in Nordkirchen sind? Dann würd ich mich für ne Fahrgemeinschaft melden", "who",
     ["2026-11-25"]),
    ("Die zwei Plätze in Rosendahl für Donnerstag – einer würde reichen. Nee, wisst ihr was, beide weg.", "cancel",
     ["2026-11-26"]),
    ("Hatte am 19. in Olfen gesessen, die Buchung fehlt aber bei mir", "past_day", ["2026-11-19"]),
    ("am 19. bin ich in Olfen", "book", ["2026-12-19"]),
])
def test_blind28b_confident_non_bookings(text, intent, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == (intent, days)


@pytest.mark.parametrize("text, days", [
    ("Nach Neujahr der erste Werktag – Lüdinghausen, bitte", ["2027-01-04"]),
    ("Saturday in Lüdinghausen won't work I guess, so Friday then", ["2026-11-27"]),
    ("Mittwoch geht bei mir nicht, also Donnerstag Olfen", ["2026-11-26"]),
    # English "do" is the verb, not Donnerstag
    ("cancel thursday billerbeck and do friday billerbeck instead", ["2026-11-27"]),
    ("Olfen do und fr", ["2026-11-26", "2026-11-27"]),
])
def test_days_that_do_not_work_and_the_verb_do(text, days):
    it = parse(text, NOW, SPACES)
    assert (it.intent, [d.isoformat() for d in it.dates]) == ("book", days)


@pytest.mark.parametrize("text, desks", [
    ("Could you reserve Havixbeck for Anna, Ben and me next Friday?", 3),
    ("für Lisa, Tom und mich morgen Olfen", 3),
    ("bitte 3x Nottuln morgen nachmittag", 3),
])
def test_desks_for_named_people_and_times_x(text, desks):
    it = parse(text, NOW, SPACES)
    assert (it.intent, it.desks) == ("book", desks)


@pytest.mark.parametrize("text, intent", [
    # whether the space is open decides: the question first
    ("Can you even work in Billerbeck on Christmas Eve or is it closed?", "availability"),
    ("Ich will Samstag in Billerbeck arbeiten, habt ihr da überhaupt auf?", "availability"),
    # an explicit booking with a side question about the hours stays the booking
    ("Buch mir bitte Mi in Nottuln – und sag mal, ab wann ist da morgens offen?", "book"),
])
def test_whether_it_is_open_decides(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text, intent", [
    # a request and a side question the booking's reply answers (price, hours)
    ("donnerstag billerbeck. und was kostet eigentlich ein tag?", "book"),
    # a question about that very request waits for the answer
    ("Olfen morgen, was kostet das?", "availability"),
    ("Olfen tomorrow, how much is that?", "availability"),
])
def test_a_side_question_about_price_or_hours(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text", [
    # a request with its place and days, an absence word only its reason or its setting
    "Bitte die ganze nächste Woche Ascheberg buchen, bin dann da in der Gegend auf Montage",
    "äh also ich bin Pflegekraft, hab Spätschicht die ganze Woche und bräuchte vormittags halt nen ruhigen Platz für "
    "meine Weiterbildung, geht Mittwoch und Freitag in Dülmen",
])
def test_a_request_beside_an_absence_word_is_the_request(text):
    assert parse(text, NOW, SPACES).intent == "book"


def test_an_absence_with_a_cancellation_stays_the_cancellation():
    assert parse("bin nächste Woche auf Montage, bitte Olfen stornieren", NOW, SPACES).intent == "cancel"


@pytest.mark.parametrize("text, days, start", [
    # a correction read clause by clause: the new day, not the one with the dentist
    ("Platz in Dülmen für den 8. Dezember bitte – ach nee, 9. Dezember, am 8. hab ich Zahnarzt", ["2026-12-09"], None),
    ("Dienstag Dülmen... ach nee, Dienstag hab ich Zahnarzt, mach Donnerstag draus", ["2026-11-26"], None),
    ("Could you put me down for a desk in Ascheberg on Friday? Actually no, Thursday works better — Friday I've got "
     "the kids.", ["2026-11-26"], None),
    # the start asked for, not the appointment's
    ("Am Montag hab ich Zahnarzt in Coesfeld um 10, danach könnte ich dort arbeiten. Also Montag ab 12 in Coesfeld bitte",
     ["2026-11-30"], "12:00"),
    # a list after a relative day
    ("morgen, Mittwoch und Freitag in Coesfeld", ["2026-11-24", "2026-11-25", "2026-11-27"], None),
    ("Gueden Morgen, ick bün krank, de Grippe hett mi. Heute und morgen wird nix", ["2026-11-23", "2026-11-24"], None),
])
def test_corrections_by_clause_starts_and_lists(text, days, start):
    j = parse(text, NOW, SPACES).to_json()
    assert (j["dates"], j["start"]) == (days, start)


@pytest.mark.parametrize("text, intent", [
    # a full place in a remark about another place is no question about the request
    ("ich will heute nachmittag nach nottuln, die bib an der uni ist voll 😤", "book"),
    # a remark that asks or points back stays the question
    ("Morgen Olfen, ist da noch was frei?", "availability"),
    ("tomorrow or wednesday in senden, whichever is free", "availability"),
    ("Senden morgen, wie ist die Lage", "availability"),
])
def test_a_full_place_elsewhere_beside_a_request(text, intent):
    assert parse(text, NOW, SPACES).intent == intent


@pytest.mark.parametrize("text", [
    # a day said not inside a range is left out of the range (it was dropped as a day and kept inside the range)
    "Mo 30.11 bis Mi 2.12 Olfen, aber bloß nicht Dienstag",
    "Montag bis Mittwoch Olfen, aber nicht Dienstag",
])
def test_a_day_said_not_inside_a_range(text):
    assert [d.isoformat() for d in parse(text, NOW, SPACES).dates] == ["2026-11-30", "2026-12-02"]
