"""Reply texts in German (default) and English: gettext catalogues, CLDR formatting (Babel).

The texts live in `bot/locales/<lang>/LC_MESSAGES/deskbot.po` (one file per language; README.md
"Translations"). Each message has a context (`msgctxt`: which part of the bot says it, e.g. `dialogue`,
`notices`, `employer`) and a symbolic id (`msgid "booked"`); the `msgstr` is the text, with `{name}`
placeholders filled by `str.format`. Messages that depend on a count are gettext plurals
(`msgid_plural`, `msgstr[0]`, `msgstr[1]`, chosen by the catalogue's Plural-Forms).

The wheel carries compiled `.mo` files (setup.py compiles them); an editable checkout, or a `.po`
newer than its `.mo`, is compiled in memory at first use. A text missing in a language falls back to
German. Dates, numbers and money are formatted by Babel with CLDR data; the date patterns are
messages too (context `format`), so a translator sets them without touching code.
"""

from __future__ import annotations

import gettext
import io
import re
from datetime import date
from functools import lru_cache
from pathlib import Path

LANGS = ("de", "en")
DEFAULT_LANG = "de"
DOMAIN = "deskbot"
LOCALE_DIR = Path(__file__).resolve().parent / "locales"
# the Babel / CLDR locale and the `holidays` package's language for each of ours
CLDR_LOCALE = {"de": "de_DE", "en": "en"}
HOLIDAY_LANGUAGE = {"de": "de", "en": "en_US"}


def lang_of(lang: str | None) -> str:
    """A language we have texts for: `lang` itself, else German."""
    return lang if lang in LANGS else DEFAULT_LANG


# ---------------------------------------------------------------------------------------------
# catalogues

def po_path(lang: str, domain: str = DOMAIN) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


def compile_po(po: Path) -> bytes:
    """A `.po` file as `.mo` bytes (Babel's reader and writer; fuzzy entries are left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        cat = read_po(f, abort_invalid=True)
    out = io.BytesIO()
    write_mo(out, cat)
    return out.getvalue()


@lru_cache(maxsize=None)
def catalogue(lang: str) -> gettext.GNUTranslations:
    """One language's catalogue (no fallback): the compiled `.mo` if it is not older than the `.po`."""
    po = po_path(lang)
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return gettext.GNUTranslations(f)
    return gettext.GNUTranslations(io.BytesIO(compile_po(po)))


def reload() -> None:
    """Read the catalogues again (after a .po file changed in a running process, e.g. in tests)."""
    catalogue.cache_clear()
    for f in (fmt_day, fmt_month, fmt_int, fmt_num, fmt_days, fmt_eur):
        f.cache_clear()


def _chain(lang: str) -> tuple[str, ...]:
    lang = lang_of(lang)
    return (lang,) if lang == DEFAULT_LANG else (lang, DEFAULT_LANG)


def lookup(lang: str, context: str, key: str) -> str | None:
    """The text of `key` in `context`, in `lang` or else German; None if neither has it."""
    for code in _chain(lang):
        text = catalogue(code).pgettext(context, key)
        if text is not key:  # gettext hands back the very id it was given when it has no entry
            return text
    return None


def lookup_plural(lang: str, context: str, key: str, n: int) -> str | None:
    """The form of plural message `key` for the count `n`, in `lang` or else German."""
    plural = key + "\x00plural"
    for code in _chain(lang):
        text = catalogue(code).npgettext(context, key, plural, n)
        if text is not key and text is not plural:
            return text
    return None


_DOT_AFTER = re.compile(r"\{(\w+)\}\.")


def fill(text: str, kw: dict) -> str:
    """`str.format`, except that a sentence's full stop after a value that ends in one is dropped
    ("bis Fr, 21.05." rather than "bis Fr, 21.05..")."""
    if not kw:
        return text
    if "}." in text:
        text = _DOT_AFTER.sub(lambda m: m[0][:-1] if str(kw.get(m[1], "")).endswith(".") else m[0], text)
    return text.format(**kw)


class Translator:
    """`tr(lang, key, **kw)` and `tr.n(lang, key, n, **kw)` over one or more contexts of the catalogue.

    Built from a dict `{lang: {key: text}}` instead, it looks the texts up there (the old tables)."""

    def __init__(self, *contexts, table: dict[str, dict[str, str]] | None = None):
        self.contexts = contexts
        self.table = table

    def text(self, lang: str, key: str) -> str:
        if self.table is not None:
            table = self.table.get(lang) or self.table[DEFAULT_LANG]
            return table.get(key) or self.table[DEFAULT_LANG][key]
        for code in _chain(lang):
            for ctx in self.contexts:
                text = catalogue(code).pgettext(ctx, key)
                if text is not key:
                    return text
        raise KeyError(f"no text {key!r} in {'/'.join(self.contexts)}")

    def __call__(self, lang: str, key: str, **kw) -> str:
        return fill(self.text(lang, key), kw)

    def n(self, lang: str, key: str, count: int, /, **kw) -> str:
        """The plural message `key` for `count` (ngettext); `{n}` is the count unless `n=` is given."""
        plural = key + "\x00plural"
        for code in _chain(lang):
            for ctx in self.contexts:
                text = catalogue(code).npgettext(ctx, key, plural, int(count))
                if text is not key and text is not plural:
                    kw.setdefault("n", fmt_int(count, lang))
                    return fill(text, kw)
        raise KeyError(f"no plural text {key!r} in {'/'.join(self.contexts)}")

    def has(self, lang: str, key: str) -> bool:
        try:
            self.text(lang, key)
        except KeyError:
            return False
        return True


