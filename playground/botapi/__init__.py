"""A Telegram Bot API emulator for running the bot's real PTB `Application` in tests.

async with BotApiEmulator() as emu:
    app = (ApplicationBuilder().token(emu.token)
           .base_url(emu.api_base_url).base_file_url(emu.file_base_url).build())
    user = emu.user(1001, first_name="Ada")
    await user.send_text("/start")
    reply = await user.wait_for(lambda m: "Welcome" in m.get("text", ""))
"""

from .emulator import BotApiEmulator
from .errors import ApiError
from .holds import Hold
from .media import sample_image
from .state import ApiCall
from .user_albums import SentAlbum
from .users import FakeUser

__all__ = ["ApiCall", "ApiError", "BotApiEmulator", "FakeUser", "Hold", "SentAlbum", "sample_image"]
