"""Handlers that end Lambda's runtime rather than fail an invocation: each way a handler can end it.

Lambda's Python runtime answers with an error object only what is an ``Exception``; anything else
ends its process. ``end`` does one such thing by name; ``ends_at_import.py`` does it while imported.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any


class Abort(BaseException):
    """A user's class deriving from ``BaseException`` rather than ``Exception``."""


def end(how: str) -> None:
    print(f"about to end: {how}")
    if how == "exit-none":
        sys.exit()
    if how == "exit-0":
        sys.exit(0)
    if how == "exit-3":
        sys.exit(3)
    if how == "exit-message":
        sys.exit("giving up")
    if how == "keyboard-interrupt":
        raise KeyboardInterrupt
    if how == "cancelled":
        raise asyncio.CancelledError
    if how == "base-exception":
        raise Abort("the user's own")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Proxy: ends as the body's ``end`` says, or answers 200 if it names no ending."""
    end(json.loads(event["body"] or "{}").get("end", ""))
    return {"statusCode": 200, "body": "carried on"}
