"""Where handlers run: ``process`` (each function in worker processes of its own, ``serve``'s
default) or ``thread`` (in this process, so breakpoints and mocks work; the test fixture's default).
"""

from __future__ import annotations

from emulator.runtime.debugging import DebugTarget
from emulator.runtime.invoker import Invoker

ISOLATIONS = ("process", "thread")


def create_invoker(
    isolation: str = "process",
    *,
    max_workers: int | None = None,
    idle_timeout: float | None = None,
    debug: DebugTarget | None = None,
) -> Invoker:
    """``max_workers`` and ``idle_timeout`` bound worker processes (``ProcessInvoker``); threads have none.
    ``debug`` starts one function's worker under debugpy (process isolation only)."""
    if isolation == "process":
        from emulator.runtime.process import ProcessInvoker
        from emulator.runtime.worker_limits import DEFAULT_IDLE_TIMEOUT

        return ProcessInvoker(
            max_workers=max_workers,
            idle_timeout=DEFAULT_IDLE_TIMEOUT if idle_timeout is None else idle_timeout,
            debug=debug,
        )
    if debug is not None:
        raise ValueError("debugging a function's worker needs process isolation")
    if isolation == "thread":
        from emulator.runtime.threads import ThreadInvoker

        return ThreadInvoker()
    raise ValueError(f"unknown isolation {isolation!r}; choose one of: {', '.join(ISOLATIONS)}")
