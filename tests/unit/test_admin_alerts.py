"""Operator alerts: one Telegram message per incident and kind (402, a gone model chain)."""

from __future__ import annotations

from typing import Any

from bot.alerts import AdminAlerts
from core.clock import utcnow
from core.events import JobSummary


class RecordingBot:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send_message(self, chat_id: int, text: str, **_: Any) -> None:
        self.sent.append((chat_id, text))


def failed(gen_id: str, message: str) -> JobSummary:
    return JobSummary(generation_id=gen_id, user_id=1, created_at=utcnow(), error_message=message)


async def test_each_operator_problem_alerts_once_per_incident_and_success_ends_them() -> None:
    bot = RecordingBot()
    alerts = AdminAlerts(bot, [900, 901])  # type: ignore[arg-type]
    gone = "OpenRouter HTTP 404: No endpoints found for google/<old>-image."

    alerts.failed(failed("a", gone), "model_gone", refunded=True)
    alerts.failed(failed("b", gone), "model_gone", refunded=True)
    alerts.failed(
        failed("c", "OpenRouter HTTP 402: Insufficient credits"), "model_out_of_credits", True
    )
    alerts.failed(failed("d", "busy"), "model_unavailable", refunded=True)
    await alerts.drain()
    first_incident = list(bot.sent)
    alerts.completed(failed("e", ""))
    alerts.failed(failed("f", gone), "model_gone", refunded=True)
    await alerts.drain()

    gone_alerts = [text for _, text in first_incident if "image model is gone" in text]
    credit_alerts = [text for _, text in first_incident if "out of credits" in text]
    assert len(gone_alerts) == 2 and len(credit_alerts) == 2  # one each, to each of two admins
    assert "No endpoints found for google/&lt;old&gt;-image." in gone_alerts[0]
    assert len(bot.sent) == len(first_incident) + 2  # a new incident after a success


async def test_without_admins_nothing_is_sent() -> None:
    bot = RecordingBot()
    alerts = AdminAlerts(bot, [])  # type: ignore[arg-type]
    alerts.failed(failed("a", "gone"), "model_gone", refunded=True)
    await alerts.drain()
    assert bot.sent == []
