// The playground page: one chat pane per fake user, fed live by /play/events.
"use strict";

const $ = (root, sel) => root.querySelector(sel);
const panes = new Map(); // user id -> Pane
let bot = { name: "AIVenger", username: "" };

async function api(path, body) {
  const init = body instanceof FormData
    ? { method: "POST", body }
    : body ? { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) } : {};
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
  return data;
}

class Pane {
  constructor(user) {
    this.user = user;
    this.node = document.getElementById("pane-template").content.firstElementChild.cloneNode(true);
    this.node.dataset.user = user.id;
    this.list = $(this.node, ".messages");
    this.chat = $(this.node, ".chat");
    this.status = $(this.node, ".status");
    this.textarea = $(this.node, "textarea");
    $(this.node, ".name").textContent = bot.name;
    $(this.node, ".as").textContent = `as ${user.first_name}`;
    this.actionTimer = null;
    this.hooks = {
      names: (from) => (from && from.is_bot ? bot.name : this.user.first_name),
      command: (text) => this.sendText(text),
      button: (message, button, node) => this.pressed(message, button, node),
      paid: (messageId) => this.paid.has(messageId),
      reply: (message) => this.replyTo(message),
    };
    this.replying = null;
    this.paid = new Set(); // invoices paid from this page (Telegram shows a receipt instead)
    this.wire();
    this.showLanguage(user.language);
    this.showStars(user.stars);
    this.loadCommands();
  }

