"""Free-text understanding: one chat message -> `Intent` (German and English).

`parse(text, now, spaces)` is pure (no I/O, no DB) and fast: everything (regexes, the space-name
index, the typo lexicon) is compiled once per `spaces` tuple in a `_Parser` kept in an LRU cache.
`rapidfuzz` is imported lazily, so importing this module stays cheap.

How a message is read
---------------------
1. Slash command (``/book@DeskBot args`` -> ``book`` + args); the arguments go through the same rules.
2. The text is folded (lower case, ä->ae, ö->oe, ü->ue, ß->ss, accents dropped, emoji removed) and
   every unknown word of 4+ letters is typo-corrected against a small lexicon (date words, verbs,
   space names) with rapidfuzz (same first letter required, ratio >= 80; >= 88 for 4 letters).
3. Entities are cut out of the text one after another (desks, dates, parts of day, times, space, a
   colleague's name, a month), then the intent, its confidence and a runner-up are chosen (below).

Date rules (all relative to ``now.date()``, the local date of the aware ``now``)
--------------------------------------------------------------------------------
* heute/today, morgen/tomorrow (``heute morgen`` = today morning, ``morgen früh`` = tomorrow morning),
  übermorgen/the day after tomorrow, gestern/yesterday, ``in N Tagen/Wochen``, ``in a week``.
* A bare weekday ("Montag", "Mo", "Mon") is the next such day *after* today (1..7 days ahead):
  on a Monday, "Montag" means the Monday a week later (for today one says "heute").
  "diesen/kommenden Montag", "this/coming Monday" = the next such day from today on (today included).
  "nächsten Montag", "next Monday", "Montag nächste Woche", "Monday next week" = that weekday in the
  next calendar week (Mon-Sun weeks); "übernächste Woche" / "week after next" = two weeks ahead.
* A weekday written right next to an explicit date ("Di 1.12.", "Dienstag, den 1.12.") is a label and
  adds no date of its own.
* "nächste Woche" / "die ganze nächste Woche" without a weekday = Mon-Fri of next week;
  "diese Woche" / "this week" = the remaining Mon-Fri days from today on; "KW 49" = Mon-Fri of ISO week 49.
* Ranges "Mo-Fr", "Montag bis Mittwoch", "vom 1. bis 3. Dezember", "1.12.-3.12.", "heute bis Freitag"
  list every day from the first to the last (weekends included when the range spans them, except
  weekday ranges which only span the named weekdays' interval).
* Recurrence ("jeden Freitag", "every Monday", "alle Dienstage", "dienstags", "jeden Tag" = Mon-Fri):
  with a month ("im Dezember", "next month") every such day of that month from today on; with a week
  context that week; otherwise the next 4 occurrences (first one chosen by the bare-weekday rule).
* Day-month without year ("3.12.", "1. Dezember", "Dec 1st"): this year, unless that date lies more
  than 90 days in the past, then next year (so "20.11." on 23.11. stays in the past, "5.1." in late
  December is next January). Two-digit years are 20xx.
* "am 24." / "on the 24th": this month if the day has not passed yet (today counts), else the next
  month that has that day.
* Named days (Heiligabend, Silvester, Neujahr, Weihnachten, Christmas Eve, New Year's Eve, Easter-based
  holidays, ...) = the next occurrence from today on.
* Explicitly named past days stay as given; weekends and holidays are listed like any other day.
* Something that clearly tried to be a date but could not be read ("am 35.13.", "on Blursday") sets
  ``date_text_unreadable``.
* Clock hours are read for an office day: a start hour 1-6 without am/pm is the afternoon (bare, "Uhr" or with
  minutes: "ab 3" = "ab 3 Uhr" = 15:00), an end hour 1-7 likewise ("bis 7" = 19:00); ranges are increasing
  ("von 1 bis 4" = 13-16, "9-3" = 09-15) and end by 21:00 when read as the afternoon; morning words
  (morgens, früh, vormittags, a.m.) and a leading zero ("06:30") keep the hour as written.

Desk choice: ``desk_label`` ("Platz 3", "Schreibtisch Nr. 3", "seat #3" -> "3"; the number is then no date,
time or team size) and ``desk_features`` (the world file's ``monitor``, ``quiet``, ``standing`` from their
synonyms: "mit Bildschirm", "ein ruhiger Platz", "Stehpult", "standing desk"; typos allowed, negations not).

Extras: ``args`` carries the invite code for ``start``, the language code for ``language``,
``["all"]`` for "cancel all bookings" and the lower-cased words for ``settings`` ("Erinnerung 19:30" ->
``["erinnerung", "19:30"]``).

Intent and confidence (issue 13)
--------------------------------
After the entities are cut out, the intent is chosen from principled cues, in this order: the intent's own
words (settings/reminders, undo, thanks, waitlist, employer views, absence, cancel, check-in, contingent,
list, help), then "who is where", then past days, then the booking decision:

* a booking verb (buchen, reservieren, book, eintragen, ...) -> ``book``; as an impersonal question
  ("Kann man morgen noch buchen?") or next to an availability word ("... or is it full?") -> ``availability``;
* a question (final "?", or an interrogative first word: ist/gibt/geht/hat/wer/wie/is/are/any/...) is never
  a confident booking: availability words, opening hours and prices -> ``availability``; small-talk topics
  -> ``smalltalk``; "kann ich ... haben", "can I get", "hätte ich" -> ``book`` below CONFIDENT (ask first);
* a statement: a bare "day + place" fragment (nothing left but fillers) or a request ("brauche", "möchte",
  "bitte", "I need", a desk word, a colleague) -> ``book``; a statement with other content (a verb, a
  topic: weather, buses, football, shops) -> ``smalltalk``; one unknown word -> ``book`` below CONFIDENT.

Messages about past days never ``book``: a request for a past day is ``past_day``, a story is
``smalltalk``. Small talk naming no day or place stays ``unknown`` with ``topic="smalltalk"``.
``confidence`` is at most 0.7 when the space came from a typo (``space_fuzzy``, "Meintest du ...?"), the
part from "halbtags" (``part="morning"``, ``part_guessed``) or a date could not be read. The dialogue acts
only at ``confidence >= CONFIDENT`` and otherwise asks with buttons (``alternative`` = the runner-up).

Second opinion (bot/intent_model.py): a small character-n-gram logistic regression, trained on the corpora by
scripts/train_intents.py, looks at the two readings where the rules are most likely wrong in a costly way. A
confident ``book`` it gives a booking probability below ``VETO_BOOK`` goes below CONFIDENT (the dialogue asks;
``alternative`` = its choice), or, when its choice changes nothing (availability, who, small talk, help, ...)
at >= ``SWAP_SAFE``, becomes that intent with ``book`` as the alternative. An ``unknown`` takes such an intent
at >= ``ADOPT_SAFE``, or ``book`` below CONFIDENT (asked first). Loaded lazily once; without the file the rules
decide alone.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Sequence

from bot.domain import Intent, SpaceRef

__all__ = ["CONFIDENT", "parse"]

# At or above this confidence the dialogue may act on a parsed intent; below it, it asks with buttons.
CONFIDENT = 0.75

# ---------------------------------------------------------------------------------------------
# vocabulary
# ---------------------------------------------------------------------------------------------

_WEEKDAYS: dict[str, int] = {}
for _i, _forms in enumerate(
    [
        ("montag", "mo", "monday", "mon"),
        ("dienstag", "di", "tuesday", "tue", "tues"),
        ("mittwoch", "mi", "wednesday", "wed"),
        ("donnerstag", "do", "thursday", "thu", "thur", "thurs"),
        ("freitag", "fr", "friday", "fri"),
        ("samstag", "sonnabend", "sa", "saturday", "sat"),
        ("sonntag", "so", "sunday", "sun"),
    ]
):
    for _f in _forms:
        _WEEKDAYS[_f] = _i

_MONTHS: dict[str, int] = {}
for _i, _forms in enumerate(
    [
        ("januar", "jaenner", "january", "jan"),
        ("februar", "feber", "february", "feb"),
        ("maerz", "marz", "march", "mar", "mrz"),
        ("april", "apr"),
        ("mai", "may"),
        ("juni", "june", "jun"),
        ("juli", "july", "jul"),
        ("august", "aug"),
        ("september", "sept", "sep"),
        ("oktober", "october", "okt", "oct"),
        ("november", "nov"),
        ("dezember", "december", "dez", "dec"),
    ],
    start=1,
):
    for _f in _forms:
        _MONTHS[_f] = _i

_NUMWORDS = {
    "ein": 1, "eine": 1, "einen": 1, "einer": 1, "einem": 1, "eins": 1, "zwei": 2, "drei": 3,
    "vier": 4, "fuenf": 5, "funf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
    "elf": 11, "zwoelf": 12, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
_ZU = {"zweit": 2, "dritt": 3, "viert": 4, "fuenft": 5, "funft": 5, "sechst": 6, "siebt": 7, "acht": 8}

# words typo correction may aim at (date words, verbs, parts of day); space names are added per parser
_LEXICON = (
    "heute today morgen uebermorgen tomorrow gestern yesterday "
    "montag dienstag mittwoch donnerstag freitag samstag sonntag "
    "monday tuesday wednesday thursday friday saturday sunday "
    "januar februar maerz april august september oktober november dezember "
    "january february march june july october december "
    "naechste naechsten woche wochen week weeks next "
    "buchen buche reservieren reserviere book reserve stornieren storniere stornierung storno "
    "absagen cancel einchecken checkin kontingent contingent hilfe help buchungen bookings "
    "verfuegbar available availability warteliste waitlist einstellungen settings "
    "vormittag vormittags nachmittag nachmittags morgens morning afternoon ganztags ganztaegig "
    "angekommen arrived rueckgaengig plaetze arbeitsplatz schreibtisch personen people "
    "silvester heiligabend neujahr weihnachten christmas "
    "monitor bildschirm stehpult stehtisch hoehenverstellbar ruhige ruhigen ruhiger ruhiges danke viel viele"
).split()

# common words that must never be "corrected" into a space or keyword
_STOP = set(
    """
    hallo hello hey moin servus danke thanks thank bitte please gerne gern liebe lieber team
    ich mich mir mein meine meinen meiner meines wir uns unser unsere du dich dir dein sie ihr ihnen
    einen eine einem einer eines der die das den dem des ein und oder aber auch noch schon doch mal
    nicht kein keine keinen nichts nur sehr mehr viel viele wie was wer wo wann warum welche welcher
    welches wieviel wieviele fuer mit ohne von vom bis zum zur nach bei beim aus auf unter ueber
    haben habe hast hat hatte haette haetten hatten bin bist ist sind sein war waere wird werde
    werden kann kannst koennte koenntest koennen moechte moechten will wollen wollte brauche
    brauchen braucht bekommen kriege krieg gibt geben geht gehen mache machen soll sollte
    heute morgen morgens abend abends tag tage tagen woche wochen monat monate monaten jahr
    uhr zeit platz plaetze plaetzen arbeitsplatz arbeitsplaetze tisch tische schreibtisch
    buero office home work coworking space spaces hub zentrum city stadt haus
    person personen leute kollegen kollegin kolleginnen mitarbeiter colleague colleagues people
    offen ofen often open oben eben neben gegen gerade jetzt dann denn wenn dass weil also
    the this that these those there their they them then than what when where which while who
    with without from into onto about after before until till have has had having would could
    should will shall does doing done dont cant wont isnt arent need needs want wants like
    just only also some many much more most other another any anything every each all both
    desk desks seat seats spot spots place places room table booking bookings book booked
    your yours mine ours here where whole entire full half free make made take come going
    sende sender sendung senden? essen check checke checken checks checked schreiben schreibe schreibst screen screens sending standing
    checking helps macht bock hilft cancels
    """.replace("?", "").split()
)

# ---------------------------------------------------------------------------------------------
# regexes (on folded lower-case text)
# ---------------------------------------------------------------------------------------------

_REGEXES_READY = False


def _compile_regexes() -> None:
    """Compile all patterns (once, on the first parser build, so importing stays cheap)."""
    global _REGEXES_READY, _NOON, _HALB, _MONTH_RE, _NUM_RE, _WD_RE, _SLASH, _CODE, _WORDS, _TIMEISH, _TOKEN, _GREETING, _ISO, _DESKS_PLUS, _DESKS, _DESKS_ZU, _DESKS_OFUS, _NAMED, _DRANGE_NUM, _DRANGE_NODOT, _DRANGE_MON, _DRANGE_MON2, _DNUM, _WEEK_OF, _WD_LIST_AFTER, _WD_LIST_BEFORE, _DNUM_NODOT, _DSLASH, _DMON, _MOND, _DAYOF, _BADNUM, _REL, _INN, _KW, _WEEKCTX, _MONTHCTX, _RECUR, _EVERYDAY, _WD_LONG, _WD_SHORT, _WDAY, _THIS_NEXT, _PART_FULL, _PART_AM, _PART_PM, _T, _TRANGE, _TSTART, _TEND, _TBARE, _AM_DAY, _PREP_PLACE, _RANGE_GAP, _LABEL_GAP, _LIST_GAP
    if _REGEXES_READY:
        return
    _MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
    _NUM_RE = r"\d{1,2}|" + "|".join(sorted(_NUMWORDS, key=len, reverse=True))
    _WD_RE = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))

    _R = re.compile
    _SLASH = _R(r"^\s*/([A-Za-zÄÖÜäöüß_]+)(?:@\w+)?\b\s*(.*)$", re.S)
    _CODE = _R(r"^[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)+$|^(?=.*\d)(?=.*[A-Z])[A-Z0-9]{6,}$")
    _WORDS = _R(r"[a-z0-9']+")
    _TIMEISH = _R(r"(?i)^\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm|uhr|h)?\s*-\s*\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm|uhr|h)?$")
    _TOKEN = _R(r"\w+|\s+|.", re.S)

    _GREETING = _R(r"\b(?:(?:guten|gudn|guden|gueden|gun|gutn|juten)\s+(?:morgen|tag|abend)|good\s+(?:morning|afternoon|evening)|"
                   r"moin(?:\s+moin)?)\b|^\W*morgen\s+(?:zusammen|allerseits|leute|ihr\s+lieben|miteinander)\b(?=\s*(?:[,!.:;]|$))")
    _ISO = _R(r"(?<![\d.])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])")
    _DESKS_PLUS = _R(
        rf"(?:\b(?:mit|with|plus|und|and)|\+)\s*(?:(?:my|meine[nmr]?|our|unsere[nmr]?)\s+)?({_NUM_RE})\s+"
        r"(?:weiteren\s+|other\s+|more\s+)?"
        r"(?:kollegen|kolleginnen|kolleg\w*|colleagues?|coworkers?|co-workers?|teammates?|team\s+members?|teammitglieder\w*"
        r"|azubis|auszubildende\w*|praktikant\w*|interns|trainees|apprentices|werkstudent\w*"
        r"|mitarbeiter\w*|leuten|others|anderen)\b"
    )
    _DESKS = _R(
        rf"(?<![\d.:])\b({_NUM_RE})\s+(?:(?:freie?[nrs]?|weitere|more|extra|free|einzelne)\s+)?"
        r"(?:arbeits)?(?:plaetze|plaetzen|platz|schreibtische|schreibtischen|schreibtisch|tische|desks|desk|seats|seat|spots|"
        r"personen|person|persons|leute|people|pers|ppl|mitarbeiter|kollegen|places)\b"
    )
    _DESKS_ZU = _R(r"\bzu\s+(" + "|".join(_ZU) + r")\b")
    _DESKS_OFUS = _R(rf"\b({_NUM_RE})\s+of\s+us\b")

    _NAMED = _R(  # a wish names no day: "frohe Weihnachten", "merry Christmas", "happy new year", "frohes neues"
        r"(?<!frohe )(?<!froehliche )(?<!schoene )(?<!gesegnete )(?<!merry )(?<!happy )(?<!frohes )(?<!gutes )"
        r"\b(?:(?P<xmaseve>heilig(?:en)?\s*abend|heiligabend|christmas\s+eve|x-?mas\s+eve)"
        r"|(?P<nye>silvester|new\s+year'?s?\s+eve|nye)"
        r"|(?P<xmas2>(?:2\.|zweiter|zweiten)\s+weihnachts(?:feier)?tag|boxing\s+day|st\.?\s+stephen'?s\s+day)"
        r"|(?P<xmas>(?:1\.|erster|ersten)\s+weihnachts(?:feier)?tag|weihnachten|christmas(?:\s+day)?|x-?mas)(?!\s+(?:market|party|tree|markt|feier))"
        r"|(?P<newyear>neujahr(?:stag)?|new\s+year'?s?(?:\s+day)?)"
        r"|(?P<unity>tag\s+der\s+deutschen\s+einheit)"
        r"|(?P<allsaints>allerheiligen|all\s+saints'?\s+day)"
        r"|(?P<labour>tag\s+der\s+arbeit|labou?r\s+day|may\s+day)"
        r"|(?P<goodfri>karfreitag|good\s+friday)"
        r"|(?P<eastermon>ostermontag|easter\s+monday)"
        r"|(?P<ascension>(?:christi\s+)?himmelfahrt|ascension(?:\s+day)?)"
        r"|(?P<whitmon>pfingstmontag|whit\s+monday)"
        r"|(?P<corpus>fronleichnam|corpus\s+christi)|(?P<between>zwischen\s+den\s+jahren)"
        r"|(?P<epiphany>(?:heilige[nm]?\s+)?drei\s*koenige\w*|dreikoenig\w*|epiphany)"
        r"|(?P<rosenmontag>rosenmontag)|(?P<nikolaus>nikolaustag))\b"
    )

    # numeric day ranges with a month: "1.-3.12.", "vom 1. bis 3. Dezember", "1-3 December", "Dec 1-3"
    _DRANGE_NUM = _R(
        r"(?<![\d.])(\d{1,2})\.?\s*(?:-|bis(?:\s+zum)?|to|until|till|through)\s*(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2})?)?"
        r"(?![\d:])(?!\s*(?:uhr|h)\b)"  # "14.-16.12" without the last dot too
    )
    # "1.12 bis 3.12", "28.11-2.12": day.month without the dots on both sides (no clock: months are 1-12)
    _DRANGE_NODOT = _R(
        r"(?<![\d.:])(\d{1,2})\.(\d{1,2})\.?\s*(?:-|bis(?:\s+zum)?|to|until|till)\s*"
        rf"(?:(?:{_WD_RE})\.?,?\s+(?:den\s+)?)?(\d{{1,2}})\.(\d{{1,2}})(?:\.(\d{{4}}|\d{{2}})?)?"
        r"(?![\d:])(?!\s*(?:uhr|h)\b)"
    )
    _DRANGE_MON = _R(
        rf"(?<![\d.])(\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:-|bis(?:\s+zum)?|to|until|till|through)\s*(?:the\s+)?"
        rf"(\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?({_MONTH_RE})\b\.?(?:\s*,?\s*(\d{{4}}))?"
    )
    _DRANGE_MON2 = _R(
        rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:-|to|until|till|through)\s*(\d{{1,2}})(?:st|nd|rd|th)?\b(?:\s*,?\s*(\d{{4}}))?"
    )
    _DNUM = _R(r"(?<![\d.:])(\d{1,2})\.(\d{1,2})\.(?:(\d{4}|\d{2})(?![\d]))?")
    _WEEK_OF = _R(
        rf"\b(?:(?:in\s+)?der\s+)?woche\s+(?:vom|ab\s+dem|ab|ab\s+montag,?\s+dem)\s+(?:(?P<d1>\d{{1,2}})\.(?P<m1>\d{{1,2}})\.?"
        rf"|(?P<d2>\d{{1,2}})\.?\s+(?P<mon1>{_MONTH_RE})\b\.?)"
        rf"|\b(?:the\s+|in\s+the\s+)?week\s+(?:of|starting|beginning)\s+(?:the\s+)?(?:(?P<d3>\d{{1,2}})(?:st|nd|rd|th)?\s+"
        rf"(?:of\s+)?(?P<mon2>{_MONTH_RE})\b\.?|(?P<mon3>{_MONTH_RE})\.?\s+(?P<d4>\d{{1,2}})(?:st|nd|rd|th)?\b)")
    # weekdays named with a week ("KW 49 Mo+Di", "Monday to Wednesday in the week of Dec 14"): those days of that week
    wd_sep = r"\s*(?:\+|,|&|/|und|u|and|n|-|–|bis|to|till|until|through|thru)\s*(?:(?:am|den|on|the)\s+)?"
    _WD_LIST_AFTER = _R(rf"^[\s,:]*(?:(?:am|den|on|the|jeweils)\s+)?(?:{_WD_RE})\b\.?(?:{wd_sep}(?:{_WD_RE})\b\.?)*")
    _WD_LIST_BEFORE = _R(rf"(?:{_WD_RE})\b\.?(?:{wd_sep}(?:{_WD_RE})\b\.?)*[\s,]*(?:in\s+(?:der\s+)?|der\s+|in\s+the\s+|"
                         rf"of\s+the\s+|the\s+)?$")
    _DNUM_NODOT = _R(r"(?<![\d.:])(\d{1,2})\.(\d{1,2})(?![\d.:])(?!\s*(?:uhr|h\b|-|bis|to|am\b|pm\b))")
    _DSLASH = _R(r"(?<![\d./])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])")
    _DMON = _R(
        rf"(?<![\d.])(\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?({_MONTH_RE})\b\.?(?:\s*,?\s*(\d{{4}})(?!\s*(?:uhr|:)))?"
    )
    _MOND = _R(rf"\b({_MONTH_RE})\.?\s+(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\b(?![\d.:])"
               r"(?!\s*(?:(?:more|mehr|extra|weitere|zusaetzliche|bezahlte|paid)\s+)?(?:tage|tagen|days|wochen|weeks|stunden|hours)\b)"
               r"(?:\s*,?\s*(\d{4}))?")
    _DAYOF = _R(
        r"\b(?:am|den|dem|on\s+the|on|the|zum|ab\s+dem|fuer\s+den)\s+(\d{1,2})(?:\.|st\b|nd\b|rd\b|th\b)(?!\d)"
        r"|(?<![\d.])\b(\d{1,2})(?:st|nd|rd|th)\b"
    )
    _BADNUM = _R(r"(?:\b(?:am|den|on|the|vom|bis|zum)\s+)?(?<![\d.])\d{1,3}\.\d{1,3}\.(?:\d{2,4})?|\b(?:am|den)\s+\d{3}\.(?!\d)")

    _REL = _R(
        r"\b(?:(?P<dat>(?:the\s+)?day\s+after\s+tomorrow|ue?bermorgen|overmorrow)"
        r"|(?P<todaymorning>heute\s+(?:morgen|frueh)|this\s+morning)|(?P<todaypm>this\s+(?:afternoon|evening))"
        r"|(?P<today>heute|today|tdy|2day|tonight|heut)"
        r"|(?P<tomorrow>morgen|tomorrow|tmrw|tmr|tmw|2morrow|tomorow|tommorow|tommorrow|morgn|mrgn|moign|morge)"
        r"|(?P<dby>vorgestern|(?:the\s+)?day\s+before\s+yesterday)"
        r"|(?P<yesterday>gestern|yesterday))\b"
    )
    _INN = _R(
        rf"\b(?:in|nach|after|heute\s+in)\s+({_NUM_RE}|einer|einem)\s+(tag|tagen|tage|days?|wochen?|weeks?|monat|monaten|months?)\b"
    )
    _KW = _R(r"\b(?:kw|kalenderwoche|cw|calendar\s+week|week|woche)\s*(\d{1,2})\b")
    _WEEKCTX = _R(
        r"\b(?:(?P<mod>uebernaechste[nrs]?|naechste[nrs]?|kommende[nrs]?|folgende[nrs]?|next|following|coming|"
        r"this|diese[nrs]?|current|laufende[nrs]?|aktuelle[nrs]?|letzte[nrs]?|vergangene[nrs]?|last|past)\s+(?:ganze[nrs]?\s+|whole\s+|entire\s+|full\s+)?"
        r"(?:kalender|arbeits|work)?(?:woche|week)\b(?:\s+after\s+next)?"
        r"|(?P<after>week\s+after\s+next)"
        r"|(?P<whole>(?:die\s+|the\s+)?(?:ganze|whole|entire|full)\s+(?:woche|week)(?:\s+after\s+next)?|rest\s+(?:der|of\s+the)\s+(?:woche|week)))"
    )
    _MONTHCTX = _R(
        rf"\b(?:(?:im|in|for|during|throughout|ganzen|whole|den|the|all\s+of|of)\s+)?({_MONTH_RE})\b\.?(?:\s+(\d{{4}}))?"
        r"|\b(?P<mod>naechste[nrs]?|kommende[nrs]?|next|coming|diese[nrs]?|this|current|letzte[nrsm]?|vorige[nrsm]?|"
        r"vergangene[nrsm]?|last|previous|past)\s+(?:monat|month)\b"
    )
    _RECUR = _R(r"\b(?:jeden|jede|jedem|every|each|alle(?!\s+(?:nach|in|ins|im|zusammen|gemeinsam|zum|zur|hin|dort|da|mit)\b)|(?<!wie\s)immer|(?<!after\s)all(?![\s-]day|\s+(?:in|at|there|here|together|go|be|meet|of\s+us)\b))\b")
    _EVERYDAY = _R(
        r"\b(?:(?:jeden|every|each|alle)\s+(?:tag|day|werktag|weekday|arbeitstag|working\s+day|wochentag)e?n?|taeglich|daily|werktags)\b"
    )
    _WD_LONG = "|".join(sorted((k for k in _WEEKDAYS if len(k) > 4), key=len, reverse=True))
    _WD_SHORT = "|".join(sorted((k for k in _WEEKDAYS if len(k) <= 4), key=len, reverse=True))
    _WDAY = _R(
        rf"\b(?:(?P<wd>{_WD_LONG})(?P<pl>s|e|en)?(?P<part>vormittags?|nachmittags?|morgens?|abends?|frueh|mittag)?"
        rf"|(?P<wds>{_WD_SHORT}))\b(?P<dot>\.)?"
    )
    _THIS_NEXT = _R(r"(?:\b(?P<m>diese[nrms]?|kommende[nrms]?|this|coming|uebernaechste[nrms]?|naechste[nrms]?|next|letzte[nrms]?|"
                    r"vergangene[nrms]?|last|past)\s+)$")

    _PART_FULL = _R(
        r"\b(?:ganztags?|ganztaegige?[nrsm]?|ganzt\w*|(?:den\s+|einen\s+)?ganzen\s+tag|ganzer\s+tag|"
        r"(?:den\s+)?vollen\s+tag|full[\s-]?days?|all[\s-]?day|ganze\s+tage|(?:the\s+)?whole\s+day|(?:the\s+)?entire\s+day|"
        r"vormittags?\s+und\s+nachmittags?|morning\s+and\s+afternoon)\b"
    )
    _PART_AM = _R(
        r"\b(?:vormittags?|morgens|frueh|am\s+morgen|in\s+the\s+morning|mornings?|forenoon|a\.m\.|"
        r"(?:die\s+|der\s+)?erste[n]?\s+tageshaelfte|(?:the\s+)?first\s+half(?:\s+of\s+the\s+day)?)(?=\W|$)"
    )
    _PART_PM = _R(r"\b(?:nachmittags?|afternoons?|abends?|evenings?|arvo|p\.m\.|(?:die\s+|der\s+)?zweite[n]?\s+tageshaelfte|"
                  r"(?:the\s+)?second\s+half(?:\s+of\s+the\s+day)?)(?=\W|$)")

    _T = r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|uhr|h)?"
    _TRANGE = _R(
        rf"(?<![\d.:/])(?:\b(?:von|from|zwischen|between)\s+)?{_T}\s*(?:-|bis|to|until|till|und|and)\s*{_T}(?:\s*uhr)?(?![\d])"
    )
    _TSTART = _R(rf"\b(?:ab|from|starting(?:\s+at)?|um|at|gegen|around|so\s+um|start)\s+(?:ca\.?\s+)?{_T}(?![\d])")
    _HALB = _R(r"\b(?:(?:ab|um|gegen|so\s+um)\s+)?halb\s+(\d{1,2})\b(?!\s*(?:-|bis))")
    _NOON = _R(r"\b(?:noon|midday)\b|\b(?:bis|von|ab|um|gegen)\s+(?:zum\s+|zu\s+)?(mittags?)\b|"
               r"\b(?:bis|till|until|til)\s+(?:zur\s+)?(lunch(?:time)?|mittagspause)\b")
    _TEND = _R(rf"\b(?:bis|until|till|untill|by|to)\s+{_T}(?![\d])")
    _TBARE = _R(r"(?<![\d.:])(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|uhr|h)\b|(?<![\d.:])(\d{1,2}):(\d{2})(?![\d])")
    # German "am" before a day is no a.m.: "Rosendahl 8-12 am Dienstag"
    _AM_DAY = _R(rf"(?<=\d)\s*\bam(?=\s+(?:den\s+|dem\s+)?(?:(?:{_WD_RE})\b|\d|(?:naechsten|kommenden|ersten|letzten|wochenende)\b))")

    _PREP_PLACE = _R(r"\b(in|nach|at|im|bei|near|to|fuer)\s+([a-z][a-z'-]{2,})\b")

    _RANGE_GAP = _R(r"^\s*(?:-|bis(?:\s+(?:zum|einschliesslich|inkl\.?))?|to|until|till|through|thru|through\s+to)\s*"
                    rf"(?:(?:{_WD_LONG}|{_WD_SHORT})\.?,?\s*(?:den\s+|the\s+)?)?$")  # "Mo 7.12. bis Fr 11.12."
    _LABEL_GAP = _R(r"^[\s,(]*(?:den|der|dem|the)?[\s,(]*$")
    _LIST_GAP = _R(r"^\s*(?:,|und|u|and|n|\+|/|&|-|oder|or|bis|to)?\s*$")
    _compile_more()
    _compile_phrasings()
    _compile_round3()
    _REGEXES_READY = True


_ABBREV = {
    "vorm": "vormittags", "vormitt": "vormittags", "vm": "vormittags", "nachm": "nachmittags", "nachmitt": "nachmittags",
    "nae": "naechste", "naechst": "naechste", "uebern": "uebermorgen", "ganzt": "ganztags", "angek": "angekommen",
    "kont": "kontingent", "canc": "cancel", "ppl": "people", "dnk": "danke", "thnx": "thanks", "tnx": "thanks",
    "tks": "thanks", "nxt": "next", "wk": "week", "bk": "book", "stor": "storno", "jez": "jetzt", "jetz": "jetzt",
    "jz": "jetzt", "grad": "gerade", "uebermo": "uebermorgen", "ubermo": "uebermorgen", "heut": "heute",
    "fuern": "fuer den", "fuers": "fuer das", "aufn": "auf den", "vorige": "letzte", "vorigen": "letzten", "voriger": "letzter", "voriges": "letztes",
    # Münsterland Platt: "wat kost dat", "för Friedag"
    "wat": "was", "dat": "das", "kost": "kostet", "maandag": "montag", "dingsdag": "dienstag", "middeweeken": "mittwoch",
    "donnerdag": "donnerstag", "friedag": "freitag", "freedag": "freitag", "middeweek": "mittwoch", "donnersdag": "donnerstag",
    "saoterdag": "samstag", "ick": "ich", "buen": "bin", "suend": "sind", "dor": "da", "bruk": "brauche",
    "bruuk": "brauche", "geiht": "geht", "hett": "hat", "wedder": "wieder", "wuellt": "wollen", "dree": "drei",
    "luee": "leute", "heb": "hab", "maak": "mach", "oever": "uebrig", "gistern": "gestern", "vandag": "heute",
    "fastmaken": "festmachen", "schriewen": "schreiben", "nu": "jetzt", "rn": "right now",
    # the Ruhr/Westphalian "-tach" for "-tag" ("Donnerstach ab mittach")
    "montach": "montag", "dienstach": "dienstag", "donnerstach": "donnerstag", "freitach": "freitag",
    "samstach": "samstag", "sonntach": "sonntag", "mittach": "mittag", "mittachs": "mittags",
    "nachmittach": "nachmittag", "nachmittachs": "nachmittags",
}
_MONTH_GATE = set(_MONTHS) | {"monat", "month"}
_LIKE_AFTER = frozenset({"are", "is", "was", "were", "looks", "look", "looked", "feels", "feel", "seems", "sounds", "just"})
_WO_WEEK = frozenset({"naechste", "naechsten", "kommende", "kommenden", "diese", "dieser", "letzte", "uebernaechste"})
_DOCH_AFTER = re.compile(r"[,;:.]\s*(?:also|dann|so|then)\s+(?:(?:nach|in|ins)\s+)?doch\s+(?:(?:nach|in|ins|to)\s+)?"
                         r"(?:(?:bitte|please)\s*)?[.!]*\s*$")
_KW_GATE = frozenset({"kalenderwoche", "cw", "calendar", "week", "woche"})
_LOOK_WORDS = frozenset({"gucken", "guckt"})
_IF_WORDS = frozenset({"wenn", "falls", "if", "sollte"})
_WEATHER = frozenset({"regnet", "schneit", "stuermt", "hagelt", "gewittert", "glatteis", "rains", "snows", "raining",
                      "snowing", "glatt", "unwetter", "sturm", "storm", "foggy", "neblig", "nebelig", "icy", "stormy", "rainy",
                      "snowy", "windy", "verschneit", "stuermisch", "freezing", "eiskalt", "arschkalt", "boiling", "muggy"})
_MONTH_NAMES = frozenset({"jan"})  # month words that are also first names ("Hat Jan noch Tage?")
_PAIR_PEOPLE = frozenset({"kollege", "kollegin", "colleague", "coworker", "chef", "chefin", "boss", "partner", "partnerin",
                          "praktikant", "praktikantin", "azubi", "nachbar", "nachbarin", "jan"})  # "Kollegin und ich kommen ..."
_EVERYDAY_GATE = {"jeden", "every", "each", "alle", "taeglich", "daily", "werktags"}
_ELONGATED = re.compile(r"([a-z])\1{2,}")
_ORD_DE = ["erst", "zweit", "dritt", "viert", "fuenft", "sechst", "siebt", "acht", "neunt", "zehnt", "elft",
           "zwoelft", "dreizehnt", "vierzehnt", "fuenfzehnt", "sechzehnt", "siebzehnt", "achtzehnt", "neunzehnt"]
_ORD_EN = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
           "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
           "eighteenth", "nineteenth"]
_ORDINALS: dict[str, int] = {}
for _i, (_de, _en) in enumerate(zip(_ORD_DE, _ORD_EN), start=1):
    _ORDINALS[_en] = _i
    for _suf in ("e", "en", "er", "es", "em"):
        _ORDINALS[_de + _suf] = _i
for _i, _de in enumerate(["zwanzigst", "einundzwanzigst", "zweiundzwanzigst", "dreiundzwanzigst",
                          "vierundzwanzigst", "fuenfundzwanzigst", "sechsundzwanzigst", "siebenundzwanzigst",
                          "achtundzwanzigst", "neunundzwanzigst", "dreissigst", "einunddreissigst"], start=20):
    for _suf in ("e", "en", "er", "es", "em"):
        _ORDINALS[_de + _suf] = _i
_ORDINALS.update({"twentieth": 20, "thirtieth": 30})
for _i, _u in enumerate(["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"], 1):
    _ORDINALS[f"twenty-{_u}"] = 20 + _i
_ORDINALS["thirty-first"] = 31
_LETTERS = re.compile(r"[^\W\d_]+")
_HAS_DIGIT = re.compile(r"\d").search  # compiling one tiny pattern at import costs nothing noticeable
_ER_TEAM_HINT = re.compile(r"[2-9]er").search

_HOURWORDS = {
    "eins": 1, "ein": 1, "zwei": 2, "drei": 3, "vier": 4, "fuenf": 5, "funf": 5, "sechs": 6, "sieben": 7,
    "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwoelf": 12, "zwolf": 12, "one": 1, "two": 2, "three": 3,
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}


def _compile_phrasings() -> None:
    """Families of phrasings found by a fresh dev set (blind3): plans that fell through, "hast mir geholfen",
    "auf Englisch antworten", "bevor ich buche", daily messages, "falls ... doch noch", "vor dem Urlaub"."""
    global _OFF_START, _MEANS, _DESKS_COMES, _NAME_VFINAL, _GRANT, _GRANT_DAYS, _NAME_SUBJ, _NAME_GEN, _E_REMIND, _FELL_THROUGH, _HELPED, _LANG_REPLY, _BEFORE_BOOK, _NOTIFY, _IFSTILL, _AROUND_LEAVE, _OUR_CONT, _HOW_OFTEN
    _R = re.compile
    _E_REMIND = _ends("erinnerung", "erinnerungen", "reminder", "reminders", "benachrichtigung", "benachrichtigungen")
    _FELL_THROUGH = _R(r"\b(?:waere|waer|wars|haette)\w*\s+(?:\S+\s+){0,4}?gewesen\b|\bwould(?:'ve|\s+have)\s+been\b|"
                       r"\b(?:would|could|should)(?:'ve|\s+have)\s+(?:liked|loved|been|gone|come|worked|booked)\b|"
                       r"\beigentlich\s+(?:\w+\s+){0,2}?(?:wollte|wollten|hatte|hatten|war)\b(?=.*\baber\b)|"
                       r"\b(?:wollte|wollten)\s+(?:\w+\s+){0,2}?eigentlich\b(?=.*\baber\b)|"
                       r"\bhaette\w*\s+(?:\S+\s+){0,3}?(?:gepasst|geklappt|gegangen|funktioniert|gefallen)\b|"
                       r"\b(?:i|we)\s+(?:was\s+going|were\s+going|wanted|had\s+planned|was\s+planning|were\s+planning)\s+to\b(?=.*\bbut\b)")
    _HELPED = _R(r"\b(?:hast|habt|haben\s+sie|du\s+hast)\s+(?:mir|uns)\s+(?:\w+\s+){0,2}?geholfen\b|\bhat\s+(?:\w+\s+)?geholfen\b|"
                 r"\byou(?:'ve|\s+have)?\s+(?:really\s+|been\s+)?(?:helped|a\s+(?:great\s+|big\s+)?help)\b|\bthat\s+helped\b|"
                 r"\b(?:sehr|echt|mega|super)\s+hilfreich\b|\b(?:very|really|super)\s+helpful\b")
    langs = "|".join(k for k in _K_LANG if k.isalpha())
    _LANG_REPLY = _R(rf"\b(?:an?\s+)?(?:english|englische|german|deutsche)\s+(?:version|variante|fassung)\b|"
                     rf"\b(?:auf|in)\s+(?:{langs})\s+(?:\w+\s+){{0,2}}?(?:antworten|antwortest|antworte|"
                     r"schreiben|schreibst|reden|sprechen|sprichst|kommunizieren|weiter(?:machen)?)\b|"
                     r"\b(?:answer|reply|respond|write|talk|speak|continue)\s+(?:\w+\s+){0,2}?in\s+(?:english|german)\b|"
                     r"\b(?:english|englisch|german|deutsch)\s+(?:please|bitte)\b|"
                     r"\b(?:talk|speak|write|chat)\s+(?:in\s+)?(?:english|german)\s+(?:with|to)\s+(?:me|us)\b|"
                     r"\bmit\s+(?:mir|uns)\s+(?:auf\s+|in\s+)?(?:englisch|deutsch)\s+(?:reden|sprechen|schreiben|chatten)\b|"
                     r"\b(?:switch|change|go)\s+(?:back\s+)?(?:over\s+)?(?:to|into)\s+(?:english|german)\b|"  # "Can we switch to German?"
                     r"\b(?:auf|zu|nach)\s+(?:englisch|deutsch)\s+(?:umstellen|umschalten|wechseln)\b")
    _BEFORE_BOOK = _R(r"\b(?:bevor|ehe|before)\s+(?:ich|wir|i|we)\s+(?:\w+\s+){0,3}?(?:buche|buchen|book|reserviere|reserve)\b")
    _NOTIFY = _R(r"\b(?:jeden|jede|jedes|every|each|taeglich|daily|abends|morgens|staendig|dauernd|immer)\s+(?:\w+\s+){0,3}?"
                 r"(?:nachricht|nachrichten|message|messages|ping|pings|benachrichtigung\w*|notification\w*|push\w*|mails?)\b|"
                 r"\b(?:nachrichten|messages|benachrichtigung\w*|notification\w*|pings)\s+(?:\w+\s+){0,3}?"
                 r"(?:jeden|jede|every|each|taeglich|daily|immer|staendig|always)\b|"
                 r"\b(?:schick|schicke|sende|send)\w*\s+(?:mir\s+|me\s+)?(?:die|the|deine|your|eure)\s+(?:nachrichten|messages|"
                 r"erinnerung\w*|reminders?|benachrichtigung\w*|notifications?)\b|"
                 # "keine Nachrichten mehr am Wochenende", "no more messages on Sundays"
                 r"\b(?:keine|no|nicht\s+mehr|stop|stopp)\s+(?:\w+\s+)?(?:nachrichten|messages|mails|pings|push\w*|"
                 r"benachrichtigung\w*|notification\w*)\b")
    _IFSTILL = _R(r"\b(?:falls|wenn|sobald|if)\b[^.?!]*\b(?:doch\s+noch|doch\s+was|still\s+(?:gets?|has|opens?))\b")
    # "vor dem Urlaub", "Morgen bis 13 Uhr Ascheberg, danach Termin beim Kunden": the day is a booking
    _AROUND_LEAVE = _R(r"\b(?:vor|nach|before|after)\s+(?:dem\s+|den\s+|meinem\s+|my\s+|the\s+)?"
                       r"(?:urlaub|ferien|feiertagen|holiday|holidays|vacation)\b|"
                       r"\b(?:danach|anschliessend|nachher|vorher|davor|afterwards|after\s+that)\s+(?:\w+\s+){0,2}?"
                       r"(?:termin|meeting|beim|bei|zum|zur|at|with)\b")
    _OUR_CONT = _R(r"\b(?:unser\w*|our)\s+(?:\w+\s+)?(?:\w*kontingent|\w*contingent|quota|budget|guthaben|tage|days)\b")
    _NAME_GEN = _R(r"\b([a-z]{3,}s)\s+(?:rest)?(?:kontingent|contingent|tage|guthaben|budget|resttage|quota)\b")
    _GRANT = _R(r"\b(?:gib|gebe|geb|give|grant|schenk\w*|bewillig\w*|genehmig\w*)\s+(?:der\s+|dem\s+|die\s+)?(?=([a-z]+)\b)")
    _GRANT_DAYS = _R(r"\b(?:\d+|ein|einen|one|zwei|two|drei|three|vier|four|fuenf|five|zehn|ten|paar|few|couple)\s+"
                     r"(?:(?:more|mehr|extra|weitere|zusaetzliche|bezahlte|paid)\s+)?(?:\w+\s+)?(?:tage|days|urlaubstage)\b")
    _NAME_SUBJ = _R(r"^\s*(?:(?:der|die|unser|unsere|mein|meine|my|our)\s+)?(?:(?:kollege|kollegin|mitarbeiter|mitarbeiterin|colleague|"
                    r"employee|azubi|praktikant|praktikantin|herr|frau)\s+)?(?=([a-z]+)\s+(?:ist|hat|is|has|nimmt|takes|braucht|needs|"
                    r"bekommt|kriegt|gets|soll|should|will|wird|bleibt|fehlt|macht|geht|faehrt)\b)")
    _DESKS_COMES = _R(r"\b(?:mein|meine|my)\s+(?:kolleg\w*|colleague|coworker|chef\w*|boss|partner\w*|praktikant\w*|azubi|mann|frau|"
                      r"freund\w*|husband|wife|kompagnon|geschaeftspartner\w*)\s+"
                      r"(?:kommt\s+(?:auch\s+|doch\s+|noch\s+)?mit|comes\s+(?:along|too|with\s+me)|is\s+(?:coming\s+(?:along|too|with\s+me)|joining(?:\s+me)?)|"
                      r"joins(?:\s+me)?)\b")
    _NAME_VFINAL = _R(r"\b(?:tage|kontingent|days)\s+(?:der\s+|die\s+)?(?=([a-z]+)\s+(?:noch\s+|schon\s+|diesen\s+monat\s+|still\s+)*"
                      r"(?:hat|haben|uebrig|verbraucht|left|has|have)\b)")
    _OFF_START = _R(r"\s*off\s+(?:on|the|next|this|tomorrow|today|all|from|until)\b")  # "Off on Friday, dentist"
    _MEANS = _R(r"\bwas\s+(?:bedeutet|bedeuten|heisst)\b|\bwhat\s+(?:does|do|is\s+meant\s+by)\b.*\bmeans?\b|\bwhat\s+is\s+meant\b")
    _HOW_OFTEN = _R(r"\b(?:wie\s+oft|how\s+often|how\s+many\s+times|wie\s*viele\s+male?)\b")


_EVENT_RE = (r"(?:\w*(?:termin|meeting|feier|event|besuch|gespraech|abend|sprechtag|party|tagung|deadline|frist|abgabe|"
             r"praesentation|vortrag|pruefung|klausur|examen|besprechung|sitzung|geburtstag|arzt|hochzeit|konzert|"
             r"presentation|exam|appointment|dentist|doctor|birthday|visit|interview|call|telko|workshop|webinar|"
             r"review|audit|praesi|flug|flight|vorlesung|seminar|lecture|tour|ausflug|wanderung))")


_EVENT_TOKS = frozenset(
    "termin meeting feier event besuch gespraech abend sprechtag party tagung deadline frist abgabe praesentation "
    "vortrag pruefung klausur examen besprechung sitzung geburtstag arzt hochzeit konzert presentation exam "
    "appointment dentist doctor birthday visit interview call telko workshop webinar review audit praesi flug "
    "flight vorlesung seminar lecture tour ausflug wanderung".split())
_EVENT_ENDS = tuple(_EVENT_TOKS)
_GIVE_UP = frozenset({"trete", "tret", "tritt", "gebe", "geb", "gib"})
_OFF_WORDS = frozenset({"frei", "schulfrei", "spaetschicht", "nachtschicht", "fruehschicht", "dienst", "homeoffice"})
_AROUND_GATE = frozenset({"nach", "vor", "after", "before"})


def _has_event_word(toks: list[str]) -> bool:
    """A word of _EVENT_RE (an event with a date of its own: deadline, exam, appointment, meeting, birthday)."""
    for t in toks:
        if t.endswith(_EVENT_ENDS) or t[-1:] == "s" and t[:-1].endswith(_EVENT_ENDS):
            return True
    return False


def _compile_round3() -> None:
    """Families of phrasings found by probe-48 … -52 and blind5 (2 December, round 3): the date of another event next
    to a booking ("Präsentation am Donnerstag, deshalb Mittwoch Senden"), "nach dem Zahnarzt" as a time of day,
    someone else's questions and news, the sender's own plans and days off."""
    global _GIVE_UP_RE, _FORGET_IT, _OFF_BEFORE, _OFF_AFTER1, _OFF_AFTER2, _NAME_WHERE, _EVENT_PART, _FOR_EVENT, \
        _RESERVIERT_MIR, _THING_FALLS, _DAYOFF2, _EVENT_BEFORE, _EVENT_AFTER, _AROUND_EVENT, _MY_TURN, _REPORTED, \
        _HEARSAY, _AROUND_NAMED, _TAKE_ME_ON, _BIN_ICH_DRIN
    _R = re.compile
    _RESERVIERT_MIR = _R(r"(?:^|[.!?,]\s*|\bbitte\s+)reserviert\s+(?:mir|uns)\b")
    _thing = (r"(?:zug|zuege|bus|busse|bahn|sbahn|regionalbahn|train|trains|bus|unterricht|schule|berufsschule|kita|vorlesung|"
              r"kurs|seminar|termin|meeting|"
              r"training|strom|heizung|internet|wlan|linie|schulbus|buslinie|\d{1,3}er|\d{2,3}(?![.\d])|[rsx]\d{1,3}|r[be]\d{1,3})")
    # "der 560er fällt aus", "RB 45 fällt morgen wohl wieder aus", "hoffentlich fällt der Strom nicht aus": a thing
    _THING_FALLS = _R(rf"\b{_thing}\s+(?:\w+\s+){{0,2}}?(?:faellt|fallen|fiel|fielen)\s+(?:\w+\s+){{0,3}}?aus\b|"
                      rf"\b(?:faellt|fallen|fiel|fielen)\s+(?:\w+\s+)?(?:der|die|das|mein|meine|unser|unsere)\s+{_thing}\s+"
                      r"(?:\w+\s+){0,2}?aus\b")
    # "Am 2.12. hab ich einen freien Tag", "Mittwoch frei, Überstunden abbauen": a day off
    _DAYOFF2 = _R(r"^(?!.*\?)(?:.*\b(?:hab\w*|nehm\w*)\s+(?:ich\s+|mir\s+)*(?:\w+\s+){0,2}?(?:einen\s+)?freien\s+tag\b|"
                  r".*\bueberstunden\s+(?:abbauen|abbau|abfeiern|abbummeln|ausgleichen|nehmen)\b)")
    # "Where's Lena sitting tomorrow?", "Wo sitzt Thomas am Mittwoch?": where a member is
    _NAME_WHERE = _R(r"\b(?:where'?s|where\s+is|where\s+will|wo\s+(?:ist|sitzt|arbeitet))\s+([a-z]+)\b")
    # "Ich trete meinen Platz morgen ab", "gebe meine Buchung ... ab": cancelled
    _GIVE_UP_RE = _R(r"\b(?:trete|tret|tritt|gebe|geb|gib)\s+(?:\w+\s+){0,2}?"
                     r"(?:platz|tisch|buchung|reservierung|schreibtisch)\b.*\bab\s*[.!]*\s*$")
    _FORGET_IT = _R(r"\b(?:kannst\s+du|koennen\s+wir|kann\s+man|koennt\s+ihr)\s+(?:\w+\s+)?vergessen\b|"
                    r"\bvergessen\s+wir\b")
    # a day off or a shift of the sender's own: "hab Freitag frei", "Übermorgen hab ich Spätschicht",
    # "Kinder haben Mittwoch schulfrei"
    _OFF_BEFORE = _R(r"\b(?:hab|habe|hat|haben|nehm\w*)\s+(?:(?:ich|wir|mir|sie|die\s+kinder)\s+)*(?:am\s+|den\s+)?$")
    _OFF_AFTER1 = _R(r"\s+(?:\w+\s+)?(?:frei|schulfrei|spaetschicht|nachtschicht|fruehschicht|dienst|homeoffice)\b")
    _OFF_AFTER2 = _R(r"\s+(?:hab|habe|hat|haben)\s+(?:ich|wir|sie)\s+(?:\w+\s+)?(?:eine?\s+)?"
                     r"(?:frei|schulfrei|spaetschicht|nachtschicht|fruehschicht|dienst|homeoffice)\b|\s+homeoffice\b")
    _EVENT_PART = _R(r"\s*(?:frueh|morgens|vormittags?|mittags?|nachmittags?|abends?|morning|afternoon|evening)\b")
    _FOR_EVENT = _R(r"\b(?:fuer|for|zum|zur|zu)\s+(?:\w+\s+)?$")
    _AROUND_NAMED = _R(r"\b(?:vor|nach|before|after)\s+(?:dem\s+|den\s+|the\s+)?$")
    # "nimm mich für übermorgen in Nordkirchen auf": the separable verb "aufnehmen" books
    _TAKE_ME_ON = _R(r"\b(?:nimm|nehmt|nehmen\s+sie)\s+(?:mich|uns)\b.*\bauf\s*[.!]*\s*$")
    # "Bin ich am 3.12. in Coesfeld drin?": asks about the sender's own booking
    _BIN_ICH_DRIN = _R(r"^\s*(?:und\s+)?(?:bin\s+ich|sind\s+wir|am\s+i|are\s+we)\b.*\b"
                       r"(?:drin|eingetragen|eingebucht|gebucht|"
                       r"angemeldet|dabei|booked(?:\s+in)?|registered|signed\s+up|on\s+the\s+list)\b")
    # "Bei mir wäre übermorgen Lüdinghausen dran", "Für mich steht Donnerstag Nordkirchen an": the sender's own plan
    _MY_TURN = _R(r"^\s*(?:(?:also|ok|und|dann|so)\s+)?(?:bei|fuer)\s+(?:mir|mich|uns)\s+"
                  r"(?:ist|waere|waer|wird|steht|stuende|stehen|"
                  r"geht|sind|waeren)\b.*\b(?:angesagt|dran|an|geplant|auf\s+dem\s+(?:plan|programm)|faellig)\b")
    # "Mein Chef fragt, ob wir Freitag alle in Dülmen sind", "My manager asked whether ...": someone else's question
    _REPORTED = _R(r"^\s*(?!(?:ich|i|wir|we)\b)(?:[a-z]+\s+){1,3}?"
                   r"(?:fragt|fragte|fragen|fragten|hat\s+gefragt|haben\s+gefragt|"
                   r"(?:will|wollte|moechte|moechten|wollen)\s+wissen|asks|asked|is\s+asking|was\s+asking|"
                   r"wants\s+to\s+know|"
                   r"wanted\s+to\s+know|wonders|wondered)\b[\s,]*(?:mich\s+|me\s+)?"
                   r"(?:ob|whether|if|wer|wo|who|where)\b")
    _HEARSAY = _R(r"^\s*(?:(?:ich\s+)?(?:hab|habe|hab's|habs)\s+(?:\w+\s+)?gehoert|i(?:'ve)?\s+(?:heard|hear)|"
                  r"angeblich|"
                  r"(?:man\s+)?(?:hoert|sagt)\s+man|rumour\s+has\s+it|apparently)\b")
    _EVENT_BEFORE = _R(rf"\b{_EVENT_RE}s?\s+"
                       r"(?:(?:ist|is|endet|ends|war|was|due|faellig|laeuft|beginnt|starts|steht|leaves|departs|"
                       r"geht|startet|fliegt|goes)\s+)?"
                       r"(?:(?:am|on|ist|is|this|den|der|bis|until|by|an|at)\s+)?$")
    _EVENT_AFTER = _R(r"\s*(?:(?:hab|habe|hat|haben|ist|is|have|has|gibts|gibt's|gibt\s+es)\s+(?:ich\s+|i\s+|es\s+)?)?"
                      r"(?:(?:eine|einen|ein|ne|nen|a|an|the|my|mein|meine|meinen|meinem|unser|unsere|our)\s+)?"
                      rf"{_EVENT_RE}s?\b")
    _AROUND_EVENT = _R(r"\b(?:nach|vor|after|before)\s+(?:dem|der|meinem|meiner|unserem|unserer|my|the|our)\s+"
                       rf"{_EVENT_RE}\w*\b")


def _compile_more() -> None:
    """Patterns added for issue 13 (lists of days, counted series, colloquial times, ...)."""
    global _DLIST, _DLIST_ITEM, _DLIST_EN, _SERIES, _COLLOQ, _HOURW_AFTER, _HOURW_RANGE, _HOURW_UHR, _HALFDAY, _DESKS_UNS, \
        _DESKS_PAIR, _FOR_NAME, _BOOK_PHRASE, _CHITCHAT, _REQ_PHRASE, _UNDO_PHRASE, _CONT_RE, _HOWMUCH, \
        _NAME_CONT, _NAME_POSS, _CANCEL_PHRASE, _CHECKIN_RE, _LIST_RE, _HELP_START, _HELP_AFTER, _HELP_RE, _NAME_WHO, _AVAIL_RE, _OPEN_RE, \
        _PRICE_RE, _DAYOFF_RE, _ACQUIRE_RE, _ASK_DO_RE, _OFF_RE, _INDIRECT_Q, _AWAY_RE, _AMPM_END, _NOW_DAY, _FROM_BEFORE, _LOOSE_GAP, _ORDWORD, _ORDPAIR, _WHO_RE, _MY_PEOPLE, \
        _NEG_PLACE, _NEG_PLACE_AFTER, _PREF_PLACE, _SALUT, _PRAISE, _THIRD, _DAY_SUBJ, _DAY_IS, _LIKE_LAST, _HOURS_RE, _WHO_OF_US, _NAME_WHO_LOW, _NEG_DATE, _HOWTO_Q, _COND_FALLBACK, _TAGQ, _CLAUSE_Q, _WEEKEND, _IFFREE, _ONLIST, _POLITE, _ANCHOR_IN, _NDAYS, _DESKS_WITH1, _DESKS_PAIR2, _DESKS_MEPLUS, _DESKS_BRING, _DESK_LABEL, _FEATURES, _FEAT_NEG
    _R = re.compile
    global _S_REQ, _S_BOOKPH, _S_BOOK, _S_REMIND, _S_SAVED, _S_FIRM, _S_CONT, _E_TAGE, _S_STAFF, _E_URLAUB, _S_NAMED, _S_WD
    _S_REQ = _stems(*_REQ_STEMS)
    _S_BOOKPH = _stems("trag", "schreib", "eintrag", "sign", "put", "book", "mach", "hau", "pack", "setz", "melde", "halt",
                        "freihalt", "hold", "anmeld")
    _S_BOOK = _R(" ((?:" + "|".join(_BOOK_STEMS) + r")\S*)")
    _S_REMIND = _stems("erinner", "remind")
    _S_SAVED = _stems("gespart", "eingespart", "spare", "saved", "sav")
    _S_FIRM = _stems("firmen", "unternehmens")
    _S_CONT = _stems("konti", "resttag")
    _E_TAGE = _ends("tage", "tagen")
    _S_STAFF = _stems("team", "mitarbeit")
    _E_URLAUB = _ends("urlaub", "ferien")
    global _E_BUCHUNGEN
    _E_BUCHUNGEN = _R(r"(?:team|mitarbeiter|staff|employee)\w*(?:buchungen|bookings) ")
    global _E_REISE
    _E_REISE = _R(r"(?:^|[^pkgw])reise ")
    _S_NAMED = _stems(*_NAMED_STEMS)
    _S_WD = _stems(*sorted(_WD_PREFIX))
    global _S_CANC
    _S_CANC = _stems("streich", "dazwischen", "entfaell", "gestrichen")
    # desk choice (issue 17): "Platz 3", "Schreibtisch Nr. 3", "seat #3", "Tisch drei"; the number is no date,
    # time or team size. Not when a unit follows ("Platz 2 Tage", "Tisch 10 Uhr") or it starts a date/time/range.
    lw = "|".join(k for k in _NUMWORDS if _NUMWORDS[k] > 1 or k in ("eins", "one"))
    _DESK_LABEL = _R(
        r"\b(?P<noun>arbeitsplatz|platz|schreibtisch|tisch|desk|seat|spot|table|workstation)\s*"
        r"(?:(?:nr|no|nummer|number|num)\b\.?\s*|#\s*)?"
        rf"(?P<n>\d{{1,3}}[a-z]?|[a-z]\d{{1,2}}|{lw})\b"
        r"(?![.:/-]\s?\d)(?!\.\s*(?:" + _MONTH_RE + r")\b)"
        r"(?!\s*(?:uhr|h\b|-|bis\b|to\b|till\b|until\b|und\s+\d|tage|tagen|tag\b|days?\b|wochen?|weeks?|monate?n?\b|"
        r"months?\b|stunden?|hours?|mal\b|x\b|personen|person|leute|people|plaetze|desks|seats|"
        rf"(?:a\.?m|p\.?m)\b\.?(?!\s*(?:{_WD_RE}|\d))))"
    )
    # features named as in the world file (monitor, quiet, standing); "ohne Monitor" / "no screen" is none
    place = (r"(?:ecke|eckchen|platz|plaetzchen|arbeitsplatz|tisch|schreibtisch|bereich|raum|zimmer|zone|ort|"
             r"desk|seat|spot|corner|place|area|room|table|one|workstation|section|nook)s?")
    _FEATURES = [
        ("monitor", _R(r"\b(?:\w*monitor(?:e|en|s)?|\w*bildschirm(?:e|en|s)?|(?:second\s+|external\s+|big\s+)?screens?|"
                       r"displays?)\b")),
        ("quiet", _R(r"\b(?:ruhige[nrsm]?|leise[nrsm]?|stille[nrsm]?|quiet(?:er|est)?|silent|calm(?:er)?)\s+"
                     rf"(?:(?!(?:ein|eine|einen|einem|einer|a|an|the|den|der|die|das)\b)[a-z]+\s+)?{place}\b|"
                     r"\bruhig\s+" + place + r"\b|"
                     r"\b(?:ruhe|still)(?:zone|bereich|raum|ecke|platz|arbeit\w*)\b|\b(?:etwas|was)\s+ruhige[sn]?\b|"
                     r"\b(?:something|somewhere|anywhere|someplace)\s+(?:nice\s+and\s+)?quiet(?:er)?\b|\birgendwo\s+ruhig\w*\b|\bwo\s+(?:es|man)\s+(?:\w+\s+)?ruhig\b|\bwhere\s+it'?s\s+quiet\b|"
                     r"\bin\s+ruhe\s+arbeiten\b|\b(?:und|and)\s+(?:eher\s+|moeglichst\s+|schoen\s+)?(?:ruhig|leise|quiet)\b"
                     r"(?!\s+(?:ist|sein|is|be|bleiben|hier|da|dort|there))|" + place + r"\W+(?:der|die|das|that|which|where)\s+(?:\w+\s+){0,2}?(?:ruhig|quiet)\b")),
        ("standing", _R(r"\b(?:steh(?:pult|tisch|schreibtisch|arbeitsplatz|platz)\w*|\w*verstellbar\w*|"
                        r"standing[\s-]+" + place + r"|stand(?:ing)?[\s-]?up[\s-]+" + place + r"|sit[\s/-]+stand\w*|"
                        r"(?:height[\s-]+)?adjustable(?:\s+" + place + r")?|(?:im|zum)\s+stehen)\b")),
    ]
    global _FEAT_GATE
    _FEAT_GATE = _R(r"monitor|bildschirm|screen|display|ruhig|ruhe|leise|still|quiet|silent|calm|steh|stand|"
                    r"verstell|adjustable").search
    _FEAT_NEG = _R(r"\b(?:ohne|without|kein\w*|no|not|nicht)\s+(?:(?:a|an|einen?|so|mit|with|any)\s+)?$")
    _BOOK_PHRASE = _R(r"\btrag\w*\s+(?:\w+\s+){0,5}?ein\b|\bschreib\w*\s+(?!(?:mir|uns|dir)\s+ein\b)(?:\w+\s+){0,5}?ein\b|\bmelde\w*\s+(?:\S+\s+){0,6}?an\b|\b(?:hau|pack|setz)\w*\s+(?:\S+\s+){0,6}?rein\b|\beintragen\b|\bsign\s+me\s+up\b|"
                      r"\bput\s+me\s+down\b|\bbook\s+me\b|\bmach\w*\s+(?:\w+\s+){0,4}klar\b")
    global _BOOK_PHRASE2
    _BOOK_PHRASE2 = _R(r"\bmach\w*\s+(?:\w+\s+){0,4}?fest\b|\bfestmachen\b|\bhalt\w*\s+(?:\S+\s+){0,6}?frei\b|\bfreihalten\b|"
                       r"\banmelden\b|\bhold\s+(?:me\s+|us\s+)?(?:a|one|two|\d)\s+(?:desks?|seats?|spots?|places?)\b")
    _CHITCHAT = _Cues([
        (("wie",), r"\bwie\s+geht'?s\b|\bwie\s+gehts\b|\bwie\s+geht\s+es\s+(?:dir|euch|ihnen)\b|\bwie\s+weit\b|\bwie\s+war\s+dein\b"),
        (("how", "how's", "hows"), r"\bhow\s+are\s+you\b|\bhow\s+is\s+your\b|\bhow'?s\s+it\s+going\b|\bhow\s+far\b"),
        (("bist", "warst"), r"\bbist\s+du\s+(?:ein|eine|echt)\b|^\s*(?:bist|warst)\s+du\b"),
        (("are",), r"\bare\s+you\s+(?:a|an|real)\b"),
        (("witz",), r"\berzaehl\w*\b.*\bwitz\b"),
        (("was",), r"^\s*was\s+fuer\s+(?:ein|eine|einen)\b[^?]*$"),
        (("know", "kennst", "recommend", "empfehlen"),
         (r"\bdid\s+you\s+know\b|\b(?:do\s+you\s+know|kennst\s+du|can\s+you\s+recommend|kannst\s+du\s+(?:\w+\s+)?empfehlen)\s+"
         r"(?:a|an|any|some|ein|eine|einen|gute|good)\b")),
        (("wusstest",), r"\bwusstest\s+du\b"),
        (("weisst",), r"\bweisst\s+du\s+(?:was|dass)\b"),
        (("entfernung", "distance"), r"\bentfernung\b|\bdistance\b"),
        (("joke",), r"\btell\s+me\s+a\s+joke\b"),
        (("late",), r"\b(?:was|is|were|are|running|ran|always|again|so|too|very|be|been)\s+late\b"),
        (("mitzukommen", "mitkommen", "mitfahren", "mitzufahren"), r"\bmit(?:zu)?(?:kommen|fahren)\b"),
        (("mit", "along"), (r"\b(?:wer|who)\s+(?:kommt|will|wants|is)\s+(?:\w+\s+)?(?:mit|along)\b|\bkommst\s+du\s+mit\b|"
                            r"\bkommt\s+(?:wer|jemand|ihr)\s+mit\b|\bcoming\s+along\b")),
        (("what's", "whats"), r"\bwhat'?s\s+up\b(?!\s+with)"),
        (("komme", "komm", "kommt", "get", "directions", "wegbeschreibung", "anfahrt"),
         (r"\bwie\s+komm\w*\s+(?:ich|man)\s+(?:am\s+besten\s+)?(?:von|nach|zu|zum|zur|hin)\b|\bhow\s+do\s+i\s+get\s+(?:to|from|there)\b|"
          r"\bdirections\b|\bwegbeschreibung\b|\banfahrt\b")),
    ])
    _REQ_PHRASE = _R(r"\bi'?d\s+like\b|\bmake\s+(?:that|it)\b|\bi'?ll\s+take\b|\bich\s+komme?\b|\bwir\s+kommen\b|\bwaere?\s+(?:\w+\s+){0,2}?(?:super|toll|gut|nett|top|klasse|prima|cool|great|schoen|perfekt|ideal)\b")
    _UNDO_PHRASE = _Cues([
        (("mach", "macht", "machen", "mache", "machs"), r"\bmach\w*\s+(?:das\s+)?rueckgaengig\b|\bmach\w*\s+(?:das|es)\s+(?:wieder\s+)?weg\b|"
                                                        r"\bmach\w*\s+(?:das|die)\s+letzte\s+(?:\w+\s+)?(?:wieder\s+)?weg\b|"
                                                        r"\bmach\w*\s+(?:das|es)\s+(?:\w+\s+)?zurueck\b"),
        (("nimm",), r"\bnimm\s+(?:das|(?:die|meine)\s+letzte\s+\w+)\s+zurueck\b"),
        (("zurueck",), r"^\W*(?:(?:nee|nein|no|ne|oh|ups|oops)\W+)*zurueck\b.*\b(?:wollt\w*|meinte)\s+ich\s+nich"),  # "nee, zurück, das wollt ich nich"
        (("letzte", "letzten", "letzter", "letztes", "last", "latest", "vorige", "vorigen", "previous"),
         r"\b(?:letzte[nrs]?|last|latest|vorige[nrs]?|previous)\s+(?:buchung|booking|aktion|action|reservierung|reservation)\b"),
        (("take",), r"\btake\s+(?:that|it)\s+back\b"),
        (("zurueck",), r"^\s*(?:(?:hups|ups|oops|upps|mist|oh|ach)\W+)?(?:nein,?\s+|nee,?\s+|no,?\s+|nochmal\s+|bitte\s+|einmal\s+)?zurueck\b|"
                       r"[,.!]\s*zurueck\s*(?:bitte|pls|please)?\s*[.!]*\s*$|"
                       r"\bzurueck\s*[,.!]\s*(?:das|die)\s+(?:letzte|eben|gerade)\w*\b"),
        (("das",), (r"\bdas\s+war\s+(?:ein\s+)?(?:fehler|versehen|irrtum)\b|"
                   r"\bdas\s+war\s+(?:\w+\s+)?(?:falsch|verkehrt|nicht\s+richtig)\b(?!\s+verbunden)|"
                   r"\bdas\s+(?:wollte\s+ich\s+nicht|war\s+nicht\s+(?:so\s+)?gewollt)\b|"
                   r"\bdas\s+(?:eben|gerade|grad|vorhin|letzte)\s+war\s+(?:\w+\s+)?(?:falsch|verkehrt|ein\s+fehler|ein\s+versehen)\b")),
        (("that", "my"), (r"\bthat\s+was\s+a\s+mistake\b|\bmy\s+mistake\b|\bthat\s+was\s+(?:wrong|an?\s+(?:error|accident))\b|"
                         r"\bthat\s+was\s+not\s+what\s+i\s+wanted\b")),
        (("falscher", "falsche", "falschen", "falsches", "wrong"),
         r"\b(?:falsche[rns]?|wrong)\s+(?:tag|day|buchung|booking|platz|ort|space|datum|date)\b(?!.*\b(?:statt|instead|sondern)\b)"),
        # a bare "ups" or "ups, das war falsch"; not "ups hab gestern vergessen Havixbeck zu buchen" (a story with a day)
        (("oops", "ups", "hoppla", "huch", "upsi", "whoops", "uups"),
         r"^\s*(?:oops|ups|hoppla|huch|upsi|whoops|uups)\b(?!\W*(?:\w+\W+){0,3}?(?:vergessen|forgot)\b)"),
        (("didn't", "didnt"), r"\bi\s+didn'?t\s+(?:want|mean)\s+(?:that|to)\b"),
        (("vergiss",), r"^\s*(?:\w+,?\s+)?vergiss\s+(?:das|es)\s*(?:(?:gerade|grad|eben|vorhin|wieder|bitte)\s*)*[.!]*\s*$"),
    ])
    _CONT_RE = _Cues([
        (_DAYWORDS, (r"\b(?:wie\s*viele?|how\s+many|how\s+much)\s+(?:\S+\s+){0,2}?\S*(?:tage|days)\b|"
                    r"\b(?:\w*tage|days|bookings|buchungen)\b.*\b(?:uebrig|left|remaining|bleiben|verbleibend|verbraucht|used|zu|"
                    r"aufgebraucht|ausgeschoepft|verplant)\b|"
                    r"\b(?:bezahlte|paid)\s+(?:\S+\s+)?\S*(?:tage|days)\b|\bremaining\s+days\b|\bout\s+of\s+days\b|"
                    r"\b(?:restliche[nm]?|uebrige[nm]?|verbleibende[nm]?)\s+(?:\w+\s+)?tage\b|\bverfall\w*\b.*\btage\b|"
                    r"\b(?:keine|no)\s+(?:\w+\s+)?(?:tage|days)\s+(?:mehr|left)\b|"
                    r"\bdays?\s+(?:do\s+i\s+get|per\s+month)\b|"
                    r"\b(?:does|do)\s+[a-z]+\s+(?:still\s+)?have\s+(?:any\s+)?(?:\S+\s+)?days\b|"
                    r"\bhat\s+(?:der\s+|die\s+)?[a-z]+\s+(?:noch|schon)\s+(?:\S+\s+)?\S*tage\b|"
                    r"\bhas\s+[a-z]+\s+(?:still\s+)?got\s+(?:any\s+)?(?:\S+\s+)?days\b|"
                    r"\b(?:has|have|did)\s+[a-z]+(?:\s+[a-z]+)?\s+(?:already\s+)?use[d]?\s+(?:up\s+)?(?:all\s+)?(?:\S+\s+)?days\b")),
        (("wie", "wieviel", "wieviele"), (r"\bwie\s*viel\w*\s+(?:\w+\s+)?(?:darf|kann|habe|hab|have)\s+(?:ich|i)\s+(?:\w+\s+){0,3}?(?:noch|still|left|verbraucht|genutzt|used|aufgebraucht)\b|"
                                         r"\bwie\s*viel\w*\s+(?:habe|hab)\s+ich\s+noch\b|\bwie\s*viel\s+ist\s+noch\s+uebrig\b|"
                                         r"\bwie\s*viel\w*\s+(?:\w+\s+)?(?:hat|haben)\s+(?:der\s+|die\s+)?[a-z]+\s+(?:\S+\s+){0,3}?"
                                         r"(?:genutzt|verbraucht|aufgebraucht|verbucht|verplant)\b")),
        (("budget", "guthaben"), r"\b(?:budget|guthaben)\b"),
        (("noch",), r"\bnoch\s+an\s+tagen\b"),
        (("tagen",), r"\bmit\s+(?:den|seinen|ihren|meinen|deinen)\s+(?:\w+\s+)?tagen\b"),
        (("wie", "how"), (r"\bwie\s+(?:oft|viele\s+male?)\s+(?:darf|kann)\s+ich\s+(?:\w+\s+){0,4}?noch\b|"
                         r"\bhow\s+(?:often|many\s+times)\s+(?:can|may)\s+i\s+still\b")),
        (("hab", "habe", "have", "haben"), r"\b(?:hab|habe|have|haben)\s+(?:ich|i|wir|we)\s+(?:\S+\s+){0,3}?(?:noch|still|any)\s+"
                                           r"(?:\S+\s+){0,2}?\S*(?:tage|days)\b"),
        (("was",), r"\bwas\s+hab\w*\s+ich\s+noch\b(?!.*\b(?:gebucht|booked)\b)"),
        # "zahlt mein Chef eigentlich noch was", "übernimmt die Firma noch Tage für mich": the employer's share
        (("zahlt", "bezahlt", "uebernimmt", "pays", "cover", "covers"),
         r"\b(?:zahlt|bezahlt|uebernimmt)\s+(?:mein\w*|der|die|unser\w*)\s+(?:chef\w*|arbeitgeber\w*|firma|boss|unternehmen|betrieb)"
         r"\s+(?:\w+\s+){0,2}?noch\b|\b(?:does|will)\s+my\s+(?:employer|company|boss)\s+still\s+(?:pay|cover)\b"),
        # "bin ich für November schon durch?": used up
        (("durch",), r"\bbin\s+ich\s+(?:\w+\s+){0,3}?schon\s+durch\b"),
    ])
    _HOWMUCH = _R(r"\b(?:wie\s*viel\w*|how\s+(?:much|many)|what'?s\s+left|was\s+hat|was\s+ist\s+(?:bei|von|fuer))\b")
    _NAME_CONT = _R(r"\b(?:hat|does|has|von|for|of|fuer|bleiben|bleibt|stehen|steht|bei|darf|kann|can|may|bekommt|kriegt|gets|restkontingent|"
                    # "how many days Tobias Reher has left": the name before its verb
                    r"days(?=\s+[a-z]+\s+(?:[a-z]+\s+)?(?:has|have)\s+(?:still\s+|got\s+)*(?:left|remaining))|"
                    r"mitarbeiterin|mitarbeiter|kollegin|kollege|employee|colleague|"  # "meine Mitarbeiterin Frau Demir fragt"
                    r"viel(?=\s+(?:die\s+|der\s+)?[a-z]+\s+(?:noch\s+)?(?:hat|uebrig|hätte|haette)\b)|"  # "wie viel die anja noch hat"
                    r"kontingent|contingent|quota)\s+(?:(?:der|die|den|dem)\s+)?(?:(?:unser|unsere[mnr]?|mein|meine[mnr]?|our|my)\s+"
                    r"(?=(?:azubi|praktikant|praktikantin|mitarbeiter|mitarbeiterin|kollege|kollegin|employee|colleague|"
                    r"intern|trainee)\b))?(?=([a-z]+)\b)")
    _NAME_POSS = _R(r"\b([a-z]+)'s\s+(?:\w+\s+){0,2}?(?:contingent|quota|days|allowance|balance|kontingent|tage|budget|guthaben)\b")
    _CANCEL_PHRASE = _Cues([  # word-gated: "<stem>" stands for streich*/dazwischen*/entfaell*/gestrichen (see _S_CANC)
        (("doch",), r"\bdoch\s+nicht\b"),
        (("raus",), r"\b(?:nimm|nehmt|nehmen|trag|tragt|streich|schmeiss)\w*\s+(?:mich|uns)\b.{0,60}\braus\b"),  # "nimm mich ... raus"
        (("aus",), r"\b(?:trag|tragt|tragen)\w*\s+(?:mich|uns)\b.{0,60}\baus\s*[.!]*\s*$"),  # "trag mich für Freitag aus"
        (("mehr",), r"\bnicht\s+mehr\b"),
        (("call",), r"\bcall\s+off\b"),
        (("faellt",), r"\bfaellt\s+(?:\w+\s+){0,3}?(?:aus|weg|flach)\b"),
        (("klappt",), r"\bklappt\s+(?:\w+\s+){0,2}?nicht\b"),
        (("wird",), r"\bwird\s+(?:\w+\s+)?(?:nix|nichts)\b"),
        (("weg",), r"\bkann\s+weg\b|\b(?:mach|tu|nimm|schmeiss)\w*\s+(?:\S+\s+){0,7}?weg\b"),
        (("ohne", "without", "count"), r"\bohne\s+mich\b|\bwithout\s+me\b|\bcount\s+me\s+out\b"),
        (("raus",), r"\bbin\s+(?:\w+\s+){0,2}?raus\b"),
        (("raus",), (r"\bnimm\s+(?:\w+\s+){0,4}?raus\b|\b(?:hau|schmeiss|wirf|werf|kick|streich)\w*\s+(?:\S+\s+){0,5}?raus\b|"
                     r"[,.!]\s*(?:bitte\s+)?raus\s*(?:damit|bitte)?\s*[.!]*\s*$|"
                     r"\b(?:bitte|pls|please)\s+(?:wieder\s+)?raus\b(?!\s+(?:aus|nach|in|ins|zum|zur|an|auf))")),
        (("aus",), r"\btrag\w*\s+(?:\S+\s+){0,5}?aus\b(?!\s+(?:und|dem|der))"),
        (("ab",), r"\bmelde\w*\s+(?:\S+\s+){0,6}?ab\b"),
        (("sausen", "ausfallen"), r"\blass\w*\s+(?:\w+\s+){0,3}?(?:sausen|ausfallen)\b"),
        (("skip", "scratch", "drop", "loswerden", "planaenderung", "entfallen"),
         r"\bskip\b|\bscratch\b|\bdrop\b|\bloswerden\b|\bentfallen\b|"
         r"\bplanaenderung\b(?!\W+(?:\w+\W+){0,5}?(?:lieber|stattdessen|doch)\b)"),  # "Planänderung: statt X lieber Y": a request
        (("take",), r"\btake\s+(?:\w+\s+){0,2}off\s+(?:my|the)\b|\btake\s+me\s+off\b"),
        (("rausnehmen", "rausnimmst", "rausstreichen"), r"\braus(?:nehmen|nimmst|streichen)\b"),
        (("<stem>",), r"\bstreich\w*\b|\bdazwischen\w*\b|\bentfaell\w*|\bgestrichen\s+werden\b"),
        (("schaff", "schaffe", "schaffs", "schaff's", "schaffst", "schafft", "schaffen"), r"\bschaff[\w']*\s+(?:[\w']+\s+){0,4}?nicht\b"),
        (("keinen",), r"\bkeinen\s+(?:platz|tisch|schreibtisch)\b"),
        (("vergiss",), r"\bvergiss\b(?!\s+(?:es\s+)?nicht)"),
        (("werden",), r"\b(?:gestrichen|storniert|abgesagt|geloescht|entfernt|freigegeben)\s+werden\b"),
        (("came",), r"\bsomething\s+came\s+up\b"),
        (("rid",), r"\bget\s+rid\s+of\b"),
        (("can't", "cant", "cannot"), r"\bcan'?(?:no)?t\s+do\b"),
        (("change",), r"\bchange\s+of\s+plans?\b"),
        (("plans",), r"\bplans\s+(?:have\s+)?changed\b"),
        (("free",), r"\bfree\s+up\b"),
        (("passen",), r"\bmuss\s+(?:\w+\s+){0,3}?passen\b"),
        (("won't", "wont"), r"\bwon'?t\s+(?:need|be)\b"),
        (("not",), r"\bnot\s+(?:coming|going)\b"),
        (("longer",), r"\bno\s+longer\s+(?:need|want|require|coming|going)\b"),
        (("anymore",), r"\b(?:don'?t|do\s+not|won'?t)\s+need\b.*\banymore\b"),
    ])
    _HELP_START = _R(r"\s*(?:wie|how)\s+(?:\w+\s+)?(?:ich|i|man|one|kann|can|do|does)\b")
    _HELP_AFTER = _R(r"[.,;!?]\s*(?:wie|how)\s+(?:\w+\s+)?(?:ich|i|man|one|kann|can|do|does)\b")
    _CHECKIN_RE = _Cues([
        (("check", "checking", "checked"), r"\bcheck(?:ing|ed)?[\s-]+in\b|\bcheck\s+(?:me|us)\s+in\b"),
        (("bin",), (r"\bbin\s+(?:jetzt\s+|gerade\s+|grad\s+|nun\s+|schon\s+)?(?:da|hier|drin|drinnen)\b|"
                   r"\bbin\s+(?:jetzt\s+|gerade\s+|nun\s+)?(?:im|in\s+der|in)\s+(?:buero|office|coworking|haus)|"
                   r"\bbin\s+(?:jetzt|nun|gerade|grad|schon)\s+(?:in|im)\b|\bbin\s+(?:jetzt\s+)?am\s+(?:platz|schreibtisch|tisch)\b")),
        (("jetzt",), r"\bjetzt\s+da\b"),
        (("vor",), r"\bvor\s+ort\b"),
        (("i'm", "im", "i", "am"), (r"\bi'?\s*a?m\s+(?:now\s+)?(?:in|at)\s+(?:the|my)\s+(?:office|coworking|desk)|\bi'?\s*a?m\s+here\b|"
                                   r"\bi'?\s*a?m\s+(?:(?:now|already)\s+)?(?:in|at)\s+(?:\w+\s+){1,3}?(?:now|already)\b|"
                                   r"^\s*(?:ok\s+|so\s+)?i'?\s*a?m\s+in\s*(?:[,.!]|$)|\bi\s+am\s+in\s+the\s+office\b")),
        (("my",), r"\bat\s+my\s+desk\b"),
        (("got", "just"), r"\bjust\s+got\s+(?:in|to)\b|\bgot\s+to\s+(?:my|the)\s+(?:desk|office|space)\b|\bgot\s+here\b|\bjust\s+arrived\b"),
        (("bezogen", "genommen", "eingenommen"), r"\bplatz\s+(?:\w+\s+){0,3}?(?:bezogen|genommen|eingenommen)\b"),
        (("hier", "jetzt", "now"), r"\b(?:hier|jetzt|now)\b.*\bam\s+(?:platz|schreibtisch)\b"),
        (("here",), r"\bhere\s+now\b"),
        (("building",), r"\bin\s+the\s+building\b"),
        (("sat", "sitting", "took", "settled"), (r"\bsat\s+down\b|\bi'?\s*a?m\s+sitting\s+(?:at|in)\b|\btook\s+my\s+(?:seat|desk)\b|"
                                                r"\bsettled\s+in\b")),
        (("sitze", "hingesetzt", "eingetroffen"), r"\bsitze\b|\bhingesetzt\b|\beingetroffen\b"),
        (("gesetzt",), r"\b(?:mich|hin)\s+(?:\w+\s+){0,4}?gesetzt\b"),
        (("sitz", "hock", "hocke"), r"\b(?:sitz|hocke?)\s+(?:\w+\s+){0,2}?(?:schon|jetzt|grad|gerade|nun|hier|am|im)\b"),
        (("i've", "ive"), r"\bi'?ve\s+arrived\b"),
        # "bin grad reingekommen", "gerade reingekommen", "eben angekommen": arriving now, not a past story
        (("reingekommen", "hereingekommen", "reinkomme", "reingeschneit"),
         r"\b(?:bin|gerade|grad|eben|jetzt|soeben)\s+(?:\w+\s+){0,2}?(?:rein|herein)(?:gekommen|komme|geschneit)\b"),
    ])
    _LIST_RE = _Cues([
        (("gebucht", "booked", "reserviert", "reserved", "eingetragen"),
         (r"\b(?:was|wo|wann|what|where|when|which|welche)\b.*\b(?:gebucht|booked|reserviert|reserved)\b|"
         r"\b(?:habe|hab|have|bin|am)\s+(?:ich|i)\b.*\b(?:gebucht|booked|reserviert|eingetragen|reserved)\b|"
         r"\bwhat'?s\s+booked\b|\bwas\s+ist\s+(?:fuer\s+mich\s+)?gebucht\b|"
         r"\bob\s+ich\s+(?:\w+\s+){0,5}?(?:gebucht|eingetragen|reserviert)\s+(?:bin|habe|hab|war)\b|"
         r"\b(?:whether|if)\s+i'?(?:\s+a)?m\s+(?:already\s+)?(?:booked|registered|signed\s+up)\b|"
         r"\b(?:ist|is)\s+(?:\w+\s+){0,4}?(?:gebucht|booked|reserviert|reserved)\s+(?:fuer|for)\s+(?:mich|me)\b")),
        (("meine", "my", "meiner"), (r"\b(?:meine|my|meiner)\s+(?:termine|plaetze|desks|reservierungen|reservations)\b|"
                                    r"\bwhat'?s\s+on\s+my\s+(?:schedule|calendar|plan)\b")),
        (("book", "reserve"), r"\b(?:what|which|where|when)\s+(?:did|have|do)\s+i\s+(?:book|reserve)|"
                              r"^\W*(?:\w+\W+){0,2}?did\s+i\s+(?:already\s+|actually\s+|even\s+)?(?:book|reserve)\b"),
        (("days",), r"\b(?:which|what)\s+days\s+(?:am|will|have|do)\s+i\b"),
        (("tage", "tagen"), r"\b(?:an\s+)?welchen\s+tagen\s+(?:bin|sitze|arbeite)\s+ich\b"),
        (("what",), r"\bwhat\s+(?:do\s+i\s+have|have\s+i\s+got)\s+(?:on|for|next|this|tomorrow|today|coming)\b"),
        (("was",), r"\bwas\s+(?:habe|hab)\s+ich\s+(?:\w+\s+)?(?:am|an|fuer)\b|"
                   r"\bwas\s+(?:habe|hab)\s+ich\s+(?:naechste|kommende|diese)\s+woche\b"),
        (("anything",), r"\b(?:do\s+i\s+have|have\s+i\s+got|i\s+have|i'?ve\s+got)\s+anything\s+(?:on|for|booked|planned|scheduled)\b"),
        (("booked", "reserved", "bookings", "reservations"),
         r"\b(?:do|did|have)\s+i\s+(?:have\s+|got\s+)?(?:\w+\s+){0,2}?(?:booked|reserved|bookings|reservations)\b"),
        (("bin",), r"\bwann\s+bin\s+ich\b|\bwo\s+bin\s+ich\b"),
        (("sitz", "sitze", "sitzen", "sit", "sitting"), r"\bwo\s+sitze?\s+ich\b|\bwhere\s+(?:do|will|am)\s+i\s+(?:sit|be\s+sitting|sitting)\b"),
        (("hab", "habe"), r"\b(?:hab|habe)\s+ich\s+(?:\w+\s+){0,3}?schon\s+(?:was|etwas)\b"),
        (("hab", "habe", "have", "do"), (r"\b(?:hab|habe|have|do)\s+(?:ich|i)\s+(?:\w+\s+){0,3}?(?:einen\s+|a\s+|ne\s+|nen\s+)?"
                                        r"(?:platz|desk|buchung|booking|seat|tisch)\b|\bwelche\s+(?:tage|plaetze)\s+(?:habe|hab)\s+ich\b")),
        (("steht",), r"\bwas\s+steht\s+(?:bei\s+mir\s+)?(?:\w+\s+){0,5}?an\b"),
        (("am",), r"\b(?:where|when)\s+am\s+i\b"),
        (("eingebucht",), r"\beingebucht\b"),
        (("coming",), r"\bcoming\s+up\b"),
        (("liste",), r"^\s*liste\s*$"),
        (("mein", "meine", "my"), (r"\b(?:mein|meine|my)\s+(?:naechste[rns]?|next|kommende[rns]?|upcoming)\s+"
                                  r"(?:termin|buchung|booking|reservation|reservierung|platz|desk|coworking\w*)\b")),
    ])
    _HELP_RE = _Cues([
        (("was",), (r"\bwas\s+kannst\s+du\b|\bwas\s+du\s+(?:alles\s+)?kannst\b|\bwas\s+kann\s+(?:ich|der\s+bot|man)\b|\bwas\s+muss\s+ich\b|"
                   r"\bwas\s+(?:soll|kann|muss)\s+ich\s+(?:hier\s+)?(?:tun|machen|schreiben)\b|"
                   r"\bwas\s+ich\s+(?:schreiben|tun|machen|eingeben)\s+(?:soll|muss)\b|\bwas\s+geht\s+hier\b")),
        (("what",), (r"\bwhat\s+can\s+(?:you|this(?:\s+bot|\s+thing)?|it|the\s+bot|deskbot)\s+do\b|\bwhat\s+do\s+you\s+do\b|\bwhat\s+do\s+i\s+(?:type|write|say)\b|"
                    r"\bwhat\s+can\s+i\s+(?:do\s+(?:here|with\s+you|with\s+this)|ask|say|type|write)\b|\bwhat\s+(?:should|do)\s+i\s+(?:ask|say|type|write)\b|\bwhat\s+are\s+the\s+commands\b")),
        (("wie",), r"\bwie\s+funktioniert\b|\bwie\s+geht\s+das\b|\bwie\s+mach\s+ich\b|\bwie\s+(?:gehe\s+ich|geht\s+man)\s+vor\b"),
        (("how",), r"\bhow\s+(?:does\s+(?:this|it|booking)|do\s+i)\b|\bhow\s+do\s+i\s+use\b|\bhow\s+does\s+this\s+work\b"),
        (("keine", "keinen"), r"\bkeine\s+ahnung\b|\bkeinen\s+plan\b"),
        (("bedeuten", "bedeutet", "mean", "means"), r"\bwas\s+bedeute\w*\b|\bwhat\s+do(?:es)?\s+(?:the\s+)?\w+\s+mean\b"),
        (("klar", "zurecht"), r"\bkomm\w*\s+(?:\w+\s+){0,2}?nicht\s+(?:klar|zurecht)\b"),
        (("verstehe", "versteh", "check", "checke", "raff", "raffe", "kapier", "kapiere", "blick"),
         r"\b(?:verstehe?|checke?|raffe?|kapiere?|blick)\s+(?:das\s+|dich\s+|es\s+)?(?:\w+\s+)?nicht\b(?!\s+ein)"),
        (("lost", "confused", "verwirrt"), r"\bi'?\s*a?m\s+(?:so\s+|a\s+bit\s+)?(?:lost|confused)\b|\bbin\s+(?:\w+\s+)?verwirrt\b"),
        (("neu", "new"), r"\bbin\s+(?:\w+\s+)?neu\b|\bi'?\s*a?m\s+new\b|\bnew\s+here\b"),
        (("mach", "mache", "tun", "now"), r"\bwas\s+(?:mach|mache|tu|tue)\s+ich\b|\bwhat\s+now\b"),
        (("explain", "works", "work", "use"), r"\bexplain\b|\bhow\s+(?:this|it)\s+works\b|\bhow\s+to\s+(?:use|book|cancel)\b"),
        (("erklaer", "erklaere", "erklaeren", "erklaerst", "erklaerung"), r"\berklaer\w*\b"),
        (("blick", "blicke"), r"\bblick\w*\s+(?:\w+\s+)?nicht\s+durch\b"),
        (("idea",), r"\bno\s+idea\b"),
        (("don't", "dont"), r"\bi\s+don'?t\s+(?:get|understand)\b"),
        (("weiss",), r"\bweiss\s+nicht,?\s+(?:wie|was)\b"),
        (("bedienung",), r"\bbedienung\b"),
    ])
    # in a message written in lower case, a word we do not know is a name when a place follows: "is tom in olfen
    # tomorrow?", "ist die anna freitag auch in coesfeld?"
    _NAME_WHO_LOW = _R(r"\b(?:ist|is|sitzt|kommt|arbeitet|faehrt|will|wird)\s+(?:(?:der|die|frau|herr|mr|mrs|ms)\s+)?([a-z]+)\s+"
                       r"(?:[a-z]+\s+|am\s+[\d.]+\s+){0,2}?"
                       r"(?:auch\s+|also\s+|too\s+)?(?:in|im|at|bei|nach)\s")
    _NAME_WHO = _R(r"\b(?:ist|is|sitzt|kommt|ob|arbeitet|faehrt|if|whether|will|wird|does|did|sind|are)\s+(?:(?:der|die|den)\s+)?([a-z]+)\b")
    _AVAIL_RE = _Cues([
        (("wie",), r"\bwie\s+(?:voll|leer|belegt)\b|\bwie\s*viele\s+(?:leute|personen|menschen)\b"),
        (("wieviele",), r"\bwie\s*viele\s+(?:leute|personen|menschen)\b"),
        (("how",), r"\bhow\s+(?:full|busy|crowded)\b|\bhow\s+many\s+(?:people|persons)\b"),
        (("any",), r"\bany\s+(?:desks?|seats?|spots?|places?|space|room|chance)\b"),
        (("is", "ist"), r"\b(?:is|ist)\s+(?:there|da|dort|noch)\s+(?:\w+\s+){0,4}?(?:any\s+|noch\s+)?(?:room|space|platz)\b"),
        (("gibt",), r"\bgibt\s+es\b.*\b(?:plaetze|platz)\b"),
        (("are",), r"\bare\s+there\b.*\b(?:desks|seats|spots|places)\b"),
        (("viel", "wieviel"), r"\b(?:viel|wieviel)\s+(?:ist\s+)?(?:\w+\s+){0,3}?los\b"),
        (("booked",), r"\bbooked\s+(?:out|up)\b"),
        (("noch",), (r"\bnoch\s+(?:was\s+)?zu\s+kriegen\b|\bnoch\s+(?:platz|plaetze|was)\b.*\?|"
                    r"^\s*(?:und\s+)?noch\s+(?:ein\s+|einen\s+|nen\s+)?(?:platz|plaetze|tisch|tische|was|etwas|raum)\b"
                    r"(?![^?]*\b(?:bitte|please|danke)\b[^?]*$)")),
        (("what's", "whats"), r"\bwhat'?s\s+available\b"),
        (("has", "have", "hat", "haben"), r"\b(?:has|have|hat|haben)\s+(?:\w+\s+)?(?:room|space|capacity|kapazitaet\w*)\b"),
        (("room", "space", "desk", "desks", "seat", "seats"),
         r"^\s*(?:still\s+)?(?:any\s+)?(?:room|space|desks?|seats?)\s+(?:left|available|free)\b"),
        (("left", "free", "available", "open", "frei", "uebrig"),
         r"\b(?:anything|something|any|was|etwas)\s+(?:still\s+|noch\s+)?(?:left|free|available|open|frei|uebrig)\b"),
    ])
    _OPEN_RE = _R(r"\b(?:hat|ist|is|haben)\b.*\bauf\s*[?!.]*\s*$")
    _PRICE_RE = _R(r"\bhow\s+much\s+is\s+(?:a|one)\b|\bwas\s+kostet\b")
    _DAYOFF_RE = _R(r"\b(?:hab\w*|nehm\w*\s+mir|nehm\w*\s+ich(?:\s+mir)?|ich\s+nehm\w*)\s+(?:\w+\s+){0,3}?frei\b(?!\s*\?)(?!.*\?)")
    _TAGQ = _R(r"(?:[,;.!-]\s*|\s)(?:(?:und|and|also|so)\s+)?(?:geht\s+(?:(?:das|es)\s+klar|das|klar|es|sowas)|mach(?:st)?\s+du\s+(?:das|es)|erledigst\s+du\s+das|kriegst\s+du\s+das\s+hin|passt\s+(?:das|es)|klappt\s+(?:das|es)|"
               r"ok(?:ay)?|in\s+ordnung|moeglich|machbar|possible|doable|is\s+that\s+(?:ok(?:ay)?|possible|fine|alright)|"
               r"would\s+that\s+work|does\s+that\s+work|works?|alright|fine|ja|ginge\s+(?:das|es)(?:\s+noch)?|"
               r"geht\s+(?:das|es)\s+noch|waere\s+das\s+(?:ok(?:ay)?|moeglich|machbar|drin)|"
               r"(?:is\s+)?that\s+ok(?:ay)?)(?:\s+(?:oder|or|right|ne|nich|gell|gelle|bitte|please))?\s*\?+\s*$")
    _IFFREE = _R(r"\b(?:if|when|once|as\s+soon\s+as|falls|wenn|sobald|sowie)\b.*\b(?:frei\s+wird|freiwird|frei\s+werden|"
                 r"frees?\s+up|becomes?\s+(?:free|available)|opens?\s+up|gets?\s+(?:free|cancelled|canceled)|"
                 r"gets?\s+(?:a\s+|an\s+)?(?:free|open)\s+(?:spot|desk|seat|place)|"
                 r"wieder\s+(?:frei|was\s+frei)|absagt|storniert|cancels|drops?\s+out|pulls?\s+out|abspring\w*|ausfaellt|"
                 r"(?:was|etwas|ein\s+platz|ein\s+tisch|platz|plaetze)\s+(?:auf|frei)(?:geht|gehen|wird|werden)|"  # "was aufgeht"
                 r"aufgeht|aufgehen|freigeht)\b")
    _ONLIST = _R(r"\b(?:setz|schreib|trag|pack|put|add)\w*\s+(?:mich|me)\s+(?:\w+\s+){0,3}?(?:auf|on|to)\s+(?:die|the)\s+(?:liste|list)\b")
    _ANCHOR_IN = _R(rf"\b(?P<a>heute|morgen|today|tomorrow|uebermorgen)\s+in\s+(?P<n>{_NUM_RE})\s+(?P<u>tag|tagen|tage|days?|wochen?|weeks?)\b|"
                    rf"\b(?P<n2>{_NUM_RE})\s+(?P<u2>days?|weeks?)\s+from\s+(?P<a2>today|tomorrow|now)\b|"
                    # a weekday as the anchor: "Freitag in einer Woche", "Freitag in acht Tagen", "a week from Friday",
                    # "Thursday week" (British: the Thursday after the coming one)
                    rf"\b(?P<a3>{_WD_LONG})\s+in\s+(?P<n3>{_NUM_RE})\s+(?P<u3>tagen|wochen?)\b|"
                    r"\b(?P<n4>a|one|two|1|2)\s+(?P<u4>weeks?)\s+(?:from|after)\s+(?:this\s+|next\s+)?"
                    r"(?P<a4>monday|tuesday|wednesday|thursday|friday)\b|"
                    r"\b(?<!this\s)(?<!next\s)(?P<a5>monday|tuesday|wednesday|thursday|friday)\s+week\b(?!\s+(?:after|from))")
    _NDAYS = _R(rf"\b(?:fuer\s+|for\s+)?({_NUM_RE})\s+(?:(?:ganze|volle|whole|full)\s+)?(?:tage|tagen|days|werktage|arbeitstage|"
                r"working\s+days)\b(?!\s+(?:vorher|before|frueher|spaeter|later|lang\b|im\b|in\s+(?:der|the|a|einer|jeder|every|diesem|this)\b"
                r"|pro\b|per\b|die\b|a\b))")  # "für drei Tage in Dülmen" is three days; "3 Tage in der Woche" a rate
    _DESKS_PAIR2 = _R(r"\b(?:(?:mein|meine[rmn]?|my|a|ein|eine)\s+(?:kolleg\w*|colleague|coworker|chef\w*|boss|partner\w*|kompagnon|"
                      r"geschaeftspartner\w*|mann|frau|husband|wife)|([a-z]{2,}))"
                      r"\s+(?:und|and|&|\+)\s+(?:ich|i)\b")
    _DESKS_MEPLUS = _R(rf"\b(?:ich|me|myself|mich)\s*(?:plus|\+|und|and|&)\s*({_NUM_RE})\b"
                       r"(?!\s*(?:uhr|h\b|tage?n?\b|days?\b|wochen?\b|weeks?\b|:|\.\d|bis\b|-|pm\b|am\b))")
    _DESKS_BRING = _R(r"\bbring\w*\s+(?:noch\s+|auch\s+)?(?:jemanden|(?:einen|nen|'nen)\s+kollegen|(?:eine|ne|'ne)\s+kollegin|meine[nr]?\s+kolleg\w*|"
                      r"someone|somebody|a\s+colleague|a\s+friend|my\s+colleague)\b(?:\s+(?:mit|along))?|\bplus\s+one\b|\+1\b")
    _DESKS_WITH1 = _R(r"\b(?:mit|with)\s+(?:kollege|kollegin|colleague|coworker|chefin|partnerin|praktikantin|kommilitonin|kommilitone)\b|"
                      r"\b(?:mit|with)\s+(?:meinem|meiner|einem|einer|my|a|one|unserem|unserer|our)\s+(?:\w+\s+)?"
                      r"(?:kollegen|kollegin|kollege|colleague|coworker|co-worker|chef|chefin|boss|praktikant|praktikantin|"
                      r"azubi|partner|partnerin|teamkollegen|teamkollegin)\b(?!s)")
    _POLITE = _R(r"\b(?:if\s+(?:at\s+all\s+)?possible|if\s+you\s+can|wenn\s+(?:es\s+|das\s+)?(?:moeglich|geht|passt)|"
                 r"falls\s+(?:es\s+|das\s+)?(?:moeglich|geht|passt)|wenn'?s\s+geht|nach\s+moeglichkeit|wenn\s+moeglich|"
                 r"if\s+that'?s\s+(?:ok(?:ay)?|possible|fine))\b")
    global _POLITE_IF
    _POLITE_IF = _R(r"(?:(?<=[,;.!]\s)(?:falls|wenn|sofern)\s+(?:es\s+|da\s+|der\s+platz\s+)?(?:noch\s+)?(?:was\s+|etwas\s+|einer\s+)?frei(?:\s+(?:ist|is|waere))?\s*[.!]*\s*$|"
                 r"(?<=[,;.!]\s)if\s+(?:there'?s\s+)?(?:still\s+)?(?:one\s+|a\s+desk\s+|anything\s+)?(?:available|free)\s*[.!]*\s*$|"
                 r"\bif\s+(?:there'?s|there\s+is)\s+(?:still\s+)?(?:space|room|a\s+(?:desk|seat|spot))(?:\s+(?:left|free|available))?\s*[.!]*\s*$)")
    _CLAUSE_Q = _R(r"[,;.:]\s*(?:und\s+|aber\s+|also\s+|and\s+|but\s+)?(?:(?:ist|sind|gibt|gibts|geht|hat|habt|haben|is|are|any|kriegt|kann)\s+"
                   r"(?:da|es|man|there|it|noch|dort|was)|wie\s+(?:ist|sieht|schaut|steht)|how\s+(?:is|does|about|are)|what\s+about)\b")
    _WEEKEND = _R(r"\b(?:(?P<after>nach\s+dem|after\s+the)|(?P<mod>uebernaechste[ns]?|naechste[ns]?|kommende[ns]?|next|coming|this|"
                  r"dieses|diesem|am|an\s+dem|uebers|ueber\s+das|on\s+the|at\s+the|over\s+the|the))\s+(?:wochenende|weekend)\b")
    _NEG_DATE = _R(r"\b(?:statt|anstatt|instead\s+of|nicht\s+(?:am|mehr)?|not\s+(?:on)?|(?:don'?t|do\s+not)\s+want|"
                   r"(?:will|moechte|mag)\s+(?:ich\s+)?nicht)\s*(?:am|den|on|the)?\s*$")
    _HOWTO_Q = _R(r"\b(?:do|did)\s+i\s+(?:need|have)\s+to\b|\b(?:must|should)\s+i\b|\b(?:muss|soll|sollte)\s+ich\b|"
                  r"\bbrauche?\s+ich\s+(?:\w+\s+)?(?:zu|to)\b|\bbrauch\w*\s+(?:ich|man)\b.*\b(?:buchung|reservierung|anmeldung)\b|"
                  r"\b(?:kann|darf)\s+(?:ich|man)\b.*\bohne\s+(?:\w+\s+)?(?:buchung|anmeldung|reservierung|buchen)\b|"
                  r"\b(?:do|does)\s+(?:i|one)\s+need\s+(?:a\s+|to\s+)?(?:booking|book|reservation|reserve)\b|"
                  r"\b(?:can|may)\s+i\b.*\bwithout\s+(?:a\s+)?(?:booking|reservation|booking)\b|"
                  r"^\W*(?:and\s+|so\s+|und\s+|also\s+)?(?:how\s+(?:do|can|should)\s+i|wie\s+(?:kann|soll|muss)\s+ich|"
                  r"wie\s+(?:checke|buche|storniere)\s+ich|wie\s+geht\s+(?:das\s+)?(?:mit\s+dem\s+)?)\b")  # "how do I check in"
    _DAY_IS = _R(r"\b(?:heute|today|morgen|tomorrow|uebermorgen|gestern|yesterday)\s+(?:ist|is|war|was|wird|will\s+be)\s+(?:schon\s+|endlich\s+|already\s+|finally\s+)?$")
    _LIKE_LAST = _R(r"\b(?:wie|like|as)\s+(?:letzte|vorige|vergangene|last|the\s+last)\s+(?:woche|week|mal|time)\b")
    _HOURS_RE = _R(r"\bbis\s+wann\b|\bab\s+wann\b|\bab\s+wie\s*viel\s+uhr\b|\buntil\s+when\b|\bhow\s+long\s+(?:can|is|are)\b")
    _WHO_OF_US = _R(r"\b(?:einer|eine|jemand|wer|anyone|someone|any)\s+(?:von|aus|of)\s+(?:uns|euch|us|meinen|my|dem|the|our|unserem|unserer)\b")
    _DAY_SUBJ = _R(rf"\b(?:{_WD_RE}|today|tomorrow|weekend|wochenende)s?\s+(?:can'?t|cannot|won'?t|kann\s+nicht|will\s+never)\s+come\b")
    _PRAISE = _R(r"\b(?:good|great|nice|clever|guter|braver|super|toller|feiner)\s+(?:bot|job|work|one|arbeit)\b|\bwell\s+done\b|"
                 r"\b(?:gut|super|toll|prima)\s+gemacht\b")
    _THIRD = _R(r"^\s*(?:he|she|they|er|(?:mein|meine|my|our|unser|unsere|his|her|sein|seine|ihr|ihre)\s+(?!platz|tisch|desk|seat|buchung|booking)[a-z]+"
                r"|(?:der|die|the)\s+(?:kollegen|kollegin|kollege|chef\w*|boss|bus|zug|bahn|train|team|frau|mann|partner\w*|kinder|kids|"
                r"leute|people|folks|guys|jungs|maedels|anderen|others)(?:\s+(?:aus|von|vom|from|of|in)\s+(?:der\s+|dem\s+|den\s+|the\s+)?[a-z]+)?)\s+"
                r"(?:faehrt|ist|kommt|arbeitet|sitzt|bleibt|will|wird|hat|war|is|goes|works|was|has|comes|drives|sind|kommen|fahren|are|"
                r"sitzen|arbeiten|bleiben|work|sit)\b")
    _SALUT = _R(r"\s*(?:dear|hi|hello|hallo|liebes|liebe|hey|moin|servus|guten\s+(?:tag|morgen|abend))\s+(?:team|all|everyone|zusammen|deskbot|bot)\b")
    _NEG_PLACE = _R(r"\b(?:nicht|not|statt|anstatt|instead\s+of|kein|als|than)\s+(?:(?:in|nach|im|to|at)\s+)?$")  # "lieber X als Y"
    _NEG_PLACE_AFTER = _R(r"\s*(?:geht\s+nicht|klappt\s+nicht|ist\s+voll|is\s+full)\b")
    _PREF_PLACE = _R(r"\b(?:sondern|lieber|but|rather|besser|instead|dann|then|sonst|otherwise|else|nehm\s+ich|nehme\s+ich|i'?ll\s+take)\s+"
                     r"(?:(?:in|nach|im|to|at)\s+)?$")
    _COND_FALLBACK = _R(r"\b(?:wenn|falls|if)\b.*\b(?:voll|ausgebucht|belegt|full|booked\s+(?:out|up)|taken)\b.*"
                        r"(?:\b(?:dann|then|sonst|otherwise|else)\b|,\s*(?:nehm|nehme|buch|buche|geh|gehe|fahr|fahre|komm|komme)\s+ich\b|"
                        r",\s*i'?ll\s+(?:take|book|go)\b)")
    _OFF_RE = _R(r"\bi'?\s*a?m\s+off\b(?!\s+to\b)|\bout\s+of\s+(?:the\s+)?office\b|\bnicht\s+im\s+buero\b|\bdays?\s+off\b|\bt(?:ake|aking|ook)\s+(?:\w+\s+)?off\b(?!\s+(?:for|my|the|meine|from))|"
                 r"\bbusiness\s+trip\b|\bon\s+a\s+trip\b|\bon\s+a\s+(?:course|training)\b|\bauf\s+(?:einem\s+)?lehrgang\b|\btravel+ing\s+(?:for\s+work|on\s+business)\b|\bon\s+the\s+road\b")
    _AWAY_RE = _R(r"\bauf\s+montage\b|\bauf\s+reisen\b|\b(?:beim|bei\s+einem|bei\s+der)\s+(?:kunden|kundin|kunde)\b|\bat\s+a\s+client'?s?\b|"
                  r"\bim\s+aussendienst\b|\bbin\s+(?:\S+\s+){0,8}?nicht\s+da\b|\bbin\s+(?:ich\s+)?(?:\S+\s+){0,3}?(?:weg|verreist|unterwegs)\b|\bnot\s+(?:around|here|in\s+the\s+office)\b|\bwill\s+be\s+away\b")
    ordw = "|".join(sorted((re.escape(k) for k in _ORDINALS), key=len, reverse=True))
    ordde = "|".join(sorted((re.escape(k) for k in _ORDINALS if k.endswith("en")), key=len, reverse=True))
    _ORDPAIR = _R(rf"\b({ordde})\s+({ordde})\b")  # day and month as German ordinals: "am dritten zwölften"
    _ORDWORD = _R(rf"\b({ordw})(?=\s+(?:of\s+)?(?:{_MONTH_RE})\b"  # "am zweiten Dezember"; "vom siebten bis zum elften Dez."
                  rf"|\s*(?:-|bis(?:\s+zum)?|to|till|until|und|and|,)\s*(?:the\s+)?(?:{ordw}|\d{{1,2}}\.?)\s+(?:of\s+)?(?:{_MONTH_RE})\b)")
    _MY_PEOPLE = _R(r"\b(?:meine[nmr]?|my|unsere[nmr]?|our)\s+leuten?\b|\bmy\s+people\b")
    _WHO_RE = _R(r"\b(?:ist|is|kommt|sitzt|arbeitet|comes|will|ob|whether)\s+(?:mein|meine|my|unser|unsere|our)\s+"
                 r"(?:chef\w*|kolleg\w*|boss|colleague\w*|team\w*|manager\w*|vorgesetzte\w*|teamleit\w*|mann|frau|partner\w*)|"
                 r"\b(?:ob|whether|if)\s+(?:die|der|er|sie|he|she|they)\s+(?:\w+\s+)?(?:schon\s+|already\s+)?(?:da|dort|there|here)\b|"
                 r"\b(?:irgendwer|irgendjemand|jemand|anyone|anybody|someone)\s+(?:von|aus|from|of)\s+(?:der|dem|unserer|unserem|meiner|"
                 r"meinem|the|our|my)\s+(?:firma|team|abteilung|company|office|department)\b")
    _FROM_BEFORE = _R(r"\b(?:ab|von|vom|from)\s+$")
    _LOOSE_GAP = _R(r"^\s*(?:[^\s\d]+\s+){1,4}?(?:bis|until|till|to)\s+(?:zum\s+|einschliesslich\s+)?$")
    _AMPM_END = _R(r"(?<![\d:.])\s(am|pm)\s*[.!?]*\s*$")
    _NOW_DAY = _R(r"\b(?:jetzt\s+gleich|gleich\s+jetzt|ab\s+sofort|sofort|right\s+now|right\s+away|asap)\b")
    _INDIRECT_Q = _R(r"\b(?:checking|check)\s+(?:if|whether)\b|\bwondering\s+(?:if|whether)\b|"
                     r"\b(?:frage|fragen)\s*,?\s+ob\b|\bwissen\s*,?\s+ob\b|\bi\s+wonder\b|"
                     r"\b(?:guck|schau|check|sieh|look|zeig|show)\w*\s+(?:(?:mal|mir|me|uns)\s*,?\s*)*(?:nach\s*,?\s*)?"
                     r"(?:ob|was|wie|if|whether|what)\b|"
                     r"\b(?:interessier\w*|wuesste\w*|frag\w*|wissen|weiss|gewusst|erfahren|sag\w*|mitteil\w*|verrat\w*|tell|unsicher|unschluessig|ueberleg\w*|neugierig|curious|"
                     r"ask|asking|wondering|know|sure)\b[^.?!]{0,30}?\b(?:ob|whether|if)\b|"
                     r"^\s*(?:kurze\s+|eine\s+)?(?:frage|question|quick\s+question)\b")
    _ASK_DO_RE = _R(r"\b(?:kannst\s+du|kannste|koenntest\s+du|koenn(?:t|tet|en|ten)\s+(?:ihr|sie)|can\s+you|could\s+you|can\s+u|could\s+u|"
                    r"would\s+you|will\s+you|wuerdest\s+du|wuerden\s+sie|schaffst\s+du(?:\s+es)?|(?:kriegst|bekommst)\s+du(?=.*\bhin\b)|kriegste(?=.*\bhin\b))\b"
                    r"(?!.*\b(?:sagen|tell|say|zeigen|show|check|pruefen|schauen|nachsehen|nachschauen|gucken|look|mitteilen|verraten)\b)")
    _ACQUIRE_RE = _R(
        r"\b(?:kann|koennte|darf)\s+ich\b.*\b(?:haben|bekommen|kriegen|kommen|arbeiten|sitzen|vorbeikommen|unterkommen)\b|"
        r"\bis\s+it\s+ok(?:ay)?\s+if\s+i\b|\bok(?:ay)?\s+wenn\s+ich\b|\bgeht\s+(?:es|das)\s+(?:klar\s+)?wenn\s+ich\b|"
        r"\b(?:can|could|may)\s+(?:i|we|my\s+(?:\w+\s+){1,2}?and\s+(?:me|i))\s+(?:come|work|sit)\b|\bkrieg\w*\s+ich\b|\bbekomme?\s+ich\b|"
        r"\bhaette\s+ich\b|\b(?:can|could|may)\s+(?:i|we)\s+(?:still\s+|also\s+|maybe\s+|perhaps\s+)?(?:get|have|grab)\b"
    )
    ordsuf = r"(?:\.(?![\d])|st\b|nd\b|rd\b|th\b)"
    sep = r"\s*(?:,|und|and|&|\+)\s*(?:(?:am|den|the|on\s+the)\s+)?"
    _DLIST = _R(
        rf"(?<![\d.:])\b(?:(?:am|den|on\s+the|the|on)\s+)?(\d{{1,2}}){ordsuf}(?:{sep}\d{{1,2}}{ordsuf})*"
        rf"{sep}(\d{{1,2}})(?:\.(\d{{1,2}})\.(\d{{4}}|\d{{2}})?(?!\d)|{ordsuf}(?:\s*(?:of\s+)?({_MONTH_RE})\b\.?)?)"
    )
    _DLIST_ITEM = _R(r"(?<![\d.])(\d{1,2})(?=\.|st|nd|rd|th)")
    # English lists without dots: "on 14 and 15 December", "Dec 21 and 22", "December 2, 4 and 9"
    _DLIST_EN = _R(
        rf"(?<![\d.:])\b(?:(?:on\s+)?(?:the\s+)?)(\d{{1,2}})(?:st|nd|rd|th)?(?:\s*(?:,|and|&)\s*(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?)+"
        rf"\s+(?:of\s+)?(?P<mon_after>{_MONTH_RE})\b\.?"
        rf"|\b(?P<mon_before>{_MONTH_RE})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:\s*(?:,|and|&)\s*(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?)+\b"
        rf"(?![.:\d])")
    _SERIES = _R(
        rf"\b(?:(?:die|the|for\s+the)\s+)?(?:naechsten?|kommenden?|folgenden?|next|coming|following)\s+({_NUM_RE})\s+"
        rf"(?:(?P<wd>{_WD_LONG})(?:e|en|s)?|(?P<weeks>wochen|weeks))\b"
    )
    hw = "|".join(sorted(_HOURWORDS, key=len, reverse=True))
    _COLLOQ = _R(rf"\b(?:a\s+)?(?:(?P<q>dreiviertel|viertel|quarter)\s+(?:(?P<rel>nach|vor|after|past|to)\s+)?|(?P<h>halb)\s+|"
                 rf"(?P<hp>half)\s+(?:(?:past|after)\s+)?)(?P<n>{hw}|\d{{1,2}})\b(?!\s*(?:days?|tage?|desks?|of))")
    unitless = r"(?!\s*(?:tage|tagen|tag|wochen|woche|personen|person|plaetze|platz|leute|kollegen|people|desks?|weeks?|days?|of|mal|x)\b)"
    _HOURW_AFTER = _R(rf"\b(?:um|ab|bis|von|gegen|from|at|until|till|zwischen|between)\s+({hw})\b{unitless}")
    _HOURW_RANGE = _R(rf"(\d{{1,2}}(?::\d\d)?)\s*(?:-|bis|to|und|and)\s*({hw})\b{unitless}")
    _HOURW_UHR = _R(rf"\b({hw})\s+uhr\b")
    _HALFDAY = _R(r"\b(?:halbtags?|halbtaegig\w*|(?:einen\s+)?halbe[nr]?\s+tag|half[\s-]?(?:a[\s-])?day)\b")
    _DESKS_UNS = _R(rf"\b(?:fuer\s+uns|wir\s+sind|we\s+are|we'?re|team\s+of|group\s+of|party\s+of|gruppe\s+(?:von|aus))\s+"
                    rf"(?:(?:insgesamt|zusammen|total|in\s+total|altogether)\s+)?({_NUM_RE})\b(?!\s*(?:uhr|:))|"
                    rf"\b(?:fuer|for)\s+(?:unsere|meine|die|our|my|the)\s+(\d{{1,2}}|zwei|drei|vier|fuenf|two|three|four|five)\s+"
                    r"(?:azubis|auszubildende\w*|praktikant\w*|mitarbeiter\w*|kolleg\w*|leute|jungs|interns|trainees|colleagues|people)\b|"
                    r"(?<![\d.:])\b([2-9])er[\s-]?(?:team|gruppe|truppe|runde|grueppchen)\b|"  # "ein 3er-Team"
                    r"(?<![\d.:])\b(\d{1,2})\s*x\s+(?:platz|plaetze|desks?|tische?|seats?)\b|"
                    rf"\b(?:fuer|for)\s+(\d{{1,2}}|{'|'.join(k for k in _NUMWORDS if _NUMWORDS[k] > 1)})\b"
                    rf"(?!\s*(?:uhr|h\b|tage?n?|days?|wochen?|weeks?|stunden|hours?|monate?n?|months?|:|\.\d|/\d|pm\b|-|bis|to\b"
                    rf"|(?:{_MONTH_RE})\b|st\b|nd\b|rd\b|th\b|am\b(?!\s+(?:{_WD_RE}|\d))))")
    _DESKS_PAIR = _R(
        r"\b(?:fuer|for)\s+(?:(?:meine[nmr]?|my|den|die|der|unsere[nmr]?|our)\s+(?:kolleg\w*|colleague|coworker|co-worker|"
        r"teammate|chef\w*|boss|praktikant\w*|azubi\w*|partner\w*)(?:\s+[a-z]{2,})?|([a-z]{2,}))\s+(?:und|and|&)\s+(?:mich|me|myself)\b|"
        r"\b(?:mich|me|myself|ich|i)\s+(?:und|and|&|\+)\s+(?:(?:mein|meine[nmr]?|my|einen|eine[rn]?|nen|ne|a|an|one)\s+"
        r"(?:kolleg\w*|colleague|coworker|co-worker|teammate|team\s+member|chef\w*|boss|praktikant\w*|azubi\w*|intern|"
        r"trainee|apprentice|assistant|werkstudent\w*|kompagnon|geschaeftspartner\w*|partner\w*|mann|frau|husband|wife|"
        r"freund\w*)|([a-z]{2,}))\b"
    )
    _FOR_NAME = _R(
        r"\b(?:fuer|for)\s+(?:(?:meine[nmr]?|my|unsere[nmr]?|our|den|die|der)\s+)?"
        r"(?:(?:kolleg\w*|colleague|coworker|mitarbeiter\w*|chef\w*|boss|praktikant\w*|azubi\w*|auszubildende\w*|"
        r"intern|trainee|vorgesetzte\w*|teamleit\w*|partner\w*)\s+)?(?:(?:herrn?|frau|mr|mrs|ms|dr)\.?\s+)?"
        r"([a-z][a-z'-]+)\b"
    )


# intent keywords (folded tokens)
_K_CANCEL = {
    "storno", "stornieren", "storniere", "stornier", "stornierung", "storniert", "stornieren?",
    "absagen", "absage", "cancel", "cancle", "cancell", "canceln", "cancelled", "canceled", "cancellation",
    "austragen", "austrage", "revoke", "loeschen", "loesche", "loesch", "delete", "remove", "streichen", "streiche", "abbestellen",
    "abmelden", "freigeben", "zurueckziehen", "zurueckgeben", "release", "unbook", "aufheben", "aufhebe", "annullieren",
    "annulliere", "abblasen", "entfernen", "entferne", "wegmachen", "wegnehmen", "weggeben", "hergeben",
}
_CANCEL_PART = {"cancelled", "canceled", "storniert", "cancellation"}
_K_CANCEL_WEAK = {"kill", "scrap", "ditch", "axe", "nuke", "kicken", "kick", "killen", "undo", "nix"}
_NIX_NOTHING = re.compile(r"\b(?:noch|ist|gar|sonst|so|echt|hier|da)\s+nix\b")  # "noch nix geschmückt": nothing, no cancel
_K_NEG = {"nicht", "kein", "keine", "can't", "cant", "cannot", "won't", "wont", "not", "don't", "dont", "unable", "nich"}
_K_COME = {"komm", "kommen", "komme", "kommt", "schaffe", "schaffen", "schaffs", "schaff", "make", "come", "coming",
           "attend", "hinkommen", "da", "dabei"}
_K_CHECKIN = {"einchecken", "checkin", "eingecheckt", "checke", "angekommen", "arrived", "ankunft", "arrival"}
_K_CONT = {"balance", "saldo", "kontostand", "konto", "tagekonto", "topf", "pott", "kontingent", "contingent", "quota", "guthaben", "allowance", "budget", "restguthaben", "kontigent",
           "restbudget", "restkontingent"}
_K_LISTN = {"buchungsuebersicht", "buchungsliste", "reservierungsuebersicht", "buchungen", "buchung", "bookings", "booking", "reservierungen", "reservierung", "reservations",
            "reservation", "termine"}
_K_LISTM = {"what", "have", "habe", "hab", "hast", "naechsten", "next", "kommenden", "meine", "meiner", "my", "show", "zeige", "zeig", "anzeigen", "list", "liste", "alle", "all",
            "welche", "which", "uebersicht", "overview", "upcoming", "anstehende", "aktuelle", "current"}
_K_AVAIL = {"frei", "freie", "freier", "freies", "freien", "free", "available", "availability", "verfuegbar",
            "verfuegbarkeit", "verfuegung", "belegt", "belegung", "auslastung", "occupancy", "occupied", "busy", "vacant"}
_K_BOOK = {"buchen", "buche", "bucht", "buch", "reservieren", "reserviere", "reservier", "book", "reserve",
           "booke", "buchung", "buchen?"}
_K_DESK = {"platz", "plaetze", "arbeitsplatz", "schreibtisch", "tisch", "desk", "desks", "seat", "spot"}
_K_DESK_NOUN = {"platz", "arbeitsplatz", "schreibtisch", "tisch", "desk", "seat", "spot", "table", "workstation"}
_FEATURE_WORDS = {"stehschreibtisch", "stehschreibtische", "steharbeitsplatz", "stehplatz", "stehtische", "stehpulte",
                  "monitore", "monitoren", "bildschirme", "bildschirmen", "zweitbildschirm", "zweitmonitor", "ruhezone",
                  "ruhebereich", "ruheraum", "stillarbeitsplatz", "hoehenverstellbaren", "hoehenverstellbarer",
                  "hoehenverstellbares", "hoehenverstellbare"}
_K_HELP = {"hilfe", "help", "hilf", "helfen", "hilfst", "befehle", "befehl", "kommandos", "kommando", "commands", "anleitung", "tutorial", "menu", "menue", "faq"}
_K_GREET = {"hallo", "hello", "hi", "hey", "moin", "servus", "huhu", "gruess", "gruezi", "yo", "howdy", "guten", "tach",
            "tag", "morning", "good", "evening", "abend", "bot", "deskbot", "heya", "hiya", "morgen"}
_GREET_FILLER = {"there", "everyone", "all", "zusammen", "leute", "ihr", "du", "folks", "na", "erstmal", "mal"}  # "hi there"
_K_SETTINGS = {"einstellungen", "einstellung", "settings", "setting", "preferences", "optionen", "options", "summary",
               "zusammenfassung", "wochenbericht", "digest",
               "profil", "profile", "standardort", "heimatort", "stammort", "lieblingsort", "heimatspace"}
_K_UNDO = {"rueckgaengig", "undo", "widerrufen", "revert", "zuruecknehmen", "ungeschehen"}
_K_WAIT = {"warteliste", "waitlist", "warteschlange", "nachruecken", "wartelist", "queue", "nachrueckliste",
            "nachruecker", "nachrueckerliste", "nachrueckerplatz", "wartelistenplatz", "warteplatz", "standby"}
_K_LANG = {"english": "en", "englisch": "en", "englisch?": "en", "deutsch": "de", "german": "de",
           "germany": "de"}
# languages the bot does not speak, named in German, English or themselves: asked for, they get the choice it has
for _w in ("tuerkisch turkish turkce tuerkce spanisch spanish espanol franzoesisch french francais italienisch italian italiano "
           "polnisch polish polski russisch russian ukrainisch ukrainian arabisch arabic niederlaendisch dutch nederlands "
           "portugiesisch portuguese portugues rumaenisch romanian griechisch greek kurdisch kurdish persisch farsi polsku "
           "espanol francais turkce").split():
    _K_LANG[_w] = "other"
_K_LANGREQ = {"please", "pls", "plz", "bitte", "auf", "in", "speak", "sprich", "sprechen", "sprache", "language", "switch",
              "wechsel", "wechseln", "umstellen", "antworte", "reply", "answer", "talk", "change", "to", "lieber",
              "rather", "use", "nutze", "schreib", "write", "mit", "mir"}
_K_ALL = {"alle", "all", "saemtliche", "everything", "alles"}

# --- cues of issue 13: questions vs requests, small talk, the newer intents -------------------
_Q_START = {
    "ist", "sind", "gibt", "gibts", "hat", "haben", "habt", "hast", "geht", "gehts", "kann", "koennte",
    "kriegt", "kriegen", "wird", "gaebe", "haettet", "hattet", "wer", "wo", "wann", "wie", "was",
    "welche", "welcher", "welches", "wieviel", "wieviele", "weisst", "meinst", "ob", "lohnt", "sitzt", "kommt",
    "is", "are", "any", "does", "do", "did", "will", "were", "who", "whos", "who's", "where", "when",
    "what", "whats", "what's", "how", "which", "anyone", "anybody", "anything", "someone", "somebody",
    "haste", "hasse", "isses", "biste", "kannste", "weisste", "gibbet",
}
_Q_START2 = {"kannst du", "koenntest du", "can you", "could you", "would you", "will you", "kann man"}
_K_AVAIL = _K_AVAIL | {"buchbar", "bookable", "reservierbar", "ruhig", "quiet", "leer", "empty", "voll", "full", "ausgebucht", "belegt", "crowded", "packed", "vacancy", "kapazitaet",
                       "kapazitaeten", "capacity", "eng", "taken", "gone", "luft"}
_K_QDOMAIN = {"lage", "situation", "look", "looks", "looking", "noch", "was", "etwas", "anything", "something", "platz", "plaetze", "tisch", "room", "space",
              "aus", "sieht", "schaut", "geht", "gehts", "possible", "moeglich", "chance", "chancen", "left",
              "uebrig", "kriegen", "kriegt", "bekommen", "get", "still", "los", "spot", "desk", "desks"}
_FILLER = {
    "planaenderung", "anyway", "anyways", "anyhow", "jedenfalls", "schnell", "kurz", "spontan", "kurzfristig",
    "ich", "i", "mir", "mich", "me", "my", "mein", "meine", "wir", "we", "uns", "us", "du", "you", "dir",
    "in", "im", "am", "um", "an", "at", "on", "the", "a", "fuer", "for", "den", "der", "die", "das",
    "dem", "des", "ein", "einen", "eine", "einem", "nen", "ne", "n", "und", "and", "oder", "or", "noch",
    "nochmal", "wieder", "again", "mal", "doch", "ja", "ok", "okay", "yes", "bitte", "please", "pls", "plz",
    "bis", "ab", "von", "vom", "zum", "zur", "nach", "to", "from", "uhr", "coworking", "buero", "office",
    "space", "hub", "einmal", "wie", "immer", "as", "usual", "gleiche", "same", "zeit", "time", "es", "it",
    "da", "there", "dort", "hier", "here", "so", "auch", "too", "also", "gern", "gerne",
    "hallo", "hello", "hi", "hey", "moin", "servus", "tag", "guten", "good", "morning", "dann", "then", "heya", "hiya",
    "huhu", "hallihallo", "zusammen", "folks", "guys", "ey", "bot", "deskbot",
    "ca", "etwa", "about", "around", "gegen", "bei", "with", "mit", "klar", "mittags", "mittag", "noon",
    "geht", "passt", "gut", "fine", "wars", "s", "sein", "bin", "m", "mach", "machen", "zu",
    "was", "etwas", "something", "brauch", "bräuchte", "nur", "just", "wochen", "weeks", "woche", "week",
    "arbeiten", "work", "working", "sitzen", "sitting", "sit", "kommen", "komme", "fahre", "fahren", "come",
    "coming", "go", "going", "eintragen", "trag", "schreib", "into", "down", "up", "of", "off",
    "jeden", "jede", "jedem", "every", "each", "alle", "all", "ganze", "ganzen", "whole", "entire", "komplett",
    "complete", "through", "thru", "sind", "waeren", "leute", "nehm", "halt", "eben", "tage", "days", "day",
    "datum", "ort", "uhrzeit", "anzahl", "date", "place", "location", "anfrage", "standort", "wunsch",
    "spontan", "kurzfristig", "ueber", "aber", "erst", "actually", "make", "liebsten", "sonst", "alternativ", "otherwise",
    "preferably", "ideally", "idealerweise", "moeglichst", "i'm", "i'll", "i've", "ich'm", "stimmt", "als", "richtig", "genau", "fahr", "lieber", "statt", "anstatt", "instead", "rather", "but", "only", "schon", "spaetestens", "fruehestens",
    "komma", "punkt", "irgendwann", "anfang", "mitte", "sometime", "someday", "early", "beginning", "deshalb", "darum", "deswegen", "daher", "therefore", "hence", "davor", "danach", "vorher", "nachher",
    "ungefaehr", "circa", "eigentlich", "einfach", "gleich", "danke", "thanks", "thank", "thx", "merci", "cheers", "team", "kollege", "kollegin", "kollegen", "colleague", "colleagues",
} | set(_NUMWORDS)
_REQ = {
    "brauche", "brauch", "brauchen", "braeuchte", "benoetige", "benoetigen", "moechte", "moechten", "will",
    "wollen", "wollte", "wuerde", "wuerden", "haette", "gern", "gerne", "bitte", "please", "pls", "plz",
    "need", "needs", "want", "wanna", "like", "love", "wish", "wuensche", "looking", "anfrage", "request", "suche", "suchen", "gib", "give", "grab", "sign", "put", "freihalten", "einmal",
    "kannst", "koenntest", "could", "would", "trag", "eintragen", "schreib", "nehme", "take", "lass", "let",
    "gonna", "planning", "plan", "plane", "geplant", "werde",
}
_TOPIC = {
    "freezing", "eiskalt", "arschkalt", "icy", "windy", "stormy", "rainy", "snowy",
    "wetter", "regen", "regnen", "regnet", "schnee", "schneien", "schneit", "sonne", "sonnig", "nebel",
    "neblig", "glatt", "glatteis", "kalt", "warm", "heiss", "gewitter", "sturm", "weather", "rain", "raining",
    "snow", "sunny", "fog", "foggy", "cold", "hot", "storm", "stau", "bus", "busse", "buses", "zug", "zuege", "trains", "bahn", "streik",
    "baustelle", "radweg", "strassen", "strasse", "verkehr", "traffic", "train", "strike", "roadworks",
    "parken", "park", "parking", "parkplatz", "parkplaetze", "parkhaus", "einkaufen", "shopping", "shop", "markt", "weihnachtsmarkt",
    "stadtfest", "kirmes", "kino", "konzert", "party", "fest", "feier", "fussball", "spiel", "spielt",
    "match", "gewonnen", "verloren", "football", "soccer", "game", "won", "lost", "schalke", "preussen",
    "bvb", "borussia", "kaffee", "kuchen", "baecker", "essen", "italiener", "restaurant", "cafe", "pizza",
    "mittagessen", "coffee", "lunch", "food", "dinner", "arzt", "zahnarzt", "werkstatt", "auto", "doctor",
    "dentist", "car", "geburtstag", "hochzeit", "oma", "opa", "eltern", "tochter", "sohn", "familie",
    "birthday", "wedding", "family", "schloss", "wildpferde", "schoen", "toll",
    "nervt", "lovely", "beautiful", "muede", "tired", "wohne", "wohnen", "live", "gruesse", "greetings",
    "witz", "joke", "mensch", "human", "robot", "roboter", "wlan", "wifi", "internet", "katze", "hund",
    "market", "icy", "kaputt", "broken", "gefahren", "rad", "fahrrad", "school", "schule", "kids", "kinder",
    "juhu", "yay", "haha", "lol", "gesehen", "guckt", "gucken", "nett", "nette", "feiern", "feiert", "gefeiert", "gewinnt", "gewinnen", "verliert", "vs", "think",
    "glaube", "finde", "nice", "walk", "spaziergang", "wandern", "grillen", "nicest", "best", "beste", "schoenste", "schoener", "schoenes", "schoene", "schoenen",
    "spaet", "spaeter", "faehrt", "fahrt", "homeoffice", "herbst", "sommer", "summer", "winter", "ferien",
    "innenstadt", "black", "verkaufsoffen", "verkaufsoffener", "sale", "geschaefte", "laeden", "bakery", "baeckerei",
    "supermarkt", "supermarket", "apotheke", "pharmacy", "hotel", "kneipe", "pub", "eisdiele", "metzger", "friseur",
    "burger", "pommes", "currywurst", "brezeln", "waffeln", "waffles", "donuts", "sushi", "tacos",
    "pancakes", "bahnhof", "haltestelle", "bushaltestelle", "station", "cake", "cookies", "kekse", "bbq", "breakfast", "fruehstueck", "rockt", "rocks", "awesome", "geil", "weihnachtsmann", "nikolaus", "christkind", "osterhase", "hairdresser", "turnier", "tournament", "home", "zuhause", "daheim", "gluehwein", "bier", "beer", "wein", "wine",
    "drinks", "feierabendbier", "cocktails", "rezept", "recipe", "kuehlschrank", "fridge", "drucker", "printer",
    "kaffeemaschine", "spuelmaschine", "mikrowelle", "microwave", "heizung", "heating", "toilette", "klo", "hagel", "gehagelt", "hail", "stuermt", "gewittert", "ampel",
    # outings and local sights: "Radtour in die Baumberge", "bike tour from Nottuln", "an der Stever standen Reiher"
    "tour", "radtour", "fahrradtour", "bike", "biking", "cycling", "hike", "hiking", "wanderung", "ausflug", "picknick",
    "picnic", "baumberge", "stever", "berkel", "kiepenkerl", "schuetzenfest", "vischering", "reiher", "enten",
}
_OUTING = frozenset({"tour", "radtour", "fahrradtour", "bike", "biking", "cycling", "hike", "hiking", "wanderung", "wandern",
                     "ausflug", "picknick", "picnic", "spaziergang", "walk", "grillen", "bbq", "kirmes",
                     "schuetzenfest", "stadtfest", "konzert", "party", "fussball", "football", "kino", "baumberge"})
_NOT_NAMES = {"adresse", "anschrift", "address", "lage", "nummer", "telefonnummer", "email", "wlan", "internet", "kueche",
              "toilette", "miete", "stand", "status", "info", "infos", "uebersicht", "details", "aktuell", "gesamt", "insgesamt", "rest", "total",
              "abfrage", "anzeigen", "zeigen", "bitte", "check", "urlaub", "kontingent", "firma", "team", "buchung", "buchungen", "platz", "tage", "tag",
              "woche", "monat", "termin", "termine", "leute", "kollegen", "mitarbeiter", "chef", "mal", "grad"}
_K_REMIND = {"push", "pushnachrichten", "mitteilungen", "erinnerung", "erinnerungen", "reminder", "reminders", "benachrichtigung", "benachrichtigungen",
             "notifications", "notification", "erinnere", "erinnern", "remind", "benachrichtige", "pushs", "pushes",
             "pushmeldungen", "pushnachricht"}
# personal impact and incentives: "wie viel CO₂ habe ich gespart?", "meine Bilanz", "my badges"
_K_IMPACT = {"co2", "kohlendioxid", "emission", "emissionen", "bilanz", "umweltbilanz", "impact", "abzeichen", "badge",
             "badges", "streak", "serienrekord", "klimabilanz", "footprint"}
_K_IMPACT_WHAT = {"km", "kilometer", "kilometers", "kilometres", "kg", "co2", "miles", "fahrt", "fahrten", "sprit", "benzin"}
_K_THANKS = {"dange", "danggschee", "appreciated", "appreciate", "grateful", "ta", "kudos", "thnx", "tnx", "tks", "dankoe", "danki", "dankee", "danke", "dank", "dankeschoen", "danku", "thanks", "thank", "thx", "thanx", "ty", "merci",
             "cheers", "dankschoen", "vielendank"}
_K_COMPANY = {"laden", "bude", "firma", "company", "unternehmen", "arbeitgeber", "betrieb", "firmenkontingent", "firmenpool",
              "pool", "gesamtkontingent", "gesamtbudget", "firmenbudget", "verwaltung", "stadtverwaltung", "gemeinde",
              "gemeindeverwaltung", "kreisverwaltung", "behoerde", "abteilung", "kanzlei", "praxis", "gmbh", "organisation",
              "organization", "department", "employer", "organisation's", "company's", "firm",
              "unternehmens", "betriebs", "arbeitgebers", "firmenkontingents"}  # genitive: "das Kontingent unseres Unternehmens"
_K_STAFF = {"teams", "azubis", "auszubildenden", "auszubildende", "trainees", "praktikanten", "interns", "mitarbeiter", "mitarbeiterinnen", "mitarbeitenden", "employees", "employee", "staff", "team",
            "leute", "belegschaft", "angestellten"}
_K_STAFF_NOLEUTE = _K_STAFF - {"leute"}
_DAYOFF_WORDS = {"urlaubstag", "urlaubstage", "brueckentag", "gleittag", "freizeitausgleich", "zeitausgleich",
                 "ueberstundenabbau", "ueberstundenausgleich", "dienstfrei", "arbeitsfrei", "schichtfrei", "freigenommen",
                 "ueberstundenfrei", "abfeiern", "brueckentage", "spaetschicht", "nachtschicht", "fruehschicht",
                 "schichtdienst"}
_SHIFT_WORDS = frozenset({"spaetschicht", "nachtschicht", "fruehschicht", "schichtdienst"})  # "nach der Nachtschicht Mi Olfen"
_FIRST_PERSON = {"ich", "i", "mir", "mich", "my", "mein", "meinen", "hab", "habe", "nehm", "nehme", "bin", "i'm", "im"}
_K_ABSENCE = {"urlaub", "urlaubs", "urlaubstag", "urlaubstage", "brueckentag", "gleittag", "freizeitausgleich",
              "fortbildung", "weiterbildung", "schulung", "konferenz", "messe", "tagung", "kongress", "conference", "kur", "reha", "mutterschutz",
              "sabbatical", "betriebsferien", "vacation", "holiday", "holidays", "krankgeschrieben", "abwesend",
              "abwesenheit", "elternzeit", "ooo", "pto", "leave", "dienstreise", "verreist", "absent", "away"}
_K_WHO = {"ankuenfte", "arrivals", "gaeste", "besucher", "visitors", "guests", "anmeldungen", "wer", "who", "whos", "who's", "jemand", "jemanden", "anyone", "anybody", "someone", "somebody", "wem", "wen",
          "whom"}
_K_PAST = {"war", "waren", "warst", "wars", "gewesen", "hatte", "hatten", "were", "went", "had",
           "vorhin", "neulich"}
_BOOK_STEMS = ("buch", "reservier", "book", "klarmach", "einbuch", "eintrag", "nachtrag", "nachbuch", "vormerk", "blockier",
               "einzubuch", "einzutrag", "vorzumerk", "nachzutrag")  # "mich ... einzubuchen"
_NOT_BOOK = {"buchbar", "bookable", "reservierbar", "booked", "bookings", "booking", "buchungen", "gebucht", "ausgebucht", "eingebucht", "buchung", "reserviert",
             "reserved", "reservierung", "reservierungen", "reservation", "reservations", "eingetragen", "storniert"}
_REQ_STEMS = ("braeucht", "brauch", "moecht", "haett", "wuerd", "woll", "benoetig")
_TOPIC_HEADS = ("tour", "wanderung", "markt", "fest", "feier", "spiel", "wetter", "regen", "schnee", "stau", "kuchen", "tagessen", "bendessen",
                "umzug", "konzert", "party", "kaffee", "urlaub", "ausflug", "training")
# cheap gates: a cue regex is only tried when one of these words occurs
_DAYWORDS = {"tage", "tagen", "days", "day", "bookings", "buchungen", "arbeitstage", "buerotage", "coworkingtage",
             "resttage", "homeofficetage"}
_WD_PREFIX = {k[:2] for k in _WEEKDAYS}
_REL_WORDS = {"day", "uebermorgen", "ubermorgen", "overmorrow", "heute", "this", "today", "tdy", "2day", "tonight",
              "heut", "morgen", "tomorrow", "tmrw", "tmr", "tmw", "2morrow", "tomorow", "tommorow", "tommorrow", "morgn",
              "mrgn", "moign", "morge", "vorgestern", "gestern", "yesterday"}
_AM_WORDS = {"vormittag", "vormittags", "morgens", "frueh", "morgen", "morning", "mornings", "forenoon", "a", "half",
             "tageshaelfte"}
_PM_WORDS = {"nachmittag", "nachmittags", "afternoon", "afternoons", "abend", "abends", "evening", "evenings", "arvo",
             "p", "half", "tageshaelfte"}
_FULL_WORDS = {"vollen", "full", "all", "whole", "entire", "vormittag", "vormittags", "morning"}
_EVERY_OTHER = re.compile(r"\b(?:jeden|jede|jedem)\s+zweiten\b|\bevery\s+(?:other|second)\b|\balle\s+(?:zwei|2)\s+wochen\b|"
                          r"\bevery\s+(?:two|2)\s+weeks\b")
_OTHER_GATE = frozenset({"other", "second", "zwei"})
_EVERY_WEEK = re.compile(r"\s*(?:woche|week)\b")
_RECUR_WORDS = {"jeden", "jede", "jedem", "every", "each", "alle", "immer", "all"}
_TAIL_CHARS = set(" \t\n.!)\ufe0f")


def _strip_tail(text: str) -> str:
    """The text without trailing spaces, "!", ")", emoji (so "Olfen morgen? 🙏" still ends with "?")."""
    i = len(text)
    while i and (text[i - 1] in _TAIL_CHARS or ord(text[i - 1]) >= 0x2600):
        i -= 1
    return text[:i]


# word beginnings of the named days (" w1 w2 ..." is searched for them before the big pattern runs)
_NAMED_STEMS = ("zwischen den", "heilig", "christ", "xmas", "x mas", "silvester", "new year", "nye", "weihnacht", "neujahr",
                "tag der", "allerheilig", "all saints", "labo", "may day", "karfreit", "good friday", "oster", "easter",
                "himmelfahrt", "ascension", "pfingst", "whit", "fronleich", "corpus", "boxing", "st stephen", "drei",
                "dreikoenig", "epiphany", "rosenmontag", "nikolaustag")
_G_ASK = {"kann", "kannst", "kannste", "koennte", "koenntest", "koennt", "koenntet", "koennen", "koennten", "darf",
          "can", "could", "would", "will", "may", "krieg", "krieg'", "kriege", "kriegen", "bekomme", "bekomm",
          "haette", "ok", "okay", "wenn", "kriegst", "kriegste", "bekommst",
          "wuerdest", "wuerden", "schaffst"}
class _Cues:
    """Alternatives of one cue, each tried only when one of its trigger words occurs (fast on short texts)."""

    __slots__ = ("by_word", "words")

    def __init__(self, parts: list[tuple[tuple[str, ...], str]]):
        self.by_word: dict[str, list[re.Pattern]] = {}
        for words, rx in parts:
            crx = re.compile(rx)
            for w in words:
                self.by_word.setdefault(w, []).append(crx)
        self.words = frozenset(self.by_word)

    def search(self, s: str, ts: set[str]) -> bool:
        hits = self.words.intersection(ts)
        if not hits:
            return False
        tried = set()
        for w in hits:
            for rx in self.by_word[w]:
                if rx not in tried:
                    if rx.search(s):
                        return True
                    tried.add(rx)
        return False


def _stems(*stems: str) -> re.Pattern:
    """Matches when a word of the joined text (" w1 w2 ... ") starts with one of the stems."""
    return re.compile(" (?:" + "|".join(re.escape(x) for x in stems) + ")")


def _ends(*ends: str) -> re.Pattern:
    return re.compile("(?:" + "|".join(re.escape(x) for x in ends) + ") ")


_G_INDIRECT = {"ob", "whether", "if", "frage", "fragen", "question", "wonder", "guck", "schau", "check", "sieh", "look",
               "gucken", "schauen"}
_G_IFFREE = {"if", "when", "once", "soon", "falls", "wenn", "sobald", "sowie"}
_SUBJUNCTIVE_REQ = {"gern", "gerne", "ich", "wir", "mir", "uns", "super", "toll", "gut", "nett", "schoen", "klasse",
                    "prima", "cool", "top", "lieb", "perfekt", "es", "das"}
_TENTATIVE = {"vielleicht", "eventuell", "evtl", "maybe", "perhaps", "possibly", "ueberlege", "ueberlegen", "unschluessig",
              "unsicher", "unsure", "vermutlich", "wahrscheinlich", "probably", "considering", "thinking", "likely",
              "voraussichtlich"}
_THIRD_VERBS = {"faehrt", "ist", "kommt", "arbeitet", "sitzt", "bleibt", "will", "wird", "hat", "war", "is", "goes", "works",
                "was", "has", "comes", "drives"}
_HOME_PLACE_WORDS = frozenset({"standardort", "heimatort", "stammort", "lieblingsort", "heimatspace", "heimat", "standard"})
_DEFAULT_GATE = frozenset({"default", "standard", "usual", "preferred", "home"})
_DEFAULT_PLACE = re.compile(r"\b(?:default|standard|usual|preferred|home)[\s-]+(?:place|location|space|town|coworking|site|hub|standort|ort)\b"
                            r"|\bmy\s+default\b|\bals\s+standard\b"  # "set my default place to Coesfeld"
                            r"|\bmein\s+standard\s+(?:soll|ist|sei|waere|wäre)\b")  # "Mein Standard soll Lüdinghausen sein"
_ACK_WORDS = frozenset({"ok", "okay", "oki", "okey", "super", "prima", "perfekt", "perfect", "klasse", "top", "great", "cool",
                        "passt", "alles", "klar", "sounds", "good", "wunderbar", "toll", "fein", "nice", "awesome", "spitze",
                        "sehr", "gut", "mega", "geil", "laeuft", "sweet", "lovely", "brilliant", "excellent", "astrein"})
_ACCEPT = {"fine", "ok", "okay", "good", "great", "perfect", "gut", "super", "prima", "perfekt", "passt", "klasse", "top"}
_TAKE_WORDS = {"nehm", "nehme", "nehms", "nehm's", "take", "eintragen", "klarmachen", "reservieren", "buchen"}
_COPULA = {"ist", "is", "war", "was"}
_PEOPLE = {"members", "mitglieder", "leute", "people", "colleagues", "kollegen", "kolleginnen", "personen", "persons",
           "coworker", "coworkers", "nutzer", "users"}
_PRESENT = {"da", "hier", "here", "there", "coworking", "buero", "office", "im", "vor", "ort", "heute", "today", "around",
            "dort", "sitzt", "kommt", "arbeitet", "in"}
_FAMILY = {"kinder", "kids", "kind", "sohn", "tochter", "schule", "school", "enkel", "oma", "opa", "familie", "family"}
_HONORIFIC = {"herr", "herrn", "frau", "mr", "mrs", "ms", "dr"}
# role nouns before a member's name ("Kontingent für Mitarbeiter Schneider"), only where a name is looked for
_ROLE_BEFORE_NAME = _HONORIFIC | {"mitarbeiter", "mitarbeiterin", "kollege", "kollegen", "kollegin", "employee", "colleague",
                                  "azubi", "praktikant", "praktikantin", "member", "user", "nutzer", "nutzerin", "intern",
                                  "trainee"}
# words in a name's place that name nobody ("wie viel hat jeder noch", "how many days has everyone left")
_NOBODY = frozenset({"dieses", "diesen", "dieser", "diese", "jahr", "monat", "jahresende",
                     "jeder", "jede", "jedes", "jedem", "jeden", "alle", "allen", "jemand", "niemand", "keiner", "keine",
                     "wer", "man", "ihr", "sie", "ihm", "ihn", "uns", "euch", "everyone", "everybody", "anyone",
                     "anybody", "someone", "somebody", "nobody", "noone", "each", "all", "who", "she", "her", "him",
                     "they", "them", "you", "one", "the", "der", "die", "das", "dem", "den"})
# first names that end in "s" in the nominative (a German genitive "Lisas Kontingent" drops its "s", these keep it)
_NAMES_IN_S = {"jonas", "niklas", "nicklas", "lukas", "lucas", "tobias", "andreas", "matthias", "markus", "marcus", "klaus",
               "thomas", "elias", "linus", "mats", "lars", "hans", "nils", "jens", "julius", "marius", "agnes", "doris",
               "iris", "kilian", "boris", "mathis", "mattis", "janis", "jannis", "yannis", "louis", "carlos", "dennis",
               "frances", "ines", "gladys", "kathleen", "mavis", "moritz", "max", "felix", "alexis", "chris", "charles"}
_INTERJ = {"ugh", "oh", "ohh", "nein", "juhu", "yay", "haha", "hahaha", "lol", "puh", "boah", "mist", "menno",
           "yeah", "wow", "hmm", "naja", "ach", "oje", "ojeh", "jippie", "argh", "meh", "endlich", "finally", "yippie",
           "woohoo", "hurra", "juchu"}
_WHEN_OPEN = re.compile(r"\bwann\s+(?:macht|machen|oeffnet|öffnet|schliesst|schließt|sperrt)\b.{0,40}?\b(?:auf|zu|morgens|abends)?\b|"
                        r"\b(?:what\s+time|when)\s+(?:does|do|will)\b.{0,40}?\b(?:open|close|shut)\b")
_LATE_PART = re.compile(r"\blate\s+(?:morning|afternoon|evening|shift)\b|\b(?:be|running|ran|am|i'?m)\s+late\b")
_K_HOURS = {"late", "oeffnungszeiten", "oeffnungszeit", "geoeffnet", "offen", "open", "opening", "hours"}
_K_PRICE = {"kostet", "kosten", "preis", "preise", "price", "prices", "cost", "costs", "zahlen", "bezahlen", "zahle", "pay",
            "rate", "rates", "teuer", "expensive", "cheap", "guenstig", "tagespreis", "tagesticket", "pass", "zahlt", "zahlst", "bezahlt", "kostets"}

# words that are the same in both languages (in, am, an, was, will, so, ...) count for neither
_EN = set(
    """settling settle settled bet the a i i'm my me you is are does did can could would should what where when which
    who how why please thanks thank hi hello desk desks seat book booking bookings booked cancel
    today tomorrow tmrw tomorow tommorow yesterday on at for in of to from and with any anything there
    free available availability morning afternoon evening next week weeks every each day days this that
    whole all full monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs
    fri sat sun january february march june july october december have has left much many
    make it can't cannot arrived here help quota contingent people persons team my waitlist settings
    language english put list show after two three four five one month jan feb mar apr may jun jul aug sep
    sept oct nov dec eve christmas new year year's years nye xmas easter first second third
    really nice last meeting long just need want get got like some no not going be been their it's i'll i'd
    we us our they he she your if but or also yes thx pls tonight morning desk office seats spot spots
    quiet screen monitor standing week's weekend still left anyone anybody someone who's what's there's
    off sick leave trip out away thank cheers""".split()
)
_DE = set(
    """ich mir mich mein meine meinen wir uns du bitte danke hallo moin servus platz plaetze buchen buche
    buchung buchungen stornieren storniere storno absagen heute morgen uebermorgen ubermorgen gestern
    fuer am im und oder nicht ist sind was wo wann wie viele frei freie freien noch einen eine ein der die
    das den dem zu zum zur von vom bis ab uhr vormittag vormittags nachmittag nachmittags morgens ganztags
    ganztaegig naechste naechsten naechster woche wochen tag tage tagen jeden jede alle montag dienstag
    mittwoch donnerstag freitag samstag sonntag mo di mi fr sa januar februar maerz juni juli oktober
    dezember kontingent hilfe einchecken angekommen bin habe haette kann kommen schaffe es doch personen
    leute dritt zweit viert warteliste einstellungen sprache deutsch anzeigen gebucht bleiben noch
    brauche moechte gerne einem einer eines monat monaten monate jahr mit ohne auch aber nach bei kein keinen
    ja nein gut hier dort jetzt schon mal sich sie er uns unser euch ihr wieder gibt gibts geht habe hast hab
    haben sein wird werden muss soll wollte wuerde waere koennte brauchen arbeiten komme sind bist war
    gewesen abend mittag frueh spaet halb viertel tisch schreibtisch arbeitsplatz ruhig ruhigen bildschirm
    stehpult dann denn weil dass ob wer welche welcher welches nur sehr viel vielen dank hallo tschuess
    absage abmelden austragen eintragen klappt leider krank urlaub heut morgens abends ganzen ganze naechstes
    diese diesen dieser kommenden kommende uebernaechste buero kollegen kollege kollegin team wochenende""".split()
)

# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------

_FOLD_TABLE = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ẞ": "SS",
     "–": "-", "—": "-", "‑": "-", "−": "-", "’": "'", "‘": "'", "´": "'", "`": "'"}
)
_PUNCT = set(".:-/+,;?!'&()#@\"")


def _fold_word(word: str) -> str:
    """Lower-case ASCII form of one word (umlauts -> ae/oe/ue, accents dropped)."""
    w = word.translate(_FOLD_TABLE)
    if not w.isascii():
        w = unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode()
    return w.lower()


def _num(tok: str) -> int:
    return int(tok) if tok.isdigit() else _NUMWORDS.get(tok, 1)


def _blank(m: re.Match) -> str:
    return " " * (m.end() - m.start())


_SKEL_DROP = str.maketrans("", "", "aeiouy")


def _skeleton(w: str) -> str:
    """The first letter and the consonants of a folded word, doubled letters once ("luedinghausen" -> "ldnghsn")."""
    sk = w[0] + w[1:].translate(_SKEL_DROP)
    return "".join(c for i, c in enumerate(sk) if i == 0 or c != sk[i - 1])


_CLAUSE_CUT = (",", ";", ":", "!", "?", " - ")
_AGAIN_NOW = frozenset({"nochmal", "nochmals", "wieder", "again", "jetzt", "now", "bitte", "please", "pls", "diesmal",
                        "erneut"})


def _clause_at(s: str, a: int, b: int) -> tuple[int, int]:
    """The clause of s around s[a:b]: from the last separator before a to the next one after b (dots are left alone:
    they end dates, "27.11.")."""
    lo = 0
    for c in _CLAUSE_CUT:
        k = s.rfind(c, 0, a)
        if k >= 0 and k + len(c) > lo:
            lo = k + len(c)
    ends = [k for k in (s.find(c, b) for c in _CLAUSE_CUT) if k >= 0]
    return lo, min(ends) if ends else len(s)


def _in_other_clause(s: str, a: int, b: int, words) -> bool:
    """s[a:b] (a date) stands in a clause that says again/now/please and none of `words` (past-tense words)."""
    c0, c1 = _clause_at(s, a, b)
    ws = set(_WORDS.findall(s[c0:c1]))
    return not ws.isdisjoint(_AGAIN_NOW) and ws.isdisjoint(words)


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _year_for(today: date, month: int, day: int) -> int:
    """Year of a day-month without year: the first of last year's, this year's and next year's that is at most 90 days
    past (in January "den 30.12." is the December just gone, not the one in eleven months)."""
    d = _safe_date(today.year, month, day)
    if d is None:  # 29.2. in a non-leap year: next year if that is a leap year and near, else invalid
        nxt = _safe_date(today.year + 1, month, day)
        return today.year + 1 if nxt and (nxt - today).days <= 180 else today.year
    if d > today:
        prev = _safe_date(today.year - 1, month, day)
        return today.year - 1 if prev is not None and (today - prev).days <= 90 else today.year
    return today.year + 1 if (today - d).days > 90 else today.year


def _year2(y: str | None, today: date, month: int, day: int) -> int:
    if not y:
        return _year_for(today, month, day)
    yi = int(y)
    return 2000 + yi if yi < 100 else yi


def _easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gauss/Meeus algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return date(year, month, day)


_EASTER_OFFS = {"goodfri": -2, "eastermon": 1, "ascension": 39, "whitmon": 50, "corpus": 60, "rosenmontag": -48, "easter": 0}
_FIXED = {"xmaseve": (12, 24), "nye": (12, 31), "xmas": (12, 25), "xmas2": (12, 26), "newyear": (1, 1),
          "unity": (10, 3), "allsaints": (11, 1), "labour": (5, 1), "epiphany": (1, 6), "nikolaus": (12, 6)}
_NRW_HOLIDAYS = ("xmas", "xmas2", "newyear", "unity", "allsaints", "labour", "goodfri", "eastermon", "ascension", "whitmon",
                 "corpus")
# a day named by its place next to a named day: "den Tag nach Nikolaus", "Tag vor Silvester", "the Monday after New
# Year", "Monday and Tuesday after Christmas", "der erste Werktag nach Neujahr", "am Tag nach dem ersten Advent"
_NEXT_TO_NAMED_KEYS = (
    ("nikolaus", r"nikolaus(?:tag)?"), ("xmaseve", r"heilig(?:en)?\s*abend|heiligabend|christmas\s+eve|x-?mas\s+eve"),
    ("nye", r"silvester|new\s+year'?s?\s+eve"), ("xmas", r"weihnachten|christmas(?:\s+day)?|x-?mas"),
    ("newyear", r"neujahr(?:stag)?|new\s+year'?s?(?:\s+day)?|new\s+year"), ("advent1", r"(?:ersten?|1\.?)\s+advent"),
    ("epiphany", r"(?:heilige[nm]?\s+)?drei\s*koenige\w*|dreikoenig\w*|epiphany"), ("rosenmontag", r"rosenmontag"),
    ("easter", r"ostern|easter"))
_WD_FULL = r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_NAMED_NEAR_GATE = re.compile(r"nikolaus|abend|silvester|weihnacht|christmas|xmas|neujahr|new year|advent|koenig|epiphany|"
                              r"rosenmontag|ostern|easter")
_NEXT_TO_NAMED = re.compile(
    r"\b(?:(?:am|an|den|dem|the|on)\s+)?(?:(?:tag|day)\s+(?P<dir>nach|after|vor|before)"
    rf"|(?P<wds>(?:{_WD_FULL})(?:\s*(?:,|und|and|&)\s*(?:{_WD_FULL}))*)\s+(?P<dir2>nach|after|vor|before)"
    r"|(?:(?:der|den|dem|the)\s+)?(?:erste[nrm]?|first)\s+(?:werktag|arbeitstag|working\s+day|weekday|business\s+day)\s+"
    r"(?P<dir3>nach|after))\s+(?:dem\s+|der\s+|den\s+|the\s+)?"
    + "(?:" + "|".join(f"(?P<k_{k}>{rx})" for k, rx in _NEXT_TO_NAMED_KEYS) + r")\b")


# "Nach Neujahr der erste Werktag": the named day first, the first working day after it
_NAMED_THEN_FIRST = re.compile(
    r"\b(?:nach|after)\s+(?:dem\s+|der\s+|the\s+)?(" + "|".join(rx for _k, rx in _NEXT_TO_NAMED_KEYS) + r")\s*[,–-]?\s*"
    r"(?:der|den|the)\s+(?:erste[nrm]?|first)\s+(?:werktag|arbeitstag|working\s+day|weekday|business\s+day)\b")


def _named_then_first(mm: re.Match, today: date) -> str:
    return _NEXT_TO_NAMED.sub(lambda m2: _around_named(m2, today), f"der erste werktag nach {mm.group(1)}")


def _around_named(mm: re.Match, today: date) -> str:
    """`_NEXT_TO_NAMED`'s match as the days it names, written as dates ("7.12.2026")."""
    key = next(k[2:] for k, v in mm.groupdict().items() if k.startswith("k_") and v)
    base = _named_day(key, today - timedelta(days=7))
    holidays = {_named_day(k, base - timedelta(days=1)) for k in _NRW_HOLIDAYS}
    after = (mm.group("dir") or mm.group("dir2") or mm.group("dir3")) in ("nach", "after")
    if mm.group("dir"):
        days = [base + timedelta(days=1 if after else -1)]
    elif mm.group("wds"):
        step = 1 if after else -1
        days = []
        for name in re.findall(_WD_FULL, mm.group("wds")):
            d = base + timedelta(days=step)
            while d.weekday() != _WEEKDAYS[name]:
                d += timedelta(days=step)
            days.append(d)
    else:
        d = base + timedelta(days=1)
        while d.weekday() >= 5 or d in holidays:
            d += timedelta(days=1)
        days = [d]
    return " und ".join(f"{d.day}.{d.month}.{d.year}" for d in sorted(days))


def _named_day(key: str, today: date) -> date:
    for y in (today.year, today.year + 1):
        if key.startswith("advent"):  # the fourth Sunday before Christmas is the first Advent
            xmas = date(y, 12, 25)
            d = xmas - timedelta(days=(xmas.weekday() + 1) % 7 or 7) - timedelta(days=7 * (4 - int(key[-1])))
        elif key in _FIXED:
            d = date(y, *_FIXED[key])
        else:
            d = _easter(y) + timedelta(days=_EASTER_OFFS[key])
        if d >= today:
            return d
    return d


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    m += 1
    for day in (d.day, 30, 29, 28):
        r = _safe_date(y, m, day)
        if r:
            return r
    return d  # pragma: no cover


def _hhmm(h: str, mi: str | None, suf: str | None) -> tuple[int, int] | None:
    hi, mn = int(h), int(mi) if mi else 0
    if suf:
        suf = suf.replace(".", "")
    if suf == "pm" and hi < 12:
        hi += 12
    elif suf == "am" and hi == 12:
        hi = 0
    if hi > 24 or mn > 59 or (hi == 24 and mn):
        return None
    return hi, mn


def _fmt(t: tuple[int, int]) -> str:
    return f"{t[0]:02d}:{t[1]:02d}"


# ---------------------------------------------------------------------------------------------
# the parser
# ---------------------------------------------------------------------------------------------


class _Item:
    __slots__ = ("start", "end", "kind", "dates", "wd", "mod", "label")

    def __init__(self, start: int, end: int, kind: str, dates=None, wd: int = -1, mod: str = ""):
        self.start, self.end, self.kind = start, end, kind
        self.dates: list[date] = dates or []
        self.wd, self.mod = wd, mod
        self.label = False


# keys of the word tables as sets: `set.isdisjoint(dict)` walks the whole dict, `isdisjoint(frozenset)` the smaller side
_ORDINAL_KEYS = frozenset(_ORDINALS)
_NUMWORD_KEYS = frozenset(_NUMWORDS)
_HOURWORD_KEYS = frozenset(_HOURWORDS)
_WEEKDAY_KEYS = frozenset(_WEEKDAYS)
_REL_NOW = frozenset(_REL_WORDS) | {"now"}
_WEEK_UNITS = frozenset({"woche", "wochen", "week", "weeks", "tagen"})
_WEEKDAY_LONG = frozenset(k for k in _WEEKDAYS if len(k) > 3)
_NTH = {"ersten": 1, "erste": 1, "erster": 1, "zweiten": 2, "zweite": 2, "dritten": 3, "dritte": 3, "vierten": 4,
        "vierte": 4, "letzten": -1, "letzte": -1, "first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1,
        "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_NTH_KEYS = frozenset(_NTH)
_NTH_MONTH_KEYS = frozenset(_MONTHS) | {"monat", "monats", "month"}


@lru_cache(maxsize=None)
def _nth_weekday_re() -> re.Pattern:
    wd = "|".join(sorted((k for k in _WEEKDAYS if len(k) > 3), key=len, reverse=True))
    months = "|".join(sorted(_MONTHS, key=len, reverse=True))
    return re.compile(rf"\b(?:(?:am|an\s+dem|den|on|the)\s+)?({'|'.join(_NTH)})\s+({wd})\s+(?:(?:im|in|of|des|vom)\s+)?"
                      rf"(?:(?:the\s+)?({months})\b\.?|((?:naechste|kommende)[nms]?\s+monats?|next\s+month)\b)")


@lru_cache(maxsize=None)
def _tstart_from() -> re.Pattern:
    return re.compile(rf"\b(?:ab|from|starting(?:\s+at)?)\s+(?:ca\.?\s+)?{_T}(?![\d])")


def _nth_weekday(mm: re.Match, today: date) -> date | None:
    """The n-th (or last) weekday of the month named by `_nth_weekday_re`'s match, the coming such month."""
    n, wd = _NTH[mm.group(1)], _WEEKDAYS[mm.group(2)]
    if mm.group(3):
        month = _MONTHS[mm.group(3)]
        year = today.year + (month < today.month)
    else:
        nxt = _add_months(today.replace(day=1), 1)
        year, month = nxt.year, nxt.month
    first = date(year, month, 1)
    if n > 0:
        d = first + timedelta(days=(wd - first.weekday()) % 7 + 7 * (n - 1))
        return d if d.month == month else None
    last = _add_months(first, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - wd) % 7)


_A_WEEKDAY = re.compile(r"\b(?:a|ein|einem|einen)\s+(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|monday|"
                        r"tuesday|wednesday|thursday|friday|saturday|sunday)\b(?!\s+(?:im|in|of|next|naechste\w*|kommende\w*))")
_IT_IS_WEEKEND = re.compile(r"\b(?:it'?s|it\s+is|es\s+ist|ist\s+ja|ist\s+doch)\s+(?:ja\s+|doch\s+)?(?:the\s+|a\s+|)?(?:weekend|wochenende)\b")
_AND_SO = re.compile(r"\b(\w+)\s+(?:und|oder)\s+so\b(?!\s*(?:\d|den\b|am\b|bis\b|-))")
_WEEK_EDGE = re.compile(r"\b(?:(anfang|beginn|mitte|ende|beginning\s+of|start\s+of|middle\s+of|mid|end\s+of)\s+"
                        r"(?:(der|dieser|diese|naechster|naechste|kommender|kommende|the|this|next|the\s+next|the\s+coming)\s+)?"
                        r"|(early|late)\s+(next)\s+)(woche|week)\b")
_WD_LONG_WORD = re.compile(r"\b(?:montag|dienstag|mittwoch|donnerstag|freitag|monday|tuesday|wednesday|thursday|friday)\b")


def _week_edge(mm: re.Match) -> str:
    edge, which, unit = mm.group(1) or mm.group(3), mm.group(2) or mm.group(4) or "", mm.group(5)
    de = unit == "woche"
    day = "fr" if edge.startswith(("ende", "end", "late")) else "mi" if edge.startswith("mi") else "mo"
    nxt = which.split()[-1:] in (["naechster"], ["naechste"], ["kommender"], ["kommende"], ["next"], ["coming"])
    if not de:
        day = {"mo": "mon", "mi": "wed", "fr": "fri"}[day]
    out = f"{day} {('naechste' if nxt else 'diese') if de else ('next' if nxt else 'this')} {unit}"
    return out.ljust(len(mm.group())) if len(out) <= len(mm.group()) else mm.group()


_DRANGE_DAYS = re.compile(r"(?<![\d.:])(\d{1,2})\.\s*(?:-|–|bis(?:\s+(?:zum|einschlie(?:ss|ß)lich))?)\s*(\d{1,2})\.(?![\d])"
                          r"(?!\s*(?:uhr|h)\b)")
_PREP_PIECES = re.compile(r"\b(in|to|nach|at|im)\s+([^\W\d_]{2,})\s([^\W\d_]{2,})(?:\s([^\W\d_]{2,}))?", re.IGNORECASE)
_EN_DO = re.compile(r"\b(and|to|i|you|we|pls|please|can|could|would|will|then|just)\s+do(?=\s+(?:monday|tuesday|wednesday|thursday|"
                    r"friday|saturday|sunday|mon|tue|wed|thu|fri|that|it|this|the|a|an|me|us)\b)")
_THIS_MONTH = re.compile(r"\b(?:diese[nrms]?|this|current|laufende[nrms]?)\s+(?:monat|month)\b")


class _Parser:
    """Everything precompiled for one tuple of configured spaces."""

    def __init__(self, spaces: tuple[SpaceRef, ...]):
        from rapidfuzz import fuzz, process  # lazy: keeps `import bot.intents` cheap
        from rapidfuzz.distance import OSA

        _compile_regexes()

        self._fuzz, self._process, self._osa = fuzz, process, OSA.distance
        keys: dict[str, str | None] = {}

        def add(key: str, slug: str) -> None:
            key = " ".join(_fold_word(w) for w in re.findall(r"\w+", key))
            if len(key) < 3:
                return
            for k in {key, key.replace("ae", "a").replace("oe", "o").replace("ue", "u")}:
                if keys.get(k, slug) != slug:
                    keys[k] = None  # ambiguous between spaces
                else:
                    keys[k] = slug

        generic = {"coworking", "co", "working", "space", "hub", "buero", "office", "das", "der", "die", "am",
                   "im", "an", "in", "alte", "alter", "altes", "neue", "neuer", "neues", "zentrum", "center",
                   "haus", "the", "de", "von", "bei", "und", "workspace", "desk", "desks", "bahnhof", "station"}
        word_count: dict[str, int] = {}
        for sp in spaces:
            for w in {_fold_word(x) for x in re.findall(r"\w+", f"{sp.name} {sp.town}")}:
                word_count[w] = word_count.get(w, 0) + 1
        for sp in spaces:
            add(sp.slug.replace("-", " ").replace("_", " "), sp.slug)
            add(sp.slug.replace("-", "").replace("_", ""), sp.slug)
            add(sp.name, sp.slug)
            add(sp.town, sp.slug)
            for w in re.findall(r"\w+", f"{sp.name} {sp.town}"):
                fw = _fold_word(w)
                if len(fw) >= 4 and fw not in generic and word_count.get(fw) == 1 and fw not in _STOP:
                    add(fw, sp.slug)
        self.space_keys = {k: v for k, v in keys.items() if v}
        self.max_key_words = max((k.count(" ") + 1 for k in self.space_keys), default=1)
        single = [k for k in self.space_keys if " " not in k]
        # the second pieces of a town typed in two ("Biller beck"), as typed in lower case: a cheap first test
        tails = {k[i:] for k in single if len(k) >= 6 for i in range(3, len(k) - 2)}
        self._town_tails = frozenset(tails | {t.replace("ue", "ü").replace("oe", "ö").replace("ae", "ä") for t in tails})
        lex = set(_LEXICON) | set(single)
        self.lex_by_letter: dict[str, list[str]] = {}
        for w in lex:
            self.lex_by_letter.setdefault(w[0], []).append(w)
        self.known = (
            set(_STOP) | set(_LEXICON) | set(self.space_keys) | set(_WEEKDAYS) | set(_MONTHS)
            | set(_NUMWORDS) | _K_CANCEL | _K_NEG | _K_COME | _K_CHECKIN | _K_CONT | _K_LISTN | _K_LISTM
            | _K_AVAIL | _K_BOOK | _K_DESK | _K_HELP | _K_GREET | _K_SETTINGS | _K_UNDO | _K_WAIT
            | {k for k, v in _K_LANG.items() if v != "other"} | _K_LANGREQ | _EN | _DE | _NOT_DAYS
            | _Q_START | _K_QDOMAIN | _FILLER | _REQ | _TOPIC | _NOT_NAMES | _K_REMIND | _K_THANKS | _K_COMPANY
            | _K_STAFF | _K_ABSENCE | _K_WHO | _K_PAST | _K_HOURS | _K_PRICE | set(_HOURWORDS) | _NOT_BOOK
            | _FEATURE_WORDS | {"halbtags", "halbtag", "halbtaegig", "halben", "halber", "viertel", "dreiviertel", "halb"}
            | {k + suf for k in _WEEKDAYS if len(k) > 4 for suf in ("s", "e", "en")}
        )
        self.guess_keys = list(self.space_keys)
        skel: dict[str, str | None] = {}
        for k in single:  # "Lüdinghsn", "Nordkrchn": a town written without (some of) its vowels
            if len(k) >= 6:
                sk = _skeleton(k)
                skel[sk] = self.space_keys[k] if skel.get(sk, self.space_keys[k]) == self.space_keys[k] else None
        self.space_skel = {sk: next(k for k in single if self.space_keys[k] == sl and _skeleton(k) == sk)
                           for sk, sl in skel.items() if sl and len(sk) >= 5}
        self.space_words = frozenset(w for k in self.space_keys for w in k.split())
        self.first_words = frozenset(k.split()[0] for k in self.space_keys)
        self._corr_cache: dict[str, str] = {}
        self._piece_cache: dict[str, tuple[str, bool, bool]] = {}

    # -- normalisation ---------------------------------------------------------------------

    def _correct(self, w: str, swap: bool = True) -> str:
        """Typo-correct one folded word against the lexicon (cached)."""
        hit = self._corr_cache.get(w) if swap else None
        if hit is not None:
            return hit
        out = w
        cands = self.lex_by_letter.get(w[0])
        if cands:
            cutoff = 88 if len(w) == 4 else 80
            best = self._process.extractOne(w, cands, scorer=self._fuzz.ratio, score_cutoff=cutoff)
            if best and self._typo_like(w, best[0]) and not (best[0] in _MONTHS and len(w) == len(best[0]) <= 5
                                                             and sorted(w) != sorted(best[0])):
                out = best[0]  # a month only through a dropped, added or swapped letter: "Marco" is no "march"
            elif not best:  # short words: one swapped or missing letter is a typo even below the ratio ("dnake", "vile")
                osa = self._osa
                for c in cands:  # an added, dropped or swapped letter; no substitution ("bock" is no "book")
                    if (abs(len(c) - len(w)) == 1 or len(c) == len(w) and sorted(c) == sorted(w)) and osa(w, c) <= 1:
                        out = c
                        break
        if out == w and len(w) >= 6:
            out = self.space_skel.get(_skeleton(w), w)
        if out == w and swap and len(w) >= 6 and w[0] in "kc":  # "Koesfeld": a town written as it sounds
            alt = self._correct(("c" if w[0] == "k" else "k") + w[1:], swap=False)
            if alt in self.space_keys:
                out = alt
        if swap and len(self._corr_cache) < 20000:
            self._corr_cache[w] = out
        return out

    def _join_split_towns(self, body: str) -> str:
        """A town name typed in two pieces ("Biller beck", "Nord-kirchen", "lüdings hausen"): joined when the two
        pieces together are a place and one of them alone is no word we know (both, for a typo in the joined word)."""
        pieces = list(_LETTERS.finditer(body))
        tails = self._town_tails
        for a, b in zip(pieces, pieces[1:]):
            if b.group().lower() not in tails or b.start() - a.end() != 1 or body[a.end()] not in " -":
                continue
            x, y = _fold_word(a.group()), _fold_word(b.group())
            if len(x) + len(y) < 6 or x in self.space_keys or y in self.space_keys \
                    or (x in self.known and y in self.known):
                continue
            if self.space_keys.get(x + y) or len(x) + len(y) >= 8 and x not in self.known and y not in self.known \
                    and self.space_keys.get(self._correct(x + y)):
                return body[:a.end()] + body[b.start():]
        return body

    def join_dictated_town(self, body: str) -> str:
        """A town dictated in pieces after its preposition ("in loo ding hausen"): the pieces that sound like one
        place together (the same consonant skeleton as a longer name); the body unchanged when none do."""
        for mm in _PREP_PIECES.finditer(body):
            words = [g for g in mm.groups()[1:] if g]
            for n in (3, 2):
                if len(words) < n:
                    continue
                joined = "".join(_fold_word(w) for w in words[:n])
                if len(joined) >= 6 and joined not in self.space_keys and self.space_skel.get(_skeleton(joined)) \
                        and not any(self._correct(_fold_word(w)) in self.space_keys for w in words[:n]):
                    end = mm.start(2) + len(" ".join(words[:n]))
                    return body[:mm.start(2)] + "".join(words[:n]) + body[end:]
        return body

    def _typo_like(self, w: str, c: str) -> bool:
        """A typo changes a letter or two (a swap counts once), not a part of a compound: "uebertragen" is no
        "uebermorgen", "weihnachtsmann" no "weihnachten", "macht" no "march". An inflection ending is allowed
        ("hoehenverstelbarer" -> "hoehenverstellbar")."""
        limit = 1 if len(w) <= 5 else 2
        if self._osa(w, c) <= limit:
            return True
        for end in ("en", "er", "es", "em", "e", "n", "s"):
            if len(w) - len(end) >= len(c) - 1 and w.endswith(end) and self._osa(w[:-len(end)], c) <= limit:
                return True
        return False

    def _word_piece(self, tok: str) -> tuple[str, bool, bool]:
        """One word token's piece of the working text: (folded, expanded or corrected piece, it is a chat
        abbreviation, it was typo-corrected). Depends only on the token and the lexicon: cached per parser."""
        piece = _fold_word(tok)
        if piece in _ABBREV:  # chat abbreviations: "vorm.", "übern.", "nä. Woche", "canc", "ppl"
            return _ABBREV[piece], True, False
        known = self.known
        if piece and piece not in known and _ELONGATED.search(piece):  # "dankeee", "hiii"
            piece = _ELONGATED.sub(r"\1", piece)
        fixed = False
        if piece and piece not in known and len(piece) >= 4 and piece.isalpha():
            corr = self._correct(piece)
            fixed = corr != piece
            piece = corr
        return piece, False, fixed

    def clear_caches(self) -> None:
        """Forget the typo corrections and word pieces (the bench's cold rounds)."""
        self._corr_cache.clear()
        self._piece_cache.clear()

    def _normalise(self, text: str) -> tuple[str, list[tuple[int, int, str, bool]], list[tuple[int, int, str]]]:
        """Folded, corrected working text plus (start, end, original word, capitalised) per word."""
        out: list[str] = []
        words: list[tuple[int, int, str, bool]] = []
        corrected: list[tuple[int, int, str]] = []
        pos = 0
        abbrev = False
        prev = ""
        cache = self._piece_cache
        for m in _TOKEN.finditer(text):
            tok = m.group()
            c0 = tok[0]
            if c0.isspace():
                piece = " "
            elif c0.isalnum() or c0 == "_":
                hit = cache.get(tok)
                if hit is None:
                    hit = self._word_piece(tok)
                    if len(cache) < 20000:
                        cache[tok] = hit
                piece, ab, fixed = hit
                if piece == "wo" and prev in _WO_WEEK:  # "nächste wo", "diese wo": the week (else "wo" asks where)
                    piece, ab = "woche", True
                elif piece == "like" and prev in _LIKE_AFTER:  # "the roads are like an ice rink": no wish
                    piece, ab = "similar", True
                prev = piece
                if ab:
                    abbrev = True
                    out.append(piece)
                    words.append((pos, pos + len(piece), tok, c0.isupper()))
                    pos += len(piece)
                    continue
                if fixed:
                    corrected.append((pos, pos + len(piece), piece))
                if piece:
                    words.append((pos, pos + len(piece), tok, c0.isupper()))
            elif tok == "." and abbrev:  # the dot of an abbreviation
                piece = " "
            elif tok in _PUNCT:
                piece = tok
            else:
                t = tok.translate(_FOLD_TABLE)
                piece = t if t in _PUNCT else " "
            abbrev = False
            out.append(piece)
            pos += len(piece)
        return "".join(out), words, corrected

    # -- main ------------------------------------------------------------------------------

    def parse(self, text: str, now: datetime, _probe: list | None = None) -> Intent:
        today = now.date()
        it = Intent()
        text = text or ""
        cmd_intent = None
        cmd_lang = None
        body = text
        m = _SLASH.match(text)
        if m:
            cmd = _fold_word(m.group(1))
            cmd_intent, cmd_lang = _COMMANDS.get(cmd, ("unknown", None))
            if cmd in ("bilanz", "impact", "abzeichen", "badges"):
                cmd_intent, cmd_lang = "impact", ("en" if cmd in ("impact", "badges") else "de")
            body = m.group(2)
            if cmd_intent in ("start",):
                it.intent = "start"
                it.args = body.split()
                it.lang = "de"
                return it
        stripped = body.strip().strip(".!")
        if not cmd_intent and " " not in stripped and any(c.isdigit() for c in stripped) and _CODE.match(stripped) \
                and sum(c.isalpha() for c in stripped) >= 3 and not _ISO.search(stripped) \
                and not _TIMEISH.search(stripped):
            it.intent, it.args = "start", [stripped]
            return it

        if " u. " in body:
            body = body.replace(" u. ", " und ")  # "Do u. Fr Nottuln"
        low = body.lower()
        if "name" in low or "heiße" in low or "heisse" in low:  # "Hi, my name is Joost, I like to sit in Senden ...": no one asked about
            body = _MY_NAME.sub(lambda mm: " " * len(mm.group()), body)
        if "weiteres" in low or "further notice" in low:  # "jeden Di vm in Nottuln bis auf weiteres": no end given
            body = _UNTIL_FURTHER.sub(lambda mm: " " * len(mm.group()), body)
        if "frei" in low and "halt" in low:  # "wäre cool, wenn da ein Tisch für mich frei gehalten wird": keep one for me
            body = _KEEP_FREE.sub("freihalten", body)
        if ("leav" in low or " weg" in low or " los" in low or "heim" in low or "hause" in low or "home" in low) \
                and _LEAVE_AT.search(body):
            # "I'll leave around 3 pm", "um 15 Uhr muss ich wieder weg": the end of the stay
            body = _LEAVE_AT.sub(lambda mm: f" bis {mm.group('t1') or mm.group('t2')} ", body)
        if ("AM" in body or "PM" in body) and _DAY_AMPM.search(body):  # "Wednesday AM, Ascheberg": that half
            body = _DAY_AMPM.sub(lambda mm: f"{mm.group(1)} {'morning' if mm.group(2) == 'AM' else 'afternoon'}", body)
        if ("holidays" in low or "ferien" in low) and _HOLIDAYS_FRAME.search(body):
            # "over the holidays I need Lüdinghausen on the 28th", "In den Weihnachtsferien bräucht ich …": a time frame,
            # not the sender's absence
            body = _HOLIDAYS_FRAME.sub(lambda mm: " " * len(mm.group()), body)
        if ("absag" in low or "sag ich" in low or "cancel" in low or "stornier" in low or "abmeld" in low) \
                and _CAN_CANCEL_LATER.search(body):
            # "reservier mal vorsorglich, absagen kann ich ja immer noch", "zur Not sag ich halt wieder ab", "I can always
            # cancel later": a hedge on the booking, no cancellation
            body = _CAN_CANCEL_LATER.sub(lambda mm: " " * len(mm.group()), body)
        if ("give" in low or "geben" in low) and _GIVE_BACK.search(body):  # "Can I give back my whole booking …?"
            body = _GIVE_BACK.sub(lambda mm: "cancel" if mm.group(1) else "stornieren", body)
        if "cancel" in low and _THING_CANCELLED.search(body):  # "my RE42 got cancelled AGAIN": the train, not a booking
            body = _THING_CANCELLED.sub(lambda mm: " " * len(mm.group()), body)
        if (" weg" in low or " raus" in low) and _BOTH_GONE.search(body):  # "…, beide weg.": both cancelled
            body = _BOTH_GONE.sub(lambda mm: mm.group(1) + " stornieren", body)
        if " away" in low and _RIGHT_AWAY.search(body):  # "I'll book straight away": at once, nobody away
            body = _RIGHT_AWAY.sub(lambda mm: " " * len(mm.group()), body)
        if "could" in low and _COULD_PAST.search(body):  # "could barely see the road": what was, not a request
            body = _COULD_PAST.sub(lambda mm: " " * len(mm.group()), body)
        if ("nicht mehr" in low and "wei" in low or "trau" in low) and _DONT_KNOW.search(body):
            # "Weiß nicht mehr ob Olfen oder Senden", "Ich trau mich gar nicht mehr zu buchen": no negation of a booking
            body = _DONT_KNOW.sub(lambda mm: " " * len(mm.group()), body)
        if "lunch" in low or "mitta" in low:  # "after lunch", "nach der Mittagspause": the afternoon, no talk of food
            body = _AFTER_LUNCH.sub(lambda mm: "afternoon" if mm.group(1) else "nachmittags", body)
            # "before lunch", "vor der Mittagspause": the morning; "bis mittags eins": 1 pm
            if "vor" in low or "before" in low or "pre" in low:
                body = _BEFORE_LUNCH.sub(lambda mm: "morning" if mm.group(1) else "vormittags", body)
            if "ein" in low or "1" in low:
                body = _MIDDAY_ONE.sub("13 Uhr", body)
        if " nm" in low:  # "Di nm", "morgen nm": a chat "nachmittags" after a day ("nm" alone may be "never mind")
            body = _NM_AFTER_DAY.sub(r"\1 nachmittags", body)
        if "ohne" in low or "without" in low:  # "hab ... gesessen, ohne zu buchen": no booking verb
            body = _WITHOUT_BOOKING.sub(lambda mm: "unangemeldet" if mm.group().lower().startswith("o") else "unannounced",
                                        body)
        if ("letzt" in low or "vergangen" in low or "last" in low) and ("den" in low or "the" in low):
            body = _LAST_WD_DAY.sub(r"\1", body)  # "Letzten Dienstag, den 17.": that Tuesday, not the 17th to come
        if _HAS_DIGIT(body) and _DIGIT_ORD.search(body):
            body = _DIGIT_ORD.sub(r"\1.", body)  # "am 4ten Dez", "den 3ten": the day of the month
        if ("zwischen" in low or "between" in low) and (" und " in low or " and " in low):
            body = _BETWEEN.sub(_between_to_range, body)  # "zwischen dem 28.12. und 30.12.": a range
        if ("nicht" in low or "not" in low) and _NOT_WD_DASH.search(body):
            body = _NOT_WD_DASH.sub(r"\1, ", body)  # "nicht Dienstag — Mittwoch": a correction, no range
        if "jeden fall" in low:
            body = _IN_ANY_CASE.sub("jedenfalls", body)  # "auf jeden Fall vormittags": no series, no unknown "Fall"
        if ("heute" in low or "today" in low or "sofort" in low) and _FROM_TODAY.search(body) and _SPAN_CUE.search(body):
            body = _FROM_TODAY.sub(" ", body)  # "jeden Tag diese Woche, ab heute": the span starts today anyway
        if " " in body or "-" in body:
            body = self._join_split_towns(body)
        s, words, corrected = self._normalise(body)
        if (" a " in s or " ein" in s) and _A_WEEKDAY.search(s):
            # "on a Sunday", "Is that a Monday?", "ist der 2. ein Dienstag?": a kind of day, not one of them
            s = _A_WEEKDAY.sub(lambda mm: " " * len(mm.group()), s)
        if ("weekend" in s or "wochenende" in s) and _IT_IS_WEEKEND.search(s):  # "I know it's the weekend 😅 but …"
            s = _IT_IS_WEEKEND.sub(lambda mm: " " * len(mm.group()), s)
        if " so" in s and _AND_SO.search(s):  # "Sturm und so", "oder so": no Sunday after a word that is no weekday
            s = _AND_SO.sub(lambda mm: mm.group() if mm.group(1) in _WEEKDAYS else mm.group()[:-2] + "sowas", s)
        if ("woche" in s or "week" in s) and _WEEK_EDGE.search(s) and _WD_LONG_WORD.search(s) is None:
            # "Ende der Woche", "Mitte nächster Woche", "early next week": that week's Friday, Wednesday, Monday
            s = _WEEK_EDGE.sub(_week_edge, s)
        if (" nach " in s or " vor " in s or " after " in s or " before " in s) and _NAMED_NEAR_GATE.search(s) \
                and _NEXT_TO_NAMED.search(s):
            s = _NEXT_TO_NAMED.sub(lambda mm: _around_named(mm, today), s)
        if (" nach " in s or " after " in s or s.startswith(("nach ", "after "))) and _NAMED_THEN_FIRST.search(s):
            s = _NAMED_THEN_FIRST.sub(lambda mm: _named_then_first(mm, today), s)
        toks = _WORDS.findall(s)
        tokset = set(toks)
        jt = " " + " ".join(toks) + " "  # the words joined, for stem tests in one search
        if "'" in s:  # "tomorrow's", "friday's": the word before the apostrophe counts too
            tokset |= {t.split("'", 1)[0] for t in toks if "'" in t}
        w = s  # working copy, entities get blanked out

        # ---- language ----
        en = sum(1 for t in toks if t in _EN or "'" in t and t.split("'", 1)[0] in _EN)
        de = sum(1 for t in toks if t in _DE)
        if cmd_lang == "en":
            en += 1
        elif cmd_lang == "de":
            de += 1
        it.lang = "en" if en > de else "de"

        # ---- greetings ----
        if tokset & {"guten", "good", "moin", "gudn", "guden", "gueden", "gun", "gutn", "juten", "zusammen", "allerseits",
                     "miteinander"}:
            w = _GREETING.sub(_blank, w)

        # ---- desk choice: "Platz 3", "mit Monitor", "ein ruhiger Platz", "Stehpult" (issue 17) ----
        if not tokset.isdisjoint(_K_DESK_NOUN) and (_HAS_DIGIT(w) or not tokset.isdisjoint(_NUMWORD_KEYS)):
            mm = _DESK_LABEL.search(w)
            if mm:
                n = mm.group("n")
                it.desk_label = str(_NUMWORDS[n]) if n in _NUMWORDS else n.upper()
                w = w[:mm.end("noun")] + " " * (mm.end() - mm.end("noun")) + w[mm.end():]
        if _FEAT_GATE(w):
            feats: list[str] = []
            for name, rx in _FEATURES:
                for mm in rx.finditer(w):
                    if not _FEAT_NEG.search(w[max(0, mm.start() - 16):mm.start()]) and name not in feats:
                        feats.append(name)
                    w = w[:mm.start()] + " " * (mm.end() - mm.start()) + w[mm.end():]
            it.desk_features = feats

        # ---- desks ----
        desks: list[int] = []

        def _d_plus(mm):
            # "ich mit 3 Kollegen": four; "wir sind mit 4 Leuten da": four in all
            whole = "wir" in tokset or "we" in tokset
            desks.append(_num(mm.group(1)) + (0 if whole and mm.group().endswith(("leuten", "others")) else 1))
            return _blank(mm)

        def _d(mm):
            desks.append(_num(mm.group(1)))
            return _blank(mm)

        if tokset & {"mit", "with", "plus", "und", "and"} or "+" in w:
            w = _DESKS_PLUS.sub(_d_plus, w)
            if tokset & {"ich", "me", "myself", "mich"}:  # "ich plus zwei", "me + 2"
                w = _DESKS_MEPLUS.sub(_d_plus, w)
        if not tokset.isdisjoint(_NUMWORD_KEYS) or _HAS_DIGIT(w):
            w = _DESKS.sub(_d, w)
        if "zu" in tokset:
            w = _DESKS_ZU.sub(lambda mm: (desks.append(_ZU[mm.group(1)]), _blank(mm))[1], w)
        if "us" in tokset:
            w = _DESKS_OFUS.sub(_d, w)
        if tokset & {"uns", "wir", "we", "team", "group", "party", "fuer", "for", "x", "we're"} or "x " in w \
                or _ER_TEAM_HINT(w) is not None:  # "ein 3er-Team"
            w = _DESKS_UNS.sub(lambda mm: (desks.append(_num(next(g for g in mm.groups() if g))), _blank(mm))[1], w)

        def _d_pair(mm):
            nm = mm.group(1) or mm.group(2)
            if nm and nm in self.known:
                return mm.group()
            desks.append(2)
            return _blank(mm)

        if tokset & {"mich", "me", "myself", "ich", "i"}:
            w = _DESKS_PAIR.sub(_d_pair, w)
        if not desks and tokset & {"ich", "i"}:
            w = _DESKS_PAIR2.sub(lambda mm: mm.group() if mm.group(1) and mm.group(1) in self.known
                                 and mm.group(1) not in _PAIR_PEOPLE else (desks.append(2), _blank(mm))[1], w)
        if not desks and tokset & {"bring", "bringe", "bringing", "plus", "+1"} or "+1" in w:  # "ich bring noch jemanden mit"
            w = _DESKS_BRING.sub(lambda mm: (desks.append(2), _blank(mm))[1], w)
        if not desks and not tokset.isdisjoint(_COMES_GATE) and _DESKS_COMES.search(w):
            w = _DESKS_COMES.sub(lambda mm: (desks.append(2), _blank(mm))[1], w)  # "..., mein Kollege kommt mit"
        if not desks and tokset & {"mit", "with"}:  # "mit meiner Kollegin", "with a colleague": the two of us
            w = _DESKS_WITH1.sub(lambda mm: (desks.append(2), _blank(mm))[1], w)
        if desks:
            it.desks = max(1, min(max(desks), 99))

        # ---- dates ----  (patterns needing a digit are skipped for texts without one)
        dig = _HAS_DIGIT(w) is not None
        items: list[_Item] = []
        unreadable = False
        part_hint: str | None = None

        def add(mm, ds, kind="date", wd=-1, mod=""):
            items.append(_Item(mm.start(), mm.end(), kind, ds, wd, mod))
            return _blank(mm)

        def _iso(mm):
            nonlocal unreadable
            d = _safe_date(int(mm.group(1)), int(mm.group(2)), int(mm.group(3)))
            if d is None:
                unreadable = True
                return _blank(mm)
            return add(mm, [d])

        if dig:
            w = _ISO.sub(_iso, w)

        between: list[int] = []  # where "zwischen den Jahren" was read

        def _named(mm):
            if mm.lastgroup == "between":  # "zwischen den Jahren": 27. to 31. December
                d0 = _named_day("xmas2", today) + timedelta(days=1)
                between.append(mm.start())
                return add(mm, [d0 + timedelta(days=k) for k in range(5)])
            return add(mm, [_named_day(mm.lastgroup, today)], mod="named")

        if _S_NAMED.search(jt):
            w = _NAMED.sub(_named, w)
        if not tokset.isdisjoint(_NTH_KEYS) and not tokset.isdisjoint(_WEEKDAY_KEYS) \
                and not tokset.isdisjoint(_NTH_MONTH_KEYS):
            # "am ersten Montag im Dezember", "the last Friday of next month": that one day
            w = _nth_weekday_re().sub(lambda mm: (add(mm, [d]) if (d := _nth_weekday(mm, today)) else mm.group()), w)
        if not tokset.isdisjoint(_ORDINAL_KEYS):  # "am zweiten Dezember", "the twelfth of December" -> digits
            w = _ORDPAIR.sub(lambda mm: f"{_ORDINALS[mm.group(1)]}.{_ORDINALS[mm.group(2)]}.".ljust(len(mm.group()))
                             if _ORDINALS[mm.group(2)] <= 12 else mm.group(), w)  # "am ersten zwölften" = 1.12.
            w = _ORDWORD.sub(lambda mm: f"{_ORDINALS[mm.group(1)]}.".ljust(len(mm.group(1))), w)
            dig = _HAS_DIGIT(w) is not None

        def _span(d1: date | None, d2: date | None, mm) -> str:
            nonlocal unreadable
            if d1 is None or d2 is None:
                unreadable = True
                return _blank(mm)
            if d2 < d1:
                d2 = _safe_date(d2.year + 1, d2.month, d2.day) or d2
            n = (d2 - d1).days
            if n < 0 or n > 62:
                unreadable = True
                return _blank(mm)
            return add(mm, [d1 + timedelta(days=k) for k in range(n + 1)])

        def _drange_num(mm):
            a, b, mo = int(mm.group(1)), int(mm.group(2)), int(mm.group(3))
            if not 1 <= mo <= 12:
                nonlocal unreadable
                unreadable = True
                return _blank(mm)
            y = _year2(mm.group(4), today, mo, b)
            return _span(_safe_date(y, mo, a), _safe_date(y, mo, b), mm)

        def _drange_days(mm):
            a, b = int(mm.group(1)), int(mm.group(2))
            if not (1 <= a < b <= 31):
                return mm.group()
            first = today.replace(day=1) if a >= today.day else _add_months(today.replace(day=1), 1)
            if _safe_date(first.year, first.month, b) is None:  # "vom 28. bis 31." in November: December's
                first = _add_months(first, 1)
            return _span(_safe_date(first.year, first.month, a), _safe_date(first.year, first.month, b), mm)

        def _drange_nodot(mm):
            a, m1, b, m2 = (int(mm.group(k)) for k in range(1, 5))
            if not (1 <= m1 <= 12 and 1 <= m2 <= 12):
                return mm.group()  # "9.30-12.30": hours
            y2 = _year2(mm.group(5), today, m2, b)
            d1, d2 = _safe_date(y2 - (1 if m1 > m2 else 0), m1, a), _safe_date(y2, m2, b)
            if d1 is None or d2 is None or not 0 <= (d2 - d1).days <= 62:
                return mm.group()
            return _span(d1, d2, mm)

        def _drange_mon(mm):
            a, b, mo = int(mm.group(1)), int(mm.group(2)), _MONTHS[mm.group(3)]
            y = _year2(mm.group(4), today, mo, b)
            return _span(_safe_date(y, mo, a), _safe_date(y, mo, b), mm)

        def _drange_mon2(mm):
            mo, a, b = _MONTHS[mm.group(1)], int(mm.group(2)), int(mm.group(3))
            y = _year2(mm.group(4), today, mo, b)
            return _span(_safe_date(y, mo, a), _safe_date(y, mo, b), mm)

        def _dlist_en(mm):
            mo = _MONTHS[mm.group("mon_after") or mm.group("mon_before")]
            txt = mm.group()
            days = [int(x) for x in re.findall(r"\d{1,2}", txt)]
            y = _year_for(today, mo, days[0])
            ds = [_safe_date(y, mo, d) for d in days]
            return add(mm, ds) if all(ds) else mm.group()

        def _dlist(mm):
            nonlocal unreadable
            txt = mm.group()
            if mm.group(3):  # "am 1., 3. und 4.12.": the month is written on the last day
                mo = int(mm.group(3))
                days = [int(x) for x in _DLIST_ITEM.findall(txt[:mm.start(2) - mm.start()])] + [int(mm.group(2))]
                if not 1 <= mo <= 12:
                    unreadable = True
                    return _blank(mm)
                y = _year2(mm.group(4), today, mo, days[0])
                months = [(y, mo)]
            else:
                days = [int(x) for x in _DLIST_ITEM.findall(txt)]
                if mm.group(5):
                    mo = _MONTHS[mm.group(5)]
                    months = [(_year_for(today, mo, days[0]), mo)]
                else:  # this month if the first day has not passed, else the next month(s) having the days
                    y, mo = today.year, today.month + (1 if days[0] < today.day else 0)
                    months = [((y + (mo + k - 1) // 12), (mo + k - 1) % 12 + 1) for k in range(3)]
            for y, mo in months:
                ds = [_safe_date(y, mo, d) for d in days]
                if all(ds):
                    return add(mm, ds)
            unreadable = True
            return _blank(mm)

        if dig:
            w = _DLIST.sub(_dlist, w)
        if dig and it.lang == "en" and ("and" in tokset or "&" in w or "," in w):
            w = _DLIST_EN.sub(_dlist_en, w)

        def _series(mm):
            nonlocal series_weeks
            n = _num(mm.group(1))
            if not 1 <= n <= 12:
                return mm.group()
            if mm.group("weeks"):
                series_weeks = n
                return _blank(mm)
            wd = _WEEKDAYS[mm.group("wd")]
            first = today + timedelta(days=(wd - today.weekday() - 1) % 7 + 1)
            return add(mm, [first + timedelta(days=7 * k) for k in range(n)])

        series_weeks: int | None = None
        if tokset & {"naechsten", "kommenden", "folgenden", "naechste", "kommende", "folgende", "next", "coming",
                     "following"}:
            w = _SERIES.sub(_series, w)

        week_wd: list[tuple[int, int]] = []  # the weekdays read with their week, blanked after the week is read

        def _days_of_week(mon: date, mm) -> list[date]:
            """The days of the week of `mon`: the weekdays named right after or before it, else Monday to Friday."""
            for found, off in ((_WD_LIST_AFTER.match(w[mm.end():]), mm.end()), (_WD_LIST_BEFORE.search(w[:mm.start()]), 0)):
                if found is None:
                    continue
                named = list(re.finditer(rf"\b(?:{_WD_RE})\b", found.group()))
                if not named or len(named) == 1 and len(named[0].group()) <= 2 and (off == 0 or named[0].group() == "so"):
                    continue  # one short form alone before the week, or "so", may be a word ("so", "do", "mi")
                wds = [(_WEEKDAYS[x.group()], x.end()) for x in named]
                picked: list[int] = []
                for k, (wd, end) in enumerate(wds):
                    if k and re.search(r"-|–|\bbis\b|\bto\b|\btill\b|\buntil\b|\bthrough\b|\bthru\b",
                                       found.group()[wds[k - 1][1]:end]) and wd > picked[-1]:
                        picked.extend(range(picked[-1] + 1, wd + 1))
                    else:
                        picked.append(wd)
                week_wd.append((off + found.start(), off + found.end()))
                return [mon + timedelta(days=k) for k in sorted(set(picked))]
            return [mon + timedelta(days=k) for k in range(5)]

        def _week_of(mm):  # "in der Woche vom 14.12.", "the week of 14 December": that week, Monday to Friday
            g = mm.groupdict()
            mo = int(g["m1"]) if g.get("m1") else _MONTHS.get(g.get("mon1") or g.get("mon2") or g.get("mon3") or "", 0)
            day = int(g.get("d1") or g.get("d2") or g.get("d3") or g.get("d4") or 0)
            d = _safe_date(_year2(None, today, mo, day), mo, day) if 1 <= mo <= 12 and day else None
            if d is None:
                return mm.group()
            return add(mm, _days_of_week(_monday(d), mm))

        if dig and ("woche" in tokset or "week" in tokset):
            w = _WEEK_OF.sub(_week_of, w)  # "Woche vom 7.12. Mo bis Mi": those days of that week
            for a0, b0 in week_wd:
                w = w[:a0] + " " * (b0 - a0) + w[b0:]
            week_wd.clear()
        if dig:
            w = _DRANGE_NUM.sub(_drange_num, w)
            if "." in w:
                w = _DRANGE_DAYS.sub(_drange_days, w)  # "vom 1. bis 3.", "25.-27.": days of this month or the next
        if dig and ("bis" in w or "-" in w or "to" in tokset or "until" in tokset or "till" in tokset):
            w = _DRANGE_NODOT.sub(_drange_nodot, w)
        if dig:
            w = _DRANGE_MON.sub(_drange_mon, w)
        if dig:
            w = _DRANGE_MON2.sub(_drange_mon2, w)

        def _dm(day: int, mo: int, y: str | None, mm):
            nonlocal unreadable
            if not (1 <= mo <= 12 and 1 <= day <= 31):
                unreadable = True
                return _blank(mm)
            d = _safe_date(_year2(y, today, mo, day), mo, day)
            if d is None:
                unreadable = True
                return _blank(mm)
            return add(mm, [d])

        if dig:
            w = _DNUM.sub(lambda mm: _dm(int(mm.group(1)), int(mm.group(2)), mm.group(3), mm), w)

        def _dnum_nodot(mm):
            day, mo = int(mm.group(1)), int(mm.group(2))
            if 1 <= mo <= 12 and 1 <= day <= 31:
                return _dm(day, mo, None, mm)
            return mm.group()

        if dig:
            w = _DNUM_NODOT.sub(_dnum_nodot, w)

        def _dslash(mm):
            day, mo = int(mm.group(1)), int(mm.group(2))
            if it.lang == "en" and not 1 <= mo <= 12 and 1 <= day <= 12 and mo <= 31:
                day, mo = mo, day  # an English "12/15": only the US order is a date
            elif it.lang == "en" and 1 <= day <= 12 and 1 <= mo <= 12 and day != mo and not mm.group(3):
                # an English "12/4", "12/1": the reading that comes first of the two (German "4.12." stays)
                us, de = _safe_date(_year_for(today, day, mo), day, mo), _safe_date(_year_for(today, mo, day), mo, day)
                if us and de and today <= us < de:
                    day, mo = mo, day
            if 1 <= mo <= 12 and 1 <= day <= 31:
                return _dm(day, mo, mm.group(3), mm)
            return mm.group()

        if dig:
            w = _DSLASH.sub(_dslash, w)
        if dig:
            w = _DMON.sub(lambda mm: _dm(int(mm.group(1)), _MONTHS[mm.group(2)], mm.group(3), mm), w)
        if dig:
            w = _MOND.sub(lambda mm: _dm(int(mm.group(2)), _MONTHS[mm.group(1)], mm.group(3), mm), w)

        def _bad(mm):
            nonlocal unreadable
            unreadable = True
            return _blank(mm)

        if dig:
            w = _BADNUM.sub(_bad, w)

        def _rel(mm):
            nonlocal part_hint
            g = mm.lastgroup
            if g == "dat":
                return add(mm, [today + timedelta(days=2)])
            if g == "todaypm":
                part_hint = "afternoon"
                return add(mm, [today])
            if g == "todaymorning":
                part_hint = "morning"
                return add(mm, [today])
            if g == "today":
                return add(mm, [today])
            if g == "tomorrow":
                # "am Morgen" = in the morning
                pre = w[max(0, mm.start() - 4):mm.start()]
                if pre.endswith("am ") and mm.group() == "morgen" and (len(pre) < 4 or not pre[0].isalnum()):
                    part_hint = "morning"
                    return _blank(mm)
                return add(mm, [today + timedelta(days=1)])
            if g == "dby":
                return add(mm, [today - timedelta(days=2)])
            return add(mm, [today - timedelta(days=1)])

        # "am morgen" check needs the text before the match: do the substitution on a snapshot
        def _anchor_in(mm):  # "heute in einer Woche", "morgen in 8 Tagen", "a week from tomorrow", "Friday week"
            a = mm.group("a") or mm.group("a2") or mm.group("a3") or mm.group("a4") or mm.group("a5")
            n = _num(mm.group("n") or mm.group("n2") or mm.group("n3") or mm.group("n4") or "1")
            u = mm.group("u") or mm.group("u2") or mm.group("u3") or mm.group("u4") or "week"
            if a in _WEEKDAYS:  # that weekday on or after the day n weeks on ("Montag in einer Woche", said on a Monday)
                if not u.startswith(("woch", "week")):  # "Freitag in acht / 14 Tagen": German for a week / two
                    if n % 7 not in (0, 1):
                        return mm.group()
                    n = n // 7
                base = today + timedelta(days=7 * n)
                return add(mm, [base + timedelta(days=(_WEEKDAYS[a] - base.weekday()) % 7)])
            else:
                base = today + timedelta(days={"morgen": 1, "tomorrow": 1, "uebermorgen": 2}.get(a, 0))
            return add(mm, [base + timedelta(days=n * (7 if u.startswith(("woch", "week")) else 1))])

        if tokset & {"in", "from", "after", "week"} and (not tokset.isdisjoint(_REL_NOW) or not tokset.isdisjoint(_WEEK_UNITS)
                                                         and not tokset.isdisjoint(_WEEKDAY_LONG)):
            w = _ANCHOR_IN.sub(_anchor_in, w)
        if not tokset.isdisjoint(_REL_WORDS):
            w = _REL.sub(_rel, w)
        if tokset & {"jetzt", "gleich", "sofort", "now", "away", "asap"}:
            w = _NOW_DAY.sub(lambda mm: add(mm, [today], mod="now"), w)

        def _inn(mm):
            n = _num(mm.group(1))
            unit = mm.group(2)
            if unit.startswith(("tag", "day")):
                d = today + timedelta(days=n)
            elif unit.startswith(("woch", "week")):
                d = today + timedelta(days=7 * n)
                items.append(_Item(mm.start(), mm.end(), "inn", [d], n))
                return _blank(mm)
            else:
                d = _add_months(today, n)
            return add(mm, [d])

        if tokset & {"in", "nach", "after"}:
            w = _INN.sub(_inn, w)

        def _kw(mm):
            nonlocal unreadable
            n = int(mm.group(1))
            y = today.year
            try:
                mon = date.fromisocalendar(y, n, 1)
                if (today - mon).days > 90:
                    mon = date.fromisocalendar(y + 1, n, 1)
            except ValueError:
                unreadable = True
                return _blank(mm)
            return add(mm, _days_of_week(mon, mm))  # "KW 49 Montag", "Montag in KW 49", "KW 49 Mo+Di"

        if dig and ("kw" in w or "cw" in w or not tokset.isdisjoint(_KW_GATE)):
            w = _KW.sub(_kw, w)
            for a0, b0 in week_wd:  # the weekdays named with the week are read, not more dates
                w = w[:a0] + " " * (b0 - a0) + w[b0:]

        bare_days: set[int] = set()  # where a day of the month without its month was read

        def _dayof(mm):
            nonlocal unreadable
            day = int(mm.group(1) or mm.group(2))
            if not 1 <= day <= 31:
                unreadable = True
                return _blank(mm)
            y, mo = today.year, today.month
            if day < today.day:
                mo += 1
            for _ in range(3):
                if mo > 12:
                    y, mo = y + 1, mo - 12
                d = _safe_date(y, mo, day)
                if d:
                    bare_days.add(mm.start())
                    return add(mm, [d])
                mo += 1
            unreadable = True  # pragma: no cover
            return _blank(mm)

        if dig:
            w = _DAYOF.sub(_dayof, w)

        def _weekend(mm):
            sat = today - timedelta(days=1) if today.weekday() == 6 else today + timedelta(days=(5 - today.weekday()) % 7)
            if (mm.group("mod") or "").startswith("uebernaechst"):
                sat += timedelta(days=7)
            if mm.group("after"):
                return add(mm, [sat + timedelta(days=2)])
            if not tokset.isdisjoint(_K_PAST) and not mm.group("mod").startswith(("naechst", "kommend", "next", "coming")):
                sat -= timedelta(days=7)  # "Am Wochenende war ich in Nottuln": the last one
                return add(mm, [sat, sat + timedelta(days=1)])
            return add(mm, [d for d in (sat, sat + timedelta(days=1)) if d >= today], mod="weekend")

        if ("wochenende" in tokset or "weekend" in tokset) and (
                not tokset.isdisjoint(self.space_words) or not tokset.isdisjoint(_K_BOOK | _K_DESK | _REQ)):
            w = _WEEKEND.sub(_weekend, w)

        # week / month context
        week_off: int | None = None
        week_whole = False

        def _weekctx(mm):
            nonlocal week_off, week_whole
            mod = mm.group("mod") or ""
            if mm.group("after") or mm.group().endswith("after next") or mod.startswith("uebernaechst"):
                week_off = 2
            elif mm.group("whole"):
                week_off = 0 if week_off is None else week_off
                week_whole = True
            elif mod.startswith(("naechst", "kommend", "folgend", "next", "following", "coming")):
                week_off = 1
            elif mod.startswith(("letzt", "vergangen", "last", "past")):
                week_off = -1
                past_week.append(mm.start())
            else:
                week_off = 0
            return _blank(mm)

        if ("wie" in tokset or "like" in tokset or "as" in tokset) and ("woche" in w or "week" in w or "mal" in w):
            w = _LIKE_LAST.sub(_blank, w)
        past_week: list[int] = []
        if "woche" in w or "week" in w:
            w = _WEEKCTX.sub(_weekctx, w)

        month_ctx: tuple[int, int] | None = None

        def _monthctx(mm):
            nonlocal month_ctx
            if mm.group(1):
                mo = _MONTHS[mm.group(1)]
                if mm.group(1) in ("may", "mar", "jun", "jul", "aug") and not re.match(r"\s*(?:im|in|for|during|the|of)\b", mm.group()):
                    return mm.group()
                if mm.group(1) == "jan" and not mm.group(2) and not re.match(r"\s*(?:im|in|during|ab|bis|seit)\b", mm.group()):
                    return mm.group()  # "Was ist bei Jan noch übrig?": a first name, not January
                y = int(mm.group(2)) if mm.group(2) else (today.year if mo >= today.month else today.year + 1)
                month_ctx = (y, mo)
            else:
                mod = mm.group("mod")
                d = _add_months(today.replace(day=1), 0 if mod.startswith(("dies", "this", "current"))
                                else -1 if mod.startswith(("letzt", "vorig", "vergangen", "last", "previous", "past")) else 1)
                month_ctx = (d.year, d.month)
            return _blank(mm)

        if not tokset.isdisjoint(_MONTH_GATE):
            w = _MONTHCTX.sub(_monthctx, w)

        everyday = False

        def _everyday(mm):
            nonlocal everyday
            everyday = True
            return _blank(mm)

        if not tokset.isdisjoint(_EVERYDAY_GATE):
            w = _EVERYDAY.sub(_everyday, w)
        recur = everyday

        wd_items: list[_Item] = []

        def _wday(mm):
            nonlocal recur, part_hint
            tok = mm.group("wd") or mm.group("wds")
            wd = _WEEKDAYS[tok]
            st = mm.start()
            if _DAY_IS.search(s[:st]):  # "Heute ist Montag", "tomorrow is Friday"
                return _blank(mm)
            if mm.group("wd") == "montag" and mm.group("pl") == "e" and s[:st].rstrip().endswith((" auf", " zur", " von der")):
                return mm.group()
            if tok in ("sat", "sun", "wed"):
                before = s[:st].rstrip()
                pv = before.split()[-1] if before else ""
                if pv in _PRONOUNS or tok == "sat" and s[mm.end():].lstrip().startswith(("down", "up ", "around", "next to")):
                    return mm.group()
            if len(tok) <= 2:
                before = s[:st].rstrip()
                after = s[mm.end():].lstrip()
                pv = before.split()[-1] if before else ""
                nx = after.split()[0].strip("?!.,") if after else ""
                if tok == "mi" and (pv in ("ihr", "du", "sie", "kannst", "koennt", "koennen", "gebt", "gib", "mach")
                                    or nx in ("foer", "och", "een", "wat")):
                    return mm.group()  # Platt "mi" = mir: "wenn ihr mi för Friedag ..."
                prior = before.split()[-2] if pv == "u" and len(before.split()) > 1 else ""
                listed = prior != "do" and prior.strip(",.") in _WEEKDAYS  # "di u do": a list, not "u do" (you do)
                if tok == "do" and not listed and (pv in _DO_BEFORE or nx in _DO_AFTER or it.lang == "en"
                                                   and not mm.group("dot") and nx
                                    and pv not in _DO_DE_BEFORE and nx not in _DO_OK_NEXT and not nx[0].isdigit()
                                    and nx not in self.space_words and nx[:2] not in _WD_PREFIX):
                    return mm.group()
                pw = pv.strip(",")
                if tok == "so" and (it.lang == "en" and not mm.group("dot") or nx in ("ab", "um", "gegen", "ca", "circa", "etwa", "rum", "gut", "viel", "wie", "lange", "i",
                                           "i'm", "i'll", "i'd", "we", "we're", "we'll", "you", "that", "it", "there")
                                    or not (
                    mm.group("dot") or pv in ("am", "on", "jeden", "und", "bis", "oder")
                    or before.endswith(("-", "+", "/", "&")) or after.startswith(("-", "+", "/", "&"))
                    or before.endswith(",") and (pw in _WEEKDAYS or pw.rstrip(".") in _WEEKDAYS)
                    or nx in ("und", "bis", "oder") and _next_is_weekday(after)
                ) or pw in ("if", "think", "hope", "guess", "not", "say", "said", "believe")):  # "I'll take it if so."
                    return mm.group()
                if tok == "mi" and pv in ("gib", "give"):
                    return mm.group()
            if mm.group("pl") and mm.group("pl") != "en" or (mm.group("pl") == "en" and tok == "montag"):
                recur = True
            part = mm.group("part")
            if part and part != "mittag":
                part_hint = "afternoon" if part.startswith(("nach", "abend")) else "morning"
            pre = _THIS_NEXT.search(w[:st])
            mod = ""
            if pre:
                pm = pre.group("m")
                mod = "this" if pm.startswith(("dies", "komm", "this", "com")) else (
                    "last" if pm.startswith(("letzt", "vergangen", "last", "past")) else (
                        "next2" if pm.startswith("uebernaechst") else "next"))
                mod_spans.append((pre.start(), pre.end()))
            end = mm.end()
            if "after" in tokset and (an := _AFTER_NEXT.match(w, end)):  # "the Monday after next"
                mod, end = "next2", an.end()
                mod_spans.append((mm.end(), end))
            item = _Item(pre.start() if pre else st, end, "wd", None, wd, mod)
            items.append(item)
            wd_items.append(item)
            return _blank(mm)

        mod_spans: list[tuple[int, int]] = []
        if it.lang == "en" and " do " in w and _EN_DO.search(w):  # "and do friday billerbeck instead": the verb
            w = _EN_DO.sub(lambda mm: mm.group(1).ljust(len(mm.group())), w)
        if _S_WD.search(jt):
            w = _WDAY.sub(_wday, w)
        for a, b in mod_spans:
            w = w[:a] + " " * (b - a) + w[b:]

        if wd_items and not tokset.isdisjoint(_RECUR_WORDS):
            # "jeden Freitag", "every Monday and Thursday", "Di und Do, jede Woche": a series; an "alle" or "all"
            # elsewhere is none ("Freitag zu viert ..., Plätze für uns alle", "show all employee bookings for Thursday")
            starts = [x.start for x in wd_items]
            for mm in _RECUR.finditer(w):
                if any(0 <= st_ - mm.end() <= 14 for st_ in starts) or _EVERY_WEEK.match(w, mm.end()):
                    recur = True
                    break
        # "jeden zweiten Dienstag", "every other Monday": a series every two weeks (read from `s`, once)
        every_other = bool(wd_items and ("zweit" in s or not tokset.isdisjoint(_OTHER_GATE)) and _EVERY_OTHER.search(s))
        if recur and every_other:
            w = _EVERY_OTHER.sub(_blank, w)

        # resolve weekday items
        inn_weeks = None
        if series_weeks and wd_items:
            recur = True
        inn = [x for x in items if x.kind == "inn"]
        for x in inn:
            x.kind = "date"
        if inn and wd_items and len(inn) == 1:
            inn_weeks = inn[0].wd
            items.remove(inn[0])
        items.sort(key=lambda x: x.start)
        if between and len(items) > 1:  # "zwischen den Jahren Dienstag + Mittwoch", "... bitte 28.12. bis 30.12.": the
            period = next(x for x in items if x.start == between[0])  # period only says when; its days are the others
            others = [x for x in items if x is not period]
            if any(x.kind == "date" for x in others):
                items.remove(period)
            elif wd_items and all(not x.mod for x in wd_items):
                inside = [[d for d in period.dates if d.weekday() == x.wd][:1] for x in wd_items]
                if all(inside):  # every weekday named lies in the period: those days
                    for x, ds in zip(wd_items, inside):
                        x.kind, x.dates = "date", ds
                    wd_items = []
                    items.remove(period)
        explicit = [x for x in items if x.kind == "date"]
        for x in wd_items:
            # a weekday written next to an explicit date is only a label
            for y in explicit:
                gap = s[x.end:y.start] if x.end <= y.start else s[y.end:x.start]
                if _LABEL_GAP.match(gap) and len(gap) <= 6:
                    if len(y.dates) == 1 and y.dates[0].weekday() != x.wd and not _HAS_DIGIT(s[y.start:y.end]) \
                            and x.end - x.start > 3:
                        continue  # "morgen, Mittwoch und Freitag": a list, not tomorrow's name
                    x.label = True
                    if y.start in bare_days and len(y.dates) == 1 and y.dates[0].weekday() != x.wd:
                        y.dates = [_day_of_month_on(today, y.dates[0].day, x.wd) or y.dates[0]]
                    break
        prev_wd = None
        for x in wd_items:
            if not x.mod and prev_wd is not None and prev_wd.mod and not x.label \
                    and _LIST_GAP.match(s[prev_wd.end:x.start]):
                x.mod = prev_wd.mod
            prev_wd = x
        if week_off == -1 and wd_items and len(past_week) == 1 and all(
                not (lambda c: c[0] <= past_week[0] < c[1])(_clause_at(s, x.start, x.end))
                and _in_other_clause(s, x.start, x.end, ()) for x in wd_items):
            week_off = None  # "nochmal Montag Coesfeld, das hat letzte Woche gut geklappt": last week is the story
        if week_whole and week_off == 0 and any(x.mod == "next" for x in wd_items):
            week_off = 1
        series_from = None  # "ab dem 7. Dezember jeden Montag": the series starts on that day, not after today
        if recur and not month_ctx and wd_items:
            starts = [y for y in items if y.kind == "date" and len(y.dates) == 1 and _SERIES_FROM.search(s, max(0, y.start - 12),
                                                                                                        y.start)]
            if len(starts) == 1 and starts[0].dates[0] > today \
                    and not (everyday and _UNTIL_GAP.match(s[starts[0].end:min((x.start for x in wd_items
                                                                                  if x.start > starts[0].end), default=0)])):
                series_from = starts[0].dates[0]
                items.remove(starts[0])
                for x in wd_items:  # "ab 7.12. montags": the weekday next to the start is the series' own
                    x.label = False
                if series_weeks is None and (mw := _FOR_WEEKS.search(s)):
                    series_weeks = _num(mw.group(1)) if 1 <= _num(mw.group(1)) <= 12 else None
        for x in wd_items:
            if x.label:
                continue
            if everyday and week_off is not None and week_off >= 0 and not month_ctx:
                day = _monday(today) + timedelta(days=7 * week_off + x.wd)  # "jeden Tag nächste Woche ab Dienstag"
                if re.search(r"\b(?:bis|until|till|to|through)\s+(?:zum\s+|einschlie\w+\s+)?$", s[max(0, x.start - 20):x.start]):
                    # "nächste Woche jeden Tag bis Donnerstag": from the week's first day (today, this week) to it
                    first = max(_monday(day), today)
                    x.dates = [first + timedelta(days=k) for k in range((day - first).days + 1)] or [day]
                else:
                    x.dates = [day]
            elif recur and month_ctx:
                x.dates = _weekdays_in_month(month_ctx, x.wd, today)
            elif week_off is not None and recur and week_off >= 0 and _WEEK_START.search(s):
                # "jeden Montag ab nächster Woche", "every other Monday, starting next week": a week holds one Monday,
                # so the week is where the series starts
                first = _monday(today) + timedelta(days=7 * week_off + x.wd)
                if first <= today:
                    first += timedelta(days=7)
                step = 14 if every_other else 7
                x.dates = [first + timedelta(days=step * k) for k in range(series_weeks or 4)]
            elif week_off is not None:
                x.dates = [_monday(today) + timedelta(days=7 * week_off + x.wd)]
            elif inn_weeks is not None:  # "in drei Wochen am Freitag": that weekday in the week N weeks ahead
                x.dates = [_monday(today) + timedelta(days=7 * inn_weeks + x.wd)]
            elif x.mod == "next":
                x.dates = [_monday(today) + timedelta(days=7 + x.wd)]
            elif x.mod == "next2":  # "übernächsten Freitag": in the week after next
                x.dates = [_monday(today) + timedelta(days=14 + x.wd)]
            elif x.mod == "last":
                x.dates = [today - timedelta(days=(today.weekday() - x.wd - 1) % 7 + 1)]
            elif x.mod == "this":
                x.dates = [today + timedelta(days=(x.wd - today.weekday()) % 7)]
            else:
                first = today + timedelta(days=(x.wd - today.weekday() - 1) % 7 + 1) if series_from is None else \
                    series_from + timedelta(days=(x.wd - series_from.weekday()) % 7)
                step = 14 if recur and every_other else 7
                x.dates = [first + timedelta(days=step * k) for k in range((series_weeks or 4) if recur else 1)]
        if recur and month_ctx and not wd_items and everyday:
            wd_items = []
            for k in range(5):
                x = _Item(0, 0, "wd", _weekdays_in_month(month_ctx, k, today), k)
                items.append(x)
        dates: list[date] = []
        seq = sorted((x for x in items if not x.label), key=lambda x: x.start)
        if len(seq) > 1 and any(x.mod == "weekend" for x in seq):
            # "this weekend …, can I grab a desk there on Saturday?": the day of the weekend named
            named = {x.wd for x in items if x.kind == "wd"} & {5, 6}
            if len(named) == 1:
                seq = [x for x in seq if x.mod != "weekend"]
        if len(seq) > 1 and any(x.mod == "now" for x in seq) and any(x.mod != "now" for x in seq):
            seq = [x for x in seq if x.mod != "now"]  # "… dann nehm ich das sofort", "… a nightmare rn": the day named
        event = (len(seq) > 1 or "nach" in tokset or "vor" in tokset or "after" in tokset or "before" in tokset) \
            and _has_event_word(toks)
        placed = len(seq) > 1 and not tokset.isdisjoint(self.space_words)  # only next to a booking that names a place
        offday = placed and not tokset.isdisjoint(_OFF_WORDS)
        dropped_event = False
        # "Präsentation am Donnerstag, deshalb Mittwoch Senden": the other event's day is no booking day
        if placed and (event or offday or any(x.mod == "named" for x in seq)):
            bound = []
            for x in seq:
                m_off = None
                if offday:  # "Ich hab Freitag frei, aber Donnerstag brauch ich Olfen": the sender's own day off
                    m_off = _OFF_BEFORE.search(s, max(0, x.start - 24), x.start) and _OFF_AFTER1.match(s, x.end) \
                        or _OFF_AFTER2.match(s, x.end)
                if m_off:
                    bound.append((x, x.end, m_off.end()))
                    continue
                if not event and x.mod != "named":
                    continue
                mb = _EVENT_BEFORE.search(s, max(0, x.start - 40), x.start) or x.mod == "named" and \
                    _AROUND_NAMED.search(s, max(0, x.start - 12), x.start)  # "..., brauch Ruhe vor Weihnachten"
                if mb and _FOR_EVENT.search(s, max(0, mb.start() - 16), mb.start()):
                    mb = None  # "für das Meeting am Freitag einen Platz": the event is why that day is booked
                ma = None if mb else _EVENT_AFTER.match(s, x.end)
                if mb or ma:
                    pt = _EVENT_PART.match(s, x.end) if mb else None  # "Zahnarzttermin Dienstag früh, danach ..."
                    bound.append((x, mb.start() if mb else x.end, pt.end() if pt else x.start if mb else ma.end()))
            if bound and len(bound) < len(seq):
                dropped_event = True
                for x, a0, b0 in bound:
                    seq.remove(x)
                    w = w[:a0] + " " * (b0 - a0) + w[b0:]
        if event and not tokset.isdisjoint(_AROUND_GATE):
            w = _AROUND_EVENT.sub(_blank, w)  # "Nach dem Zahnarzt am Dienstag nachmittags Olfen": a time, not a topic
        used_range = set()
        negated: list[_Item] = []  # the days said not ("nicht am Freitag", "statt Dienstag")
        spans: list[_Item] = []  # each range read, as one item (for the places' own days, `_legs`)
        for a, b in zip(seq, seq[1:]):
            if recur and a.kind == "wd" and b.kind != "wd" and a.dates and b.dates and _UNTIL_GAP.match(s[a.end:b.start]):
                # "jeden Dienstag bis zum 17.12.", "dienstags und donnerstags bis Weihnachten", "every Monday until
                # 21 December": the series runs to that day, not every day up to it
                last = max(b.dates)
                step = 14 if every_other else 7
                for x in seq:
                    if x.kind == "wd" and x.start <= a.start and x.dates and id(x) not in used_range \
                            and (n := (last - min(x.dates)).days // step + 1) >= 1:
                        x.dates = [min(x.dates) + timedelta(days=step * k) for k in range(min(n, 53))]
                used_range.add(id(b))
                continue
            if a.dates and b.dates and (_RANGE_GAP.match(s[a.end:b.start])
                                        or _FROM_BEFORE.search(s[max(0, a.start - 6):a.start])
                                        and _LOOSE_GAP.match(s[a.end:b.start])):  # "ab Mittwoch im Urlaub bis Freitag"
                d1 = min(a.dates)
                if b.kind == "wd" and (not recur or everyday and a.kind != "wd"):  # "every day from tomorrow till Friday"
                    d2 = d1 + timedelta(days=(b.wd - d1.weekday()) % 7)
                else:
                    d2 = max(b.dates)
                    if d2 < d1 and b.kind == "wd":
                        d2 += timedelta(days=7)
                if d1 <= d2 and (d2 - d1).days <= 62:
                    span = [d1 + timedelta(days=k) for k in range((d2 - d1).days + 1)]
                    dates.extend(span)
                    used_range.add(id(a))
                    used_range.add(id(b))
                    spans.append(_Item(a.start, b.end, "span", span))
        if len(seq) > 1 and tokset & {"statt", "anstatt", "instead", "nicht", "not", "don't", "want"}:
            keep = [x for x in seq if not _NEG_DATE.search(s[max(0, x.start - 14):x.start])]
            if keep and len(keep) < len(seq):
                negated = [x for x in seq if x not in keep]
                seq = keep
        for sp_ in spans:  # "Montag bis Mittwoch Senden und Donnerstag Olfen": the Thursday after that Wednesday
            for x in seq:
                if x.kind == "wd" and not x.mod and id(x) not in used_range and x.start > sp_.end and x.dates \
                        and len(x.dates) == 1 and x.dates[0] < sp_.dates[0] and not recur \
                        and not any(y.start > sp_.end and y.end < x.start and id(y) not in used_range for y in seq):
                    x.dates = [x.dates[0] + timedelta(days=7 * ((sp_.dates[0] - x.dates[0]).days // 7 + 1))]
        excluded: list = []  # "the whole of next week except Thursday and Friday", "Mo-Fr außer Mittwoch"
        if negated and (spans or any(len(x.dates) > 1 for x in seq)):
            # "Mo 30.11 bis Mi 2.12 Olfen, aber bloß nicht Dienstag": a day said not inside a range is left out of it
            excluded.extend(x for x in negated if id(x) not in used_range)
        if not tokset.isdisjoint(_EXCEPT_GATE) and (len(seq) > 1 or week_off is not None or everyday):
            cues = []  # where each "außer" is, to blank it
            prev = None
            for x in seq:
                mx = _EXCEPT.search(s, max(0, x.start - 24), x.start) or _EXCEPT_AFTER.match(s, x.end)
                if mx or prev is not None and prev in excluded and _LIST_GAP.match(s[prev.end:x.start]):
                    excluded.append(x)
                    cues += [mx] if mx else []
                prev = x
            if excluded and (len(excluded) < len(seq) or week_off is not None or everyday):
                seq = [x for x in seq if x not in excluded]
                for mx in cues:  # the "außer" itself is no word of its own (else: small talk, asked)
                    w = w[:mx.start()] + " " * (mx.end() - mx.start()) + w[mx.end():]
            else:
                excluded = []
        for x in seq:
            if id(x) not in used_range:
                dates.extend(x.dates)
        if not dates and week_off is not None:
            mon = _monday(today) + timedelta(days=7 * week_off)
            dates = [mon + timedelta(days=k) for k in range(5) if week_off != 0 or mon + timedelta(days=k) >= today]
            if not dates and week_off == 0 and week_whole:
                dates = [mon + timedelta(days=7 + k) for k in range(5)]
        elif not dates and everyday and month_ctx is None:
            start = today + timedelta(days=1)
            dates = [start + timedelta(days=k) for k in range(7) if (start + timedelta(days=k)).weekday() < 5]
        if (week_whole or everyday and week_off is not None) and len(set(dates)) == 1 and dates[0].weekday() < 5:
            # "ab nächsten Montag die ganze Woche", "diese Woche noch ab morgen jeden Tag": from that day to Friday
            d0 = dates[0]
            dates = [d0 + timedelta(days=k) for k in range(5 - d0.weekday())]
        if excluded:  # an excepted weekday is every such day of the span; an excepted date that day
            drop = {d for x in excluded if x.kind != "wd" for d in (x.dates or ())}
            drop_wd = {x.wd for x in excluded if x.kind == "wd"}
            dates = [d for d in dates if d not in drop and d.weekday() not in drop_wd]
        if dates and not tokset.isdisjoint(_DAY_AFTER_GATE) and (mm := _DAY_AFTER.search(s)) \
                and not any(x.start <= mm.start() < x.end for x in seq):
            before = [x for x in seq if x.end <= mm.start() and x.dates]  # "tomorrow and the day after": the day named
            if before:  # right before the phrase, and the next one
                last = max(before, key=lambda x: x.end).dates
                dates.append(min(last) - timedelta(days=1) if mm.group("before") else max(last) + timedelta(days=1))
        it.dates = sorted(set(dates))
        if len(seq) == 1 and seq[0].kind == "wd" and not seq[0].mod and len(it.dates) == 1 \
                and (not tokset.isdisjoint(_STORY_PAST) or "was" in tokset and not tokset.isdisjoint(_EN_STORY)) \
                and tokset.isdisjoint(_K_BOOK) and tokset.isdisjoint(_REQ_NOT_PAST) \
                and not _in_other_clause(s, seq[0].start, seq[0].end, _STORY_PAST | _K_PAST):  # "Nochmal Fr Olfen, war gut"
            d0 = it.dates[0]  # a bare weekday in a story is the last one: "Freitag war ich in Coesfeld", "Friday was lovely"
            it.dates = [d0 - timedelta(days=7 * ((d0 - today).days // 7 + (1 if (d0 - today).days % 7 else 0)))]
        if len(it.dates) == 1 and ("tage" in w or "days" in w):
            mm = _NDAYS.search(w)
            n = _num(mm.group(1)) if mm else 0
            if 2 <= n <= 10:
                d, out = it.dates[0], []
                while len(out) < n:
                    if d.weekday() < 5 or not out:
                        out.append(d)
                    d += timedelta(days=1)
                it.dates = out
                w = w[:mm.start()] + " " * (mm.end() - mm.start()) + w[mm.end():]

        # ---- parts of day ----
        part = None

        def _pf(mm):
            nonlocal part
            part = "full"
            return _blank(mm)

        if " ganz" in jt or not tokset.isdisjoint(_FULL_WORDS) and (
                tokset & {"vollen", "full", "all", "whole", "entire"}
                or tokset & {"vormittag", "vormittags", "morning"} and tokset & {"nachmittag", "nachmittags", "afternoon"}):
            w = _PART_FULL.sub(_pf, w)
        half = ("halb" in w or "half" in w) and bool(_HALFDAY.search(w))
        # a trailing "am"/"pm" of the message itself ("Olfen tomorrow am"), never one that only ends the text once the
        # date after it was cut out ("Olfen am 3.12.", "Olfen am Freitag": German "am" = on the)
        ampm = _AMPM_END.search(w) if tokset & {"am", "pm"} and w.rstrip(" .!?").endswith((" am", " pm")) \
            and _AMPM_END.search(s) else None
        if ampm:
            part_hint = part_hint or ("morning" if ampm.group(1) == "am" else "afternoon")
            w = w[:ampm.start(1)] + "  " + w[ampm.end(1):]
        if half:
            w = _HALFDAY.sub(_blank, w)
        am = _PART_AM.search(w) if not tokset.isdisjoint(_AM_WORDS) else None
        pm = _PART_PM.search(w) if not tokset.isdisjoint(_PM_WORDS) else None
        if am and pm and part is None:  # "vormittags ..., nachmittags hab ich einen Arzttermin": the half that is free
            busy_am, busy_pm = _busy_half(w, _PART_AM), _busy_half(w, _PART_PM)
            if busy_pm and not busy_am:
                pm = None
                w = _PART_PM.sub(_blank, w)
            elif busy_am and not busy_pm:
                am = None
                w = _PART_AM.sub(_blank, w)
        if am:
            w = _PART_AM.sub(_blank, w)
        if pm:
            w = _PART_PM.sub(_blank, w)
        if part is None:
            if (am or part_hint == "morning") and (pm or part_hint == "afternoon"):
                part = "full"
            elif am or part_hint == "morning":
                part = "morning"
            elif pm or part_hint == "afternoon":
                part = "afternoon"
            elif half:  # "halbtags" without saying which half: the morning, and the dialogue may ask
                part = "morning"
                it.part_guessed = True

        # ---- times ----
        # Clock hours in an office day: a start hour 1-6 without am/pm (bare, "Uhr", "3:30"; not "06:30") is the
        # afternoon unless the message says morning (morgens, früh, vormittags, a.m.); an end hour 1-7 likewise;
        # a range is increasing ("9-3" = 09:00-15:00) and ends by 21:00 when read as the afternoon.
        start = end = None
        morning = bool(am) or part_hint == "morning"
        if "am" in tokset and _HAS_DIGIT(w):
            for mm in _AM_DAY.finditer(s):  # found in the text before the days were blanked out of `w`
                w = w[:mm.start()] + " " * (mm.end() - mm.start()) + w[mm.end():]

        def _ampm(suf: str | None) -> bool:
            return bool(suf) and suf[0] in "ap"

        def _clock(h: str, mi: str | None, suf: str | None, limit: int) -> tuple[int, int] | None:
            t = _hhmm(h, mi, suf)
            if t and not _ampm(suf) and not morning and 1 <= t[0] <= limit and not (len(h) == 2 and h[0] == "0"):
                t = (t[0] + 12, t[1])
            return t

        def _trange(mm):
            nonlocal start, end
            g = mm.groups()
            sep = mm.group()
            if re.search(r"\b(?:und|and)\b", sep) and not re.match(r"\s*(?:zwischen|between)", sep):
                return mm.group()
            s1, s2 = g[2], g[5]
            raw1 = _hhmm(g[0], g[1], s1)
            t2 = _hhmm(g[3], g[4], s2)
            if not raw1 or not t2:
                return mm.group()
            if not _ampm(s1) and _ampm(s2) and s2[0] == "p" and raw1[0] < 12 and (raw1[0] + 12, raw1[1]) < t2:
                raw1 = (raw1[0] + 12, raw1[1])
            pm1 = _clock(g[0], g[1], s1, 6)
            reading = None
            for t1 in ((pm1, raw1) if pm1 != raw1 else (raw1,)):
                e = t2
                if e <= t1 and e[0] < 12 and not _ampm(s2):
                    e = (e[0] + 12, e[1])
                if t1 < e and (t1 == raw1 or e <= (21, 0) or _ampm(s2)):
                    reading = (t1, e)
                    break
            if reading is None:
                return mm.group()
            start, end = _fmt(reading[0]), _fmt(reading[1])
            return _blank(mm)

        # colloquial times become digits first: "Viertel nach acht" -> 8:15, "halb neun" -> 8:30, "um acht" -> 8
        def _pad(mm, txt: str, grp: int = 0) -> str:
            a, b = mm.start(grp) - mm.start(), mm.end(grp) - mm.start()
            g = mm.group()
            return g[:a] + txt + " " * (b - a - len(txt)) + g[b:]

        def _colloq(mm):
            n = mm.group("n")
            h = int(n) if n.isdigit() else _HOURWORDS[n]
            if not 1 <= h <= 24:
                return mm.group()
            if mm.group("hp"):  # "half past three" = 3:30, British "half nine" = 9:30
                txt = f"{h}:30"
                return txt + " " * (len(mm.group()) - len(txt))
            if mm.group("q") == "quarter" and not mm.group("rel"):
                return mm.group()
            if mm.group("h") or mm.group("q") == "dreiviertel" or mm.group("rel") in ("vor", "to"):
                h -= 1
            mi = 30 if mm.group("h") else (45 if mm.group("q") == "dreiviertel" or mm.group("rel") in ("vor", "to")
                                           else 15)
            if mm.group("q") == "viertel" and not mm.group("rel"):  # regional "viertel neun" = 8:15
                h, mi = h - 1, 15
            if h <= 0:
                h += 12
            txt = f"{h}:{mi:02d}"
            return txt + " " * (len(mm.group()) - len(txt))

        hourw = not tokset.isdisjoint(_HOURWORD_KEYS)
        if tokset & {"viertel", "dreiviertel", "halb", "quarter", "half"}:
            w = _COLLOQ.sub(_colloq, w)
        if hourw:
            w = _HOURW_AFTER.sub(lambda mm: _pad(mm, str(_HOURWORDS[mm.group(1)]), 1), w)
        if hourw:
            w = _HOURW_RANGE.sub(lambda mm: _pad(mm, str(_HOURWORDS[mm.group(2)]), 2), w)
        if hourw:
            w = _HOURW_UHR.sub(lambda mm: _pad(mm, str(_HOURWORDS[mm.group(1)]), 1), w)
        dig = _HAS_DIGIT(w) is not None
        noon_end = bool(tokset & {"noon", "midday", "mittag", "mittags", "lunch", "lunchtime", "mittagspause"})
        if noon_end:
            w = _NOON.sub(lambda mm: "12pm" + " " * (len(mm.group()) - 4) if not (mm.group(1) or mm.group(2))
                          else (mm.group().split()[0] + " 12pm").ljust(len(mm.group())), w)  # "bis zur …", "bis zum Mittag"
            dig = True
        if dig:
            w = _TRANGE.sub(_trange, w)

        def _tstart(mm):
            nonlocal start
            t = _clock(mm.group(1), mm.group(2), mm.group(3), 6)
            if not t or start:
                return mm.group()
            start = _fmt(t)
            return _blank(mm)

        def _tend(mm):
            nonlocal end
            t = _clock(mm.group(1), mm.group(2), mm.group(3), 7)
            if not t or end:
                return mm.group()
            end = _fmt(t)
            return _blank(mm)

        def _halb(mm):
            nonlocal start
            if start:
                return mm.group()
            h = int(mm.group(1)) - 1
            if 0 <= h <= 23:
                start = _fmt((h + 12 if 1 <= h <= 6 and not morning else h, 30))
            return _blank(mm)

        if dig:
            w = _HALB.sub(_halb, w)
        if dig:
            if " ab " in w or "from " in w or "starting" in w:  # "um 10 Zahnarzt …, also ab 12": the start asked for
                w = _tstart_from().sub(_tstart, w)
            w = _TSTART.sub(_tstart, w)
        if dig:
            w = _TEND.sub(_tend, w)

        def _tbare(mm):
            nonlocal start
            if mm.group(4):
                t = _clock(mm.group(4), mm.group(5), None, 6)
            else:
                t = _clock(mm.group(1), mm.group(2), mm.group(3), 6)
            if not t or start:
                return mm.group()
            start = _fmt(t)
            return _blank(mm)

        if dig:
            w = _TBARE.sub(_tbare, w)
        if start and end and end <= start:  # "ab 10 ... bis 2": the end is in the afternoon, else it is no end
            eh = int(end[:2])
            end = f"{eh + 12:02d}{end[2:]}" if eh < 12 and f"{eh + 12:02d}{end[2:]}" > start else None
        it.start, it.end = start, end
        if start and end:  # explicit hours replace the part of day (a half named beside them and within it stays)
            if not (part == "morning" and end <= "13:00" or part == "afternoon" and start >= "12:00"):
                part = None
        elif (start or end) and part == "full":
            part = None
        elif end == "12:00" and not start and part is None and noon_end:
            part = "morning"  # "morgen bis mittags", "until lunchtime": the morning half, ending at noon
        it.part = part

        # ---- space ----
        wtoks = [(mm.group().removesuffix("'s"), mm.start(), mm.end())
                 for mm in _WORDS.finditer(w)]  # "Olfen's coffee machine"
        space = None
        n = len(wtoks)
        i = 0
        found: list[tuple[str, int, int]] = []
        first_words = self.first_words
        while i < n:
            step = 1
            if wtoks[i][0] not in first_words:
                i += 1
                continue
            for k in range(min(self.max_key_words, n - i), 0, -1):
                key = wtoks[i][0] if k == 1 else " ".join(t[0] for t in wtoks[i:i + k])
                slug = self.space_keys.get(key)
                if slug:
                    if key == "senden" and self._senden_is_verb(wtoks, i, tokset):
                        continue
                    found.append((slug, wtoks[i][1], wtoks[i + k - 1][2]))
                    step = k
                    break
            i += step
        if found:
            pick = found[0]
            if len({f[0] for f in found}) > 1:  # "nicht Olfen, sondern Dülmen", "lieber Senden statt Olfen"
                keep = [f for f in found if not _NEG_PLACE.search(w[max(0, f[1] - 14):f[1]])
                        and not _NEG_PLACE_AFTER.match(w[f[2]:f[2] + 16])]
                pref = [f for f in keep if _PREF_PLACE.search(w[max(0, f[1] - 14):f[1]])]
                pick = (pref or keep or found)[0]
                if keep and len(keep) < len(found):  # "nicht Ascheberg, sondern Nordkirchen": the correction's words
                    for f in found:  # are no topic of their own (else the message read as small talk)
                        rx = _PREF_PLACE if f in keep else _NEG_PLACE
                        mm = rx.search(w, max(0, f[1] - 14), f[1])
                        if mm and f[0] == pick[0] or mm and f not in keep:
                            w = w[:mm.start()] + " " * (mm.end() - mm.start()) + w[mm.end():]
                if len(keep) == len(found) and not pref:
                    it.places = list(dict.fromkeys(f[0] for f in found))
                if len(keep) == len(found) and not pref and len(seq) > 1:
                    legs = _legs(s, [x for x in seq if id(x) not in used_range] + spans, found)
                    if legs and {d for _, ds in legs for d in ds} == set(it.dates):
                        it.legs = legs
            space = pick[0]
            for (slug, a0, b0) in found:
                if slug == space:
                    for (ca, cb, _fixed) in corrected:
                        if ca < b0 and cb > a0:  # read through a typo ("Duelman"): the dialogue confirms it
                            it.space_fuzzy = True
                            it.space_guess = [slug]
                            it.space_text = next((o for (a, b, o, cap) in words if a == ca), None)
                w = w[:a0] + " " * (b0 - a0) + w[b0:]
        it.space = space

        # ---- a colleague or member named by a capitalised first name ----
        def _name_at(pos: int) -> str | None:
            for (a, b, o, cap) in words:
                if a == pos:
                    return o if cap and o.isalpha() and (_fold_word(o) not in self.known or _fold_word(o) in _MONTH_NAMES) \
                        else None
            return None

        for mm in (_FOR_NAME.finditer(w) if tokset & {"fuer", "for"} else ()):
            nm = _name_at(mm.start(1))
            if nm and not re.match(r"\s*(?:und|and|&)\s+(?:mich|me)\b", w[mm.end():]):
                it.colleague = nm
                break

        # ---- month of a month question ("Kontingent im Dezember", "/team Dezember") ----
        if month_ctx is not None:
            it.month = f"{month_ctx[0]:04d}-{month_ctx[1]:02d}"
        elif _THIS_MONTH.search(s):
            it.month = f"{today.year:04d}-{today.month:02d}"
        if space is None:
            for mm in _PREP_PLACE.finditer(w):
                word = mm.group(2)
                if word in self.known or word in _WEEKDAYS or word in _MONTHS:
                    continue
                orig = next((o for (a, b, o, cap) in words if a == mm.start(2)), None)
                cap = next((cap for (a, b, o, cap) in words if a == mm.start(2)), False) and mm.group(1) != "fuer"
                guesses = self._process.extract(word, self.guess_keys, scorer=self._fuzz.ratio, limit=6,
                                                score_cutoff=60)
                slugs: list[str] = []
                for g in guesses:
                    sl = self.space_keys[g[0]]
                    if sl not in slugs:
                        slugs.append(sl)
                if cap or slugs:
                    it.space_text = orig or word
                    it.space_guess = slugs[:3]
                    break

        # ---- unreadable date words ("Blursday", "am Blurstag") ----
        if not it.dates:
            for t in _WORDS.findall(w):
                if len(t) >= 6 and (t.endswith("day") or t.endswith("tag")) and t not in _NOT_DAYS:
                    unreadable = True
                    break
        it.date_text_unreadable = unreadable and not it.dates

        # ---- intent ----
        if cmd_intent:
            it.intent = cmd_intent
            if cmd_intent == "language":
                code = _lang_code(toks)
                it.args = [code] if code else []
                if code:
                    it.lang = code
            elif cmd_intent == "cancel" and tokset & _K_ALL and not it.dates:
                it.args = ["all"]
            elif cmd_intent == "settings":
                it.args = [x.lower() for x in body.split()]
            return it
        if not tokset.isdisjoint(_INSTEAD_GATE) and not tokset.isdisjoint(_HOME_GATE):  # "statt Homeoffice lieber Di X"
            w = _INSTEAD_HOME.sub(lambda mm: " " * len(mm.group()), w)
        it.intent, conf, it.alternative = self._classify(toks, tokset, it, s, w, text, words, today, jt)
        if dropped_event and it.intent == "absence" and it.space and it.dates:  # "Übermorgen Spätschicht, also morgen Olfen"
            it.intent, conf, it.alternative = "book", 0.8, "absence"
        if month_ctx is not None and it.intent in _VIEWS and month_ctx[0] == today.year + 1 \
                and 1 <= today.month - month_ctx[1] <= 3 and not re.search(r"\b20\d\d\b", s):
            it.month = f"{today.year:04d}-{month_ctx[1]:02d}"  # a report on a month just past: "Team-Buchungen Oktober"

        if it.intent == "smalltalk" and not (it.dates or it.space or it.space_text):
            it.intent, it.topic = "unknown", "smalltalk"
        if (it.intent == "book" or it.intent == "smalltalk" and (it.dates or it.space) and "?" in s
                and not tokset.isdisjoint({"frei", "free", "platz", "plaetze", "desk", "desks", "room", "seat", "spot"})) \
                and not tokset.isdisjoint(_LATER_GATE) and _BOOK_LATER.search(s) \
                and not re.search(r"\b(?:den\s+rest|the\s+rest|die\s+anderen|the\s+others|weitere)\b", s):
            # "..., nur mal gucken, buchen tu ich später", "just checking ... I'll book later": a question for now
            it.intent, it.alternative, it.question = "availability", "book", True
            conf = min(conf, 0.75)
        if it.space and it.intent in ("book", "smalltalk", "availability", "unknown") and not tokset.isdisjoint(_NEAR_GATE) \
                and _NEAR.search(s) and tokset.isdisjoint(_K_CANCEL) \
                and (it.intent == "availability" or it.intent == "book" and conf >= CONFIDENT
                     or bool(tokset & _NEAR_WANT - ({"was"} if it.lang == "en" else set()))):
            # "morgen irgendwo in der Nähe von Nottuln", "a desk near Senden on Friday": the spaces around it, asked
            it.intent, it.topic, it.alternative = "availability", "near", "book"
            conf = min(max(conf, 0.8), 0.8)
        if it.intent in ("book", "smalltalk") and (it.dates or it.space) and not tokset.isdisjoint(_TENTATIVE) \
                and not (it.intent == "book" and conf >= 0.95) and not (it.intent == "smalltalk" and not tokset.isdisjoint(_OUTING)):
            it.intent, it.alternative = "book", "availability"
            conf = min(conf, 0.6)  # not decided yet: the dialogue asks before booking
        if it.intent in ("book", "smalltalk") and it.dates and not it.space and not it.question and "off" in tokset \
                and _OFF_DAY.search(s):
            it.intent, it.alternative = "absence", None  # "off Fri, parent-teacher day", "taking Friday off"
            conf = 0.85
        if it.intent == "smalltalk" and it.space and it.dates and max(it.dates) >= today and not it.question \
                and _HEDGED_PLAN.search(s):
            # "I think I'll pop into the Olfen space on Friday", "ich glaube ich bin die nächsten Donnerstage in
            # Nordkirchen": the sender's own plan, hedged: asked before booking
            it.intent, it.alternative = "book", "smalltalk"
            conf = 0.6
        if it.intent == "smalltalk" and it.space and "coworking" in tokset and not it.question and _GO_COWORKING.search(s):
            # "ich geh dann lieber nach Coesfeld ins Coworking an dem Tag": a plan to work there, said as a fact
            it.intent, it.alternative = "book", "smalltalk"
            conf = 0.85 if it.dates and max(it.dates) >= today else 0.6
        if it.intent in ("smalltalk", "unknown") and (it.dates or it.space or it.part) and not tokset.isdisjoint(_PREFER_GATE) \
                and _PREFER.search(s) and not it.question and tokset.isdisjoint(_TOPIC):
            # "Thursday works better for me, Ascheberg", "afternoon is better", "Olfen wär am besten": a preference
            # for a booking (asked before booking)
            it.intent, it.alternative = "book", "smalltalk"
            conf = min(conf, 0.6)
        if it.space_fuzzy or it.part_guessed:
            conf = min(conf, 0.7)
        if it.date_text_unreadable:
            conf = min(conf, 0.6)
        if _probe is not None:  # scripts/train_intents.py: the classifier's input, before its own gate
            _probe.append((_model_text(w), _flags(it, today)))
        elif (it.intent == "book" and conf >= CONFIDENT) or it.intent == "unknown":
            conf = _second_opinion(it, conf, w, today)
        it.confidence = conf
        if it.intent == "settings" and it.end and not it.start:
            it.start, it.end = it.end, None  # "Change my reminder to 8 pm"
        if it.intent == "settings" and it.start:
            pm = not tokset.isdisjoint(_PM_WORDS | {"pm", "p.m."}) or bool(re.search(r"\d\s*p\.?m\b", s))
            if "12" < it.start < "19" and not pm and not re.search(r"\b(?:1[3-8])(?::\d\d|\s*uhr|\b)", s):
                it.start = f"{int(it.start[:2]) - 12:02d}{it.start[2:]}"  # a reminder hour as written: "Reminder um Viertel vor sieben"
            elif "01" <= it.start < "12" and pm:  # "quarter past seven in the evening", "Erinnerung um 7 abends"
                it.start = f"{int(it.start[:2]) + 12:02d}{it.start[2:]}"
        if it.intent == "settings":
            it.args = [x.lower() for x in re.findall(r"[\wÄÖÜäöüß:.-]+", body) if x.strip(".")]
        if it.intent == "language":
            code = _lang_code(toks)
            it.args = [code] if code else []
            it.lang = code if code in ("de", "en") else it.lang
        elif it.intent == "cancel" and tokset & _K_ALL and not it.dates and not it.space \
                and (tokset & (_K_LISTN | {"alles", "everything"}) or len(words) <= 3):
            it.args = ["all"]  # "alle Buchungen stornieren", "alle stornieren", "cancel all" (with a place: those there)
        return it

    @staticmethod
    def _senden_is_verb(wtoks, i, tokset) -> bool:
        """'senden' is the town unless it ends a sentence like 'kannst du mir die Liste senden'."""
        if i != len(wtoks) - 1:
            return False
        return bool(tokset & {"per", "mail", "email", "e-mail", "link", "liste", "bestaetigung", "nachricht",
                              "datei", "pdf", "rechnung", "uebersicht", "info", "infos", "details", "code",
                              "einladung", "kalender", "ics", "buchungsbestaetigung", "quittung", "beleg"})

    def _classify(self, toks: list[str], ts: set[str], it: Intent, s: str, w: str, text: str,
                  words: list, today: date, jt: str) -> tuple[str, float, str | None]:
        """Intent, confidence and runner-up from principled cues (see the module docstring)."""
        lead = w.lstrip()
        first_kept = bool(toks) and len(s) - len(s.lstrip()) == len(w) - len(lead) and lead.startswith(toks[0])
        tail = _strip_tail(text)
        req = bool(ts & _REQ) or bool(_REQ_PHRASE.search(s)) or bool(_S_REQ.search(jt))
        after_q = text.rsplit("?", 1)[1] if "?" in text else ""
        if after_q.strip() and any(_fold_word(x) in _K_BOOK or _fold_word(x) in _TAKE_WORDS for x in re.findall(r"[\w']+", after_q)):
            tail = after_q  # "Heute Coesfeld möglich? Dann buchen": the request comes last
        q = tail is not after_q and (
            tail.endswith("?") or ("?" in text and not req) or bool(ts & _G_INDIRECT and _INDIRECT_Q.search(s))
            or bool(_CLAUSE_Q.search(s))
            or bool(first_kept and (toks[0] in _Q_START or " ".join(toks[:2]) in _Q_START2)
                    and not (toks[0] in ("wie", "as") and len(toks) > 1 and toks[1] in _AS_AGREED and "?" not in text))
            or bool(first_kept and toks[0] in {"haette", "haetten", "haettet", "waere", "waeren"} and len(toks) > 1
                    and toks[1] not in _SUBJUNCTIVE_REQ)
            # "Würde morgen Olfen gehen", "Würde Freitag in Senden passen": asking whether it works, not "würde gern"
            or bool(first_kept and toks[0] in {"wuerde", "wuerden"} and not ts.isdisjoint(_WORKS_WORDS)
                    and ts.isdisjoint({"gern", "gerne", "ich", "bitte", "please"})))
        it.question = q
        if q and len(toks) <= 3 and not it.dates and not it.space and all(t in _K_GREET or t in _GREET_FILLER for t in toks) \
                and any(t in _K_GREET and t != "morgen" for t in toks):
            return "help", 0.7, None  # "Hallo?", "Moin?": anyone there
        if "doch" in ts and not ts.isdisjoint({"also", "dann", "so", "then"}) and it.dates and it.space and not q \
                and _DOCH_AFTER.search(w):
            return "book", 0.8, "cancel"  # "Termin beim Kunden fällt aus, also doch morgen Dülmen": plans changed
        if not ts.isdisjoint(_IF_WORDS) and not ts.isdisjoint(_WEATHER) and not _K_BOOK & ts and not _K_CANCEL & ts:
            return "smalltalk", 0.7, "cancel"  # "Wenn es Donnerstag schneit, komm ich eh nicht": a condition, no request
        if (it.dates or it.space) and not ts.isdisjoint(_REPORT_GATE) and ts.isdisjoint(_K_BOOK) \
                and _REPORTED.search(s) and ts.isdisjoint(_K_AVAIL) and ts.isdisjoint(_K_DESK):
            return "smalltalk", 0.65, "who"  # "Mein Chef fragt, ob wir Freitag alle in Dülmen sind": someone else asks
        if (it.dates or it.space) and not ts.isdisjoint(_HEARSAY_GATE) and "?" not in text and ts.isdisjoint(_K_BOOK) \
                and _HEARSAY.search(s):
            return "smalltalk", 0.65, "availability"  # "Hab gehört, in Dülmen ist morgen alles ausgebucht": news
        has_book = bool(ts & _K_BOOK) \
            or bool(_S_BOOKPH.search(jt)) and bool(_BOOK_PHRASE.search(s) or not ts.isdisjoint(_BOOKPH2_GATE)
                                                   and _BOOK_PHRASE2.search(s)) \
            or any(t not in _NOT_BOOK and not t.startswith(("buchungs", "buchungen", "buchhalt")) for t in _S_BOOK.findall(jt)) \
            or tail is after_q and any(_fold_word(x) in _TAKE_WORDS for x in re.findall(r"[\w']+", after_q)) \
            or "auf" in ts and not ts.isdisjoint(_NIMM) and bool(_TAKE_ME_ON.search(s)) \
            or "reserviert" in ts and bool(_RESERVIERT_MIR.search(s)) \
            or not ts.isdisjoint(_GIVE_GATE) and not ts.isdisjoint(_K_DESK_NOUN) and bool(_GIVE_DESK.search(s)) \
            or not ts.isdisjoint(_GET_IN_GATE) and bool(_GET_ME_IN.search(s))  # "get me into Havixbeck", "squeeze me in"
        # "Reserviert mir bitte Freitag ...": imperative; "Könnt ihr mir morgen einen Platz in Nottuln geben?", "get me a desk"
        if has_book and q and _BEFORE_BOOK.search(s):
            has_book = False  # "Bevor ich buche: wie ist die Lage Freitag in Coesfeld?"
        ents = bool(it.dates or it.space or it.space_text or it.start or it.end or it.part or it.desks > 1
                    or it.date_text_unreadable)
        unknown_place = _fold_word(it.space_text) if it.space_text and not it.space else None
        if ts & {"possible", "moeglich", "geht", "can", "kannst", "passt"}:  # "if possible", "wenn's geht"
            w = _POLITE.sub(_blank, w)
        s_av = s
        if not ts.isdisjoint(_FREE_GATE) and not ts.isdisjoint(_IF_GATE):
            w = _POLITE_IF.sub(_blank, w)
            s_av = _POLITE_IF.sub(" ", s)  # "..., falls noch was frei ist" asks for nothing
        rest = [t for t in _WORDS.findall(w) if t not in _FILLER and t not in _K_BOOK and t not in _K_DESK
                and t not in _REQ and not t.isdigit() and len(t) > 1 and t != unknown_place]
        wl = _WORDS.findall(w)
        topic = not _TOPIC.isdisjoint(wl)
        if topic and "ob" in ts and _TOPIC.intersection(wl) <= _LOOK_WORDS:
            topic = False  # "kannst du mal gucken, ob ... frei ist": looking up, not watching the match
        topic = topic or bool(_CHITCHAT.search(s, ts)) \
            or bool(rest) and any(len(t) > 6 and t.endswith(_TOPIC_HEADS) for t in rest)
        desk = bool(ts & _K_DESK) or bool(it.desk_label or it.desk_features)

        lower = not any(cap for (_a, _b, _o, cap) in words[1:])  # "wie viele tage hat jan noch": names in lower case too

        def name_after(rx, in_lower: bool = False) -> str | None:
            """The capitalised name right after the match (``in_lower``: in a message written in lower case,
            any word not in the lexicon: "wie viele tage hat jan noch")."""
            for mm in rx.finditer(s):
                start = mm.start(1)
                if mm.group(1) in _ROLE_BEFORE_NAME:  # "Kontingent von Herrn Meier", "für Mitarbeiter Schneider"
                    nxt = re.match(r"\.?\s+(?:[a-z]\.\s*)?([a-z]+)", s[mm.end(1):])  # "employee M. Overbeck": the surname
                    if not nxt:
                        continue
                    start = mm.end(1) + nxt.start(1)
                for (a, b, o, cap) in words:
                    if a == start:
                        f = _fold_word(o)
                        if (cap or in_lower and lower and f not in _NOBODY) and o.isalpha() and len(o) >= 3 \
                                and (f not in self.known or f in _MONTH_NAMES) \
                                and f not in _TOPIC \
                                and f not in _NOT_NAMES and w[a:b].strip():
                            return o if cap else o[:1].upper() + o[1:]
            return None

        # --- intents named by their own words -------------------------------------------------
        if q and ("funktioniert" in ts or "work" in ts or "works" in ts) and _HOW_WORKS.search(s) \
                and not (it.dates or it.space) and not ts & _K_CONT:
            return "help", 0.85, None  # "Wie funktioniert das mit dem Einchecken?", "How does check-in work?"
        if ts & {"sprache", "language"} and len(toks) <= 3:
            return "language", 0.95, None
        if q and not ts.isdisjoint(_MEANS_GATE) and _MEANS.search(s) and not (it.dates or it.space):
            return "help", 0.85, None  # "Was bedeutet Kontingent?", "What does waitlist mean?"
        if ts & _K_LANG.keys() and _LANG_REPLY.search(s) and not it.dates and (not it.space or not has_book):
            return "language", 0.9, None  # "Kannst du auf Englisch antworten? ...", "reply in English"
        if ts & _K_LANG.keys() and not (it.dates or it.space) and len(toks) <= 15 and _IN_LANGUAGE.search(s) \
                and (q or ts & _K_LANGREQ):
            return "language", 0.85, None  # "Geht das auch auf Türkisch? …", "Kun je ook in het Nederlands antwoorden?"
        if ts & _K_LANG.keys() and (len(toks) <= 3 or ts & _K_LANGREQ and len(toks) <= 7
                                    or len(toks) <= 15 and (_CAN_LANG.search(s) or _LANG_FIRST.match(s))):
            # "Kannst du auch Englisch? ...", "english pls, my german is not so good"
            if not (it.dates or it.space):
                return "language", 0.9, None
        if "remind" in ts and _REMIND_WHERE.search(s):
            return "list", 0.85, "settings"  # "Remind me where I'm booked this week": tell me, no reminder setting
        if not ts.isdisjoint(_SHARE_GATE) and not it.dates and (not it.space or _SHARE_THAT_I.search(s)):
            # "I don't want colleagues to see where I'm booked, can you hide this?", "mach mich für Kollegen
            # sichtbar": the colleagues' view of one's bookings (a question about it changes nothing)
            if _SHARE_OFF.search(s):
                it.topic = "share_off"
                return "settings", 0.9, None
            if not q and _SHARE_ON.search(s):
                it.topic = "share_on"
                return "settings", 0.9, None
        if ts & _K_SETTINGS or not ts.isdisjoint(_DEFAULT_GATE) and _DEFAULT_PLACE.search(s) and not (has_book and it.dates) \
                or ((ts & _K_REMIND or _S_REMIND.search(jt) or not ts.isdisjoint(_NOTIFY_GATE) and _NOTIFY.search(s)
                                 or ("erinnerung" in jt or "reminder" in jt or "benachrichtigung" in jt) and _E_REMIND.search(jt))
                                 and not (has_book and it.dates)):
            if it.space and (not ts.isdisjoint(_HOME_PLACE_WORDS)
                             or not ts.isdisjoint(_DEFAULT_GATE) and _DEFAULT_PLACE.search(s)):
                it.topic = "home"  # "mein Standardort ist Coesfeld", "set my default place to Olfen": the home space
            return "settings", 0.9, None
        if ts & _K_UNDO or _UNDO_PHRASE.search(s, ts):
            if it.dates and (ts & (_K_LISTN | {"platz", "desk"}) or it.space):  # "Buchung für Mittwoch rückgängig machen"
                return "cancel", 0.85, "undo"
            return "undo", 0.95, None
        if (ts & _K_THANKS or len(toks) <= 4 and _PRAISE.search(s) or ("geholfen" in s or "help" in s or "hilfreich" in s) and _HELPED.search(s)
             and ts.isdisjoint(_K_NEG)) and (len(toks) <= 8 or ts & _K_THANKS and len(toks) <= 12 and _KIND.search(s)) \
                and not (ts & (_K_BOOK - {"buchung"}) or ts & _K_CANCEL or it.space):
            return "thanks", 0.95, None
        if len(toks) <= 5 and ts <= _ACK_WORDS | {"jo", "ja", "yes", "yep", "jau", "jep", "jupp"} \
                and not ts <= {"ok", "okay", "oki", "okey", "jo", "ja", "yes", "yep", "jau", "jep", "jupp"}:
            return "thanks", 0.9, None  # "ok super", "alles klar", "perfekt": an acknowledgement (a bare "ok" stays unknown)
        if ts & _K_WAIT or "waiting list" in s or "wait list" in s or ts & _G_IFFREE and _IFFREE.search(s) \
                or ts & {"liste", "list"} and _ONLIST.search(s) \
                or ts & _G_IFFREE and _IFSTILL.search(s) and (has_book or ts & {"bescheid", "melde", "let", "tell", "notify"}):
            return "waitlist", 0.9, None
        if (ts & _K_IMPACT or (_S_SAVED.search(jt)
                               and ts & _K_IMPACT_WHAT)) and not (has_book and (it.dates or it.space)):
            return "impact", 0.9, None
        company = bool(ts & _K_COMPANY) or bool(_S_FIRM.search(jt))
        me_words = _ME_WORDS
        contish = bool(ts & _K_CONT) or "kontingent" in jt or "contingent" in jt or bool(_S_CONT.search(jt)) \
            or bool(("viele" in ts or "tage" in ts) and not it.space and not ts & {"gebucht", "booked", "buchungen"}
                    and _MY_DAYS_Q.search(s)) \
            or _CONT_RE.search(s, ts | {"tage"} if _E_TAGE.search(jt) else ts)
        if contish and q and not (it.dates or it.space) and not ts.isdisjoint(_WORKS_GATE) and _HOW_WORKS.search(s):
            return "help", 0.85, "contingent"  # "Wie funktioniert das mit den Kontingenten?": how it works, not how much
        if contish and ts & _K_PRICE and (it.space or ts & {"ohne", "without"}):
            it.topic = "price"
            return "availability", 0.85, None  # "Was zahlt man in Rosendahl ohne Kontingent?"
        if (contish or ts & {"budget", "tage", "days"}) and (nm := name_after(_ROLE_NAME, True)) and not it.space:
            it.name = nm
            return "member_contingent", 0.85, "contingent"  # "Wie viel Budget hat unser Azubi Lukas noch übrig?"
        if (contish and ts & {"firmenkontingent", "gesamtkontingent", "firmenbudget", "unternehmenskontingent"}
                or ts & {"gesamtbudget", "firmenbudget", "teambudget", "unternehmensbudget"}
                or (contish or ts & {"limit", "allowance", "quota"}) and _OUR_POOL.search(s)
                and ts.isdisjoint({"mein", "meine", "my", "mir"})) \
                and not it.dates and not it.space:
            return "company_contingent", 0.85, "contingent"  # "Ich bin Admin bei uns: wie viel ist vom Firmenkontingent …"
        if contish and (ts.isdisjoint(me_words) and _OUR_CONT.search(s) or _OUR_FIRM.search(s)):
            return "company_contingent", 0.85, "contingent"  # "Als Admin: wie steht unser Gesamtkontingent?"
        if company and ts & {"buchungen", "bookings", "reservierungen"} and ts.isdisjoint(me_words) \
                and not (it.space and it.dates) and not contish:
            return "team_bookings", 0.85, "list"  # "Alle Buchungen der Firma diesen Monat"
        if company and (not ts & {"mir", "ich", "i", "me", "my", "mein", "meine", "mich"}
                        or ts & {"unseres", "unserer", "unsere", "unser", "our"}
                        and ts & {"mir", "ich", "i", "me", "my", "mein", "meine", "mich"} <= {"mir", "me"}) and (
                contish or ts & {"pool", "budget"} or " firmen" in jt
                or ts & {"noch", "uebrig", "left", "remaining", "verbleibend", "verbraucht", "used", "spent", "genutzt",
                         "aufgebraucht"} and _HOWMUCH.search(s)) \
                and not ts & {"gebucht", "booked", "buchungen", "bookings"}:
            return "company_contingent", 0.9, "contingent"
        staff = bool((ts - {"team"} if _SALUT.match(s) else ts) & _K_STAFF_NOLEUTE) or bool(_S_STAFF.search(jt) and not _SALUT.match(s)) \
            or bool(_MY_PEOPLE.search(s))
        if contish and staff and ts & {"insgesamt", "gesamt", "total", "together", "zusammen", "unser", "unsere", "unserem",
                                       "unserer", "our"} \
                and not ts & {"mir", "ich", "i", "me", "my", "mein", "meine"}:
            return "company_contingent", 0.85, "contingent"  # "Wie viele Tage hat das Team insgesamt noch?"
        if contish and _MY_TEAM.search(s) and not it.dates and not it.space and ts.isdisjoint({"ich", "i", "i'm", "i've"}):
            return "company_contingent", 0.85, "contingent"  # "how many days are left for my team in December?"
        if staff and _E_BUCHUNGEN.search(jt) and not (it.space or it.dates):
            return "team_bookings", 0.85, "list"  # "Liste der Mitarbeiterbuchungen"
        if (("buchungen" in jt or "bookings" in jt) and _E_BUCHUNGEN.search(jt)
                or staff and (q or ts & {"uebersicht", "overview", "liste", "zeig", "show"}) and _STAFF_BOOKED.search(s)) \
                and not _has_book_request(s):
            # "Übersicht Teambuchungen Lüdinghausen bitte", "Admin here: what did my staff book in Coesfeld this week?"
            return "team_bookings", 0.85, "list"
        if ts & {"eingebucht", "gebucht", "booked", "buchungen", "bookings", "angemeldet"} and _WHICH_OF_OURS.search(s):
            return "team_bookings", 0.85, "who"  # "Welche von unseren Jungs sind am Mittwoch eingebucht?"
        if ts & _MANAGER_WORDS and ts & {"booked", "gebucht", "buchungen", "bookings"} and _MANAGER_OF.search(s):
            return "team_bookings", 0.85, "list"  # "What has Anna actually booked? I'm her manager"
        if company and not it.space and ts & {"gebucht", "booked"} and ts & {"wer", "who"} and ts & {"aus", "from", "of", "in"} \
                and _WHO_OF_FIRM.search(s):
            return "team_bookings", 0.85, "who"  # "Als Admin: wer aus der Firma hat für den 21.12. gebucht?"
        if (staff or ts & {"gebucht", "booked"} and ts & _K_WHO) and it.month and not (it.space or it.dates) \
                and ts & (_K_WHO | {"welche", "which"}):
            return "team_bookings", 0.85, "who"
        if staff and (ts & {"buchungen", "bookings", "gebucht", "booked", "reservierungen", "booking", "buchungsuebersicht",
                            "buchungsliste"}) \
                and not (it.space and it.dates):
            return "team_bookings", 0.9, "list"
        if staff and not contish and not (it.space and it.dates) and q and ts & {"book", "buchen", "booking"} \
                and ts & {"did", "what", "where", "when", "wann", "wo", "was", "haben", "hat"} \
                and ts.isdisjoint({"ich", "i", "mir", "mich", "me"}):
            return "team_bookings", 0.85, "list"  # "What did my employees book last month?"
        if (staff or company) and not contish and not (it.space and it.dates) and (
                _HOW_OFTEN.search(s) or not it.space and (ts & {"zeig", "zeige", "show", "uebersicht", "overview"}
                                                          or ts & {"wann", "wo", "when", "where", "welche", "which"}
                                                          and ts & {"waren", "were", "sitzen", "sind", "are"})):
            return "team_bookings", 0.85, "list"  # "Wie oft waren meine Leute im November im Coworking?"
        if not ts.isdisjoint(_GRANT_GATE) and _GRANT_DAYS.search(s):
            nm = name_after(_GRANT)
            if nm and not it.space:  # "Gib Anna 10 Tage", "Give Tom 5 more days": an admin about a member's days
                it.name = nm
                return "member_contingent", 0.8, "contingent"
        if contish and not it.space and ts.isdisjoint(me_words):
            nm = name_after(_NAME_SUBJ)
            if nm:  # "Lisa braucht 10 Tage mehr Kontingent"
                it.name = nm
                return "member_contingent", 0.8, "contingent"
        if contish or ts & {"noch", "left", "uebrig", "remaining"} and _HOWMUCH.search(s) \
                or "'s" in s and not it.dates and not it.space and _NAME_POSS.search(s) \
                or len(toks) <= 5 and not ts.isdisjoint(_DAYS_GATE) and not ts.isdisjoint(_OF_GATE):
            nm = name_after(_NAME_CONT, True) or ("'s" in s and name_after(_NAME_POSS, True)) \
                or name_after(_NAME_VFINAL, True) or None
            if not nm and contish:
                g = name_after(_NAME_GEN)  # "Wie steht's um Lisas Kontingent?"
                nm = g and (g if _fold_word(g) in _NAMES_IN_S or not g.endswith("s") else g[:-1])
            if nm and not it.space:
                it.name = nm
                return "member_contingent", 0.85, "contingent"
        if q and ts & {"i", "ich", "man", "one"} and _HOWTO_Q.search(s) and (
                ts & (_K_CHECKIN | _K_CANCEL | _K_BOOK | {"check", "einchecken", "bring", "mitbringen", "ausweis", "id"})
                or _CHECKIN_RE.search(s, ts)) and not (ts & _K_NEG and ts & _K_COME and ts & _TELL_WORDS):
            return "help", 0.8, None  # "Do I need to check in when I arrive?", "Muss ich absagen?"
        cphrase = bool(_CANCEL_PHRASE.search(s, ts | {"<stem>"} if _S_CANC.search(jt) else ts)) \
            or "vergessen" in ts and (it.dates or it.space) and bool(_FORGET_IT.search(s)) \
            or "ab" in ts and not ts.isdisjoint(_GIVE_UP) and bool(_GIVE_UP_RE.search(s))  # "trete meinen Platz ab"
        weak_cancel = bool(ts & _K_CANCEL_WEAK) and not (ts & _K_CANCEL_WEAK == {"nix"} and _NIX_NOTHING.search(s)) \
            and (bool(ts & (_K_LISTN | _K_DESK | {"it", "that", "das", "den", "die"}))
                                                      or bool(it.dates or it.space) and not topic
                                                      or bool(it.dates) and toks[0] in _K_CANCEL_WEAK)  # "Scrap tomorrow, ..."
        me = bool(ts & {"ich", "i", "mir", "my", "mein", "meine", "meinen", "me", "bei", "mich", "bin", "komme", "schaffe",
                        "hab", "habe", "muss", "i'm", "im", "i'll", "ill", "we", "wir"})
        kw_cancel = ts & _K_CANCEL
        if kw_cancel and topic and (not me or _THING_SUBJ.search(s)) and kw_cancel <= _CANCEL_PART:
            # "The bus to Olfen was cancelled", "my bus to Lüdinghausen yesterday was cancelled"
            kw_cancel = set()
        cant = bool(it.dates and ts & _K_NEG and ts & {"kann", "can", "koennen"} and ts & {"ich", "i", "wir", "we"}
                    and not ts & (_K_BOOK | _K_CHECKIN | {"finden", "sehen", "einloggen", "login", "find", "see",
                                                  "check", "remember", "recall", "erinnern", "sagen", "say", "tell",
                                                  "sure"}))
        if cphrase and not kw_cancel and not weak_cancel and _THING_FALLS.search(s):
            cphrase = False  # "mein Zug fällt ständig aus ... Reserviert mir bitte Freitag Dülmen", "der 560er fällt aus": the bus
        cancel = bool(kw_cancel) or weak_cancel or cant or bool(ts & _K_NEG and ts & _K_COME and (me or not topic) and not _DAY_SUBJ.search(s)
                    and not ("klar" in ts or "zurecht" in ts) and _neg_come_clause(s)) \
            or bool(cphrase and not (topic and not ts & {"ich", "i", "mir", "my", "bei"})) \
            or ({"sag", "sage"} & ts and toks and toks[-1] == "ab") \
            or bool(ts & _K_NEG and ts & _NEED_WORDS and _neg_come_clause(s, _NEED_WORDS))
        absence = bool(ts & _K_ABSENCE - _DAYOFF_WORDS) or bool(ts & _DAYOFF_WORDS and (ts & _FIRST_PERSON or not ts & _COPULA)
                                                                  and not (it.space and ts & _SHIFT_WORDS)) \
            or bool(ts & {"krank", "sick", "ill"} and it.dates and not ts & _K_PAST) \
            or bool(it.dates and not it.space and "frei" in ts and _DAYOFF_RE.search(s)) \
            or bool(it.dates and not it.space and ("freien" in ts or "ueberstunden" in ts) and _DAYOFF2.search(s)) \
            or bool("ferien" in ts and it.dates and ts.isdisjoint(_FAMILY)) \
            or bool(_E_URLAUB.search(jt)) and any(t.endswith(("urlaub", "ferien")) and len(t) > 7 and t != "schulferien"
                                                  for t in toks) \
            or bool(_OFF_RE.search(s) and (not topic or _IM_OFF.search(s))) or s.startswith(("off ", " off ")) and bool(_OFF_START.match(s)) or bool(_E_REISE.search(jt)) \
            or bool(it.dates and _AWAY_RE.search(s) and not ts & (_K_LISTN | _K_DESK)) \
            or bool(it.dates and not it.space and "coworking" in ts and _NO_COWORKING.search(s)) \
            or bool(it.dates and not it.space and _NOT_THAT_DAY.match(s) and _AWAY_REASON.search(s)) \
            or bool(it.dates and not it.space and it.space_text and not has_book and not q and not ts & _K_DESK
                    and not topic and any(d.weekday() < 5 for d in it.dates) and _IN_OTHER_TOWN.search(s)) \
            or bool(it.dates and not it.space and not q and ts & {"buero", "office"} and _AT_THE_OFFICE.search(s)
                    and not ts & (_K_LISTN | _K_DESK)) \
            or bool(it.dates and not it.space and not ts.isdisjoint(_HOME_GATE) and _HOMEOFFICE.search(s) and not q
                    and (ts & _FIRST_PERSON or _NO_NEED.search(s) or sum(t not in _FYI for t in toks) <= 6
                         or _HOMEOFFICE.match(s.lstrip())))  # "Am 2. und 3. bin ich im Homeoffice", "working from home on Friday"
        strong_cancel = bool(kw_cancel) or cphrase or weak_cancel
        if absence and it.space and _AROUND_LEAVE.search(s):
            absence = False  # "Für den 18.12. Olfen, letzter Tag vor Urlaub": the day is a booking
        if absence and it.space and it.dates and (has_book or req or ts >= {"trag", "ein"}) and not kw_cancel \
                and not ts.isdisjoint({"mich", "mir", "me", "bitte", "please", "pls", "braeuchte", "brauche", "need",
                                       "could", "koenntest", "kannst"}) \
                and ts.isdisjoint(_K_ABSENCE_SELF):
            absence = False  # "trag mich jeden Dienstag in Olfen ein, ich hab da meinen Reha-Termin": the reason
        if not kw_cancel and not has_book and (it.dates or it.space) and not ts.isdisjoint(_FELL_GATE) \
                and _FELL_THROUGH.search(s):
            return "smalltalk", 0.7, "book"  # "Friday Olfen would have been nice", "Eigentlich wollte ich ..., aber"
        if absence and ts.isdisjoint(_SENDER) and (_THIRD.match(s) or name_after(_NAME_SUBJ)):
            return "smalltalk", 0.65, "absence"  # "Anna ist morgen krank": someone else's absence, not the sender's
        if not absence and it.dates and not it.space and not ts.isdisjoint(_AWAY_EVENTS) and ts.isdisjoint(_K_DESK) \
                and _NO_NEED.search(s):
            absence = True  # "Training in Münster Wednesday and Thursday, so I don't need anything": away, no desk
        if absence and (not strong_cancel or not kw_cancel and _NO_NEED.search(s)):
            # "Dienstag bin ich auf Fortbildung, da brauch ich keinen Platz": the absence (it asks about booked days)
            return "absence", 0.85, "cancel"
        if cancel and not kw_cancel and q and it.dates and not it.space and ts & _TELL_WORDS and _TELL_IF_NOT.search(s):
            return "absence", 0.8, "help"  # "Do I need to tell you if I'm not coming on Thursday? I have a doctor's …"
        if (absence or cancel and not kw_cancel and not q and _AWAY_REASON.search(s)) and it.dates \
                and not it.space \
                and not _CANCEL_OBJECT.search(jt) and ts.isdisjoint({"doch", "anymore", "mehr"}) and "after all" not in s:
            # "Sick today, sorry, not coming in", "Kind krank, bin morgen raus": the sender is away and names no booking
            # to remove: the absence (the bot then asks about any booking on those days, never cancels on a guess)
            return "absence", 0.85, "cancel"
        if cancel and not (q and ts & {"wie", "how"} and not it.dates):
            return "cancel", 0.9, None
        if absence:
            return "absence", 0.8, "cancel"
        past_only = bool(it.dates) and max(it.dates) < today
        past_tense = bool(ts & _K_PAST) or (it.lang == "en" and "was" in ts)
        if (ts & _K_CHECKIN or _CHECKIN_RE.search(s, ts)
                or toks in (["da"], ["hier"], ["here"], ["bin", "da"], ["bin", "hier"])) and not (it.dates and any(d != today for d in it.dates)) \
                and ts.isdisjoint(_K_WHO) and not (has_book and it.space and ts.isdisjoint(_K_CHECKIN)):
            # ("..., we live here now. Today I need a quiet place, please book me Dülmen today": the booking)
            return "checkin", 0.9, None
        if (contish or toks in (["tage"], ["days"], ["tage", "noch"], ["days", "left"])) and not (past_only and has_book) \
                and not (it.space and it.dates and not q and ts.isdisjoint(_K_CONT) and "kontingent" not in jt):
            return "contingent", 0.9, None  # ("Am 30.12. war ich in Lüdinghausen, bitte noch buchen fürs Kontingent")
        help_start = bool(ts & {"wie", "how"}) and bool(_HELP_START.match(s) or _HELP_AFTER.search(s))
        if help_start and not (it.dates or it.space or it.start):  # "How do I cancel a booking?"
            return "help", 0.85, None
        if q and not (it.dates or it.space) and _NEWCOMER.search(s) and _HELP_RE.search(s, ts):
            return "help", 0.85, None  # "Hi, I'm new here. Is this the bot for booking desks? What do I type?"
        others = bool(ts & _K_WHO) or bool(ts & {"welche", "which"} and ts & _PEOPLE)
        if q and not others and not ts.isdisjoint(_BIN_GATE) and _BIN_ICH_DRIN.search(s):
            return "list", 0.8, "availability"  # "Bin ich am 3.12. in Coesfeld drin?": the sender's own booking
        if not others and (ts & _K_LISTN and (ts & _K_LISTM or len(toks) <= 2) and not (ts & _K_BOOK - {"buchung"})
                           or _LIST_RE.search(s, ts)) \
                and not ((it.dates or it.space) and (_BOOKING_FOR.match(s) or _BOOK_LATER.search(s))) \
                and not (past_only and not ts.isdisjoint(_RECORD_LATE)):  # "... die Buchung versäumt, nachträglich erfassen?"
            return "list", 0.85, None
        if help_start and not (it.dates or it.space or it.start) or ts & _K_HELP \
                or _HELP_RE.search(s, ts) or "?" in s and s.strip().strip("?") == "":
            if ts & _K_THANKS and not q and _THANKS_FOR_HELP.search(s):
                return "thanks", 0.9, None  # "Herzlichen Dank für Ihre schnelle Hilfe, das hat geklappt": no question
            if not (has_book and ents) and not (ents and ts & _K_PRICE):
                return "help", 0.85, None
        # --- who is where ----------------------------------------------------------------------
        who_words = ts & _K_WHO - ({"jemanden", "someone", "somebody"} if it.desks > 1 else set())
        if has_book and who_words and who_words <= _SOMEONE and not ts.isdisjoint(_TO_ME):
            who_words = set()  # "Bucht mir bitte jemand Senden für morgen?": asked to book, not who is there
        if desk and who_words and who_words <= {"wer", "jemand", "anyone", "anybody", "someone", "somebody"} \
                and not ts.isdisjoint({"noch", "still"}) and _ANYONE_STILL.search(s):
            who_words = set()  # "hat da wer noch nen Tisch?": free desks, not people
        if not topic and ((who_words or ts & {"welche", "which"} and ts & _PEOPLE)
                          and (it.dates or it.space or it.space_text or ts & _PRESENT) or (q and not has_book and (ts & {"kollegen", "colleagues", "kolleginnen", "leute", "team"}
                                                 or " team" in jt)
                                          and (it.dates or it.space) and not desk and it.desks == 1
                                          and not _HOWMUCH.search(s) and not _ACQUIRE_RE.search(s))
                          or (q and (it.dates or it.space) and _WHO_RE.search(s))
                          or ((it.dates or it.space) and ts & {"von", "aus", "of"} and _WHO_OF_US.search(s))
                          or (q and (it.dates or it.space) and (name_after(_NAME_WHO) or name_after(_NAME_WHO_LOW, True)))
                          or (q and it.dates and not ts.isdisjoint(_WHERE_GATE) and name_after(_NAME_WHERE))):
            return "who", 0.85, "availability"
        # --- past days never book --------------------------------------------------------------
        if past_only or (past_tense and not it.dates and ents):
            if has_book or ts & {"add", "log", "nachtragen", "nachbuchen", "register", "record", "erfassen", "eintragen",
                                 "nachtraeglich", "retroactively", "rueckwirkend", "versaeumt"} or not ts.isdisjoint(_PAST_RECORD_GONE) \
                    or ("forgot" in ts or "vergessen" in ts) and _FORGOT_RECORD.search(s) or not rest and not topic and not past_tense:  # "vorgestern war ich in Olfen, bitte noch buchen"
                return "past_day", 0.85, None
            return "smalltalk", 0.8, None
        # --- booking verb ------------------------------------------------------------------------
        if has_book and q and ts & _K_BOOK and ts & _K_BOOK <= {"buchung", "booking"} \
                and not _S_BOOKPH.search(jt) and not any(t not in _NOT_BOOK and t not in ("buchung", "booking")
                                                         for t in _S_BOOK.findall(jt)):
            has_book = False  # "Hat die Buchung morgen Olfen geklappt?": a question about a booking, no request
        if has_book:
            if q and _TAG_POSSIBLE.search(s):
                return "book", 0.7, "availability"  # "I would like to reserve ... for the 2nd of December, is it possible?"
            if q and (ts & {"man", "one", "noch", "still"} and not ts & {"du", "you", "mir", "me"}
                      or set(_WORDS.findall(w)) & _K_AVAIL):
                return "availability", 0.7, "book"
            return "book", (0.95 if not q else 0.8 if ents or desk else 0.7), None
        wts = set(_WORDS.findall(w))
        avail = bool(wts & _K_AVAIL) or bool(_AVAIL_RE.search(s_av, ts))
        hours = bool(wts & _K_HOURS and not (wts & _K_HOURS == {"late"} and _LATE_PART.search(s))) \
            or bool(q and ("wann" in ts or "time" in ts or "when" in ts) and _WHEN_OPEN.search(s)) or bool(q and _OPEN_RE.search(s)) or bool(ts & {"wann", "when", "long", "uhr"} and _HOURS_RE.search(s))
        price = bool(wts & _K_PRICE) or bool(_PRICE_RE.search(s))
        if q and it.space and not ts.isdisjoint(_FACILITIES) and not past_tense and not it.dates:
            return "availability", 0.75, "smalltalk"  # "Is there parking in Billerbeck?", "Gibt es in Senden Kaffee?"
        if (hours or price) and topic and not desk and not (price and ts & {"tag", "day", "tage", "days", "halbtag"}):
            return "smalltalk", 0.7, "availability"
        if hours or price:
            if it.space or desk or len(toks) <= 2 or it.dates and q or ts & {"tag", "day", "coworking", "euch", "ihr", "ihnen", "you", "hier", "here", "das", "it",
                                         "spass", "sowas", "ganze", "that",
                                         "this"}:
                it.topic = "hours" if hours else "price"
                return "availability", 0.85, None
        if avail and it.space and ts & {"wenn", "falls", "if"} and _COND_FALLBACK.search(s):
            return "book", 0.7, "availability"  # "Wenn Senden morgen voll ist, dann Dülmen": ask before booking
        if avail and not (_DAYOFF_RE.search(s)):
            if (topic or not q and not _INTERJ.isdisjoint(rest)
                    or not q and past_tense and it.dates and max(it.dates) <= today
                    or not q and not ts.isdisjoint(_COPULA_ALL) and _REMARK.search(s)) and not desk:
                # "Samstag ist endlich frei 🥳", "Rosendahl is still so quiet today": a remark
                return "smalltalk", 0.65, "availability"
            return "availability", (0.9 if q else 0.8), "book"
        if q:
            if it.dates and (it.space or it.start or desk) and not (first_kept and toks[0] in _Q_START) \
                    and _TAGQ.search(s):  # "Morgen um 9 in Billerbeck, geht klar?": a request asking for a yes
                return "book", 0.7, "availability"
            if (ents or desk) and not topic and ts & {"noch", "still"} and not ts & {"du", "you"} \
                    and not ts.isdisjoint(_G_ASK) and (_ACQUIRE_RE.search(s) or ts & {"bekomm", "bekomme", "krieg", "kriege"}):
                return "availability", 0.75, "book"
            if (ents or desk) and not topic and not ts.isdisjoint(_G_ASK) and (
                    _ACQUIRE_RE.search(s) or _ASK_DO_RE.search(s)
                    or ts & {"kann", "darf", "koennte", "can", "could", "may"} and ts & {"ich", "i", "wir", "we"}
                    and all(t in _G_ASK for t in rest)):  # "Kann ich morgen mit 2 Kollegen nach Olfen?"
                return "book", 0.7, "availability"
            if ents and not topic and ts & {"ob", "whether", "if"} and _INDIRECT_Q.search(s):
                return "availability", 0.75, "book"  # "Ich hätte gern gewusst, ob in Olfen Freitag noch was geht"
            if ents and not topic and (not rest and it.dates and it.space and not ts & _Q_START
                                       and not (first_kept and toks[0] in {"haette", "haetten", "haettet", "waere", "waeren"})
                                       or req and ts & {"ich", "i", "mir", "me", "wir", "we"}):
                return "book", 0.7, "availability"  # "morgen Olfen?", "würde gern ..., geht das?": ask first
            if topic and ents:
                return "smalltalk", 0.75, None
            if ents and (ts & _K_QDOMAIN or desk or not rest):
                return "availability", 0.75, "book"
            if ents:  # a question naming a day or a place, about nothing else we know: most likely availability
                return "availability", 0.6, "smalltalk"
            if topic or _CHITCHAT.search(s, ts):
                it.topic = "smalltalk"
            return "unknown", 0.5, None
        if ents or desk:
            if it.dates and it.space and not topic and not ts.isdisjoint(_TURN_GATE) \
                    and not ts.isdisjoint(_TO_ME | {"uns"}) and _MY_TURN.search(s):
                return "book", 0.8, "smalltalk"  # "Bei mir wäre übermorgen Lüdinghausen dran": the sender's plan
            if not has_book and _THIRD.match(s) or (words and words[0][3] and _fold_word(words[0][2]) not in self.known
                                                    and len(toks) > 1 and toks[1] in _THIRD_VERBS) \
                    or not has_book and len(toks) > 3 and toks[1] in ("und", "and") and len(words) > 2 and words[0][3] \
                    and words[2][3] and _fold_word(words[0][2]) not in self.known and toks[3] in _THIRD_PL:
                return "smalltalk", 0.65, "book"  # "Anna fährt morgen nach Olfen", "He will be in Olfen tomorrow"
            if past_tense and not has_book and it.dates and max(it.dates) <= today:
                return "smalltalk", 0.7, "book"  # "Coesfeld war heute super, danke für den Tipp": a story about today
            if it.dates and it.space and not topic and (_ILL_BE.search(s) or it.desks > 1 and _THERE_WILL.search(s)):
                # "I'll be in Dülmen tomorrow if that works", "ich wär dann morgen in Olfen, passt das?", "there'll
                # be 5 of us in Nordkirchen on 10/12": the sender's plan, a request to ask about
                return "book", 0.7, "availability"
            if not rest and not topic:  # a bare "day + place" fragment
                full = bool(it.dates) and bool(it.space)
                return "book", 0.9 if full else 0.8, None
            if topic and not desk and not has_book and not ts.isdisjoint(_OUTING):
                return "smalltalk", 0.65, "book"  # "Planning a bike tour from Nottuln on Saturday": the plan is the outing
            if (req or it.colleague
                    or not ts.isdisjoint(_G_ASK) and (_ACQUIRE_RE.search(s) or _ASK_DO_RE.search(s))) \
                    and (not topic or (it.dates and it.space)):
                return "book", 0.85 if ents else 0.7, None
            if desk and ents and not topic:  # "ein Platz ... <words we do not know>": most likely a request, ask
                return "book", 0.7, "smalltalk"
            if it.dates and it.space and "," in w and not past_tense:  # "Morgen Nordkirchen, Kollege bringt Kuchen mit"
                first_w, first_s = w.split(",", 1)[0], s.split(",", 1)[0]
                if all(t in _FILLER for t in _WORDS.findall(first_w.replace(".", " "))) and len(_WORDS.findall(first_s)) >= 2:
                    return "book", 0.7, "smalltalk"
            if it.dates and it.space and ("," in w or ";" in w or ": " in w):  # "kein Bock auf Homeoffice, morgen X"
                last_w = w.rsplit(",", 1)[-1].rsplit(";", 1)[-1].rsplit(": ", 1)[-1]
                last_s = s.rsplit(",", 1)[-1].rsplit(";", 1)[-1].rsplit(": ", 1)[-1]
                if all(t in _FILLER or t in _AGAIN_NOW for t in _WORDS.findall(last_w.replace(".", " "))) \
                        and len(_WORDS.findall(last_s)) >= 2:
                    return "book", 0.7, "smalltalk"  # the last clause is a bare "day + place": ask
            if topic or len(rest) >= 2 or (rest and set(rest) <= _INTERJ | _COPULA and not req and it.desks == 1
                                           and ts.isdisjoint(_ACCEPT)):
                return "smalltalk", 0.65, "book"
            return "book", 0.55, "smalltalk"
        if topic:
            it.topic = "smalltalk"
            return "unknown", 0.6, None
        if toks and all(t in _K_GREET or t in _GREET_FILLER for t in toks) and any(t in _K_GREET for t in toks):
            return "help", 0.7, None
        return "unknown", 0.5, None


_PRONOUNS = {"i", "you", "we", "they", "he", "she", "it", "the", "a", "in", "im", "u"}
_DO_BEFORE = {"you", "i", "we", "they", "can", "could", "to", "how", "what", "please", "will", "would", "why",
              "where", "when", "did", "does", "should", "i'll", "we'll", "lets", "let's", "not", "dont",
              "don't", "u", "ya", "can't", "cant", "cannot", "won't", "wont", "couldn't", "wouldn't", "shouldn't",
              "didn't", "doesn't", "i'd", "we'd", "only", "just", "still", "really", "always", "never"}
_DO_DE_BEFORE = {"am", "jeden", "bis", "und", "ab", "oder", "von", "naechsten", "diesen", "kommenden", "letzten", "mo", "di",
                 "mi", "fr", "sa", "-", "+", "/", "&", "bzw"}
_DO_OK_NEXT = {"in", "im", "nach", "bei", "ab", "von", "bis", "und", "oder", "den", "der", "+", "-", "/", "&", "vormittag",
               "vormittags", "nachmittag", "nachmittags", "morgens", "frueh", "abend", "abends", "mittag", "ganztags",
               "naechste", "naechster", "kommende", "frei", "noch", "geht", "passt", "wieder", "halbtags", "bitte", "pls",
               "mal", "zu", "zum", "zur", "fuer", "vorm", "nachm", "um", "gegen", "ganztaegig"} | _REL_WORDS
_DO_AFTER = {"you", "i", "we", "they", "not", "it", "this", "that", "the", "a", "my", "me", "so", "anything",
             "something", "u"}
_NOT_DAYS = {"birthday", "holiday", "holidays", "someday", "everyday", "weekday", "geburtstag", "feiertag",
             "wochentag", "werktag", "arbeitstag", "ganztag", "halbtag", "feiertage", "vortag", "dienstag",
             "freitag", "samstag", "sonntag", "montag", "donnerstag", "mittwoch", "monday", "tuesday",
             "wednesday", "thursday", "friday", "saturday", "sunday", "today", "heiligabend", "nachmittag",
             "vormittag", "mittag", "feierabend", "gestern"}

_COMMANDS: dict[str, tuple[str, str | None]] = {
    "book": ("book", "en"), "buchen": ("book", "de"), "buche": ("book", "de"), "reserve": ("book", "en"),
    "reservieren": ("book", "de"),
    "cancel": ("cancel", "en"), "storno": ("cancel", "de"), "stornieren": ("cancel", "de"),
    "storniere": ("cancel", "de"), "absagen": ("cancel", "de"),
    "mybookings": ("list", "en"), "bookings": ("list", "en"), "buchungen": ("list", "de"),
    "meine": ("list", "de"), "list": ("list", "en"), "liste": ("list", "de"), "my": ("list", "en"),
    "free": ("availability", "en"), "frei": ("availability", "de"), "available": ("availability", "en"),
    "verfuegbar": ("availability", "de"), "availability": ("availability", "en"),
    "checkin": ("checkin", None), "einchecken": ("checkin", "de"), "check": ("checkin", None),
    "contingent": ("contingent", "en"), "kontingent": ("contingent", "de"), "quota": ("contingent", "en"),
    "help": ("help", "en"), "hilfe": ("help", "de"),
    "start": ("start", None),
    "language": ("language", "en"), "sprache": ("language", "de"), "lang": ("language", None),
    "settings": ("settings", "en"), "einstellungen": ("settings", "de"),
    "waitlist": ("waitlist", "en"), "warteliste": ("waitlist", "de"),
    "undo": ("undo", "en"), "rueckgaengig": ("undo", "de"),
    "firma": ("company_contingent", "de"), "company": ("company_contingent", "en"),
    "team": ("team_bookings", None), "urlaub": ("absence", "de"), "danke": ("thanks", "de"),
}


def _lang_code(toks: list[str]) -> str | None:
    """The language a message asks for: the first language word in message order that is not negated or one's own
    ("kein Englisch", "not German", "my German is not good"); a set's order would depend on the hash seed."""
    found = None
    for i, t in enumerate(toks):
        code = _K_LANG.get(t) or (t if t in ("en", "de") else None)
        if code is None:
            continue
        if i and toks[i - 1] in _LANG_NOT:
            found = found or ("de" if code == "en" else "en")  # "nicht Deutsch" alone: the other one
            continue
        return code
    return found


_IN_LANGUAGE = re.compile(r"\b(?:auf|in|in\s+het|en|em|na|po)\s+(?:" + "|".join(k for k in _K_LANG if k.isalpha()) + r")\b")
_ILL_BE = re.compile(r"\b(?:i'?ll|i\s+will|we'?ll|we\s+will|i'?d|we'?d)\s+be\s+(?:\w+ing\s+)?(?:in|at|from)\b"

                     r"|\b(?:ich|wir)\s+(?:waer\w*|wär\w*)\s+(?:\w+\s+){0,4}?(?:in|im|nach|bei)\b"
                     r"|\b(?:ich|wir)\s+(?:bin|sind)\s+dann\s+(?:\w+\s+){0,4}?(?:in|im|nach|bei)\b"
                     r"|\bdann\s+(?:sitz|arbeite|bin)\s*(?:e\s+)?ich\b")
_THERE_WILL = re.compile(r"\bthere(?:'?ll|\s+will)\s+be\b|\bwe(?:'?ll|\s+will)\s+be\b")
_REMIND_WHERE = re.compile(r"\bremind\s+me\s+(?:where|when|what|which)\b")
_CHOICE_PICK = re.compile(r"\b(?:oder|or)\b.*[,;:.!–—-]\s*(?:(?:na\s+)?(?:dann|then|ok|also)\s+)?(?:nimm|nehmt|nehm\w*|take|"
                          r"mach|make\s+it|let'?s\s+(?:say|do)|sagen\s+wir|lieber|rather|go\s+with)\s+(.{2,30}?)\s*[.!]*\s*$",
                          re.IGNORECASE)
_WD_WORDS = "|".join(sorted((k for k in _WEEKDAYS if len(k) > 2), key=len, reverse=True))
_NOT_WD_DASH = re.compile(rf"\b((?:nicht|not)\s+(?:am\s+|on\s+)?(?:{_WD_WORDS})\b\.?)\s*[–—-]\s*(?=(?:{_WD_WORDS})\b)",
                          re.IGNORECASE)
_DIGIT_ORD = re.compile(r"\b(\d{1,2})(?:ten|te|tem|ter|tes)\b", re.IGNORECASE)
_BETWEEN = re.compile(r"\b(zwischen|between)\b((?:\s+(?:dem|den|the)\b)?(?:\s+[^\s,]+){1,2}?)\s+(und|and)\s+"
                      r"(?=(?:dem\s+|den\s+|the\s+)?(?:\d|[^\W\d_]{2,10}\.?(?:\s+\d|\b)))", re.IGNORECASE)


def _between_to_range(mm: re.Match) -> str:
    first = mm.group(2)
    if not (re.search(r"\d", first) or any(_fold_word(x) in _WEEKDAYS for x in re.findall(r"[^\W\d_]+", first))):
        return mm.group()  # "zwischen Olfen und Senden": two places
    return f"{mm.group(1)}{first} {'bis' if mm.group(3).lower() == 'und' else 'to'} "


_IN_ANY_CASE = re.compile(r"\bauf\s+jeden\s+fall\b", re.IGNORECASE)
_FROM_TODAY = re.compile(r",?\s*\b(?:ab\s+heute|ab\s+sofort|von\s+heute\s+an|starting\s+(?:from\s+)?today|from\s+today(?:\s+on)?|"
                         r"beginning\s+today)\b", re.IGNORECASE)
_SPAN_CUE = re.compile(r"\b(?:woche|week|jeden\s+tag|every\s+day|each\s+day|taeglich|täglich|daily)\b", re.IGNORECASE)
_WORKS_GATE = frozenset({"funktioniert", "funktionieren", "work", "works", "laeuft", "klappt"})
_HOW_WORKS = re.compile(r"\bwie\s+(?:funktioniert|funktionieren|laeuft|klappt)\b|\bhow\s+(?:does|do)\b.*\bwork\b")
_TAG_POSSIBLE = re.compile(r"[,.;]\s*(?:is\s+(?:it|that|this)\s+possible|(?:ist|waere)\s+das\s+(?:moeglich|machbar|ok|okay)|"
                           r"geht\s+das|klappt\s+das|passt\s+das|would\s+that\s+(?:work|be\s+possible)|can\s+you\s+do\s+that)"
                           r"\s*\?+\s*$")
_AWAY_EVENTS = frozenset({"training", "schulung", "fortbildung", "seminar", "workshop", "kurs", "lehrgang", "course",
                          "conference", "konferenz", "messe", "dienstreise", "kundentermin", "offsite"})
_FYI = frozenset({"nur", "zur", "info", "fyi", "just", "so", "you", "know", "bescheid", "btw", "uebrigens", "as", "an"})
_IM_OFF = re.compile(r"\b(?:i'?m|i\s+am)\s+off\b(?!\s+(?:to|for|the\s+hook)\b)")  # "..., so I'm off" (not "I'm off to Senden")
_CAN_LANG = re.compile(r"\b(?:kannst|koennen|koennt|can|could)\s+(?:du|sie|ihr|you)\s+(?:auch\s+|also\s+|even\s+)?"
                       r"(?:english|englisch|deutsch|german)\b")
_LANG_FIRST = re.compile(r"^\W*(?:(?:in|auf)\s+)?(?:english|englisch|deutsch|german)\s+(?:please|pls|plz|bitte)\b")
_LANG_NOT = frozenset({"kein", "keine", "nicht", "not", "no", "mein", "meine", "my", "ohne", "without"})


# "after lunch", "nach dem Mittag", and "(erst) ab mittags" without a clock end ("ab Mittag bis 17 Uhr" keeps 12:00)
_AFTER_LUNCH = re.compile(r"\b(?:(after|post)[- ]lunch(?:time)?|nach\s+(?:dem\s+)?mittag(?:essen)?|nach\s+der\s+mittagspause|"
                          r"ab\s+mitta(?:g|ch)s?\b(?!\s*(?:bis|-|–)\s*\d))\b", re.IGNORECASE)


_CAN_CANCEL_LATER = re.compile(
    r"\b(?:absagen|stornieren|canceln|abmelden)\s+kann\s+ich\s+(?:\w+\s+){0,3}?(?:noch|sp(?:ä|ae)ter|dann)\b|"
    r"\b(?:zur\s+not|notfalls|sonst|im\s+zweifel)\s+sag\s+ich\s+(?:\w+\s+){0,2}?ab\b|"
    r"\bich\s+kann\s+(?:\w+\s+){0,2}?(?:immer\s+noch|ja\s+noch|sp(?:ä|ae)ter)\s+(?:absagen|stornieren|canceln)\b|"
    r"\b(?:i\s+can|i\s+could|i'?ll)\s+(?:always\s+|still\s+)?cancel\s+(?:it\s+)?(?:later|if\s+[^,.;!?]*|afterwards)?", re.IGNORECASE)
_GIVE_BACK = re.compile(r"\b(give\s+back)(?=\s+(?:my|the|this|that)\s+(?:\w+\s+)?(?:booking|desk|day|days|reservation|seat))|"
                        r"\bzur(?:ü|ue)ckgeben\b", re.IGNORECASE)
_THING_CANCELLED = re.compile(r"\b(?:my|the|our)\s+(?:\w+\s+)?(?:bus|train|zug|bahn|flight|r[be]\s?\d{1,3}|s\d{1,2}|x\d{1,3})\s+"
                              r"(?:got|was|is|has\s+been)\s+(?:\w+\s+)?cancell?ed\b", re.IGNORECASE)
_BOTH_GONE = re.compile(r"\b(beide|alle\s+beide|alle|die\s+beiden|both|all)\s+(?:weg|raus)\b(?=\s*[.!,]|\s*$)", re.IGNORECASE)
_RIGHT_AWAY = re.compile(r"\b(?:straight|right)\s+away\b", re.IGNORECASE)
_COULD_PAST = re.compile(r"\bcould\s+(?=(?:barely|hardly|scarcely|finally|only\s+just)\b)", re.IGNORECASE)
_DONT_KNOW = re.compile(r"\b(?:ich\s+)?wei(?:ss|ß)\s+(?:es\s+|das\s+)?(?:gar\s+|auch\s+)?nicht\s+mehr\b|"
                        r"\btrau(?:e)?\s+mich\s+(?:gar\s+|echt\s+)?nicht\s+(?:mehr\s+)?(?=zu\s+(?:buchen|reservieren))",
                        re.IGNORECASE)
_LEAVE_AT = re.compile(r"\b(?:i'?ll\s+|i\s+will\s+|i\s+have\s+to\s+|i\s+must\s+|i\s+need\s+to\s+|and\s+)?(?:leave|leaving|be\s+leaving|head\s+(?:home|off|out)|"
                       r"go\s+home)\s+(?:at|around|about|by)\s+(?:about\s+)?(?P<t1>\d{1,2}(?::\d\d)?\s*(?:am|pm)?)(?!\s*(?:days?|weeks?))\b|"
                       r"\b(?:um|gegen|ab)\s+(?P<t2>\d{1,2}(?::\d\d)?)\s*(?:uhr\s+)?(?:muss|bin|geh\w*|fahr\w*)\s+(?:ich\s+)?"
                       r"(?:\w+\s+)?(?:wieder\s+)?(?:weg|los|raus|nach\s+hause|heim)\b", re.IGNORECASE)
_DAY_AMPM = re.compile(r"\b((?:[Mm]on|[Tt]ues|[Ww]ednes|[Tt]hurs|[Ff]ri|[Ss]atur|[Ss]un)day|[Tt]omorrow|[Tt]oday|"
                       r"[Mm]o|[Dd]i|[Mm]i|[Dd]o|[Ff]r|[Mm]orgen|[Hh]eute)\s+(AM|PM)\b(?!\s*\d)")
_HOLIDAYS_FRAME = re.compile(r"\b(?:over|during|in)\s+the\s+(?:christmas\s+|xmas\s+|school\s+|easter\s+|summer\s+)?holidays\b(?=.*\b(?:need|book|want|like|please|pls)\b)|"
                             r"(?:(?<=closed )|(?<=open ))(?:over|during)\s+the\s+(?:christmas\s+)?holidays\b|"
                             r"\b(?:in|w(?:ä|ae)hrend)\s+(?:den|der)\s+(?:weihnachts|herbst|oster|sommer|schul)?ferien\b"
                             r"(?=.*\b(?:brauch\w*|br(?:ä|ae)ucht\w*|buch\w*|bitte|m(?:ö|oe)cht\w*|h(?:ä|ae)tte)\b)",
                             re.IGNORECASE)
_BEFORE_LUNCH = re.compile(r"\b(?:(before|pre)[- ]lunch(?:time)?|vor\s+(?:dem\s+)?mittag(?:essen)?|vor\s+der\s+mittagspause)\b",
                           re.IGNORECASE)
_MIDDAY_ONE = re.compile(r"\bmittags?\s+(?:um\s+)?(?:eins|ein\s+uhr|1\s*uhr|1)\b(?![.:]\d)", re.IGNORECASE)
_NM_AFTER_DAY = re.compile(r"\b(mo|di|mi|do|fr|montag|dienstag|mittwoch|donnerstag|freitag|heute|morgen|(?:ü|ue)bermorgen|"
                           r"\d{1,2}\.\d{1,2}\.?)\s+nm\b", re.IGNORECASE)
_WITHOUT_BOOKING = re.compile(r"\bohne\s+(?:vorher\s+|es\s+)?zu\s+(?:buchen|reservieren)\b|\bwithout\s+(?:booking|reserving)\b",
                              re.IGNORECASE)  # the verb only: "ohne Buchung arbeiten?" stays a how-to question
_LAST_WD_DAY = re.compile(
    r"(\b(?:letzte[nmr]?|vergangene[nmr]?|last)\s+(?:woche\s+|week(?:'s)?\s+)?(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|monday"
    r"|tuesday|wednesday|thursday|friday|saturday|sunday))\s*,?\s*(?:den|dem|the)\s+\d{1,2}(?:\.|st|nd|rd|th)?(?![\d.])",
    re.IGNORECASE)


_LATER_GATE = frozenset({"spaeter", "nachher", "later", "gucken", "schauen", "looking", "checking"})
# "Hiya, booking for the week after next — Tuesday and Thursday in Havixbeck": the gerund is the request, not the list
_BOOKING_FOR = re.compile(r"^\W*(?:(?:hi|hiya|hey|hello|moin|hallo|ok|so|right)\W+)?"
                          r"booking\s+(?:a\s+desk\s+|one\s+)?(?:for|in|at)\b")
_BOOK_LATER = re.compile(r"\bbuch\w*\s+(?:tu\s+|werde\s+|will\s+)?(?:ich\s+)?(?:es\s+|das\s+)?(?:dann\s+)?(?:spaeter|nachher)\b"
                         r"|\bnot\s+booking\s+(?:it\s+|anything\s+)?(?:yet|now|just\s+yet)\b|\bnoch\s+nicht\s+buchen\b"
                         r"|\b(?:i'?ll|i\s+will|i'?d|will)\s+book\s+(?:it\s+|one\s+)?later\b|\bbook\s+later\b"
                         r"|\bnur\s+(?:mal\s+)?(?:gucken|schauen)\b|\bjust\s+(?:looking|checking)\b")
_NEAR_WANT = frozenset({"was", "irgendwo", "etwas", "irgendwas", "platz", "plaetze", "arbeitsplatz", "schreibtisch", "frei",
                        "anything", "something", "somewhere", "anywhere", "desk", "desks", "spot", "seat", "free", "space"})
_COPULA_ALL = frozenset({"ist", "is", "are", "sind", "war", "was", "wirkt", "seems", "looks"})
_REMARK = re.compile(r"\b(?:ist|is|are|sind|war|was|wirkt|seems|looks)\s+(?:\w+\s+){0,3}?(?:so|soo+|echt|total|richtig|really|very|"
                     r"super|mega|ziemlich|pretty|quite)\s+(?:\w+\s+)?(?:quiet|ruhig|leer|empty|voll|full|packed|crowded|busy)\b")
_NEAR_GATE = frozenset({"naehe", "nahe", "near", "nearby", "close", "around", "rund", "umgebung", "umkreis", "umland"})
_NEAR = re.compile(r"\b(?:in\s+der\s+naehe\s+(?:von|vom)|naehe|nahe(?:\s+bei)?|near(?:by)?|close\s+to|around|rund\s+um"
                   r"|(?:in\s+der\s+)?umgebung\s+(?:von)?|im\s+umkreis\s+(?:von)?|umland\s+von)\s+(?:coworking\s+)?"
                   r"(?!(?:a|an|the|my|your|our|einem|einer|eine|dem|der|den|meinem|meiner|fenster\w*|window\w*)\b)\w")


def _next_is_weekday(after: str) -> bool:
    """"So bis Mi": the word after "so und/bis/oder" is a weekday ("so bis mittags" is "about until noon")."""
    parts = after.split()
    return len(parts) > 1 and parts[1].strip("?!.,") in _WEEKDAYS


_LEG_SEP = re.compile(r"[,.;!?]|\b(?:und|and|aber|but|dann|then|sowie|plus|danach|after\s+that)\b")
_LEG_ALT = re.compile(r"\b(?:oder|or|bzw|beziehungsweise|alternativ|alternatively|falls|if|wenn|sonst|otherwise)\b")


_NEG_CLAUSE_CUT = re.compile(r"[,;!?–—]|(?<!\d)\.|\s-\s|\b(?:und|aber|and|but|sondern)\b")


_NEED_WORDS = frozenset({"need", "brauche", "brauch", "brauchen", "benoetige"})


def _neg_come_clause(s: str, verbs: frozenset | set = frozenset(_K_COME)) -> bool:
    """A negation and a coming (or needing) verb in one clause ("schaffe es Freitag doch nicht"), not across clauses
    ("mein Auto springt nicht an und ... da komm ich mit dem Rad hin", "I'm new, not sure how this works – I need a
    desk ...")."""
    for clause in _NEG_CLAUSE_CUT.split(s):
        words = set(clause.split())
        if not words.isdisjoint(_K_NEG) and not words.isdisjoint(verbs):
            return True
    return False


def _legs(s: str, seq: list, found: list[tuple[str, int, int]]) -> list[tuple[str, list[date]]]:
    """Each named place with its own days ("Mittwoch Senden und Donnerstag Olfen", "Senden am Mi, Olfen am Do",
    "Mittwoch Senden. Und Donnerstag auch, aber in Olfen."): the message is cut at the separators between its
    days and places; a piece with days but no place gives them to the next piece with a place (else the one
    before). [] unless every place gets days of its own and every day one place; "oder"/"falls" between the
    places is a choice or a fallback, no second leg."""
    if _LEG_ALT.search(s, found[0][2], found[-1][1]):
        return []
    events = sorted([(x.start, x.end, "d", x) for x in seq] + [(a, b, "p", slug) for slug, a, b in found],
                    key=lambda e: e[0])
    pieces: list[list] = [[]]
    for prev, e in zip([None, *events], events):
        if prev is not None and _LEG_SEP.search(s, prev[1], e[0]):
            pieces.append([])
        pieces[-1].append(e)
    legs: list[tuple[str, list[date]]] = []
    pending: list[date] = []
    for piece in pieces:
        places = {e[3] for e in piece if e[2] == "p"}
        days = [d for e in piece if e[2] == "d" for d in e[3].dates]
        if len(places) > 1:
            return []
        if not places:
            pending += days
            continue
        days = pending + days
        pending = []
        if not days:
            return []  # "Senden oder Olfen morgen", "Senden, Olfen geht auch": a place without days of its own
        legs.append((places.pop(), days))
    if pending:
        if not legs:
            return []
        legs[-1] = (legs[-1][0], legs[-1][1] + pending)
    merged: dict[str, list[date]] = {}
    for slug, days in legs:
        merged.setdefault(slug, []).extend(days)
    seen = [d for days in merged.values() for d in days]
    if len(merged) < 2 or len(seen) != len(set(seen)):
        return []
    return [(slug, sorted(days)) for slug, days in merged.items()]


def _day_of_month_on(today: date, day: int, wd: int) -> date | None:
    """ "Tuesday the 17th" without a month: the 17th that is a Tuesday nearest to today, from last month on
    (a 17th that was a Tuesday six days ago is that day, in the past, not a Thursday to come); None when
    there is none within two months."""
    found = []
    for k in range(-1, 12):
        y, mo = today.year + (today.month - 1 + k) // 12, (today.month - 1 + k) % 12 + 1
        d = _safe_date(y, mo, day)
        if d is not None and d.weekday() == wd:
            found.append(d)
    best = min(found, key=lambda d: abs((d - today).days), default=None)
    return best if best is not None and abs((best - today).days) <= 62 else None  # farther: a slip of the weekday


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _weekdays_in_month(ym: tuple[int, int], wd: int, today: date) -> list[date]:
    y, m = ym
    d = date(y, m, 1)
    d += timedelta(days=(wd - d.weekday()) % 7)
    out = []
    while d.month == m:
        if d >= today:
            out.append(d)
        d += timedelta(days=7)
    return out


# ---------------------------------------------------------------------------------------------
# the learned second opinion (bot/intent_model.py; thresholds from grouped cross-validation, bench/PARSER.md)
# ---------------------------------------------------------------------------------------------

# A confident booking whose booking probability is below VETO_BOOK goes below CONFIDENT (the dialogue asks).
VETO_BOOK = 0.2
# ... and when the classifier's own choice is an intent that changes nothing at >= SWAP_SAFE, it becomes the
# intent (book is then the alternative); "unknown" takes such an intent at >= ADOPT_SAFE, a booking (asked
# first, below CONFIDENT) at >= ADOPT_BOOK.
SWAP_SAFE = 0.9
ADOPT_SAFE = 0.5
ADOPT_BOOK = 0.6
_SAFE_INTENTS = frozenset({"availability", "who", "smalltalk", "help", "thanks", "list", "contingent",
                           "company_contingent", "team_bookings", "member_contingent"})
_NOTIFY_GATE = frozenset({"nachricht", "nachrichten", "message", "messages", "ping", "pings", "mail", "mails", "push",
                          "notification", "notifications", "benachrichtigungen", "pushnachrichten", "pushs"})
_COMES_GATE = frozenset({"kommt", "comes", "coming", "joining", "joins"})
_ME_WORDS = frozenset({"mir", "ich", "i", "me", "my", "mein", "meine", "mich"})
_FREE_GATE = frozenset({"frei", "free", "available", "space", "room"})
_IF_GATE = frozenset({"falls", "wenn", "sofern", "if"})
_SOMEONE = frozenset({"jemand", "someone", "somebody", "anyone", "anybody"})
_TO_ME = frozenset({"mir", "me", "mich"})
_MEANS_GATE = frozenset({"bedeutet", "bedeuten", "heisst", "mean", "means"})
_DAYS_GATE = frozenset({"tage", "days", "resttage"})
_OF_GATE = frozenset({"von", "of", "for", "fuer"})
_WISH_AFTER = re.compile(r"\?\s*(?:(?:if\s+so|if\s+yes|wenn\s+ja|falls\s+ja)\W+(?:dann\s+|then\s+)?)?(?:ich\s+|i\s+)?"
                         r"(?:würd\w*|wuerd\w*|möcht\w*|moecht\w*|would|i'?d)\s+(?:gern\w*|like|love)\b|"
                         # "Kann man Do in Senden buchen? Wenn ja, mach bitte.": the condition, then the request
                         r"\?\s*(?:if\s+so|if\s+yes|wenn\s+ja|falls\s+ja)\W+(?:dann\s+|then\s+)?(?:bitte\s+|please\s+)?"
                         r"(?:mach|machs|buch\w*|book|reserv\w*)\b", re.IGNORECASE)
_GET_IN_GATE = frozenset({"get", "squeeze", "fit", "slot"})
_GET_ME_IN = re.compile(r"\b(?:get|squeeze|fit|slot)\s+(?:me|us)\s+in(?:to)?\b(?!\s+(?:touch|trouble))")
_GIVE_GATE = frozenset({"gib", "gebt", "geben", "give", "get", "besorg", "besorgen", "besorgt", "organisier", "organisieren",
                        "sort", "grab"})
_GIVE_DESK = re.compile(
    r"\b(?:gib|gebt|give|get|besorg\w*|organisier\w*|sort|grab)\s+(?:mir|uns|me|us)\b[^.?!]{0,60}?"
    r"\b(?:platz|arbeitsplatz|schreibtisch|tisch|desk|seat|spot|workstation)\b"
    r"|\b(?:mir|uns)\b[^.?!]{0,60}?\b(?:platz|arbeitsplatz|schreibtisch|tisch)\b[^.?!]{0,40}?\b(?:geben|besorgen|organisieren)\b")
_BOOKPH2_GATE = frozenset({"fest", "festmachen", "frei", "freihalten", "anmelden", "hold"})
_AS_AGREED = frozenset({"besprochen", "gesagt", "vereinbart", "abgesprochen", "angekuendigt", "gewohnt", "ueblich",
                        "immer", "erwaehnt", "geplant", "discussed", "agreed", "planned", "usual", "always",
                        "announced", "mentioned"})
_BIN_GATE = frozenset({"bin", "sind", "am", "are"})
_THIRD_PL = frozenset({"sind", "are", "fahren", "kommen", "planen", "arbeiten", "sitzen", "were", "waren", "wollen",
                       "want", "plan", "go", "work", "sit", "will", "werden", "haben", "have", "treffen", "meet",
                       "bleiben"})  # "Anna and Tom are ..."
_WHERE_GATE = frozenset({"where's", "wheres", "where", "wo"})
_NIMM = frozenset({"nimm", "nehmt", "nehmen"})
_REPORT_GATE = frozenset({"ob", "whether", "if", "wer", "wo", "who", "where"})
_HEARSAY_GATE = frozenset({"gehoert", "heard", "hear", "angeblich", "apparently", "rumour", "hoert", "sagt"})
_TURN_GATE = frozenset({"angesagt", "dran", "an", "geplant", "plan", "programm", "faellig"})
_SENDER = frozenset({"ich", "i", "mir", "mich", "me", "bin", "i'm", "hab", "habe", "nehme", "nehm", "wir", "we", "uns"})
_STORY_PAST = frozenset({"war", "waren", "warst", "gewesen", "were", "went", "had", "hatte", "hatten", "geklappt"})
_WORKS_WORDS = frozenset({"gehen", "gehn", "passen", "klappen", "funktionieren", "moeglich", "machbar"})
_REQ_NOT_PAST = frozenset((_REQ - {"bitte", "please", "pls", "plz"}) | {"waere", "waer", "haette", "haetten", "would", "could",
                                                                    "wuerde", "naechsten", "next", "kommenden", "planned", "geplant",
                                                                    "vorgehabt", "wanted", "going", "hoped", "gehofft"})
_EN_STORY = frozenset({"i", "it", "there", "the", "he", "she", "we", "they", "lovely", "great", "nice", "awesome"})
_FACILITIES = frozenset({"parkplatz", "parkplaetze", "parken", "parking", "wlan", "wifi", "wi-fi", "internet", "kaffee", "coffee",
                         "drucker", "printer", "kueche", "kitchen", "dusche", "shower", "hund", "hunde", "dog", "dogs",
                         "barrierefrei", "accessible", "aufzug", "lift", "elevator", "steckdosen", "telefonbox", "schliessfach",
                         "schliessfaecher", "locker", "lockers", "besprechungsraum", "meetingraum", "fahrradstellplatz",
                         "ladestation", "charger", "tee", "tea", "snacks", "obst"})
_GRANT_GATE = frozenset({"gib", "gebe", "geb", "give", "grant", "schenk", "schenke", "bewillige", "genehmige", "genehmigen",
                         "bewilligen"})
_FELL_GATE = frozenset({"gewesen", "would", "could", "should", "would've", "could've", "should've", "eigentlich", "wanted",
                        "planned", "planning", "going", "gepasst", "geklappt", "gegangen", "funktioniert", "gefallen"})
_VIEWS = frozenset({"contingent", "company_contingent", "team_bookings", "member_contingent"})
_SAFE_CONF = 0.8  # the confidence of an intent the classifier chose (it changes nothing)

_ASK_CONF = 0.6  # below CONFIDENT: the booking handler asks "book or look?"


def _model_text(w: str) -> str:
    from bot.intent_model import model_text

    return model_text(w)


def _flags(it: Intent, today: date) -> str:
    """The classifier's flag letters: which entities the rules read (see bot/intent_model.py)."""
    f = ""
    if it.dates:
        f += "D"
        if all(d < today for d in it.dates):
            f += "P"
    if it.space or it.space_text:
        f += "S"
    if it.start or it.end:
        f += "T"
    if it.part:
        f += "H"
    if it.desks > 1:
        f += "N"
    if it.question:
        f += "Q"
    if it.lang == "en":
        f += "E"
    return f


_GATE: list = []  # [(model_text, IntentModel | None)] once loaded


def _second_opinion(it: Intent, conf: float, w: str, today: date) -> float:
    """The classifier checks a confident booking and an `unknown` (sets it.intent/alternative, returns conf)."""
    if not _GATE:
        from bot.intent_model import get_model, model_text

        _GATE.append((model_text, get_model()))
    model_text, model = _GATE[0]
    if model is None:
        return conf
    rows, n = model.rows(model_text(w), _flags(it, today))
    p_book = None
    if it.intent == "book":
        p_book = model.p_book_rows(rows, n)  # plain Python: the common case costs no numpy call
        if p_book >= VETO_BOOK:
            return conf
    p = model.proba_rows(rows, n)
    intent, conf, alt = gate(it.intent, conf, p, model.classes, bool(it.dates or it.space), p_book)
    if intent != it.intent:
        it.topic = None
        it.vetoed = it.intent == "book"
    it.intent = intent
    if alt is not None:
        it.alternative = alt
    return conf


def gate(intent: str, conf: float, p: list[float], classes: list[str], has_day_or_place: bool,
         p_book: float | None = None) -> tuple[str, float, str | None]:
    """The rules' (intent, confidence) after the classifier's probabilities `p` (and the binary head's booking
    probability `p_book`, else the multinomial's): (intent, confidence, alternative).

    Only a confident `book` and an `unknown` are looked at; alternative None = keep the rules' alternative."""
    p_top = max(p)
    choice = classes[p.index(p_top)]
    if intent == "book":
        if p_book is None:
            p_book = p[classes.index("book")] if "book" in classes else 1.0
        if conf < CONFIDENT or p_book >= VETO_BOOK:
            return intent, conf, None
        if choice in _SAFE_INTENTS and p_top >= SWAP_SAFE:
            return choice, _SAFE_CONF, "book"
        return "book", min(conf, _ASK_CONF), choice
    if intent != "unknown":
        return intent, conf, None
    if choice in _SAFE_INTENTS and p_top >= ADOPT_SAFE and (choice != "smalltalk" or has_day_or_place):
        return choice, _SAFE_CONF, None
    if choice == "book" and p_top >= ADOPT_BOOK and has_day_or_place:
        return "book", _ASK_CONF, "unknown"
    return intent, conf, (choice if choice != "unknown" else None)


# "..., das ist sehr freundlich von Ihnen.": a kind word that ends a thank-you
# a cancellation's or an absence's words (the gate of the clause check above)
_STOP_CUE = re.compile(r"streich|stornier|storno|cancel|absag|\bab\b|abmeld|\braus\b|\bweg\b|krank|sick|\bill\b|home|urlaub|"
                       r"\boff\b|frei|schicht|\bnicht|\bnot\b|n't|wont|\bkein|\bnix\b", re.IGNORECASE)
_MY_NAME = re.compile(r"\b(?:my\s+name\s+is|mein\s+name\s+ist|ich\s+hei(?:ß|ss)e)\s+[^\W\d_]+(?:\s+[A-ZÄÖÜ][^\W\d_]+)?",
                      re.IGNORECASE)
_UNTIL_GAP = re.compile(r"^[\s,]*(?:(?:in|im|at|in\s+the|to|nach|bei)\s+[a-z]+\s+)?(?:(?:noch|immer|jeweils)\s+)?"
                        r"(?:bis|until|till|til|through|thru|up\s+to)\s+(?:(?:zum|zur|einschlie(?:ss|ß)lich|inkl\.?|"
                        r"and\s+including|the|den|dem)\s+)?$")
_UNTIL_FURTHER = re.compile(r"\b(?:bis\s+auf\s+weiteres|until\s+further\s+notice)\b", re.IGNORECASE)
_OFF_DAY = re.compile(r"^\W*(?:i'?m\s+|i\s+am\s+)?off\s+(?:on\s+)?(?:mon|tue|wed|thu|fri|tomorrow|today|next|this)\w*|"
                      r"\b(?:i\s+have|i'?ve\s+got|i\s+got|i'?m\s+having|having|i'?ll\s+have)\s+(?:a\s+|the\s+)?(?:\w+\s+)?days?\s+off\b|"
                      r"^\W*(?:(?:mon|tues|wednes|thurs|fri)day|tomorrow)\s+off\b|"
                      r"\b(?:i'?m\s+|i\s+am\s+|i'?ll\s+be\s+)?tak(?:e|ing)\s+(?:\w+\s+){0,2}?off\b")
_KEEP_FREE = re.compile(r"\bfrei\s*(?:ge)?halten\b|\bfrei\s+h(?:ä|ae)lt(?:st)?\b", re.IGNORECASE)
_HEDGED_PLAN = re.compile(r"\b(?:i'?ll|i\s+will|we'?ll|i'?m\s+going\s+to|gonna)\s+(?:probably\s+|just\s+)?"
                          r"(?:pop|drop|swing|head|come|go|work)\s+(?:over\s+)?(?:in(?:to)?|by|to|from|at)\b"
                          r"|\b(?:ich|wir)\s+(?:glaub\w*|denk\w*)\s*,?\s+(?:ich|wir)\s+(?:bin|sind|komm\w*|fahr\w*|"
                          r"arbeit\w*|sitz\w*)\b")
_GO_COWORKING = re.compile(r"\b(?:ich|i|wir|we)\s+(?:\w+\s+){0,3}?(?:geh\w*|fahr\w*|komm\w*|bin|sind|arbeite\w*|sitz\w*|"
                           r"go|going|head\w*|work\w*|will\s+be|'ll\s+be)\s+(?:\w+\s+){0,5}?"
                           r"(?:ins|zum|in\s+(?:den|das|dem)|im|into\s+the|to\s+the|at\s+the|in\s+the)\s+coworking\b")
_PREFER_GATE = frozenset({"better", "besser", "best", "besten", "lieber", "prefer", "preferably"})
_PREFER = re.compile(r"\b(?:works?|would\s+be|is|d\s+be|passt|passen|waere?|wär|ist|geht|fits?|suits?)\s+(?:\w+\s+){0,2}?"
                     r"(?:better|besser|am\s+besten|best)\b|\b(?:i'?d\s+)?prefer\b")
_WEEK_START = re.compile(r"\b(?:ab|starting|start|starts|beginning|from|fang\w*|los|beginn\w*|anfang\w*)\b")
_RECORD_LATE = frozenset({"nachtragen", "nachbuchen", "erfassen", "nachtraeglich", "rueckwirkend", "versaeumt", "vergessen",
                          "verpasst", "verpennt", "retroactively", "forgot", "forgotten", "missed", "log", "record"})
_SHARE_GATE = frozenset({"sehen", "sieht", "see", "sees", "seeing", "hide", "verbergen", "verberge", "verstecken",
                         "verstecke", "ausblenden", "unsichtbar", "invisible", "sichtbar", "visible", "teilen", "share",
                         "anonym", "anonymous", "private", "privat", "wissen", "know"})
_SHARE_THAT_I = re.compile(r"\b(?:sehen|sieht|see|wissen|know)\s*,?\s+(?:dass|that|wo|where)\s+(?:ich|i)\b")
_SHARE_OFF = re.compile(
    r"\b(?:hide|verberg\w*|versteck\w*|ausblend\w*)\b[^.?!]{0,40}\b(?:mich|me|my|mein\w*|buchung\w*|bookings?|this|das|"
    r"presence|anwesenheit|standort|location|where|wo)\b|\b(?:unsichtbar|invisible|anonym|anonymous)\b|"
    r"\b(?:nicht|niemand|keiner|keine|no\s*one|nobody|don'?t|do\s+not|dont|not|doesn'?t|shouldn'?t)\b[^.?!]{0,40}?"
    r"\b(?:sehen|sieht|see|sees|wissen|know)\b[^.?!]{0,30}?\b(?:wo|where|wann|when|dass|that)\s+(?:ich|i)\b|"
    r"\b(?:nicht|not|no\s+longer|nicht\s+mehr|stop)\s+(?:mehr\s+)?(?:teilen|sharing|share)\b")
_SHARE_ON = re.compile(
    r"\b(?:mach\w*|make|set)\s+(?:mich|me|my\s+bookings?|meine\s+buchungen)\s+(?:\w+\s+){0,3}?(?:sichtbar|visible)\b|"
    r"\b(?:duerfen|koennen|sollen|can|may|should)\s+(?:\w+\s+){0,3}?(?:sehen|see)\b[^.?!]{0,30}?\b(?:wo|where)\s+(?:ich|i)\b|"
    r"\b(?:share|teile|teilen)\s+(?:\w+\s+){0,3}?(?:mit|with)\s+(?:den\s+|my\s+|meinen\s+)?(?:kolleg\w*|colleagues?|team)\b")
_THANKS_FOR_HELP = re.compile(r"\b(?:dank\w*|thanks?|thx)\s+(?:you\s+)?(?:fuer|for)\s+(?:\w+\s+){0,3}?"
                              r"(?:hilfe|help|unterstuetzung|support|assistance)\b")
_MY_DAYS_Q = re.compile(r"\bwie\s*viele\s+(?:hab|habe)\s+ich\b|\b(?:sind|werden)\s+meine\s+tage\b")  # "Wie viele hab ich für Januar?"
_ROLE_NAME = re.compile(r"\b(?:unser\w*|mein\w*|our|my)\s+(?:azubi|auszubildende[rn]?|praktikant\w*|mitarbeiter\w*|kolleg\w*|"
                        r"employee|colleague|intern|trainee|werkstudent\w*)\s+(?=([a-z]+)\b)")
_OUR_POOL = re.compile(r"\b(?:unser|unsere|unserem|unseres|our)\s+(?:monthly\s+|monatliche[sn]?\s+)?(?:kontingent|budget|"
                       r"gesamtkontingent|pool|tage|days|contingent|limit|allowance|quota)\b")
_NEWCOMER = re.compile(r"\b(?:i'?m|i\s+am|ich\s+bin|bin)\s+(?:\w+\s+)?(?:new|neu)\b|\bnew\s+here\b|\bneu\s+hier\b")
_MY_TEAM = re.compile(r"\b(?:mein(?:em|es|er|e)?|my|unser\w*|our)\s+(?:team|staff|mitarbeiter\w*|leute|people|employees|"
                      r"abteilung|department|belegschaft)\b")
_KIND = re.compile(r"\b(?:(?:sehr|so|echt|wirklich|very|really)\s+)?(?:freundlich|nett|lieb|hilfreich|kind|helpful|nice|"
                   r"lovely|sweet)\b(?:\s+(?:von\s+(?:ihnen|dir|euch)|of\s+you))?\W*$|"
                   # "Vielen Dank, Sie sind ja fixer als meine Bank": praise by comparison
                   r"\b(?:schneller|fixer|besser|flotter|einfacher|leichter|faster|quicker|better|easier)\s+(?:als|than)\b|"
                   # "danke, hat geklappt, …": it worked
                   r"\b(?:hat|hats|has)\s+(?:\w+\s+)?(?:geklappt|funktioniert)\b|\bit\s+worked\b")
# a thing as the subject of a cancel word ("my bus ... was cancelled", "mein Zug ist ausgefallen")
_THING_SUBJ = re.compile(r"\b(?:my|mein|meine|our|unser|unsere|the|der|die|das)\s+(?:\w+\s+)?(?:bus|busse|zug|train|bahn|"
                         r"flight|flug|meeting|termin|spiel|game|match|training|konzert|concert|class|kurs|appointment|"
                         r"lesson|shift|schicht|veranstaltung|event|r[be]\s?\d{1,3}|s\d{1,2}|x\d{1,3})\b")
_NO_NEED = re.compile(r"\b(?:brauch\w*|benoetig\w*|need)\s+(?:ich\s+|i\s+|wir\s+|we\s+)?"
                      r"(?:(?:dann|da|also|ja|eh|sowieso|somit|folglich|natuerlich|wohl)\s+)*"
                      r"(?:keinen|kein|keine|no|nix|nichts)\b|"
                      r"\bkein\w*\s+(?:\w+\s+)?(?:brauch\w*|benoetig\w*)\b|"
                      r"\b(?:don'?t|do\s+not|won'?t|will\s+not)\s+(?:be\s+)?need(?:ing)?\b|\bno\s+need\s+for\b|"
                      r"\bno\s+(?:desk|seat|space|spot)\s+(?:needed|required)\b|\bkein\s+platz\s+(?:noetig|gebraucht)\b|"
                      r"\b(?:nix|nichts)\s+mit\s+(?:dem\s+)?(?:coworking|buero|platz|tisch)\b|\bno\s+coworking\b|"
                      r"\bkein\s+coworking\b")
# what makes a half of the day the one the user cannot come: an appointment or being busy in the same clause
_BUSY = re.compile(r"\b(?:termin\w*|\w*arzt\w*|doktor|doctor\w*|dentist\w*|appointment\w*|meeting\w*|besprechung\w*|"
                   r"busy|beschaeftigt|keine\s+zeit|no\s+time|not\s+free|nicht\s+(?:da|frei|kann|koennen)|kann\s+ich\s+nicht|"
                   r"can'?t|cannot|kita|schule|school|abholen|pick\s+up|call|telko|verabredet|weg|\w*sprechtag\w*|"
                   r"elternabend|\w*gespraech\w*|\w*schulung\w*|\w*training\w*|kurs|vorlesung|lecture|class|interview|"
                   r"muss|muessen|have\s+to|has\s+to|must|homeoffice|home\s+office|wfh|zu\s*hause|daheim|at\s+home|"
                   r"\w*feier\w*|party|im\s+buero|in\s+the\s+office|at\s+the\s+office|\w*schicht|kids|kinder|seminars?|"
                   r"got\s+the\s+kids|practice|uni)\b")  # "... weil ich nachmittags noch nach Münster muss"
# "morgen bin ich in Münster", "ich fahr morgen eh nach Münster", "Thursday I'm in Münster anyway": a day in a town
# with no space of ours (the place is `space_text`), so no desk here
_IN_OTHER_TOWN = re.compile(r"\b(?:bin|sind|fahr\w*|muss|i'?m|i\s+am|we'?re|we\s+are|i'?ll\s+be|i\s+will\s+be|going|"
                            r"driving|heading)\s+(?:\S+\s+){0,3}?(?:in|nach|to)\s+[a-z]")
_TELL_WORDS = frozenset({"tell", "inform", "know", "bescheid", "melden", "sagen", "abmelden"})
_TELL_IF_NOT = re.compile(r"\b(?:do\s+i\s+(?:need|have)\s+to|should\s+i|must\s+i|muss\s+ich|soll\s+ich|sollte\s+ich)\s+"
                          r"(?:\w+\s+){0,3}?(?:tell|inform|let\s+you\s+know|bescheid|melden|sagen|abmelden)\b")
_NOT_THAT_DAY = re.compile(r"\W*(?:heute?|morgen|uebermorgen|today|tomorrow)\s+(?:nicht|nich|not|no)\b")  # "heut nich, kind …"
_NO_COWORKING = re.compile(r"\b(?:kein|nix\s+mit|nichts\s+mit|no)\s+(?:dem\s+)?coworking\b")  # "Heute kein Coworking für mich"
# "morgen bin ich im Büro in Münster", "I'm in the office on Friday": a day at the office, no desk here
_AT_THE_OFFICE = re.compile(r"\b(?:bin|sind|arbeite|arbeiten|sitze|sitzen)\s+(?:\S+\s+){0,3}?(?:im|ins)\s+(?:buero|office)\b|"
                            r"\b(?:i'?m|i\s+am|i'?ll\s+be|i\s+will\s+be|we'?re|we\s+are|working|back)\s+(?:\S+\s+){0,3}?"
                            r"(?:in|at)\s+(?:the|our)\s+(?:main\s+)?office\b")
_CLAUSE_EDGE = re.compile(r"[,.;!?()]|\b(?:aber|but|da|weil|because|denn|und|and)\b")


def _busy_half(w: str, pattern: re.Pattern) -> bool:
    """Is every mention of this half of the day in a clause that says the user is busy then?"""
    hits = list(pattern.finditer(w))
    if not hits:
        return False
    for mm in hits:
        left = max([e.end() for e in _CLAUSE_EDGE.finditer(w, 0, mm.start())], default=0)
        nxt = _CLAUSE_EDGE.search(w, mm.end())
        if not _BUSY.search(w[left:nxt.start() if nxt else len(w)]):
            return False
    return True


# The commonest message of all, a bare "place + day" ("Dülmen am 3.12.", "3.12. Olfen", "morgen Senden"), read
# without the whole parse: a third of a booking message's time went to parsing it (issue 12). Only for shapes that
# leave nothing to decide: one place word, a future day.month or morgen/übermorgen, nothing else; everything else
# (and a day that is today or past, or more than 300 days ahead) goes through `_Parser.parse`.
# tests/test_intents_quick.py checks that it gives exactly what the whole parse gives, over every place, many days
# and times of day.
_QUICK = re.compile(
    r"^\s*(?:(?P<p1>[^\W\d_][^\W\d]{2,})\s+(?:am\s+)?(?P<d1>\d{1,2})\.(?P<m1>\d{1,2})\."
    r"|(?:am\s+)?(?P<d2>\d{1,2})\.(?P<m2>\d{1,2})\.\s+(?P<p2>[^\W\d_][^\W\d]{2,})"
    r"|(?P<r1>morgen|übermorgen|uebermorgen)\s+(?P<p3>[^\W\d_][^\W\d]{2,})"
    r"|(?P<p4>[^\W\d_][^\W\d]{2,})\s+(?P<r2>morgen|übermorgen|uebermorgen))\s*$", re.IGNORECASE)


def _quick_request(parser: _Parser, text: str, today: date) -> Intent | None:
    if len(text) > 40 or not text[:1].isalnum():
        return None
    mm = _QUICK.match(text)
    if mm is None:
        return None
    word = _fold_word(mm.group("p1") or mm.group("p2") or mm.group("p3") or mm.group("p4"))
    slug = parser.space_keys.get(word)
    if slug is None or word in _QUICK_NOT:
        return None
    rel = mm.group("r1") or mm.group("r2")
    if rel:
        day = today + timedelta(days=1 if rel.lower() == "morgen" else 2)
    else:
        d, mo = int(mm.group("d1") or mm.group("d2")), int(mm.group("m1") or mm.group("m2"))
        if not 1 <= mo <= 12:
            return None
        day = _safe_date(_year2(None, today, mo, d), mo, d)
        if day is None or not today < day <= today + timedelta(days=300):
            return None
    return Intent(intent="book", dates=[day], space=slug, lang="de", confidence=0.9)


_QUICK_NOT = frozenset({"senden"})  # also a verb ("morgen senden"): the whole parse decides


@lru_cache(maxsize=16)
def _parser_for(spaces: tuple[SpaceRef, ...]) -> _Parser:
    return _Parser(spaces)


def parse(text: str, now: datetime, spaces: Sequence[SpaceRef]) -> Intent:
    """Understand one chat message. `now` is timezone-aware; dates are relative to its local date."""
    sp = spaces if isinstance(spaces, tuple) else tuple(spaces)
    parser = _parser_for(sp)
    quick = _quick_request(parser, text, now.date())
    if quick is not None:
        return quick
    if text and len(text) <= 40 and not text.isascii() and _EMOJI.search(text):
        bare = _EMOJI.sub(" ", text).strip()
        if not bare and _REACTION.search(text):  # "👍", "🙏🙏": a reaction to the bot's reply
            return Intent(intent="thanks", confidence=0.85, lang=parser.parse("", now).lang)
        if bare and len(bare.split()) <= 3:  # "ok 👍", "danke 🙏": the words decide
            it = _parse_whole(parser, bare, now)
            if it.intent != "unknown":
                return it
    it = _parse_whole(parser, text, now)
    low = text.lower()
    if not it.space and it.intent in ("book", "availability", "cancel", "waitlist", "who") and len(text) < 160 \
            and (" in " in low or " to " in low or " nach " in low) \
            and (joined := parser.join_dictated_town(text)) != text:
        it = _parse_whole(parser, joined, now)  # "book me a desk in loo ding hausen for next monday"
    neg = _has_neg(low)
    if it.intent == "book" and neg and _NOT_YET.search(text) and not _NOT_YET_BUT.search(text):
        # "ob ... noch Plätze frei sind? Buchen möchte ich noch nicht": the booking verb is denied; what is left is
        # the question (a button books once they want it)
        it.intent, it.alternative, it.confidence, it.question = "availability", "book", 0.75, True
    if it.intent in ("book", "availability", "waitlist") and it.desks == 1 and (" and me" in low or " und mich" in low
                                                                             or " und ich" in low) \
            and (mm := _NAMES_AND_ME.search(text)):
        it.desks = len(re.findall(r"[A-ZÄÖÜ][a-zäöüß]+", mm.group(1))) + 1  # "for Anna, Ben and me": three desks
    if it.intent in ("book", "availability", "waitlist") and it.desks == 1 and "x" in low and (mm := _TIMES_X.search(low)) \
            and it.space and parser.space_keys.get(_fold_word(mm.group(2))) == it.space:
        it.desks = int(mm.group(1))  # "bitte 3x Nottuln morgen nachmittag"
    if it.intent in ("smalltalk", "availability", "checkin", "book") and it.confidence < 0.9 \
            and _ORDER_GATE.search(low) and _ORDER_THING.search(low) and not _BOOK_WORD.search(low):
        # "Kannst du mir ne Pizza nach Ascheberg bestellen?", "Can you order a pizza to the Coesfeld space?": not ours
        it.intent, it.alternative, it.confidence = "unknown", it.intent, 0.75
    if it.intent in ("smalltalk", "availability") and it.dates and it.space and not it.legs and not it.vetoed \
            and not _asks_state(low) and _ASKS_FOR_DESK.search(low) and all(d >= now.date() for d in it.dates):
        # "… die Straße nach Lüdinghausen ist zu. Bin dann morgen lieber in Olfen, kannste das machen?", "Can I get Havixbeck
        # for Wednesday …? Working from there while my car's in the shop": a request in the sender's words beside a story
        # or asked as a question; it is asked before it books (below CONFIDENT)
        it.intent, it.alternative, it.confidence = "book", it.intent, 0.7
    if it.intent in ("smalltalk", "cancel", "unknown") and it.dates and it.space and not it.vetoed and neg \
            and _NOT_X_BUT.search(text) \
            and not _NOT_YET_GATE.search(text[_NOT_X_BUT.search(text).end():]):
        # "Nicht heute, sondern morgen – Rosendahl", "not friday but thursday olfen", "Ich kann nicht am Freitag, aber
        # Donnerstag Olfen": the day said not is left out (see `_EXCEPT`); the other one is asked for
        it.intent, it.alternative, it.confidence = "book", it.intent, 0.8
    if it.intent == "availability" and not it.dates and len(text) > 30 and _SENTENCE_END.search(text) \
            and 2 <= len(parts := _sentences(text)) <= 4 \
            and "smalltalk" in (kinds := {parser.parse(p, now).intent for p in parts}) and kinds <= {"smalltalk", "unknown"}:
        # "Raining cats and dogs in Rosendahl again. Is it ever not raining in the Münsterland on a Monday?": chat in each
        it.intent, it.alternative, it.confidence = "smalltalk", "availability", 0.65
    if it.intent == "smalltalk" and not it.space and text.rstrip().endswith("?") and _WEATHER_Q.search(text) \
            and not _IN_PLACE.search(text):
        # "what's the weather like tomorrow?": a question the bot cannot answer, about no place of its own
        it.intent, it.alternative, it.confidence = "unknown", "smalltalk", 0.7
    if it.intent == "book" and it.confidence < 0.9 and it.dates and it.space and "?" in text and _OPEN_Q_TAIL.search(low) \
            and not _has_book_request(low):
        # "Can you even work in Billerbeck on Christmas Eve or is it closed?", "… habt ihr da überhaupt auf?": whether
        # it is open decides; the opening hours are answered, a button books
        it.intent, it.alternative, it.confidence, it.question, it.topic = "availability", "book", 0.75, True, "hours"
    if it.intent == "book" and "?" in text and _BEFORE_BOOK.search(low) and not _NOT_YET_BUT.search(text):
        # "Bevor ich buche: ab wann kann man in Billerbeck morgens rein? …": asked before booking; the question first
        it.intent, it.alternative, it.confidence, it.question = "availability", "book", 0.75, True
    if it.intent == "book" and "?" in text and (qi := text.rfind("?")) < len(text.rstrip()) - 1 \
            and _THEN_I_BOOK.match(text[qi + 1:]):
        # "Wäre am Do in Billerbeck noch ein Platz für mich? Würde dann gern buchen", "gibts ... platz für 5 leute? dann
        # würd ich buchen": the booking waits for the answer; the question is answered, a button books
        asked = parser.parse(text[:qi + 1], now)
        if asked.intent == "who" and asked.dates:
            return asked  # "Gibt's Kollegen, die Mittwoch in Nordkirchen sind? Dann würd ich mich … melden"
        if asked.intent in ("availability", "book") and asked.dates:
            it.intent, it.alternative, it.confidence, it.question = "availability", "book", 0.75, True
    return it


_ORDER_THING = re.compile(r"\b(?:bestell\w*|order\w*|liefer\w*|deliver\w*|ruf\w*\s+(?:mir\s+)?(?:ein|an)\w*|call\s+me\s+an?)\b"
                          r".{0,40}?\b(?:pizza|pizzen|essen|food|lunch|mittagessen|taxi|uber|sushi|burger|d(?:ö|oe)ner|kebab|"
                          r"blumen|flowers)\b|\b(?:pizza|taxi|sushi|d(?:ö|oe)ner)\b.{0,40}?\b(?:bestell\w*|order\w*|liefer\w*)\b")
_NAMES_AND_ME = re.compile(r"\b(?:for|für|fuer)\s+((?:[A-ZÄÖÜ][a-zäöüß]+\s*,\s*)+[A-ZÄÖÜ][a-zäöüß]+)\s+(?:and|und)\s+(?:me|myself|mich)\b")
_TIMES_X = re.compile(r"\b([2-9])\s?x\s+([^\W\d_]+)")
_OPEN_Q_TAIL = re.compile(r"\b(?:is\s+it|are\s+you|is\s+(?:the\s+)?(?:space|place|coworking)|habt\s+ihr|hat\s+(?:es|das|der|die)|"
                          r"ist\s+(?:es|das|der|die|da))\s+(?:\w+\s+){0,3}?(?:closed|open|offen|auf|geschlossen|zu)\s*\?")
_ORDER_GATE = re.compile(r"bestell|order|liefer|deliver|pizza|taxi|sushi")
_BOOK_WORD = re.compile(r"\b(?:buch\w*|reservier\w*|book\w*|reserve\w*|platz|tisch|desk|schreibtisch)\b")
# the sender asks for a desk: "kannste das machen?", "kriegt ihr das hin?", "brauch ich … im Coworking", "nehm ich da ma nen
# Tisch", "Can I get …", "could you sort me a desk", "I need …", "please book"
_ASKS_FOR_DESK = re.compile(
    r"\b(?:kannst\s*e?|kannste|koenntest|könntest)\s+(?:du\s+)?(?:das|mir|mich|uns)\s+(?:\w+\s+){0,3}?(?:machen|klarmachen|"
    r"eintragen|buchen|reservieren|fest\s*machen|freihalten|geben|besorgen)\b|\bkriegt\s+ihr\s+das\s+hin\b|"
    r"\b(?:brauch|brauche|br(?:ä|ae)uchte?|ben(?:ö|oe)tige)\s+(?:ich\s+)?(?:\w+\s+){0,5}?(?:platz|tisch|schreibtisch|arbeitsplatz|"
    r"tag\s+im\s+coworking)\b|\b(?:nehm|nehme)\s+ich\s+(?:da\s+)?(?:\w+\s+){0,2}?(?:tisch|platz)\b|"
    r"\b(?:ich\s+)?w(?:ä|ae)r(?:e)?\s+(?:da\s+)?(?:\w+\s+){0,3}?gern(?:e)?\b|\bmach\s+(?:mir\s+)?\w+\s+draus\b|"
    r"\b(?:can|could)\s+i\s+(?:get|have|grab|book|come)\b|\bany\s+chance\s+i\s+could\s+(?:have|get|book)\b|"
    r"\bcould\s+you\s+(?:please\s+)?(?:sort|get|book|put|reserve)\s+me\b|\bi\s+(?:really\s+)?need\s+(?:a|the|some)\b|"
    r"\b(?:please|pls)\s+book\b|\bbook\s+me\b|\bsame\s+again\b")
# a question about the state of a space, not a request: "noch was frei?", "wie voll", "is it open", "how much"
_STATE_WORDS = re.compile(r"\b(?:frei|free|voll|full|belegt|busy|offen|open|geöffnet|geoeffnet|kostet|cost|price|preis|"
                          r"available|verfügbar|verfuegbar|wer|who|opening)\b|\bwie\s+lange\b|\bhow\s+long\b")


def _asks_state(low: str) -> bool:
    """A question about the state of a space ("noch was frei?", "wie voll", "is it open", "kostet"), not a request;
    "I'm free", "bin frei" are the sender's day."""
    for mm in _STATE_WORDS.finditer(low):
        if mm.group() in ("frei", "free") and low[max(0, mm.start() - 4):mm.start()] in ("i'm ", " am ", "bin ", "ich "):
            continue
        return True
    return False
_NOT_X_BUT = re.compile(r"\b(?:nicht|not)\s+(?:(?:am|on|the|den)\s+)?[\w.]+(?:\s+[\w.]+)?\s*[,–—-]?\s*(?:sondern|but|aber)\b",
                        re.IGNORECASE)
_WEATHER_Q = re.compile(r"^\W*(?:what'?s|what\s+is|how'?s|how\s+is|wie\s+(?:wird|ist)|wird\s+es|will\s+it|is\s+it\s+going\s+to)\b"
                        r".{0,30}\b(?:weather|wetter|rain|regnen|snow|schneien|temperature\w*|temperatur\w*)\b",
                        re.IGNORECASE)
_IN_PLACE = re.compile(r"\b(?:in|im|bei|near|at|around|um)\s+[A-ZÄÖÜ]")
_EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+")
_REACTION = re.compile(r"[\U0001F44C\U0001F44D\U0001F64F\u2764\U0001F60A\U0001F642\U0001F600\U0001F601\U0001F603\U0001F604\u2705\u2714"
                       r"\U0001F4AA\U0001F389\U0001F973\U0001F44F\U0001F91D\U0001F618\U0001F970\U0001F929]")
# "…? dann würde ich buchen", "…? Würde dann gern buchen", "…? then I'd book it": a booking on the answer's terms
_THEN_I_BOOK = re.compile(
    r"\W*(?:(?:dann|then)\s+(?:w(?:ü|ue|u)rd\w*|m(?:ö|oe|o)cht\w*|would|will|i'?d|i'?ll|i\s+would|i\s+will)\s+(?:ich\s+)?"
    r"(?:\w+\s+){0,2}?(?:buchen|reservieren|book|reserve)\b|"

    r"(?:(?:ich|i)\s+)?(?:w(?:ü|ue|u)rd\w*|m(?:ö|oe|o)cht\w*|would|i'?d)\s+(?:ich\s+)?(?:dann|then|it)\s+(?:\w+\s+){0,2}?"
    r"(?:buchen|reservieren|book|reserve)\b|"
    r"(?:i'?d|i\s+would|i'?ll)\s+(?:book|reserve)\s+(?:it\s+|one\s+)?then\b|"
    # "…? If yes I'll book straight away", "…? Wenn ja, buche ich sofort": what one will do on the answer
    r"(?:if\s+(?:so|yes)|wenn\s+ja|falls\s+ja)\W+(?:i'?ll|i\s+will|i'?d|i\s+would|(?:dann\s+)?(?:buche|w(?:ü|ue|u)rde|nehme)\s+ich)\s+"
    r"(?:\w+\s+)?(?:book|reserve|buchen)\b|"
    # "…? Je nachdem nehm ich dann vormittags oder nachmittags", "…? Dann würd ich mich … melden"
    r"(?:je\s+nachdem|depending)\W+|(?:dann|then)\s+(?:w(?:ü|ue|u)rd\w*|m(?:ö|oe)cht\w*|would|i'?d)\s+(?:ich\s+)?(?:mich|me)\b)",
    re.IGNORECASE)


def _has_neg(low: str) -> bool:
    """A cheap test for the words of `_NOT_YET_GATE` (a negation) in the lower-cased text."""
    return ("nicht" in low or "not" in low or "dont" in low or "ohne" in low or "without" in low or "keine" in low
            or "n't" in low) and _NOT_YET_GATE.search(low) is not None


# a booking verb denied: "(noch|bitte) nicht buchen", "buchen möchte ich noch nicht", "ohne zu buchen",
# "don't book it yet", "not booking yet", "without booking" (a correction "nicht X sondern Y" is not one)
_NOT_YET_GATE = re.compile(r"\b(?:nicht|not|dont|ohne|without|keine)\b|n't\b", re.IGNORECASE)
_NOT_YET = re.compile(
    r"\b(?:noch|bitte|erst\s*mal|vorerst|jetzt|gleich|sofort|direkt|aber)\s+(?:noch\s+)?nicht\s+(?:\w+\s+){0,2}?"
    r"(?:buch|reservier|fest\s*mach)\w*|"
    r"\bnicht\s+(?:gleich|sofort|direkt|schon)\s+(?:buch|reservier)\w*|"
    r"\b(?:buch|reservier)\w*\s+(?:m(?:ö|oe|o)chte|will|werde|w(?:ü|ue|u)rde|muss|soll|brauch\w*)\s+ich\s+(?:\w+\s+){0,2}?nicht\b|"
    r"\bohne\s+(?:gleich\s+|direkt\s+|sofort\s+)?zu\s+(?:buchen|reservieren)\b|\bnoch\s+keine\s+buchung\b|"
    r"\bnot\s+(?:to\s+)?(?:book|reserv)\w*\s+(?:it\s+|anything\s+|that\s+)?(?:just\s+)?yet\b|"
    r"\b(?:don'?t|do\s+not|dont)\s+(?:actually\s+)?(?:book|reserve)\s+(?:it\s+|anything\s+|that\s+)?(?:just\s+)?(?:yet|now|for\s+now)\b|"
    r"\bwithout\s+booking\b|\bno\s+booking\s+(?:yet|for\s+now|needed)\b|\bnot\s+(?:ready|going)\s+to\s+book\b",
    re.IGNORECASE)
_NOT_YET_BUT = re.compile(r"\b(?:sondern|stattdessen|lieber|instead|rather)\b", re.IGNORECASE)


def _parse_whole(parser: _Parser, text: str, now: datetime) -> Intent:
    it = parser.parse(text, now)
    if it.intent in _MOVE_INTENTS and it.dates and _MOVE_VERB.search(text):
        moved = _moved(parser, text, now, it)
        if moved is not None:
            return moved
    if it.intent == "absence" and len(it.dates) == 1 and it.dates[0] > now.date() and _UNTIL_ONLY.search(text) \
            and not _FROM_WORD.search(text):  # "Krankgeschrieben bis Mittwoch": from today
        today, last = now.date(), it.dates[0]
        days = (today + timedelta(days=k) for k in range((last - today).days + 1))
        it.dates = [d for d in days if d.weekday() < 5 or d == last]
    if it.intent == "availability" and not it.topic and it.dates and it.space and "?" not in text \
            and _CLAUSE_GATE.search(text):
        # "ich will heute nachmittag nach nottuln, die bib an der uni ist voll 😤": the full place is another one, in a
        # remark that asks nothing and points at nothing of the request ("…, ist da noch was frei?" stays the question)
        req = _one_act(parser, _clauses(text), now, _sure_request,
                       lambda x, p: not x.dates and not x.space and "?" not in p and not _POINTS_BACK.search(p)
                       and not _Q_WORD_ANY.search(p) and x.intent in ("smalltalk", "unknown", "availability"))
        if req is not None:
            req.alternative, req.confidence = "availability", min(req.confidence, 0.85)
            return req
    if it.intent == "availability" and it.topic in ("price", "hours") and _CLAUSE_GATE.search(text):
        # "donnerstag billerbeck. und was kostet eigentlich ein tag?", "Morgen Coesfeld, und wie lange habt ihr da
        # offen?": the request, and a side question the booking's reply answers (it shows the price and the hours)
        parts = [p for p in re.split(r"[,;.!?]\s*|\s+[–—-]\s+", text) if p.strip(" .!?")]
        req = None if _REFERS_BACK.search(text) else _one_act(
            parser, parts, now, _sure_request,
            lambda x, p: x.intent in ("availability", "unknown", "smalltalk", "thanks") and not x.dates and not x.space)
        if req is not None:
            req.alternative, req.confidence = "availability", 0.85
            return req
    qi = text.find("?") if it.intent in ("contingent", "cancel", "smalltalk") else -1
    if 0 <= qi < len(text.rstrip()) - 1:  # a question with a remark after it: what the question alone reads
        asked, after = parser.parse(text[:qi + 1], now), text[qi + 1:]
    else:
        asked = after = None
    if asked is not None and it.intent == "contingent" and asked.intent == "member_contingent":
        return asked  # "was hat der mehmet noch an tagen? der will nächste woche …"
    if asked is not None and it.intent == "cancel" and not _CANCEL_WORD.search(text) \
            and asked.intent in ("list", "contingent", "availability", "who", "help", "company_contingent",
                                 "team_bookings", "member_contingent") and asked.confidence >= 0.75:
        # "was hab ich nächste Woche gebucht? ich blick da nicht mehr durch", "ist der Freitag in Billerbeck? der sagt mir
        # ja nix": the question asks; a "nicht" or "nix" in the remark after it cancels nothing
        return asked
    if asked is not None and it.intent == "smalltalk":
        # "Any colleagues booked in Senden next tuesday? Would be nice to have lunch with someone": the question
        # asks; the remark after it names no day and no place
        if asked.intent in ("who", "availability") and asked.confidence >= 0.85 \
                and (asked.topic == "hours" or not _DAY_CUE.search(after)):  # (a time after an hours question)
            later = parser.parse(after, now)
            if not later.space and not later.dates and later.intent in ("smalltalk", "unknown", "thanks", "help"):
                return asked
    if it.intent == "settings" and it.dates and it.space \
            and (_CLAUSE_GATE.search(text) or " und " in text or " and " in text or "+" in text):
        # "next wed billerbeck pls and can u switch my reminders to 6:45", "Rosendahl nächsten Freitag absagen bitte und
        # erinner mich auch nicht mehr dran": the booking or cancellation is the message's act; the setting waits
        parts = [p for p in re.split(r"[,;.!?]\s*|\s+(?=(?:und|and|\+)\s)", text) if p.strip(" .!?")]
        if 2 <= len(parts) <= 4:
            its = [parser.parse(p, now) for p in parts]
            acts = [x for x in its if x.intent in ("book", "cancel") and x.dates and x.confidence >= 0.85]
            if len(acts) == 1 and any(x.intent == it.intent for x in its):
                acts[0].alternative, acts[0].confidence = it.intent, min(acts[0].confidence, 0.85)
                return acts[0]
    if it.intent == "smalltalk" and it.dates and _CLAUSE_GATE.search(text) and _STOP_CUE.search(text):
        # "streich mal meinen Platz heute in Havixbeck, Zug fällt aus": a clear cancellation, and its reason in a clause
        # that names no day and no place
        act = _one_act(parser, _clauses(text), now,
                       lambda x: (x.intent == "cancel" and x.confidence >= 0.9 or x.intent == "absence"
                                  and x.confidence >= 0.85) and bool(x.dates),
                       lambda x, p: not (x.dates or x.space or x.intent == "book"))
        if act is not None:
            act.confidence = 0.85
            return act
    if it.intent == "availability" and it.dates and it.space and "?" in text and _WISH_AFTER.search(text):
        # "gehts am Donnerstag in Coesfeld? würd gern kommen": the question, then the wish: a request, asked first
        it.intent, it.alternative, it.confidence, it.question = "book", "availability", 0.7, False
        return it
    if it.intent in ("book", "smalltalk", "unknown", "cancel") and text \
            and ("?" not in text or (cm := list(_CORRECTION.finditer(text))) and cm[-1].start() > text.rfind("?")):
        fixed = _corrected(parser, text, now, it)
        if fixed is not None:
            return fixed
    if it.intent in ("book", "availability", "smalltalk", "unknown") and len(it.dates) == 1 \
            and now.date() < it.dates[0] <= now.date() + timedelta(days=7) \
            and (_RECORD_PAST.search(text) or _FORGOT_WAS.match(text) or _WAS_I_THERE.search(text) and _RECORD_ASK.search(text)) \
            and _WEEKDAY_WORD.search(text) and not _NOT_BARE_DAY.search(text):
        # "could you log Tuesday for me in Coesfeld? forgot to book, I was there all day", "Kannst du Dienstag in
        # Coesfeld nachtragen? War den ganzen Tag da": the weekday just gone, a past day (never booked)
        it.dates = [it.dates[0] - timedelta(days=7)]
        it.intent, it.alternative, it.confidence = "past_day", None, 0.85
        return it
    if it.intent in ("book", "smalltalk", "availability", "unknown") and len(it.dates) == 1 and it.dates[0] > now.date() \
            and (_WAS_I_THERE.search(text) or _HAD_SAT.search(text)) and _DAY_ONLY.search(text) and not _MONTH_OR_NEXT.search(text):
        # "Hatte am 19. in Olfen gesessen, die Buchung fehlt aber bei mir": the 19th gone, not the one to come
        d = it.dates[0]
        back = _safe_date(now.year, now.month, d.day) if d.day < now.day else None
        if back is None:
            prev = _add_months(now.date().replace(day=1), -1)
            back = _safe_date(prev.year, prev.month, d.day)
        if back is not None:
            it.dates = [back]
            gone = _RECORD_PAST.search(text) or _RECORD_ASK.search(text) \
                or not _PAST_RECORD_GONE.isdisjoint(_fold_word(x) for x in _LETTERS.findall(text))
            it.intent, it.alternative, it.confidence = ("past_day", None, 0.85) if gone else ("smalltalk", "past_day", 0.7)
            return it
    if it.intent == "book" and it.dates and min(it.dates) < now.date() and _RECORD_PAST.search(text):
        # "... Ich meinte Freitag, den 20. Kannst du den noch nachtragen?": recorded after the fact: the days gone
        it.dates = [d for d in it.dates if d < now.date()]
        it.intent, it.alternative, it.confidence = "past_day", None, 0.85
        return it
    if it.intent == "cancel" and len(it.dates) >= 2 and _STAYS.search(text):
        # "morgen Billerbeck canceln bitte + Di bleibt": the day that stays is not cancelled
        kept_days = set()
        for part in _SWAP_CUT.split(text):
            if part and _STAYS.search(part):
                kept_days |= set(parser.parse(part, now).dates)
        if kept_days and set(it.dates) - kept_days:
            it.dates = [d for d in it.dates if d not in kept_days]
    if len(it.dates) >= 3 and it.intent in ("book", "availability") and _PLURAL_DAY_GATE.search(text) \
            and not _RECUR_WORD.search(text):
        # "Is it possible to book Rosendahl on Wednesday morning? I work only until 12 on Wednesdays", "usually packed
        # on Thursdays? Thinking about this Thursday": the plural is a habit, the singular the day asked for
        for mm in _PLURAL_DAY_GATE.finditer(text):
            one = re.search(rf"\b{mm.group(1)}(?!s)\b", text, re.IGNORECASE)
            if one is not None:
                days = parser.parse(text[max(0, one.start() - 12):one.end()], now).dates
                if len(days) == 1 and days[0] in it.dates:
                    it.dates = days
                    break
    if it.intent == "cancel" and it.dates and (_SWAP_GATE.search(text) or "+" in text):
        swapped = _cancel_and_book(parser, text, now, it)
        if swapped is not None:
            return swapped
    if it.intent == "cancel" and len(it.dates) >= 2 and _CLAUSE_GATE.search(text):
        # "Ich hatte ja für Mittwoch und Freitag Dülmen, den Freitag brauch ich nicht mehr": only that day
        parts = _clauses(text)
        its = [parser.parse(p, now) for p in parts] if 2 <= len(parts) <= 6 else []
        cancels = [x for x in its if x.intent == "cancel" and x.dates]
        if len(cancels) == 1 and set(cancels[0].dates) < set(it.dates) \
                and all(x is cancels[0] or x.intent != "cancel" for x in its) \
                and not any(_ALSO_SENTENCE.match(p) and _ALSO.search(p) for p in parts[1:]):  # "…, und Do auch"
            it.dates = cancels[0].dates
            return it
    if it.intent == "book" and len(it.dates) >= 2 and (pick := _CHOICE_PICK.search(text)):
        # "Mittwoch oder Donnerstag Billerbeck, egal welcher – nimm Mittwoch": the day picked at the end
        picked = parser.parse(pick.group(1), now).dates
        if picked and set(picked) < set(it.dates):
            it.dates = picked
            return it
    if (it.intent in _CLAUSE_INTENTS or it.intent == "who" and "?" in text and "," in text) and text \
            and (it.dates or it.intent == "absence") and _CLAUSE_GATE.search(text):
        # gated: each clause is parsed again, so only where an aside can change the reading
        unsure = it.intent != "book" or it.confidence < CONFIDENT or not _TOPIC.isdisjoint(_LETTERS.findall(text.lower()))
        if (unsure or len(it.dates) > 1) if it.intent == "book" else bool(it.space):
            res = _request_clause(parser, text, now, it, unsure)
            if res is not None:
                return res
    if (it.intent in _AROUND_A_REQUEST or it.intent in ("book", "cancel", "contingent", "list")) and text \
            and _SENTENCE_END.search(text):
        res = _request_sentence(parser, text, now, it) or it
        if res.intent == "book" and res.space and _ALSO.search(text):
            _add_days_too(parser, text, now, res)
        return res
    return it


# A request in one clause, an aside with its own days in another ("kita hat am do zu, also mach mir lieber fr in senden",
# "mittwoch und donnerstag duelmen, freitag bin ich eh nicht da", "am 23.12 noch coesfeld, danach urlaub", "glatteis
# heute, aber morgen will ich nach coesfeld"): the aside is small talk, an absence or a past day; its days are no booking.
_CLAUSE_INTENTS = frozenset({"book", "absence", "smalltalk", "unknown", "help"})
_CLAUSE_GATE = re.compile(r"[,;.!?\U0001F300-\U0001FAFF\u2600-\u27BF]|\s[–—-]\s|"
                          r"\b(?:aber|but|also|anyway|anyhow|jedenfalls|deshalb|daher|darum|trotzdem|danach|so)\b", re.IGNORECASE)
_CLAUSE_SPLIT = re.compile(r"\s*[,;]\s*|\s+[–—-]\s+|(?<=[^\W\d_]{3}\.)\s+|(?<=[!?])\s+|(?<=[\U0001F300-\U0001FAFF\u2600-\u27BF])\s+|"
                           r"\s+(?=(?:aber|but|also|anyway|anyhow|jedenfalls|deshalb|daher|darum|trotzdem|danach)\b)|"
                           r"\s+(?=so\s+(?:i|we|i'd|i'll|i'm|ich|wir|kannst|could|can|let'?s)\b)", re.IGNORECASE)  # "..., so I need"
_Q_WORD_ANY = re.compile(r"\b(?:wie|was|wo|wer|wann|ob|how|what|which|whichever|where|who|when|whether|if|falls|wenn)\b",
                         re.IGNORECASE)
_POINTS_BACK = re.compile(r"\b(?:da|dort|dann|there|it|es|that|das)\b", re.IGNORECASE)
_REFERS_BACK = re.compile(r"\b(?:kostet|kosten|geht|klappt|passt|cost|costs|is|would)\s+(?:mich\s+|me\s+)?(?:das|dies|es|it|that|this)\b|"
                          r"\bhow\s+much\s+(?:is|would\s+be)\s+(?:that|it|this)\b", re.IGNORECASE)
_CANCEL_WORD = re.compile(r"\b(?:stornier\w*|storno\w*|absag\w*|sag\w*\s+(?:\w+\s+)?ab\b|l(?:ö|oe)sch\w*|cancel\w*|streich\w*|"
                          r"raus(?:nehmen)?\b|delete|remove|drop|weg\b)", re.IGNORECASE)
_DAY_CUE = re.compile(r"\d|\b(?:heute?|morgen|uebermorgen|übermorgen|gestern|today|tomorrow|tmrw|yesterday|tonight|woche|week|"
                      r"wochenende|weekend|kw|weihnacht\w*|silvester|heiligabend|christmas|xmas|new\s+year|neujahr|"
                      r"(?:mon|diens|mittwoch|donners|frei|sams|sonn)\w*|mo|di|mi|do|fr|sa|so|"
                      r"(?:mon|tues|wednes|thurs|fri|satur|sun)day\w*|mon|tue|wed|thu|fri|sat|sun)\b", re.IGNORECASE)
_ASIDE = frozenset({"smalltalk", "absence", "past_day", "help", "thanks"})
# a past day whose record is missing: "war ich in Havixbeck, taucht nicht in der Abrechnung auf", "vergessen einzuchecken"
_FORGOT_RECORD = re.compile(r"\bforgot\s+to\s+(?:check\s*in|book|log|register|sign\s+in|scan)\b|"
                            r"\bvergessen\b.{0,24}\b(?:zu\s+buchen|einzuchecken|einzutragen|anzumelden)\b|"
                            r"\b(?:buchen|einchecken|eintragen|anmelden|check-?in)\s+vergessen\b")
# the words that name a booking to remove: a cancellation, not just an absence
_CANCEL_OBJECT = re.compile(r" (?:buchung\w*|booking\w*|reserv\w*|platz|plaetze|desk|desks|tisch|seat|spot|stornier\w*|storno\w*|"
                            r"cancel\w*|absag\w*|sag|loesch\w*|delete|remove|freigeb\w*|frei|rausnehm\w*|austrag\w*|streich\w*|"
                            r"drop|release|free|undo) ")
# why the sender is away, beside "not coming": "Weihnachtsfeier", "training course", "dentist", "Grippe"
_AWAY_REASON = re.compile(r"\b(?:\w*feier\w*|party|training\w*|schulung\w*|fortbildung\w*|seminar\w*|course|kurs\w*|"
                          r"konferenz\w*|conference|messe|dentist\w*|\w*arzt\w*|doctor\w*|termin\w*|appointment\w*|krank\w*|"
                          r"sick|ill|grippe|flu|fever|fieber|erk(?:ä|ae)ltet|urlaub\w*|vacation|holiday\w*|day\s+off|frei|"
                          r"kind\w*|kids?|child\w*|kita|schule|school|handwerker|homeoffice|home\s+office|wfh|dienstreise|"
                          r"business\s+trip|kunde\w*|client\w*|beerdigung|funeral|hochzeit|wedding|\w*streik\w*|strike|"
                          r"springt\s+nicht\s+an|panne|breakdown|won'?t\s+start|snow\s+day|schneechaos|glatteis|"
                          r"unwetter|blizzard)\b")
_PAST_RECORD_GONE = frozenset({"einzuchecken", "einchecken", "eingecheckt", "abrechnung",
                               "statistik", "fehlt", "missing", "gezaehlt", "counted", "taucht", "angerechnet", "credited",
                               "gutschreiben", "gutgeschrieben", "billing", "invoice", "rechnung", "unangemeldet",
                               "unannounced", "verbucht", "recorded", "logged", "erfasst", "registered", "uebersicht",
                               "overview"})


def _sure_request(x: Intent) -> bool:
    """A clause that is a sure booking of a day in a place."""
    return x.intent == "book" and bool(x.dates) and bool(x.space) and x.confidence >= 0.85


def _one_act(parser: _Parser, parts: list[str], now: datetime, is_act, is_remark) -> Intent | None:
    """The one clause of 2 to 4 `parts` that `is_act` accepts, when `is_remark(intent, text)` accepts every other."""
    if not 2 <= len(parts) <= 4:
        return None
    its = [parser.parse(p, now) for p in parts]
    acts = [x for x in its if is_act(x)]
    if len(acts) != 1 or not all(x is acts[0] or is_remark(x, p) for x, p in zip(its, parts)):
        return None
    return acts[0]


def _clauses(text: str) -> list[str]:
    """The clauses of a message (`_CLAUSE_SPLIT`), the empty ones and bare punctuation left out."""
    return [p for p in _CLAUSE_SPLIT.split(text) if p and p.strip(" .!?")]
_ASIDE_TALK = _WEATHER | {"wetter", "regen", "regnen", "schnee", "nebel", "kalt", "weather", "rain", "snow", "fog", "cold",
                          # the place's facilities, asked beside a request
                          "kaffee", "coffee", "tee", "tea", "parken", "parkplatz", "parkplaetze", "parking", "kuehlschrank",
                          "fridge", "wlan", "wifi", "internet", "drucker", "printer", "kueche", "kitchen", "mikrowelle",
                          "microwave", "dusche", "shower", "spind", "locker", "toilette", "toilet", "snacks", "heizung"}


def _request_clause(parser: _Parser, text: str, now: datetime, whole: Intent, unsure: bool) -> Intent | None:
    """`unsure`: the whole is no booking, or an unsure one, or one with a small-talk word (see `_parse_whole`)."""
    parts = _clauses(text)
    if not 2 <= len(parts) <= 8:
        return None
    if not unsure and len(whole.places) < 2 and sum(bool(_DAY_CUE.search(p)) for p in parts) < 2:
        return None  # a sure booking whose days are all in one clause: dropping another clause changes nothing
    if _CORRECTION.search(text):
        return None  # "Friday? Actually no, Thursday works better — Friday I've got the kids": the correction decides
    kept, aside, talk, kept_its, side_q = [], 0, 0, [], 0
    for p in parts:
        got = parser.parse(p, now)
        if got.intent in _ASIDE and not _ALSO.search(p) and (got.dates or got.intent != "help" or whole.intent != "book"):
            # ("Oh and Friday too if you can": a request; a greeting beside a booking changes nothing)
            aside += 1
            talk += got.intent == "smalltalk"
        elif got.intent == "who" and not got.dates and not got.space and "?" in p and len(parts) == 2 \
                and whole.intent == "who":
            aside += 1  # "morgen Coesfeld, und wer ist da sonst noch so?": the request, and who else is there
            side_q += 1
        elif got.intent == "unknown" and not got.dates and not got.space and not _ASIDE_TALK.isdisjoint(
                _fold_word(w) for w in _LETTERS.findall(p)):
            aside += 1  # "Morgen Coesfeld bitte, und regnet das eigentlich wieder?": a remark on the weather, no day
            talk += 1   # "Senden for Wednesday and also could you tell me if parking is free there?": the place's
            side_q += 1  # kitchen, parking or coffee asked beside the request
        else:
            kept.append(p)
            kept_its.append(got)
    if not kept and talk == len(parts) and whole.intent == "book":
        # "preussen münster plays on sunday, half of ascheberg will be watching haha": chit-chat in every clause
        whole.intent, whole.confidence, whole.alternative = "smalltalk", 0.6, "book"
        return whole
    if not aside or not kept:
        return None
    if _TAKES_BACK.search(", ".join(kept)):
        return None  # "morgen Dülmen, nee doch nicht, ...": taken back
    sure = [x for x in kept_its if x.intent == "book" and x.confidence >= 0.85 and x.dates and x.space]
    if len(sure) == 1 and whole.intent != "book" and all(x is sure[0] or x.confidence < CONFIDENT for x in kept_its):
        rest = sure[0]  # "I was going to go to Coesfeld Friday but ..., so let's do Senden on Friday instead"
    else:
        rest = parser.parse(", ".join(kept), now)
    if rest.intent == "book" and rest.dates and rest.space and not rest.legs and aside == side_q \
            and 0.6 <= rest.confidence < CONFIDENT and whole.intent != "book":
        # "Kannst du Freitag Nordkirchen machen? Und sag mal, gibts da Kaffee?": an unsure request beside a side
        # question stays an unsure request (asked with buttons), not small talk
        rest.confidence, rest.alternative = min(rest.confidence, 0.7), whole.intent
        return rest
    if rest.intent != "book" or not rest.dates or rest.confidence < CONFIDENT or rest.legs:
        return None
    if whole.intent == "book":
        other_place = bool(rest.space and whole.space and rest.space != whole.space)  # "... Coesfeld ..., so let's do Senden"
        if not (set(rest.dates) < set(whole.dates) and (not whole.space or rest.space == whole.space)
                or other_place and set(rest.dates) <= set(whole.dates)):
            return None
        # the aside's words made the whole unsure; a request that is sure without them stands ("kita hat am do zu,
        # also mach mir lieber fr in senden")
        rest.confidence = min(rest.confidence, 0.9) if rest.confidence >= 0.9 else min(rest.confidence, whole.confidence)
        return rest
    if not rest.space:
        return None
    # the whole read as an absence or small talk: a request beside it is acted on only after a question, unless it
    # says "book" itself
    rest.confidence, rest.alternative = (0.8 if rest.confidence >= 0.95 else 0.7), whole.intent
    return rest


# A booking moved to other days: "kannst du mein Olfen von Dienstag auf Donnerstag schieben?", "move my wednesday
# booking to thursday", "postpone my Olfen day from Tuesday to next Monday": the days after the "to" are the request,
# the ones before it the booking to move (`move_from`; the booking handler offers the move, nothing is cancelled first)
_MOVE_INTENTS = frozenset({"book", "cancel", "list", "unknown", "smalltalk", "availability", "settings"})
_MOVE_VERB = re.compile(r"\b(?:verschieb\w*|schieb\w*|verleg\w*|umbuch\w*|umleg\w*|move|moving|postpone|shift|reschedule|"
                        r"change|switch|tausch\w*|push)\b|\b(?:leg|lege|legt|buch|buche|bucht)\b.{0,60}\bum\b", re.IGNORECASE)
_MOVE_IT = re.compile(r"^\W*(?:(?:kannst\s+du|could\s+you|can\s+you|bitte|please)\s+)?(?:verschieb\w*|schieb\w*|verleg\w*|move|"
                      r"shift|push|postpone)\s+(?:das|es|sie|die\s+buchung|den\s+platz|it|that|this|the\s+booking)\s+"
                      r"(?:bitte\s+|please\s+)?(?:auf|to|onto)\b"
                      r"|\b(?:kannst\s+du|koenntest\s+du|könntest\s+du|bitte)\s+(?:das|es|sie|die\s+buchung)\s+"
                      r"(?:bitte\s+)?auf\s+(?:\S+\s+){1,3}?(?:verschieben|schieben|verlegen)\b", re.IGNORECASE)
_MOVE_TO = re.compile(r"\s(?:auf|to|onto|until|till)\s+(?:den\s+|dem\s+|the\s+)?", re.IGNORECASE)


# A cancellation and a new booking in one message ("Storno für Donnerstag in Billerbeck, dafür bitte Freitag dort",
# "cancel my thursday in olfen and put me in for friday instead"): a move, offered as one step (`move_from`)
_SWAP_GATE = re.compile(r"\b(?:dafuer|dafür|stattdessen|statt\s*dessen|instead|and\s+then|und\s+dann|book|buch\w*|put\s+me)\b",
                        re.IGNORECASE)
_SWAP_CUT = re.compile(r"[,;.]\s*|\s+(?=(?:und|and|aber|but)\b)|\s+[–—-]\s+|\s*\+\s*")
_RECORD_PAST = re.compile(r"\b(?:nachtragen|nachbuchen|nachtr(?:ä|ae)glich|log\s+(?:\w+\s+)?(?:for\s+me|retroactively)|"
                          r"retroactively|r(?:ü|ue)ckwirkend)", re.IGNORECASE)
# "forgot to book" alone may be the coming day; with "I was there" it is the one gone
_FORGOT_WAS = re.compile(r"(?=.*\b(?:forgot|forgotten|vergessen|verpennt|verschwitzt)\b)"
                         r"(?=.*\b(?:i\s+was\s+(?:there|in)|was\s+there|war\s+(?:ich\s+)?(?:\w+\s+){0,3}?(?:da|dort|in)\b|"
                         r"gearbeitet|worked\s+(?:there|in|from))\b)", re.IGNORECASE | re.DOTALL)
_WEEKDAY_WORD = re.compile(r"\b(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|monday|tuesday|wednesday|thursday|friday|"
                           r"saturday|mo|di|mi|do|fr|sa|mon|tue|tues|wed|thu|thurs|fri|sat)\b\.?", re.IGNORECASE)
# "Samstag war ich in Senden, zählt das auch? Bitte eintragen": the sender was there, and asks for the record
_WAS_I_THERE = re.compile(r"\b(?:war\s+ich|ich\s+war|i\s+was|was\s+i|sa(?:ß|ss)\s+ich|ich\s+sa(?:ß|ss)|i\s+sat|sat\s+in|"
                          r"i\s+worked|hab\s+ich\s+(?:\w+\s+){0,3}?gearbeitet)\b", re.IGNORECASE)
_HAD_SAT = re.compile(r"\b(?:hatte|habe|hab)\s+(?:ich\s+)?(?:\w+\s+){0,4}?(?:gesessen|gearbeitet)\b|\bgesessen\b", re.IGNORECASE)
_DAY_ONLY = re.compile(r"\b(?:am|den|dem|on\s+the|the)\s+\d{1,2}(?:\.|st|nd|rd|th)(?!\s*\d)", re.IGNORECASE)
_MONTH_OR_NEXT = re.compile(r"\b(?:n(?:ä|ae)chste\w*|kommende\w*|next|coming|januar|februar|m(?:ä|ae)rz|april|mai|juni|juli|august|"
                            r"september|oktober|november|dezember|january|february|march|may|june|july|october|december|"
                            r"jan|feb|dez|dec|nov|okt|oct)\b", re.IGNORECASE)
_RECORD_ASK = re.compile(r"\b(?:eintragen|eingetragen|erfassen|z(?:ä|ae)hlt|anrechnen|angerechnet|gutschreiben|add(?:ed)?|"
                         r"log(?:ged)?|count(?:s|ed)?|record(?:ed)?|register(?:ed)?)\b", re.IGNORECASE)
_NOT_BARE_DAY = re.compile(r"\d|\b(?:n(?:ä|ae)chste\w*|kommende\w*|next|coming|morgen|tomorrow|(?:ü|ue)bermorgen|"
                           r"diese\w*|this|heute|today)\b", re.IGNORECASE)
_STAYS = re.compile(r"\b(?:bleibt|bleiben|bleibt\s+bestehen|stays|remains|stay)\b", re.IGNORECASE)
_PLURAL_DAY_GATE = re.compile(r"\b((?:mon|tues|wednes|thurs|fri)day|montag|dienstag|mittwoch|donnerstag|freitag)s\b", re.IGNORECASE)
_RECUR_WORD = re.compile(r"\b(?:every|each|jeden|jede|jedem|immer|alle|regelm(?:ä|ae)(?:ß|ss)ig|regularly|weekly|w(?:ö|oe)chentlich)\b",
                         re.IGNORECASE)
_CANCEL_VERB_AFTER = re.compile(r"^\W*(?:(?:und|and|dann|then|bitte|please|pls|aber|but|mal)\W+)*(?:streich\w*|stornier\w*|storno|cancel\w*|absag\w*|sag\w*\s+(?:\w+\s+)?ab|"
                                r"loesch\w*|lösch\w*|drop|remove|raus)\b", re.IGNORECASE)


def _cancel_and_book(parser: _Parser, text: str, now: datetime, whole: Intent) -> Intent | None:
    for mm in _SWAP_CUT.finditer(text):
        head, tail = text[:mm.start()], text[mm.end():]
        if not tail.strip() or not head.strip():
            continue
        old, new = parser.parse(head, now), parser.parse(tail, now)
        if old.intent == "book" and old.dates and new.intent == "cancel" and new.dates and not new.question \
                and _CANCEL_VERB_AFTER.search(tail):
            old, new = new, old  # "buch mal eben Do Coesfeld, und streich dafür den Mittwoch", "Fr Rosendahl + streich Do"
        elif old.intent != "cancel" or not old.dates or new.intent != "book" or not _SWAP_GATE.search(tail) \
                or not (new.dates or new.space and old.space and new.space != old.space):
            continue
        if not new.dates or set(new.dates) == set(old.dates) and new.space and old.space and new.space != old.space:
            # "Cancel Tuesday in Havixbeck and book me Nottuln instead": the same day in the other place; the booking
            # feature offers to move the day's booking there (a day booked elsewhere is asked about, never doubled)
            if min(old.dates) < now.date():
                return None
            new.dates, new.alternative, new.question = list(old.dates), "cancel", False
            new.confidence = min(max(new.confidence, 0.8), 0.85)
            return new
        if set(old.dates) & set(new.dates) or min(new.dates) < now.date():
            return None
        new.space = new.space or old.space  # "dafür bitte Freitag dort": the same place
        new.move_from, new.alternative, new.question = old.dates, "cancel", False
        new.confidence = min(max(new.confidence, 0.8), 0.85)
        return new
    return None


def _moved(parser: _Parser, text: str, now: datetime, whole: Intent) -> Intent | None:
    if len(whole.dates) == 1 and (whole.intent != "book" or whole.question or whole.confidence < CONFIDENT) \
            and _MOVE_IT.search(text) and whole.dates[0] >= now.date():
        # "verschieb das auf Donnerstag", "move it to Friday": a change of the booking just made (the booking
        # feature offers it when there is one, else asks for the place)
        whole.intent, whole.alternative, whole.question = "book", "cancel", False
        whole.confidence = 0.8
        return whole
    for mm in _MOVE_TO.finditer(text):
        head, tail = text[:mm.start()], text[mm.start():]
        old, new = parser.parse(head, now).dates, parser.parse(tail, now).dates
        if old and new and not set(old) & set(new) and min(new) >= now.date():
            whole.intent, whole.alternative = "book", "cancel"
            whole.dates, whole.move_from, whole.legs = new, old, []
            whole.question = False  # "kannst du ... schieben?" asks for the move (which is asked before it is done)
            whole.confidence = 0.8 if "?" in text else 0.85
            return whole
    return None


# "Donnerstag Nottuln. Ach und Freitag auch, gleicher Ort.", "Thursday in Olfen please. Oh and Friday too, same place."
_ALSO = re.compile(r"\b(?:auch|ebenfalls|too|as\s+well|also)\b", re.IGNORECASE)
_ALSO_SENTENCE = re.compile(r"^\W*(?:(?:ach|oh|und|and|plus|also)\b\W*)+", re.IGNORECASE)


def _add_days_too(parser: _Parser, text: str, now: datetime, it: Intent) -> bool:
    added = False
    for part in _sentences(text)[1:]:
        if not _ALSO_SENTENCE.match(part) or not _ALSO.search(part):
            continue
        if any(parser.space_keys.get(_fold_word(w), it.space) != it.space for w in re.findall(r"\w+", part)):
            continue  # "Und Freitag auch Senden": another place, another request
        more = parser.parse(part, now)
        if more.dates and more.intent in ("book", "unknown", "smalltalk") and min(more.dates) >= now.date() \
                and not set(more.dates) <= set(it.dates):
            it.dates = sorted(set(it.dates) | set(more.dates))
            added = True
    return added


# "our company contingent", "unserem Unternehmen": the employer's view, even from an "I" ("I'm the office manager")
# absence words that say the sender is away on that day (not only why they want the desk)
_K_ABSENCE_SELF = frozenset({"urlaub", "krank", "sick", "ill", "vacation", "holiday", "holidays", "ferien", "krankgeschrieben",
                             "abwesend", "away", "off", "elternzeit", "dienstreise"})
_INSTEAD_GATE = frozenset({"statt", "anstatt", "instead"})
_INSTEAD_HOME = re.compile(r"\b(?:statt|anstatt|instead\s+of)\s+(?:(?:im|dem|the|of)\s+)?(?:homeoffice|home[\s-]?office|wfh|"
                           r"zu\s*hause|daheim|working\s+from\s+home|home|buero|office)\b")
_HOME_GATE = frozenset({"homeoffice", "home", "wfh", "hause", "zuhause", "daheim", "mobil"})
_HOMEOFFICE = re.compile(r"\b(?:homeoffice|home[\s-]?office|wfh|(?:work(?:ing)?|arbeite\w*)\s+from\s+home|zu\s*hause|daheim|"
                         r"mobil\w*\s+arbeit\w*)\b")
_DAY_AFTER_GATE = frozenset({"after", "danach", "drauf", "darauf", "next", "before", "davor", "vorher"})
_DAY_AFTER = re.compile(r"(?:\b(?:and|und|plus)|[+&])\s+(?:(?:the\s+)?day\s+after(?!\s+(?:tomorrow|next|that\s+\w+day))|the\s+next\s+day|"
                        r"(?:den|am)\s+tag\s+(?:danach|drauf|darauf)|(?:den\s+)?tag\s+drauf|"
                        r"(?P<before>(?:the\s+)?day\s+before(?!\s+(?:yesterday|\w+day|christmas|new))|(?:den|am)\s+tag\s+(?:davor|vorher)))\b")
_SERIES_FROM = re.compile(r"\b(?:ab|from|starting(?:\s+on)?|beginning(?:\s+on)?|beginnend)\s+(?:dem\s+|den\s+|the\s+|on\s+)?$")
_FOR_WEEKS = re.compile(rf"\b(?:fuer|for|erstmal|erst\s+mal|zunaechst|first)\s+(?:(?:die|the)\s+)?(?:naechsten\s+|next\s+)?"
                        rf"(\d{{1,2}}|{'|'.join(sorted((k for k in _NUMWORDS if len(k) > 2), key=len, reverse=True))})\s+(?:wochen|weeks)\b")
_EXCEPT_GATE = frozenset({"ausser", "auf", "except", "excluding", "but", "apart", "other", "ohne", "ausgenommen", "nicht", "not",
                          "won't", "wont", "doesn't", "doesnt"})
# "außer Freitag", "but not Friday", "aber bloß nicht am Freitag", "nicht heute, sondern morgen": that day is left out
_EXCEPT = re.compile(r"\b(?:ausser|bis\s+auf|ausgenommen|except(?:\s+for)?|excluding|but\s+not|apart\s+from|other\s+than|ohne|"
                     r"(?:(?:aber|und|doch)\s+)?(?:(?:bloss|blos|nur|halt|eben|bitte)\s+)?nicht|(?:but|and)\s+(?:please\s+)?not|"
                     r"^\W*not)"
                     r"\s+(?:(?:den|dem|am|on|the|a)\s+)?$")
_EXCEPT_AFTER = re.compile(r"\s+(?:nicht|not)\s*(?=[,.;!?]|$)|"  # "Montag Olfen, Dienstag nicht"
                           # "Saturday in Lüdinghausen won't work I guess, so Friday then", "Mittwoch geht nicht, …"
                           r"\s+(?:(?:in|im|at)\s+\w+\s+)?(?:won'?t|doesn'?t|does\s+not|will\s+not)\s+work\b|"
                           r"\s+(?:(?:in|im)\s+\w+\s+)?(?:geht|klappt|passt)\s+(?:(?:bei\s+mir|leider|eh|ja|irgendwie|halt|doch|"
                           r"wohl|dann|auch)\s+){0,2}nicht\b")
_WHO_OF_FIRM = re.compile(r"\b(?:wer|who)\s+(?:aus|von|from|of|in|at)\s+(?:der|unserer|meiner|dem|unserem|the|our|my)\s+"
                          r"(?:firma|company|unternehmen|betrieb|abteilung|team|department|firm)\b")
_AFTER_NEXT = re.compile(r"\s+after\s+next\b")
_ANYONE_STILL = re.compile(r"\b(?:hat|has)\s+(?:da\s+|dort\s+|denn\s+)?(?:wer|jemand|anyone|anybody)\s+(?:noch|still)\b"
                           r"|\b(?:wer|anyone|anybody)\s+(?:hat|has)\s+(?:noch|still)\b")
_WHICH_OF_OURS = re.compile(r"\b(?:welche|wer|which|who)\s+(?:von|of)\s+(?:unseren|meinen|den|our|my)\s+(?:jungs|maedels|leuten|"
                            r"mitarbeiter\w*|kolleg\w*|azubis|people|staff|guys|employees|team)\b")
_STAFF_BOOKED = re.compile(r"\b(?:did|have|has|had)\b.*\b(?:book|booked|reserved?)\b|\bgebucht\b|\bbuchungen\b|\bbookings\b")
_MANAGER_WORDS = frozenset({"chef", "chefin", "manager", "boss", "vorgesetzte", "vorgesetzter", "teamleiter", "teamleiterin",
                            "supervisor", "teamlead", "lead"})
_MANAGER_OF = re.compile(r"\b(?:i'?m|i\s+am|ich\s+bin)\s+(?:his|her|their|sein\w*|ihr\w*)\s+(?:chef|chefin|manager|boss|"
                         r"vorgesetzte\w*|teamleiter\w*|supervisor|lead)\b")


def _has_book_request(s: str) -> bool:
    """A request to book in the words ("buch mir", "book me", "reservier"), not a question about bookings."""
    return bool(_BOOK_ME.search(s))


_BOOK_ME = re.compile(r"\b(?:buch|buche|reservier\w*)\s+(?:mir|uns|mich)\b|\b(?:book|reserve)\s+(?:me|us)\b")
_OUR_FIRM = re.compile(r"\b(?:for|fuer|of|von)\s+(?:my|meine|meinen|mein)\s+(?:company|firm|firma|unternehmen|betrieb|employer)\b|"
                       r"\b(?:hr|personaler\w*|personalabteilung|admin\w*|office\s+manager\w*|geschaeftsfuehr\w*|inhaber\w*|owner)\b"
                       r".{0,80}\b(?:our|unser\w*)\b|"  # "I'm the HR person at ... – how much of our contingent ...?"
                       r"\b(?:zustaendig|verantwortlich|responsible|in\s+charge)\b.*\b(?:budget|kontingent|contingent)"
                       r"|\b(?:budget|kontingent|contingent)\w*\s+(?:\w+\s+)?(?:zustaendig|verantwortlich|responsible)\b"
                       r"|\b(?:our|unser\w*)\s+(?:company|firm|firma|unternehmen\w*|betrieb\w*|organisation|organization|"
                       r"abteilung|department)\b|\b(?:wir|we)\s+(?:\w+\s+){0,2}?(?:als|as\s+an?)\s+(?:company|firm|firma|"
                       r"unternehmen|betrieb|arbeitgeber|employer|organisation|organization)\b")  # "haben wir als Unternehmen noch"
_UNTIL_ONLY = re.compile(r"\b(?:bis|until|till|through|thru)\b", re.IGNORECASE)
_FROM_WORD = re.compile(r"\b(?:ab|von|vom|from|starting|zwischen|between|nach|after|am|on)\b", re.IGNORECASE)


# A correction inside the message ("morgen Dülmen, nee doch Senden", "Senden tomorrow, no wait, Dülmen", "Fr Ascheberg.
# ach nee, Do."): what follows the last correction replaces the same kind of slot before it (place, days, part, time).
_CORRECTION = re.compile(
    r"(?:^|(?<=[\s,.;:!(-]))(?:"
    r"(?:(?:ach|oh|äh|aeh|ähm|aehm|hm+)\b\s*,?\s*)?(?:nee|ne|nö|noe|nein|no|nope|nah)\s*[,.!]?\s*"
    r"(?:doch|warte|wait|lieber|besser|eher|eigentlich|sorry|i\s+mean|ich\s+mein\w*|actually|rather|make\s+(?:it|that))\b"
    r"|(?:ach|oh|oder|or|actually|warte|wait)\b\s*,?\s*(?:actually\s+|eigentlich\s+)?(?:nee|ne|nö|noe|no|nein|nah)\b"
    r"|(?<=[,.;!?]\s)nah\b|(?:so|also|dann|then)\s+(?:doch\s+)?(?:rather|lieber)\b"  # "…? nah, …", "so rather Dec 9"
    r"|(?:actually\s+)?scratch\s+that\b(?:\s*,?\s*make\s+it\b)?|hab\s+mich\s+vertan\b|i\s+made\s+a\s+mistake\b"
    r"|(?:sorry|pardon|korrektur|correction)\s*[,:]?\s*(?:i\s+mean|ich\s+mein\w*)\b"
    r"|(?:korrektur|correction)\s*:"
    r"|oder\s+doch(?:\s+lieber)?\b|make\s+that\b|(?:but|aber)\s+(?:actually|eigentlich\s+doch)\b"
    r"|(?:nee|ne|nein|no|ach|ach\s+was)\s*,?\s*(?:quatsch|unsinn|nonsense|rubbish)\b)\s*[,.:!–—-]*",  # "..., ne Quatsch, Freitag"
    re.IGNORECASE)


_PREFER_TAIL = re.compile(r"^\W*(?:doch\s+)?(?:lieber|eher|besser|rather|instead)\b|^\W*(?:doch|lieber)\b", re.IGNORECASE)
_NEW_END = re.compile(r"^\W*(?:nur\s+|only\s+|just\s+)?(?:bis|until|till|to)\s+(?:zum\s+|the\s+)?(\d{1,2})\.?(?:st|nd|rd|th)?\W*$",
                      re.IGNORECASE)
_LEAD_CORRECTION = re.compile(r"^\W*(?:sorry\s*,?\s*)?(?:(?:ich\s+hab|hab(?:e)?)\s+mich\s+vertan|korrektur|correction|"
                              r"i\s+made\s+a\s+mistake|my\s+mistake|my\s+bad)\b\s*[,.:!–—-]*", re.IGNORECASE)


def _corrected(parser: _Parser, text: str, now: datetime, whole: Intent) -> Intent | None:
    lead = _LEAD_CORRECTION.match(text)
    if lead and whole.intent in ("smalltalk", "unknown"):  # "hab mich vertan, nicht Ascheberg sondern Nordkirchen, …"
        rest = parser.parse(text[lead.end():], now)
        return rest if rest.intent == "book" and (rest.dates or rest.space) else None
    marks = [m for m in _CORRECTION.finditer(text) if m.start() > 0]
    if not marks:
        return None
    head, tail = text[:marks[-1].start()], text[marks[-1].end():]
    if not tail.strip() or not head.strip():
        return None
    before, after = parser.parse(head, now), parser.parse(tail, now)
    if len(parts := [p for p in re.split(r"(?<=[^\W\d_]\.)\s+|(?<=[!?])\s+|\s*[,;]\s+|\s+[–—-]\s+", tail)
                     if p.strip(" .!?")]) > 1:
        # "no wait, dentist tomorrow. thursday then", "No wait, the one on 4 Dec! The 3rd stays.": the sentence that
        # names the new day, not its reason nor the day that stays
        named = [x for p in parts if not _STAYS.search(p) and not _BUSY.search(p.lower())
                 and ((x := parser.parse(p, now)).dates or x.space)]
        if named:
            after = named[-1]
    end = _NEW_END.match(tail)
    if end and before.intent == "book" and len(before.dates) > 1:
        # "ascheberg 11.1. bis 13.1., ne eigentlich nur bis 12.": the range ends earlier (or later: "nee, bis zum 14.")
        first, last = before.dates[0], _safe_date(before.dates[-1].year, before.dates[-1].month, int(end.group(1)))
        whole_span = (before.dates[-1] - first).days + 1 == len(before.dates)
        if last is not None and first <= last and (last < before.dates[-1] or whole_span and last <= first + timedelta(days=62)):
            before.dates = [d for d in before.dates if d <= last] + \
                [before.dates[-1] + timedelta(days=k) for k in range(1, (last - before.dates[-1]).days + 1)]
            before.confidence = min(max(whole.confidence, before.confidence, 0.8), 0.85)
            return before
    if before.intent == "smalltalk" and before.alternative == "book" and after.dates and _PREFER_TAIL.match(tail):
        before.intent = "book"  # "Ich wollte eigentlich Dienstag nach Coesfeld, aber nee, doch lieber Mittwoch."
    if before.intent == "cancel" and whole.intent == "cancel" and after.dates and not after.space \
            and after.intent in ("book", "unknown", "cancel") and before.dates:
        before.dates = after.dates  # "Please delete my booking in Senden on 3 Dec. No wait, the one on 4 Dec!"
        before.confidence = min(before.confidence, 0.85)
        return before
    if after.intent == "cancel" and not after.dates and before.intent == "book" and before.dates:
        # "Die zwei Plätze in Rosendahl für Donnerstag – einer würde reichen. Nee, wisst ihr was, beide weg."
        before.intent, before.alternative, before.confidence = "cancel", "book", 0.85
        return before
    if before.intent in ("availability", "smalltalk") and whole.intent == "book" and (before.dates or before.space):
        before.intent = "book"  # "i think i'll take … the day after tomorrow, or tomorrow? nah, day after tomorrow."
    if after.intent not in ("book", "unknown") or before.intent != "book" or not (before.dates or before.space):
        return None
    if not (after.dates or after.space or after.part or after.start or after.end):
        return None  # "morgen Dülmen, nee doch nicht": no new slot (taken back, as the whole reads)
    out = before
    if after.space:
        out.space, out.space_fuzzy, out.space_guess, out.space_text = (after.space, after.space_fuzzy, after.space_guess,
                                                                       after.space_text)
    if after.dates:
        out.dates = after.dates
    if after.part or after.start or after.end:
        out.part, out.start, out.end = after.part, after.start, after.end
    if after.desks > 1:
        out.desks = after.desks
    out.intent = "book"
    out.confidence = min(max(whole.confidence, before.confidence, 0.8), 0.85)
    return out


# A request in one sentence of several, the rest greeting, story or a side question ("Hallo zusammen, bin neu hier
# ... Also: morgen Havixbeck, ganzer Tag. Danke schon mal!", "Ich hätte gern für Freitag einen Platz in Coesfeld. Gibt
# es dort eigentlich auch Kaffee?"): the whole reads as help or small talk, the sentence alone is a booking.
_AROUND_A_REQUEST = frozenset({"smalltalk", "unknown", "help", "thanks"})
# a sentence ends at "!" or "?", or at a dot after a word of three letters or more that is no abbreviation (not "5.12.",
# "Mo.", "bzw.", "...")
_SENTENCE_END = re.compile(r"(?:(?<=[^\W\d_]{3})\.(?!\.)|[!?])(?=\s+\S)")
_NOT_SENTENCE_END = frozenset({
    "bzw", "usw", "evtl", "ggf", "inkl", "exkl", "str", "tel", "vgl", "geb", "etc", "ca", "nr", "bspw", "mind", "max", "min",
    "jan", "feb", "mrz", "apr", "jun", "jul", "aug", "sep", "sept", "okt", "nov", "dez", "dec", "oct", "mon", "tue", "wed",
    "thu", "fri", "sat", "sun", "std", "dr", "prof"})


def _sentences(text: str) -> list[str]:
    out, start = [], 0
    for mm in _SENTENCE_END.finditer(text):
        if mm.group() == ".":
            word = re.search(r"(\w+)$", text[:mm.start()])
            if word is None or word.group(1).lower() in _NOT_SENTENCE_END:
                continue
        out.append(text[start:mm.end()])
        start = mm.end()
    out.append(text[start:])
    return [x.strip() for x in out if x.strip()]


_TAKES_BACK = re.compile(r"\b(?:nicht|nee|nein|kein\w*|witz|spa(?:ß|ss)|not|no|joke|kidding|never\s*mind|egal|vergiss)\b",
                         re.IGNORECASE)


def _request_sentence(parser: _Parser, text: str, now: datetime, whole: Intent) -> Intent | None:
    """The one booking sentence of a message whose other sentences are no request. For a message read as a booking,
    only when the others are a story, thanks or a greeting ("Gestern war ich in Olfen. Morgen Senden bitte." took
    yesterday and Olfen into the booking)."""
    parts = _sentences(text)
    if not 2 <= len(parts) <= 5:
        return None
    found = None
    others = []
    checkins = []  # the sentences read as a check-in
    for i, part in enumerate(parts):
        it = parser.parse(part, now)
        if it.intent == "book" and it.confidence >= CONFIDENT and (it.dates or it.space):
            if found is not None:
                return None  # two requests in one message: the whole message's reading stands
            found = (i, it)
        else:
            others.append(it.intent)
            if it.intent == "checkin":
                checkins.append(it)
    if found is None and len(checkins) == 1 and checkins[0].confidence >= CONFIDENT \
            and whole.intent in ("help", "unknown", "smalltalk") and set(others) <= {"checkin", "help", "thanks", "unknown"}:
        # "Guten Morgen, ich bin jetzt im Coworking Olfen. Muss ich noch was machen?": the check-in, then a question
        checkins[0].confidence = min(checkins[0].confidence, 0.85)
        return checkins[0]
    if found is None:
        if whole.intent == "book" and all(x == "smalltalk" for x in others):
            # "Kennt jemand nen guten Italiener in Nordkirchen? Wollen Freitag ... essen gehen": chit-chat in each
            # sentence; the place of one and the day of the other make no request
            whole.intent, whole.confidence, whole.alternative = "smalltalk", 0.6, "book"
            return whole
        return None
    i, it = found
    if any(_TAKES_BACK.search(p) for j, p in enumerate(parts) if j > i):
        return None  # "Morgen Dülmen. Nee, doch nicht.": taken back (a "nicht" before it is the story's: "weiß nicht, wie ...")
    if whole.intent in ("cancel", "contingent", "list"):
        # "Can you book Havixbeck on Dec 15 and 16? Also how do I cancel later?": the request; the rest asks how
        if it.confidence < 0.8 or not all(x in ("help", "thanks") for x in others):
            return None
        it.confidence = min(it.confidence, 0.85)
        return it
    if whole.intent == "book":
        if not all(x in ("smalltalk", "past_day", "thanks", "help") for x in others):
            return None  # "Morgen brauch ich was. In Olfen bitte.": the sentences make one request
        if (it.dates, it.space, it.part, it.start, it.end, it.desks) == (whole.dates, whole.space, whole.part, whole.start,
                                                                         whole.end, whole.desks):
            return None
        it.confidence = min(it.confidence, whole.confidence)
        if it.space is None and whole.space and not it.space_text:
            # "I can use the coworking in Dülmen. tomorrow would be great": the place of another sentence, asked first
            it.space, it.confidence = whole.space, min(it.confidence, 0.7)
        return it
    it.confidence = min(it.confidence, 0.8)
    return it
