"""Check a pooled PostgreSQL connection before use only when it has sat idle.

SQLAlchemy's `pool_pre_ping` checks every checkout, and on asyncpg a check is three round
trips (BEGIN, an empty statement, COMMIT): as many as a short transaction of our own. A
connection handed back moments ago is alive as surely as one just pinged, so, as HikariCP
does with its "alive bypass window", the check runs only for connections idle longer than
`IDLE_SECONDS_BEFORE_PING`. A dead one found then invalidates the whole pool (a server
restart took them all) and the checkout retries on a fresh connection, as pre-ping does.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine

IDLE_SECONDS_BEFORE_PING = 1.0
_LAST_USED = "aivenger_last_used"


def ping_when_idle(engine: AsyncEngine, *, idle_seconds: float = IDLE_SECONDS_BEFORE_PING) -> None:
    """Install the check on `engine`'s pool (create the engine without `pool_pre_ping`)."""
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "connect")
    def _connected(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last_used = record.info.get(_LAST_USED)
        if last_used is not None and time.monotonic() - last_used < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as err:
            if dialect.is_disconnect(err, dbapi_connection, None):
                raise sa_exc.InvalidatePoolError() from err
            raise
