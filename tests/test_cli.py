"""The `deskbot` command as a user runs it: parse, chat with piped input, settings errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def deskbot(*args: str, input: str | None = None, env: dict | None = None, cwd: Path | None = None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("DESKBOT_")}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], input=input, capture_output=True, text=True,
                          env=e, cwd=cwd or REPO, timeout=120)


def test_parse_one_message_prints_the_contract():
    r = deskbot("parse", "Freitag Dülmen, 4 Plätze", "--now", "2026-11-23T08:00")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"intent": "book", "dates": ["2026-11-27"], "part": None, "start": None, "end": None,
                                    "space": "duelmen", "desks": 4, "lang": "de", "confidence": 0.9}


def test_parse_json_lines_from_stdin_in_order():
    r = deskbot("parse", "--now", "2026-11-23T08:00", input="morgen Olfen\ncancel Friday\n\nqwertz\n")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["intent"] for x in rows] == ["book", "cancel", "unknown", "unknown"]
    assert rows[0]["space"] == "olfen" and rows[1]["dates"] == ["2026-11-27"] and rows[1]["lang"] == "en"


def test_parse_uses_the_configured_spaces(tmp_path):
    world = tmp_path / "world.yaml"
    world.write_text("spaces:\n  - {slug: muenster-hafen, name: 'Hafenbüro', town: 'Münster'}\n", encoding="utf-8")
    r = deskbot("parse", "morgen Münster", "--now", "2026-11-23T08:00", "--config", str(world))
    assert json.loads(r.stdout)["space"] == "muenster-hafen"
    r = deskbot("parse", "morgen Dülmen", "--now", "2026-11-23T08:00", "--config", str(world))
    assert json.loads(r.stdout)["space"] is None
    bad = tmp_path / "bad.yaml"
    bad.write_text("spaces: [{slug: 'Not A Slug'}]\n")
    r = deskbot("parse", "x", "--config", str(bad))
    assert r.returncode == 2 and "spaces.0" in r.stderr and "Traceback" not in r.stderr


def test_chat_with_piped_input(tmp_path):
    script = "KREIS-2026\nmorgen Dülmen\nmeine Buchungen\n1\n/as bob\n/now 2026-11-24 09:00\neinchecken\n"
    r = deskbot("chat", "--fresh", "--now", "2026-11-23T08:00", input=script, env={"DESKBOT_DATA_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "anna> morgen Dülmen" in out
    assert "✅ Gebucht: Coworking Dülmen, Di, 24.11., Platz 1." in out
    assert "[1] ❌ Di, 24.11. Dülmen" in out
    assert "Storniert: Di, 24.11. Coworking Dülmen" in out
    assert "(du bist jetzt bob" in out
    assert "keine Buchung zum Einchecken" in out
    assert "Traceback" not in out + r.stderr


def test_bad_setting_stops_with_one_line(tmp_path):
    r = deskbot("chat", "--fresh", input="", env={"DESKBOT_TIMEZONE": "Mars/Olympus", "DESKBOT_DATA_DIR": str(tmp_path)})
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["deskbot: DESKBOT_TIMEZONE: Value error, unknown time zone 'Mars/Olympus'"]
    r = deskbot("migrate", env={"DESKBOT_TELEGRAM_BASE_URL": "http://127.0.0.1:8081/", "DESKBOT_DATA_DIR": str(tmp_path)})
    assert r.returncode == 2 and r.stderr.startswith("deskbot: DESKBOT_TELEGRAM_BASE_URL:") and "/bot" in r.stderr
    r = deskbot("migrate", env={"DESKBOT_CONFIG": str(tmp_path / "missing.toml")})
    assert r.returncode == 2 and "DESKBOT_CONFIG" in r.stderr


def test_settings_file_and_env_precedence(tmp_path):
    cfg = tmp_path / "deskbot.toml"
    cfg.write_text('booking_horizon_days = 14\ndatabase_url = "sqlite:///%s"\n' % (tmp_path / "x.sqlite3"))
    from bot.settings import load_settings

    old = dict(os.environ)
    try:
        os.environ["DESKBOT_CONFIG"] = str(cfg)
        assert load_settings().booking_horizon_days == 14
        os.environ["DESKBOT_BOOKING_HORIZON_DAYS"] = "30"
        assert load_settings().booking_horizon_days == 30
    finally:
        os.environ.clear()
        os.environ.update(old)


def test_unreachable_database_is_one_line(tmp_path):
    r = deskbot("chat", input="", env={"DESKBOT_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    assert r.returncode == 2
    assert r.stderr.startswith("deskbot: DESKBOT_DATABASE_URL: cannot open the database")


def test_chat_clock_brings_reminders_with_answerable_buttons(tmp_path):
    script = "STADTWERKE-2026\nmorgen Dülmen\n/now 2026-11-23 18:01\n/now 2026-11-24 07:31\n1\n"
    r = deskbot("chat", "--fresh", "--now", "2026-11-23T08:00", input=script, env={"DESKBOT_DATA_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.index("📨 [an/to anna] 🔔 Erinnerung") < out.index("(Uhr/clock: Tue 2026-11-24 07:31 CET)")
    assert "[1] ✅ Einchecken" in out
    assert "Du bist eingecheckt (Platz 1)" in out.split("anna> 1")[-1]
