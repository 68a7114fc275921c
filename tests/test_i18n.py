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
    i18n.reload()
    yield dst
    monkeypatch.undo()
    i18n.reload()


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
    i18n.reload()
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


# ---------------------------------------------------------------------------------------------
# the code and the catalogue agree

_TRANSLATE_NAMES = {"t", "tr", "nt", "tx", "_tx"}


def _keys_used_in_code() -> list[tuple[str, str, bool]]:
    """(file, key, plural?) for every t/tr/nt/tx(lang, "key", ...) and .n(lang, "key", n, ...) in bot/."""
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            f, plural = node.func, False
            if isinstance(f, ast.Attribute) and f.attr == "n" and isinstance(f.value, ast.Name):
                f, plural = f.value, True
            if isinstance(f, ast.Name) and f.id in _TRANSLATE_NAMES:
                key = node.args[1]
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    found.append((str(path.relative_to(ROOT)), key.value, plural))
    return found


def test_every_text_the_code_asks_for_is_in_the_catalogue():
    singular = {key for (_, key), m in MESSAGES["de"].items() if not m.pluralizable}
    plural = {key for (_, key), m in MESSAGES["de"].items() if m.pluralizable}
    used = _keys_used_in_code()
    assert len(used) > 200
    for path, key, is_plural in used:
        assert key in (plural if is_plural else singular), f"{path}: {key!r} ({'plural' if is_plural else 'text'}) " \
                                                           f"is not in the catalogue"


# ---------------------------------------------------------------------------------------------
# plurals (issue 18: "alle 1 künftigen Buchungen", "höchstens 1 Personen", "2 Buchung(en)", ...)


def test_plurals_through_ngettext():
    t, nt = i18n.translator("dialogue"), i18n.translator("notices")
    op = i18n.translator("operator", "staff")
    assert t.n("de", "cancel_all_confirm", 1) == "Wirklich deine künftige Buchung stornieren?"
    assert t.n("de", "cancel_all_confirm", 3) == "Wirklich alle 3 künftigen Buchungen stornieren?"
    assert t.n("en", "cancel_all_confirm", 3) == "Really cancel all 3 upcoming bookings?"
    assert nt.n("de", "digest_head", 1, space="X", day="Di, 24.11.") == "☀️ Heute in X (Di, 24.11.): 1 Buchung"
    assert nt.n("de", "digest_head", 2, space="X", day="Di, 24.11.") == "☀️ Heute in X (Di, 24.11.): 2 Buchungen"
    assert nt.n("en", "digest_head", 1, space="X", day="Tue 24 Nov") == "☀️ Today at X (Tue 24 Nov): 1 booking"
    assert t.n("de", "switch_cancelled", 2) == "✔️ 2 künftige Buchungen storniert."
    assert t.n("en", "switch_self_paid", 1) == "✔️ You now pay 1 future booking yourself."
    done = op("de", "closed_done", space="X", day="Di, 24.11.", bookings=op.n("de", "n_bookings", 1),
              people=op.n("de", "n_people", 1))
    assert "1 Buchung von 1 Person storniert" in done
    done = op("en", "closed_done", space="X", day="Tue 24 Nov", bookings=op.n("en", "n_bookings", 3),
              people=op.n("en", "n_people", 2))
    assert "3 bookings of 2 people cancelled" in done
    emp = i18n.translator("employer", "staff")
    made = emp.n("de", "invite_made", 1, employer="E", code="C", until="Mo, 30.11.", link="L")
    assert "für 1 Person." in made and "höchstens" not in made
    assert "für höchstens 5 Personen." in emp.n("de", "invite_made", 5, employer="E", code="C", until="Mo, 30.11.", link="L")
    assert emp("de", "btn_cancel") == "Abbrechen"  # the shared staff texts


