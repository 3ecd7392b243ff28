"""A gate a handler waits at until the test opens it: an ordering the test controls, across processes.

A handler given ``{"gate": gate.port}`` connects to the gate on 127.0.0.1, says it has arrived (with
its pid) and waits (``tests/lambdas/gated.py``). The test's ``arrival()`` returns once a handler is
running; until the test calls ``open()``, that handler cannot have finished. So a test says "while
this request is in flight" or "both run at once" with events, not with sleeps and stopwatches, which
a loaded machine turns into failures. ``WAIT`` bounds each wait only so that a bug fails rather than
hangs; it never decides an outcome.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

#: The longest a test waits for a handler to arrive (a cold start on a busy machine included).
WAIT = 60.0


@dataclass
class Arrival:
    """One handler waiting at the gate."""

    pid: int
    connection: socket.socket

    def open(self) -> None:
        """Let this handler go on; one that has died meanwhile (killed by a timeout) is no matter."""
        with contextlib.suppress(OSError):
            self.connection.sendall(b"o")
        self.connection.close()


class Gate:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._listener.settimeout(WAIT)
        self.port: int = self._listener.getsockname()[1]
        self._waiting: list[Arrival] = []

    def arrival(self) -> Arrival:
        """The next handler to arrive, once it has; it waits until ``open()``."""
        try:
            connection, _ = self._listener.accept()
        except TimeoutError:
            raise AssertionError(f"no handler arrived at the gate within {WAIT:g} s") from None
        connection.settimeout(WAIT)
        line = b""
        while not line.endswith(b"\n"):
            chunk = connection.recv(64)
            if not chunk:
                raise AssertionError(f"a handler connected to the gate but did not say who it is: {line!r}")
            line += chunk
        arrival = Arrival(int(line), connection)
        self._waiting.append(arrival)
        return arrival

    def open(self) -> None:
        """Let every handler that has arrived go on."""
        for arrival in self._waiting:
            arrival.open()
        self._waiting.clear()

    def close(self) -> None:
        """Let every handler go on, those that arrived unnoticed too (a test that only needed a timeout),
        then stop listening; one still on its way finds no one and goes on."""
        self._listener.setblocking(False)
        while True:
            try:
                connection, _ = self._listener.accept()
            except BlockingIOError:
                break
            connection.settimeout(WAIT)
            with contextlib.suppress(OSError):
                connection.recv(64)  # its line, so that closing does not reset the connection under it
            Arrival(0, connection).open()
        self.open()
        self._listener.close()

    def __enter__(self) -> Gate:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def wait_until(condition: Callable[[], object], what: str, *, within: float = WAIT) -> None:
    """Until ``condition()`` holds; ``within`` only bounds the wait, it decides nothing."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)
