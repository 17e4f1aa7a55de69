"""The playground in a real Chromium, clicked through as a newcomer would: /start, a selfie, the
avatar, another one, the gallery (next page, delete), /buy, paying with the play wallet, and a
second user in Russian beside the first. Screenshots of each step land in screenshots/."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from playground.sample_photo import sample_selfie
from tests.browser.chat_pane import ChatPane
from tests.browser.conftest import RunningPlayground, page_errors

ADA, BORIS = 1001, 1002


def test_a_newcomer_gets_avatars_browses_deletes_and_pays_in_the_browser(
    running_playground: RunningPlayground, browser: Any, screenshots: Path, tmp_path: Path
) -> None:
    selfie = tmp_path / "selfie.jpg"
    selfie.write_bytes(sample_selfie())
    browser.get(running_playground.url)
    ada = ChatPane(browser, ADA)
    ada.until(lambda: ada.root.is_displayed() or None, "the chat pane did not appear")
    assert "offline preview" in browser.find_element(By.ID, "model").text

    ada.type("/start")
    ada.wait_bot_message("Welcome to AIVenger, Ada!")
    assert "30 free credits" in ada.wait_bot_message("Welcome").text
    browser.save_screenshot(str(screenshots / "1-start.png"))

    ada.attach_photo(selfie, caption="red cape")
    ada.until(
        lambda: (
            ada.wait_bot_message("20 credits left")
            .find_element(By.CSS_SELECTOR, "img.photo")
            .get_attribute("naturalWidth")
            not in ("0", None)
            or None
        ),
        "the avatar's picture did not load",
    )
    ada.wait_gone("Creating your superhero")  # the status message was deleted, live
    browser.save_screenshot(str(screenshots / "2-avatar.png"))

    ada.press(ada.wait_bot_message("20 credits left"), "Again")
    ada.wait_bot_message("10 credits left")

    ada.type("/gallery")
    page = ada.wait_bot_message("1 / 2")
    ada.press(page, "▶")
    page = ada.wait_bot_message("2 / 2")  # the same message, edited in place
    browser.save_screenshot(str(screenshots / "3-gallery-page-2.png"))
    ada.press(page, "🗑")
    page = ada.wait_bot_message("Delete this avatar?")
    ada.press(page, "Yes, delete")
    ada.until(lambda: "Deleted" in ada.toast() or None, "no 'Deleted' toast")
    ada.wait_bot_message("1 / 1")
    ada.wait_gone("2 / 2")
    browser.save_screenshot(str(screenshots / "4-deleted.png"))

    ada.type("/buy")
    packs = ada.wait_bot_message("Pick a pack")
    ada.press(packs, "50 credits")
    invoice = ada.wait_bot_message("50 AIVenger credits")
    ada.press(invoice, "Pay ⭐ 50")
    dialog = browser.find_element(By.ID, "pay-dialog")
    ada.until(lambda: dialog.is_displayed() or None, "the payment dialog did not open")
    assert "Play wallet: ⭐ 2500" in dialog.text
    browser.save_screenshot(str(screenshots / "5-pay-dialog.png"))
    dialog.find_element(By.CSS_SELECTOR, "button.pay").click()
    ada.wait_bot_message("Payment received: +50 credits")
    assert "Balance: 60" in ada.wait_bot_message("Payment received").text
    ada.until(lambda: ada.header(".stars") == "⭐ 2450" or None, "the wallet did not go down")
    assert "You paid ⭐ 50" in ada.root.find_element(By.CSS_SELECTOR, ".service-pill").text
    assert "✓ Paid" in ada.wait_bot_message("50 AIVenger credits").text
    browser.save_screenshot(str(screenshots / "6-paid.png"))

    browser.find_element(By.ID, "second").click()
    boris = ChatPane(browser, BORIS)
    boris.until(lambda: boris.root.is_displayed() or None, "the second pane did not open")
    boris.type("/start")
    boris.wait_bot_message("Добро пожаловать в AIVenger, Boris!")
    assert not ada.bot_messages("Boris")  # two users, two chats
    browser.save_screenshot(str(screenshots / "7-two-users.png"))

    assert page_errors(browser) == []
    process = running_playground.process
    process.send_signal(signal.SIGINT)  # Ctrl-C
    assert process.wait(60) == 0
    log = "".join(running_playground.output)
    assert "Traceback" not in log
    assert not any(running_playground.scratch_parent.iterdir())  # the scratch dir is gone


DRAG_IN = """
const [selector, done] = arguments;
fetch("/play/api/sample.jpg").then((r) => r.blob()).then((blob) => {
  const data = new DataTransfer();
  data.items.add(new File([blob], "dropped-selfie.jpg", { type: "image/jpeg" }));
  window.__dropped = data;
  const pane = document.querySelector(selector);
  pane.dispatchEvent(new DragEvent("dragenter", { bubbles: true, cancelable: true, dataTransfer: data }));
  done();
});
"""
DROP_ON = """
const [selector, kind] = arguments;
const zone = document.querySelector(`${selector} .drop .zone[data-kind="${kind}"]`);
zone.dispatchEvent(new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: window.__dropped }));
"""


def test_language_switch_command_menu_and_drag_and_drop_a_file(
    running_playground: RunningPlayground, browser: Any, screenshots: Path
) -> None:
    browser.get(running_playground.url)
    ada = ChatPane(browser, ADA)
    ada.until(lambda: ada.root.is_displayed() or None, "the chat pane did not appear")

    ada.root.find_element(By.CSS_SELECTOR, '.lang button[data-lang="ru"]').click()
    box = ada.root.find_element(By.CSS_SELECTOR, ".composer textarea")
    ada.until(lambda: box.get_attribute("placeholder") == "Сообщение" or None, "still English")
    ada.root.find_element(By.CSS_SELECTOR, ".menu-btn").click()
    menu = ada.root.find_element(By.CSS_SELECTOR, ".menu.commands")
    ada.until(lambda: "Ваши аватары" in menu.text or None, "the menu is not in Russian")
    browser.save_screenshot(str(screenshots / "1-russian-menu.png"))
    next(b for b in menu.find_elements(By.TAG_NAME, "button") if "/start" in b.text).click()
    ada.wait_bot_message("Добро пожаловать в AIVenger, Ada!")

    ada.root.find_element(By.CSS_SELECTOR, '.lang button[data-lang="en"]').click()
    ada.wait_bot_message("Language set to English")  # the switch also told the bot (/language)

    browser.execute_async_script(DRAG_IN, ada.selector)
    drop = ada.root.find_element(By.CSS_SELECTOR, ".drop")
    ada.until(lambda: drop.is_displayed() or None, "no drop zones while dragging")
    assert "Send as a file" in drop.text and "Send as a photo" in drop.text
    browser.save_screenshot(str(screenshots / "2-dragging.png"))
    browser.execute_script(DROP_ON, ada.selector, "file")
    dialog = browser.find_element(By.ID, "send-dialog")
    ada.until(lambda: dialog.is_displayed() or None, "the send dialog did not open")
    assert "Send a file" in dialog.text and "dropped-selfie.jpg" in dialog.text
    dialog.find_element(By.CSS_SELECTOR, "button.primary").click()

    def sent_names() -> list[str] | None:
        # The name itself, not just the row: Selenium reads "" from a row still laid out.
        names = [e.text for e in ada.root.find_elements(By.CSS_SELECTOR, ".row.out .file-name")]
        return names if any(names) else None

    sent = ada.until(sent_names, "the dropped file is not in the chat")
    assert sent[0] == "dropped-selfie.jpg"
    avatar = ada.wait_bot_message("20 credits left")  # an image sent as a file works too
    browser.save_screenshot(str(screenshots / "3-file-avatar.png"))

    bubble = avatar.find_element(By.CSS_SELECTOR, ".bubble")
    ActionChains(browser).move_to_element(bubble).perform()  # the reply arrow shows on hover
    bubble.find_element(By.CSS_SELECTOR, ".reply-btn").click()
    bar = ada.root.find_element(By.CSS_SELECTOR, ".reply-bar")
    ada.until(lambda: bar.is_displayed() or None, "no reply bar")
    assert "AIVenger" in bar.text
    ada.type("/delete")
    ada.wait_bot_message("Delete this avatar?")
    assert not bar.is_displayed()
    browser.save_screenshot(str(screenshots / "4-reply-delete.png"))
    assert page_errors(browser) == []
