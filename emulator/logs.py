"""The emulator's log: CloudWatch's lines around each invocation, the gateway's access log, and how
both are written (plain, coloured on a terminal, or JSON for machines).

Every line is one log record. Its message is the plain text a human reads (``items START
RequestId: … Version: $LATEST``); an ``apig`` attribute carries the same facts as fields, which the
JSON formatter writes out and the text formatter uses to colour. Tests and listeners read records,
never formatted text. ``serve`` alone writes each request's lines without records, the same text
formatted directly (``emulator.exchange_log``), through its one ``LogWriter`` (``configure``). Text is
escaped where it is formatted, records and direct lines alike (``emulator.log_text``), so that what
clients send and handlers write cannot act on a terminal; JSON escapes it itself and stays exact.

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

from emulator.log_text import escape_line, escape_text, escape_trace
from emulator.log_writer import LogFileHandler, LogWriter
from emulator.model import Function
from emulator.runtime.result import InvocationResult
from emulator.runtime.tracebacks import is_library

if TYPE_CHECKING:
    from emulator.exchanges import Exchange

lambda_log = logging.getLogger("apig_emu.lambda")
access_log = logging.getLogger("apig_emu.access")

LOG_FORMATS = ("text", "json")


#: A traceback's frame line, as ``traceback`` writes it (``SyntaxError``'s has no function name).
_FRAME = re.compile(r'^  File "(?P<file>[^"\n]+)", line (?P<line>\d+)', re.MULTILINE)


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


#: The record attribute that holds a function error's message, for the text log's traceback
#: (``log_text.escape_trace``); the JSON log has the message in the traceback as it is.
ERROR_MESSAGE = "apig_error_message"


def error_message(result: InvocationResult) -> str | None:
    """The ``errorMessage`` of a failed invocation's error object."""
    message = (result.error or {}).get("errorMessage")
    return message if isinstance(message, str) else None


