"""A worker's operating-system process: spawned clean, signalled with all it started, reaped without blocking.

Workers are spawned with the current interpreter rather than forked from the server, so they start
without the server's threads, sockets or modules; each leads a process group of its own, so that a
kill reaches whatever its handler started too. Its stdout and stderr are one memory file opened for
appending: the worker empties it after each invocation, and after a crash what is left is the
handler's last words. What the process is for (requests, replies, answers) is the worker handle's.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import tempfile

from emulator.model import Function
from emulator.runtime.lambda_context import lambda_environment, log_stream_name

#: The worker's entry point, a script rather than ``-m``: see its docstring.
WORKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap.py")

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _output_file() -> int:
    """A file for the worker's stdout and stderr; appending, so both may empty it at any time."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("apig-emu-worker-output")
    else:
        with tempfile.TemporaryFile() as file:
            fd = os.dup(file.fileno())
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
    return fd


class WorkerProcess:
    """One spawned worker: ``request_fd`` and ``reply_fd`` are the parent's ends of its two pipes."""

    def __init__(self, function: Function) -> None:
        self.output_fd = _output_file()
        request_read, self.request_fd = os.pipe()
        self.reply_fd, reply_write = os.pipe()
        env = {**os.environ, **lambda_environment(function, log_stream_name())}
        try:
            self.popen = subprocess.Popen(
                [sys.executable, "-u", WORKER_SCRIPT, str(request_read), str(reply_write)],
                stdin=subprocess.DEVNULL,
                stdout=self.output_fd,
                stderr=self.output_fd,
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

    def leftover_output(self) -> list[str]:
        """What the worker wrote since its last reply: the last words of a crashed handler."""
        if self.output_fd < 0:
            return []
        size = os.fstat(self.output_fd).st_size
        return os.pread(self.output_fd, size, 0).decode("utf-8", "replace").splitlines() if size else []

    def close_output(self) -> None:
        if self.output_fd >= 0:
            os.close(self.output_fd)
            self.output_fd = -1
