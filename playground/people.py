"""Who chats with the bot in the playground: two made-up Telegram users and their play wallets.

The second user speaks Russian by default, so the two panes side by side show both catalogs.
The wallet holds play Stars: paying an invoice spends them, a refund by the bot gives them back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from playground.botapi import BotApiEmulator, FakeUser

STARTING_STARS = 2500
LANGUAGES = ("en", "ru")


@dataclass(frozen=True)
class Persona:
    user_id: int
    first_name: str
    last_name: str
    username: str
    language_code: str


PERSONAS = (
    Persona(1001, "Ada", "Lovelace", "ada_play", "en"),
    Persona(1002, "Boris", "Petrov", "boris_play", "ru"),
)


@dataclass
class Wallet:
    """Play Stars: what was paid (by Telegram charge id) minus what the bot refunded."""

    starting: int = STARTING_STARS
    paid: dict[str, int] = field(default_factory=dict)

    def balance(self, refunded: set[str]) -> int:
        spent = sum(amount for charge, amount in self.paid.items() if charge not in refunded)
        return self.starting - spent


class People:
    """The personas as emulator users, with their wallets and chosen languages."""

    def __init__(self, emu: BotApiEmulator, personas: tuple[Persona, ...] = PERSONAS) -> None:
        self._emu = emu
        self.personas = {p.user_id: p for p in personas}
        self.wallets = {p.user_id: Wallet() for p in personas}
        for persona in personas:
            emu.user(
                persona.user_id,
                persona.first_name,
                last_name=persona.last_name,
                username=persona.username,
                language_code=persona.language_code,
            )

    @property
    def ids(self) -> list[int]:
        return list(self.personas)

    def user(self, user_id: object) -> FakeUser:
        """The persona's emulator user; KeyError for anyone else (the page cannot invent users)."""
        if not isinstance(user_id, int) or user_id not in self.personas:
            raise KeyError(f"no playground user {user_id!r}")
        return self._emu.user(user_id)

    def set_language(self, user_id: int, language: str) -> None:
        """What the user's Telegram app reports as its language from now on."""
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        self.user(user_id).user["language_code"] = language

    def stars(self, user_id: int) -> int:
        refunded = {str(r.get("telegram_payment_charge_id")) for r in self._emu.refunds}
        return self.wallets[user_id].balance(refunded)

    def describe(self) -> list[dict[str, object]]:
        return [
            {
                "id": p.user_id,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "username": p.username,
                "language": self.user(p.user_id).user.get("language_code", "en"),
                "stars": self.stars(p.user_id),
            }
            for p in self.personas.values()
        ]
