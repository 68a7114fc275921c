"""Issue 14, the core's side on both stores: waitlist entries end in every way without the apology, the input
boundary, logs without message texts or names, undo past the cutoff refunds nothing, and an erasure leaves no
trace in the SQLite files."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.dialogue import Dialogue
from bot.domain import IncomingMessage
from bot.i18n import t
from bot.storage.models import Booking, ContingentAccount, Identity, Member
from tests.conftest import TZ, Chat

APOLOGY = t("de", "error")


def _member(core, user: str) -> Member | None:
    with core.db.session() as s:
        return s.scalar(select(Member).join(Identity).where(Identity.external_id == user))


def _bookings(core, user: str) -> list[tuple[str, int | None]]:
    with core.db.session() as s:
        return s.execute(select(Booking.status, Booking.desk_id).join(Identity, Identity.member_id == Booking.member_id)
                         .where(Identity.external_id == user).order_by(Booking.id)).all()  # fmt: skip


def test_waitlist_entries_end_in_every_way_without_the_apology(core):
    """The failure of issue 14: ck_booking_desk refused every status change of a row without a desk, so cancelling
    a waitlist entry, an erasure and an operator's /schliessen ended in the apology, and so did another member's
    cancellation while the waitlist was promoted."""
    chat = Chat(Dialogue(core))
    for u in ("a1", "a2"):  # Rosendahl has 2 desks
        assert "Gebucht" in chat.send(u, "buche morgen Rosendahl")
    for u in ("w1", "w2", "w3", "w4"):
        chat.send(u, "buche morgen Rosendahl")
        assert "Warteliste" in chat.send(u, "Warteliste")
        assert _bookings(core, u) == [("waitlisted", None)]
    # w4 leaves the waitlist itself
    r = chat.send("w4", "storno morgen")
    if "stornieren?" in r:
        r = chat.send("w4", "ja")
    assert "Storniert" in r
    assert _bookings(core, "w4") == [("cancelled", None)]
    # a1 cancels: w1, first on the list, is promoted to a1's desk
    r = chat.send("a1", "storno morgen")
    assert "Storniert" in r and APOLOGY not in r
    (status, desk), = _bookings(core, "w1")
    assert status == "confirmed" and desk is not None
    assert "Rosendahl" in chat.send("w1", "meine Buchungen")
    # w2 erases everything, the waitlist entry included
    assert "löschen" in chat.send("w2", "/loeschen")
    r = chat.press("w2", "Ja, alles löschen")
    assert APOLOGY not in r
    assert _member(core, "w2") is None
    with core.db.session() as s:
        assert s.scalar(select(func.count(Booking.id)).where(Booking.status == "waitlisted")) == 1  # w3's is left
    # the operator closes the day: the bookings and w3's waitlist entry are cancelled
    chat.send("op", "OP-ROSENDAHL")
    assert "schließen?" in chat.send("op", "/schliessen morgen")
    r = chat.send("op", "ja")
    assert "geschlossen" in r and APOLOGY not in r
    assert _bookings(core, "w3") == [("cancelled", None)]
    with core.db.session() as s:
        assert s.scalar(select(func.count(Booking.id)).where(Booking.status.in_(("confirmed", "waitlisted")))) == 0


def test_the_input_boundary(core):
    chat = Chat(Dialogue(core), transport="telegram")
    dlg = chat.dialogue
    # NUL bytes (PostgreSQL refused them: DataError) and lone surrogates (no UTF-8) are stripped
    r = dlg.handle(IncomingMessage("telegram", "n1", "n1", "buche\x00 morgen\x00 Olfen", display_name="N\x00ul",
                                   update_key="tg:n1"))  # fmt: skip
    assert "Gebucht" in r[-1].text
    r = dlg.handle(IncomingMessage("telegram", "s1", "s1", "buche morgen \ud800Dülmen", display_name="S\udc00ur",
                                   update_key="tg:s1"))  # fmt: skip
    assert "Gebucht" in r[-1].text and "\ud800" not in r[-1].text
    assert _member(core, "n1").display_name == "Nul" and _member(core, "s1").display_name == "Sur"
    # a display name over the column's 200 characters (on PostgreSQL every later message of the user failed)
    long_name = "Maximiliane " * 40
    for i, text in enumerate(("buche morgen Senden", "meine Buchungen", "/hilfe")):
        r = dlg.handle(IncomingMessage("telegram", "l1", "l1", text, display_name=long_name, update_key=f"tg:l{i}"))
        assert r and APOLOGY not in r[-1].text, text
    assert len(_member(core, "l1").display_name) == 200
    assert "Senden" in chat.send("l1", "meine Buchungen")
    # months out of range get the friendly answer, in the user's language
    chat.send("boss", "STADTWERKE-ADMIN")
    for month in ("9999-12", "0000-01", "2026-13", "2026-00", "13/2026", "99999999999999999999-01"):
        for cmd in ("/firma", "/team"):
            r = chat.send("boss", f"{cmd} {month}")
            assert APOLOGY not in r and month[:20] in r and "2026-11" in r, (cmd, month, r)  # "write it like 2026-11"


def test_logs_carry_no_message_texts_or_names(core, caplog):
    """Above DEBUG, the log names updates, users by id and intents, never what people wrote or their names; also
    when handling a message fails (the exception's text and SQL parameters carry both)."""
    caplog.set_level(logging.INFO)
    dlg = Dialogue(core)
    secret_text, secret_name = "Quittenmus7731", "Zwetschgenbaum4419"

    def broken(d, ctx):
        raise ValueError(f"cannot book {ctx.msg.text} for {ctx.msg.display_name}")

    real = dlg.routes.intents["help"]
    for i, text in enumerate((f"buche morgen Olfen {secret_text}", f"{secret_text}?", f"/hilfe {secret_text}")):
        if text.startswith("/hilfe"):
            dlg.routes.intents["help"] = broken
        r = dlg.handle(IncomingMessage("telegram", "77", "77", text, display_name=secret_name, update_key=f"tg:{i}"))
        assert r
    dlg.routes.intents["help"] = real
    assert r[0].text == APOLOGY  # the forced failure
    assert any("failed to handle a message" in rec.getMessage() for rec in caplog.records)
    logged = "\n".join(caplog.text.splitlines() + [str(rec.exc_info) for rec in caplog.records if rec.exc_info])
    assert secret_text not in logged and secret_name not in logged


def test_undo_past_the_cutoff_refunds_nothing(core, clock):
    chat = Chat(Dialogue(core))
    chat.send("anna", "STADTWERKE-2026")
    assert "Gebucht" in chat.send("anna", "buche morgen Coesfeld")
    undo = next(c for c in chat.choices("anna") if "ückgängig" in c.label)

    def charged() -> tuple:
        with core.db.session() as s:
            b = s.scalars(select(Booking)).one()
            used = s.scalar(select(func.sum(ContingentAccount.used_halves)))
            return b.status, b.charged_halves, used

    before = charged()
    assert before == ("confirmed", 2, 2)
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=TZ))  # the booked day itself: the cancellation cutoff is over
    r = chat.press_data("anna", undo.data)
    assert "Storno-Frist" in r
    assert charged() == before  # still booked and charged: a cancellation now would refund nothing either


