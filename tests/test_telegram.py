"""Telegram transport: the real PTB stack over real HTTP into the Bot API emulator."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import pytest
import pytest_asyncio
from aiohttp import ClientSession

from bot.domain import Attachment, Choice, IncomingMessage, Reply
from bot.handlers.telegram import (
    COMMANDS,
    FloodLimits,
    TelegramTransport,
    checkin_link,
    checkin_qr_png,
    invite_link,
    split_text,
)
from bot.transport import RecipientGone, RetryLater, SendError, Transport
from tests.tg_emulator import TelegramEmulator, free_port

pytestmark = pytest.mark.asyncio

ANNA, BEN = 1001, 1002
GROUP = -1002003004005
PNG = checkin_qr_png("deskbot_test_bot", "coe")
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
LIFTED = FloodLimits(global_per_s=10_000, bulk_per_s=10_000, private_per_s=10_000, private_burst=1000,
                     group_per_min=600_000, group_burst=1000)  # fmt: skip


class FakeDialogue:
    """Stands in for bot.dialogue.Dialogue: sync `handle`, called in a worker thread."""

    def __init__(self) -> None:
        self.got: list[IncomingMessage] = []
        self.lock = threading.Lock()

    def handle(self, msg: IncomingMessage) -> list[Reply]:
        with self.lock:
            self.got.append(msg)
        if msg.callback:
            if msg.callback == "tok-same":
                return [Reply("Welcher Tag?", choices=self.days(), edit=True)]
            return [Reply(f"gebucht: {msg.callback}", edit=True)]
        text = msg.text
        if text == "buttons":
            return [Reply("Welcher Tag?", choices=self.days())]
        if text == "files":
            return [Reply("Ihre Buchung", attachments=[Attachment("buchung.ics", "text/calendar", ICS),
                                                        Attachment("checkin.png", "image/png", PNG)])]  # fmt: skip
        if text == "html":
            return [Reply("a < b", html="<b>a &lt; b</b>")]
        if text == "badhtml":
            return [Reply("plain fallback", html="<blink>x</blink>")]
        if text == "long":
            return [Reply("\n".join(f"Zeile {i} " + "x" * 60 for i in range(200)), choices=[[Choice("OK", "tok-ok")]])]
        if text.startswith("slow"):
            time.sleep(1.0)
        return [Reply(f"echo: {text}")]

    @staticmethod
    def days() -> list[list[Choice]]:
        return [[Choice("Mo", "tok-mo"), Choice("Di", "tok-di")], [Choice("gleich", "tok-same")]]

    def texts(self) -> list[str]:
        return [m.text for m in self.got]


@pytest_asyncio.fixture
async def emu():
    async with TelegramEmulator() as e:
        yield e


@pytest_asyncio.fixture
async def make(emu):
    started: list[TelegramTransport] = []

    async def _make(dialogue=None, **kw) -> TelegramTransport:
        kw.setdefault("base_url", emu.base_url)
        kw.setdefault("poll_timeout", 2)
        t = TelegramTransport(dialogue or FakeDialogue(), token=emu.token, **kw)
        await t.start()
        started.append(t)
        return t

    yield _make
    for t in started:
        await t.stop()


def texts_to(emu: TelegramEmulator, chat: int) -> list[str]:
    return [c.text for c in emu.sent_to(chat)]


async def test_text_round_trip(emu, make):
    d = FakeDialogue()
    t = await make(d)
    assert isinstance(t, Transport) and t.bot_username == emu.bot_username
    up = emu.inject_message(ANNA, ANNA, "hallo", first_name="Anna", language_code="de", username="anna_c")
    await emu.wait_for(lambda: texts_to(emu, ANNA) == ["echo: hallo"])
    (m,) = d.got
    assert m == IncomingMessage(transport="telegram", user_id=str(ANNA), chat_id=str(ANNA), text="hallo",
                                display_name="Anna", lang_hint="de", is_group=False, addressed=True,
                                update_key=f"tg:{up['update_id']}")  # fmt: skip
    emu.inject_message(ANNA, ANNA, "/buchen@deskbot_test_bot morgen")
    await emu.wait_for(lambda: "echo: /buchen morgen" in texts_to(emu, ANNA))


async def test_commands_menu_de_and_en(emu, make):
    await make()
    de = [c["command"] for c in emu.commands_shown_to(language_code="de")]
    en = [c["command"] for c in emu.commands_shown_to(language_code="en")]
    assert de == ["buchen", "storno", "buchungen", "frei", "checkin", "kontingent", "einstellungen", "sprache", "hilfe"]
    assert en == ["book", "cancel", "mybookings", "free", "checkin", "contingent", "settings", "language", "help"]
    assert len(COMMANDS) == 9
    assert emu.commands_shown_to(language_code="fr")[0]["description"] == "Book a desk"


async def test_buttons_render_press_and_edit(emu, make):
    d = FakeDialogue()
    await make(d)
    emu.inject_message(ANNA, ANNA, "buttons")
    (call,) = await emu.wait_for(lambda: emu.sent_to(ANNA))
    assert call.button_labels() == ["Mo", "Di", "gleich"]
    assert call.reply_markup["inline_keyboard"][1][0]["callback_data"] == "tok-same"

    emu.press_button(ANNA, ANNA, call.message_id, "tok-di")
    await emu.wait_for(lambda: emu.sent_to(ANNA, "editMessageText"))
    assert d.got[-1].callback == "tok-di" and d.got[-1].user_id == str(ANNA) and d.got[-1].text == ""
    msg = emu.message(ANNA, call.message_id)
    assert msg["text"] == "gebucht: tok-di" and "reply_markup" not in msg
    assert len(emu.callback_answers) == 1  # the spinner was stopped
    assert len(emu.sent_to(ANNA, "sendMessage")) == 1  # edited, not sent anew

    # an edit to identical content ("message is not modified") is swallowed, nothing else is sent
    emu.inject_message(ANNA, ANNA, "buttons")
    second = (await emu.wait_for(lambda: emu.sent_to(ANNA, "sendMessage")[1:]))[0]
    emu.press_button(ANNA, ANNA, second.message_id, "tok-same")
    await emu.wait_for(lambda: len(emu.callback_answers) == 2 and any(
        c.method == "editMessageText" and c.status == 400 for c in emu.calls))  # fmt: skip
    await asyncio.sleep(0.2)
    assert len(emu.sent_to(ANNA)) == 3 and emu.message(ANNA, second.message_id)["text"] == "Welcher Tag?"


async def test_group_ignored_unless_addressed(emu, make):
    d = FakeDialogue()
    await make(d)
    g = dict(chat_type="supergroup", title="Coworking Dülmen")
    emu.inject_message(GROUP, ANNA, "hallo zusammen", **g)
    emu.inject_message(GROUP, ANNA, "/frei@other_bot", **g)
    emu.inject_message(GROUP, ANNA, "/frei morgen", **g)
    emu.inject_message(GROUP, BEN, "@deskbot_test_bot buche   Freitag", **g)
    await emu.wait_for(lambda: len(texts_to(emu, GROUP)) == 2)
    emu.inject_message(GROUP, ANNA, "und Montag?", reply_to_message_id=emu.sent_to(GROUP)[0].message_id, **g)
    emu.inject_message(GROUP, BEN, "/buchen@DeskBot_Test_Bot", **g)
    await emu.wait_for(lambda: len(texts_to(emu, GROUP)) == 4)
    await asyncio.sleep(0.2)
    assert d.texts() == ["/frei morgen", "buche Freitag", "und Montag?", "/buchen"]
    assert all(m.is_group and m.addressed and m.chat_id == str(GROUP) for m in d.got)
    assert [m.user_id for m in d.got] == [str(ANNA), str(BEN), str(ANNA), str(BEN)]


async def test_deep_link_payload_passed_through(emu, make):
    d = FakeDialogue()
    await make(d)
    emu.inject_message(ANNA, ANNA, "/start checkin-coe")
    await emu.wait_for(lambda: d.got)
    assert d.got[0].text == "/start checkin-coe"
    assert checkin_link("deskbot_test_bot", "coe") == "https://t.me/deskbot_test_bot?start=checkin-coe"
    assert invite_link("@deskbot_test_bot", "K7-x_9") == "https://t.me/deskbot_test_bot?start=K7-x_9"
    with pytest.raises(ValueError):
        invite_link("deskbot_test_bot", "has space")


async def test_checkin_qr_png():
    import segno

    png = checkin_qr_png("deskbot_test_bot", "coe")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    qr = segno.make("https://t.me/deskbot_test_bot?start=checkin-coe", error="q", micro=False)
    assert width == (qr.symbol_size(scale=1, border=4)[0]) * 12 >= 400  # printable size


async def test_attachments_document_and_photo(emu, make):
    await make()
    emu.inject_message(ANNA, ANNA, "files")
    await emu.wait_for(lambda: len(emu.sent_to(ANNA)) == 3)
    text, doc, photo = emu.sent_to(ANNA)
    assert (text.method, doc.method, photo.method) == ("sendMessage", "sendDocument", "sendPhoto")
    assert doc.files[0].filename == "buchung.ics" and doc.files[0].data == ICS
    assert photo.files[0].data == PNG


async def test_html_and_fallback_and_long_text(emu, make):
    await make(limits=LIFTED)
    emu.inject_message(ANNA, ANNA, "html")
    emu.inject_message(ANNA, ANNA, "badhtml")
    emu.inject_message(ANNA, ANNA, "long")
    await emu.wait_for(lambda: len(emu.sent_to(ANNA)) >= 6)
    sent = emu.sent_to(ANNA)
    assert sent[0].text == "a < b" and sent[0].params["parse_mode"] == "HTML"
    assert sent[1].text == "plain fallback" and "parse_mode" not in sent[1].params
    parts = sent[2:]
    assert len(parts) == 4 and all(len(p.text) <= 4096 for p in parts)
    assert [bool(p.reply_markup) for p in parts] == [False, False, False, True]
    assert split_text("a b", 4096) == ["a b"] and split_text("", 10) == [""]


async def test_fanout_with_own_limiter_stays_under_limits(emu, make):
    """100 `send()` calls to 25 private chats at Telegram's real limits: our pacing keeps the
    emulator from ever answering 429 (bulk may use all of the 30/s no reply needs: a burst of 25, then
    30/s with a 3 % margin; 1/s per chat after a burst of 3)."""
    emu.enforce_limits = True
    t = await make()
    chats = list(range(5000, 5025))
    for c in chats:
        emu.add_chat(c)
    t0 = time.monotonic()
    await asyncio.gather(*(t.send(str(c), Reply(f"n{i}-{c}")) for c in chats for i in range(4)))
    elapsed = time.monotonic() - t0
    assert emu.count_429 == 0 and t.limiter.hits_429 == 0
    assert Counter(c.chat_id for c in emu.sent) == {c: 4 for c in chats}
    assert (100 - 25) / 30 * 0.95 < elapsed < 10  # a burst of 25, then 30/s


async def test_fanout_survives_429_storm(emu, make):
    """200 `send()`s while the emulator enforces the limits and our own pacing is lifted: a storm
    of 429s, every message delivered exactly once. RetryLater is handled as the outbox would."""
    emu.enforce_limits = True
    t = await make(limits=LIFTED)
    chats = list(range(6000, 6100))
    for c in chats:
        emu.add_chat(c)
    retry_later = 0

    async def outbox_row(chat: int, i: int) -> None:
        nonlocal retry_later
        while True:
            try:
                return await t.send(str(chat), Reply(f"m{i}-{chat}"), dedupe_key=f"row-{chat}-{i}")
            except RetryLater as e:
                retry_later += 1
                await asyncio.sleep(e.retry_after)

    emu.fail_next(20, status=429, retry_after=0.5)  # plus a burst of injected 429s
    await asyncio.wait_for(asyncio.gather(*(outbox_row(c, i) for c in chats for i in range(2))), 30)
    assert emu.count_429 > 40  # it really was a storm (20 injected + enforced ones; ~150 unloaded)
    texts = Counter(c.text for c in emu.sent)
    assert len(texts) == 200 and set(texts.values()) == {1}  # exactly once, none lost
    assert Counter(c.chat_id for c in emu.sent) == {c: 2 for c in chats}


async def test_blocked_user_is_gone(emu, make):
    gone: list[str] = []
    t = await make(on_blocked=gone.append)
    emu.inject_message(ANNA, ANNA, "hi")
    await emu.wait_for(lambda: emu.sent_to(ANNA))
    emu.block_user(ANNA, notify=False)
    with pytest.raises(RecipientGone):
        await t.send(str(ANNA), Reply("Erinnerung"))
    assert gone == [str(ANNA)]
    with pytest.raises(RecipientGone):
        await t.send("424242", Reply("unknown chat"))
    assert gone == [str(ANNA), "424242"]
    # Telegram's own my_chat_member notice reaches on_blocked as well
    emu.add_chat(BEN)
    emu.block_user(BEN)
    await emu.wait_for(lambda: str(BEN) in gone)
    # a permanent, non-recipient error is a SendError (not RetryLater)
    emu.fail_next(1, status=400, description="Bad Request: something odd", chat_id=ANNA + 1)
    emu.add_chat(ANNA + 1)
    with pytest.raises(SendError) as ei:
        await t.send(str(ANNA + 1), Reply("x"))
    assert not isinstance(ei.value, (RetryLater, RecipientGone))


async def test_throttled_chat_does_not_delay_other_users(emu, make):
    d = FakeDialogue()
    await make(d)
    emu.inject_message(ANNA, ANNA, "warmup")
    emu.inject_message(BEN, BEN, "warmup")
    await emu.wait_for(lambda: emu.sent_to(ANNA) and emu.sent_to(BEN))
    emu.fail_next(1, status=429, retry_after=2, chat_id=ANNA)  # Anna's chat is flood-limited
    emu.inject_message(ANNA, ANNA, "first")
    emu.inject_message(ANNA, ANNA, "slow second")  # same chat: handled after "first", in order
    await emu.wait_for(lambda: emu.count_429 == 1)
    t0 = time.monotonic()
    emu.inject_message(BEN, BEN, "quick")
    await emu.wait_for(lambda: "echo: quick" in texts_to(emu, BEN), timeout=1.5)
    assert time.monotonic() - t0 < 0.8
    assert texts_to(emu, ANNA) == ["echo: warmup"]  # still waiting out its retry_after
    await emu.wait_for(lambda: len(emu.sent_to(ANNA)) == 3, timeout=6)
    assert texts_to(emu, ANNA) == ["echo: warmup", "echo: first", "echo: slow second"]
    first_at = emu.sent_to(ANNA)[1].at
    assert first_at - t0 > 1.5


async def test_reply_dropped_when_telegram_wants_too_long_a_pause(emu, make, caplog):
    await make(max_reply_wait=1)
    emu.fail_next(1, status=429, retry_after=30, chat_id=ANNA)
    emu.inject_message(ANNA, ANNA, "hallo")
    await emu.wait_for(lambda: any("dropped" in r.message for r in caplog.records))
    assert not emu.sent_to(ANNA)
    emu.inject_message(BEN, BEN, "hallo")
    await emu.wait_for(lambda: texts_to(emu, BEN) == ["echo: hallo"])


async def test_slow_dialogue_does_not_block_other_chats(emu, make):
    await make()
    emu.inject_message(ANNA, ANNA, "slow")
    await asyncio.sleep(0.1)
    t0 = time.monotonic()
    emu.inject_message(BEN, BEN, "quick")
    await emu.wait_for(lambda: texts_to(emu, BEN))
    assert time.monotonic() - t0 < 0.6 and not emu.sent_to(ANNA)
    await emu.wait_for(lambda: texts_to(emu, ANNA))


async def test_send_network_errors_and_long_waits(emu, make):
    t = await make(network_backoff=0.05, network_retries=3, max_send_wait=5, limits=LIFTED)
    emu.add_chat(ANNA)
    emu.fail_next(2, status=502)
    await t.send(str(ANNA), Reply("nach 502"))
    assert texts_to(emu, ANNA)[-1] == "nach 502"
    emu.fail_next(10, status=502)
    with pytest.raises(RetryLater):
        await t.send(str(ANNA), Reply("verloren?"))
    emu._faults.clear()
    emu.add_chat(BEN)
    t0 = time.monotonic()
    emu.fail_next(1, status=429, retry_after=60)  # longer than max_send_wait: hand back to the outbox
    with pytest.raises(RetryLater) as ei:
        await t.send(str(BEN), Reply("später"))
    assert ei.value.retry_after == 60 and time.monotonic() - t0 < 1
    calls = len(emu.calls)
    with pytest.raises(RetryLater) as ei:  # the chat is still paused: no request is made at all
        await t.send(str(BEN), Reply("später"))
    assert ei.value.retry_after > 50 and len(emu.calls) == calls
    assert "verloren?" not in texts_to(emu, ANNA) and not emu.sent_to(BEN)


async def test_dedupe_key_skips_parts_already_delivered(emu, make):
    t = await make(network_retries=0)
    emu.add_chat(ANNA)
    reply = Reply("Ihre Buchung", attachments=[Attachment("buchung.ics", "text/calendar", ICS)])
    emu.fail_next(1, status=502, method="sendDocument")
    with pytest.raises(RetryLater):
        await t.send(str(ANNA), reply, dedupe_key="outbox-17")
    await t.send(str(ANNA), reply, dedupe_key="outbox-17")
    assert [c.method for c in emu.sent_to(ANNA)] == ["sendMessage", "sendDocument"]


async def test_graceful_stop_answers_updates_in_flight(emu):
    d = FakeDialogue()
    t = TelegramTransport(d, token=emu.token, base_url=emu.base_url, poll_timeout=2)
    await t.start()
    emu.inject_message(ANNA, ANNA, "slow goodbye")
    await emu.wait_for(lambda: d.got)
    await t.stop()
    assert texts_to(emu, ANNA) == ["echo: slow goodbye"]
    assert emu.pending_updates == 0  # the offset was confirmed: no replay after a restart


async def test_stop_does_not_wait_out_a_long_pause(emu):
    t = TelegramTransport(FakeDialogue(), token=emu.token, base_url=emu.base_url, poll_timeout=2)
    await t.start()
    emu.fail_next(1, status=429, retry_after=30, chat_id=ANNA)
    emu.inject_message(ANNA, ANNA, "hallo")
    await emu.wait_for(lambda: emu.count_429 == 1)
    t0 = time.monotonic()
    await t.stop()
    assert time.monotonic() - t0 < 2 and not emu.sent_to(ANNA)


async def test_webhook_round_trip(emu, make):
    port = free_port()
    d = FakeDialogue()
    await make(d, mode="webhook", webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
               webhook_listen="127.0.0.1", webhook_port=port, webhook_secret="s3cr3t-token")  # fmt: skip
    assert emu._webhook["url"].endswith("/telegram/hook") and emu._webhook["secret_token"] == "s3cr3t-token"
    emu.inject_message(ANNA, ANNA, "per webhook")
    await emu.wait_for(lambda: texts_to(emu, ANNA) == ["echo: per webhook"])
    await emu.wait_for(lambda: emu.webhook_deliveries)  # the 200 follows the reply
    assert emu.webhook_deliveries[-1]["status"] == 200
    # a forged delivery without the secret is refused (403) by our webhook server
    async with ClientSession() as s:
        fake = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": BEN, "type": "private"},
                                            "from": {"id": BEN, "is_bot": False, "first_name": "Eve"}, "text": "x"}}  # fmt: skip
        async with s.post(f"http://127.0.0.1:{port}/telegram/hook", json=fake) as r:
            assert r.status == 403
    await asyncio.sleep(0.1)
    assert d.texts() == ["per webhook"]


# --- with the real core (SQLite, demo world, fixed clock: Monday 2026-11-23 08:00) ---------------


async def test_real_dialogue_invite_book_undo(emu, make, sqlite_core):
    from bot.dialogue import Dialogue

    await make(Dialogue(sqlite_core), limits=LIFTED)
    emu.inject_message(ANNA, ANNA, "/start STADTWERKE-2026", first_name="Anna", language_code="de")
    await emu.wait_for(lambda: any("Stadtwerke Münsterland" in (c.text or "") for c in emu.sent_to(ANNA)))
    emu.inject_message(ANNA, ANNA, "morgen Dülmen")
    (booked,) = await emu.wait_for(lambda: [c for c in emu.sent_to(ANNA, "sendMessage") if "Gebucht" in c.text])
    assert "Coworking Dülmen" in booked.text and booked.button_data()
    assert all(len(d.encode()) <= 64 for d in booked.button_data())
    assert not emu.sent_to(ANNA, "sendDocument")  # one message per booking; the calendar file on demand
    emu.press_button(ANNA, ANNA, booked.message_id, booked.button_data()[0])
    await emu.wait_for(lambda: any("Rückgängig gemacht" in (c.text or "") for c in emu.sent_to(ANNA)))
    emu.inject_message(ANNA, ANNA, "/buchungen")
    await emu.wait_for(lambda: any("keine kommenden Buchungen" in (c.text or "") for c in emu.sent_to(ANNA)))
    # book again and ask for the calendar file: a document, and the spent keyboard is taken off the message
    emu.inject_message(ANNA, ANNA, "morgen Dülmen")
    again = await emu.wait_for(lambda: [c for c in emu.sent_to(ANNA, "sendMessage") if "Gebucht" in c.text][1:])
    cal = again[0].button_data()[again[0].button_labels().index("📅 In den Kalender")]
    emu.press_button(ANNA, ANNA, again[0].message_id, cal)
    (doc,) = await emu.wait_for(lambda: emu.sent_to(ANNA, "sendDocument"))
    assert doc.files[0].data.startswith(b"BEGIN:VCALENDAR") and doc.files[0].filename.endswith(".ics")
    await emu.wait_for(lambda: "reply_markup" not in emu.message(ANNA, again[0].message_id))


async def test_an_edited_request_is_answered_and_changes_nothing(emu, make, sqlite_core):
    """Editing "morgen Olfen" to "übermorgen Olfen" must not add a second booking, and must not go unanswered."""
    from bot.dialogue import Dialogue
    from bot.i18n import t as text_of

    dlg = Dialogue(sqlite_core)
    await make(dlg, limits=LIFTED)
    emu.inject_message(ANNA, ANNA, "STADTWERKE-2026", first_name="Anna", language_code="de")
    await emu.wait_for(lambda: any("Stadtwerke" in (c.text or "") for c in emu.sent_to(ANNA)))
    up = emu.inject_message(ANNA, ANNA, "morgen Olfen")
    await emu.wait_for(lambda: [c for c in emu.sent_to(ANNA, "sendMessage") if "Gebucht" in c.text])
    emu.edit_user_message(ANNA, up["message"]["message_id"], "übermorgen Olfen")
    await emu.wait_for(lambda: any(text_of("de", "edit_refused") in (c.text or "") for c in emu.sent_to(ANNA)))
    member = dlg.members.resolve("telegram", str(ANNA), str(ANNA))
    assert [b.day.isoformat() for b in dlg.booking.my_bookings(member.id)] == ["2026-11-24"]


async def test_real_dialogue_english_and_group(emu, make, sqlite_core):
    from bot.dialogue import Dialogue

    await make(Dialogue(sqlite_core), limits=LIFTED)
    emu.inject_message(BEN, BEN, "book Coesfeld Tue", first_name="Ben", language_code="en")
    await emu.wait_for(lambda: any("Booked: Coworking Coesfeld" in (c.text or "") for c in emu.sent_to(BEN)))
    emu.inject_message(GROUP, BEN, "who is in tomorrow?", chat_type="group", title="Team")
    emu.inject_message(GROUP, BEN, "/hilfe@deskbot_test_bot", chat_type="group", title="Team")
    await emu.wait_for(lambda: emu.sent_to(GROUP))
    await asyncio.sleep(0.3)
    assert len(emu.sent_to(GROUP)) == 1  # only the addressed message was answered


async def test_real_dialogue_foreign_button_in_group_is_an_alert(emu, make, sqlite_core):
    from bot.dialogue import Dialogue

    await make(Dialogue(sqlite_core), limits=LIFTED)
    emu.inject_message(GROUP, ANNA, "/sprache@deskbot_test_bot", chat_type="supergroup", title="Team", first_name="Anna")
    (kb,) = await emu.wait_for(lambda: [c for c in emu.sent_to(GROUP) if c.button_data()])
    up = emu.press_button(GROUP, BEN, kb.message_id, kb.button_data()[0])
    cb = up["callback_query"]["id"]
    await emu.wait_for(lambda: cb in emu.callback_answers)
    assert emu.callback_answers[cb].get("show_alert") is True and emu.callback_answers[cb].get("text")
    await asyncio.sleep(0.3)
    assert len(emu.sent_to(GROUP)) == 1 and emu.message(GROUP, kb.message_id).get("reply_markup")  # Anna's buttons stay


async def _crash(t: TelegramTransport) -> None:
    """Like a kill -9: no stop(), nothing confirmed, nothing drained; only our own sockets are closed."""
    if t._poll_task is not None:
        t._poll_task.cancel()
    for chat in list(t._chats.values()):
        for task in (chat.worker, chat.tail):
            if task is not None:
                task.cancel()
    t.limiter.abort_waiting()
    await asyncio.sleep(0.1)
    await t.bot.shutdown()
    t._started = False


async def test_real_dialogue_crash_loses_no_reply(emu, sqlite_core):
    """A crash after the dialogue stored its answer but before it went out: the update was confirmed (its
    handling had returned), and the answer waits in the outbox, not marked sent, for the scheduler. An update
    whose dialogue call had not returned is delivered again after the restart and answered then."""
    from sqlalchemy import select

    from bot.dialogue import Dialogue
    from bot.storage.models import Outbox

    d = Dialogue(sqlite_core)
    t = TelegramTransport(d, token=emu.token, base_url=emu.base_url, poll_timeout=2, limits=LIFTED)
    await t.start()
    emu.fail_next(1, status=429, retry_after=30, chat_id=ANNA)  # the answer cannot go out yet
    emu.inject_message(ANNA, ANNA, "/hilfe", first_name="Anna", language_code="de")
    await emu.wait_for(lambda: emu.count_429 == 1)
    await emu.wait_for(lambda: emu.pending_updates == 0)  # handled, so confirmed
    await _crash(t)
    with sqlite_core.db.session() as s:
        rows = s.scalars(select(Outbox).where(Outbox.kind == "reply")).all()
        assert [r.status for r in rows] == ["pending"]  # the answer waits in the outbox
    emu.inject_message(BEN, BEN, "/hilfe", first_name="Ben", language_code="de")  # arrives while we are down
    t2 = TelegramTransport(d, token=emu.token, base_url=emu.base_url, poll_timeout=2, limits=LIFTED)
    await t2.start()
    try:
        await emu.wait_for(lambda: emu.sent_to(BEN), timeout=4)
        await asyncio.sleep(0.3)
        assert not emu.sent_to(ANNA)  # no second handling of Anna's update
        with sqlite_core.db.session() as s:
            statuses = dict(s.execute(select(Outbox.chat_id, Outbox.status).where(Outbox.kind == "reply")).all())
        assert statuses == {str(ANNA): "pending", str(BEN): "sent"}
    finally:
        await t2.stop()
