"""Russian catalog: every key of the English one, numbers agreeing through plural specs."""

from __future__ import annotations

RU: dict[str, str] = {
    # /start and /help
    "start.welcome": (
        "🦸 <b>Добро пожаловать в AIVenger, {name}!</b>\n"
        "Пришлите селфи — и я превращу вас в супергероя.\n"
        "У вас <b>{credits} {credits:бесплатный кредит|бесплатных кредита|бесплатных кредитов}</b>; "
        "один аватар стоит {cost}.\n"
        "/gallery — ваши аватары, /credits — баланс, /buy — пополнить, /style — выбрать стиль."
    ),
    "start.again": (
        "👋 С возвращением, {name}! У вас <b>{credits} {credits:кредит|кредита|кредитов}</b> "
        "(хватит на {avatars} {avatars:аватар|аватара|аватаров}).\n"
        "Пришлите селфи, чтобы создать нового супергероя."
    ),
    "help": (
        "<b>Как это работает</b>\n"
        "Пришлите селфи как фото (или файлом JPEG, PNG, WebP или HEIC). Подпись к фото уточняет "
        "образ, например <i>красный плащ, в полёте</i>. Пришлите 2–4 селфи альбомом для "
        "большего сходства; ответьте на аватар текстом (<i>сделай плащ красным</i>), чтобы его "
        "изменить.\n"
        "Аватар стоит {cost} {cost:кредит|кредита|кредитов}; за неудачные кредиты возвращаются.\n\n"
        "/gallery — ваши аватары\n"
        "/credits — баланс и история\n"
        "/buy — купить кредиты за Telegram Stars\n"
        "/style — выбрать стиль\n"
        "/delete — удалить аватар (ответом на него или последний)\n"
        "/invite — пригласить друзей и получить кредиты\n"
        "/language — сменить язык\n"
        "/paysupport — помощь с оплатой · /terms — условия\n\n"
        "Ограничения: файлы до 20 МБ, одновременно в работе не больше {max_active} фото."
    ),
    "commands.start": "Начать и получить бесплатные кредиты",
    "commands.gallery": "Ваши аватары",
    "commands.credits": "Баланс и история",
    "commands.buy": "Купить кредиты",
    "commands.style": "Выбрать стиль",
    "commands.delete": "Удалить аватар",
    "commands.invite": "Пригласить друзей",
    "commands.language": "Сменить язык",
    "commands.help": "Как это работает",
    "commands.paysupport": "Помощь с оплатой",
    "commands.terms": "Условия использования",
    "commands.grant": "Админ: начислить кредиты",
    "commands.refund": "Админ: вернуть платёж",
    "commands.stats": "Админ: статистика",
    "commands.user": "Админ: сведения о пользователе",
    "commands.broadcast": "Админ: разослать сообщение, на которое вы ответили",
    "commands.broadcast_cancel": "Админ: остановить рассылку",
    # the photo flow
    "photo.working": "⏳ Создаю вашего супергероя… это займёт около 10–20 секунд.",
    "photo.caption": "🦸 <b>{style}</b> · осталось {credits} {credits:кредит|кредита|кредитов}",
    "photo.refunded": (
        "{reason}\n💰 {cost} {cost:кредит возвращён|кредита возвращены|кредитов возвращены} — "
        "баланс: {credits}."
    ),
    "photo.not_refunded": "{reason}\nБаланс: {credits} {credits:кредит|кредита|кредитов}.",
    "photo.duplicate": "Я уже работаю над этим фото.",
    "photo.resent": "🔁 Отправлено повторно после перезапуска: если он у вас уже есть, это тот же.",
    "photo.in_doubt": (
        "⚠️ Отправку аватара прервал перезапуск. Если он не пришёл, он сохранён в вашей галерее."
    ),
    "button.again": "🔁 Ещё раз",
    "button.gallery": "🖼 Галерея",
    "button.full_size": "📄 В полном размере",
    "button.buy": "💳 Купить кредиты",
    # refusals and errors (keyed by the domain's error codes)
    "error.insufficient_credits": (
        "😔 Недостаточно кредитов: аватар стоит {cost}, а у вас {credits}.\n"
        "Пополните баланс, чтобы продолжить."
    ),
    "error.too_many_active": (
        "⏳ Я ещё работаю над вашими предыдущими фото (одновременно — не больше {limit}). "
        "Пришлите это фото снова, когда одно из них будет готово."
    ),
    "error.rate_limited": "🐢 Чуть помедленнее — слишком много сообщений. Попробуйте через минуту.",
    "error.unknown_user": "Сначала отправьте /start.",
    "error.not_an_image": (
        "С этим я работать не могу. Пришлите селфи как фото или файлом JPEG, PNG, WebP или HEIC."
    ),
    "error.corrupt_image": "Не получается прочитать изображение — похоже, оно повреждено. Попробуйте другое фото.",
    "error.image_too_large": "Файл слишком большой (максимум 20 МБ). Пришлите фото поменьше.",
    "error.image_too_many_pixels": (
        "В этом изображении слишком много пикселей. Пришлите обычное фото (лучше всего — селфи)."
    ),
    "error.image_over_decode_budget": (
        "Это изображение слишком велико, чтобы его открыть. Отправьте его как фото, а не файлом, "
        "или пришлите уменьшенную копию."
    ),
    "error.image_too_small": (
        "Изображение слишком маленькое или слишком узкое для аватара. "
        "Пришлите обычное фото (лучше всего селфи)."
    ),
    "error.animated_image": "Анимацию превратить не получится. Пришлите обычное фото.",
    "error.unsupported_message": (
        "Я работаю только с фотографиями. Пришлите селфи как фото (или файлом-изображением)."
    ),
    "error.model_refused": "🚫 Модель отказалась обрабатывать это фото (фильтры безопасности).",
    "error.model_moderation": "🚫 Модерация провайдера изображений отклонила это фото.",
    "error.model_unavailable": "⚠️ Модель сейчас перегружена. Попробуйте чуть позже.",
    "error.model_timeout": "⌛ Модель слишком долго не отвечала.",
    "error.model_bad_response": "⚠️ Модель вернула результат, который не получилось использовать.",
    "error.model_bad_request": "⚠️ Модель не смогла обработать это фото.",
    "error.model_auth": "⚠️ Сервис временно недоступен. Мы уже знаем о проблеме.",
    "error.model_out_of_credits": "⚠️ Сервис временно недоступен. Мы уже знаем о проблеме.",
    "error.model_gone": "⚠️ Сервис временно недоступен. Мы уже знаем о проблеме.",
    "error.model_error": "⚠️ Ошибка модели.",
    "error.storage_error": "⚠️ Хранилище временно недоступно. Попробуйте через минуту.",
    "error.photo_unavailable": "⚠️ Не удалось получить фото из Telegram. Отправьте его ещё раз через минуту.",
    "error.blob_not_found": "⚠️ Изображение потерялось по дороге. Пришлите его ещё раз.",
    "error.delivery_failed": "⚠️ Не получилось отправить вам аватар.",
    "error.recovery_gave_up": "⚠️ Аватар так и не удалось создать после нескольких попыток.",
    "error.internal": "⚠️ У нас что-то пошло не так. Попробуйте ещё раз.",
    "error.not_found": "Этот аватар больше недоступен.",
    "error.unknown_command": "Я не знаю такой команды. Список команд — в /help.",
    # /credits
    "credits.summary": (
        "💰 <b>Баланс: {credits} {credits:кредит|кредита|кредитов}</b>\n"
        "Аватар стоит {cost} · создано аватаров: {avatars}\n"
        "Последний аватар: {last}"
    ),
    "credits.never": "пока нет",
    "credits.history": "\n\n<b>Последние операции</b>\n{lines}",
    "ledger.grant": "🎁 +{amount} — приветственный бонус",
    "ledger.charge": "🦸 −{amount} — аватар",
    "ledger.refund": "↩️ +{amount} — возврат",
    "ledger.purchase": "💳 +{amount} — покупка",
    "ledger.purchase_refund": "↩️ −{amount} — возврат платежа",
    "ledger.admin": "🛠 {signed} — корректировка",
    "ledger.referral": "🤝 +{amount} — бонус за приглашение",
    # /gallery
    "gallery.empty": "🖼 Ваша галерея пуста. Пришлите селфи, чтобы создать первого супергероя!",
    "gallery.caption": "{position} / {total} · {style} · {date}",
    "gallery.confirm": "🗑 Удалить этот аватар? Отменить это будет нельзя.",
    "gallery.deleted": "🗑 Удалено.",
    "gallery.deleted_empty": "🗑 Удалено. Галерея теперь пуста — пришлите селфи, чтобы создать новый аватар!",
    "gallery.reply_to_avatar": (
        "Ответьте командой /delete на один из своих аватаров или просто отправьте /delete, "
        "чтобы удалить последний."
    ),
    "button.prev": "◀",
    "button.next": "▶",
    "button.delete": "🗑",
    "button.confirm_delete": "Да, удалить",
    "button.cancel": "Отмена",
    "callback.stale": "Эта кнопка больше не действует.",
    "callback.rate_limited": "🐢 Слишком много нажатий. Попробуйте через минуту.",
    # Группы, супергруппы и каналы (только личные чаты)
    "private.only": (
        "👋 Я делаю аватары супергероев только в личных чатах — так ваши фото и кредиты "
        "остаются вашими. Откройте чат со мной:"
    ),
    "private.open": "Открыть личный чат",
    "private.press": "Откройте личный чат со мной, чтобы этим пользоваться.",
    # /style
    "style.choose": "🎨 Выберите стиль для следующих аватаров (сейчас: <b>{current}</b>):",
    "style.chosen": "🎨 Стиль: <b>{style}</b>. Присылайте селфи!",
    "style.superhero": "Супергерой",
    "style.cinematic": "Киновселенная",
    "style.noir": "Мрачный нуар",
    "style.anime": "Аниме-герой",
    "style.retro": "Ретро-комикс",
    "style.cyberpunk": "Киберпанк",
    "style.fantasy": "Рыцарь фэнтези",
    "date.format": "{day} {month} {year}",
    "months": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    # /buy and Telegram Stars payments
    "buy.choose": (
        "💳 <b>Покупка кредитов за Telegram Stars</b>\n"
        "Баланс: {credits} {credits:кредит|кредита|кредитов} · аватар стоит {cost}.\n"
        "Выберите пакет:"
    ),
    "buy.pack_button": "{credits} {credits:кредит|кредита|кредитов} · {stars} ⭐",
    "invoice.title": "{credits} {credits:кредит|кредита|кредитов} AIVenger",
    "invoice.description": (
        "{credits} {credits:кредит|кредита|кредитов}: хватит на {avatars} "
        "{avatars:аватар|аватара|аватаров}. Кредиты не сгорают, за неудачные аватары — возврат."
    ),
    "invoice.label": "{credits} {credits:кредит|кредита|кредитов}",
    "payment.done": (
        "✅ Оплата получена: <b>+{credits} {credits:кредит|кредита|кредитов}</b>.\n"
        "Баланс: <b>{balance}</b>. Присылайте селфи!"
    ),
    "payment.pending": (
        "⭐ Звёзды получены: кредиты уже в пути. Я напишу, как только они появятся на балансе."
    ),
    "payment.problem": (
        "⚠️ Оплата пришла, но я не смог сопоставить её с пакетом. "
        "Напишите в /paysupport — мы разберёмся или вернём деньги."
    ),
    "payment.refused.invalid": "Этот счёт недействителен. Откройте /buy и попробуйте ещё раз.",
    "payment.refused.not_yours": "Этот счёт выставлен другому аккаунту. Откройте /buy, чтобы получить свой.",
    "payment.refused.unknown_pack": "Этот пакет больше не продаётся. Актуальные пакеты — в /buy.",
    "payment.refused.price_changed": "Цена пакета изменилась. Откройте /buy, чтобы получить новый счёт.",
    "payment.refunded": (
        "↩️ Ваш платёж на {stars} ⭐ возвращён. Списано "
        "{taken} {taken:кредит|кредита|кредитов}; баланс: {credits}."
    ),
    "paysupport": (
        "💬 <b>Помощь с оплатой</b>\n"
        "Что-то не так с покупкой? Отправьте <code>/paysupport</code> и опишите, что случилось, "
        "например: <i>/paysupport оплатил 100 ⭐, а кредиты не пришли</i>. "
        "Мы ответим здесь, обычно в течение дня.\n"
        "Платёж за неиспользованные кредиты можно вернуть на ваш баланс Stars. "
        "Подробности — в /terms."
    ),
    "paysupport.sent": "✅ Спасибо! Сообщение передано в поддержку. Мы ответим здесь.",
    "paysupport.request": "💬 <b>Помощь с оплатой</b>: {name} (id <code>{user_id}</code>):\n{text}",
    "terms": (
        "📄 <b>Условия использования</b>\n"
        "1. Кредиты покупаются за Telegram Stars и используются только для создания аватаров "
        "в этом боте. Они не имеют денежной стоимости и не передаются другим.\n"
        "2. Аватар стоит {cost} {cost:кредит|кредита|кредитов}. Кредиты за неудавшийся аватар "
        "возвращаются автоматически.\n"
        "3. Кредиты зачисляются сразу после оплаты. Если они не пришли или покупка была "
        "случайной, напишите в /paysupport: платёж за неиспользованные кредиты можно вернуть "
        "в Stars.\n"
        "4. Присылайте только свои фото или фото людей, которые на это согласились, и ничего, "
        "что нарушает правила Telegram.\n"
        "5. Фото обрабатывает сторонняя ИИ-модель через OpenRouter. Ваши фото и аватары хранятся, "
        "пока вы не удалите их командой /delete.\n"
        "6. Оплачивая, вы принимаете эти условия и Условия использования Telegram для покупок "
        "в ботах."
    ),
    # referrals
    "invite.text": (
        "🤝 <b>Приглашайте друзей — получайте кредиты</b>\n"
        "Когда друг придёт по вашей ссылке и создаст свой первый аватар, вы получите "
        "<b>{bonus} {bonus:кредит|кредита|кредитов}</b>.\n\n"
        "Ваша ссылка: {link}\n\n"
        "Приглашено друзей: {invited} · получено бонусных кредитов: {earned}"
    ),
    "invite.share_button": "📨 Поделиться ссылкой",
    "invite.share_text": "Преврати своё селфи в аватар супергероя!",
    "referral.rewarded": (
        "🎉 {name} создал(а) первый аватар по вашему приглашению: "
        "<b>+{bonus} {bonus:кредит|кредита|кредитов}</b>!\n"
        "Баланс: {credits}."
    ),
    # /language
    "language.choose": "🌐 Выберите язык (сейчас: <b>{current}</b>):",
    "language.chosen": "🌐 Язык переключён на <b>русский</b>.",
    # admin tools
    "admin.grant_usage": "Формат: <code>/grant &lt;id пользователя&gt; &lt;кредиты&gt; [причина]</code>",
    "admin.granted": (
        "✅ Начислено {amount} {amount:кредит|кредита|кредитов}: {name} (id <code>{user_id}</code>). "
        "Баланс: {credits}."
    ),
    "admin.grant_repeated": "Это начисление уже выполнено, ничего не изменилось. Баланс: {credits}.",
    "admin.user_granted": (
        "🎁 Вам начислено <b>{amount} {amount:кредит|кредита|кредитов}</b>! Баланс: {credits}."
    ),
    "admin.no_user": "Пользователя с id <code>{user_id}</code> нет.",
    "admin.refund_usage": "Формат: <code>/refund &lt;telegram_payment_charge_id&gt;</code>",
    "admin.no_payment": "Платежа с charge id <code>{charge_id}</code> нет.",
    "admin.refund_done": (
        "↩️ Возвращено {stars} ⭐ пользователю <code>{user_id}</code> (платёж <code>{charge_id}</code>).\n"
        "Списано {taken} из {credits} кредитов пакета; баланс теперь {balance}."
    ),
    "admin.refund_repeated": "Платёж <code>{charge_id}</code> уже возвращён, ничего не изменилось.",
    "admin.refund_failed": "Telegram отклонил возврат ({error}), ничего не изменилось.",
    "admin.refund_preview": (
        "↩️ <b>Предпросмотр возврата</b> · платёж <code>{charge_id}</code>\n"
        "Пользователь <code>{user_id}</code> получит обратно {stars} ⭐.\n"
        "Будет списано кредитов: {taken} из {credits} в пакете.\n"
        "{shortfall_line}"
        "Ничего не произойдёт, пока вы не подтвердите."
    ),
    "admin.refund_shortfall": (
        "⚠️ Недостача: {shortfall} {shortfall:кредит уже потрачен|кредита уже потрачено|"
        "кредитов уже потрачено}, их не вернуть.\n"
    ),
    "admin.refund_cancelled": "Возврат <code>{charge_id}</code> отменён, ничего не изменилось.",
    "admin.refund_done_shortfall": "Недостача записана: {shortfall} уже потрачено.",
    "admin.stats_usage": "Формат: <code>/stats</code> (без аргументов)",
    "button.refund_confirm": "Подтвердить возврат",
    "button.refund_cancel": "Отмена",
    "admin.stats": (
        "📊 <b>Статистика</b>\n"
        "Пользователи: {users} (новых сегодня: {new_users})\n"
        "Создано аватаров: {avatars}\n"
        "Сбои: {failures}\n"
        "Возвраты: неудачных аватаров — {generation_refunds} · платежей — {payment_refunds} "
        "({stars_refunded} ⭐)\n"
        "Покупки: {purchases} · заработано Stars: {stars_earned} ⭐\n"
        "Расходы на модель: ${model_spend:.4f}\n"
        "Модели: {models}"
    ),
    "admin.none": "нет",
    "admin.user_usage": "Формат: <code>/user &lt;id пользователя&gt;</code>",
    "admin.user": (
        "👤 <b>{name}</b> {username}(id <code>{user_id}</code>)\n"
        "С нами с {joined} · язык: {language} · стиль: {style}\n"
        "Баланс: <b>{credits}</b>\n\n"
        "<b>Последние операции</b>\n{ledger}\n\n"
        "<b>Последние генерации</b>\n{generations}"
    ),
    "admin.generation_line": "<code>{gen_id}</code> · {status} · {style} · {date}{error}",
    "admin.alert_out_of_credits": (
        "🚨 <b>На OpenRouter закончились кредиты</b> (HTTP 402): аватары не создаются, "
        "кредиты пользователям возвращаются.\n"
        "Пополните баланс: https://openrouter.ai/settings/credits. "
        "Следующее оповещение — только после того, как генерация снова пройдёт успешно."
    ),
    "admin.alert_model_gone": (
        "🚨 <b>Модель изображений недоступна</b> (OpenRouter: {detail}): ни одна модель "
        "цепочки не ответила, аватары не создаются, кредиты пользователям возвращаются.\n"
        "Укажите в OPENROUTER_MODEL / OPENROUTER_FALLBACK_MODELS действующие модели "
        "(https://openrouter.ai/models?output_modalities=image) и перезапустите бота. "
        "Следующее оповещение — только после того, как генерация снова пройдёт успешно."
    ),
    # Ответ-правка, альбомы, очередь (product.md §12)
    "edit.not_an_avatar": (
        "↩️ Чтобы изменить аватар, ответьте на него, что поменять, например <i>сделай плащ "
        "красным</i>. Чтобы создать новый, пришлите селфи."
    ),
    "edit.empty": "✏️ Ответьте на аватар, что поменять, например <i>добавь ночной дождь</i>.",
    "gallery.edited_from": "✏️ правка аватара {position} / {total}",
    "gallery.edited_from_deleted": "✏️ правка удалённого аватара",
    "photo.in_line": "⏳ Вы {place} в очереди… начну, как только освободится место.",
    "album.question": (
        "📸 {count} {count:фото|фото|фото}. Один аватар по всем (больше сходства, "
        "{cost} {cost:кредит|кредита|кредитов}) или {count} {count:отдельный аватар|"
        "отдельных аватара|отдельных аватаров} ({total} {total:кредит|кредита|кредитов})?"
    ),
    "button.album_one": "✨ Один аватар по всем {count}",
    "button.album_separate": "🖼 {count} {count:отдельный|отдельных|отдельных}",
    "album.chosen_one": (
        "✨ Один аватар по {count} {count:фото|фото|фото} уже в работе. "
        "Осталось {credits} {credits:кредит|кредита|кредитов}."
    ),
    "album.chosen_separate": (
        "🖼 В работе {queued} {queued:аватар|аватара|аватаров}. "
        "Осталось {credits} {credits:кредит|кредита|кредитов}."
    ),
    "album.too_many": (
        "📸 В альбоме больше {limit} фото. Пришлите до {limit} вместе для одного аватара "
        "или по одному. Ничего не списано."
    ),
    # sharing (product.md §12): inline mode, stickers, broadcasts
    "button.share": "↗️ Поделиться",
    "button.sticker": "🎭 Стикер",
    "inline.caption": "🦸 {style} · сделано в @{bot}",
    "inline.no_avatars": "Создать первый аватар",
    "inline.no_match": "Нет подходящих аватаров · открыть бота",
    "sticker.pack_title": "Супергерои: {name}",
    "sticker.made": "🎭 Стикер добавлен в ваш набор: {link}",
    "sticker.made_paid": "🎭 Стикер добавлен в ваш набор: {link}\n{cost} {cost:кредит|кредита|кредитов} · осталось {credits}",
    "sticker.again": "🎭 Этот аватар уже стикер в вашем наборе: {link}",
    "error.sticker_in_progress": "🎭 Этот стикер уже в работе.",
    "sticker.insufficient_credits": "😔 Не хватает кредитов: стикер стоит {cost}, у вас {credits}.",
    "error.sticker_pack_full": (
        "Ваш набор стикеров заполнен. Удалите несколько стикеров в @Stickers и попробуйте снова. "
        "Кредиты не списаны."
    ),
    "error.sticker_flood": "Telegram просит подождать {seconds} с до следующего стикера. Кредиты не списаны.",
    "error.sticker_refused": "Telegram не создал стикер; попробуйте позже. Кредиты не списаны.",
    "broadcast.usage": "Ответьте командой /broadcast на сообщение, которое получат все пользователи.",
    "broadcast.preview": "👆 Это сообщение получат <b>{audience}</b> {audience:пользователь|пользователя|пользователей}. Отправить?",
    "broadcast.confirm": "📣 Отправить",
    "broadcast.drop": "Отмена",
    "broadcast.dropped": "Рассылка не отправлена.",
    "error.broadcast_running": "📣 Рассылка уже идёт. /broadcast_cancel остановит её.",
    "broadcast.started": "📣 Рассылка для {total} {total:пользователя|пользователей|пользователей}…",
    "broadcast.progress": (
        "📣 Рассылка: {done} / {total}\nотправлено {sent} · заблокировали бота {blocked} · ошибок {failed}"
    ),
    "broadcast.finished": (
        "📣 Рассылка завершена: отправлено {sent}, заблокировали бота {blocked}, ошибок {failed} "
        "(из {total})."
    ),
    "broadcast.cancelled": (
        "📣 Рассылка остановлена: отправлено {sent}, заблокировали бота {blocked}, ошибок {failed}; "
        "не отправлено {left}."
    ),
    "broadcast.none": "Сейчас рассылки нет.",
    "admin.stats_shares": "Репостов сегодня (inline): {shares}",
    "error.broadcast_already_sent": "📣 Это сообщение уже разослано.",
}
