"""One Lambda execution environment: the child process of process isolation.

    python -u emulator/runtime/bootstrap.py REQUEST_FD REPLY_FD   # serve one function's invocations
    python -u emulator/runtime/bootstrap.py REQUEST_FD REPLY_FD --debug HOST:PORT   # under debugpy
    python -u emulator/runtime/bootstrap.py --check RESULT_FD     # import handlers, report load errors

The parent writes requests on REQUEST_FD, never two at once: an execution environment serves one
request at a time. The worker answers each with a ``Reply`` on REPLY_FD (both framed by ``wire``).
Running an invocation is ``ExecutionEnvironment``'s, shared with thread isolation; what is this
process's own is around it: where output goes, the memory limit, and a handler that exits, forks or
runs out of memory.

fd 1 and 2 are one pipe whose other end the parent reads as output arrives, so everything an
invocation writes (print, logging, C extensions, child processes) reaches it in order, and the last
words of a handler that segfaulted or called ``os._exit`` too; the worker keeps none of it. Its
reply follows its output, so the parent knows which invocation wrote what. ``sys.stdout`` and
``sys.stderr`` stop writing once an invocation has written more than the parent keeps
(``output.CappedStream``): a print loop then costs neither process anything, and the reply says how
much was dropped.

The function's code owns every name, as on Lambda, where the runtime's modules never shadow it: a
user's package may be called ``emulator`` too. So once the worker has imported all it needs and
read its function, it steps aside (``_step_aside``): apig-emu's modules leave ``sys.modules``
before the code root goes on ``sys.path`` and the handler is imported, and ``import emulator`` then
finds the user's. The worker's code runs on unaffected, since functions and classes reach their
modules through references, not through ``sys.modules``; what it must not do afterwards is import
one of its own modules again, or unpickle an object of one of its classes, as either would look the
name up afresh. Nothing after the first message does: requests carry plain JSON-like values.
Loading apig-emu under a private name instead would mean rewriting its absolute imports, and a
meta-path hook that hides it would still leave its modules in ``sys.modules``.
"""

from __future__ import annotations

import faulthandler
import json
import logging
import os
import pickle
import resource
import signal
import sys
import threading
import time
from typing import IO, Any

from emulator.lambda_function import Function
from emulator.runtime.capture import LambdaFormatter
from emulator.runtime.environ import set_python_only
from emulator.runtime.environment import ExecutionEnvironment
from emulator.runtime.handlers import put_on_path
from emulator.runtime.lambda_context import lambda_environment, log_stream_name
from emulator.runtime.outcomes import Outcome, out_of_memory
from emulator.runtime.output import OUTPUT_LIMIT, Allowance, CappedStream
from emulator.runtime.result import InvocationResult
from emulator.runtime.shadowing import own_modules
from emulator.runtime.wire import REQUEST_LENGTH, Reply, encode_reply

#: Address space allowed beyond the function's memory size and the worker's own footprint at start.
#: Generous on purpose: ``RLIMIT_AS`` counts virtual memory, and each thread reserves an 8 MB stack
#: and may map a 64 MB malloc arena without using it. This limit is only the backstop that stops a
#: runaway allocation at once; the parent enforces the memory size itself on resident memory.
MEMORY_SLACK_MB = 512

_LINUX = sys.platform.startswith("linux")

#: apig-emu's modules once out of ``sys.modules``, so that nothing depends on what else refers to them.
_STEPPED_ASIDE: dict[str, Any] = {}


def _step_aside() -> None:
    """Leave apig-emu's import names to the function's code (see the module's docstring)."""
    for name in own_modules():
        _STEPPED_ASIDE[name] = sys.modules.pop(name)


