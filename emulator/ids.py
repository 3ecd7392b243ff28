"""Identifiers shaped like API Gateway's, stable where AWS's are stable.

API, resource and deployment ids are derived from names so that URLs and events do not change
between runs; request ids are fresh per request, as on AWS.
"""

from __future__ import annotations

import base64
import hashlib
import random

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


#: Request ids need to be unique, not secret: a seeded generator draws them without ``os.urandom``'s
#: system call, which also lets other threads take the GIL in the middle of every request.
_random = random.Random()
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def request_id() -> str:
    """``x-amzn-RequestId``, ``requestContext.requestId``, ``aws_request_id``: a random (version 4) UUID."""
    hex_ = f"{_random.getrandbits(128) & _UUID4_CLEAR | _UUID4_SET:032x}"
    return f"{hex_[:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:]}"


def extended_request_id() -> str:
    """``x-amz-apigw-id``: 11 random bytes in base64, 16 chars ending in ``=`` like ``LgbqcF8ZoAMEk2A=``."""
    return base64.b64encode(_random.getrandbits(88).to_bytes(11, "big")).decode()


def trace_id(epoch_seconds: int) -> str:
    """``X-Amzn-Trace-Id``: ``Root=1-<8 hex epoch>-<24 hex random>``."""
    return f"Root=1-{epoch_seconds:08x}-{_random.getrandbits(96):024x}"
