"""The one clock the gateway reads where time decides an answer: throttling, quotas, caches, token expiry.

Tests must be able to say "a second later" or "the next day" without waiting, and a token bucket must
never see time run backwards when the wall clock is corrected. So the gateway never calls ``time``
for these decisions; it asks its ``Clock``. ``SystemClock`` is epoch time derived from the monotonic
clock (steady, yet comparable with a token's ``exp``); ``ManualClock`` moves only when a test moves it.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch (UTC); never decreases between two calls."""
        ...


class SystemClock:
    """Real time: anchored to the wall clock once, then advanced by the monotonic clock."""

    def __init__(self) -> None:
        self._wall = time.time()
        self._steady = time.monotonic()

    def now(self) -> float:
        return self._wall + (time.monotonic() - self._steady)


class ManualClock:
    """Time that stands still until a test moves it: ``advance(1.5)``, ``set(datetime(...))``.

    It starts at the real time unless told otherwise, so that dates in events and tokens look current.
    Handler threads and the test's thread read it at once, hence the lock.
    """

    def __init__(self, start: float | datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._now = time.time() if start is None else _epoch(start)

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward; the new time. Backwards is refused: no real clock the gateway reads goes there."""
        if seconds < 0:
            raise ValueError(f"a clock only moves forward; advance({seconds}) would move it back")
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, when: float | datetime) -> None:
        """Jump to ``when`` (epoch seconds, or an aware ``datetime``), not before the current time."""
        target = _epoch(when)
        with self._lock:
            if target < self._now:
                raise ValueError(
                    f"a clock only moves forward; {_iso(target)} is before its current time {_iso(self._now)}"
                )
            self._now = target


def _epoch(when: float | datetime) -> float:
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError(f"{when.isoformat()} has no time zone; say which, e.g. tzinfo=timezone.utc")
        return when.timestamp()
    return float(when)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat()
