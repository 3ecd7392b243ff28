"""The one channel from the gateway to everything that watches it: the log, the recorder, the inspector.

Each answered request is published once, as an ``Exchange`` carrying its invocation. A listener that
raises is logged and skipped: watching a request must never change its answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from emulator.exchanges import Exchange

log = logging.getLogger("apig_emu.gateway")

Listener = Callable[[Exchange], None]


class Bus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def publish(self, exchange: Exchange) -> None:
        for listener in self._listeners:
            try:
                listener(exchange)
            except Exception:
                log.exception(
                    "a listener of the gateway (%r) failed; the request was answered all the same", listener
                )
