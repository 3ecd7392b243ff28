"""Step 5 of the chain for proxy integrations: check the Lambda result as API Gateway does.

Every rule here is one row of the reference's table (section 2). A result that breaks one is AWS's
502 ``{"message": "Internal server error"}``; the exception's reason names the rule for our log,
which AWS keeps to itself.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from typing import Any

from werkzeug.http import parse_list_header, parse_options_header

from emulator.errors import IntegrationFailure, MalformedProxyResponse
from emulator.response import GatewayResponse
from emulator.runtime.result import InvocationResult

log = logging.getLogger("apig_emu.proxy_response")

ALLOWED_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})

#: An HTTP header name (RFC 9110 token); used with ``fullmatch``, since ``$`` would let a trailing LF through.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: ASCII digits only: ``str.isdigit`` also accepts ``²`` and ``٢``, which ``int`` rejects or AWS would.
_DIGITS = re.compile(r"[0-9]+")
#: Characters that could end a header line or the header block; never written to the wire.
_FORBIDDEN_IN_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

#: Reserved response headers that AWS renames to ``x-amzn-Remapped-<name>`` (reference 2, A.7).
_REMAPPED = frozenset(
    name.lower()
    for name in (
        "Authorization",
        "Connection",
        "Content-MD5",
        "Date",
        "Expect",
        "Host",
        "Max-Forwards",
        "Proxy-Authenticate",
        "Server",
        "Trailer",
        "Upgrade",
        "User-Agent",
        "WWW-Authenticate",
    )
)
#: Framing headers the gateway computes itself.
_DROPPED = frozenset({"content-length", "transfer-encoding"})


def malformed(reason: str) -> MalformedProxyResponse:
    return MalformedProxyResponse(f"Malformed Lambda proxy response: {reason}")


def _status(value: Any) -> int:
    if value is None:
        return 200
    if isinstance(value, bool):
        raise malformed(f"statusCode must be an integer, got {value!r}")
    if isinstance(value, int):
        status = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        digits = value.strip()
        if len(digits) > 10:
            # int() of a long string is slow or refused (Python's 4300-digit limit); no status is this long.
            raise malformed(f"statusCode {digits[:20]}... is not an HTTP status")
        status = int(digits)
    else:
        raise malformed(f"statusCode must be an integer or a numeric string, got {value!r}")
    if status == 0:
        return 200
    if not 100 <= status <= 599:
        raise malformed(f"statusCode {status} is not an HTTP status")
    return status


def _header_value(where: str, name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        raise malformed(
            f"{where} value of {name!r} must be a string or a boolean, got {type(value).__name__}"
        )
    if _FORBIDDEN_IN_VALUE.search(value):
        raise malformed(
            f"{where} value of {name!r} contains a control character (CR, LF or similar): {value!r}"
        )
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            # A lone surrogate (JSON allows "\ud800") has no bytes at all: nothing sensible to write.
            raise malformed(f"{where} value of {name!r} is not encodable text: {exc}") from exc
        # Pins a decision (AWS's handling is unconfirmed): non-ASCII values go out as UTF-8 bytes, which
        # HTTP allows as opaque octets; clients that follow RFC 9110's Latin-1 heritage may show mojibake.
        log.warning(
            "%s value of %r is not ASCII: written as UTF-8, which some clients decode as Latin-1", where, name
        )
    return value


def _header_name(where: str, name: str) -> str:
    if not _TOKEN.fullmatch(name):
        raise malformed(f"{where} name {name!r} is not a valid HTTP header name")
    return name


def _merge_headers(headers: Any, multi: Any) -> list[tuple[str, str]]:
    """``multiValueHeaders`` first, then ``headers`` merged in case-insensitively under the multi casing.

    Each value goes on its own header line, so several ``Set-Cookie`` survive; clients that fold
    repeated headers see AWS's ``value1, value2``.
    """
    if headers is not None and not isinstance(headers, dict):
        raise malformed(f"headers must be an object, got {type(headers).__name__}")
    if multi is not None and not isinstance(multi, dict):
        raise malformed(f"multiValueHeaders must be an object, got {type(multi).__name__}")
    merged: dict[str, tuple[str, list[str]]] = {}
    for name, values in (multi or {}).items():
        _header_name("multiValueHeaders", name)
        if not isinstance(values, list):
            raise malformed(
                f"multiValueHeaders value of {name!r} must be a list, got {type(values).__name__}"
            )
        entry = merged.setdefault(name.lower(), (name, []))
        entry[1].extend(_header_value("multiValueHeaders", name, v) for v in values)
    for name, value in (headers or {}).items():
        _header_name("headers", name)
        entry = merged.setdefault(name.lower(), (name, []))
        text = _header_value("headers", name, value)
        # The same value in both maps is one header, as AWS documents (reference 1.8).
        if text not in entry[1]:
            entry[1].append(text)
    wire: list[tuple[str, str]] = []
    for lower, (name, values) in merged.items():
        if lower in _DROPPED:
            continue
        wire_name = f"x-amzn-Remapped-{name}" if lower in _REMAPPED else name
        wire.extend((wire_name, value) for value in values)
    return wire


def accept_matches(accept: str | None, binary_media_types: tuple[str, ...]) -> bool:
    """Whether the gateway decodes a base64 body: only the first Accept type counts (validated, section 2)."""
    if not accept or not binary_media_types:
        return False
    listed = parse_list_header(accept)
    first = parse_options_header(listed[0])[0].lower() if listed else ""
    kind, slash, subtype = first.partition("/")
    if not slash or "*" in first:
        return False
    for pattern in binary_media_types:
        p_kind, _, p_subtype = pattern.lower().partition("/")
        if p_kind == kind and p_subtype in ("*", subtype):
            return True
    return False


def check_proxy_result(
    result: InvocationResult, *, accept: str | None, binary_media_types: tuple[str, ...]
) -> GatewayResponse:
    """The client's response for a Lambda proxy result, or ``MalformedProxyResponse`` (AWS's 502)."""
    if result.function_error is not None:
        error = result.error or {}
        raise MalformedProxyResponse(
            f"the function failed: {error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"
        )
    try:
        value = json.loads(result.payload)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # RecursionError: nesting the handler's thread could serialise may be too deep to parse here.
        raise malformed(f"the result is not JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise malformed(f"the result must be a JSON object, got {type(value).__name__}: {value!r:.80}")
    if not ALLOWED_KEYS.issuperset(value):
        listed = ", ".join(repr(key) for key in sorted(value.keys() - ALLOWED_KEYS))
        raise malformed(f"unexpected key {listed} (allowed: {', '.join(sorted(ALLOWED_KEYS))})")
    status = _status(value.get("statusCode"))
    headers = _merge_headers(value.get("headers"), value.get("multiValueHeaders"))
    body = value.get("body")
    if body is not None and not isinstance(body, str):
        raise malformed(f"body must be a string, got {type(body).__name__} (serialise it, e.g. json.dumps)")
    is_base64 = value.get("isBase64Encoded")
    if is_base64 is not None and not isinstance(is_base64, bool):
        raise malformed(f"isBase64Encoded must be a boolean, got {is_base64!r}")
    text = body or ""
    if is_base64 and accept_matches(accept, binary_media_types):
        try:
            payload = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise IntegrationFailure(
                f"isBase64Encoded is true but the body is not valid base64: {exc}"
            ) from exc
    else:
        payload = text.encode("utf-8", "replace")
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.insert(0, ("Content-Type", "application/json"))
    return GatewayResponse(status=status, headers=headers, body=payload)
