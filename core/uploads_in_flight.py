"""Photos of one user being downloaded and normalised in this process right now.

They are not jobs yet (nothing is charged until intake is done), yet each will become one:
counting them with the user's active jobs and against their credits before the next
download starts is what keeps ten photos at once (an album) from downloading and decoding
ten images for a user who can pay for three. In-process on purpose: it bounds this
process's work; the charge itself re-checks both rules atomically in the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class UploadsInFlight:
    def __init__(self) -> None:
        self._counts: dict[int, int] = {}

    def count(self, user_id: int) -> int:
        return self._counts.get(user_id, 0)

    @contextmanager
    def hold(self, user_id: int) -> Iterator[None]:
        """One more upload of this user until the block ends, however it ends."""
        self._counts[user_id] = self.count(user_id) + 1
        try:
            yield
        finally:
            left = self.count(user_id) - 1
            if left > 0:
                self._counts[user_id] = left
            else:
                self._counts.pop(user_id, None)
