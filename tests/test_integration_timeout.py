"""``within``: the integration timeout's timer (``emulator.integrations.base``)."""

from __future__ import annotations

import asyncio

import pytest

from emulator.integrations.base import within


async def _later(value: str, delay: float) -> str:
    await asyncio.sleep(delay)
    return value


def test_an_answer_in_time_is_returned() -> None:
    assert asyncio.run(within(1.0, _later("answer", 0.01))) == "answer"


def test_no_answer_in_time_is_a_timeout_and_the_task_is_not_left_cancelling() -> None:
    async def scenario() -> int:
        with pytest.raises(asyncio.TimeoutError):
            await within(0.02, _later("late", 5))
        task = asyncio.current_task()
        assert task is not None
        # The task carries on (answering 504), as after ``asyncio.timeout``.
        await asyncio.sleep(0)
        return task.cancelling() if hasattr(task, "cancelling") else 0

    assert asyncio.run(scenario()) == 0


def test_a_cancellation_from_elsewhere_is_not_taken_for_a_timeout() -> None:
    async def scenario() -> None:
        waiting = asyncio.ensure_future(within(5.0, _later("never", 5)))
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(scenario())
