"""English catalog (the reference language: every key exists here)."""

from __future__ import annotations

EN: dict[str, str] = {
    # /start and /help
    "start.welcome": (
        "🦸 <b>Welcome to AIVenger, {name}!</b>\n"
        "Send me a selfie and I'll turn you into a superhero.\n"
        "You have <b>{credits} free credits</b>; each avatar costs {cost}.\n"
        "/gallery shows your avatars, /credits your balance, /buy tops it up, /style picks a look."
    ),
    "start.again": (
        "👋 Welcome back, {name}! You have <b>{credits} credits</b> ({avatars} avatars left).\n"
        "Send a selfie to create a new superhero."
    ),
    "help": (
        "<b>How it works</b>\n"
        "Send a selfie as a photo (or a JPEG, PNG, WebP or HEIC file). A caption refines it, "
        "e.g. <i>red cape, flying</i>.\n"
        "Each avatar costs {cost} credits; failed ones are refunded.\n\n"
        "/gallery — browse your avatars\n"
        "/credits — balance and history\n"
        "/buy — buy credits with Telegram Stars\n"
        "/style — choose a style\n"
        "/delete — delete an avatar (reply to it, or the newest)\n"
        "/invite — invite friends, earn credits\n"
        "/language — change the language\n"
        "/paysupport — help with payments · /terms — terms\n\n"
        "Limits: files up to 20 MB, {max_active} photos in progress at a time."
    ),
    "commands.start": "Start and get free credits",
    "commands.gallery": "Browse your avatars",
    "commands.credits": "Balance and history",
    "commands.buy": "Buy credits",
    "commands.style": "Choose a style",
    "commands.delete": "Delete an avatar",
    "commands.invite": "Invite friends",
    "commands.language": "Change language",
    "commands.help": "How it works",
    "commands.paysupport": "Payment support",
    "commands.terms": "Terms of service",
    # the photo flow
    "photo.working": "⏳ Creating your superhero… this takes about 10–20 seconds.",
    "photo.caption": "🦸 <b>{style}</b> · {credits} credits left",
    "photo.refunded": "{reason}\n💰 Your {cost} credits were refunded — balance: {credits}.",
    "photo.not_refunded": "{reason}\nBalance: {credits} credits.",
    "photo.duplicate": "I'm already working on that photo.",
    "button.again": "🔁 Again",
    "button.gallery": "🖼 Gallery",
    "button.full_size": "📄 Full size",
    "button.buy": "💳 Buy credits",
    # refusals and errors (keyed by the domain's error codes)
    "error.insufficient_credits": (
        "😔 Not enough credits: an avatar costs {cost}, you have {credits}.\n"
        "Buy more to keep creating."
    ),
    "error.too_many_active": (
        "⏳ Still working on your earlier photos ({limit} at a time). "
        "Send this one again when one is done."
    ),
    "error.rate_limited": "🐢 Slow down a little — too many messages. Try again in a minute.",
    "error.unknown_user": "Please send /start first.",
    "error.not_an_image": (
        "That's not a photo I can use. Send a selfie as a photo, or a JPEG, PNG, WebP or HEIC file."
    ),
    "error.corrupt_image": "I couldn't read that image — it seems damaged. Try another photo.",
    "error.image_too_large": "That file is too big (the limit is 20 MB). Send a smaller photo.",
    "error.image_too_many_pixels": (
        "That image is far too large in pixels. Send a normal photo (a selfie works best)."
    ),
    "error.animated_image": "Animations can't be transformed. Send a still photo instead.",
    "error.unsupported_message": (
        "I only work with photos. Send me a selfie as a photo (or an image file)."
    ),
    "error.model_refused": "🚫 The image model declined this photo (safety filters).",
    "error.model_moderation": "🚫 This photo was flagged by the image provider's moderation.",
    "error.model_unavailable": "⚠️ The image model is busy right now. Please try again later.",
    "error.model_timeout": "⌛ The image model took too long to answer.",
    "error.model_bad_response": "⚠️ The image model returned something I couldn't use.",
    "error.model_bad_request": "⚠️ The image model couldn't process this photo.",
    "error.model_auth": "⚠️ The service is temporarily unavailable. We've been notified.",
    "error.model_out_of_credits": "⚠️ The service is temporarily unavailable. We've been notified.",
    "error.model_error": "⚠️ The image model failed.",
    "error.storage_error": "⚠️ Storage is temporarily unavailable.",
    "error.blob_not_found": "⚠️ I lost the image on the way. Please send it again.",
    "error.delivery_failed": "⚠️ I couldn't send you the avatar.",
    "error.recovery_gave_up": "⚠️ Your avatar got stuck after several attempts.",
    "error.internal": "⚠️ Something went wrong on our side. Please try again.",
    "error.not_found": "This avatar isn't available any more.",
    "error.storage_retry": "⚠️ Storage is temporarily unavailable. Please try again in a minute.",
    "error.unknown_command": "I don't know that command. /help lists what I can do.",
    # /credits
    "credits.summary": (
        "💰 <b>Balance: {credits} credits</b>\n"
        "An avatar costs {cost} credits · avatars made: {avatars}\n"
        "Last avatar: {last}"
    ),
    "credits.never": "none yet",
    "credits.history": "\n\n<b>Recent activity</b>\n{lines}",
    "ledger.grant": "🎁 +{amount} welcome credits",
    "ledger.charge": "🦸 −{amount} avatar",
    "ledger.refund": "↩️ +{amount} refund",
    "ledger.purchase": "💳 +{amount} purchase",
    "ledger.purchase_refund": "↩️ −{amount} payment refunded",
    "ledger.admin": "🛠 {signed} adjustment",
    "ledger.referral": "🤝 +{amount} referral bonus",
    # /gallery
    "gallery.empty": "🖼 Your gallery is empty. Send a selfie to create your first superhero!",
    "gallery.caption": "{position} / {total} · {style} · {date}",
    "gallery.confirm": "🗑 Delete this avatar? This can't be undone.",
    "gallery.deleted": "🗑 Deleted.",
    "gallery.deleted_empty": "🗑 Deleted. Your gallery is empty now — send a selfie to make another!",
    "gallery.reply_to_avatar": "Reply to one of your avatars with /delete, or send /delete for the newest.",
    "button.prev": "◀",
    "button.next": "▶",
    "button.delete": "🗑",
    "button.confirm_delete": "Yes, delete",
    "button.cancel": "Cancel",
    "callback.stale": "This button is no longer valid.",
    # /style
    "style.choose": "🎨 Choose a style for your next avatars (now: <b>{current}</b>):",
    "style.chosen": "🎨 Style set to <b>{style}</b>. Send a selfie!",
    "style.superhero": "Superhero",
    "style.cinematic": "Cinematic universe",
    "style.noir": "Dark noir",
    "style.anime": "Anime hero",
    "style.retro": "Retro comic",
    "style.cyberpunk": "Cyberpunk",
    "style.fantasy": "Fantasy knight",
    "date.format": "{day} {month} {year}",
    "months": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
}