def translator(*contexts):
    """The translate function of one or more catalogue contexts (the first that has a key wins), or of
    an old-style table `{lang: {key: text}}` (German as the fallback)."""
    if len(contexts) == 1 and isinstance(contexts[0], dict):
        return Translator(table=contexts[0])
    return Translator(*contexts)


class Table:
    """Read-only `TABLE[lang][key]` view of one catalogue context (for code that indexes texts)."""

    def __init__(self, context: str):
        self.context = context

    def __contains__(self, lang) -> bool:
        return lang in LANGS

    def __getitem__(self, lang: str) -> "_LangView":
        if lang not in LANGS:
            raise KeyError(lang)
        return _LangView(self.context, lang)

    def get(self, lang, default=None):
        return self[lang] if lang in LANGS else default

    def __iter__(self):
        return iter(LANGS)


class _LangView:
    def __init__(self, context: str, lang: str):
        self.context, self.lang = context, lang

    def __getitem__(self, key: str) -> str:
        text = lookup(self.lang, self.context, key)
        if text is None:
            raise KeyError(key)
        return text

    def get(self, key: str, default=None):
        text = lookup(self.lang, self.context, key)
        return default if text is None else text

    def __contains__(self, key: str) -> bool:
        return lookup(self.lang, self.context, key) is not None


# ---------------------------------------------------------------------------------------------
# formatting: Babel with CLDR data; the patterns are messages of context "format"

def _locale(lang: str) -> str:
    return CLDR_LOCALE[lang_of(lang)]


@lru_cache(maxsize=4096)
def fmt_day(d: date, lang: str) -> str:
    """A day, short: 'Fr, 21.05.' (de) / 'Fri 21 May' (en)."""
    from babel.dates import format_date

    return format_date(d, lookup(lang, "format", "day"), locale=_locale(lang))


@lru_cache(maxsize=4096)
def fmt_month(key: str, lang: str) -> str:
    """'2026-11' -> 'November 2026'."""
    from babel.dates import format_date

    year, month = key.split("-")
    return format_date(date(int(year), int(month), 1), lookup(lang, "format", "month"), locale=_locale(lang))


@lru_cache(maxsize=4096)
def fmt_int(n: int, lang: str) -> str:
    from babel.numbers import format_decimal

    return format_decimal(int(n), locale=_locale(lang))


@lru_cache(maxsize=4096)
def fmt_num(n_halves: int | None, lang: str) -> str:
    """Half days as a plain number: 13 -> '6,5' (de) / '6.5' (en)."""
    if n_halves is None:
        return "–"
    from babel.numbers import format_decimal

    return format_decimal(n_halves / 2, format="#,##0.#", locale=_locale(lang))


def days_count(n_halves: int) -> int:
    """The count that chooses the plural form for a number of half days (a half day is never singular)."""
    return n_halves // 2 if n_halves % 2 == 0 else 2


def fmt_decimal(x: float, lang: str, places: int = 1) -> str:
    """A number with at most `places` decimals, grouped per CLDR: 1234.5 -> '1.234,5' (de) / '1,234.5' (en)."""
    from babel.numbers import format_decimal

    return format_decimal(x, format="#,##0" + ("." + "#" * places if places else ""), locale=_locale(lang))


@lru_cache(maxsize=4096)
def fmt_days(n_halves: int | None, lang: str) -> str:
    """Half days with the unit: '1 Tag', '6,5 Tage' / '1 day', '0.5 days'."""
    if n_halves is None:
        return "–"
    return fill(lookup_plural(lang, "format", "days", days_count(n_halves)), {"n": fmt_num(n_halves, lang)})


@lru_cache(maxsize=4096)
def fmt_eur(cents: int, lang: str) -> str:
    """'12,50 €' (de) / '€12.50' (en); a plain space where CLDR puts a no-break space."""
    from babel.numbers import format_currency

    return format_currency(cents / 100, "EUR", locale=_locale(lang)).replace("\xa0", " ")


def fmt_holiday(name: str, day: date, lang: str) -> str:
    """A public holiday's name (as `bot.booking.holiday_name` gives it, in German) in `lang`."""
    if lang_of(lang) == DEFAULT_LANG:
        return name
    return _holiday_names(day.year, lang_of(lang)).get((day, name), name)


@lru_cache(maxsize=16)
def _holiday_names(year: int, lang: str) -> dict[tuple[date, str], str]:
    import holidays

    names: dict[tuple[date, str], str] = {}
    for subdiv in (None, *holidays.DE.subdivisions):
        de = holidays.country_holidays("DE", subdiv=subdiv, years=year, language=HOLIDAY_LANGUAGE[DEFAULT_LANG])
        other = holidays.country_holidays("DE", subdiv=subdiv, years=year, language=HOLIDAY_LANGUAGE[lang])
        for day, de_name in de.items():
            for a, b in zip(de_name.split("; "), other.get(day, "").split("; ")):
                names.setdefault((day, a), b)
            names.setdefault((day, de_name), other.get(day, de_name))
    return names


class _Parts:
    """PART[lang][part]: 'ganztags' / 'vormittags' ... from the catalogue (context "part")."""

    def __contains__(self, lang) -> bool:
        return lang in LANGS

    def __getitem__(self, lang: str):
        return Table("part")[lang_of(lang)]


PART = _Parts()


