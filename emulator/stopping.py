"""How ``apig-emu`` ends when asked to stop: never with a traceback, and with a status that says why.

Ctrl-C is an interruption by the user: once ``serve`` has shut down (requests in flight answered,
workers reaped), the process ends as killed by SIGINT, as Python itself ends after an uncaught
``KeyboardInterrupt`` but without printing it. A shell then shows status 130, and a script that ran
the command stops too: bash carries on after a child that merely exits with 130, taking the
interrupt as handled. SIGTERM is how service managers, CI scripts and ``docker stop`` ask a server
to stop, and a stop done as asked is a success: status 0, so ``kill $pid; wait $pid`` under
``set -e`` does not fail.

Kept free of the web stack, so that ``validate`` and the other quick commands use it without
importing uvicorn.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from typing import NoReturn

#: The signals that stop ``serve`` gracefully (uvicorn's own set, which Windows extends with SIGBREAK).
STOP_SIGNALS: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)
if sys.platform == "win32":
    STOP_SIGNALS += (signal.SIGBREAK,)


def exit_interrupted() -> NoReturn:
    """End the process as killed by SIGINT, once whatever had to be shut down is.

    Python's own shutdown is skipped (its ``atexit`` step would wait for threads a handler left
    running), so the log and the standard streams are flushed here.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken stream has nothing to lose
            stream.flush()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.raise_signal(signal.SIGINT)
    os._exit(128 + signal.SIGINT)  # where SIGINT does not end a process (Windows): the shell's number
