"""The handler every benchmark variant calls: a small proxy-shaped answer, no work of its own."""

from __future__ import annotations

from typing import Any

BODY = '{"ok": true}'


def proxy(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": BODY}


def custom(event: Any, context: Any) -> dict[str, bool]:
    return {"ok": True}
