"""A record of each Lambda invocation, for the test harness, the inspector and the log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.runtime.result import InvocationResult


@dataclass(frozen=True)
class Trigger:
    """Which API method and stage caused an invocation."""

    api: str
    resource: str
    method: str
    stage: str


@dataclass
class Invocation:
    function: str
    trigger: Trigger
    #: The gateway's request id (``x-amzn-RequestId``).
    request_id: str
    event: Any
    #: What the context object reported: ``aws_request_id``, ``function_name``, ``memory_limit_in_mb``…
    context: dict[str, Any]
    result: InvocationResult
    #: Why the gateway answered with an error after the function returned, e.g. a malformed proxy response.
    gateway_error: str | None = None
    #: ``False`` when the gateway stopped waiting (its integration timeout) and the function ran on.
    answered: bool = True
    #: What the emulator suspects went wrong, where AWS would say nothing: a proxy-only key read on a
    #: non-proxy method's event.
    hint: str | None = None

    @property
    def error(self) -> dict[str, Any] | None:
        """The function's error object (``errorType``, ``errorMessage``, ``stackTrace``), if it failed."""
        return self.result.error

    @property
    def logs(self) -> list[str]:
        return self.result.logs

    @property
    def duration_ms(self) -> float:
        return self.result.duration_ms

    @property
    def traceback(self) -> str | None:
        return self.result.detail

    def summary(self) -> str:
        """Several lines that say what happened, for a failed test's report and the log."""
        t = self.trigger
        lines = [
            f"{t.method} {t.resource} (stage {t.stage}) -> function {self.function!r}, request {self.request_id}"
        ]
        error_line = ""
        if self.error is not None:
            error_line = f"{self.error.get('errorType')}: {self.error.get('errorMessage')}"
            lines.append(f"  function error: {error_line}")
        detail = self.result.detail
        # A detail that only repeats the error (an init error without a traceback) is left out.
        if detail and not (error_line and detail.startswith(error_line)):
            lines.extend("  " + line for line in detail.rstrip().splitlines())
        if self.gateway_error:
            lines.append(f"  gateway: {self.gateway_error}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        lines.extend("  | " + line for line in self.logs)
        return "\n".join(lines)
