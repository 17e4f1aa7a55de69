"""What a person does with one chat pane of the playground page: type, attach, press, read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

T = TypeVar("T")
WAIT = 30.0  # generous: the offline model takes ~1 s, CI machines are shared


class ChatPane:
    def __init__(self, driver: Any, user_id: int) -> None:
        self.driver = driver
        self.selector = f'.pane[data-user="{user_id}"]'

    @property
    def root(self) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, self.selector)

    def until(self, probe: Callable[[], T | None], what: str, timeout: float = WAIT) -> T:
        """Polls `probe` (re-reading the page each time) until it returns something."""
        wait = WebDriverWait(
            self.driver,
            timeout,
            poll_frequency=0.1,
            ignored_exceptions=[StaleElementReferenceException, NoSuchElementException],
        )
        try:
            return wait.until(lambda _: probe())
        except TimeoutException:
            raise AssertionError(f"{what}; the chat shows:\n{self.transcript()}") from None

    def transcript(self) -> str:
        try:
            rows = self.root.find_elements(By.CSS_SELECTOR, ".messages .row")
            return "\n".join(f"  [{r.get_attribute('class')}] {r.text!r}" for r in rows)
        except (StaleElementReferenceException, NoSuchElementException):
            return "  (not readable)"

    def type(self, text: str) -> None:
        box = self.root.find_element(By.CSS_SELECTOR, ".composer textarea")
        box.click()
        box.send_keys(text, Keys.ENTER)

    def bot_messages(self, containing: str) -> list[WebElement]:
        return [
            row
            for row in self.root.find_elements(By.CSS_SELECTOR, ".messages .row.in")
            if containing in row.find_element(By.CSS_SELECTOR, ".bubble").text
        ]

    def wait_bot_message(self, containing: str, count: int = 1) -> WebElement:
        """The newest of at least `count` bot messages that contain `containing`."""

        def probe() -> WebElement | None:
            found = self.bot_messages(containing)
            return found[-1] if len(found) >= count else None

        return self.until(probe, f"no bot message with {containing!r} (x{count})")

    def wait_gone(self, containing: str) -> None:
        self.until(lambda: not self.bot_messages(containing) or None, f"{containing!r} still shown")

    def press(self, message: WebElement, label: str) -> None:
        for button in message.find_elements(By.CSS_SELECTOR, ".keyboard .kbtn"):
            if button.text.strip() == label or label in button.text:
                button.click()
                return
        raise AssertionError(f"no button {label!r} under {message.text!r}")

    def attach_photo(self, path: Path, caption: str = "") -> None:
        """📎 → Photo picks a file; the browser's file chooser is the file input itself."""
        self.root.find_element(By.CSS_SELECTOR, ".photo-input").send_keys(str(path))
        dialog = self.driver.find_element(By.ID, "send-dialog")
        self.until(lambda: dialog.is_displayed() or None, "the send dialog did not open")
        if caption:
            dialog.find_element(By.CSS_SELECTOR, ".caption").send_keys(caption)
        dialog.find_element(By.CSS_SELECTOR, "button.primary").click()

    def toast(self) -> str:
        toast = self.root.find_element(By.CSS_SELECTOR, ".toast")
        return str(toast.text) if toast.is_displayed() else ""

    def header(self, selector: str) -> str:
        return str(self.root.find_element(By.CSS_SELECTOR, selector).text)