def billed_ms(duration_ms: float) -> int:
    """Lambda bills by the millisecond, rounding up, and at least 1 ms."""
    return max(1, int(-(-duration_ms // 1)))


def report_line(function: Function, result: InvocationResult) -> str:
    """``REPORT RequestId: …`` with CloudWatch's tab-separated fields, in CloudWatch's order."""
    duration = result.duration_ms
    line = (
        f"REPORT RequestId: {result.aws_request_id}\tDuration: {duration:.2f} ms\t"
        f"Billed Duration: {billed_ms(duration)} ms\tMemory Size: {function.memory} MB"
    )
    if result.max_memory_used_mb is not None:
        line += f"\tMax Memory Used: {result.max_memory_used_mb} MB"
    if result.init_duration_ms is not None:
        line += f"\tInit Duration: {result.init_duration_ms:.2f} ms"
    # Newer REPORT lines end with the status of a failed environment (reference section 11;
    # ``Status: timeout`` seen in DataDog/datadog-lambda-extension#1237).
    if result.timed_out:
        line += "\tStatus: timeout"
    elif (error_type := _runtime_error_type(result)) is not None:
        line += f"\tStatus: error\tError Type: {error_type}"
    return line


def _runtime_error_type(result: InvocationResult) -> str | None:
    """``Runtime.ExitError`` or ``Runtime.OutOfMemory``: the environment itself failed."""
    if result.function_error is None or not result.payload.startswith(b"{"):
        return None
    error = result.error or {}
    error_type = error.get("errorType")
    return error_type if error_type in ("Runtime.ExitError", "Runtime.OutOfMemory") else None


#: One of a function's lines: its kind, its text (without the function's name) and, for an error, the
#: traceback written beneath it.
Line = tuple[str, str, str | None]


def invocation_lines(
    function: Function, result: InvocationResult, *, errors_only: bool = False
) -> list[Line]:
    """CloudWatch's lines around the function's own output: what both ways of writing the log write."""
    rid = result.aws_request_id
    failed = bool(result.detail and result.function_error)
    error: list[Line] = []
    if failed:
        summary, trace = error_summary(result)
        error.append(("error", summary, trace))
    if errors_only:
        return error
    return [
        ("start", f"START RequestId: {rid} Version: $LATEST", None),
        *[("output", line, None) for line in result.logs],
        *error,
        ("end", f"END RequestId: {rid}", None),
        ("report", report_line(function, result), None),
    ]


def report_fields(function: Function, result: InvocationResult) -> dict[str, Any]:
    """The REPORT line's figures, as fields of its record (and so of its JSON object)."""
    return {
        "duration_ms": round(result.duration_ms, 2),
        "billed_duration_ms": billed_ms(result.duration_ms),
        "memory_size_mb": function.memory,
        "max_memory_used_mb": result.max_memory_used_mb,
        "init_duration_ms": None if result.init_duration_ms is None else round(result.init_duration_ms, 2),
        "function_error": result.function_error,
        "timed_out": result.timed_out,
    }


def line_fields(function: Function, result: InvocationResult, kind: str) -> dict[str, Any]:
    fields = {"kind": kind, "function": function.name, "aws_request_id": result.aws_request_id}
    if kind == "report":
        fields.update(report_fields(function, result))
    return fields


def log_invocation(function: Function, result: InvocationResult) -> None:
    """CloudWatch's lines around the function's own output, one log record per line.

    Without INFO (``--quiet``), only a failure's line, a warning: the request path should not pay
    for lines nobody will see.
    """
    quiet = not lambda_log.isEnabledFor(logging.INFO)
    if quiet and not lambda_log.isEnabledFor(logging.WARNING):
        return
    fn, lno, func, _ = lambda_log.findCaller()
    for kind, text, trace in invocation_lines(function, result, errors_only=quiet):
        level = logging.WARNING if kind == "error" else logging.INFO
        extra: dict[str, Any] = {"apig": line_fields(function, result, kind)}
        if trace:
            extra[ERROR_MESSAGE] = error_message(result)
        record = lambda_log.makeRecord(
            lambda_log.name, level, fn, lno, "%s %s", (function.name, text), None, func, extra
        )
        # A traceback is attached as ``logging`` attaches an exception's: every formatter writes it.
        record.exc_text = trace
        lambda_log.handle(record)


def log_exchange(exchange: Exchange) -> None:
    """The bus's listener for the log: the function's lines, if one answered, then the access line."""
    if exchange.authorizer_invocation is not None and exchange.authorizer_function is not None:
        log_invocation(exchange.authorizer_function, exchange.authorizer_invocation.result)
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


def access_text(method: str, path: str, status: int, latency_ms: float, request_id: str) -> str:
    return f"{method} {path} {status} {latency_ms:.1f}ms {request_id}"


def access_fields(method: str, path: str, status: int, latency_ms: float, request_id: str) -> dict[str, Any]:
    return {
        "kind": "access",
        "method": method,
        "path": path,
        "status": status,
        "latency_ms": round(latency_ms, 1),
        "request_id": request_id,
    }


def log_access(method: str, path: str, status: int, latency_ms: float, request_id: str) -> None:
    """One line per request, as API Gateway's access log would have it."""
    if access_log.isEnabledFor(logging.INFO):
        access_log.info(
            "%s",
            access_text(method, path, status, latency_ms, request_id),
            extra={"apig": access_fields(method, path, status, latency_ms, request_id)},
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


def style_function_line(function: str, kind: str, text: str) -> str:
    """A function's line on a terminal: its name in cyan, the rest styled by what the line is."""
    style = _STYLES.get(kind, "")
    body = f"{style}{text}{_RESET}" if style else text
    return f"{_STYLES['function']}{function}{_RESET} {body}"


def style_access_line(status: int, text: str) -> str:
    return f"{_STATUS_STYLES.get(status // 100, '')}{text}{_RESET}"


def printable_record(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    """The record as ``logging.Formatter`` writes it, but safe to print (``emulator.log_text``).

    A message keeps the line breaks of its format string, and only those: a line break that one of
    its values brings (a request's path, a function's error message) is escaped like any other
    control, so that no value starts a line of its own. A traceback keeps its lines, its error's
    message on one.
    """
    record.message = message = record.getMessage()
    template = record.msg
    text = (
        escape_line(message) if isinstance(template, str) and "\n" not in template else escape_text(message)
    )
    if record.exc_info and not record.exc_text:
        record.exc_text = formatter.formatException(record.exc_info)
    if record.exc_text:
        text += ("" if text.endswith("\n") else "\n") + escape_trace(
            record.exc_text, getattr(record, ERROR_MESSAGE, None)
        )
    if record.stack_info:
        text += ("" if text.endswith("\n") else "\n") + escape_text(formatter.formatStack(record.stack_info))
    return text


class TextFormatter(logging.Formatter):
    """The message, safe to print; with ``colour``, styled by what the line is."""

    def __init__(self, *, colour: bool = False) -> None:
        super().__init__("%(message)s")
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        text = printable_record(self, record)
        if not self.colour:
            return text
        fields: dict[str, Any] | None = getattr(record, "apig", None)
        if fields is None:
            style = _LEVEL_STYLES.get(record.levelno)
            return f"{style}{text}{_RESET}" if style else text
        kind = fields["kind"]
        if kind == "access":
            return style_access_line(fields["status"], text)
        prefix = fields["function"]
        return style_function_line(prefix, kind, text[len(prefix) + 1 :])


def json_time(created: float, msecs: float) -> str:
    """A record's time as the JSON log writes it: UTC, to the millisecond (``logging``'s ``msecs``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(msecs):03d}Z"


#: ``json.dumps(entry, default=str)``, made once.
json_encode = json.JSONEncoder(default=str).encode


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "apig", None) or {}
        message = record.getMessage()
        if "function" in fields and message.startswith(fields["function"] + " "):
            message = message[len(fields["function"]) + 1 :]
        entry: dict[str, Any] = {
            "time": json_time(record.created, record.msecs),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
            **fields,
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json_encode(entry)


def wants_colour(stream: TextIO) -> bool:
    """Colour on a terminal only, and never when ``NO_COLOR`` is set (no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def formatter_for(log_format: str, stream: TextIO) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    return TextFormatter(colour=wants_colour(stream))


def configure(
    log_format: str = "text",
    *,
    stream: TextIO | None = None,
    quiet: bool = False,
    log_file: str | None = None,
) -> LogWriter:
    """Set the log up for ``serve``: one ``LogWriter`` for the whole log, which it returns.

    The writer takes the place of the root logger's plain stream handlers (``logging.basicConfig``
    made one) and writes to the file descriptor of ``stream`` (default: stderr), or to ``log_file``
    (``LogFileHandler``; ``OSError``, having changed nothing, if the file cannot be opened). ``quiet``
    keeps warnings and errors only, from the emulator and uvicorn alike. The root logger's level is
    left alone: in thread isolation it decides which of a handler's own records are captured.
    """
    stream = stream or sys.stderr
    writer: LogWriter
    if log_file is not None:
        writer = LogFileHandler(log_file)
        writer.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    else:
        writer = LogWriter(stream.fileno(), encoding=getattr(stream, "encoding", None) or "utf-8")
        writer.setFormatter(formatter_for(log_format, stream))
    root = logging.getLogger()
    # Plain stream handlers only: subclasses belong to someone else (pytest's capture, files).
    for handler in [handler for handler in root.handlers if type(handler) is logging.StreamHandler]:
        root.removeHandler(handler)
    root.addHandler(writer)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    for name in ("apig_emu", "uvicorn"):
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)
    return writer
