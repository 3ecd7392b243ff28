"""A Lambda execution environment, written once for both isolations: one import, then invocations.

An execution environment is where Lambda keeps a function warm. Its first invocation imports the
handler (a cold start, whose REPORT carries ``Init Duration``); each invocation calls that handler with
a context of its own and ends in an ``Outcome`` (``outcomes.py``). Thread isolation keeps one per
function in the emulator's process (``threads.py``), process isolation one per worker process
(``worker.py``). This class is what they share, so that a cold start, an init error, a handler's
answer or its exception reads the same whichever isolation ran it.

What an isolation does its own way is left to three methods:

* ``begin``: the invocation's own values in place before the handler runs (its trace id, its log
  records' request id, where its output goes);
* ``output``: what the invocation wrote, taken once the handler returned;
* ``ended``: a ``MemoryError``, or what escapes Lambda's runtime because it is not an ``Exception``
  (``SystemExit``, ``KeyboardInterrupt``, any other ``BaseException``): these end an environment
  rather than an invocation. A worker process exits or is discarded; a thread cannot be, so it
  answers as Lambda would for the process it stands for.

Timeouts and crashes are outside, in each isolation: a thread cannot be stopped and a process can.
Their answers are shaped by ``Outcome.result``, as this class shapes the others.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any

from emulator.lambda_function import Function
from emulator.runtime.handlers import Handler, HandlerLoadError, load_handler
from emulator.runtime.lambda_context import LambdaContext
from emulator.runtime.outcomes import Outcome, init_failed, run_handler
from emulator.runtime.result import InvocationResult


class ExecutionEnvironment(ABC):
    """One function's warm state: its handler once imported, and its log stream."""

    def __init__(self, function: Function, stream: str) -> None:
        self.function = function
        #: ``AWS_LAMBDA_LOG_STREAM_NAME`` and the context's ``log_stream_name``: one per environment.
        self.stream = stream
        #: Imported by the first invocation; still ``None`` after an init error (see ``invoke``).
        self.handler: Handler | None = None

    def invoke(
        self, event: Any, aws_request_id: str, trace_id: str, deadline: float, handler: Handler | None = None
    ) -> InvocationResult:
        """Run one invocation; the first imports the handler. ``handler``: a test double to call instead.

        ``deadline`` is on ``time.monotonic``'s clock, for ``context.get_remaining_time_in_millis``;
        enforcing it is the isolation's job. An init error answers this invocation and leaves the
        handler unimported, so that the next invocation tries the import again.
        """
        self.begin(aws_request_id, trace_id)
        init_ms: float | None = None
        started = time.perf_counter()
        try:
            if handler is None:
                handler = self.handler
                if handler is None:
                    handler = self.handler = load_handler(self.function)
                    now = time.perf_counter()
                    init_ms, started = (now - started) * 1000, now
            context = LambdaContext(self.function, aws_request_id, deadline, self.stream)
            outcome = run_handler(handler, event, context, aws_request_id)
        except HandlerLoadError as exc:
            return init_failed(exc).result(aws_request_id, 0.0, None, self.output())
        except BaseException as exc:  # what ends Lambda's runtime: ``ended`` says how it is answered
            outcome = self.ended(exc, aws_request_id)
        return outcome.result(aws_request_id, (time.perf_counter() - started) * 1000, init_ms, self.output())

    @abstractmethod
    def begin(self, aws_request_id: str, trace_id: str) -> None:
        """Before the handler (or its import) runs: what this invocation changes in the environment."""

    @abstractmethod
    def output(self) -> list[str]:
        """What the invocation wrote (print, logging, …), a line each, once it is over."""

    @abstractmethod
    def ended(self, exc: BaseException, aws_request_id: str) -> Outcome:
        """The invocation ended the environment: the outcome to answer with, or ``exc`` raised again.

        ``exc`` is a ``MemoryError`` or not an ``Exception``, raised by the handler or its import.
        """
