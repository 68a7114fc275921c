"""Incentives (issue 17): own impact on request, streaks and badges, the opt-in weekly summary."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.dialogue import Dialogue
from bot.features.incentives.service import personal_impact
from bot.scheduler import TerminalDriver
from tests.conftest import Chat

TZ = ZoneInfo("Europe/Berlin")


def test_impact_on_request_counts_attended_days_half_days_and_km(chat, clock):
    chat.send("anna", "KREIS-2026")
    assert "Noch kein Coworking-Tag" in chat.send("anna", "wie viel CO₂ habe ich gespart?")
    chat.send("anna", "/pendeln 20")
    chat.send("anna", "buche morgen Olfen")
    chat.send("anna", "buche Mittwoch vormittags Senden")
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=TZ))
    chat.send("anna", "einchecken")
    clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=TZ))  # Wednesday is over (confirmed counts), Tuesday checked in
    r = chat.send("anna", "wie viel CO₂ habe ich gespart?")
    assert "diesen Monat: 1,5" in r  # a half day counts half
    assert "60 km diesen Monat" in r  # 1.5 days x 2 x 20 km
    assert "Erster Coworking-Tag" in r
    imp = personal_impact(chat.dialogue.core, chat.dialogue.members.resolve("terminal", "anna", "anna").id,
                          clock.now().date())
    assert imp.days_total == 1.5 and imp.km_total == 60 and round(imp.co2_total, 2) == round(60 * chat.dialogue.core.settings.co2_kg_per_km, 2)
    assert "km_100" not in imp.badges


def test_streak_counts_weeks_in_a_row(chat, clock):
    chat.send("anna", "KREIS-2026")
    for day in ("24.11.", "1.12.", "8.12."):
        chat.send("anna", f"buche {day} Olfen")
    clock.set(datetime(2026, 12, 10, 9, 0, tzinfo=TZ))
    r = chat.send("anna", "/bilanz")
    assert "3 Wochen in Folge" in r and "Tage diesen Monat: 2" in r


def test_weekly_summary_only_when_switched_on_and_never_shaming(sqlite_core, clock):
    import io

    from bot.handlers.terminal import TerminalTransport

    dlg = Dialogue(sqlite_core)
    chat = Chat(dlg)
    tr = TerminalTransport(io.StringIO())
    driver = TerminalDriver(sqlite_core, dlg, {"terminal": tr})
    chat.send("anna", "KREIS-2026")
    chat.send("bert", "KREIS-2026")
    assert "an" in chat.send("anna", "/einstellungen wochenbericht an")
    chat.send("bert", "/einstellungen wochenbericht an")
    chat.send("anna", "buche morgen Olfen")
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=TZ))
    driver.catch_up(clock.now())
    assert "eingecheckt" in chat.send("anna", "einchecken")
    clock.set(datetime(2026, 11, 30, 8, 5, tzinfo=TZ))  # Monday
    driver.catch_up(clock.now())
    sent = [(c, r.text) for c, r in tr.delivered if "Deine Woche" in r.text]
    assert sent == [("anna", "📅 Deine Woche – Coworking-Tage: 1, nicht gefahren: 0 km. Danke! 🌱")]  # bert: nothing
