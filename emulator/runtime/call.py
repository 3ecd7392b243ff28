"""One invocation in process isolation, from the request for it until an environment answers.

Shared by the pool, where a call waits for a free environment, and the worker handle, which sends
it and answers it; the invoker awaits its future.
"""

from __future__ import annotations

import asyncio
from typing import Any

from emulator import ids
from emulator.model import Function
from emulator.runtime.result import InvocationResult


class Undelivered(Exception):
    """The worker died before it read the whole request: the invocation never began, another may take it."""


class Call:
    """One invocation, from the request for it until its environment answers (or its caller gives up)."""

    __slots__ = ("aws_request_id", "event", "function", "future", "retriable", "timer", "trace_id")

    def __init__(self, function: Function, event: Any, trace_id: str, *, retriable: bool) -> None:
        self.aws_request_id = ids.request_id()
        self.function = function
        self.event = event
        self.trace_id = trace_id
        self.future: asyncio.Future[InvocationResult] = asyncio.get_running_loop().create_future()
        #: Whether ``Undelivered`` may be raised, rather than the crash answered: once per request.
        self.retriable = retriable
        #: While it waits for an environment, its throttle; once sent, its function's timeout.
        self.timer: asyncio.TimerHandle | None = None
