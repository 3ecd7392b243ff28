"""Where handlers run: ``process`` (each function in worker processes of its own, ``serve``'s
default) or ``thread`` (in this process, so breakpoints and mocks work; the test fixture's default).
"""

from __future__ import annotations

from emulator.runtime.invoker import Invoker

ISOLATIONS = ("process", "thread")


def create_invoker(isolation: str = "process") -> Invoker:
    if isolation == "process":
        from emulator.runtime.process import ProcessInvoker

        return ProcessInvoker()
    if isolation == "thread":
        from emulator.runtime.threads import ThreadInvoker

        return ThreadInvoker()
    raise ValueError(f"unknown isolation {isolation!r}; choose one of: {', '.join(ISOLATIONS)}")
