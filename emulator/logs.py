"""The emulator's log: CloudWatch's lines around each invocation, the gateway's access log, and how
both are written (plain, coloured on a terminal, or JSON for machines).

Every line is one log record. Its message is the plain text a human reads (``items START
RequestId: … Version: $LATEST``); an ``apig`` attribute carries the same facts as fields, which the
JSON formatter writes out and the text formatter uses to colour. Tests and listeners read records,
never formatted text.

A function's error is one line (``items KeyError: 'id' (/app/items.py:12)``) with the handler's
traceback attached the way ``logging`` attaches an exception's, as the record's ``exc_text``: every
formatter writes it beneath the line, ``serve``'s and any other, and whoever shows the traceback
elsewhere can leave it out (the pytest plugin does, its report having a section for it).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from emulator.model import Function
from emulator.runtime.result import InvocationResult
from emulator.runtime.tracebacks import is_library

if TYPE_CHECKING:
    from emulator.exchanges import Exchange

lambda_log = logging.getLogger("apig_emu.lambda")
access_log = logging.getLogger("apig_emu.access")

LOG_FORMATS = ("text", "json")


def _emit(level: int, function: str, kind: str, text: str, rid: str, **fields: Any) -> None:
    lambda_log.log(
        level,
        "%s %s",
        function,
        text,
        extra={"apig": {"kind": kind, "function": function, "aws_request_id": rid, **fields}},
    )


#: A traceback's frame line, as ``traceback`` writes it (``SyntaxError``'s has no function name).
_FRAME = re.compile(r'^  File "(?P<file>[^"\n]+)", line (?P<line>\d+)', re.MULTILINE)


def _emit_error(function: str, result: InvocationResult) -> None:
    """The function's error: its one-line summary, and its traceback as the record's ``exc_text``."""
    if not lambda_log.isEnabledFor(logging.WARNING):
        return
    summary, trace = error_summary(result)
    fn, lno, func, _ = lambda_log.findCaller()
    record = lambda_log.makeRecord(
        lambda_log.name,
        logging.WARNING,
        fn,
        lno,
        "%s %s",
        (function, summary),
        None,
        func,
        {"apig": {"kind": "error", "function": function, "aws_request_id": result.aws_request_id}},
    )
    record.exc_text = trace
    lambda_log.handle(record)


def error_summary(result: InvocationResult) -> tuple[str, str | None]:
    """A failed invocation's one line, and the traceback behind it if its detail is one.

    The line is Lambda's error object (``errorType: errorMessage``) and where in the user's code it
    was raised; a detail of one line (a timeout, a crash) is its own summary.
    """
    detail = (result.detail or "").rstrip()
    if "\n" not in detail:
        return detail, None
    error = result.error or {}
    summary = f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"
    frames = list(_FRAME.finditer(detail))
    # The innermost of the user's own frames, not the library it called into (``os.environ``).
    frames = [frame for frame in frames if not is_library(frame["file"])] or frames
    if frames:
        summary += f" ({frames[-1]['file']}:{frames[-1]['line']})"
    return summary, detail


def billed_ms(duration_ms: float) -> int:
    """Lambda bills by the millisecond, rounding up, and at least 1 ms."""
    return max(1, int(-(-duration_ms // 1)))


def report_line(function: Function, result: InvocationResult) -> str:
    """``REPORT RequestId: …`` with CloudWatch's tab-separated fields, in CloudWatch's order."""
    parts = [
        f"REPORT RequestId: {result.aws_request_id}",
        f"Duration: {result.duration_ms:.2f} ms",
        f"Billed Duration: {billed_ms(result.duration_ms)} ms",
        f"Memory Size: {function.memory} MB",
    ]
    if result.max_memory_used_mb is not None:
        parts.append(f"Max Memory Used: {result.max_memory_used_mb} MB")
    if result.init_duration_ms is not None:
        parts.append(f"Init Duration: {result.init_duration_ms:.2f} ms")
    # Newer REPORT lines end with the status of a failed environment (reference section 11;
    # ``Status: timeout`` seen in DataDog/datadog-lambda-extension#1237).
    if result.timed_out:
        parts.append("Status: timeout")
    elif (error_type := _runtime_error_type(result)) is not None:
        parts.append(f"Status: error\tError Type: {error_type}")
    return "\t".join(parts)


def _runtime_error_type(result: InvocationResult) -> str | None:
    """``Runtime.ExitError`` or ``Runtime.OutOfMemory``: the environment itself failed."""
    if result.function_error is None or not result.payload.startswith(b"{"):
        return None
    error = result.error or {}
    error_type = error.get("errorType")
    return error_type if error_type in ("Runtime.ExitError", "Runtime.OutOfMemory") else None


def log_invocation(function: Function, result: InvocationResult) -> None:
    """CloudWatch's lines around the function's own output, one log record per line."""
    name, rid = function.name, result.aws_request_id
    failed = bool(result.detail and result.function_error)
    if not lambda_log.isEnabledFor(logging.INFO):
        # The request path should not pay for lines nobody will see.
        if failed:
            _emit_error(name, result)
        return
    _emit(logging.INFO, name, "start", f"START RequestId: {rid} Version: $LATEST", rid)
    for line in result.logs:
        _emit(logging.INFO, name, "output", line, rid)
    if failed:
        _emit_error(name, result)
    _emit(logging.INFO, name, "end", f"END RequestId: {rid}", rid)
    _emit(
        logging.INFO,
        name,
        "report",
        report_line(function, result),
        rid,
        duration_ms=round(result.duration_ms, 2),
        billed_duration_ms=billed_ms(result.duration_ms),
        memory_size_mb=function.memory,
        max_memory_used_mb=result.max_memory_used_mb,
        init_duration_ms=None if result.init_duration_ms is None else round(result.init_duration_ms, 2),
        function_error=result.function_error,
        timed_out=result.timed_out,
    )


def log_exchange(exchange: Exchange) -> None:
    """The bus's listener for the log: the function's lines, if one answered, then the access line."""
    invocation = exchange.invocation
    if invocation is not None and invocation.answered and exchange.function is not None:
        log_invocation(exchange.function, invocation.result)
    request = exchange.request
    if request is not None:
        log_access(
            request.method,
            request.raw_path,
            exchange.response.status,
            exchange.duration_ms,
            exchange.ids.request_id,
        )


def log_access(method: str, path: str, status: int, latency_ms: float, request_id: str) -> None:
    """One line per request, as API Gateway's access log would have it."""
    if access_log.isEnabledFor(logging.INFO):
        access_log.info(
            "%s %s %s %.1fms %s",
            method,
            path,
            status,
            latency_ms,
            request_id,
            extra={
                "apig": {
                    "kind": "access",
                    "method": method,
                    "path": path,
                    "status": status,
                    "latency_ms": round(latency_ms, 1),
                    "request_id": request_id,
                }
            },
        )