def test_contingent_alert_says_days_once():
    nt = i18n.translator("notices")
    kw = dict(employer="E", month=i18n.fmt_month("2026-11", "de"), left=i18n.fmt_num(0, "de"), granted=i18n.fmt_num(16, "de"))
    assert nt.n("de", "alert_pool", i18n.days_count(16), **kw).endswith("für November 2026 ist fast aufgebraucht: noch 0 von 8 Tagen.")
    kw.update(month=i18n.fmt_month("2026-11", "en"), left=i18n.fmt_num(1, "en"), granted=i18n.fmt_num(2, "en"))
    assert nt.n("en", "alert_pool", i18n.days_count(2), **kw).endswith("for November 2026 is almost used up: 0.5 of 1 day left.")


def test_holiday_name_in_an_english_reply(chat):
    assert "English from now on" in chat.send("anna", "/language en")
    assert "(public holiday: Christmas Day)" in chat.send("anna", "25.12. Coesfeld")
    chat.send("bert", "hallo")
    assert "Feiertag: Erster Weihnachtstag" in chat.send("bert", "25.12. Coesfeld")


def test_a_date_at_the_end_of_a_sentence_keeps_one_full_stop(chat):
    chat.send("anna", "hallo")
    reply = chat.send("anna", "1.6. Coesfeld")
    assert "Buchen geht bis" in reply and reply.endswith(".") and not reply.endswith("..")


def test_cancel_all_of_one_booking(chat):
    chat.send("anna", "hallo")
    chat.send("anna", "morgen Coesfeld")
    assert chat.send("anna", "/storno alle").startswith("Wirklich deine künftige Buchung stornieren?")


def test_a_plural_counted_by_one_value_can_show_another_as_n():
    t = i18n.translator("dialogue")
    assert t.n("de", "full_team", 1, space="X", day="Fr, 27.11.", free=1, n=5) == \
        "😕 In X ist am Fr, 27.11. nur noch 1 Platz frei – zu wenige für 5."


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_gnu_msgfmt_accepts_the_files(tmp_path):
    """What translators' tools (Poedit, Lokalize) run on save."""
    import subprocess

    for lang in i18n.LANGS:
        r = subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / f"{lang}.mo"), str(i18n.po_path(lang))],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr


def test_plain_figures_per_locale():
    assert i18n.fmt_decimal(1234.5, "de") == "1.234,5"
    assert i18n.fmt_decimal(1234.5, "en") == "1,234.5"
    assert i18n.fmt_decimal(23.0, "de") == "23"
    assert i18n.fmt_decimal(7.25, "en", 2) == "7.25"


# ---------------------------------------------------------------------------------------------
# the remaining hand-written texts (issue 18 audit): the district figures, the employer report, calendar entries


def test_impact_summary_counts_through_ngettext():
    """/statistik's lines: were hand-written German/English f-strings ("1 Coworking-Tage", "1 employers")."""
    from bot.stats import ImpactReport, MonthImpact, WeekUtil

    one = MonthImpact("2026-11", employers=1, employees=1, members=1, attended_days=1, km_avoided=1234.5, co2_kg=0.5)
    many = MonthImpact("2026-12", employers=2, employees=3, members=4, attended_days=3.5, km_avoided=66, co2_kg=9.9)
    rep = ImpactReport(date(2026, 11, 1), date(2026, 12, 31), 0.15, months=[one, many],
                       weeks=[WeekUtil("coesfeld", "C", "2026-W48", 1.5, 4)])
    de, en = rep.summary_text("de").splitlines(), rep.summary_text("en").splitlines()
    assert de[0] == "Auslastung der Spaces: W48 37,5 %" and en[0] == "Space utilisation: W48 37.5 %"
    assert de[1] == ("2026-11: 1 Arbeitgeber, 1 Beschäftigte:r, 1 Nutzer:in, 1 Coworking-Tag, 1.234,5 km und 0,5 kg CO₂ "
                     "vermieden")
    assert en[1] == "2026-11: 1 employer, 1 employee, 1 member, 1 coworking day, 1,234.5 km and 0.5 kg CO₂ avoided"
    assert de[2].startswith("2026-12: 2 Arbeitgeber, 3 Beschäftigte, 4 Nutzer:innen, 3,5 Coworking-Tage, 66,0 km")
    assert en[2].startswith("2026-12: 2 employers, 3 employees, 4 members, 3.5 coworking days, 66.0 km")
    assert de[3] == "Gesamt 2026-11-01 – 2026-12-31: 1.300,5 km, 10,4 kg CO₂"


