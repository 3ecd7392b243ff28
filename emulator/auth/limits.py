"""Throttles and quotas as API Gateway counts them: a token bucket per limit, a count per quota period.

Both read time from the gateway's ``Clock`` and keep nothing else, so a test moves the clock and
sees a bucket refill or a new day's quota without waiting. Neither knows about keys or stages:
``usage.py`` decides which bucket and which count a request draws on.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from emulator.model import Quota, Throttle

DAY = "DAY"
WEEK = "WEEK"
MONTH = "MONTH"
QUOTA_PERIODS = (DAY, WEEK, MONTH)
_SLACK_SECONDS = 1e-6
_DAY = 24 * 3600.0


class TokenBucket:
    """AWS's throttle: ``burst`` tokens at most, ``rate`` more per second, one per request.

    It starts full, so a client may send ``burst`` requests at once; a burst of 0 refuses everything,
    as AWS does with a zero burst limit.
    """

    def __init__(self, throttle: Throttle, now: float) -> None:
        self.rate = throttle.rate
        self.capacity = float(throttle.burst)
        self._tokens = self.capacity
        self._at = now
        self._lock = threading.Lock()

    def take(self, now: float) -> bool:
        """One token if there is one; ``False`` (throttled) if not."""
        with self._lock:
            # A clock that went back (never ours) refills nothing rather than draining the bucket.
            elapsed = max(0.0, now - self._at)
            self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
            self._at = max(self._at, now)
            # Epoch seconds as a float are exact to about a quarter of a microsecond: a refill due at
            # exactly this moment must not be missed by that rounding.
            if self._tokens + self.rate * _SLACK_SECONDS >= 1.0:
                self._tokens -= 1.0
                return True
            return False


def period_start(period: str, now: float) -> float:
    """The start of the quota period holding ``now``, in UTC: midnight, Sunday midnight, the 1st.

    Weeks start on Sunday: AWS's QuotaSettings documented an offset of 0 as "starts on Sunday".
    """
    moment = datetime.fromtimestamp(now, tz=timezone.utc)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == DAY:
        start = midnight
    elif period == WEEK:
        # Python's weekday(): Monday 0 .. Sunday 6; days since the last Sunday.
        start = midnight - timedelta(days=(moment.weekday() + 1) % 7)
    elif period == MONTH:
        start = midnight.replace(day=1)
    else:
        raise ValueError(f"unknown quota period {period!r}; expected one of {', '.join(QUOTA_PERIODS)}")
    return start.timestamp()


def period_end(period: str, now: float) -> float:
    """The start of the period after the one holding ``now`` (UTC has no daylight saving: days are equal)."""
    start = period_start(period, now)
    if period == DAY:
        return start + _DAY
    if period == WEEK:
        return start + 7 * _DAY
    moment = datetime.fromtimestamp(start, tz=timezone.utc)
    following = (
        moment.replace(year=moment.year + 1, month=1)
        if moment.month == 12
        else moment.replace(month=moment.month + 1)
    )
    return following.timestamp()


class QuotaCounter:
    """Requests counted against ``limit`` per period; the first period starts ``offset`` requests in.

    AWS documents ``offset`` as "the number of requests subtracted from the given limit in the initial
    time period": locally the initial period is the one the gateway started counting in.
    """

    def __init__(self, quota: Quota, now: float) -> None:
        self.limit = quota.limit
        self.period = quota.period
        self._end = period_end(quota.period, now)
        self._used = quota.offset
        self._lock = threading.Lock()

    def take(self, now: float) -> bool:
        """Count one request if the period has room; ``False`` (limit exceeded) if not."""
        with self._lock:
            # Dates are worked out only when a period ends, not on every request.
            if now >= self._end:
                self._end, self._used = period_end(self.period, now), 0
            if self._used >= self.limit:
                return False
            self._used += 1
            return True
