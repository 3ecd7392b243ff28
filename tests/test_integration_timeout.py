"""``within``: the integration timeout's timer (``emulator.integrations.base``).

The awaited calls either answer at once or never, so no outcome depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio

import pytest

from emulator.integrations.base import within


async def _now(value: str) -> str:
    return value


async def _never(started: asyncio.Event | None = None) -> str:
    if started is not None:
        started.set()
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def test_an_answer_in_time_is_returned() -> None:
    assert asyncio.run(within(60.0, _now("answer"))) == "answer"


def test_no_answer_in_time_is_a_timeout_and_the_task_is_not_left_cancelling() -> None:
    async def scenario() -> int:
        with pytest.raises(asyncio.TimeoutError):
            await within(0.02, _never())
        task = asyncio.current_task()
        assert task is not None
        # The task carries on (answering 504), as after ``asyncio.timeout``.
        await asyncio.sleep(0)
        return task.cancelling() if hasattr(task, "cancelling") else 0

    assert asyncio.run(scenario()) == 0


def test_a_cancellation_from_elsewhere_is_not_taken_for_a_timeout() -> None:
    async def scenario() -> None:
        started = asyncio.Event()
        waiting = asyncio.ensure_future(within(60.0, _never(started)))
        await started.wait()  # inside ``within``, its timer armed
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(scenario())
