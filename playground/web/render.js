// Drawing Telegram messages (Bot API JSON) as chat bubbles. No state here: app.js owns it.
"use strict";

const Render = (() => {
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const TAGS = {
    bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre",
    spoiler: "span", blockquote: "blockquote", expandable_blockquote: "blockquote",
  };

  // Text with Telegram entities (UTF-16 offsets, which JavaScript strings use too).
  function richText(text, entities, onCommand) {
    const frag = document.createDocumentFragment();
    if (!text) return frag;
    const list = withCommands(text, entities || []);
    const cuts = new Set([0, text.length]);
    for (const e of list) { cuts.add(e.offset); cuts.add(e.offset + e.length); }
    const points = [...cuts].filter((p) => p >= 0 && p <= text.length).sort((a, b) => a - b);
    for (let i = 0; i + 1 < points.length; i++) {
      const [from, to] = [points[i], points[i + 1]];
      const piece = text.slice(from, to);
      let node = document.createTextNode(piece);
      for (const e of list) {
        if (e.offset > from || e.offset + e.length < to) continue;
        node = wrap(node, e, piece, onCommand);
      }
      frag.appendChild(node);
    }
    return frag;
  }

  // Telegram's apps make every /command in a bot's text tappable, entity or not.
  function withCommands(text, entities) {
    const links = entities.filter((e) => ["bot_command", "url", "text_link", "code", "pre"].includes(e.type));
    const found = [];
    for (const match of text.matchAll(/(^|[\s(])(\/[a-zA-Z][a-zA-Z0-9_]{0,31})(?![\w/])/g)) {
      const offset = match.index + match[1].length;
      const length = match[2].length;
      if (!links.some((e) => offset < e.offset + e.length && e.offset < offset + length)) {
        found.push({ type: "bot_command", offset, length });
      }
    }
    return found.length ? [...entities, ...found] : entities;
  }

  function wrap(inner, entity, piece, onCommand) {
    let outer;
    if (entity.type === "text_link" || entity.type === "url") {
      outer = el("a");
      outer.href = entity.type === "url" ? piece : entity.url;
      outer.target = "_blank";
      outer.rel = "noopener";
    } else if (entity.type === "bot_command") {
      outer = el("a", "command");
      outer.href = "#";
      outer.addEventListener("click", (ev) => { ev.preventDefault(); onCommand(piece); });
    } else if (entity.type === "mention") {
      outer = el("span", "mention");
    } else {
      outer = el(TAGS[entity.type] || "span", entity.type === "spoiler" ? "spoiler" : "");
    }
    outer.appendChild(inner);
    return outer;
  }

  const clock = (unix) => new Date(unix * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });

  function meta(message) {
    const box = el("span", "meta");
    if (message.edit_date) box.appendChild(el("span", "edited", "edited"));
    box.appendChild(el("span", "time", clock(message.edit_date || message.date)));
    if (message.outgoing) box.appendChild(el("span", "checks", "✓✓"));
    return box;
  }

  const sizeText = (bytes) => (bytes > 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);

  function replyQuote(message, names) {
    const replied = message.reply_to_message;
    if (!replied) return null;
    const quote = el("div", "reply");
    quote.dataset.target = replied.message_id;
    quote.appendChild(el("div", "reply-name", names(replied.from)));
    const file = replied.document && `📄 ${replied.document.file_name || "File"}`;
    const gist = replied.text || replied.caption || (replied.photo ? "🖼 Photo" : file || "Message");
    quote.appendChild(el("div", "reply-text", gist));
    return quote;
  }

  function media(message, bubble) {
    if (message.photo_url) {
      bubble.classList.add("has-photo");
      const img = el("img", "photo");
      img.src = message.photo_url;
      img.alt = message.caption || "photo";
      const [w, h] = message.photo_size || [];
      if (w && h) img.style.aspectRatio = `${w} / ${h}`;
      img.addEventListener("click", () => window.open(message.photo_url, "_blank"));
      bubble.appendChild(img);
    } else if (message.file_kind === "sticker") {
      bubble.classList.add("sticker");
      const img = el("img", "sticker-img");
      img.src = message.file_url;
      bubble.appendChild(img);
    } else if (message.file_kind) {
      const file = message[message.file_kind];
      const row = el("a", "file");
      row.href = message.file_url;
      row.download = file.file_name || message.file_kind;
      const isImage = (file.mime_type || "").startsWith("image/");
      const icon = isImage ? el("img", "file-thumb") : el("span", "file-icon", "📄");
      if (isImage) icon.src = message.file_url;
      row.appendChild(icon);
      const info = el("span", "file-info");
      info.appendChild(el("span", "file-name", file.file_name || message.file_kind));
      info.appendChild(el("span", "file-size", sizeText(file.file_size || 0)));
      row.appendChild(info);
      bubble.appendChild(row);
    }
  }

  function invoice(message, bubble) {
    const inv = message.invoice;
    const card = el("div", "invoice");
    card.appendChild(el("div", "invoice-title", inv.title));
    card.appendChild(el("div", "invoice-desc", inv.description));
    card.appendChild(el("div", "invoice-amount", `⭐ ${inv.total_amount}`));
    bubble.appendChild(card);
  }

  function service(message, hooks) {
    const pay = message.successful_payment;
    const row = el("div", "row service");
    row.dataset.id = message.message_id;
    const text = pay ? `✅ You paid ⭐ ${pay.total_amount} to ${hooks.names({ is_bot: true })}` : "service message";
    row.appendChild(el("div", "service-pill", text));
    return row;
  }

  // One message row: bubble (reply quote, media, text/caption, time) and its inline keyboard.
  function message(message, hooks) {
    if (message.successful_payment) return service(message, hooks);
    const row = el("div", `row ${message.outgoing ? "out" : "in"}`);
    row.dataset.id = message.message_id;
    const bubble = el("div", "bubble msg");
    const quote = replyQuote(message, hooks.names);
    if (quote) bubble.appendChild(quote);
    media(message, bubble);
    if (message.invoice) invoice(message, bubble);
    const body = message.text !== undefined ? message.text : message.caption;
    const entities = message.text !== undefined ? message.entities : message.caption_entities;
    if (body) {
      const text = el("div", "text");
      text.appendChild(richText(body, entities, hooks.command));
      bubble.appendChild(text);
    }
    bubble.appendChild(meta(message));
    const reply = el("button", "reply-btn", "↩");
    reply.type = "button";
    reply.title = "Reply";
    reply.addEventListener("click", () => hooks.reply(message));
    bubble.appendChild(reply);
    bubble.addEventListener("dblclick", () => hooks.reply(message));
    row.appendChild(bubble);
    const keyboard = keyboardOf(message, hooks);
    if (keyboard) row.appendChild(keyboard);
    return row;
  }

  function keyboardOf(message, hooks) {
    const rows = (message.reply_markup && message.reply_markup.inline_keyboard) || [];
    let all = message.invoice && !rows.some((r) => r.some((b) => b.pay))
      ? [[{ text: `Pay ⭐ ${message.invoice.total_amount}`, pay: true }], ...rows]
      : rows;
    if (message.invoice && hooks.paid(message.message_id)) {
      all = all.map((r) => r.map((b) => (b.pay ? { text: "✓ Paid", paid: true } : b)));
    }
    if (!all.length) return null;
    const box = el("div", "keyboard");
    for (const buttons of all) {
      const line = el("div", "krow");
      for (const button of buttons) {
        const b = el("button", "kbtn", button.text);
        b.type = "button";
        if (button.url) b.classList.add("link");
        if (button.paid) b.disabled = true;
        b.addEventListener("click", () => hooks.button(message, button, b));
        line.appendChild(b);
      }
      box.appendChild(line);
    }
    return box;
  }

  const ACTIONS = {
    typing: "typing", upload_photo: "sending photo", upload_document: "sending file",
    upload_video: "sending video", record_video: "recording video", record_voice: "recording voice",
    upload_voice: "sending voice", choose_sticker: "choosing a sticker", find_location: "finding location",
  };
  const actionText = (action) => ACTIONS[action] || action.replace(/_/g, " ");

  const gist = (message) =>
    message.text || message.caption || (message.photo ? "🖼 Photo" : message.invoice ? "🧾 Invoice" : "Message");

  return { message, actionText, el, gist };
})();
