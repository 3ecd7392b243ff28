"""``serve --debug-port``: one function's worker started under debugpy, waiting for the IDE to attach.

As ``sam local start-api -d PORT`` does: the function's environment starts with a debug server on the
port and runs nothing of the function until a debugger attaches, so that breakpoints at import hit
too. Here the environment is a warm worker, so the debugger stays attached across requests.

One port serves one process, so the debugged function gets one worker (``concurrency`` 1), which is
never retired for being idle or to make room (``worker_pool.Pool.debugged``). A paused handler must
not be cut short, so its function's timeout becomes SAM CLI's debugging timeout (ten hours) and the
integrations that call it wait as long (rather than answering 504 after 29 s): ``cli_debug``. debugpy is an
optional dependency (``pip install 'apig-emu[debug]'``), and must be importable by the Python that
runs the function (``interpreters``), which ``debugpy_problem`` checks by running it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

#: What SAM CLI gives a function being debugged (``MAX_DEBUG_TIMEOUT``): ten hours.
DEBUG_TIMEOUT_S = 36_000
#: Where the debug server listens: this machine only, as a debugger can run any code in the process.
DEBUG_HOST = "127.0.0.1"


@dataclass(frozen=True)
class DebugTarget:
    """The function whose worker waits for a debugger, and where."""

    function: str
    port: int
    host: str = DEBUG_HOST


def debugpy_problem(python: str) -> str | None:
    """Why ``python`` cannot run debugpy, or ``None`` when it can."""
    try:
        ran = subprocess.run(
            [python, "-c", "import debugpy"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{python} does not run: {exc}"
    if ran.returncode == 0:
        return None
    last = next((line for line in reversed(ran.stderr.splitlines()) if line.strip()), "")
    return f"{python} cannot import debugpy ({last.strip() or f'exit status {ran.returncode}'})"