def test_erasure_leaves_no_trace_in_the_sqlite_files(sqlite_core):
    """secure_delete overwrites the erased rows, and the WAL is checkpointed after the erasure, so the name is
    neither in the database file's free pages nor in the write-ahead log."""
    from pathlib import Path

    url = sqlite_core.settings.database_url
    path = Path(url.split("///", 1)[1])
    chat = Chat(Dialogue(sqlite_core), transport="telegram")
    name = "Quirinus Zwetschgenbaum-4711"
    dlg = chat.dialogue
    dlg.handle(IncomingMessage("telegram", "q1", "q1", "buche morgen Olfen", display_name=name, update_key="tg:q1"))
    dlg.handle(IncomingMessage("telegram", "q1", "q1", "/pendeln 23", display_name=name, update_key="tg:q2"))
    files = [path, Path(str(path) + "-wal")]
    assert any(name.encode() in f.read_bytes() for f in files if f.exists())  # it is there before
    chat.send("q1", "/loeschen")
    assert APOLOGY not in chat.press("q1", "Ja, alles löschen")
    assert _member(sqlite_core, "q1") is None
    for f in files:
        if f.exists():
            assert name.encode() not in f.read_bytes(), f.name


@pytest.mark.parametrize("lang,text", [("de", "Langsam"), ("en", "Slow down")])
def test_flood_notice_once_per_minute_in_the_users_language(sqlite_core, lang, text):
    dlg = Dialogue(sqlite_core)
    limit = sqlite_core.settings.flood_messages_per_minute
    answers = [dlg.handle(IncomingMessage("telegram", "f1", "f1", "/hilfe", lang_hint=lang, update_key=f"tg:f{i}"))
               for i in range(limit + 20)]  # fmt: skip
    assert all(answers[:limit])
    slow = [r for r in answers[limit:] if r]
    assert len(slow) == 1 and text in slow[0][0].text


