"""``serve``'s listener for the log: each answered request's lines, formatted directly.

``logs.log_exchange`` makes a ``logging`` record per line (START, the function's output, END,
REPORT, the access line), and ``logging`` pays for each: the caller's frame, the record's dozen
attributes, the handler's lock, a write. At load, that was four times the gateway's own work per
request. ``serve`` has one destination and one format for the whole log, so this listener writes the
same text (or JSON objects) those records would have become, in one piece per request, to the
log's ``LogWriter``, which writes a loop turn's lines at once.

It is ``serve``'s only: tests and the pytest plugin listen with ``log_exchange``, whose records reach
``caplog``. With INFO off (``--quiet``), only a failure would be written, and it is left to
``log_exchange`` as well.
"""

from __future__ import annotations

import logging
import time

from emulator.exchanges import Exchange
from emulator.log_text import escape_line, escape_trace
from emulator.log_writer import LogWriter
from emulator.logs import (
    JsonFormatter,
    Line,
    TextFormatter,
    access_fields,
    access_log,
    access_text,
    error_message,
    invocation_lines,
    json_encode,
    json_time,
    lambda_log,
    line_fields,
    log_exchange,
    style_access_line,
    style_function_line,
)
from emulator.model import Function
from emulator.runtime.result import InvocationResult


def with_traceback(text: str, trace: str | None) -> str:
    """A line and the traceback beneath it, as ``logging.Formatter`` joins a record's ``exc_text``."""
    if not trace:
        return text
    return text + ("" if text.endswith("\n") else "\n") + trace


class ExchangeLog:
    """The bus's listener that writes a request's log lines to ``writer``, in the writer's format."""

    def __init__(self, writer: LogWriter) -> None:
        self.writer = writer
        formatter = writer.formatter
        self.json = isinstance(formatter, JsonFormatter)
        self.colour = isinstance(formatter, TextFormatter) and formatter.colour

    def __call__(self, exchange: Exchange) -> None:
        if not (lambda_log.isEnabledFor(logging.INFO) and access_log.isEnabledFor(logging.INFO)):
            log_exchange(exchange)
            return
        parts: list[str] = []
        # One time for the request's JSON objects: its records would have been made within microseconds.
        stamp = json_time(now := time.time(), (now - int(now)) * 1000) if self.json else ""
        invocation = exchange.invocation
        function = exchange.function
        failed = False
        authorizer = exchange.authorizer_invocation
        if authorizer is not None and exchange.authorizer_function is not None:
            failed = self._invocation(parts, exchange.authorizer_function, authorizer.result, stamp)
        if invocation is not None and invocation.answered and function is not None:
            failed = self._invocation(parts, function, invocation.result, stamp) or failed
        request = exchange.request
        if request is not None:
            method, path, status = request.method, request.raw_path, exchange.response.status
            latency, request_id = exchange.duration_ms, exchange.ids.request_id
            if self.json:
                text = access_text(method, path, status, latency, request_id)
                fields = access_fields(method, path, status, latency, request_id)
                parts.append(json_line(stamp, "INFO", access_log.name, text, fields, None))
            else:
                # The client's part of the line: checked, and escaped if need be, on its own (cheaper).
                if not (path.isprintable() and method.isprintable()):
                    method, path = escape_line(method), escape_line(path)
                text = access_text(method, path, status, latency, request_id)
                parts.append(style_access_line(status, text) + "\n" if self.colour else text + "\n")
        if parts:
            # A failure's lines go out at once, as the writer writes a warning record.
            self.writer.add("".join(parts), at_once=failed)

    def _invocation(self, parts: list[str], function: Function, result: InvocationResult, stamp: str) -> bool:
        """Appends the function's lines; whether one of them is an error."""
        name = function.name
        failed = False
        lines = invocation_lines(function, result)
        for kind, text, trace in lines if self.json else printable_lines(lines, result):
            failed = failed or kind == "error"
            if self.json:
                level = "WARNING" if kind == "error" else "INFO"
                fields = line_fields(function, result, kind)
                parts.append(json_line(stamp, level, lambda_log.name, text, fields, trace))
            elif self.colour:
                parts.append(style_function_line(name, kind, with_traceback(text, trace)) + "\n")
            else:
                parts.append(f"{name} {with_traceback(text, trace)}\n")
        return failed


#: The kinds of line that are the emulator's own.
_OWN = ("start", "end", "report")


def printable_lines(lines: list[Line], result: InvocationResult) -> list[Line]:
    """The function's lines escaped as ``TextFormatter`` escapes their records: its output and its
    error; CloudWatch's own lines (START, END, REPORT) hold nothing but the emulator's figures."""
    if not (result.detail and result.function_error) and "".join(result.logs).isprintable():
        return lines  # nearly always: one scan of the output, nothing else
    message = error_message(result)
    return [
        (kind, text if kind in _OWN else escape_line(text), trace and escape_trace(trace, message))
        for kind, text, trace in lines
    ]


def json_line(
    stamp: str, level: str, logger: str, message: str, fields: dict[str, object], trace: str | None
) -> str:
    """``JsonFormatter``'s object for a record of these facts."""
    entry = {"time": stamp, "level": level, "logger": logger, "message": message, **fields}
    if trace:
        entry["exception"] = trace
    return json_encode(entry) + "\n"