  wire() {
    const form = $(this.node, ".composer");
    form.addEventListener("submit", (ev) => { ev.preventDefault(); this.sendText(this.textarea.value); });
    this.textarea.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); this.sendText(this.textarea.value); }
    });
    this.textarea.addEventListener("input", () => {
      this.textarea.style.height = "auto";
      this.textarea.style.height = `${Math.min(this.textarea.scrollHeight, 140)}px`;
    });
    const commands = $(this.node, ".menu.commands");
    const attach = $(this.node, ".menu.attach");
    $(this.node, ".menu-btn").addEventListener("click", () => { attach.hidden = true; commands.hidden = !commands.hidden; });
    $(this.node, ".attach-btn").addEventListener("click", () => { commands.hidden = true; attach.hidden = !attach.hidden; });
    const photoInput = $(this.node, ".photo-input");
    const fileInput = $(this.node, ".file-input");
    attach.addEventListener("click", async (ev) => {
      const choice = ev.target.closest("button")?.dataset.attach;
      attach.hidden = true;
      if (choice === "photo") photoInput.click();
      if (choice === "file") fileInput.click();
      if (choice === "sample") {
        const blob = await (await fetch("/play/api/sample.jpg")).blob();
        this.confirmFile([new File([blob], "selfie.jpg", { type: "image/jpeg" })], "photo");
      }
    });
    for (const [input, kind] of [[photoInput, "photo"], [fileInput, "file"]]) {
      input.addEventListener("change", () => {
        if (input.files.length) this.confirmFile(input.files, kind);
        input.value = "";
      });
    }
    for (const button of this.node.querySelectorAll(".lang button")) {
      button.addEventListener("click", () => this.switchLanguage(button.dataset.lang));
    }
    $(this.node, ".reply-cancel").addEventListener("click", () => this.replyTo(null));
    this.textarea.addEventListener("keydown", (ev) => { if (ev.key === "Escape") this.replyTo(null); });
    this.wireDrop();
  }

  wireDrop() {
    const drop = $(this.node, ".drop");
    let depth = 0;
    this.node.addEventListener("dragenter", (ev) => { ev.preventDefault(); depth++; drop.hidden = false; });
    this.node.addEventListener("dragleave", () => { if (--depth <= 0) { depth = 0; drop.hidden = true; } });
    this.node.addEventListener("dragover", (ev) => ev.preventDefault());
    this.node.addEventListener("drop", (ev) => {
      ev.preventDefault();
      depth = 0;
      drop.hidden = true;
      const kind = ev.target.closest(".zone")?.dataset.kind || "photo";
      if (ev.dataTransfer.files.length) this.confirmFile(ev.dataTransfer.files, kind);
    });
  }

  async loadCommands() {
    const menu = $(this.node, ".menu.commands");
    const list = await api(`/play/api/commands?user=${this.user.id}`).catch(() => []);
    menu.replaceChildren();
    for (const command of list) {
      const item = Render.el("button", "command-item");
      item.type = "button";
      item.append(Render.el("b", "", `/${command.command}`), Render.el("span", "", command.description));
      item.addEventListener("click", () => { menu.hidden = true; this.sendText(`/${command.command}`); });
      menu.appendChild(item);
    }
  }

  async sendText(text) {
    text = text.trim();
    if (!text) return;
    this.textarea.value = "";
    this.textarea.style.height = "auto";
    const body = { user: this.user.id, text };
    if (this.replying) body.reply_to = this.replying.message_id;
    this.replyTo(null);
    try { await api("/play/api/send", body); } catch (err) { this.toast(err.message); }
  }

  // Telegram's "Reply": the next text quotes this message (e.g. /delete on an avatar).
  replyTo(message) {
    this.replying = message;
    const bar = $(this.node, ".reply-bar");
    bar.hidden = !message;
    if (!message) return;
    $(bar, ".reply-name").textContent = this.hooks.names(message.from);
    $(bar, ".reply-text").textContent = Render.gist(message);
    this.textarea.focus();
  }

  // Telegram's send dialog: previews, a caption, then one photo, an album (2-10) or a file.
  confirmFile(files, kind) {
    files = [...files].slice(0, kind === "photo" ? 10 : 1);
    const dialog = document.getElementById("send-dialog");
    const previews = $(dialog, ".previews");
    const urls = files.filter((f) => f.type.startsWith("image/")).map((f) => URL.createObjectURL(f));
    previews.replaceChildren(...urls.map((url) => Object.assign(Render.el("img", "preview"), { src: url })));
    previews.classList.toggle("grid", urls.length > 1);
    const many = files.length > 1;
    $(dialog, ".title").textContent = kind === "photo" ? (many ? `Send ${files.length} photos` : "Send a photo") : "Send a file";
    $(dialog, ".file-line").textContent = files.map((f) => `${f.name} · ${Math.max(1, Math.round(f.size / 1024))} KB`).join(", ");
    const caption = $(dialog, ".caption");
    caption.value = "";
    dialog.onclose = async () => {
      urls.forEach((url) => URL.revokeObjectURL(url));
      if (dialog.returnValue !== "send") return;
      const form = new FormData();
      form.append("user", this.user.id);
      form.append("kind", kind);
      form.append("caption", caption.value);
      for (const file of files) form.append("file", file, file.name);
      try { await api("/play/api/send", form); } catch (err) { this.toast(err.message); }
    };
    dialog.returnValue = "";
    dialog.showModal();
    caption.focus();
  }

  async pressed(message, button, node) {
    if (button.pay) return this.pay(message);
    if (button.url) return window.open(button.url, "_blank", "noopener");
    if (button.callback_data === undefined) return this.toast("This kind of button does nothing in the playground yet.");
    node.classList.add("busy");
    try {
      const { answer } = await api("/play/api/press", { user: this.user.id, message_id: message.message_id, data: button.callback_data });
      if (answer && answer.text) (answer.show_alert ? showAlert : (t) => this.toast(t))(answer.text);
    } catch (err) {
      this.toast(err.message);
    } finally {
      node.classList.remove("busy");
    }
  }

  pay(message) {
    const dialog = document.getElementById("pay-dialog");
    const inv = message.invoice;
    $(dialog, ".invoice-title").textContent = inv.title;
    $(dialog, ".invoice-desc").textContent = inv.description;
    $(dialog, ".amount").textContent = `⭐ ${inv.total_amount}`;
    $(dialog, ".wallet").textContent = `Play wallet: ⭐ ${this.user.stars}`;
    $(dialog, ".pay").textContent = `Pay ⭐ ${inv.total_amount}`;
    const error = $(dialog, ".error");
    error.hidden = true;
    dialog.onclose = async () => {
      if (dialog.returnValue !== "pay") return;
      try {
        const result = await api("/play/api/pay", { user: this.user.id, message_id: message.message_id });
        if (result.stars !== undefined) this.showStars(result.stars);
        if (!result.ok) return showAlert(result.error || "The payment failed.");
        this.paid.add(message.message_id);
        this.upsert(message);
      } catch (err) { showAlert(err.message); }
    };
    dialog.returnValue = "";
    dialog.showModal();
  }

  async switchLanguage(lang) {
    if (lang === this.user.language) return;
    try { await api("/play/api/language", { user: this.user.id, language: lang }); } catch (err) { return this.toast(err.message); }
    this.showLanguage(lang);
    this.loadCommands();
    // The app's language is only a default; a user who has talked to the bot tells it too.
    if (this.list.children.length) this.sendText(`/language ${lang}`);
  }

  showLanguage(lang) {
    this.user.language = lang;
    for (const b of this.node.querySelectorAll(".lang button")) b.classList.toggle("on", b.dataset.lang === lang);
    this.textarea.placeholder = lang === "ru" ? "Сообщение" : "Message";
  }

  showStars(stars) {
    this.user.stars = stars;
    $(this.node, ".stars").textContent = `⭐ ${stars}`;
  }

  upsert(message) {
    const nearBottom = this.chat.scrollHeight - this.chat.scrollTop - this.chat.clientHeight < 120;
    const row = Render.message(message, this.hooks);
    const old = this.list.querySelector(`.row[data-id="${message.message_id}"]`);
    if (old) {
      old.replaceWith(row);
    } else {
      const after = [...this.list.children].find((r) => Number(r.dataset.id) > message.message_id);
      this.list.insertBefore(row, after || null);
      if (!message.outgoing) this.clearAction();
    }
    this.node.classList.toggle("started", this.list.children.length > 0);
    if (nearBottom || message.outgoing) this.chat.scrollTop = this.chat.scrollHeight;
    for (const img of row.querySelectorAll("img")) img.addEventListener("load", () => { if (nearBottom) this.chat.scrollTop = this.chat.scrollHeight; });
  }

  remove(messageId) {
    const row = this.list.querySelector(`.row[data-id="${messageId}"]`);
    if (!row) return;
    row.classList.add("leaving");
    setTimeout(() => row.remove(), 250);
  }

  action(action) {
    this.status.textContent = `${Render.actionText(action)}…`;
    this.status.classList.add("acting");
    clearTimeout(this.actionTimer);
    this.actionTimer = setTimeout(() => this.clearAction(), 5000); // Telegram shows it for 5 s
  }

  clearAction() {
    clearTimeout(this.actionTimer);
    this.status.textContent = "bot";
    this.status.classList.remove("acting");
  }

  toast(text) {
    const toast = $(this.node, ".toast");
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { toast.hidden = true; }, 3000);
  }

  reset() {
    this.list.replaceChildren();
  }
}