_RESET = "\x1b[0m"
_STYLES = {
    "function": "\x1b[36m",  # cyan
    "start": "\x1b[2m",  # dim
    "end": "\x1b[2m",
    "report": "\x1b[35m",  # magenta
    "error": "\x1b[31m",  # red
}
_LEVEL_STYLES = {logging.WARNING: "\x1b[33m", logging.ERROR: "\x1b[31m", logging.CRITICAL: "\x1b[1;31m"}
_STATUS_STYLES = {2: "\x1b[32m", 3: "\x1b[36m", 4: "\x1b[33m", 5: "\x1b[31m"}


class TextFormatter(logging.Formatter):
    """The message as it is; with ``colour``, styled by what the line is."""

    def __init__(self, *, colour: bool = False) -> None:
        super().__init__("%(message)s")
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if not self.colour:
            return text
        fields: dict[str, Any] | None = getattr(record, "apig", None)
        if fields is None:
            style = _LEVEL_STYLES.get(record.levelno)
            return f"{style}{text}{_RESET}" if style else text
        kind = fields["kind"]
        if kind == "access":
            style = _STATUS_STYLES.get(fields["status"] // 100, "")
            return f"{style}{text}{_RESET}"
        prefix = fields["function"]
        rest = text[len(prefix) + 1 :]
        style = _STYLES.get(kind, "")
        body = f"{style}{rest}{_RESET}" if style else rest
        return f"{_STYLES['function']}{prefix}{_RESET} {body}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "apig", None) or {}
        message = record.getMessage()
        if "function" in fields and message.startswith(fields["function"] + " "):
            message = message[len(fields["function"]) + 1 :]
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": message,
            **fields,
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str)


