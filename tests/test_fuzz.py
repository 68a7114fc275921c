"""A seeded fuzz run through the real Dialogue on both stores (issue 14): 2 000 messages and button presses from
20 users — requests, questions, typos, hostile input (NUL bytes, lone surrogates, huge names, forged buttons)
— end with no exception logged (not just none raised) and the money invariants intact."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from sqlalchemy import func, select

from bot.dialogue import Dialogue
from bot.domain import IncomingMessage
from bot.storage.models import Booking, ContingentAccount

N_MESSAGES = 2000
TOWNS = ["Dülmen", "Olfen", "Senden", "Coesfeld", "Rosendahl", "Nottuln", "Havixbeck", "Ascheberg", "Billerbeck",
         "Lüdinghausen", "Nordkirchen", "Dülman", "Münster", "olfen", "SENDEN"]
DAYS = ["morgen", "übermorgen", "heute", "Freitag", "Mo", "am 3.12.", "3/12", "nächste Woche Dienstag", "gestern",
        "31.02.", "tomorrow", "next Friday", "in drei Wochen am Freitag", "jeden Mittwoch im Dezember", "14.-18.12."]
VERBS = ["", "buche", "ich brauche einen Platz", "reservier", "book", "storno", "stornieren", "cancel", "einchecken",
         "ist noch was frei", "wer ist", "wie viel Kontingent habe ich im Dezember", "meine Buchungen", "danke",
         "Urlaub vom", "rückgängig", "halbtags", "9-13 Uhr", "Viertel nach acht bis zwölf", "wir kommen zu fünft"]
EXTRA = ["/hilfe", "/firma", "/team", "/team csv 9999-12", "/firma 0000-01", "/ankuenfte", "/belegung", "/qr",
         "/einstellungen", "/einstellungen erinnerungen aus", "/export", "/pendeln 23", "/statistik", "/link",
         "/schliessen morgen", "ja", "nein", "1", "2", "7", "STADTWERKE-2026", "OP-OLFEN", "KREIS-ADMIN", "Warteliste",
         "Wetter in Dülmen morgen?", "\x00\x00 morgen Olfen", "morgen \ud800 Olfen", "🙂" * 50, "x" * 600,
         "'; DROP TABLE bookings; --", "<b>morgen</b> Olfen", "a:AAAAAAAAAAAAAAAA"]


def _message(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.35:
        return " ".join(x for x in (rng.choice(VERBS), rng.choice(DAYS), rng.choice(TOWNS)) if x)
    if r < 0.55:
        return rng.choice(EXTRA)
    if r < 0.75:
        parts = [rng.choice(DAYS), rng.choice(TOWNS)]
        rng.shuffle(parts)
        return " ".join(parts) + rng.choice(["", "?", "!", " bitte", " pls"])
    words = VERBS + DAYS + TOWNS + EXTRA
    return " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))


def _invariants(core) -> None:
    with core.db.session() as s:
        for acct in s.scalars(select(ContingentAccount)):
            assert 0 <= acct.used_halves <= acct.granted_halves, acct.id
            col = Booking.member_account_id if acct.scope.startswith("member:") else Booking.pool_account_id
            charged = s.scalar(select(func.coalesce(func.sum(Booking.charged_halves), 0)).where(col == acct.id))
            assert charged == acct.used_halves, (acct.scope, acct.month, charged, acct.used_halves)
        active = s.execute(select(Booking.desk_id, Booking.t0, Booking.t1, Booking.member_id, Booking.seat).where(
            Booking.status.in_(("confirmed", "checked_in")))).all()
        by_desk: dict[int, list[tuple[int, int]]] = {}
        for desk, t0, t1, _, _ in active:
            by_desk.setdefault(desk, []).append((t0, t1))
        for spans in by_desk.values():
            spans.sort()
            assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), "double booking"
        assert s.scalar(select(func.count(Booking.id)).where(Booking.desk_id.is_(None),
                                                             Booking.status.notin_(("waitlisted", "cancelled")))) == 0


def test_fuzzed_conversations_log_no_exception(core, caplog):
    rng = random.Random(20261201)
    dlg = Dialogue(core)
    users = [f"u{i}" for i in range(20)]
    names = {u: rng.choice(["Anna", "Bert", "Zoë 🚲", "x" * 300, "O'Brien", "\x00Null", ""]) for u in users}
    last_buttons: dict[str, list[str]] = {u: [] for u in users}
    caplog.set_level(logging.WARNING)
    replies_total = 0
    for i in range(N_MESSAGES):
        user = rng.choice(users)
        press = last_buttons[user] and rng.random() < 0.3
        foreign = rng.random() < 0.05
        if press or foreign:
            pool = last_buttons[rng.choice(users)] if foreign else last_buttons[user]
            if not pool:
                continue
            msg = IncomingMessage("telegram", user, user, "", display_name=names[user], callback=rng.choice(pool),
                                  update_key=f"tg:{i}")
        else:
            msg = IncomingMessage("telegram", user, user, _message(rng), display_name=names[user],
                                  lang_hint=rng.choice([None, "de", "en"]), update_key=f"tg:{i}")
        replies = dlg.handle(msg)
        if rng.random() < 0.02:  # a redelivery changes nothing; it hands back the answers not marked sent yet
            again = dlg.handle(msg)
            assert [r.text for r in again] == [r.text for r in replies if r.outbox_id]
            dlg.mark_sent([r.outbox_id for r in replies])
            assert dlg.handle(msg) == []
        replies_total += len(replies)
        buttons = [c.data for r in replies for c in r.flat_choices()]
        if buttons:
            last_buttons[user] = buttons
        for r in replies:
            assert "Traceback" not in r.text
            assert t_error_free(r.text), (msg.text, r.text)
        if i % 250 == 249:
            core.clock.advance(timedelta(hours=7))  # days go by: cutoffs, no-shows, new months
            from bot.scheduler import Periodic

            Periodic(core, dlg).run_due(core.clock.now())
    assert replies_total > N_MESSAGES * 0.8
    # no wall-clock bound here (speed goals live in bench/, a loaded CI box is no failure): pytest --durations
    # shows the run's time, bench/README.md "The fuzz run" gives measured figures
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert bad == [], [f"{r.name}: {r.getMessage()}" for r in bad[:5]]
    _invariants(core)


def t_error_free(text: str) -> bool:
    from bot.i18n import t

    return t("de", "error") not in text and t("en", "error") not in text
