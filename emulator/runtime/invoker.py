"""The interface between the gateway and wherever handlers run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from emulator.model import Function
from emulator.runtime.result import InvocationResult


class Invoker(Protocol):
    """Runs one invocation of a function, as Lambda's Invoke API would, and never raises for the function's faults."""

    async def invoke(self, function: Function, event: Any, *, trace_id: str) -> InvocationResult: ...

    def override(self, function_name: str, handler: Callable[[Any, Any], Any] | None) -> None:
        """Replace a function's handler (``None`` restores it), e.g. for a test that wants a 502."""

    async def aclose(self) -> None: ...