def wants_colour(stream: TextIO) -> bool:
    """Colour on a terminal only, and never when ``NO_COLOR`` is set (no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def formatter_for(log_format: str, stream: TextIO) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    return TextFormatter(colour=wants_colour(stream))


class LogFileHandler(logging.Handler):
    """``serve --log-file``: each line appended to the file with one ``write``, nothing buffered.

    A write that fails (a full disk, a file system gone read-only) loses that line only: requests are
    still answered, and the handler says so once on stderr, not with a traceback per line as
    ``logging`` would, then once more when writing works again.
    """

    def __init__(self, path: str, *, warnings: TextIO | None = None) -> None:
        super().__init__()
        self.path = path
        #: Raises ``OSError`` here, at start-up, if the file cannot be opened at all.
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        #: Where the handler's own trouble is told: the stderr of the time it was made (later on,
        #: thread isolation routes ``sys.stderr`` to whichever handler is running).
        self.warnings = warnings or sys.stderr
        #: Lines lost since writing last failed; 0 while all is well.
        self.lost = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (self.format(record) + "\n").encode("utf-8", "backslashreplace")
        except Exception:
            self.handleError(record)
            return
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(self.fd, view) :]
        except OSError as exc:
            if not self.lost:
                self._warn(
                    f"apig-emu: cannot write the log to {self.path} ({exc.strerror or exc}): requests are "
                    "still answered, but log lines are lost until writing works again"
                )
            self.lost += 1
            return
        if self.lost:
            self._warn(f"apig-emu: writing the log to {self.path} works again ({self.lost} line(s) lost)")
            self.lost = 0

    def _warn(self, text: str) -> None:
        try:
            self.warnings.write(text + "\n")
            self.warnings.flush()
        except (OSError, ValueError):
            pass  # stderr is gone too: nobody is left to tell

    def close(self) -> None:
        self.acquire()
        try:
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1
        finally:
            self.release()
        super().close()


def configure(
    log_format: str = "text",
    *,
    stream: TextIO | None = None,
    quiet: bool = False,
    log_file: str | None = None,
) -> None:
    """Format the root logger's stream handlers (``logging.basicConfig`` made one) for ``serve``.

    ``quiet`` keeps warnings and errors only, from the emulator and uvicorn alike. The root logger's
    level is left alone: in thread isolation it decides which of a handler's own records are captured.
    ``log_file`` sends the log to that file instead of those handlers' streams (``LogFileHandler``);
    it raises ``OSError``, having changed nothing, if the file cannot be opened.
    """
    file_handler = None if log_file is None else LogFileHandler(log_file)
    stream = stream or sys.stderr
    root = logging.getLogger()
    # Plain stream handlers only: subclasses belong to someone else (pytest's capture, files).
    handlers = [handler for handler in root.handlers if type(handler) is logging.StreamHandler]
    if not handlers:
        handler = logging.StreamHandler(stream)
        root.addHandler(handler)
        handlers = [handler]
    for handler in handlers:
        handler.setFormatter(formatter_for(log_format, handler.stream))
    if file_handler is not None:
        file_handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
        for handler in handlers:
            root.removeHandler(handler)
        root.addHandler(file_handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    for name in ("apig_emu", "uvicorn"):
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)
