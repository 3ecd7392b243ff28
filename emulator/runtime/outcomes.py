"""How an invocation can end, in Lambda's own words: shared by thread and process isolation.

Both invokers call the handler through ``run_handler`` and describe every failure with the
functions below, so a timeout, an exit or an import error reads the same whichever isolation ran
it. Texts Lambda writes are quoted where they were seen:

* ``Runtime exited with error: exit status 137`` / ``Runtime.ExitError``, as the Invoke payload
  ``{"errorType":"Runtime.ExitError","errorMessage":"RequestId: <id> Error: Runtime exited with
  error: exit status 137"}`` (aws/aws-lambda-dotnet#480);
* ``Runtime exited with error: signal: segmentation fault (core dumped)`` (awslabs/aws-lambda-cpp#30);
  the wording is Go's ``os/exec`` text, so other signals follow Go's names (``signal: killed``);
* ``Runtime exited without providing a reason`` for a clean exit (MatteoGioioso/lambda-flame#3);
* ``Runtime.OutOfMemory`` as the error type of a function that ran out of memory
  (nasa-gcn/gcn.nasa.gov#3628, DataDog/datadog-lambda-extension#776), whose process Lambda kills:
  ``signal: killed`` (DataBiosphere/azul#3485).

Lambda's Python runtime (awslambdaric's ``bootstrap``) answers with an error object only what derives
from ``Exception``, at import and in the handler alike. Anything else a handler raises (``SystemExit``,
``KeyboardInterrupt``, ``asyncio.CancelledError``, a class of the user's deriving from ``BaseException``)
leaves the runtime's loop and ends its process, and the invocation gets ``Runtime.ExitError`` with
that process's status (``exit_status``).
"""

from __future__ import annotations

import signal
import traceback
from dataclasses import dataclass
from typing import Any

from emulator.runtime.handlers import Handler, HandlerLoadError
from emulator.runtime.marshal import MAX_RESPONSE_BYTES, MarshalError, marshal_result
from emulator.runtime.result import InvocationResult, error_payload
from emulator.runtime.tracebacks import format_user_exception, user_frames

UNHANDLED = "Unhandled"


#: How long a request waits for a busy function's next free execution environment before it is
#: throttled, in both isolations. Lambda throttles at once; a short wait absorbs the bursts a browser or
#: a test makes locally.
DEFAULT_QUEUE_TIMEOUT = 1.0


class TooManyRequests(Exception):
    """Lambda's Invoke rejection when the function has no free execution environment (HTTP 429).

    Raised by an invoker rather than returned: no function ran, so there is no invocation result,
    and the gateway answers as API Gateway does for a rejected Invoke.
    """


@dataclass
class Outcome:
    """What an invocation produced: the Invoke payload and, on failure, why."""

    payload: bytes
    function_error: str | None = None
    #: What the emulator's log says and Lambda's error object abbreviates or omits.
    detail: str | None = None

    def result(
        self,
        aws_request_id: str,
        duration_ms: float,
        init_duration_ms: float | None = None,
        logs: list[str] | None = None,
        *,
        timed_out: bool = False,
        max_memory_used_mb: int | None = None,
    ) -> InvocationResult:
        """The invocation's result: this outcome with what the environment measured around it."""
        # Positional: every invocation makes one, and a dataclass's keyword arguments cost twice as much.
        return InvocationResult(
            self.payload,
            self.function_error,
            aws_request_id,
            [] if logs is None else logs,
            duration_ms,
            init_duration_ms,
            self.detail,
            timed_out,
            max_memory_used_mb,
        )


def _failure(error_type: str, message: str, aws_request_id: str, detail: str | None = None) -> Outcome:
    return Outcome(error_payload(error_type, message, [], aws_request_id), UNHANDLED, detail or message)


