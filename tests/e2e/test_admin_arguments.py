"""Admin arguments are ASCII digits in range (or one charge id); anything else gets the usage
line, never an exception and never a change (the strict parsers are in bot/admin_args.py)."""

from __future__ import annotations

from pathlib import Path

from tests.db_fixtures import sqlite_url
from tests.e2e.harness import bot_world, text_of

ADMIN = 900

BAD = {
    "/grant": ["1 ²", "1 ١٢", "1 １２", "1 -5", "1 1e3", "1 0", "1 " + "9" * 5000, "² 10", "1", ""],
    "/user": ["²", "١", "-1", "1e3", "9" * 5000, "", "1 2"],
    "/refund": ["", "a b", "stx<b>1</b>", "ѕtx1", "x" * 300],
    "/stats": ["now"],
}
USAGE = {"/grant": "Usage: /grant", "/user": "Usage: /user", "/refund": "Usage: /refund"}


async def test_every_malformed_admin_argument_gets_the_usage_line_and_changes_nothing(
    tmp_path: Path,
) -> None:
    settings = {"admin_user_ids": [ADMIN], "rate_limit_per_minute": 1000}
    async with bot_world(await sqlite_url(tmp_path), tmp_path, **settings) as world:
        user = await world.started_user(1)
        admin = await world.started_user(ADMIN)
        for command, variants in BAD.items():
            for args in variants:
                await admin.send_text(f"{command} {args}".strip())
                usage = USAGE.get(command, f"Usage: {command}")
                answer = await admin.wait_for(lambda m, u=usage: u in text_of(m))
                assert "<b>" not in text_of(answer)  # the argument is never echoed as HTML

        assert await world.balance(1) == 30 == await world.ledger_sum(1)
        assert await world.balance(ADMIN) == 30 == await world.ledger_sum(ADMIN)
        assert world.emu.refunds == []
        assert not [m for m in user.messages if "received" in text_of(m)]