class _RequestIdFilter(logging.Filter):
    """Stamps records with the running invocation's id, as Lambda's log handler does."""

    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _install_lambda_logging() -> _RequestIdFilter:
    """Lambda's runtime puts one handler on the root logger and leaves its level at WARNING."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(LambdaFormatter())
    stamp = _RequestIdFilter()
    handler.addFilter(stamp)
    logging.getLogger().addHandler(handler)
    return stamp


class _CappedOutput:
    """``sys.stdout`` and ``sys.stderr``, capped together per invocation."""

    #: One byte over what the parent keeps: whenever the worker drops output, the parent has dropped
    #: some too, so that when a worker ends without the reply that counts its share, the parent knows
    #: that its own count is only part of it.
    ALLOWANCE = OUTPUT_LIMIT + 1

    def __init__(self) -> None:
        self.allowance = Allowance(self.ALLOWANCE)
        self.lock = threading.Lock()
        sys.stdout = CappedStream(sys.stdout, self.allowance, self.lock)
        sys.stderr = CappedStream(sys.stderr, self.allowance, self.lock)

    def renew(self) -> int:
        """What the invocation just answered dropped; the next one starts with the full allowance."""
        with self.lock:
            return self.allowance.renew()


def _die_with_parent() -> None:
    """Ask Linux to kill this process if the emulator dies, even while a handler hangs."""
    if not _LINUX:
        return
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:
        os._exit(1)


def _limit_memory(memory_mb: int) -> None:
    if not _LINUX:
        return
    try:
        with open("/proc/self/statm") as statm:
            baseline = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = baseline + (memory_mb + MEMORY_SLACK_MB) * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError):
        pass


def _lift_memory_limit() -> None:
    """Room to report the MemoryError: only the soft limit was lowered."""
    if _LINUX:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def _max_rss_mb() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Kilobytes on Linux, bytes on macOS.
    return int(peak // 1024 if _LINUX else peak // (1024 * 1024))


def read_request(stream: IO[bytes]) -> Any:
    """The next message, or ``None`` at end of file (the parent retired this worker, or died)."""
    head = stream.read(REQUEST_LENGTH.size)
    if len(head) < REQUEST_LENGTH.size:
        return None
    (size,) = REQUEST_LENGTH.unpack(head)
    body = stream.read(size)
    if len(body) < size:
        return None
    return pickle.loads(body)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _ProcessEnvironment(ExecutionEnvironment):
    """The process's one execution environment: its variables are the process's own, set at spawn."""

    def __init__(self, function: Function, stamp: _RequestIdFilter) -> None:
        super().__init__(function, os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", ""))
        self.stamp = stamp
        #: Set once it ran out of memory: Lambda discards the environment.
        self.exhausted = False
        #: The runtime's own process: a process the handler forks is a copy with another pid.
        self.pid = os.getpid()

    def begin(self, aws_request_id: str, trace_id: str) -> None:
        # Not os.environ[...] =: glibc would keep every request's value forever (see runtime.environ).
        set_python_only("_X_AMZN_TRACE_ID", trace_id)
        self.stamp.request_id = aws_request_id

    def output(self) -> list[str]:
        """Nothing to take: the parent reads the pipe as output comes, and once flushed all of it is there."""
        if os.getpid() != self.pid:
            _end_forked_copy()  # before its parent replies with the output so far
        sys.stdout.flush()
        sys.stderr.flush()
        return []

    def ended(self, exc: BaseException, aws_request_id: str) -> Outcome:
        if not isinstance(exc, MemoryError):
            raise exc  # the process ends, as Lambda's runtime's would; the parent answers the crash
        _lift_memory_limit()
        self.exhausted = True
        return out_of_memory(
            aws_request_id,
            detail=f"MemoryError: the function allocated past its {self.function.memory} MB "
            f"(plus {MEMORY_SLACK_MB} MB of address-space slack): the environment is discarded and "
            "the next request starts a fresh one",
        )


class _Worker:
    """The process's loop: a request in, its invocation run, a reply out, until the parent is done."""

    def __init__(self, requests: IO[bytes], reply_fd: int) -> None:
        self.requests = requests
        self.reply_fd = reply_fd
        self.code_prefix = ""
        self.modules_seen = 0
        self.output = _CappedOutput()

    def serve(self) -> int:
        init = read_request(self.requests)
        if init is None:
            return 0
        _, function, enforce_memory = init
        stamp = _install_lambda_logging()
        _step_aside()
        code_dir = str(function.code_dir)
        put_on_path(function)
        self.code_prefix = os.path.join(os.path.realpath(code_dir), "")
        if enforce_memory:
            _limit_memory(function.memory)
        env = _ProcessEnvironment(function, stamp)
        _write_all(self.reply_fd, Reply().encode())
        while (message := read_request(self.requests)) is not None:
            aws_request_id, trace_id, event, timeout = message
            result = env.invoke(event, aws_request_id, trace_id, time.monotonic() + timeout)
            # Lambda discards an environment whose init failed, or that ran out of memory.
            self._reply(result, retire=env.exhausted or env.handler is None)
        return 0

    def _reply(self, result: InvocationResult, *, retire: bool) -> None:
        files = None
        if len(sys.modules) != self.modules_seen:
            self.modules_seen = len(sys.modules)
            files = self._code_files()
        reply = encode_reply(
            result.payload,
            result.duration_ms,
            result.init_duration_ms,
            _max_rss_mb(),
            retire,
            result.function_error,
            result.detail,
            self.output.renew(),
            files,
        )
        _write_all(self.reply_fd, reply)

    def _code_files(self) -> list[str]:
        """The function's own source files loaded so far, so a reload restarts only what used them."""
        files = []
        for module in list(sys.modules.values()):
            file = getattr(module, "__file__", None)
            if isinstance(file, str):
                real = os.path.realpath(file)
                if real.startswith(self.code_prefix):
                    files.append(real)
        return files


