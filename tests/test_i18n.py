"""The text catalogues (bot/locales/*/LC_MESSAGES/deskbot.po) and the locale formatting (Babel, CLDR)."""

from __future__ import annotations

import ast
import gettext
import os
import shutil
import string
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot import i18n

ROOT = Path(__file__).resolve().parent.parent


def _catalog(lang: str):
    with i18n.po_path(lang).open("rb") as f:
        return read_po(f, abort_invalid=True)


CATALOGS = {lang: _catalog(lang) for lang in i18n.LANGS}


def _messages(lang: str) -> dict[tuple[str, str], object]:
    out = {}
    for m in CATALOGS[lang]:
        if not m.id:
            continue  # the header
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        out[(m.context, key)] = m
    return out


def _forms(m) -> list[str]:
    return list(m.string) if isinstance(m.string, tuple) else [m.string]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


MESSAGES = {lang: _messages(lang) for lang in i18n.LANGS}


def test_every_message_exists_in_every_language():
    ids = {lang: set(msgs) for lang, msgs in MESSAGES.items()}
    de = ids[i18n.DEFAULT_LANG]
    for lang, have in ids.items():
        assert have - de == set(), f"{lang} has messages German lacks"
        assert de - have == set(), f"{lang} lacks messages"
    assert len(de) > 250


def test_no_message_is_empty_or_fuzzy_and_plurals_agree():
    for lang, msgs in MESSAGES.items():
        nplurals = CATALOGS[lang].num_plurals
        for key, m in msgs.items():
            assert not m.fuzzy, (lang, key)
            assert all(_forms(m)), f"{lang} {key}: empty text"
            if m.pluralizable:
                assert len(m.string) == nplurals, (lang, key)
            assert m.pluralizable == MESSAGES["de"][key].pluralizable, f"{lang} {key}: plural in one language only"


def test_placeholders_match_across_languages_and_plural_forms():
    for key, de in MESSAGES["de"].items():
        wanted = set().union(*(_fields(s) for s in _forms(de)))
        for lang, msgs in MESSAGES.items():
            forms = _forms(msgs[key])
            for i, text in enumerate(forms):
                got = _fields(text)
                # the singular of a plural may leave out the count ("Wirklich deine künftige Buchung ...?")
                allowed = [wanted, wanted - {"n"}] if i == 0 and len(forms) > 1 else [wanted]
                assert got in allowed, f"{lang} {key} form {i}: {sorted(got)} != {sorted(wanted)}"
                text.format(**{name: "x" for name in got})  # no stray braces


def test_po_files_compile_with_setup_py_and_load_as_gettext(tmp_path, monkeypatch):
    import runpy

    import setuptools

    monkeypatch.setattr(setuptools, "setup", lambda **kw: None)
    ns = runpy.run_path(str(ROOT / "setup.py"))
    ns["compile_catalogues"](tmp_path)
    for lang in i18n.LANGS:
        mo = tmp_path / "bot" / "locales" / lang / "LC_MESSAGES" / "deskbot.mo"
        with mo.open("rb") as f:
            cat = gettext.GNUTranslations(f)
        assert mo.read_bytes() == i18n.compile_po(i18n.po_path(lang))
        for (ctx, key), m in MESSAGES[lang].items():
            if m.pluralizable:
                assert [cat.npgettext(ctx, key, key, n) for n in (1, 2)] == list(m.string)
            else:
                assert cat.pgettext(ctx, key) == m.string


dialogue = i18n.translator("dialogue")