def test_a_move_to_a_space_full_meanwhile_offers_buttons_that_work(core):
    """Found by the fuzz run: a waitlist button pressed by someone booked elsewhere that day offers the move; the
    move, pressed once the space is full, explains it with the nearest spaces to book instead, and those buttons
    had no op (RouterConflict: the apology)."""
    chat = Chat(Dialogue(core))
    for u in ("b1", "b2"):  # Rosendahl's 2 desks
        assert "Gebucht" in chat.send(u, "buche morgen Rosendahl")
    chat.send("anna", "buche morgen Rosendahl")
    wait = next(c for c in chat.choices("anna") if "Warteliste" in c.label)
    assert "Gebucht" in chat.send("anna", "buche morgen Coesfeld")
    r = chat.press_data("anna", wait.data)
    assert APOLOGY not in r
    move = next((c for c in chat.choices("anna") if "Rosendahl" in c.label and "umbuchen" in c.label.lower()), None)
    if move is not None:
        r = chat.press_data("anna", move.data)
        assert APOLOGY not in r and "Coesfeld" in r  # full: the old booking stays
    alts = [c for c in chat.choices("anna") if "buchen" in c.label and "Rosendahl" not in c.label]
    assert alts, (r, [c.label for c in chat.choices("anna")])
    r = chat.press_data("anna", alts[0].data)
    assert APOLOGY not in r


def test_sqlite_busy_timeout_gets_the_apology_and_shows_in_healthz(sqlite_core):
    """SQLite's side of the statement timeout: a write lock held elsewhere (another process, a backup) makes a
    message wait at most busy_timeout (30 s in production; 300 ms here), then the user gets the apology and
    /healthz reports the timeout; once the lock is gone the next message is answered."""
    import asyncio
    import sqlite3
    import time

    from sqlalchemy import event

    from bot.health import _db_check

    event.listen(sqlite_core.db.engine, "connect", lambda c, _r: c.execute("PRAGMA busy_timeout=300"))
    sqlite_core.db.engine.dispose()
    dlg = Dialogue(sqlite_core)
    assert dlg.handle(IncomingMessage("telegram", "h1", "h1", "/hilfe", update_key="tg:h1"))
    path = sqlite_core.settings.database_url.split("///", 1)[1]
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the write lock, held
    try:
        t0 = time.monotonic()
        r = dlg.handle(IncomingMessage("telegram", "h1", "h1", "/hilfe", update_key="tg:h2"))
        assert r[0].text == APOLOGY and time.monotonic() - t0 < 3
        check = asyncio.run(_db_check(sqlite_core))
        assert check["ok"] is False and "database is locked" in check["error"]  # the ping waits for the lock too
    finally:
        other.execute("ROLLBACK")
        other.close()
    check = asyncio.run(_db_check(sqlite_core))  # the lock is gone; the timeout is reported for a minute
    assert check["ok"] is False and "statement timeout" in check["error"]
    r = dlg.handle(IncomingMessage("telegram", "h1", "h1", "/hilfe", update_key="tg:h3"))
    assert r and r[0].text != APOLOGY


