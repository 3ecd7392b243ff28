"""What one invocation produced: Lambda's Invoke answer plus what the emulator observed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class InvocationResult:
    #: The bytes Lambda's Invoke API returns: the JSON result, or the JSON error object.
    payload: bytes
    #: ``"Unhandled"`` when the function failed (Lambda's ``X-Amz-Function-Error``), else ``None``.
    function_error: str | None = None
    #: Lambda's ``aws_request_id`` for this invocation (distinct from the gateway's request id).
    aws_request_id: str = ""
    #: The function's own output, one entry per line, as CloudWatch would show it.
    logs: list[str] = field(default_factory=list)
    duration_ms: float = 0.0
    #: Set on a cold start: how long the module import took.
    init_duration_ms: float | None = None
    #: The full Python traceback or crash description, which Lambda's error object abbreviates.
    detail: str | None = None
    #: ``True`` when the function's own timeout ended the invocation.
    timed_out: bool = False
    #: The execution environment's peak resident memory (REPORT's ``Max Memory Used``); ``None`` when
    #: unknown, as in thread isolation, where every function shares the emulator's process.
    max_memory_used_mb: int | None = None

    @property
    def error(self) -> dict[str, Any] | None:
        """The parsed error object of a failed invocation."""
        if self.function_error is None:
            return None
        parsed = json.loads(self.payload)
        return parsed if isinstance(parsed, dict) else {"errorMessage": str(parsed)}


def error_payload(error_type: str, message: str, stack_trace: list[str], request_id: str) -> bytes:
    """Lambda's error object, key order as the Python runtime writes it."""
    return json.dumps(
        {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack_trace}
    ).encode()
