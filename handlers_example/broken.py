"""GET /broken: a classic mistake, a dict body instead of a string; API Gateway answers 502."""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": {"oops": "body must be a string"}}
