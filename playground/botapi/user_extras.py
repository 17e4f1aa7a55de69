"""More of what a Telegram user can send, mixed into `FakeUser`: forwards, polls, dice,
stories, Web App data and any raw message content (for shapes no helper covers)."""

from __future__ import annotations

import secrets
import time

from .errors import JsonDict
from .state import ChatState, EmulatorState


class UserExtras:
    """Needs the attributes that `FakeUser` provides."""

    _st: EmulatorState
    _chat: ChatState
    id: int
    user: JsonDict

    def _post(self, content: JsonDict, line: str, reply_to: JsonDict | None = None) -> JsonDict:
        raise NotImplementedError  # FakeUser's

    async def send_content(self, content: JsonDict, line: str = "user message") -> JsonDict:
        """Any message fields (`{"game": ...}`, `{"caption": ..., "media_group_id": ...}`)."""
        return self._post(dict(content), line)

    async def send_forwarded(self, text: str, *, from_chat: JsonDict | None = None) -> JsonDict:
        """A message forwarded from a user (default) or from a channel (`from_chat`)."""
        origin: JsonDict
        if from_chat is None:
            sender = {"id": self.id + 1, "is_bot": False, "first_name": "Somebody"}
            origin = {"type": "user", "date": int(time.time()) - 60, "sender_user": sender}
        else:
            origin = {"type": "channel", "date": int(time.time()) - 60, "chat": from_chat}
            origin["message_id"] = 1
        return self._post({"text": text, "forward_origin": origin}, f"user forwards: {text}")

    async def send_poll(self, question: str = "Which cape?") -> JsonDict:
        options = [  # persistent_id: required since Bot API 9.6
            {"text": text, "voter_count": 0, "persistent_id": str(n)}
            for n, text in enumerate(("red", "blue"))
        ]
        poll = {
            "id": str(secrets.randbits(63)),
            "question": question,
            "options": options,
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": True,  # required since Bot API 9.6
            "members_only": False,  # required since Bot API 10.0
        }
        return self._post({"poll": poll}, f"user poll: {question}")

    async def send_dice(self, emoji: str = "🎲", value: int = 4) -> JsonDict:
        return self._post({"dice": {"emoji": emoji, "value": value}}, f"user dice {emoji}")

    async def send_story(self) -> JsonDict:
        """A forwarded story: Telegram gives bots only the chat and the story id."""
        story = {"chat": {"id": self.id + 1, "type": "private"}, "id": 7}
        return self._post({"story": story}, "user story")

    async def send_web_app_data(self, data: str, button_text: str = "Open") -> JsonDict:
        """What a Web App opened from a reply keyboard sends back (service message)."""
        payload = {"data": data, "button_text": button_text}
        return self._post({"web_app_data": payload}, f"user web_app_data: {data}")
