"""The bot without Telegram: a local Bot API server, a chat page, and the real bot pointed at them.

`playground.botapi` is the Bot API emulator; the end-to-end tests drive the bot through it too.
"""
