"""The handlers' side of the test's gate (``tests/gate.py``): arrive, then wait until the test opens it."""

from __future__ import annotations

import contextlib
import os
import socket

#: Longer than any test waits: the test opens the gate, or a timeout kills the handler, well before.
WAIT = 120.0


def wait_at_gate(port: int) -> None:
    """Tell the gate on ``port`` this process has arrived, then wait until it is opened or closed.

    A gate already gone (its test is over, and a timeout answered for this handler) lets it go on.
    """
    with (
        contextlib.suppress(ConnectionRefusedError, ConnectionResetError),
        socket.create_connection(("127.0.0.1", port), timeout=WAIT) as gate,
    ):
        gate.sendall(b"%d\n" % os.getpid())
        gate.recv(1)
