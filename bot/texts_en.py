"""English catalog (the reference language: every key exists here)."""

from __future__ import annotations

EN: dict[str, str] = {
    # /start and /help
    "start.welcome": (
        "🦸 <b>Welcome to AIVenger, {name}!</b>\n"
        "Send me a selfie and I'll turn you into a superhero.\n"
        "You have <b>{credits} free {credits:credit|credits}</b>; each avatar costs {cost}.\n"
        "/gallery shows your avatars, /credits your balance, /buy tops it up, /style picks a look."
    ),
    "start.again": (
        "👋 Welcome back, {name}! You have <b>{credits} {credits:credit|credits}</b> ({avatars} {avatars:avatar|avatars} left).\n"
        "Send a selfie to create a new superhero."
    ),
    "help": (
        "<b>How it works</b>\n"
        "Send a selfie as a photo (or a JPEG, PNG, WebP or HEIC file). A caption refines it, "
        "e.g. <i>red cape, flying</i>. Send 2–4 selfies as an album for a closer likeness; "
        "reply to an avatar with text (<i>make the cape red</i>) to change it.\n"
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
    "commands.grant": "Admin: grant credits",
    "commands.refund": "Admin: refund a payment",
    "commands.stats": "Admin: statistics",
    "commands.user": "Admin: look up a user",
    "commands.broadcast": "Admin: send the replied-to message to every user",
    "commands.broadcast_cancel": "Admin: stop the running broadcast",
    # the photo flow
    "photo.working": "⏳ Creating your superhero… this takes about 10–20 seconds.",
    "photo.caption": "🦸 <b>{style}</b> · {credits} {credits:credit|credits} left",
    "photo.refunded": "{reason}\n💰 Your {cost} {cost:credit was|credits were} refunded — balance: {credits}.",
    "photo.not_refunded": "{reason}\nBalance: {credits} {credits:credit|credits}.",
    "photo.duplicate": "I'm already working on that photo.",
    "photo.resent": "🔁 Sent again after a restart: if you already have it, this is the same one.",
    "photo.in_doubt": (
        "⚠️ Sending your avatar was cut off by a restart. If it did not arrive, it is saved "
        "in your gallery."
    ),
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
    "error.image_over_decode_budget": (
        "That image is too big for me to open. Send it as a photo rather than as a file, "
        "or send a smaller copy."
    ),
    "error.image_too_small": (
        "That image is too small or too thin to make an avatar from. "
        "Send a normal photo (a selfie works best)."
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
    "error.model_gone": "⚠️ The service is temporarily unavailable. We've been notified.",
    "error.model_error": "⚠️ The image model failed.",
    "error.storage_error": "⚠️ Storage is temporarily unavailable. Please try again in a minute.",
    "error.photo_unavailable": "⚠️ I couldn't fetch your photo from Telegram. Please send it again in a minute.",
    "error.blob_not_found": "⚠️ I lost the image on the way. Please send it again.",
    "error.delivery_failed": "⚠️ I couldn't send you the avatar.",
    "error.recovery_gave_up": "⚠️ Your avatar got stuck after several attempts.",
    "error.internal": "⚠️ Something went wrong on our side. Please try again.",
    "error.not_found": "This avatar isn't available any more.",
    "error.unknown_command": "I don't know that command. /help lists what I can do.",
    # /credits
    "credits.summary": (
        "💰 <b>Balance: {credits} {credits:credit|credits}</b>\n"
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
    "callback.rate_limited": "🐢 Too many presses. Try again in a minute.",
    # Groups, supergroups and channels (private chats only)
    "private.only": (
        "👋 I make superhero avatars in private chats only, so your photos and credits stay "
        "yours. Open a chat with me:"
    ),
    "private.open": "Open the private chat",
    "private.press": "Open the private chat with me to use this.",
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
    # /buy and Telegram Stars payments
    "buy.choose": (
        "💳 <b>Buy credits with Telegram Stars</b>\n"
        "Balance: {credits} {credits:credit|credits} · an avatar costs {cost}.\n"
        "Pick a pack:"
    ),
    "buy.pack_button": "{credits} {credits:credit|credits} · {stars} ⭐",
    "invoice.title": "{credits} AIVenger {credits:credit|credits}",
    "invoice.description": (
        "{credits} {credits:credit|credits}: enough for {avatars} superhero {avatars:avatar|avatars}. "
        "Credits never expire; failed avatars are refunded."
    ),
    "invoice.label": "{credits} {credits:credit|credits}",
    "payment.done": (
        "✅ Payment received: <b>+{credits} {credits:credit|credits}</b>.\n"
        "Balance: <b>{balance}</b> {balance:credit|credits}. Send a selfie to use them!"
    ),
    "payment.pending": (
        "⭐ Stars received: your credits are on their way. "
        "I'll write as soon as they're on your balance."
    ),
    "payment.problem": (
        "⚠️ Your payment arrived, but I couldn't match it to a pack. "
        "Please write to /paysupport — we'll sort it out or refund you."
    ),
    "payment.refused.invalid": "This invoice is not valid. Please open /buy and try again.",
    "payment.refused.not_yours": "This invoice was made for another account. Open /buy to get your own.",
    "payment.refused.unknown_pack": "This pack is no longer sold. Open /buy to see the current packs.",
    "payment.refused.price_changed": "The price of this pack has changed. Open /buy for a fresh invoice.",
    "payment.refunded": (
        "↩️ Your payment of {stars} ⭐ was refunded. "
        "{taken} {taken:credit was|credits were} removed; balance: {credits}."
    ),
    "paysupport": (
        "💬 <b>Payment support</b>\n"
        "Something wrong with a purchase? Send <code>/paysupport</code> followed by what happened, "
        "e.g. <i>/paysupport I paid 100 ⭐ but got no credits</i>. We answer here, usually within a day.\n"
        "Payments for credits you haven't used can be refunded to your Stars balance. "
        "See /terms for the details."
    ),
    "paysupport.sent": "✅ Thanks! Your message reached our support team. We'll answer here.",
    "paysupport.request": "💬 <b>Payment support</b> from {name} (id <code>{user_id}</code>):\n{text}",
    "terms": (
        "📄 <b>Terms of service</b>\n"
        "1. Credits are bought with Telegram Stars and are only used to create avatars in this bot. "
        "They have no cash value and can't be transferred.\n"
        "2. An avatar costs {cost} credits. Credits for an avatar that fails are returned automatically.\n"
        "3. Credits arrive as soon as the payment goes through. If they don't, or you bought by mistake, "
        "use /paysupport: payments whose credits are unused can be refunded in Stars.\n"
        "4. Only send photos of yourself, or of people who agreed, and nothing that breaks Telegram's rules.\n"
        "5. Photos are transformed by a third-party AI model via OpenRouter. Your photos and avatars "
        "are kept until you delete them with /delete.\n"
        "6. By paying you accept these terms and Telegram's Terms of Service for purchases in bots."
    ),
    # referrals
    "invite.text": (
        "🤝 <b>Invite friends, earn credits</b>\n"
        "When a friend joins with your link and makes their first avatar, you get "
        "<b>{bonus} {bonus:credit|credits}</b>.\n\n"
        "Your link: {link}\n\n"
        "Friends invited: {invited} · bonus credits earned: {earned}"
    ),
    "invite.share_button": "📨 Share the link",
    "invite.share_text": "Turn your selfie into a superhero avatar!",
    "referral.rewarded": (
        "🎉 {name} made their first avatar with your invite: <b>+{bonus} {bonus:credit|credits}</b>!\n"
        "Balance: {credits} {credits:credit|credits}."
    ),
    # /language
    "language.choose": "🌐 Choose your language (now: <b>{current}</b>):",
    "language.chosen": "🌐 Language set to <b>English</b>.",
    # admin tools
    "admin.grant_usage": "Usage: <code>/grant &lt;user id&gt; &lt;credits&gt; [reason]</code>",
    "admin.granted": (
        "✅ Granted {amount} {amount:credit|credits} to {name} (id <code>{user_id}</code>). "
        "Balance: {credits}."
    ),
    "admin.grant_repeated": "This grant was already applied; nothing changed. Balance: {credits}.",
    "admin.user_granted": "🎁 You received <b>{amount} {amount:credit|credits}</b>! Balance: {credits}.",
    "admin.no_user": "No user with id <code>{user_id}</code>.",
    "admin.refund_usage": "Usage: <code>/refund &lt;telegram_payment_charge_id&gt;</code>",
    "admin.no_payment": "No payment with charge id <code>{charge_id}</code>.",
    "admin.refund_done": (
        "↩️ Refunded {stars} ⭐ to user <code>{user_id}</code> (charge <code>{charge_id}</code>).\n"
        "Took back {taken} of {credits} credits; balance now {balance}."
    ),
    "admin.refund_repeated": "Payment <code>{charge_id}</code> was already refunded; nothing changed.",
    "admin.refund_failed": "Telegram refused the refund ({error}); nothing changed.",
    "admin.refund_preview": (
        "↩️ <b>Refund preview</b> · charge <code>{charge_id}</code>\n"
        "User <code>{user_id}</code> gets back {stars} ⭐.\n"
        "Credits taken back: {taken} of the pack's {credits}.\n"
        "{shortfall_line}"
        "Nothing happens until you confirm."
    ),
    "admin.refund_shortfall": (
        "⚠️ Shortfall: {shortfall} {shortfall:credit was|credits were} already spent and "
        "cannot be taken back.\n"
    ),
    "admin.refund_cancelled": "Refund of <code>{charge_id}</code> cancelled; nothing changed.",
    "admin.refund_done_shortfall": "Shortfall recorded: {shortfall} already spent.",
    "admin.stats_usage": "Usage: <code>/stats</code> (no arguments)",
    "button.refund_confirm": "Confirm refund",
    "button.refund_cancel": "Cancel",
    "admin.stats": (
        "📊 <b>Stats</b>\n"
        "Users: {users} (new today: {new_users})\n"
        "Avatars made: {avatars}\n"
        "Failures: {failures}\n"
        "Refunds: {generation_refunds} failed avatars · {payment_refunds} payments ({stars_refunded} ⭐)\n"
        "Purchases: {purchases} · Stars earned: {stars_earned} ⭐\n"
        "Model spend: ${model_spend:.4f}\n"
        "Models: {models}"
    ),
    "admin.none": "none",
    "admin.user_usage": "Usage: <code>/user &lt;user id&gt;</code>",
    "admin.user": (
        "👤 <b>{name}</b> {username}(id <code>{user_id}</code>)\n"
        "Joined {joined} · language: {language} · style: {style}\n"
        "Balance: <b>{credits}</b>\n\n"
        "<b>Recent ledger</b>\n{ledger}\n\n"
        "<b>Recent generations</b>\n{generations}"
    ),
    "admin.generation_line": "<code>{gen_id}</code> · {status} · {style} · {date}{error}",
    "admin.alert_out_of_credits": (
        "🚨 <b>OpenRouter is out of credits</b> (HTTP 402): avatars are failing and being refunded.\n"
        "Top up at https://openrouter.ai/settings/credits. "
        "I'll alert again only after a generation has succeeded."
    ),
    "admin.alert_model_gone": (
        "🚨 <b>The image model is gone</b> (OpenRouter: {detail}): no model of the chain "
        "answered, so avatars are failing and being refunded.\n"
        "Set OPENROUTER_MODEL / OPENROUTER_FALLBACK_MODELS to current image models "
        "(https://openrouter.ai/models?output_modalities=image) and restart. "
        "I'll alert again only after a generation has succeeded."
    ),
    # Reply to edit, albums, the queue (product.md §12)
    "edit.not_an_avatar": (
        "↩️ To change an avatar, reply to it with what to change, e.g. <i>make the cape red</i>. "
        "To make a new one, send a selfie."
    ),
    "edit.empty": "✏️ Reply to your avatar with what to change, e.g. <i>add rain at night</i>.",
    "gallery.edited_from": "✏️ edited from {position} / {total}",
    "gallery.edited_from_deleted": "✏️ edited from a deleted avatar",
    "photo.in_line": "⏳ In line: {place}… your avatar starts as soon as a place frees up.",
    "album.question": (
        "📸 {count} {count:photo|photos}. One avatar from all of them (a closer likeness, "
        "{cost} {cost:credit|credits}), or {count} separate {count:avatar|avatars} "
        "({total} {total:credit|credits})?"
    ),
    "button.album_one": "✨ One avatar from all {count}",
    "button.album_separate": "🖼 {count} separate {count:avatar|avatars}",
    "album.chosen_one": (
        "✨ One avatar from {count} {count:photo|photos} is on its way. "
        "{credits} {credits:credit|credits} left."
    ),
    "album.chosen_separate": (
        "🖼 {queued} {queued:avatar is|avatars are} on the way. "
        "{credits} {credits:credit|credits} left."
    ),
    "album.too_many": (
        "📸 That album has more than {limit} photos. Send up to {limit} together for one "
        "avatar, or send them one by one. Nothing was charged."
    ),
    # sharing (product.md §12): inline mode, stickers, broadcasts
    "button.share": "↗️ Share",
    "button.sticker": "🎭 Sticker",
    "inline.caption": "🦸 {style} · made with @{bot}",
    "inline.no_avatars": "Make your first avatar",
    "inline.no_match": "No avatars match · open the bot",
    "sticker.pack_title": "{name}'s superheroes",
    "sticker.made": "🎭 Your sticker joined your pack: {link}",
    "sticker.made_paid": "🎭 Your sticker joined your pack: {link}\n{cost} {cost:credit|credits} · {credits} left",
    "sticker.again": "🎭 This avatar already is a sticker in your pack: {link}",
    "error.sticker_in_progress": "🎭 That sticker is on its way.",
    "sticker.insufficient_credits": "😔 Not enough credits: a sticker costs {cost}, you have {credits}.",
    "error.sticker_pack_full": (
        "Your sticker pack is full. Remove a few stickers in @Stickers and try again. "
        "Nothing was charged."
    ),
    "error.sticker_flood": "Telegram asks to wait {seconds} s before the next sticker. Nothing was charged.",
    "error.sticker_refused": "Telegram did not make the sticker; try again later. Nothing was charged.",
    "broadcast.usage": "Reply with /broadcast to the message you want every user to receive.",
    "broadcast.preview": "👆 This message goes to <b>{audience}</b> {audience:user|users}. Send it?",
    "broadcast.confirm": "📣 Send",
    "broadcast.drop": "Cancel",
    "broadcast.dropped": "Broadcast not sent.",
    "error.broadcast_running": "📣 A broadcast is running already. /broadcast_cancel stops it.",
    "broadcast.started": "📣 Broadcasting to {total} {total:user|users}…",
    "broadcast.progress": (
        "📣 Broadcast: {done} / {total}\nsent {sent} · blocked the bot {blocked} · failed {failed}"
    ),
    "broadcast.finished": (
        "📣 Broadcast finished: sent {sent}, blocked the bot {blocked}, failed {failed} "
        "(of {total})."
    ),
    "broadcast.cancelled": (
        "📣 Broadcast cancelled: sent {sent}, blocked the bot {blocked}, failed {failed}; "
        "{left} left unsent."
    ),
    "broadcast.none": "No broadcast is running.",
    "admin.stats_shares": "Shares today (inline): {shares}",
    "error.broadcast_already_sent": "📣 This message was broadcast already.",
}
