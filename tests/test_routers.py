"""The feature routers: every intent, button and notice kind has exactly one handler, checked at start-up;
and one chat script per router, through the real Dialogue on the demo world."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.dialogue import Dialogue
from bot.features import default_routers
from bot.intents import parse
from bot.router import Router, RouterConflict, Routes

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Europe/Berlin")


def _source() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot").rglob("*.py"))


def test_default_routers_merge_without_conflicts():
    routes = Routes.merge(default_routers())
    assert {r.name for r in routes.routers} == {"account", "booking", "employer", "operator", "privacy", "settings",
                                                 "incentives", "dashboard"}
    assert routes.intents["book"].__module__ == "bot.features.booking.chat"
    assert routes.commands["/firma"].__module__ == "bot.features.employer.chat"
    assert routes.commands["/ankuenfte"].__module__ == "bot.features.operator.chat"
    assert routes.notices["digest"].__module__ == "bot.features.operator.notices"
    assert {j.name for j in routes.jobs} >= {"release_no_shows", "nudges", "digests", "contingent_alerts",
                                               "monthly_reports", "employer_copies", "retention"}


def test_a_claim_made_twice_fails_loudly():
    def h(dlg, ctx):
        return []

    with pytest.raises(RouterConflict, match="intent:book"):
        Routes.merge([Router("a", intents={"book": h}), Router("b", intents={"book": h})])
    with pytest.raises(RouterConflict, match="button:x"):
        Routes.merge([Router("a", buttons={"x": h}), Router("b", buttons={"x": h})])


def test_start_up_check_names_what_has_no_handler(sqlite_core):
    routers = [r for r in default_routers() if r.name != "booking"]
    with pytest.raises(RouterConflict, match="no handler for"):
        Routes.merge(routers).check(intents=["book"], notices=["reminder_evening"])
    with pytest.raises(RouterConflict):  # the dialogue refuses to start without them
        Dialogue(sqlite_core, routers)


def test_every_intent_the_parser_emits_has_a_handler(sqlite_core):
    routes = Routes.merge(default_routers())
    now = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
    seen = set()
    for path in (ROOT / "tests" / "corpus").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                seen.add(parse(json.loads(line)["text"], now, sqlite_core.space_refs()).intent)
    assert len(seen) >= 15
    missing = sorted(i for i in seen if i not in routes.intents)
    assert missing == []


def test_every_button_kind_offered_in_the_code_is_answered():
    offered = set(re.findall(r'"op":\s*"(\w+)"', _source()))
    assert len(offered) >= 20
    routes = Routes.merge(default_routers())
    assert sorted(offered - set(routes.buttons)) == []


def test_every_notice_kind_enqueued_in_the_code_has_a_drafter():
    kinds = set(re.findall(r'(?:enqueue|notify_space)\(\s*s\s*,\s*"(\w+)"', _source()))
    kinds |= set(re.findall(r'notify_space\(\s*s,\s*[\w.]+,\s*"(\w+)"', _source()))
    assert {"reminder_evening", "no_show", "arrival_new", "digest", "space_closed"} <= kinds
    routes = Routes.merge(default_routers())
    assert sorted(kinds - set(routes.notices)) == []


def test_offering_an_unanswered_button_fails_loudly(chat):
    chat.send("anna", "hallo")
    dlg = chat.dialogue
    from bot.router import Ctx

    member = dlg.members.resolve("terminal", "anna", "anna")
    ctx = Ctx(None, member, "de", dlg.core.clock.now())  # type: ignore[arg-type]
    with pytest.raises(RouterConflict, match="nobody_answers"):
        dlg.choices(ctx, [("x", {"op": "nobody_answers"})])


# --- one chat script per router ------------------------------------------------------------------

def test_account_router(chat):
    r = chat.send("anna", "/start")
    assert "Hallo Anna" in r and len(chat.last["anna"]) == 1  # welcome and help in one message
    assert "morgen Dülmen" in chat.send("anna", "/hilfe")
    assert "language" in chat.send("anna", "/sprache")
    assert "English" in [c.label for c in chat.choices("anna")]
    assert "English" in chat.press("anna", "English")
    assert "welcome" in chat.send("anna", "thanks!").lower()


def test_booking_router(chat):
    chat.send("anna", "STADTWERKE-2026")
    assert "Gebucht" in chat.send("anna", "morgen Dülmen")
    assert "Coworking Dülmen" in chat.send("anna", "meine Buchungen")
    r = chat.send("anna", "1")  # a number picks from the list: asked first
    assert "stornieren?" in r and "Storniert" not in r
    assert "Storniert" in chat.send("anna", "ja")
    assert "frei" in chat.send("anna", "Ist morgen in Olfen noch was frei?")
    assert chat.send("anna", "meine Buchungen").startswith("Du hast keine")  # the question booked nothing


def test_employer_router(chat):
    chat.send("boss", "STADTWERKE-ADMIN")
    r = chat.send("boss", "/firma")
    assert "Stadtwerke" in r
    assert "Dezember" in chat.send("boss", "/firma Dezember")
    assert "Monat" in chat.send("boss", "/firma 9999-12")
    assert "Firmen-Admins" in chat.send("anna", "/firma")


def test_operator_router(chat):
    chat.send("olga", "OP-DUELMEN")
    assert "Coworking Dülmen" in chat.send("olga", "/ankuenfte")
    assert "Betreiber" in chat.send("anna", "/ankuenfte")


def test_privacy_router(chat):
    chat.send("anna", "morgen Dülmen")
    chat.send("anna", "ja")
    r = chat.send("anna", "/export")
    assert chat.last["anna"][0].attachments, r
    assert "löschen" in chat.send("anna", "/loeschen").lower()


def test_settings_router(chat):
    assert "Benachrichtigungen" in chat.send("anna", "/einstellungen")
    r = chat.send("anna", "/einstellungen erinnerungen aus")
    assert r.count("\n") == 0 and "aus" in r  # one line, not the whole menu again
    prefs = chat.dialogue.members.view(chat.dialogue.members.resolve("terminal", "anna", "anna").id).prefs
    assert prefs["notices"]["reminder_evening"] is False and prefs["notices"]["reminder_morning"] is False
