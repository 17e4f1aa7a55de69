"""Dates and ledger lines as the user reads them, in their language."""

from __future__ import annotations

from datetime import datetime

from bot.texts import t
from core.ledger import LedgerLine


def format_date(moment: datetime, lang: str) -> str:
    months = t("months", lang).split()
    return t("date.format", lang, day=moment.day, month=months[moment.month - 1], year=moment.year)


def ledger_line(line: LedgerLine, lang: str) -> str:
    signed = f"+{line.delta}" if line.delta >= 0 else f"−{-line.delta}"
    return t(f"ledger.{line.kind}", lang, amount=abs(line.delta), signed=signed)
