"""A worker's operating-system process: spawned clean, signalled with all it started, reaped without blocking.

Workers are spawned rather than forked from the server, so they start without the server's threads,
sockets or modules, and with the Python the function's runtime names where one is found
(``interpreters``; otherwise the one running apig-emu); each leads a process group of its own, so that a
kill reaches whatever its handler started too. Its stdout and stderr are one pipe, whose read end the
worker handle reads as output arrives, so that everything written (print, logging, C code, child
processes) comes in the order it was written, a crashed handler's last words included, and is kept
only up to the cap. What the process is for (requests, replies, answers) is the worker handle's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess

from emulator.model import Function
from emulator.runtime.interpreters import executable
from emulator.runtime.lambda_context import lambda_environment, log_stream_name

#: The worker's entry point, a script rather than ``-m``: see its docstring.
WORKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap.py")

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class WorkerProcess:
    """One spawned worker: ``request_fd``, ``reply_fd`` and ``output_fd`` are the parent's ends of its
    pipes (the last one non-blocking, for reading what is there without waiting for more)."""

    def __init__(self, function: Function, *, debug: tuple[str, int] | None = None) -> None:
        """``debug``: the address where the worker waits for a debugger before it reads a request."""
        request_read, self.request_fd = os.pipe()
        self.reply_fd, reply_write = os.pipe()
        self.output_fd, output_write = os.pipe()
        os.set_blocking(self.output_fd, False)
        env = {**os.environ, **lambda_environment(function, log_stream_name())}
        try:
            self.popen = subprocess.Popen(
                [
                    executable(function),
                    # Frozen standard modules hide their source from a debugger's breakpoints.
                    *(["-X", "frozen_modules=off"] if debug is not None else []),
                    "-u",
                    WORKER_SCRIPT,
                    str(request_read),
                    str(reply_write),
                    *(["--debug", f"{debug[0]}:{debug[1]}"] if debug is not None else []),
                ],
                stdin=subprocess.DEVNULL,
                stdout=output_write,
                stderr=output_write,
                pass_fds=(request_read, reply_write),
                env=env,
                start_new_session=True,
            )
        except BaseException:
            for fd in (self.request_fd, self.reply_fd, self.output_fd):
                os.close(fd)
            raise
        finally:
            os.close(request_read)
            os.close(reply_write)
            os.close(output_write)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def resident_mb(self) -> int | None:
        """Its resident memory now, where Linux tells (``None``: unknown, or already gone)."""
        try:
            with open(f"/proc/{self.popen.pid}/statm", "rb") as statm:
                return int(statm.read().split()[1]) * _PAGE_SIZE // (1024 * 1024)
        except (OSError, ValueError, IndexError):
            return None

    def signal(self, signum: int) -> None:
        # Only while the worker is not yet reaped: its pid, and so its process group, cannot be reused.
        if self.popen.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signum)

    def _has_exited(self) -> bool:
        """Whether the worker has exited, without reaping it, so its process group can still be signalled."""
        if self.popen.returncode is not None:
            return True
        try:
            info = os.waitid(os.P_PID, self.popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return info is not None

    async def reap(self, *, grace: float) -> int:
        """Wait for the worker to exit (killing it after ``grace``), then its leftovers, then reap it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        delay = 0.001
        while not self._has_exited():
            if loop.time() >= deadline:
                self.signal(signal.SIGKILL)
                deadline = float("inf")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
        self.signal(signal.SIGKILL)
        return self.popen.wait()

    def kill_now(self) -> None:
        """Kill and reap it at once, without an event loop: the last step of a shutdown."""
        self.signal(signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            self.popen.wait()
        self.close_output()

    def read_output(self, size: int) -> bytes | None:
        """Up to ``size`` bytes the worker (or a process it started) wrote and nobody read yet.

        Empty once every writer has closed the pipe; ``None`` when nothing is there now.
        """
        if self.output_fd < 0:
            return b""
        try:
            return os.read(self.output_fd, size)
        except BlockingIOError:
            return None

    def close_output(self) -> None:
        if self.output_fd >= 0:
            os.close(self.output_fd)
            self.output_fd = -1