def check(result_fd: int) -> int:
    """Import each function's handler (a pickled list on stdin) and report load errors line by line.

    Line by line so that the parent knows which import crashed the process when one does.
    """
    # Here, not at the top: only this throwaway process diagnoses, and before ``_step_aside``, after
    # which the worker may import none of its own modules.
    from emulator.runtime.handler_problems import diagnose

    functions: list[Function] = pickle.load(sys.stdin.buffer)
    _step_aside()
    base = dict(os.environ)
    with os.fdopen(result_fd, "w") as results:
        for function in functions:
            os.environ.clear()
            os.environ.update(base)
            os.environ.update(lambda_environment(function, log_stream_name()))
            problem = diagnose(function)
            report = {"function": function.name, "problem": None if problem is None else problem.to_json()}
            results.write(json.dumps(report) + "\n")
            results.flush()
    return 0


def _end_forked_copy() -> None:
    """A process the handler forked came back out of the handler (a fork without ``os._exit``).

    On Lambda it would post a second response and then compete with its parent for the next
    invocation. The invocation is its parent's to answer, so the copy ends here, quietly but for one
    line in the log.
    """
    print(
        f"apig-emu: process {os.getpid()}, forked by the handler, returned from it and was ended "
        "(the invocation is answered by the process that forked it; end forked children with os._exit)",
        file=sys.stderr,
        flush=True,
    )
    os._exit(0)


def _detach_forked_children(*fds: int) -> None:
    """Processes the handler forks get /dev/null in place of the runtime's pipes.

    A forked child inherits every descriptor, close-on-exec or not: holding the reply pipe, it would
    hide the worker's death from the parent until it exits itself; holding the request pipe, it
    could read the next request.
    """

    def detach() -> None:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in fds:
            os.dup2(null, fd, inheritable=False)
        os.close(null)

    os.register_at_fork(after_in_child=detach)


def _wait_for_debugger(address: str) -> None:
    """``serve --debug-port``: a debug server on ``address``, and nothing of the function until a debugger
    attaches, as ``sam local start-api -d`` runs it. Before the code root goes on the path, so that
    the function's own modules cannot stand in for debugpy's."""
    import debugpy

    host, _, port = address.rpartition(":")
    debugpy.listen((host, int(port)))
    debugpy.wait_for_client()


def main(argv: list[str]) -> int:
    if argv[:1] == ["--check"]:
        return check(int(argv[1]))
    request_fd, reply_fd = int(argv[0]), int(argv[1])
    # Not for the handler's own child processes: a grandchild holding the reply pipe open would
    # hide this worker's death from the parent.
    os.set_inheritable(request_fd, False)
    os.set_inheritable(reply_fd, False)
    _detach_forked_children(request_fd, reply_fd)
    _die_with_parent()
    faulthandler.enable()
    if argv[2:3] == ["--debug"]:
        _wait_for_debugger(argv[3])
    with os.fdopen(request_fd, "rb") as requests:
        code = _Worker(requests, reply_fd).serve()
    # Retired (the request pipe closed). Lambda ends an environment without waiting for the threads a
    # handler left running, where Python's exit would join them; so does the worker.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