def _weekdays(lang: str) -> tuple[str, ...]:
    from babel.dates import get_day_names

    names = get_day_names("abbreviated", context="stand-alone", locale=_locale(lang))
    return tuple(names[i] for i in range(7))


WD_DE = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")  # = CLDR de stand-alone abbreviated (tests/test_i18n.py)
WD_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# ---------------------------------------------------------------------------------------------
# the dialogue's texts (moving to the catalogue, context "dialogue")

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "welcome": "Hallo {name}! 👋 Ich bin deskbot und buche dir einen Schreibtisch im Coworking in deiner Nähe – statt zu pendeln.\n"
                   "Schreib einfach z. B. „morgen Dülmen“ oder „Do + Fr in Coesfeld vormittags“.\n"
                   "Hast du einen Einladungscode deines Arbeitgebers? Schick ihn mir, dann zahlt dein Arbeitgeber.",
        "help": "So buchst du mit einer Nachricht:\n"
                "• „morgen Dülmen“ – ganzer Tag\n• „Freitag vormittags in Olfen“\n• „jeden Dienstag im Dezember in Coesfeld“\n"
                "• „übermorgen 9-13 Uhr Senden“ • „2 Plätze Mi in Nottuln“\n"
                "Außerdem: „meine Buchungen“, „Freitag stornieren“, „was ist morgen frei?“, „einchecken“, „wie viele Tage habe ich noch?“\n"
                "Befehle: /buchen /storno /buchungen /frei /checkin /kontingent /einstellungen /sprache /hilfe",
        "help_more": "Konto: /link (Telegram und Matrix verbinden) · /pendeln 23 (Arbeitsweg in km) · /export (meine Daten) · /loeschen",
        "help_employer_admin": "Für Firmen-Admins: /firma (Kontingent der Firma) · /team (wer hat was gebucht) · /team kontingent NAME TAGE · /team einladen · /team entfernen NAME · /team csv",
        "help_operator": "Für Betreiber:innen: /ankuenfte (heute und morgen) · /belegung (diese Woche) · /schliessen TAG GRUND · /qr (Check-in-QR-Code)",
        "help_platform_admin": "Für Plattform-Admins: /stats (Wirkung: Auslastung, vermiedene km und CO₂)",
        "unknown": "Das habe ich leider nicht verstanden. 🤔 Versuch es z. B. mit „morgen Dülmen“ oder „meine Buchungen“. /hilfe zeigt alles.",
        "too_long": "Deine Nachricht ist mir zu lang ({n} Zeichen, höchstens {max}). Schreib mir bitte kürzer, z. B. „morgen Dülmen“.",
        "slow_down": "Langsam bitte 🙂 – du hast mir gerade sehr viele Nachrichten geschickt. Versuch es in einer Minute wieder.",
        "error": "Da ist bei mir etwas schiefgegangen – nichts wurde verändert. Bitte versuch es gleich noch einmal.",
        "code_ok_employee": "Willkommen! Du bist jetzt als Mitarbeiter:in von {employer} eingetragen. Deine Buchungen zahlt ab jetzt dein Arbeitgeber aus dem Kontingent.",
        "code_ok_employer_admin": "Du bist jetzt Admin für {employer}. Frag mich z. B. „Kontingent der Firma“ oder „Buchungen der Mitarbeiter“.",
        "code_ok_operator": "Du bist jetzt Betreiber:in von {space}. Du bekommst Ankunftsmeldungen. Tipp: Füge mich eurer Team-Gruppe hinzu und schick dort deinen Code, dann kommen die Meldungen dorthin.",
        "code_ok_group": "Dieser Gruppenchat bekommt jetzt die Ankunftsmeldungen für {space}.",
        "code_ok_platform_admin": "Du bist jetzt Plattform-Admin.",
        "code_already": "Dieser Code ist bei dir schon eingelöst – alles in Ordnung.",
        "code_unknown": "Den Code „{code}“ kenne ich nicht. Bitte prüf die Schreibweise oder frag deinen Arbeitgeber nach dem aktuellen Code.",
        "code_expired": "Der Code „{code}“ ist abgelaufen. Bitte frag nach einem neuen Code.",
        "code_used_up": "Der Code „{code}“ wurde schon so oft benutzt wie erlaubt. Bitte frag nach einem neuen Code.",
        "ask_space": "In welchem Coworking möchtest du buchen ({days})?",
        "ask_date": "Für welchen Tag möchtest du in {space} buchen?",
        "ask_when": "Für welchen Tag möchtest du buchen? Tipp: Schreib Tag und Ort in eine Nachricht, z. B. „morgen Dülmen“.",
        "ask_when_where": "Wann und wo? Ein Tipp genügt:",
        "did_you_mean": "„{text}“ kenne ich nicht als Coworking-Ort. Meintest du …?",
        "no_such_space": "„{text}“ kenne ich nicht als Coworking-Ort. Es gibt Coworking in: {towns}.",
        "date_unreadable": "Das Datum konnte ich nicht lesen. Schreib es z. B. so: „morgen“, „Freitag“, „3.12.“ oder „jeden Dienstag im Dezember“.",
        "booked": "✅ Gebucht: {space}, {day}{part}, Platz {desk}.\n📍 {address} · geöffnet {open}–{close} Uhr",
        "booked_team": "✅ Gebucht: {space}, {day}{part}, {n} Plätze ({desks}).\n📍 {address} · geöffnet {open}–{close} Uhr",
        "booked_many_head": "✅ Gebucht in {space} ({address}):",
        "booked_line": "• {day}{part}, Platz {desk}",
        "promoted": "🎉 Ein Platz ist frei geworden! Du bist von der Warteliste nachgerückt: {space}, {day}{part}, Platz {desk}.",
        "remaining": "Dein Kontingent ({employer}) für {month}: noch {left}.",
        "remaining_pool": "Firmenkontingent {employer} im {month}: noch {left} von {granted} Tagen frei.",
        "remaining_member": "Dein Kontingent bei {employer} im {month}: noch {left} von {granted} Tagen.",
        "pays_self": "Du zahlst selbst: {price} pro Tag vor Ort.",
        "no_employer": "Du bist keinem Arbeitgeber zugeordnet, daher zahlst du deine Buchungen selbst vor Ort. Hast du einen Einladungscode? Schick ihn mir.",
        "full": "😕 {space} ist am {day} ausgebucht.",
        "full_team": "😕 In {space} sind am {day} nur noch {free} Plätze frei – zu wenige für {n}.",
        "full_alternatives": "Frei am {day}:",
        "waitlist_offer": "Auf die Warteliste",
        "waitlisted": "📝 Du stehst auf der Warteliste für {space} am {day} (Platz {pos}). Ich melde mich, sobald etwas frei wird.",
        "closed_holiday": "{space} ist am {day} geschlossen (Feiertag: {detail}).",
        "closed_closure": "{space} ist am {day} geschlossen{detail}.",
        "closed_weekday": "{space} hat am {day} geschlossen. Öffnungszeiten: {hours}",
        "outside_hours": "{space} hat am {day} von {open} bis {close} Uhr geöffnet – die gewünschte Zeit liegt außerhalb.",
        "in_past": "Der {day} liegt in der Vergangenheit – dafür kann ich nichts mehr buchen.",
        "too_far": "Der {day} ist zu weit weg: Buchen geht bis {last}.",
        "no_contingent": "Dein Kontingent reicht für {day} nicht mehr (noch {left}). Du kannst selbst zahlen ({price}) oder deinen Arbeitgeber fragen.",
        "pay_self_button": "Selbst zahlen ({price})",
        "already_booked": "Du hast am {day} schon eine Buchung: {space}{part}.",
        "already_booked_plain": "Du hast am {day} schon eine Buchung zu dieser Zeit.",
        "unknown_space": "Diesen Coworking-Ort kenne ich nicht.",
        "undo": "Rückgängig",
        "undone": "↩️ Rückgängig gemacht – die Buchung ist storniert, das Kontingent wieder gutgeschrieben.",
        "cancelled": "🗑️ Storniert: {items}.",
        "cancelled_refund": "Dein Kontingent wurde um {days} wieder aufgefüllt.",
        "cancelled_late": "Hinweis: Für {items} war die kostenlose Stornofrist ({hours} h vorher) schon vorbei – der Tag bleibt vom Kontingent abgezogen.",
        "nothing_to_cancel": "Dazu habe ich keine Buchung von dir gefunden.",
        "choose_cancel": "Welche Buchung möchtest du stornieren?",
        "cancel_all_confirm": "Wirklich alle {n} künftigen Buchungen stornieren?",
        "yes_cancel_all": "Ja, alle stornieren",
        "no": "Nein",
        "kept": "Alles bleibt, wie es war. 👍",
        "list_head": "📅 Deine Buchungen:",
        "list_line": "• {day}{part} – {space}, Platz {desk}",
        "list_line_checked": "• {day}{part} – {space}, Platz {desk} ✅ eingecheckt",
        "list_line_wait": "• {day}{part} – {space} (Warteliste)",
        "list_empty": "Du hast keine kommenden Buchungen. Buch z. B. mit „morgen Dülmen“.",
        "cancel_button": "❌ {day} {space}",
        "avail_head": "Freie Plätze am {day}:",
        "avail_line": "• {space}: {free} von {total} frei",
        "avail_closed": "• {space}: geschlossen",
        "avail_none": "Am {day} ist leider nirgends ein Platz frei.",
        "book_button": "{space} buchen",
        "checked_in": "👋 Willkommen in {space}! Du bist eingecheckt (Platz {desk}). Schönen Arbeitstag!",
        "checked_in_walkin": "👋 Willkommen in {space}! Ich habe dir Platz {desk} bis {end} Uhr gebucht und dich eingecheckt.",
        "already_checked_in": "Du bist in {space} schon eingecheckt. 👍",
        "too_early": "Einchecken geht für deine Buchung in {space} ab {at} Uhr.",
        "nothing_to_check_in": "Du hast heute keine Buchung zum Einchecken. Buch z. B. mit „heute Coesfeld“.",
        "walkin_closed": "{space} hat heute keinen freien Platz mehr oder ist geschlossen.",
        "lang_set": "Alles klar, ich schreibe dir ab jetzt auf Deutsch.",
        "token_foreign": "Dieser Knopf gehört zu jemand anderem.",
        "for_colleague": "Für andere buche ich nicht – {name} schreibt mir am besten selbst (mit dem Einladungscode der Firma). Für dich selbst: z. B. „morgen Dülmen“.",
        "btn_morning": "☀️ Vormittags",
        "btn_afternoon": "🌇 Nachmittags",
        "ask_half": "Halbtags – vormittags oder nachmittags?",
        "undo_expired": "Rückgängig geht nicht mehr: die Storno-Frist ist vorbei. Stornieren kannst du weiterhin, dann ohne Gutschrift („meine Buchungen“).",
        "ics_button": "📅 In den Kalender",
        "ics_here": "📅 Hier ist der Kalendereintrag.",
        "space_hours": "🕘 {space} hat geöffnet: {hours}",
        "space_price": "💶 Ein Tag in {space} kostet {price} (wenn deine Firma nicht zahlt).",
        "switch_employer_ask": "Mit diesem Code wechselst du den Arbeitgeber. {n} künftige Buchung(en) zahlt noch {employer}. Was soll damit passieren?",
        "btn_switch_self": "Behalten, ich zahle selbst",
        "btn_switch_cancel": "Stornieren",
        "switch_self_paid": "✔️ {n} künftige Buchung(en) zahlst du jetzt selbst.",
        "switch_cancelled": "✔️ {n} künftige Buchung(en) storniert.",
        "checkin_elsewhere": "Du hast heute in {booked} gebucht, bist aber in {here}. Soll ich deine Buchung hierher verlegen und dich einchecken?",
        "btn_move_here": "✅ Nach {space} verlegen",
        "moved_checked_in": "✅ Verlegt und eingecheckt: {space}, Platz {desk} (bis {end} Uhr). Die alte Buchung ist storniert.",
        "impact_none": "Noch kein Coworking-Tag – der erste zählt! 🌱 Buch z. B. „morgen Dülmen“.",
        "impact_days": "🌱 Coworking statt Pendeln – Tage diesen Monat: {month}, insgesamt: {total}.",
        "impact_km": "🚗 Nicht gefahren: {km_month} km diesen Monat, {km_total} km insgesamt – etwa {co2_month} kg bzw. {co2_total} kg CO₂.",
        "impact_no_commute": "Wie weit ist dein Arbeitsweg? Mit „/pendeln 23“ (km, einfach) rechne ich dir km und CO₂ aus.",
        "impact_streak": "🔥 {n} Wochen in Folge mit Coworking – weiter so!",
        "impact_badges": "🏅 {badges}",
        "badge_first_day": "Erster Coworking-Tag",
        "badge_five_days": "5 Tage",
        "badge_twenty_days": "20 Tage",
        "badge_km_100": "100 km gespart",
        "badge_km_500": "500 km gespart",
        "weekly_summary": "📅 Deine Woche – Coworking-Tage: {days}, nicht gefahren: {km} km. Danke! 🌱",
        "colleague_not_found": "{name} finde ich nicht unter den Kolleg:innen deiner Firma – für andere kann ich nicht buchen. {name} kann mir aber selbst schreiben.",
        "colleague_needs_day_place": "Für {name} buche ich gern – schreib Tag und Ort dazu, z. B. „für {name} morgen Dülmen“.",
        "ask_book_for": "Für {name}: {space} am {days} buchen? Es zählt auf {name}s Kontingent, und {name} bekommt Bescheid.",
        "btn_book_for": "✅ Für {name} buchen",
        "booked_for": "✅ Für {name} gebucht: {space}, {days}. {name} bekommt Bescheid und kann ablehnen.",
        "booked_for_you": "📌 {name} hat für dich gebucht: {space}, {day}{part}, Platz {desk}. Passt es nicht, lehn einfach ab.",
        "btn_decline": "❌ Ablehnen",
        "booking_declined": "{name} hat die Buchung abgelehnt – sie ist storniert.",
        "calendar_not_set_up": "Der Kalender-Feed ist hier noch nicht eingerichtet (DESKBOT_PUBLIC_URL). Einzelne Buchungen kommen mit „📅 In den Kalender“ in deinen Kalender.",
        "calendar_feed": "📅 Dein persönlicher Kalender mit allen Buchungen (abonnieren, aktualisiert sich selbst):\n{webcal}\n\nOder als Adresse: {https}\nDer Link ist geheim – „/kalender neu“ macht einen neuen.",
        "ics_cancel_button": "📅 Aus dem Kalender entfernen",
        "ics_cancel_here": "📅 Öffne die Datei, dann verschwindet der Termin aus deinem Kalender.",
        "home_set": "🏠 Gespeichert: {town} ist dein Heimat-Space. Ich biete ihn dir zuerst an.",
        "home_show": "🏠 Dein Heimat-Space: {town}. Ändern: /heimat <Ort>, löschen: /heimat aus.",
        "home_none": "Noch kein Heimat-Space. Schreib z. B. „/heimat Coesfeld“ – dann biete ich ihn dir zuerst an.",
        "home_cleared": "🏠 Heimat-Space gelöscht.",
        "token_stale": "Dieser Knopf ist veraltet – seitdem hat sich an deinen Buchungen etwas geändert. Schreib mir einfach, was du möchtest (z. B. „meine Buchungen“).",
        "edit_refused": "✏️ Bearbeitete Nachrichten übernehme ich nicht – es wurde nichts geändert. Schreib mir bitte eine neue Nachricht (z. B. „storno morgen“ und dann „übermorgen Olfen“).",
        "thanks": "Gern geschehen! 😊",
        "smalltalk": "😊 Dabei kann ich leider nicht helfen – ich buche Schreibtische. Wenn du einen Platz brauchst, schreib z. B. „morgen Dülmen“.",
        "past_day": "{day} liegt in der Vergangenheit – da kann ich nichts mehr buchen oder ändern. Meintest du einen kommenden Tag?",
        "past_day_plain": "Das liegt in der Vergangenheit – da kann ich nichts mehr buchen oder ändern.",
        "ask_book_or_info": "Möchtest du {space} am {day} buchen, oder nur wissen, ob etwas frei ist?",
        "btn_book_it": "✅ Ja, buchen",
        "btn_just_look": "🔎 Nur schauen",
        "did_you_mean_one": "Meintest du {town}?",
        "nothing_to_undo": "Da gibt es gerade nichts rückgängig zu machen. Deine Buchungen siehst du mit „meine Buchungen“.",
        "undo_confirm": "Deine letzte Buchung rückgängig machen: {what}?",
        "btn_yes_undo": "↩️ Ja, rückgängig",
        "cancel_confirm_many": "Diese {n} Buchungen stornieren?\n{items}",
        "cancel_confirm_one": "{item} stornieren?",
        "cancel_confirm_late": "⚠️ Für {items} ist die Storno-Frist ({hours} Std. vorher) vorbei: der Tag wird nicht gutgeschrieben.",
        "btn_yes_cancel": "❌ Ja, stornieren",
        "btn_keep": "Nein, behalten",
        "absence_saved": "🌴 Eingetragen: abwesend {span}. An diesen Tagen erinnere ich dich nicht und buche nichts.",
        "absence_none": "Für welche Tage bist du abwesend? Schreib z. B. „Urlaub vom 14. bis 18.12.“.",
        "absence_booked": "Hinweis: Du hast in dieser Zeit noch Buchungen ({days}). Soll ich sie stornieren? Schreib z. B. „storno {first}“.",
        "who_none": "Am {day} hat sich niemand aus deiner Firma eingetragen, der das teilen möchte.",
        "who_head": "Am {day} im Coworking (aus deiner Firma, wer zugestimmt hat):",
        "who_line": "• {name} – {space}",
        "who_no_employer": "Das kann ich nur für Kolleg:innen derselben Firma zeigen – du bist noch keiner Firma zugeordnet.",
        "who_share_hint": "Deine eigenen Tage zeige ich Kolleg:innen nur, wenn du zustimmst: /einstellungen sichtbar an",
        "closed_days_note": "Geschlossen: {days}",
        "token_used": "Das wurde schon erledigt. ✔️",
        "token_expired": "Dieser Knopf ist abgelaufen. Schreib mir einfach, was du möchtest.",
        "token_unknown": "Diesen Knopf kenne ich nicht (mehr). Schreib mir einfach, was du möchtest.",
        "group_hello": "Hallo! Ein:e Betreiber:in kann diesen Gruppenchat mit dem Betreiber-Code für Ankunftsmeldungen anmelden.",
        "summary_failed": "Nicht gebucht:",
    },
    "en": {
        "welcome": "Hi {name}! 👋 I'm deskbot. I book you a desk in a coworking space near home – instead of commuting.\n"
                   "Just write e.g. \"tomorrow Dülmen\" or \"book Coesfeld Tue and Thu morning\".\n"
                   "Got an invite code from your employer? Send it to me and your employer pays.",
        "help": "Book with one message:\n"
                "• \"tomorrow Dülmen\" – full day\n• \"Friday morning in Olfen\"\n• \"every Tuesday in December in Coesfeld\"\n"
                "• \"day after tomorrow 9-13 Senden\" • \"2 desks Wed in Nottuln\"\n"
                "Also: \"my bookings\", \"cancel Friday\", \"what's free tomorrow?\", \"check in\", \"how many days do I have left?\"\n"
                "Commands: /book /cancel /mybookings /free /checkin /contingent /settings /language /help",
        "help_more": "Account: /link (connect Telegram and Matrix) · /commute 23 (one-way km) · /export (my data) · /delete",
        "help_employer_admin": "For company admins: /company (contingent) · /team (who booked what) · /team contingent NAME DAYS · /team invite · /team remove NAME · /team csv",
        "help_operator": "For operators: /arrivals (today and tomorrow) · /occupancy (this week) · /close DAY REASON · /qr (check-in QR code)",
        "help_platform_admin": "For platform admins: /stats (impact: utilisation, km and CO₂ avoided)",
        "unknown": "Sorry, I didn't get that. 🤔 Try e.g. \"tomorrow Dülmen\" or \"my bookings\". /help shows everything.",
        "too_long": "Your message is too long for me ({n} characters, at most {max}). Please keep it short, e.g. \"tomorrow Dülmen\".",
        "slow_down": "Slow down please 🙂 – you sent me a lot of messages just now. Try again in a minute.",
        "error": "Something went wrong on my side – nothing was changed. Please try again in a moment.",
        "code_ok_employee": "Welcome! You're now registered as an employee of {employer}. Your employer pays your bookings from the contingent.",
        "code_ok_employer_admin": "You're now an admin for {employer}. Ask me e.g. \"company contingent\" or \"staff bookings\".",
        "code_ok_operator": "You're now an operator of {space}. You'll get arrival notices. Tip: add me to your team group and send your code there to get the notices in the group.",
        "code_ok_group": "This group chat now receives the arrival notices for {space}.",
        "code_ok_platform_admin": "You're now a platform admin.",
        "code_already": "You've already redeemed this code – all good.",
        "code_unknown": "I don't know the code \"{code}\". Please check the spelling or ask your employer for the current code.",
        "code_expired": "The code \"{code}\" has expired. Please ask for a new one.",
        "code_used_up": "The code \"{code}\" has been used as often as allowed. Please ask for a new one.",
        "ask_space": "Which coworking space would you like ({days})?",
        "ask_date": "Which day would you like to book in {space}?",
        "ask_when": "Which day would you like to book? Tip: write day and place in one message, e.g. \"tomorrow Dülmen\".",
        "ask_when_where": "When and where? One tap is enough:",
        "did_you_mean": "I don't know \"{text}\" as a coworking location. Did you mean …?",
        "no_such_space": "I don't know \"{text}\" as a coworking location. There's coworking in: {towns}.",
        "date_unreadable": "I couldn't read that date. Write it e.g. like \"tomorrow\", \"Friday\", \"Dec 3\" or \"every Tuesday in December\".",
        "booked": "✅ Booked: {space}, {day}{part}, desk {desk}.\n📍 {address} · open {open}–{close}",
        "booked_team": "✅ Booked: {space}, {day}{part}, {n} desks ({desks}).\n📍 {address} · open {open}–{close}",
        "booked_many_head": "✅ Booked at {space} ({address}):",
        "booked_line": "• {day}{part}, desk {desk}",
        "promoted": "🎉 A desk became free! You moved up from the waitlist: {space}, {day}{part}, desk {desk}.",
        "remaining": "Your contingent ({employer}) for {month}: {left} left.",
        "remaining_pool": "Company contingent {employer} in {month}: {left} of {granted} days left.",
        "remaining_member": "Your contingent at {employer} in {month}: {left} of {granted} days left.",
        "pays_self": "You pay yourself: {price} per day on site.",
        "no_employer": "You're not linked to an employer, so you pay your bookings yourself on site. Got an invite code? Send it to me.",
        "full": "😕 {space} is fully booked on {day}.",
        "full_team": "😕 {space} has only {free} desks free on {day} – not enough for {n}.",
        "full_alternatives": "Free on {day}:",
        "waitlist_offer": "Join the waitlist",
        "waitlisted": "📝 You're on the waitlist for {space} on {day} (position {pos}). I'll tell you as soon as a desk frees up.",
        "closed_holiday": "{space} is closed on {day} (public holiday: {detail}).",
        "closed_closure": "{space} is closed on {day}{detail}.",
        "closed_weekday": "{space} is closed on {day}. Opening hours: {hours}",
        "outside_hours": "{space} is open from {open} to {close} on {day} – the time you asked for is outside.",
        "in_past": "{day} is in the past – I can't book that any more.",
        "too_far": "{day} is too far ahead: you can book until {last}.",
        "no_contingent": "Your contingent isn't enough for {day} ({left} left). You can pay yourself ({price}) or ask your employer.",
        "pay_self_button": "Pay myself ({price})",
        "already_booked": "You already have a booking on {day}: {space}{part}.",
        "already_booked_plain": "You already have a booking on {day} at that time.",
        "unknown_space": "I don't know that coworking space.",
        "undo": "Undo",
        "undone": "↩️ Undone – the booking is cancelled and your contingent restored.",
        "cancelled": "🗑️ Cancelled: {items}.",
        "cancelled_refund": "{days} went back to your contingent.",
        "cancelled_late": "Note: for {items} the free cancellation period ({hours} h before) had passed – the day stays charged.",
        "nothing_to_cancel": "I found no booking of yours for that.",
        "choose_cancel": "Which booking would you like to cancel?",
        "cancel_all_confirm": "Really cancel all {n} upcoming bookings?",
        "yes_cancel_all": "Yes, cancel all",
        "no": "No",
        "kept": "Everything stays as it was. 👍",
        "list_head": "📅 Your bookings:",
        "list_line": "• {day}{part} – {space}, desk {desk}",
        "list_line_checked": "• {day}{part} – {space}, desk {desk} ✅ checked in",
        "list_line_wait": "• {day}{part} – {space} (waitlist)",
        "list_empty": "You have no upcoming bookings. Book e.g. with \"tomorrow Dülmen\".",
        "cancel_button": "❌ {day} {space}",
        "avail_head": "Free desks on {day}:",
        "avail_line": "• {space}: {free} of {total} free",
        "avail_closed": "• {space}: closed",
        "avail_none": "Sorry, no desk is free anywhere on {day}.",
        "book_button": "Book {space}",
        "checked_in": "👋 Welcome to {space}! You're checked in (desk {desk}). Have a good day!",
        "checked_in_walkin": "👋 Welcome to {space}! I booked desk {desk} for you until {end} and checked you in.",
        "already_checked_in": "You're already checked in at {space}. 👍",
        "too_early": "You can check in for your booking at {space} from {at}.",
        "nothing_to_check_in": "You have no booking to check in to today. Book e.g. with \"today Coesfeld\".",
        "walkin_closed": "{space} has no free desk left today or is closed.",
        "lang_set": "Okay, I'll write to you in English from now on.",
        "token_foreign": "This button belongs to someone else.",
        "for_colleague": "I don't book for others – {name} had best write to me (with the company's invite code). For yourself: e.g. \"tomorrow Dülmen\".",
        "btn_morning": "☀️ Morning",
        "btn_afternoon": "🌇 Afternoon",
        "ask_half": "Half a day – morning or afternoon?",
        "undo_expired": "Undo is no longer possible: the cancellation deadline has passed. You can still cancel, without a refund (\"my bookings\").",
        "ics_button": "📅 Add to calendar",
        "ics_here": "📅 Here is the calendar entry.",
        "space_hours": "🕘 {space} is open: {hours}",
        "space_price": "💶 A day at {space} costs {price} (if your company doesn't pay).",
        "switch_employer_ask": "With this code you switch employer. {employer} still pays {n} future booking(s). What should happen to them?",
        "btn_switch_self": "Keep them, I pay myself",
        "btn_switch_cancel": "Cancel them",
        "switch_self_paid": "✔️ You now pay {n} future booking(s) yourself.",
        "switch_cancelled": "✔️ {n} future booking(s) cancelled.",
        "checkin_elsewhere": "You booked {booked} today but you are at {here}. Shall I move your booking here and check you in?",
        "btn_move_here": "✅ Move to {space}",
        "moved_checked_in": "✅ Moved and checked in: {space}, desk {desk} (until {end}). The old booking is cancelled.",
        "impact_none": "No coworking day yet – the first one counts! 🌱 Book e.g. \"tomorrow Dülmen\".",
        "impact_days": "🌱 Coworking instead of commuting – days this month: {month}, in total: {total}.",
        "impact_km": "🚗 Not driven: {km_month} km this month, {km_total} km in total – about {co2_month} kg and {co2_total} kg of CO₂.",
        "impact_no_commute": "How far is your commute? With \"/commute 23\" (km, one way) I work out km and CO₂ for you.",
        "impact_streak": "🔥 {n} weeks in a row with coworking – keep it up!",
        "impact_badges": "🏅 {badges}",
        "badge_first_day": "First coworking day",
        "badge_five_days": "5 days",
        "badge_twenty_days": "20 days",
        "badge_km_100": "100 km saved",
        "badge_km_500": "500 km saved",
        "weekly_summary": "📅 Your week – coworking days: {days}, not driven: {km} km. Thank you! 🌱",
        "colleague_not_found": "I can't find {name} among your company's colleagues – I can't book for others. {name} can write to me directly, though.",
        "colleague_needs_day_place": "Happy to book for {name} – add the day and place, e.g. \"for {name} tomorrow Dülmen\".",
        "ask_book_for": "For {name}: book {space} on {days}? It counts on {name}'s contingent, and {name} is told.",
        "btn_book_for": "✅ Book for {name}",
        "booked_for": "✅ Booked for {name}: {space}, {days}. {name} is told and can decline.",
        "booked_for_you": "📌 {name} booked for you: {space}, {day}{part}, desk {desk}. If it doesn't suit you, just decline.",
        "btn_decline": "❌ Decline",
        "booking_declined": "{name} declined the booking – it is cancelled.",
        "calendar_not_set_up": "The calendar feed is not set up here yet (DESKBOT_PUBLIC_URL). Single bookings go into your calendar with \"📅 Add to calendar\".",
        "calendar_feed": "📅 Your personal calendar with all bookings (subscribe, it updates itself):\n{webcal}\n\nOr as an address: {https}\nThe link is secret – \"/calendar new\" makes a new one.",
        "ics_cancel_button": "📅 Remove from calendar",
        "ics_cancel_here": "📅 Open the file and the event disappears from your calendar.",
        "home_set": "🏠 Saved: {town} is your home space. I'll offer it first.",
        "home_show": "🏠 Your home space: {town}. Change: /home <town>, delete: /home off.",
        "home_none": "No home space yet. Send e.g. \"/home Coesfeld\" – then I offer it first.",
        "home_cleared": "🏠 Home space deleted.",
        "token_stale": "This button is outdated – your bookings have changed since. Just tell me what you'd like (e.g. \"my bookings\").",
        "edit_refused": "✏️ I don't take edited messages – nothing was changed. Please send a new message (e.g. \"cancel tomorrow\", then \"day after tomorrow Olfen\").",
        "thanks": "You're welcome! 😊",
        "smalltalk": "😊 I can't help with that – I book desks. If you need one, write e.g. \"tomorrow Dülmen\".",
        "past_day": "{day} is in the past – I can't book or change anything there. Did you mean an upcoming day?",
        "past_day_plain": "That is in the past – I can't book or change anything there.",
        "ask_book_or_info": "Would you like to book {space} on {day}, or just see whether there is room?",
        "btn_book_it": "✅ Yes, book",
        "btn_just_look": "🔎 Just look",
        "did_you_mean_one": "Did you mean {town}?",
        "nothing_to_undo": "There is nothing to undo right now. \"my bookings\" shows your bookings.",
        "undo_confirm": "Undo your last booking: {what}?",
        "btn_yes_undo": "↩️ Yes, undo",
        "cancel_confirm_many": "Cancel these {n} bookings?\n{items}",
        "cancel_confirm_one": "Cancel {item}?",
        "cancel_confirm_late": "⚠️ For {items} the cancellation deadline ({hours} h before) has passed: the day is not refunded.",
        "btn_yes_cancel": "❌ Yes, cancel",
        "btn_keep": "No, keep",
        "absence_saved": "🌴 Noted: away {span}. I won't remind you or book anything on those days.",
        "absence_none": "Which days are you away? Write e.g. \"vacation from 14 to 18 Dec\".",
        "absence_booked": "Note: you still have bookings then ({days}). Shall I cancel them? Write e.g. \"cancel {first}\".",
        "who_none": "Nobody from your company who shares it is at a coworking space on {day}.",
        "who_head": "Coworking on {day} (from your company, those who agreed):",
        "who_line": "• {name} – {space}",
        "who_no_employer": "I can only show colleagues of the same company – you're not with a company yet.",
        "who_share_hint": "I only show your own days to colleagues if you agree: /settings visible on",
        "closed_days_note": "Closed: {days}",
        "token_used": "That's already done. ✔️",
        "token_expired": "This button has expired. Just tell me what you'd like.",
        "token_unknown": "I don't know this button (any more). Just tell me what you'd like.",
        "group_hello": "Hi! An operator can register this group chat for arrival notices with their operator code.",
        "summary_failed": "Not booked:",
    },
}


t = translator(TEXTS)