def run_handler(handler: Handler, event: Any, context: Any, aws_request_id: str) -> Outcome:
    """Call the handler as Lambda's runtime does; ``MemoryError`` and what is not an ``Exception`` escape.

    Those end an execution environment rather than an invocation, and each isolation mode handles
    that its own way (``ExecutionEnvironment.ended``).
    """
    try:
        payload = marshal_result(handler(event, context))
    except MarshalError as exc:
        return _failure("Runtime.MarshalError", str(exc), aws_request_id)
    except MemoryError:
        raise
    except Exception as exc:
        # Lambda's stackTrace starts in the handler, and so does the traceback the log shows.
        print(f"[ERROR] {type(exc).__name__}: {exc}")
        return Outcome(
            error_payload(
                type(exc).__name__, str(exc), traceback.format_list(user_frames(exc)), aws_request_id
            ),
            UNHANDLED,
            format_user_exception(exc),
        )
    if len(payload) > MAX_RESPONSE_BYTES:
        return _failure(
            "Function.ResponseSizeTooLarge",
            f"Response payload size ({len(payload)} bytes) exceeded maximum allowed "
            f"payload size ({MAX_RESPONSE_BYTES} bytes).",
            aws_request_id,
        )
    return Outcome(payload)


def init_failed(exc: HandlerLoadError) -> Outcome:
    """The handler could not be loaded: Lambda answers with the init error, without a request id.

    The detail is the user's traceback when there is one: the log's line for the error is made from
    the error object, so the detail adds where it happened rather than repeating what.
    """
    return Outcome(
        error_payload(exc.error_type, exc.message, exc.stack_trace, ""),
        UNHANDLED,
        exc.traceback_text or str(exc),
    )


def timed_out(aws_request_id: str, timeout: float, *, note: str = "") -> Outcome:
    message = f"RequestId: {aws_request_id} Error: Task timed out after {timeout:.2f} seconds"
    return _failure("Sandbox.Timedout", message, aws_request_id, message + note)


#: Go's names for signals, which Lambda's ``Runtime exited with error: signal: …`` uses.
_SIGNAL_NAMES = {
    signal.SIGABRT: "aborted",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGHUP: "hangup",
    signal.SIGILL: "illegal instruction",
    signal.SIGINT: "interrupt",
    signal.SIGKILL: "killed",
    signal.SIGPIPE: "broken pipe",
    signal.SIGQUIT: "quit",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGTERM: "terminated",
    signal.SIGTRAP: "trace/breakpoint trap",
    signal.SIGUSR1: "user defined signal 1",
    signal.SIGUSR2: "user defined signal 2",
}


def exit_reason(returncode: int) -> str:
    """``exit status 3`` or ``signal: segmentation fault``, from ``Popen.returncode``'s convention."""
    if returncode >= 0:
        return f"exit status {returncode}"
    number = -returncode
    try:
        name = _SIGNAL_NAMES.get(signal.Signals(number), f"signal {number}")
    except ValueError:
        name = f"signal {number}"
    return f"signal: {name}"


def exit_status(exc: BaseException) -> int:
    """How a Python process ends when ``exc`` escapes its main thread, in ``Popen.returncode``'s terms.

    What process isolation's worker ends with, so thread isolation, which cannot let ``exc`` end the
    emulator, answers with the same status: ``sys.exit``'s number as the system keeps it (its low 8
    bits: ``sys.exit(256)`` is 0, ``sys.exit(-1)`` 255), 0 for none, 1 for anything else (a message,
    which Python prints); ``SIGINT`` for ``KeyboardInterrupt`` (Python ends itself with the signal, so
    that a shell sees the interruption); 1 for any other exception, after its traceback.
    """
    if isinstance(exc, SystemExit):
        if exc.code is None:
            return 0
        return exc.code & 0xFF if isinstance(exc.code, int) else 1
    if isinstance(exc, KeyboardInterrupt):
        return -signal.SIGINT
    return 1


def exited(aws_request_id: str, returncode: int, *, detail: str | None = None) -> Outcome:
    """The runtime process ended during the invocation: ``sys.exit``, ``os._exit``, a signal."""
    if returncode == 0:
        message = f"RequestId: {aws_request_id} Error: Runtime exited without providing a reason"
    else:
        message = f"RequestId: {aws_request_id} Error: Runtime exited with error: {exit_reason(returncode)}"
    return _failure("Runtime.ExitError", message, aws_request_id, detail)


def out_of_memory(aws_request_id: str, *, detail: str | None = None) -> Outcome:
    """The function passed its memory size; Lambda kills the runtime (``signal: killed``)."""
    message = f"RequestId: {aws_request_id} Error: Runtime exited with error: signal: killed"
    return _failure("Runtime.OutOfMemory", message, aws_request_id, detail)
