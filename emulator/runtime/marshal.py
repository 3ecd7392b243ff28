"""Serialising a handler's return value as Lambda's Python runtime does (its ``LambdaMarshaller``)."""

from __future__ import annotations

import json
import sys
from typing import Any

#: The 3.12+ runtimes write non-ASCII characters as they are; older ones escape them.
_ENSURE_ASCII = sys.version_info < (3, 12)

#: Lambda's synchronous response payload limit.
MAX_RESPONSE_BYTES = 6 * 1024 * 1024


class MarshalError(Exception):
    """``Runtime.MarshalError``: the result cannot be written as JSON."""


def _default(value: Any) -> Any:
    # A Decimal exists only where ``decimal`` was imported: looked up, not imported, so that a worker
    # whose handler never uses it does not load it (a cold start and an idle worker's memory pay).
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: ``json.dumps`` with options builds an encoder per call; this one is made once (encoding keeps no state).
_ENCODER = json.JSONEncoder(default=_default, ensure_ascii=_ENSURE_ASCII)


def marshal_result(result: Any) -> bytes:
    """The Invoke payload for a handler's return value; raw bytes pass through as Lambda lets them."""
    if isinstance(result, bytes):
        return result
    try:
        return _ENCODER.encode(result).encode("utf-8", "replace")
    except (TypeError, ValueError, RecursionError) as exc:
        raise MarshalError(f"Unable to marshal response: {exc}") from exc
