"""The Bot API emulator itself, exercised through the real PTB `Bot` over HTTP (and raw HTTP where
PTB would hide what we check)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import pytest_asyncio
from aiohttp import ClientSession, web
from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter

from tests.tg_emulator import Limits, TelegramEmulator, auto_entities, free_port

pytestmark = pytest.mark.asyncio

USER = 1001
GROUP = -1002003004005


@pytest_asyncio.fixture
async def emu():
    async with TelegramEmulator() as e:
        yield e


@pytest_asyncio.fixture
async def bot(emu):
    async with Bot(emu.token, base_url=emu.base_url) as b:
        yield b


async def raw(emu: TelegramEmulator, method: str, **params) -> tuple[int, dict]:
    async with ClientSession() as s, s.post(f"{emu.api_url}/{method}", json=params) as r:
        return r.status, await r.json()


async def test_get_me_and_wrong_token(emu, bot):
    assert bot.username == emu.bot_username  # initialize() called getMe
    assert bot.id == emu.bot_id
    async with ClientSession() as s, s.get(f"{emu.base_url}0:nope/getMe") as r:
        assert r.status == 401
    status, body = await raw(emu, "noSuchMethod")
    assert status == 404 and body["ok"] is False


async def test_send_message_validation(emu, bot):
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(USER, "hi")
    emu.inject_message(USER, USER, "hallo", first_name="Anna", language_code="de")
    status, body = await raw(emu, "sendMessage", chat_id=USER, text="")
    assert status == 400 and body["description"] == "Bad Request: message text is empty"
    msg = await bot.send_message(USER, "<b>Hallo</b> &amp; tschüss", parse_mode="HTML")
    assert msg.text == "Hallo & tschüss"
    assert emu.sent[-1].text == "Hallo & tschüss" and emu.sent[-1].params["parse_mode"] == "HTML"
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(USER, "a <blink>b</blink>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(USER, "1 < 2", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        kb = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
        await bot.send_message(USER, "too long data", reply_markup=kb)
    with pytest.raises(BadRequest, match="(?i)too long"):
        await bot.send_message(USER, "x" * 4097)
    assert [c.text for c in emu.sent_to(USER)] == ["Hallo & tschüss"]


async def test_long_poll_offset_and_allowed_updates(emu, bot):
    t0 = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()
    assert time.monotonic() - t0 >= 0.25

    async def later():
        await asyncio.sleep(0.2)
        emu.inject_message(USER, USER, "/start checkin-coe")

    task = asyncio.create_task(later())
    t0 = time.monotonic()
    ups = await bot.get_updates(timeout=5)
    await task
    assert time.monotonic() - t0 < 2
    assert len(ups) == 1 and ups[0].message.text == "/start checkin-coe"
    # not confirmed yet -> delivered again
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [ups[0].update_id]
    # confirm with offset
    assert await bot.get_updates(offset=ups[0].update_id + 1, timeout=0) == ()
    assert emu.pending_updates == 0

    # allowed_updates: callback queries are dropped when only messages are wanted
    m = await bot.send_message(USER, "pick", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]))
    emu.press_button(USER, USER, m.message_id, "a")
    emu.inject_message(USER, USER, "text")
    ups = await bot.get_updates(timeout=0, allowed_updates=["message"])
    assert [u.message.text for u in ups] == ["text"]


async def test_second_poller_conflicts(emu, bot):
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with Bot(emu.token, base_url=emu.base_url) as other_instance:  # PTB pools getUpdates: 1 conn
        second = asyncio.create_task(other_instance.get_updates(timeout=0.2))
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await first
        assert await second == ()


async def test_entities_commands_mentions_utf16(emu, bot):
    text = "😀 @deskbot_test_bot /buchen@deskbot_test_bot morgen /frei"
    ents = auto_entities(text)
    assert ents == [
        {"type": "mention", "offset": 3, "length": 17},
        {"type": "bot_command", "offset": 21, "length": 24},
        {"type": "bot_command", "offset": 53, "length": 5},
    ]
    emu.inject_message(GROUP, USER, text, chat_type="supergroup", title="Coworking Dülmen")
    (u,) = await bot.get_updates(timeout=0)
    parsed = u.message.parse_entities()
    assert sorted(parsed.values()) == ["/buchen@deskbot_test_bot", "/frei", "@deskbot_test_bot"]
    assert u.message.chat.type == "supergroup" and u.message.chat.title == "Coworking Dülmen"
    assert auto_entities("mail a@bcdef.de or x/y") == []  # no mention inside an address


async def test_buttons_callback_and_edits(emu, bot):
    emu.inject_message(USER, USER, "hi")
    kb = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="tok-yes"), InlineKeyboardButton("Nein", callback_data="tok-no")]])
    m = await bot.send_message(USER, "Buchen?", reply_markup=kb)
    assert emu.sent[-1].button_data() == ["tok-yes", "tok-no"]
    assert emu.sent[-1].button_labels() == ["Ja", "Nein"]
    with pytest.raises(ValueError):
        emu.press_button(USER, USER, m.message_id, "forged")
    emu.press_button(USER, USER, m.message_id, "tok-yes")
    (u,) = await bot.get_updates(offset=-1, timeout=0)
    cq = u.callback_query
    assert cq.data == "tok-yes" and cq.message.message_id == m.message_id and cq.from_user.id == USER
    assert await cq.answer("ok") is True
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await cq.answer()
    assert emu.callback_answers[cq.id]["text"] == "ok"

    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("Buchen?", chat_id=USER, message_id=m.message_id, reply_markup=kb)
    await bot.edit_message_text("Gebucht.", chat_id=USER, message_id=m.message_id)
    assert emu.message(USER, m.message_id)["text"] == "Gebucht."
    assert "reply_markup" not in emu.message(USER, m.message_id)  # keyboard removed
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=m.message_id, reply_markup=None)
    await bot.edit_message_reply_markup(chat_id=USER, message_id=m.message_id, reply_markup=kb)
    assert emu.message(USER, m.message_id)["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "tok-yes"
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    with pytest.raises(BadRequest, match="(?i)can't be edited"):
        await bot.edit_message_text("x", chat_id=USER, message_id=1)  # the user's own message
    assert [c.method for c in emu.sent_to(USER)] == ["sendMessage", "editMessageText", "editMessageReplyMarkup"]


async def test_document_and_photo_uploads(emu, bot):
    import segno

    emu.inject_message(USER, USER, "hi")
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    m = await bot.send_document(USER, document=ics, filename="buchung.ics", caption="Ihr Termin")
    assert m.document.file_name == "buchung.ics" and m.document.file_size == len(ics)
    call = emu.sent_to(USER, "sendDocument")[0]
    assert call.files[0].data == ics and call.files[0].filename == "buchung.ics" and call.text == "Ihr Termin"

    import io

    buf = io.BytesIO()
    segno.make("https://t.me/x?start=checkin-coe").save(buf, kind="png", scale=4)
    png = buf.getvalue()
    p = await bot.send_photo(USER, photo=png, filename="qr.png")
    assert p.photo[0].width > 0
    assert emu.sent_to(USER, "sendPhoto")[0].files[0].data == png


async def test_commands_per_language_and_scope(emu, bot):
    await bot.set_my_commands([BotCommand("book", "Book a desk")])
    await bot.set_my_commands([BotCommand("buchen", "Platz buchen")], language_code="de")
    await bot.set_my_commands([BotCommand("frei", "Freie Plätze")], scope=BotCommandScopeAllGroupChats(), language_code="de")
    assert [c.command for c in await bot.get_my_commands()] == ["book"]
    assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["buchen"]
    assert await bot.get_my_commands(language_code="fr") == ()  # exact lookup, no fallback
    assert emu.commands_shown_to(language_code="fr")[0]["command"] == "book"  # a client falls back
    assert emu.commands_shown_to(language_code="de", chat_type="group")[0]["command"] == "frei"
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Buchen!", "x")])
    await bot.delete_my_commands(language_code="de")
    assert await bot.get_my_commands(language_code="de") == ()


async def test_block_leave_get_chat(emu, bot):
    emu.inject_message(USER, USER, "hi", first_name="Ben")
    emu.inject_message(GROUP, USER, "hallo", chat_type="group", title="Team")
    assert (await bot.get_chat(USER)).first_name == "Ben"
    assert (await bot.get_chat(GROUP)).title == "Team"
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.get_chat(777)
    emu.block_user(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "still there?")
    ups = await bot.get_updates(timeout=0)
    assert ups[-1].my_chat_member.new_chat_member.status == "kicked"
    assert await bot.leave_chat(GROUP) is True
    with pytest.raises(Forbidden):
        await bot.send_message(GROUP, "hi")


async def test_fault_injection(emu, bot):
    emu.inject_message(USER, USER, "hi")
    emu.fail_next(2, status=429, retry_after=3)
    for _ in range(2):
        with pytest.raises(RetryAfter) as ei:
            await bot.send_message(USER, "x")
        assert ei.value._retry_after.total_seconds() == 3
    emu.fail_next(1, status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(USER, "x")
    emu.fail_next(1, status=429, retry_after=1, chat_id=999)  # only for another chat
    await bot.send_message(USER, "through")
    assert emu.count_429 == 2
    assert [c.text for c in emu.sent_to(USER)] == ["through"]
    assert [c.status for c in emu.calls if c.method == "sendMessage"] == [429, 429, 502, 200]


async def test_enforced_limits(emu, bot):
    emu.enforce_limits = True
    emu.inject_message(USER, USER, "hi")
    emu.inject_message(GROUP, USER, "hi", chat_type="group")
    for i in range(3):  # a short burst is fine in a private chat
        await bot.send_message(USER, f"p{i}")
    with pytest.raises(RetryAfter) as ei:
        await bot.send_message(USER, "p3")
    assert ei.value._retry_after.total_seconds() == 1
    for i in range(20):
        await bot.send_message(GROUP, f"g{i}")
    with pytest.raises(RetryAfter) as ei:
        await bot.send_message(GROUP, "g20")
    assert ei.value._retry_after.total_seconds() == 3  # one slot refills every 3 s
    assert emu.count_429 == 2
    await asyncio.sleep(1.05)
    await bot.send_message(USER, "p4")


async def test_enforced_global_limit():
    async with TelegramEmulator(enforce_limits=True, limits=Limits(global_rate=1, private_burst=100, private_rate=100)) as emu:
        async with Bot(emu.token, base_url=emu.base_url) as bot:
            for uid in range(2000, 2040):
                emu.inject_message(uid, uid, "hi")
            results = await asyncio.gather(
                *(bot.send_message(uid, "news") for uid in range(2000, 2040)), return_exceptions=True
            )
    assert sum(isinstance(r, RetryAfter) for r in results) == 10  # burst of 30, slow refill here
    assert emu.count_429 == 10


async def test_webhook_delivery_with_secret(emu, bot):
    got: list[tuple[dict, str | None]] = []
    fail_first = [True]

    async def hook(request: web.Request) -> web.Response:
        if fail_first[0]:
            fail_first[0] = False
            return web.Response(status=500)
        got.append((await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/tg", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        emu.inject_message(USER, USER, "before")
        await bot.set_webhook(f"http://127.0.0.1:{port}/tg", secret_token="s3cr3t")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates(timeout=0)
        emu.inject_message(USER, USER, "after")
        await emu.wait_for(lambda: len(got) == 2)
        assert [u["message"]["text"] for u, _ in got] == ["before", "after"]
        assert {s for _, s in got} == {"s3cr3t"}
        info = await bot.get_webhook_info()
        assert info.url.endswith("/tg") and info.pending_update_count == 0
        assert "500" in info.last_error_message
        assert await bot.delete_webhook() is True
        emu.inject_message(USER, USER, "polled")
        (u,) = await bot.get_updates(timeout=0)
        assert u.message.text == "polled"
    finally:
        await runner.cleanup()


async def test_wait_for_times_out_with_context(emu):
    with pytest.raises(TimeoutError, match="condition not met"):
        await emu.wait_for(lambda: False, timeout=0.1)


async def test_json_body_and_form_both_accepted(emu):
    emu.inject_message(USER, USER, "hi")
    status, body = await raw(emu, "sendMessage", chat_id=USER, text="json",
                             reply_markup={"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]})  # fmt: skip
    assert status == 200 and body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "a"
    async with ClientSession() as s:
        form = {"chat_id": str(USER), "text": "form", "reply_markup": json.dumps({"inline_keyboard": []})}
        async with s.post(f"{emu.api_url}/sendMessage", data=form) as r:
            assert r.status == 200
    assert [c.text for c in emu.sent] == ["json", "form"]


async def test_length_counted_in_utf16_units(emu, bot):
    emu.inject_message(USER, USER, "hi")
    emoji = "😀" * 2048  # 2048 characters, 4096 UTF-16 units: just fits
    await bot.send_message(USER, emoji)
    with pytest.raises(BadRequest, match="(?i)too long"):
        await bot.send_message(USER, emoji + "x")  # 2049 characters, 4097 units
    assert len(emu.sent_to(USER)) == 1


async def test_delay_next_after_the_call_took_effect(emu):
    from telegram.error import TimedOut
    from telegram.request import HTTPXRequest

    emu.inject_message(USER, USER, "hi")
    async with Bot(emu.token, base_url=emu.base_url, request=HTTPXRequest(read_timeout=0.2)) as bot:
        emu.delay_next(1, seconds=0.6, method="sendMessage")
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "late answer")
        assert [c.text for c in emu.sent_to(USER)] == ["late answer"]  # it did arrive
        emu.delay_next(1, seconds=0.6, after=False, method="sendMessage")
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "slow to take effect")
        assert len(emu.sent_to(USER)) == 1
        await asyncio.sleep(0.7)
        assert len(emu.sent_to(USER)) == 2
