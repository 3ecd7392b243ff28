"""``serve``'s start-up check under process isolation: every handler imported in a throwaway process.

So that a warning about a handler that will not load costs no user code in the server: a module that
crashes or hangs at import ends only the check, and is reported as such. The child's side is the
worker script's ``--check`` mode (``worker.check``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
from collections.abc import Iterable

from emulator.model import Function
from emulator.runtime.handler_problems import HandlerProblem
from emulator.runtime.interpreters import executable
from emulator.runtime.outcomes import exit_reason
from emulator.runtime.wire import portable_pickle
from emulator.runtime.worker_process import WORKER_SCRIPT


def check_handlers(functions: Iterable[Function], *, timeout: float = 60.0) -> dict[str, HandlerProblem]:
    """Import each handler in a throwaway process: the problems, by function name.

    For ``serve``'s start-up warning without running user code in the server: a module that
    crashes or hangs at import costs only the check, and is reported as such.
    """
    problems: dict[str, HandlerProblem] = {}
    # One process per code root: two roots may each hold a module of the same name (SAM's app.py);
    # and per interpreter, as a function's workers would run on the Python its runtime names.
    groups: dict[tuple[object, ...], list[Function]] = {}
    for function in functions:
        groups.setdefault((executable(function), function.code_dir, function.layer_paths), []).append(
            function
        )
    for (python, *_), group in groups.items():
        problems.update(_check_group(str(python), group, timeout))
    return problems


def _check_group(python: str, functions: list[Function], timeout: float) -> dict[str, HandlerProblem]:
    remaining = list(functions)
    problems: dict[str, HandlerProblem] = {}
    while remaining:
        result_read, result_write = os.pipe()
        process = subprocess.Popen(
            [python, WORKER_SCRIPT, "--check", str(result_write)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(result_write,),
            start_new_session=True,
        )
        os.close(result_write)
        watchdog = threading.Timer(timeout, process.kill)
        watchdog.start()
        try:
            assert process.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                process.stdin.write(portable_pickle(remaining))
                process.stdin.close()
            with os.fdopen(result_read, "r") as results:
                for line in results:
                    report = json.loads(line)
                    remaining.pop(0)
                    if report["problem"]:
                        problems[report["function"]] = HandlerProblem.from_json(report["problem"])
            returncode = process.wait()
        finally:
            watchdog.cancel()
            if process.poll() is None:  # interrupted (Ctrl-C while serve starts): no waiting for it
                process.kill()
                process.wait()
        if remaining:
            # The process died importing the first function it had not reported.
            crashed = remaining.pop(0)
            what = (
                f"did not finish within {timeout:g} s"
                if returncode == -signal.SIGKILL
                else f"ended the process ({exit_reason(returncode)})"
            )
            problems[crashed.name] = HandlerProblem(f"importing its handler {what}")
    return problems
