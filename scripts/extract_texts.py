"""One-off migration: write bot/locales/<lang>/LC_MESSAGES/deskbot.po from the text dicts in the code.

Used once to move the hand-written tables (bot/i18n.py TEXTS, bot/notices.py TEXTS, the feature
slices' tables) into gettext catalogues; after that the .po files are the source of the texts and
this script has nothing left to read. Messages that depend on a count become gettext plurals here
(PLURALS); the rest are copied byte for byte.

    .venv/bin/python scripts/extract_texts.py
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from babel.messages.catalog import Catalog  # noqa: E402
from babel.messages.pofile import write_po  # noqa: E402

LANGS = ("de", "en")
FIXED = datetime(2026, 12, 1, tzinfo=timezone.utc)  # no header churn on re-runs


def sources() -> list[tuple[str, dict[str, dict[str, str]]]]:
    """(context, {lang: {key: text}}) in the order the .po files list them."""
    from bot import i18n, notices
    from bot.features import staff
    from bot.features.employer import chat as employer
    from bot.features.operator import chat as operator
    from bot.features.privacy import chat as privacy
    from bot.features.settings import chat as settings

    return [
        ("format", FORMAT),
        ("part", PART),
        ("dialogue", i18n.TEXTS),
        ("notices", notices.TEXTS),
        ("settings", settings.TX),
        ("staff", staff.COMMON_TEXTS),
        ("refusals", staff.REFUSALS),
        ("employer", employer.TEXTS),
        ("operator", operator.TEXTS),
        ("privacy", privacy.TEXTS),
    ]


# Babel date patterns (CLDR syntax: ccc = short weekday, dd.MM. = day and month, LLLL = month name)
FORMAT = {
    "de": {"day": "ccc, dd.MM.", "month": "LLLL y"},
    "en": {"day": "EEE d MMM", "month": "LLLL y"},
}
PART = {
    "de": {"full": "ganztags", "morning": "vormittags", "afternoon": "nachmittags"},
    "en": {"full": "full day", "morning": "morning", "afternoon": "afternoon"},
}

# (context, key) -> {lang: (singular, plural)}; the call sites use tr.n(lang, key, count, ...)
PLURALS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    ("format", "days"): {
        "de": ("{n} Tag", "{n} Tage"),
        "en": ("{n} day", "{n} days"),
    },
    ("dialogue", "cancel_all_confirm"): {
        "de": ("Wirklich deine künftige Buchung stornieren?", "Wirklich alle {n} künftigen Buchungen stornieren?"),
        "en": ("Really cancel your upcoming booking?", "Really cancel all {n} upcoming bookings?"),
    },
    ("dialogue", "full_team"): {
        "de": ("😕 In {space} ist am {day} nur noch {free} Platz frei – zu wenige für {n}.",
               "😕 In {space} sind am {day} nur noch {free} Plätze frei – zu wenige für {n}."),
        "en": ("😕 {space} has only {free} desk free on {day} – not enough for {n}.",
               "😕 {space} has only {free} desks free on {day} – not enough for {n}."),
    },
    ("dialogue", "switch_employer_ask"): {
        "de": ("Mit diesem Code wechselst du den Arbeitgeber. {n} künftige Buchung zahlt noch {employer}. Was soll damit passieren?",
               "Mit diesem Code wechselst du den Arbeitgeber. {n} künftige Buchungen zahlt noch {employer}. Was soll damit passieren?"),
        "en": ("With this code you switch employer. {employer} still pays {n} future booking. What should happen to it?",
               "With this code you switch employer. {employer} still pays {n} future bookings. What should happen to them?"),
    },
    ("dialogue", "switch_self_paid"): {
        "de": ("✔️ {n} künftige Buchung zahlst du jetzt selbst.", "✔️ {n} künftige Buchungen zahlst du jetzt selbst."),
        "en": ("✔️ You now pay {n} future booking yourself.", "✔️ You now pay {n} future bookings yourself."),
    },
    ("dialogue", "switch_cancelled"): {
        "de": ("✔️ {n} künftige Buchung storniert.", "✔️ {n} künftige Buchungen storniert."),
        "en": ("✔️ {n} future booking cancelled.", "✔️ {n} future bookings cancelled."),
    },
    ("notices", "digest_head"): {
        "de": ("☀️ Heute in {space} ({day}): {n} Buchung", "☀️ Heute in {space} ({day}): {n} Buchungen"),
        "en": ("☀️ Today at {space} ({day}): {n} booking", "☀️ Today at {space} ({day}): {n} bookings"),
    },
    ("notices", "alert_pool"): {
        "de": ("⚠️ Das Firmenkontingent von {employer} für {month} ist fast aufgebraucht: noch {left} von {granted} Tag.",
               "⚠️ Das Firmenkontingent von {employer} für {month} ist fast aufgebraucht: noch {left} von {granted} Tagen."),
        "en": ("⚠️ The company contingent of {employer} for {month} is almost used up: {left} of {granted} day left.",
               "⚠️ The company contingent of {employer} for {month} is almost used up: {left} of {granted} days left."),
    },
    ("notices", "alert_member"): {
        "de": ("⚠️ Das Kontingent von {name} ({employer}) für {month} ist fast aufgebraucht: noch {left} von {granted} Tag.",
               "⚠️ Das Kontingent von {name} ({employer}) für {month} ist fast aufgebraucht: noch {left} von {granted} Tagen."),
        "en": ("⚠️ The contingent of {name} ({employer}) for {month} is almost used up: {left} of {granted} day left.",
               "⚠️ The contingent of {name} ({employer}) for {month} is almost used up: {left} of {granted} days left."),
    },
    ("employer", "invite_made"): {
        "de": ("🔗 Neuer Einladungscode für {employer}: {code}\nGültig bis {until} für {n} Person.\n"
               "Neue Kolleg:innen schicken mir einfach den Code – oder öffnen {link}",
               "🔗 Neuer Einladungscode für {employer}: {code}\nGültig bis {until} für höchstens {n} Personen.\n"
               "Neue Kolleg:innen schicken mir einfach den Code – oder öffnen {link}"),
        "en": ("🔗 New invite code for {employer}: {code}\nValid until {until} for {n} person.\n"
               "New colleagues just send me the code – or open {link}",
               "🔗 New invite code for {employer}: {code}\nValid until {until} for up to {n} people.\n"
               "New colleagues just send me the code – or open {link}"),
    },
    ("employer", "removed"): {
        "de": ("Erledigt: {name} gehört nicht mehr zu {employer}. {n} gebuchter Tag ab morgen ist jetzt selbst bezahlt, "
               "{days} zurück ins Kontingent.",
               "Erledigt: {name} gehört nicht mehr zu {employer}. {n} gebuchte Tage ab morgen sind jetzt selbst bezahlt, "
               "{days} zurück ins Kontingent."),
        "en": ("Done: {name} no longer belongs to {employer}. {n} booked day from tomorrow on is now self-paid, "
               "{days} back in the contingent.",
               "Done: {name} no longer belongs to {employer}. {n} booked days from tomorrow on are now self-paid, "
               "{days} back in the contingent."),
    },
    ("employer", "csv_caption"): {
        "de": ("📎 Buchungen von {employer} im {month} ({n} Zeile).", "📎 Buchungen von {employer} im {month} ({n} Zeilen)."),
        "en": ("📎 Bookings of {employer} in {month} ({n} row).", "📎 Bookings of {employer} in {month} ({n} rows)."),
    },
    ("operator", "close_confirm"): {
        "de": ("{space} am {day} schließen{reason}?\n{n} Buchung wird storniert und gutgeschrieben; alle Betroffenen "
               "bekommen eine Nachricht.",
               "{space} am {day} schließen{reason}?\n{n} Buchungen werden storniert und gutgeschrieben; alle Betroffenen "
               "bekommen eine Nachricht."),
        "en": ("Close {space} on {day}{reason}?\n{n} booking will be cancelled and refunded; everyone affected is told.",
               "Close {space} on {day}{reason}?\n{n} bookings will be cancelled and refunded; everyone affected is told."),
    },
    ("operator", "n_bookings"): {
        "de": ("{n} Buchung", "{n} Buchungen"),
        "en": ("{n} booking", "{n} bookings"),
    },
    ("operator", "n_people"): {
        "de": ("{n} Person", "{n} Personen"),
        "en": ("{n} person", "{n} people"),
    },
    ("operator", "closed_checked_in"): {
        "de": ("{n} Person ist heute schon eingecheckt – ihre Buchung habe ich stehen lassen.",
               "{n} Personen sind heute schon eingecheckt – deren Buchungen habe ich stehen lassen."),
        "en": ("{n} person has already checked in today – I left their booking alone.",
               "{n} people have already checked in today – I left their bookings alone."),
    },
    ("privacy", "link_done_conflict"): {
        "de": ("{n} Buchung dieses Kontos überschnitt sich mit Buchungen des Profils und wurde storniert.",
               "{n} Buchungen dieses Kontos überschnitten sich mit Buchungen des Profils und wurden storniert."),
        "en": ("{n} booking of this account overlapped with the profile's bookings and was cancelled.",
               "{n} bookings of this account overlapped with the profile's bookings and were cancelled."),
    },
    ("privacy", "export_caption"): {
        "de": ("📎 Alles, was ich über dich gespeichert habe ({n} Buchung). Löschen kannst du es mit /loeschen.",
               "📎 Alles, was ich über dich gespeichert habe ({n} Buchungen). Löschen kannst du es mit /loeschen."),
        "en": ("📎 Everything I have stored about you ({n} booking). To erase it, send /delete.",
               "📎 Everything I have stored about you ({n} bookings). To erase it, send /delete."),
    },
}

# (context, key) -> {lang: text}: texts that replace the old one (the placeholders changed)
REPLACED: dict[tuple[str, str], dict[str, str]] = {
    ("operator", "closed_done"): {
        "de": "Erledigt: {space} ist am {day} geschlossen. {bookings} von {people} storniert und gutgeschrieben, "
              "alle wurden benachrichtigt.",
        "en": "Done: {space} is closed on {day}. {bookings} of {people} cancelled and refunded, everyone was told.",
    },
}

# texts that are no message (empty, never looked up)
SKIP = {("staff", "status_confirmed")}

HEADER = """deskbot's texts ({lang}). README.md "Translations" says how to work on this file.
msgctxt: the part of the bot that says the text; msgid: its symbolic name (keep it); msgstr: the text.
{{placeholders}} are filled in by the bot: keep every one of them, in any order. Plurals: msgstr[0] is
the singular, msgstr[1] the plural (see Plural-Forms)."""


def build(lang: str) -> Catalog:
    cat = Catalog(locale=lang, domain="deskbot", project="deskbot", version="0.1.0", copyright_holder="deskbot",
                  msgid_bugs_address="the deskbot issue tracker", creation_date=FIXED, revision_date=FIXED, fuzzy=False,
                  header_comment="\n".join("# " + line for line in HEADER.format(lang=lang).splitlines()), language_team=f"deskbot {lang}",
                  last_translator="deskbot")
    seen: set[tuple[str, str]] = set()
    for ctx, table in sources():
        keys = list(table["de"]) + [k for k in table.get("en", {}) if k not in table["de"]]
        keys += [k for (c, k) in PLURALS if c == ctx and k not in keys]
        for key in keys:
            if (ctx, key) in SKIP:
                continue
            seen.add((ctx, key))
            if (ctx, key) in PLURALS:
                # no python-brace-format flag: with symbolic ids, msgfmt --check (Poedit on save) would
                # report every placeholder as missing from the msgid; tests/test_i18n.py checks them instead
                cat.add((key, key), PLURALS[(ctx, key)][lang], context=ctx)
                continue
            text = REPLACED.get((ctx, key), {}).get(lang) or table.get(lang, {}).get(key)
            if text is None:
                text = table["de"][key]
                print(f"warning: {ctx}/{key} has no {lang} text; the German one is copied", file=sys.stderr)
            cat.add(key, text, context=ctx)
    return cat


def main() -> None:
    for lang in LANGS:
        path = ROOT / "bot" / "locales" / lang / "LC_MESSAGES" / "deskbot.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        cat = build(lang)
        with path.open("wb") as f:
            write_po(f, cat, width=0, omit_header=False, sort_output=False, include_lineno=False)
        print(f"{path.relative_to(ROOT)}: {len(cat)} messages")


if __name__ == "__main__":
    main()
