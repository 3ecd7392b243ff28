"""Handlers for the reliability tests: each misbehaves in one way, or counts what reached it."""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

CALLS = {"count": 0}


def counted(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Proxy: how many times it ran, and how many body bytes it saw, to prove what never reached it."""
    CALLS["count"] += 1
    body = event.get("body") or ""
    size = len(base64.b64decode(body)) if event.get("isBase64Encoded") else len(body.encode())
    return {"statusCode": 200, "body": json.dumps({"calls": CALLS["count"], "body_bytes": size})}


def big(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Proxy: a body of ``?size=`` bytes, for clients that hang up mid-response."""
    size = int((event.get("queryStringParameters") or {}).get("size", "1000"))
    return {"statusCode": 200, "body": "x" * size}


def circular(event: Any, context: Any) -> Any:
    result: dict[str, Any] = {"statusCode": 200}
    result["self"] = result
    return result


def deep(event: Any, context: Any) -> Any:
    """Nesting far deeper than any JSON encoder's recursion allows."""
    value: Any = "bottom"
    for _ in range(100_000):
        value = [value]
    return {"statusCode": 200, "body": "x", "headers": {"x": value}}


def not_a_number(event: Any, context: Any) -> Any:
    """``json.dumps`` writes NaN, which is not JSON: the gateway cannot parse the result."""
    return {"statusCode": float("nan")}


def oversized(event: Any, context: Any) -> Any:
    """A result just over Lambda's 6 MB synchronous response limit."""
    return {"statusCode": 200, "body": "x" * (6 * 1024 * 1024 + 1)}


def header_result(event: dict[str, Any], context: Any) -> Any:
    """Proxy: the header named and valued by the JSON request body (``name``, ``value``)."""
    spec = json.loads(event["body"])
    return {"statusCode": 200, "headers": {spec["name"]: spec["value"]}, "body": "ok"}


def leaves_thread(event: Any, context: Any) -> Any:
    """Starts a non-daemon thread that outlives the invocation by a minute."""
    threading.Thread(target=time.sleep, args=(60,), name="left-by-handler").start()
    return {"statusCode": 200, "body": "left a thread"}


def sleeps(event: Any, context: Any) -> Any:
    time.sleep(60)
    return {"statusCode": 200}
