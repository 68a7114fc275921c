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
import weakref
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
    for tr in list(_TRANSLATORS):
        tr._texts.clear()
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


_TRANSLATORS: weakref.WeakSet = weakref.WeakSet()  # every Translator, for reload()


class Translator:
    """`tr(lang, key, **kw)` and `tr.n(lang, key, n, **kw)` over one or more contexts of the catalogue.

    Built from a dict `{lang: {key: text}}` instead, it looks the texts up there: only for code not yet
    moved to the catalogue (tests/test_i18n.py fails on a key the catalogue lacks; new texts go in the .po)."""

    def __init__(self, *contexts, table: dict[str, dict[str, str]] | None = None):
        self.contexts = contexts
        self.table = table
        self._texts: dict[tuple[str, str], str] = {}  # (lang, key) -> catalogue text looked up; emptied by reload()
        _TRANSLATORS.add(self)

    def text(self, lang: str, key: str) -> str:
        found = self._texts.get((lang, key))
        if found is not None:
            return found
        found = self._text(lang, key)
        if self.table is None and len(self._texts) < 4096:
            self._texts[(lang, key)] = found
        return found

    def _text(self, lang: str, key: str) -> str:
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


def fmt_span(days, lang: str) -> str:
    """The days a view is about: "am Di, 24.11." for one day, "vom Mo, 30.11. bis Fr, 04.12." for several."""
    first, last = min(days), max(days)
    if first == last:
        return fill(lookup(lang, "format", "on_day"), {"day": fmt_day(first, lang)})
    return fill(lookup(lang, "format", "from_to"), {"first": fmt_day(first, lang), "last": fmt_day(last, lang)})


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


def fmt_fixed(x: float, lang: str, places: int = 1) -> str:
    """A number with exactly `places` decimals, grouped per CLDR: 66 -> '66,0' (de) / '66.0' (en)."""
    from babel.numbers import format_decimal

    return format_decimal(x, format="#,##0" + ("." + "0" * places if places else ""), locale=_locale(lang))


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
# the dialogue's texts: context "dialogue" of the catalogue

TEXTS = Table("dialogue")  # a read-only view: the texts are in bot/locales


t = translator("dialogue")
