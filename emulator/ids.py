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


def resource_id(api_id: str, path: str) -> str:
    """A resource's id: 10 characters for the root, as AWS gives it, 6 for every other resource."""
    return stable_id(api_id, path, length=10 if path == "/" else 6)


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
    """``x-amz-apigw-id``: 11 random bytes in URL-safe base64, 16 chars ending in ``=`` like ``PUvrvF_rIAMEJ4Q=``.

    Recorded ids contain ``-`` and ``_``, never ``+`` or ``/`` (reference 1.8).
    """
    return base64.urlsafe_b64encode(_random.getrandbits(88).to_bytes(11, "big")).decode()


def trace_id(epoch_seconds: int) -> str:
    """``X-Amzn-Trace-Id``: ``Root=1-<8 hex epoch>-<24 hex random>``."""
    return f"Root=1-{epoch_seconds:08x}-{_random.getrandbits(96):024x}"


def continue_trace(client: str | None, generated: str) -> str:
    """The request's ``X-Amzn-Trace-Id``: the client's, if it sent one with a ``Root``, else ``generated``.

    AWS honours a client's trace: its response carries that trace whole, and a Root-only trace gains
    a generated ``Parent`` (recorded, reference 1.8).
    """
    if not client or "Root=" not in client:
        return generated
    parts = [part.strip() for part in client.split(";") if part.strip()]
    roots = [index for index, part in enumerate(parts) if part.startswith("Root=")]
    if not roots:
        return generated
    if not any(part.startswith("Parent=") for part in parts):
        parts.insert(roots[0] + 1, f"Parent={_random.getrandbits(64):016x}")
    return ";".join(parts)


def cloudfront_id(request_id: str) -> str:
    """``X-Amz-Cf-Id``: 56 characters of URL-safe base64 ending in ``==``, one per request.

    Derived from the request id, so an event built with pinned ids is the same every time.
    """
    digest = hashlib.blake2b(request_id.encode(), digest_size=40).digest()
    return base64.urlsafe_b64encode(digest).decode()


def cloudfront_host(api_id: str) -> str:
    """The edge server in ``Via: 2.0 <host>.cloudfront.net (CloudFront)``: 32 hex digits, one per API."""
    return hashlib.blake2b(api_id.encode(), digest_size=16).hexdigest()
