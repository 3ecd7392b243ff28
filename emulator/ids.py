"""Identifiers shaped like API Gateway's, stable where AWS's are stable.

API, resource and deployment ids are derived from names so that URLs and events do not change
between runs; request ids are fresh per request, as on AWS.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def stable_id(*parts: str, length: int = 10) -> str:
    """A ``[a-z0-9]`` id of ``length`` chars derived from ``parts`` (AWS's rest API ids look like this)."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return "".join(chars)


def request_id() -> str:
    """``x-amzn-RequestId`` / ``requestContext.requestId``: a UUID."""
    return str(uuid.uuid4())


def extended_request_id() -> str:
    """``x-amz-apigw-id``: 12 random bytes in base64, 16 chars ending in ``=`` like ``LgbqcF8ZoAMEk2A=``."""
    return base64.b64encode(os.urandom(11)).decode()


def trace_id(epoch_seconds: int) -> str:
    """``X-Amzn-Trace-Id``: ``Root=1-<8 hex epoch>-<24 hex random>``."""
    return f"Root=1-{epoch_seconds:08x}-{os.urandom(12).hex()}"
