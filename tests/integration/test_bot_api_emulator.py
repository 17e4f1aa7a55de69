"""The Telegram Bot API emulator, driven by real PTB: if PTB accepts it, the bot will too.

Every test talks to the emulator through `telegram.Bot` / `telegram.ext.Application`, so the
wire format (form/multipart encoding, attach://, JSON answers, error mapping) is checked by
the same library the bot uses in production.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from PIL import Image
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    LabeledPrice,
    Message,
    TransactionPartnerUser,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from playground.botapi import BotApiEmulator, FakeUser

TOKEN = "123456:TEST-TOKEN"


def jpeg(width: int = 800, height: int = 600) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (180, 40, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, bot_username="aivenger_test_bot") as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.api_base_url, base_file_url=emu.file_base_url) as client:
        yield client


@pytest.fixture
def ada(emu: BotApiEmulator) -> FakeUser:
    return emu.user(1001, first_name="Ada", username="ada", language_code="en")


def build_app(emu: BotApiEmulator) -> Application:  # type: ignore[type-arg]
    return (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.api_base_url)
        .base_file_url(emu.file_base_url)
        .build()
    )


@asynccontextmanager
async def polling(app: Application) -> AsyncIterator[None]:  # type: ignore[type-arg]
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


async def test_get_me_and_a_wrong_token(emu: BotApiEmulator, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (123456, "aivenger_test_bot", True)
    stranger = Bot("999:WRONG", base_url=emu.api_base_url)
    with pytest.raises(InvalidToken):
        await stranger.initialize()
    with pytest.raises(EndPointNotFound):  # Telegram answers unknown methods with 404
        await bot.do_api_request("definitelyNotAMethod")


async def test_long_polling_honours_offsets_and_replays(
    emu: BotApiEmulator, bot: Bot, ada: FakeUser
) -> None:
    await ada.send_text("/start")
    first = await bot.get_updates(timeout=0)
    again = await bot.get_updates(timeout=0)  # not confirmed yet: delivered again
    assert [u.update_id for u in first] == [u.update_id for u in again]
    assert first[0].message is not None and first[0].message.text == "/start"
    assert first[0].message.entities[0].type == "bot_command"

    offset = first[0].update_id + 1
    assert await bot.get_updates(offset=offset, timeout=0) == ()

    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(offset=offset, timeout=5))
    await asyncio.sleep(0.1)
    await ada.send_text("hello")
    (held,) = await poll
    assert held.message is not None and held.message.text == "hello"
    assert time.monotonic() - started < 2

    emu.replay_update(first[0].update_id)
    replayed = await bot.get_updates(offset=held.update_id + 1, timeout=0)
    assert [u.update_id for u in replayed] == [first[0].update_id]
    assert await bot.get_updates(offset=held.update_id + 1, timeout=0) == ()


async def test_a_user_photo_downloads_byte_identical(
    emu: BotApiEmulator, bot: Bot, ada: FakeUser
) -> None:
    original = jpeg(1280, 960)
    sent = await ada.send_photo(original, caption="me")

    sizes = sent["photo"]
    assert [max(s["width"], s["height"]) for s in sizes] == [90, 320, 1280]
    assert len({s["file_id"] for s in sizes}) == 3
    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None
    largest = update.message.photo[-1]
    downloaded = await (await largest.get_file()).download_as_bytearray()
    assert bytes(downloaded) == original
    assert emu.file_bytes(largest.file_id) == original


async def test_send_photo_uploads_once_then_reuses_the_file_id(
    emu: BotApiEmulator, bot: Bot, ada: FakeUser
) -> None:
    picture = jpeg(640, 480)
    first = await bot.send_photo(ada.id, InputFile(picture, filename="a.jpg"), caption="hero")
    again = await bot.send_photo(ada.id, first.photo[-1].file_id)

    assert emu.uploads == 1
    assert again.photo[-1].file_unique_id == first.photo[-1].file_unique_id
    assert [m["caption"] for m in ada.messages if "caption" in m] == ["hero"]
    assert len(ada.messages) == 2 and "photo" in ada.messages[0]
    album = await bot.send_media_group(
        ada.id, [InputMediaPhoto(jpeg(50, 50)), InputMediaPhoto(first.photo[-1].file_id)]
    )
    assert len({m.media_group_id for m in album}) == 1
    assert emu.uploads == 2
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(ada.id, InputFile(b"not an image", filename="x.jpg"))
    emu.invalidate_file_ids()
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(ada.id, first.photo[-1].file_id)


async def test_edit_message_media_by_file_id_and_by_upload(
    emu: BotApiEmulator, bot: Bot, ada: FakeUser
) -> None:
    placeholder = await bot.send_photo(ada.id, jpeg(100, 100), caption="working…")
    other = await bot.send_photo(ada.id, jpeg(200, 200))

    by_id = await bot.edit_message_media(
        InputMediaPhoto(other.photo[-1].file_id, caption="done"), ada.id, placeholder.message_id
    )
    assert isinstance(by_id, Message)
    assert by_id.photo[-1].file_unique_id == other.photo[-1].file_unique_id
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_media(
            InputMediaPhoto(other.photo[-1].file_id, caption="done"), ada.id, by_id.message_id
        )
    uploads = emu.uploads
    fresh = jpeg(300, 300)
    by_upload = await bot.edit_message_media(
        InputMediaPhoto(fresh, caption="final"), ada.id, placeholder.message_id
    )
    assert isinstance(by_upload, Message)
    assert emu.uploads == uploads + 1
    assert emu.file_bytes(by_upload.photo[-1].file_id) == fresh
    as_document = await bot.edit_message_media(
        InputMediaDocument(b"%PDF-1.4", filename="hero.pdf"), ada.id, placeholder.message_id
    )
    assert isinstance(as_document, Message)
    assert as_document.document is not None and as_document.document.file_name == "hero.pdf"
    assert ada.messages[0]["document"]["file_name"] == "hero.pdf"


async def test_edits_follow_telegram_rules(emu: BotApiEmulator, bot: Bot, ada: FakeUser) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(ada.id, "Pick one", reply_markup=keyboard)

    with pytest.raises(BadRequest, match="Message is not modified: specified new message content"):
        await bot.edit_message_text("Pick one", ada.id, sent.message_id, reply_markup=keyboard)
    edited = await bot.edit_message_text("Picked", ada.id, sent.message_id)
    assert isinstance(edited, Message)
    assert edited.reply_markup is None  # omitting reply_markup drops the keyboard, as Telegram
    assert ada.messages[0]["text"] == "Picked" and "reply_markup" not in ada.messages[0]
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", ada.id, 999)
    photo = await bot.send_photo(ada.id, jpeg(64, 64))
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await bot.edit_message_text("x", ada.id, photo.message_id)
    assert await bot.delete_message(ada.id, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(ada.id, sent.message_id)
    assert [m["message_id"] for m in ada.messages] == [photo.message_id]


async def test_keyboard_text_and_caption_limits(bot: Bot, ada: FakeUser) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="x" * 64)]])
    await bot.send_message(ada.id, "fits", reply_markup=ok)
    long = InlineKeyboardMarkup([[InlineKeyboardButton("no", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(ada.id, "too long data", reply_markup=long)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ada.id, "a" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(ada.id, "   ")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(ada.id, jpeg(64, 64), caption="c" * 1025)
    # Length counts the rendered text, so markup around 4096 characters still fits.
    bold = await bot.send_message(ada.id, f"<b>{'a' * 4096}</b>", parse_mode=ParseMode.HTML)
    assert bold.text == "a" * 4096 and bold.entities[0].type == "bold"
    with pytest.raises(BadRequest, match="Can't parse entities: unsupported start tag"):
        await bot.send_message(ada.id, "1 < 2", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't find end tag"):
        await bot.send_message(ada.id, "<b>open", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="is reserved and must be escaped"):
        await bot.send_message(ada.id, "Done.", parse_mode=ParseMode.MARKDOWN_V2)
    escaped = await bot.send_message(ada.id, "*Done*\\.", parse_mode=ParseMode.MARKDOWN_V2)
    assert escaped.text == "Done."


async def test_callback_answers_are_single_and_timely(
    emu: BotApiEmulator, bot: Bot, ada: FakeUser
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(ada.id, "Pick", reply_markup=keyboard)
    query_id = await ada.press(sent.to_dict(), "go")

    assert emu.callback_answer(query_id) is None
    assert await bot.answer_callback_query(query_id, text="On it")
    assert emu.callback_answer(query_id) == {"text": "On it"}
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)

    emu.callback_timeout = 0.05
    late = await ada.press(sent.to_dict(), "go")
    await asyncio.sleep(0.1)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(late)


async def test_a_forged_press_on_another_users_message_is_delivered(
    emu: BotApiEmulator, bot: Bot, ada: FakeUser
) -> None:
    mallory = emu.user(666, first_name="Mallory")
    sent = await bot.send_message(ada.id, "Ada's job", reply_markup=None)
    await mallory.press(sent.to_dict(), "delete:42")

    (update,) = await bot.get_updates(timeout=0)
    query = update.callback_query
    assert query is not None and query.message is not None
    assert (query.from_user.id, query.message.chat.id, query.data) == (666, ada.id, "delete:42")


@pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")
async def test_rate_limit_raises_retry_after(emu: BotApiEmulator, bot: Bot, ada: FakeUser) -> None:
    emu.set_rate_limit(global_per_second=3)
    for n in range(3):
        await bot.send_message(ada.id, f"msg {n}")
    assert await bot.send_chat_action(ada.id, "typing")  # not a message: never limited
    with pytest.raises(RetryAfter) as limited:
        await bot.send_message(ada.id, "one too many")

    retry_after = limited.value.retry_after  # int or timedelta, depending on PTB's settings
    assert (retry_after if isinstance(retry_after, int) else retry_after.total_seconds()) >= 1
    assert emu.rate_limited_count == 1
    emu.set_rate_limit(None)
    await bot.send_message(ada.id, "fine again")


@pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")
async def test_fault_injection_latency_and_blocking(
    emu: BotApiEmulator, bot: Bot, ada: FakeUser
) -> None:
    emu.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError):
        await bot.send_message(ada.id, "lost")
    emu.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter):
        await bot.send_message(ada.id, "slow down")
    await bot.send_message(ada.id, "delivered")
    assert [m["text"] for m in ada.messages] == ["delivered"]

    emu.latency = 0.2
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.2
    emu.latency = 0.0
    ada.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ada.id, "anyone there?")


async def test_every_user_message_kind_parses_in_ptb(
    emu: BotApiEmulator, bot: Bot, ada: FakeUser
) -> None:
    await ada.send_sticker()
    await ada.send_video()
    await ada.send_voice()
    await ada.send_audio()
    await ada.send_animation()
    await ada.send_contact()
    await ada.send_location()
    await ada.send_video_note()
    text = await ada.send_text("typo")
    await ada.edit_message(text, text="fixed")

    updates = await bot.get_updates(timeout=0)
    messages = [u.message for u in updates[:-2] if u.message is not None]
    kinds = [type(m.effective_attachment).__name__ for m in messages]
    assert kinds == [
        "Sticker",
        "Video",
        "Voice",
        "Audio",
        "Animation",
        "Contact",
        "Location",
        "VideoNote",
    ]
    assert updates[-1].edited_message is not None
    assert updates[-1].edited_message.text == "fixed"
    assert emu.transcript(ada.id)[-1] == f"user edits #{text['message_id']}: fixed"


async def test_an_unanswered_pre_checkout_fails_the_payment(
    emu: BotApiEmulator, bot: Bot, ada: FakeUser
) -> None:
    invoice = await bot.send_invoice(
        ada.id, "Pack", "Ten avatars", "p1", "XTR", [LabeledPrice("x", 5)]
    )
    emu.pre_checkout_timeout = 0.1

    ok, error = await ada.pay(invoice.to_dict())
    (update,) = await bot.get_updates(timeout=0)
    assert update.pre_checkout_query is not None
    assert (update.pre_checkout_query.invoice_payload, update.pre_checkout_query.total_amount) == (
        "p1",
        5,
    )
    assert (ok, error) == (False, "the bot did not answer the pre-checkout query in time")
    with pytest.raises(BadRequest, match="Query is too old"):
        await update.pre_checkout_query.answer(ok=True)
    assert ada.last_payment is None


async def test_big_files_are_refused_by_get_file(bot: Bot, ada: FakeUser) -> None:
    big = await ada.send_document(b"%PDF", file_name="scan.pdf", file_size=25 * 1024 * 1024)
    small = await ada.send_document(jpeg(32, 32), file_name="x.jpg", mime_type="image/jpeg")

    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(big["document"]["file_id"])
    assert (await bot.get_file(small["document"]["file_id"])).file_size == len(jpeg(32, 32))


async def test_my_commands_are_stored_per_scope_and_language(
    emu: BotApiEmulator, bot: Bot, ada: FakeUser
) -> None:
    default = [BotCommand("start", "Start"), BotCommand("help", "Help")]
    russian = [BotCommand("start", "Начать")]
    await bot.set_my_commands(default)
    await bot.set_my_commands(russian, scope=BotCommandScopeAllPrivateChats(), language_code="ru")

    assert await bot.get_my_commands() == tuple(default)
    private = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="ru")
    assert private == tuple(russian)
    assert await bot.get_my_commands(scope=BotCommandScopeChat(ada.id)) == ()
    assert emu.my_commands({"type": "all_private_chats"}, "ru") == [
        {"command": "start", "description": "Начать"}
    ]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])


async def test_stars_invoice_payment_round_trip(emu: BotApiEmulator, ada: FakeUser) -> None:
    app = build_app(emu)

    async def buy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        payload = (context.args or ["pack-10"])[0]
        prices = [LabeledPrice("10 avatars", 50)]
        await context.bot.send_invoice(
            update.effective_chat.id, "10 avatars", "Ten hero avatars", payload, "XTR", prices
        )

    async def pre_checkout(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.pre_checkout_query
        assert query is not None
        if query.invoice_payload == "pack-10":
            await query.answer(ok=True)
        else:
            await query.answer(ok=False, error_message="Sold out")

    async def paid(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.successful_payment is not None
        await update.message.reply_text(
            f"Thanks for {update.message.successful_payment.total_amount}"
        )

    app.add_handler(CommandHandler("buy", buy))
    app.add_handler(PreCheckoutQueryHandler(pre_checkout))
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, paid))
    async with polling(app):
        await ada.send_text("/buy")
        invoice = await ada.wait_for(lambda m: "invoice" in m, timeout=5)
        assert invoice["invoice"]["total_amount"] == 50
        assert await ada.pay(invoice) == (True, None)
        await ada.wait_for(lambda m: m["text"] == "Thanks for 50", timeout=5)
        assert ada.last_payment is not None
        charge = ada.last_payment["successful_payment"]["telegram_payment_charge_id"]

        await ada.send_text("/buy pack-99")
        sold_out = await ada.wait_for(lambda m: "invoice" in m, timeout=5)
        assert await ada.pay(sold_out) == (False, "Sold out")

        assert await app.bot.refund_star_payment(ada.id, charge)
        with pytest.raises(BadRequest, match=r"(?i)charge_already_refunded"):
            await app.bot.refund_star_payment(ada.id, charge)
        with pytest.raises(BadRequest, match=r"(?i)charge_not_found"):
            await app.bot.refund_star_payment(ada.id, "stxUNKNOWN")
        with pytest.raises(BadRequest, match=r"(?i)payment_provider_invalid"):
            await app.bot.send_invoice(
                ada.id, "t", "d", "p", "XTR", [LabeledPrice("x", 1)], provider_token="tok"
            )
    assert emu.refunds == [{"user_id": ada.id, "telegram_payment_charge_id": charge}]


async def test_an_application_dialogue_reads_well_in_the_transcript(
    emu: BotApiEmulator, ada: FakeUser
) -> None:
    app = build_app(emu)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Create", callback_data="create")]])
        await update.message.reply_text("Welcome, Ada!", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Creating")
        await query.edit_message_text("Send me a selfie")

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        data = await (await update.message.photo[-1].get_file()).download_as_bytearray()
        await update.message.reply_photo(bytes(data), caption="Your hero")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    async with polling(app):
        await ada.send_text("/start")
        welcome = await ada.wait_for(lambda m: m["text"].startswith("Welcome"), timeout=5)
        query_id = await ada.press(welcome, "create")
        assert (await emu.wait_callback_answered(query_id))["text"] == "Creating"
        await ada.wait_for(lambda m: m["text"] == "Send me a selfie", timeout=5)
        await ada.send_photo(jpeg(400, 300))
        hero = await ada.wait_for(lambda m: "photo" in m, timeout=5)
        with pytest.raises(TimeoutError, match="bot photo"):
            await ada.wait_for(lambda m: "never" in m.get("text", ""), timeout=0.2)

    assert hero["caption"] == "Your hero"
    assert emu.transcript(ada.id) == [
        "user: /start",
        "bot: Welcome, Ada! [Create]",
        "user presses [create] on #2",
        "bot answers callback: Creating",
        "bot edits #2: Send me a selfie",
        "user photo",
        f"bot photo #{hero['message_id']} caption: Your hero",
    ]
    assert [c.method for c in emu.calls("getMe")] == ["getMe"]


async def test_webhook_delivery_to_a_local_receiver(emu: BotApiEmulator, ada: FakeUser) -> None:
    received: asyncio.Queue[tuple[dict[str, Any], str]] = asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        await received.put((await request.json(), secret))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with Bot(TOKEN, base_url=emu.api_base_url) as bot:
            await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
            with pytest.raises(Conflict, match="webhook is active"):
                await bot.get_updates(timeout=0)
            await ada.send_text("via webhook")
            update, secret = await asyncio.wait_for(received.get(), timeout=5)
            assert secret == "s3cret"
            assert update["message"]["text"] == "via webhook"
            info = await bot.get_webhook_info()
            assert info.url.endswith("/hook") and info.pending_update_count == 0
            await bot.delete_webhook()
    finally:
        await runner.cleanup()


async def test_star_transactions_list_payments_and_refunds_newest_first_as_telegram_does(
    bot: Bot, ada: FakeUser
) -> None:
    """getStarTransactions in Telegram's wire format (PTB parses it into its own types): a
    payment has `source`, a refund `receiver`, both with the charge id as `id`."""
    await ada.send_successful_payment("v1:pack-a", 50, "stxA")
    await ada.send_successful_payment("v1:pack-b", 100, "stxB", deliver=False)  # never seen
    await ada.send_successful_payment("v1:pack-a", 50, "stxA")  # a replay: no new transaction
    assert await bot.refund_star_payment(ada.id, "stxA")

    history = (await bot.get_star_transactions()).transactions
    second_page = (await bot.get_star_transactions(offset=1, limit=1)).transactions
    updates = await bot.get_updates(timeout=0)

    assert [(t.id, t.amount) for t in history] == [("stxA", 50), ("stxB", 100), ("stxA", 50)]
    refund, unseen, paid = history
    assert refund.receiver is not None and refund.source is None
    assert paid.source is not None and paid.receiver is None
    for partner, payload in ((paid.source, "v1:pack-a"), (refund.receiver, "v1:pack-a")):
        assert isinstance(partner, TransactionPartnerUser)
        assert (partner.transaction_type, partner.invoice_payload) == ("invoice_payment", payload)
        assert partner.user.id == ada.id
    assert isinstance(unseen.source, TransactionPartnerUser)
    assert unseen.source.invoice_payload == "v1:pack-b"
    assert [t.id for t in second_page] == ["stxB"]
    charges = [u.message.successful_payment.telegram_payment_charge_id for u in updates]  # type: ignore[union-attr]
    assert charges == ["stxA", "stxA"]  # stxB's update never reached the bot
    with pytest.raises(BadRequest):
        await bot.get_star_transactions(limit=101)


async def test_a_refund_by_telegram_sends_refunded_payment_and_enters_the_history(
    bot: Bot, ada: FakeUser
) -> None:
    await ada.send_successful_payment("v1:pack-a", 50, "stxA")
    await ada.refund_by_telegram("stxA")

    updates = await bot.get_updates(timeout=0)
    history = (await bot.get_star_transactions()).transactions

    refunded = updates[-1].message.refunded_payment  # type: ignore[union-attr]
    assert refunded is not None
    assert (refunded.currency, refunded.total_amount) == ("XTR", 50)
    assert refunded.invoice_payload == "v1:pack-a"
    assert refunded.telegram_payment_charge_id == "stxA"
    assert updates[-1].message.from_user.id == ada.id  # type: ignore[union-attr]
    assert [(t.id, t.receiver is not None) for t in history] == [("stxA", True), ("stxA", False)]
    with pytest.raises(BadRequest, match=r"(?i)charge_already_refunded"):
        await bot.refund_star_payment(ada.id, "stxA")  # Telegram already gave the Stars back
    with pytest.raises(ValueError, match="already refunded"):
        await ada.refund_by_telegram("stxA")


async def test_hold_after_update_parks_the_bots_next_requests_but_not_getupdates(
    emu: BotApiEmulator, bot: Bot, ada: FakeUser
) -> None:
    await ada.send_text("first")
    first = emu.update_ids()[-1]
    frozen = emu.hold_after_update(first)
    await bot.send_message(ada.id, "before it was served")  # not armed yet: passes

    (served,) = await bot.get_updates(timeout=0)
    parked = asyncio.create_task(bot.send_message(ada.id, "after"))
    await frozen.arrived()
    assert not emu.confirmed(first)
    assert await bot.get_updates(offset=first + 1, timeout=0) == ()  # getUpdates still passes
    assert emu.confirmed(first) and not parked.done()
    frozen.release()
    await parked

    assert served.update_id == first
    assert [m["text"] for m in ada.messages] == ["before it was served", "after"]
