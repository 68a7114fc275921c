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
    script = "KREIS-2026\nmorgen Dülmen\nmeine Buchungen\n1\n1\n/as bob\n/now 2026-11-24 09:00\neinchecken\n"
    r = deskbot("chat", "--fresh", "--now", "2026-11-23T08:00", input=script, env={"DESKBOT_DATA_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "anna> morgen Dülmen" in out
    assert "✅ Gebucht: Coworking Dülmen, Di, 24.11., Platz 1." in out
    assert "[1] ❌ Di, 24.11. Dülmen" in out
    assert "Di, 24.11. Coworking Dülmen stornieren?" in out  # picking from the list asks first
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


# ------------------------------------------------------------------------------------- start-up errors: one line, exit 2
import re  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

DEMO_WORLD = REPO / "config" / "demo_world.yaml"
TOKEN = "123456:AAH-very-secret-part_xyz"


def _store(tmp_path: Path, **env: str) -> dict:
    base = {"DESKBOT_DATA_DIR": str(tmp_path / "data"), "DESKBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "DESKBOT_WORLD_FILE": str(DEMO_WORLD)}
    return {**base, **env}


def one_error_line(r, *, starts: str) -> str:
    """The run failed with exit 2 and exactly one stderr line (no traceback), starting with `starts`."""
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"deskbot: {starts}"), lines[0]
    return lines[0]


def test_webhook_mode_needs_a_url_and_a_secret(tmp_path):
    env = _store(tmp_path, DESKBOT_TELEGRAM_TOKEN=TOKEN, DESKBOT_TELEGRAM_MODE="webhook")
    one_error_line(deskbot("run", env=env), starts="DESKBOT_TELEGRAM_WEBHOOK_URL:")
    env["DESKBOT_TELEGRAM_WEBHOOK_URL"] = "https://bot.example/telegram"
    line = one_error_line(deskbot("run", env=env), starts="DESKBOT_TELEGRAM_WEBHOOK_SECRET:")
    assert "forged" in line
    env["DESKBOT_TELEGRAM_WEBHOOK_SECRET"] = "not allowed!"
    one_error_line(deskbot("run", env=env), starts="DESKBOT_TELEGRAM_WEBHOOK_SECRET:")
    assert not (tmp_path / "db.sqlite3").exists(), "refused before touching the database"


def test_half_configured_matrix_names_only_what_is_missing(tmp_path):
    r = deskbot("run", env=_store(tmp_path, DESKBOT_MATRIX_HOMESERVER="https://matrix.example"))
    line = one_error_line(r, starts="DESKBOT_MATRIX_USER_ID:")
    missing = line.split("missing:", 1)[1]
    assert "DESKBOT_MATRIX_HOMESERVER" not in missing and "DESKBOT_MATRIX_PASSWORD" in missing
    r = deskbot("run", env=_store(tmp_path, DESKBOT_MATRIX_USER_ID="@bot:example", DESKBOT_MATRIX_PASSWORD="pw-secret"))
    line = one_error_line(r, starts="DESKBOT_MATRIX_HOMESERVER:")
    assert "USER_ID" not in line.split("missing:", 1)[1] and "pw-secret" not in line


def test_bad_database_url_is_one_line_without_the_password(tmp_path):
    for url in ("nonsense", "postgresql+psycopg://u:hunter2@[bad", "mysql://u:hunter2@db/x"):
        r = deskbot("migrate", env={"DESKBOT_DATABASE_URL": url, "DESKBOT_DATA_DIR": str(tmp_path)})
        line = one_error_line(r, starts="DESKBOT_DATABASE_URL:")
        assert "hunter2" not in line


def test_unreadable_world_file_is_one_line(tmp_path):
    not_utf8 = tmp_path / "latin1.yaml"
    not_utf8.write_bytes("spaces: [{slug: a, name: 'K\xf6ln', town: x}]\n".encode("latin-1"))
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("spaces: [\n  - {slug: a\n")
    for i, (world, expect) in enumerate([(tmp_path / "missing.yaml", "not found"), (tmp_path, "cannot read"),
                                         (not_utf8, "not UTF-8"), (bad_yaml, "not valid YAML")]):
        env = _store(tmp_path, DESKBOT_WORLD_FILE=str(world), DESKBOT_DATABASE_URL=f"sqlite:///{tmp_path}/w{i}.sqlite3")
        line = one_error_line(deskbot("chat", input="", env=env), starts="DESKBOT_WORLD_FILE:")
        assert expect in line, line


def test_hung_database_times_out_in_seconds(tmp_path):
    """A port that accepts connections but never answers (issue 14: start-up hung 45 s in silence)."""
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(16)  # the kernel completes the TCP handshake; nobody ever answers
        port = srv.getsockname()[1]
        t0 = time.monotonic()
        r = deskbot("migrate", env={"DESKBOT_DATABASE_URL": f"postgresql+psycopg://u:hunter2@127.0.0.1:{port}/x"})
        took = time.monotonic() - t0
    line = one_error_line(r, starts="DESKBOT_DATABASE_URL: cannot open the database")
    assert "hunter2" not in line
    assert took < 20, f"took {took:.1f}s"


def test_unreachable_database_is_exactly_one_line(tmp_path):
    r = deskbot("run", env=_store(tmp_path, DESKBOT_DATABASE_URL="postgresql+psycopg://nobody:pw@127.0.0.1:1/none"))
    one_error_line(r, starts="DESKBOT_DATABASE_URL: cannot open the database")


def test_fresh_says_it_ignores_the_database_url_and_cleans_up(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {"DESKBOT_DATABASE_URL": "postgresql+psycopg://u:pw@127.0.0.1:1/x", "DESKBOT_DATA_DIR": str(tmp_path), "TMPDIR": str(tmp)}
    r = deskbot("chat", "--fresh", "--now", "2026-11-23T08:00", input="morgen Olfen\n", env=env)
    assert r.returncode == 0, r.stderr
    assert "--fresh ignores DESKBOT_DATABASE_URL" in r.stderr
    assert list(tmp.iterdir()) == []
    r = deskbot("chat", "--fresh", "--db", "sqlite:///x.sqlite3", input="", env={"TMPDIR": str(tmp)})
    one_error_line(r, starts="--fresh and --db")
    assert list(tmp.iterdir()) == []



def test_health_port_in_use_is_one_line(tmp_path):
    """DESKBOT_HTTP_PORT taken by another program: was a 40-line traceback and exit 1."""
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        r = deskbot("run", env=_store(tmp_path, DESKBOT_HTTP_PORT=str(port)))
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "│" not in r.stderr, r.stderr
    assert r.stderr.strip().splitlines()[-1] == f"deskbot: DESKBOT_HTTP_PORT: cannot listen on 0.0.0.0:{port}: address already in use"



def test_fresh_also_says_so_for_a_database_in_the_settings_file(tmp_path):
    """The database named in the settings file (not the environment) was ignored in silence."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cfg = tmp_path / "deskbot.toml"
    cfg.write_text('database_host = "db.example"\n')
    r = deskbot("chat", "--fresh", "--now", "2026-11-23T08:00", input="morgen Olfen\n",
                env={"DESKBOT_CONFIG": str(cfg), "DESKBOT_DATA_DIR": str(tmp_path / "data"), "TMPDIR": str(tmp)})
    assert r.returncode == 0, r.stderr
    assert "--fresh ignores DESKBOT_DATABASE_URL" in r.stderr and "Gebucht" in r.stdout
    assert list(tmp.iterdir()) == []
    r = deskbot("chat", "--fresh", "--now", "2026-11-23T08:00", input="",
                env={"DESKBOT_DATA_DIR": str(tmp_path / "data"), "TMPDIR": str(tmp)})
    assert r.returncode == 0 and "ignores" not in r.stderr, r.stderr



def test_fresh_removes_the_folders_of_killed_chats(tmp_path):
    """A `chat --fresh` killed with SIGKILL cannot clean up; the next one removes its folder (not a running one's)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    e = {k: v for k, v in os.environ.items() if not k.startswith("DESKBOT_")}
    e.update(TMPDIR=str(tmp), DESKBOT_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.Popen([sys.executable, "-m", "bot", "chat", "--fresh", "--now", "2026-11-23T08:00"], cwd=REPO, env=e,
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any((p / "chat.sqlite3").exists() for p in tmp.glob("deskbot-*")):
            time.sleep(0.1)
        (killed,) = tmp.glob("deskbot-*")
        proc.kill()
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert killed.exists(), "SIGKILL leaves the folder"
    running = tmp / f"deskbot-chat-{os.getpid()}-abc"  # a live process's folder (this one's) stays
    running.mkdir()
    other = tmp / "deskbot-bench-xyz"  # not a chat folder
    other.mkdir()
    r = deskbot("chat", "--fresh", "--now", "2026-11-23T08:00", input="", env={"TMPDIR": str(tmp), "DESKBOT_DATA_DIR": str(tmp_path / "data")})
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp.iterdir()) == sorted([running.name, other.name])



_TERM_DURING_BOOKING = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine

@event.listens_for(Engine, "after_cursor_execute")
def _term(conn, cursor, statement, *args):
    if statement.lstrip().upper().startswith("INSERT INTO BOOKINGS"):
        os.kill(os.getpid(), signal.SIGTERM)  # in the middle of the booking's unit of work

from bot.cli import main
sys.argv = ["deskbot", "chat", "--fresh", "--now", "2026-11-23T08:00"]
main()
"""


def test_fresh_stopped_in_the_middle_of_a_message_finishes_it_first(tmp_path):
    """SIGTERM while a message is handled (here: inside the booking's INSERT) used to raise SystemExit right
    there, in SQLAlchemy's flush: the reply was lost and, under load, the half-closed SQLite connection ended in
    a traceback. Now the message is answered, and the chat stops at the next read (exit 143), folder removed."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    script = tmp_path / "term_during_booking.py"
    script.write_text(_TERM_DURING_BOOKING)
    e = {k: v for k, v in os.environ.items() if not k.startswith("DESKBOT_")}
    e.update(TMPDIR=str(tmp), DESKBOT_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(REPO))
    r = subprocess.run([sys.executable, str(script)], input="morgen Olfen\nmeine Buchungen\n", capture_output=True,
                       text=True, cwd=REPO, env=e, timeout=120)
    assert r.returncode == 128 + signal.SIGTERM, (r.returncode, r.stderr)
    assert "Gebucht: Coworking Olfen" in r.stdout, r.stdout
    assert "anna> meine Buchungen" not in r.stdout  # stopped before reading the next line
    assert "Traceback" not in r.stderr and list(tmp.iterdir()) == []



def test_admin_commands_with_an_unreachable_database_are_one_line(tmp_path):
    """`deskbot admin spaces` on a database that does not answer: was SQLAlchemy's traceback and exit 1."""
    for args in (("admin", "spaces"), ("admin", "members")):
        r = deskbot(*args, env={"DESKBOT_DATABASE_URL": "postgresql+psycopg://u:hunter2@127.0.0.1:1/x",
                                "DESKBOT_DATA_DIR": str(tmp_path)})
        line = one_error_line(r, starts="DESKBOT_DATABASE_URL: cannot open the database")
        assert "hunter2" not in line


# ------------------------------------------------------------------------------------- Telegram at start
def _run_until(env: dict, pattern: str, *, cwd: Path, timeout: float = 30.0):
    """Start `deskbot run`, wait until stderr matches `pattern` (or it exits), then SIGTERM it."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("DESKBOT_")}
    e.update(env)
    log = cwd / "run.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=e, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if re.search(pattern, log.read_text()):
                break
            time.sleep(0.1)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return rc, log.read_text()


def test_telegram_unreachable_at_start_is_retried_with_one_line_per_attempt(tmp_path, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens here once closed
    env = _store(tmp_path, DESKBOT_TELEGRAM_TOKEN=TOKEN, DESKBOT_TELEGRAM_BASE_URL=f"http://127.0.0.1:{closed}/bot")
    rc, log = _run_until(env, r"attempt 2\b.*\n", cwd=tmp_path)
    attempts = [line for line in log.splitlines() if "transport telegram: cannot start, attempt" in line]
    assert len(attempts) >= 2, log
    assert "attempt 1 " in attempts[0] and "next try in 1s" in attempts[0] and "next try in 2s" in attempts[1]
    assert "Traceback" not in log and len(log.splitlines()) < 30, log
    assert TOKEN.split(":")[1] not in log
    assert rc == 0, log  # SIGTERM during the back-off: a clean stop
    assert "deskbot stopped" in log


class _RejectingBotAPI(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        body = b'{"ok": false, "error_code": 401, "description": "Unauthorized"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args):
        pass


def test_rejected_token_is_one_line_and_never_logged(tmp_path):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _RejectingBotAPI)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        env = _store(tmp_path, DESKBOT_TELEGRAM_TOKEN=TOKEN, DESKBOT_TELEGRAM_BASE_URL=f"http://127.0.0.1:{srv.server_port}/bot",
                     DESKBOT_LOG_LEVEL="DEBUG")
        r = deskbot("run", env=env)
    finally:
        srv.shutdown()
        srv.server_close()
    assert r.returncode == 2, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("deskbot: DESKBOT_TELEGRAM_TOKEN: Telegram rejected the token"), r.stderr
    assert "Traceback" not in r.stderr
    secret = TOKEN.split(":")[1]
    assert secret not in r.stderr + r.stdout, "the token was logged (DEBUG level included)"


# ------------------------------------------------------------------------------------- what never reaches a log
def test_log_lines_mask_secrets_also_in_tracebacks_and_json():
    import io
    import logging

    from bot.logging_setup import JsonFormatter
    from bot.runner import RedactingFormatter, secrets_of
    from bot.settings import Settings

    s = Settings(telegram_token=TOKEN, matrix_password="matrix-pw-1", database_url="postgresql+psycopg://u:db-pw-2@h/x")
    secrets = secrets_of(s)
    for inner in (logging.Formatter("%(message)s"), JsonFormatter()):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(RedactingFormatter(inner, secrets))
        lg = logging.getLogger("test.redact")
        lg.addHandler(handler)
        lg.propagate = False
        try:
            try:
                raise RuntimeError(f"The token `{TOKEN}` was rejected; db-pw-2")
            except RuntimeError:
                lg.exception("https://api.telegram.org/bot%s/getMe failed, pw %s", TOKEN, "matrix-pw-1")
        finally:
            lg.removeHandler(handler)
        out = stream.getvalue()
        for secret in (TOKEN, TOKEN.split(":")[1], "matrix-pw-1", "db-pw-2"):
            assert secret not in out, (secret, out)
        assert "getMe failed" in out and "***" in out


def test_sql_parameters_are_hidden_from_errors(tmp_path):
    from sqlalchemy import text

    from bot.storage.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (name TEXT UNIQUE)"))
        conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": "Anna Private-Name"})
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": "Anna Private-Name"})
    except Exception as exc:  # IntegrityError
        assert "Private-Name" not in str(exc) and "hidden" in str(exc)
    else:
        raise AssertionError("no IntegrityError")
    finally:
        engine.dispose()
    assert make_engine("postgresql+psycopg://u@127.0.0.1/x").hide_parameters


def test_sqlite_files_and_backups_are_private(tmp_path):
    from bot.backup import sqlite_backup
    from bot.storage.db import Database

    db_file = tmp_path / "new" / "dir" / "deskbot.sqlite3"
    db = Database(f"sqlite:///{db_file}")
    db.migrate()
    db.dispose()
    assert oct(db_file.stat().st_mode & 0o777) == "0o600"
    assert oct(db_file.parent.stat().st_mode & 0o777) == "0o700"
    assert oct((tmp_path / "new").stat().st_mode & 0o777) == "0o700"
    for side in db_file.parent.glob("deskbot.sqlite3-*"):  # -wal / -shm take the database file's mode
        assert side.stat().st_mode & 0o077 == 0, side
    out = sqlite_backup(db_file, str(tmp_path / "backups") + "/")
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert oct(out.parent.stat().st_mode & 0o777) == "0o700"
    single = sqlite_backup(db_file, tmp_path / "one" / "b.sqlite3")
    assert oct(single.stat().st_mode & 0o777) == "0o600"


# ------------------------------------------------------------------------------------- runner: start of a transport
class _FlakyTransport:
    """Fails to start `fails` times with a network error, then starts; or hangs in start() for ever."""

    def __init__(self, fails: int = 0, hang: bool = False) -> None:
        self.fails, self.hang, self.starts, self.stops = fails, hang, 0, 0

    async def start(self) -> None:
        import asyncio

        self.starts += 1
        if self.hang:
            await asyncio.sleep(3600)
        if self.starts <= self.fails:
            raise ConnectionRefusedError(111, "Connection refused")

    async def stop(self) -> None:
        self.stops += 1


async def test_start_is_retried_with_backoff_then_succeeds(monkeypatch, caplog):
    import asyncio
    import logging

    from bot import runner

    monkeypatch.setattr(runner, "START_BACKOFF", 0.01)
    tr = _FlakyTransport(fails=3)
    with caplog.at_level(logging.WARNING, logger="bot.runner"):
        assert await asyncio.wait_for(runner.start_with_retry("x", tr, asyncio.Event()), 5) is True
    assert tr.starts == 4 and tr.stops == 3  # half-opened clients dropped before each new try
    lines = [r.getMessage() for r in caplog.records if "cannot start" in r.getMessage()]
    assert [ln.split("attempt ")[1].split(" ")[0] for ln in lines] == ["1", "2", "3"]
    assert all("ConnectionRefusedError" in ln and "\n" not in ln for ln in lines)


async def test_a_stop_ends_a_start_that_hangs_or_waits_for_the_next_try(monkeypatch):
    import asyncio

    from bot import runner

    for tr in (_FlakyTransport(hang=True), _FlakyTransport(fails=99)):
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.3, stop.set)
        t0 = time.monotonic()
        assert await asyncio.wait_for(runner.start_with_retry("x", tr, stop), 5) is False
        assert time.monotonic() - t0 < 2
        assert tr.stops >= 1


async def test_a_rejected_credential_is_not_retried():
    import asyncio

    import pytest

    from bot import runner

    class InvalidToken(Exception):
        pass

    class Rejected(_FlakyTransport):
        async def start(self) -> None:
            self.starts += 1
            raise InvalidToken(f"The token `{TOKEN}` was rejected by the server.")

    tr = Rejected()
    with pytest.raises(runner.StartupError) as info:
        await runner.start_with_retry("telegram", tr, asyncio.Event())
    assert tr.starts == 1 and str(info.value).startswith("DESKBOT_TELEGRAM_TOKEN:")
    assert TOKEN not in str(info.value) and TOKEN.split(":")[1] not in str(info.value)


def test_fresh_removes_its_folder_when_terminated(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    e = {k: v for k, v in os.environ.items() if not k.startswith("DESKBOT_")}
    e.update(TMPDIR=str(tmp), DESKBOT_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.Popen([sys.executable, "-m", "bot", "chat", "--fresh", "--now", "2026-11-23T08:00"], cwd=REPO, env=e,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        proc.stdin.write("morgen Olfen\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any((p / "chat.sqlite3").exists() for p in tmp.glob("deskbot-*")):
            time.sleep(0.1)
        assert list(tmp.glob("deskbot-*")), "the chat never made its folder"
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert list(tmp.iterdir()) == []
    assert "Traceback" not in proc.stderr.read()