@pytest.fixture
def locale_copy(tmp_path, monkeypatch):
    """The catalogues copied to a temporary folder the bot reads from (as a translator's checkout)."""
    dst = tmp_path / "locales"
    shutil.copytree(i18n.LOCALE_DIR, dst, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(i18n, "LOCALE_DIR", dst)
    i18n.catalogue.cache_clear()
    yield dst
    monkeypatch.undo()
    i18n.catalogue.cache_clear()


def test_a_translator_changes_a_text_in_the_po_file_only(locale_copy):
    po = locale_copy / "en" / "LC_MESSAGES" / "deskbot.po"
    text = po.read_text(encoding="utf-8")
    assert 'msgstr "Undo"' in text
    po.write_text(text.replace('msgstr "Undo"', 'msgstr "Take it back"'), encoding="utf-8")
    assert dialogue("en", "undo") == "Take it back"
    assert dialogue("de", "undo") == "Rückgängig"


def test_a_stale_mo_is_ignored_and_a_current_one_used(locale_copy):
    po = locale_copy / "en" / "LC_MESSAGES" / "deskbot.po"
    mo = po.with_suffix(".mo")
    mo.write_bytes(i18n.compile_po(po))
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Undo"', 'msgstr "Revert"'), encoding="utf-8")
    os.utime(mo, (po.stat().st_mtime - 60,) * 2)
    assert dialogue("en", "undo") == "Revert"  # the .po is newer: compiled in memory
    i18n.catalogue.cache_clear()
    mo.write_bytes(i18n.compile_po(po).replace(b"Revert", b"Mo-ed!"))
    assert dialogue("en", "undo") == "Mo-ed!"  # the .mo is current: used as it is


def test_missing_english_text_falls_back_to_german(locale_copy):
    po = locale_copy / "en" / "LC_MESSAGES" / "deskbot.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('msgctxt "dialogue"\nmsgid "undo"\nmsgstr "Undo"\n', ""), encoding="utf-8")
    assert dialogue("en", "undo") == "Rückgängig"
    assert dialogue("fr", "undo") == "Rückgängig"


# ---------------------------------------------------------------------------------------------
# formatting


def test_dates_numbers_and_money_per_locale():
    d = date(2026, 5, 21)
    assert i18n.fmt_day(d, "de") == "Do, 21.05."
    assert i18n.fmt_day(d, "en") == "Thu 21 May"
    assert i18n.fmt_day(date(2026, 9, 7), "en") == "Mon 7 Sep"
    assert i18n.fmt_month("2026-03", "de") == "März 2026"
    assert i18n.fmt_month("2026-03", "en") == "March 2026"
    assert [i18n.fmt_days(h, "de") for h in (1, 2, 3, 4, 16)] == ["0,5 Tage", "1 Tag", "1,5 Tage", "2 Tage", "8 Tage"]
    assert [i18n.fmt_days(h, "en") for h in (1, 2, 3, 16)] == ["0.5 days", "1 day", "1.5 days", "8 days"]
    assert i18n.fmt_days(None, "de") == "–"
    assert (i18n.fmt_num(13, "de"), i18n.fmt_num(13, "en"), i18n.fmt_num(16, "de")) == ("6,5", "6.5", "8")
    assert i18n.fmt_eur(1250, "de") == "12,50 €"
    assert i18n.fmt_eur(1250, "en") == "€12.50"
    assert i18n.fmt_eur(123450, "de") == "1.234,50 €"  # CLDR grouping
    assert i18n.fmt_eur(123450, "en") == "€1,234.50"
    assert i18n.fmt_int(1234, "de") == "1.234"


def test_weekday_abbreviations_are_cldr():
    assert i18n.WD_DE == i18n._weekdays("de")
    assert i18n.WD_EN == i18n._weekdays("en")


def test_parts_of_day():
    assert i18n.PART["de"]["morning"] == "vormittags"
    assert i18n.PART["en"]["afternoon"] == "afternoon"
    assert "en" in i18n.PART and "fr" not in i18n.PART


def test_a_full_stop_after_a_date_is_not_doubled():
    text = dialogue("de", "too_far", day=i18n.fmt_day(date(2026, 6, 1), "de"), last=i18n.fmt_day(date(2026, 5, 22), "de"))
    assert text == "Der Mo, 01.06. ist zu weit weg: Buchen geht bis Fr, 22.05."
    text = dialogue("en", "too_far", day=i18n.fmt_day(date(2026, 6, 1), "en"), last=i18n.fmt_day(date(2026, 5, 22), "en"))
    assert text == "Mon 1 Jun is too far ahead: you can book until Fri 22 May."


def test_holiday_names_in_the_users_language():
    xmas = date(2026, 12, 25)
    assert i18n.fmt_holiday("Erster Weihnachtstag", xmas, "de") == "Erster Weihnachtstag"
    assert i18n.fmt_holiday("Erster Weihnachtstag", xmas, "en") == "Christmas Day"
    assert i18n.fmt_holiday("Fronleichnam", date(2026, 6, 4), "en") == "Corpus Christi"  # regional (NRW)
    assert i18n.fmt_holiday("Betriebsferien", xmas, "en") == "Betriebsferien"  # not a holiday name: as it is