def test_export_lists_buttons_audit_rows_and_notices_sent(core):
    """/export (issue 14 item 10): besides bookings and settings, the stored button actions, the audit rows about
    the member (an admin's change of their contingent) and the history of what was sent to them."""
    import json

    chat = Chat(Dialogue(core), transport="telegram")
    dlg = chat.dialogue

    def send(text: str, key: str) -> None:
        replies = dlg.handle(IncomingMessage("telegram", "anna", "anna", text, display_name="Anna", update_key=key))
        dlg.mark_sent([r.outbox_id for r in replies])

    send("STADTWERKE-2026", "tg:e1")
    send("buche morgen Olfen", "tg:e2")
    chat.send("boss", "STADTWERKE-ADMIN")
    assert "5 Tage" in chat.send("boss", "/team kontingent Anna 5")
    chat.send("anna", "/export")
    data = json.loads(chat.last["anna"][0].attachments[0].data)
    assert [a["action"] for a in data["audit_about_you"]] == ["contingent_override"]
    assert data["audit_about_you"][0]["detail"]["after"] == 10  # 5 days = 10 halves
    sent = [n for n in data["notices_sent"] if n["status"] == "sent"]
    assert any("Gebucht: Coworking Olfen" in (n["payload"] or {}).get("text", "") for n in sent)
    assert {a["action"]["op"] for a in data["button_actions"]} >= {"undo"}
    assert any(n["kind"].startswith("reminder") for n in data["pending_notices"])


class _HangingProxy:
    """A TCP proxy in front of PostgreSQL that can stop answering: its port stays open, what is sent to it is
    taken and never passed on, and new connections are accepted and never answered (a hung server)."""

    def __init__(self) -> None:
        import socket
        import threading

        self.hung = threading.Event()
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(64)
        self.port = self.ls.getsockname()[1]
        self.held: list = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _pipe(self, a, b) -> None:
        import time

        try:
            while data := a.recv(65536):
                while self.hung.is_set():
                    time.sleep(0.05)
                b.sendall(data)
        except OSError:
            pass

    def _serve(self) -> None:
        import socket
        import threading

        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            if self.hung.is_set():
                self.held.append(c)  # accepted, never answered
                continue
            u = socket.create_connection(("127.0.0.1", 5432))
            threading.Thread(target=self._pipe, args=(c, u), daemon=True).start()
            threading.Thread(target=self._pipe, args=(u, c), daemon=True).start()


@pytest.mark.postgres
def test_a_hung_postgresql_server_gives_the_apology_in_seconds(pg_url, tmp_path, clock, monkeypatch):
    """Issue 14 item 8, the case the server's statement_timeout cannot cover: the server hangs (port open, no
    answer). A message on a pooled connection waited for ever (measured: still waiting after 70 s); now the
    guard finds the server does not answer a fresh connection either and ends the waiting connections: the
    user gets the apology within seconds, /healthz reports it, and the bot answers again once the server does."""
    import asyncio
    import threading
    import time

    from sqlalchemy.engine import make_url

    import bot.storage.db as dbmod
    from bot.app import build_core
    from bot.health import _db_check
    from tests.conftest import make_settings

    monkeypatch.setattr(dbmod, "HUNG_AFTER", 2.0)
    monkeypatch.setattr(dbmod, "PROBE_TIMEOUT", 1)
    proxy = _HangingProxy()
    url = make_url(pg_url).set(port=proxy.port).render_as_string(hide_password=False)
    core = build_core(make_settings(url, tmp_path), clock=clock)
    try:
        dlg = Dialogue(core)
        assert dlg.handle(IncomingMessage("telegram", "h1", "h1", "/hilfe", update_key="tg:h1"))[0].text != APOLOGY
        proxy.hung.set()
        got: list = []
        t0 = time.monotonic()
        th = threading.Thread(target=lambda: got.append(
            dlg.handle(IncomingMessage("telegram", "h1", "h1", "/hilfe", update_key="tg:h2"))), daemon=True)
        th.start()
        th.join(20)
        assert got, "still waiting on the hung server after 20 s"
        assert got[0][0].text == APOLOGY and time.monotonic() - t0 < 15  # 2 s + the probe + a reconnect (5 s)
        assert core.db.guard.aborted >= 1
        check = asyncio.run(_db_check(core))
        assert check["ok"] is False
        proxy.hung.clear()
        r = dlg.handle(IncomingMessage("telegram", "h1", "h1", "/hilfe", update_key="tg:h3"))
        assert r and r[0].text != APOLOGY
    finally:
        proxy.hung.clear()
        core.close()
        proxy.ls.close()
