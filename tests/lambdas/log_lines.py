"""A handler for the log's tests: its output names its invocation, so each line's place can be checked."""

from __future__ import annotations

from typing import Any

LINES = 3


def three_lines(event: Any, context: Any) -> dict[str, Any]:
    """Proxy: prints ``LINES`` lines that carry the request id, and answers with that id."""
    for number in range(LINES):
        print(f"line {number} of {context.aws_request_id}")
    return {"statusCode": 200, "body": context.aws_request_id}