function showAlert(text) {
  const dialog = document.getElementById("alert-dialog");
  $(dialog, ".alert-text").textContent = text;
  if (!dialog.open) dialog.showModal();
}

let walletTimer = null;
function refreshWallets() {
  clearTimeout(walletTimer);
  walletTimer = setTimeout(async () => {
    const state = await api("/play/api/state").catch(() => null);
    for (const user of (state && state.users) || []) panes.get(user.id)?.showStars(user.stars);
  }, 400);
}

function listen() {
  const conn = document.getElementById("conn");
  const source = new EventSource("/play/events");
  source.onopen = () => {
    conn.classList.remove("off");
    conn.textContent = "● live";
    for (const pane of panes.values()) pane.reset(); // the stream starts with a full snapshot
  };
  source.onerror = () => { conn.classList.add("off"); conn.textContent = "● reconnecting"; };
  source.onmessage = (ev) => {
    const event = JSON.parse(ev.data);
    const pane = panes.get(event.user);
    if (!pane) return;
    if (event.type === "message") {
      pane.upsert(event.message);
      if (!event.message.outgoing) refreshWallets(); // a refund by the bot gives Stars back
    }
    else if (event.type === "delete") pane.remove(event.message_id);
    else if (event.type === "action") pane.action(event.action);
  };
}

async function start() {
  const state = await api("/play/api/state");
  bot = state.bot;
  document.getElementById("model").textContent = `image model: ${state.model}`;
  const host = document.getElementById("panes");
  for (const user of state.users) {
    const pane = new Pane(user);
    panes.set(user.id, pane);
    host.appendChild(pane.node);
  }
  const second = document.getElementById("second");
  const showSecond = (on) => {
    second.setAttribute("aria-pressed", String(on));
    host.classList.toggle("two", on);
    localStorage.setItem("aivenger.second", on ? "1" : "");
  };
  second.addEventListener("click", () => showSecond(!host.classList.contains("two")));
  showSecond(Boolean(localStorage.getItem("aivenger.second")));
  document.addEventListener("click", (ev) => {
    if (ev.target.closest(".menu, .menu-btn, .attach-btn")) return;
    for (const menu of document.querySelectorAll(".menu")) menu.hidden = true;
  });
  listen();
  panes.values().next().value.textarea.focus();
}

start();