def test_employer_report_and_calendar_texts_come_from_the_catalogue(locale_copy):
    """The employer report's CSV head and the calendar entry's title: were `if lang == "de"` in the code."""
    from zoneinfo import ZoneInfo

    from bot import ics, reports

    head = reports._csv([], "en").decode("utf-8-sig").splitlines()
    assert head == ["employee,space,days,cost_eur", "total,,0,0"]
    assert reports._csv([], "de").decode("utf-8-sig").splitlines()[0] == "Mitarbeiter:in;Coworking;Tage;Kosten EUR"
    po = locale_copy / "en" / "LC_MESSAGES" / "deskbot.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "employee"', 'msgstr "staff member"'), encoding="utf-8")
    i18n.reload()
    assert reports._csv([], "en").decode("utf-8-sig").splitlines()[0] == "staff member,space,days,cost_eur"
    space = type("S", (), {"town": "Olfen", "name": "Coworking Olfen", "address": "Bilholtstraße 21"})()
    b = type("B", (), {"id": 1, "space": space, "desk_label": "3", "day": date(2026, 11, 24), "start_min": 480,
                       "end_min": 1080, "status": "confirmed"})()
    for lang, title in (("de", "SUMMARY:Coworking in Olfen – Platz 3"), ("en", "SUMMARY:Coworking Olfen – desk 3")):
        text = ics.booking_ics([b], ZoneInfo("Europe/Berlin"), lang).decode("utf-8")
        assert title in text.replace("\r\n ", ""), text


def _language_texts_in_code() -> list[str]:
    """`"..." if lang == "en" else "..."` and `{"de": "...", "en": "..."}` with words in them, in bot/ (not the parser)."""
    import re

    def is_text(node) -> bool:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return bool(re.search(r"[A-Za-zÄÖÜäöüß]{3,}", node.value)) and not node.value.startswith("/")  # commands
        return isinstance(node, ast.JoinedStr) and any(is_text(v) for v in node.values if isinstance(v, ast.Constant))

    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if path.name in ("intents.py", "intent_model.py"):
            continue  # the parser's word lists are what users type, not texts the bot writes
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.IfExp) and is_text(node.body) and is_text(node.orelse):
                words = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)} | \
                        {n.attr for n in ast.walk(node.test) if isinstance(n, ast.Attribute)} | \
                        {n.value for n in ast.walk(node.test) if isinstance(n, ast.Constant)}
                if words & {"lang", "de", "en"}:
                    found.append(f"{where}: {ast.unparse(node)[:80]}")
            if isinstance(node, ast.Dict) and {k.value for k in node.keys if isinstance(k, ast.Constant)} == {"de", "en"} \
                    and any(is_text(v) for v in node.values):
                found.append(f"{where}: {ast.unparse(node)[:80]}")
    return found


# still to move into the catalogue: in the transports' files (issues 14 and 15 work on them)
_NOT_YET: tuple[str, ...] = ()


def test_no_language_texts_written_in_the_code():
    """Every text the bot writes is a catalogue message (README "Translations": translators touch no code)."""
    found = [f for f in _language_texts_in_code() if not f.startswith(_NOT_YET)]
    assert found == [], "texts written in the code instead of bot/locales/*/LC_MESSAGES/deskbot.po:\n" + "\n".join(found)
