"""Inline mode: `@bot` in any chat lists the asking user's own avatars; shares are counted.

Text after the bot's name filters by style (a style id or its name in any language we
speak); `id:<prefix>` (the ↗️ Share button's query) names one avatar. Results are personal
(`is_personal`) and cached briefly, so a new avatar shows up within seconds. Whatever the
text or the offset, the service only ever looks at the asking user's avatars.
"""

from __future__ import annotations

import logging

from telegram import InlineQueryResultCachedPhoto, InlineQueryResultsButton, Update

from bot.context import BotContext
from bot.texts import CATALOGS, Html, style_name, t
from core.services.sharing import InlineQuery, parse_id_query
from core.styles import STYLES

log = logging.getLogger(__name__)

CACHE_SECONDS = 10
START_PARAMETER = "inline"


def styles_matching(text: str) -> frozenset[str]:
    needle = text.strip().casefold()
    return frozenset(
        key
        for key in STYLES
        if needle in key or any(needle in style_name(key, lang).casefold() for lang in CATALOGS)
    )


def query_of(text: str) -> InlineQuery:
    prefix = parse_id_query(text.strip())
    if prefix is not None:
        return InlineQuery(id_prefix=prefix)
    if not text.strip():
        return InlineQuery()
    return InlineQuery(styles=styles_matching(text))


async def on_inline_query(update: Update, context: BotContext) -> None:
    """One page of the user's avatars as cached photos; a way into the bot when none."""
    query = update.inline_query
    if query is None:
        return
    lang = context.lang
    page = await context.sharing.inline_page(
        user_id=query.from_user.id, query=query_of(query.query), offset=query.offset
    )
    bot_name = Html(context.bot.username)
    results = [
        InlineQueryResultCachedPhoto(
            id=avatar.generation_id,
            photo_file_id=avatar.file_id,
            caption=t("inline.caption", lang, style=style_name(avatar.style, lang), bot=bot_name),
        )
        for avatar in page.avatars
    ]
    button = None
    if not results and not query.offset:
        key = "inline.no_match" if query.query.strip() else "inline.no_avatars"
        button = InlineQueryResultsButton(text=t(key, lang), start_parameter=START_PARAMETER)
    await query.answer(
        results,
        cache_time=CACHE_SECONDS,
        is_personal=True,
        # None, not "": with Defaults set, PTB 22 sends an empty string as "[]" (its
        # poll-option defaults treat "" as an empty sequence) and clients would page again.
        next_offset=page.next_offset or None,
        button=button,
    )


async def on_chosen_result(update: Update, context: BotContext) -> None:
    """Telegram reports the avatar the user sent (with inline feedback on in @BotFather)."""
    chosen = update.chosen_inline_result
    if chosen is None:
        return
    if await context.sharing.record_share(user_id=chosen.from_user.id, result_id=chosen.result_id):
        context.metrics.shares.inc()
