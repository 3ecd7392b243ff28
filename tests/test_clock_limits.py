"""The clock tests control, and the token bucket and quota counter that read it (no sleeps anywhere)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from emulator.auth.limits import QuotaCounter, TokenBucket, period_end, period_start
from emulator.clock import ManualClock, SystemClock
from emulator.model import Quota, Throttle

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc).timestamp()


def test_a_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(T0)
    assert clock.now() == clock.now() == T0
    assert clock.advance(2.5) == T0 + 2.5
    clock.set(datetime(2026, 3, 5, tzinfo=timezone.utc))
    assert clock.now() == datetime(2026, 3, 5, tzinfo=timezone.utc).timestamp()


def test_a_manual_clock_refuses_to_go_back_or_to_guess_a_time_zone() -> None:
    clock = ManualClock(T0)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="is before its current time"):
        clock.set(T0 - 1)
    with pytest.raises(ValueError, match="has no time zone"):
        clock.set(datetime(2027, 1, 1))


def test_the_system_clock_is_epoch_time_and_never_goes_back() -> None:
    clock = SystemClock()
    readings = [clock.now() for _ in range(1000)]
    assert readings == sorted(readings)
    assert abs(readings[0] - datetime.now(timezone.utc).timestamp()) < 60


def test_a_bucket_starts_full_and_refills_at_its_rate_up_to_its_burst() -> None:
    bucket = TokenBucket(Throttle(rate=2, burst=3), T0)
    assert [bucket.take(T0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(T0 + 0.4) is False  # 0.8 of a token
    assert bucket.take(T0 + 0.5) is True  # 1.0
    assert bucket.take(T0 + 100) is True
    assert [bucket.take(T0 + 100) for _ in range(3)] == [True, True, False]


def test_a_bucket_with_a_burst_of_zero_refuses_everything() -> None:
    bucket = TokenBucket(Throttle(rate=100, burst=0), T0)
    assert [bucket.take(T0 + seconds) for seconds in (0, 1, 10)] == [False, False, False]


def test_a_bucket_whose_time_goes_back_refills_nothing() -> None:
    bucket = TokenBucket(Throttle(rate=1, burst=1), T0)
    assert bucket.take(T0 + 10) is True
    assert bucket.take(T0 + 5) is False
    assert bucket.take(T0 + 10.5) is False
    assert bucket.take(T0 + 11) is True


@pytest.mark.parametrize(
    ("period", "moment", "start"),
    [
        ("DAY", datetime(2026, 3, 4, 23, 59, 59), datetime(2026, 3, 4)),
        # 2026-03-04 is a Wednesday: its week began on Sunday the 1st.
        ("WEEK", datetime(2026, 3, 4, 12), datetime(2026, 3, 1)),
        ("WEEK", datetime(2026, 3, 1, 0, 0, 1), datetime(2026, 3, 1)),
        ("WEEK", datetime(2026, 2, 28, 23, 59), datetime(2026, 2, 22)),
        ("MONTH", datetime(2026, 12, 31, 23, 59), datetime(2026, 12, 1)),
    ],
)
def test_quota_periods_start_at_midnight_utc_sunday_and_the_first(
    period: str, moment: datetime, start: datetime
) -> None:
    utc = timezone.utc
    assert (
        period_start(period, moment.replace(tzinfo=utc).timestamp()) == start.replace(tzinfo=utc).timestamp()
    )


def test_a_quota_counts_per_period_with_its_offset_in_the_first() -> None:
    counter = QuotaCounter(Quota(limit=2, period="DAY", offset=1), T0)
    assert [counter.take(T0) for _ in range(2)] == [True, False]
    tomorrow = T0 + 24 * 3600
    assert [counter.take(tomorrow) for _ in range(3)] == [True, True, False]


def test_a_quota_of_zero_refuses_everything() -> None:
    counter = QuotaCounter(Quota(limit=0, period="MONTH"), T0)
    assert counter.take(T0) is False


@pytest.mark.parametrize(
    ("period", "moment", "end"),
    [
        ("DAY", datetime(2026, 2, 28, 12), datetime(2026, 3, 1)),
        ("WEEK", datetime(2026, 3, 7, 23, 59), datetime(2026, 3, 8)),
        ("MONTH", datetime(2026, 12, 15), datetime(2027, 1, 1)),
        ("MONTH", datetime(2028, 2, 29, 23), datetime(2028, 3, 1)),
    ],
)
def test_a_quota_period_ends_where_the_next_begins(period: str, moment: datetime, end: datetime) -> None:
    utc = timezone.utc
    assert period_end(period, moment.replace(tzinfo=utc).timestamp()) == end.replace(tzinfo=utc).timestamp()
