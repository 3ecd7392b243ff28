"""``contentHandling`` and ``binaryMediaTypes``: whether a payload is text or binary, and converting it.

API Gateway sees every payload as text or binary: a request's by its ``Content-Type``, a backend's
answer by its own, either binary when the API's ``binaryMediaTypes`` lists it. Each side then has a
kind it wants: the integration's (request) or integration response's (response) ``contentHandling``
names it (``CONVERT_TO_TEXT``, ``CONVERT_TO_BINARY``); without one, a request stays what it is and a
response takes the kind of the client's first ``Accept`` media type, matched as for a Lambda proxy's
``isBase64Encoded`` (``proxy_response.accept_matches``, validated: a wildcard Accept never matches).
One conversion serves all four cases, as recorded against AWS (reference A.8):

- binary to binary, as it is; binary to text, base64-encoded;
- text to text, as UTF-8, so invalid bytes become U+FFFD (AWS mangles them so: the reason to list a
  type in ``binaryMediaTypes``);
- text to binary, base64-decoded; text that is not base64 is AWS's 500, a configuration error.

Non-proxy integrations convert at two hooks (the request mapping, the integration response step);
an HTTP_PROXY integration both ways without a ``contentHandling`` of its own (a decision: AWS's
conversions are recorded for non-proxy integrations). A Lambda proxy's ``isBase64Encoded`` is
another mechanism (``events``, ``proxy_response``).

A mapping template reads the converted payload as text (``$input.body`` of a binary one is its
base64 only after ``CONVERT_TO_TEXT``); a payload still binary after the conversion cannot be
mapped, the 500 AWS answers for ``CONVERT_TO_BINARY`` with a template (reference A.8).

The gateway keeps the client's own body on ``ctx.request`` (the inspector and the harness show what
was sent); what the integration receives is ``ctx.integration_body``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from emulator.context import RequestContext
from emulator.errors import ApiConfigurationError
from emulator.events import media_type_matches
from emulator.model import IntegrationResponse
from emulator.proxy_response import accept_matches

if TYPE_CHECKING:
    # The integration kinds import this module (their request mapping converts through it).
    from emulator.integrations.base import BackendReply

CONVERT_TO_BINARY = "CONVERT_TO_BINARY"

log = logging.getLogger("apig_emu.integration")

#: A backend answer without a Content-Type: a Lambda function's, whose Invoke answers JSON (a MOCK has no payload).
_BACKEND_DEFAULT_TYPE = "application/json"
#: How much of a payload a 500's log line quotes.
_QUOTED = 80


class Unconvertible(ValueError):
    """A payload that cannot take the kind wanted: text that is not base64, binary that a template should read."""


def integration_body(ctx: RequestContext) -> bytes:
    """The request's body as the integration receives it: after ``request_payload``, else the client's."""
    assert ctx.request is not None
    return ctx.request.body if ctx.integration_body is None else ctx.integration_body


def request_payload(ctx: RequestContext, *, templated: bool) -> bytes:
    """Convert the client's body for the integration (kept on ``ctx.integration_body``) and return it.

    ``templated``: a request template applies, so the result must be text it can read.
    """
    assert ctx.request is not None and ctx.match is not None
    integration = ctx.match.method.integration
    content_type = ctx.request.header("content-type")
    handling = integration.content_handling
    try:
        body = convert_request(ctx.request.body, content_type, ctx.match.api.binary_media_types, handling)
        if templated:
            readable(body)
    except Unconvertible as exc:
        raise ApiConfigurationError(
            f"the request body ({content_type or 'no Content-Type'}) of {integration.describe()} with "
            f"{_named(handling)}: {exc}"
        ) from None
    ctx.integration_body = body
    return body


def response_payload(ctx: RequestContext, chosen: IntegrationResponse, *, templated: bool) -> BackendReply:
    """The backend's answer with its body converted for the client (also left on ``ctx.backend``).

    ``templated``: a response template applies, so the result must be text it can read.
    """
    assert ctx.request is not None and ctx.match is not None and ctx.backend is not None
    backend = ctx.backend
    content_type = _header(backend.headers, "content-type") or _BACKEND_DEFAULT_TYPE
    accept = ctx.request.header("accept")
    try:
        body = convert_response(
            backend.body, content_type, accept, ctx.match.api.binary_media_types, chosen.content_handling
        )
        if templated:
            readable(body)
    except Unconvertible as exc:
        raise ApiConfigurationError(
            f"the integration response {chosen.status} ({content_type}, Accept {accept!r}) of "
            f"{ctx.match.method.integration.describe()} with {_named(chosen.content_handling)}: {exc}"
        ) from None
    if body is not backend.body:
        backend = ctx.backend = replace(backend, body=body)
    return backend


def proxied_body(ctx: RequestContext, reply: BackendReply) -> bytes:
    """An HTTP_PROXY backend's body for the client: no integration response, so no contentHandling; the
    first Accept type decides, as for a non-proxy response without one (a decision: unrecorded for proxies)."""
    assert ctx.request is not None and ctx.match is not None
    content_type = _header(reply.headers, "content-type") or _BACKEND_DEFAULT_TYPE
    accept = ctx.request.header("accept")
    try:
        return convert_response(reply.body, content_type, accept, ctx.match.api.binary_media_types, None)
    except Unconvertible as exc:
        raise ApiConfigurationError(
            f"the answer ({content_type}, Accept {accept!r}) of {ctx.match.method.integration.describe()}: {exc}"
        ) from None


def convert_request(
    body: bytes, content_type: str | None, binary_media_types: tuple[str, ...], handling: str | None
) -> bytes:
    """A request body as the integration receives it: its own kind unless ``handling`` names one."""
    binary = _is_binary(content_type, binary_media_types)
    wants_binary = binary if handling is None else handling == CONVERT_TO_BINARY
    return _converted(body, binary, wants_binary, f"a request body of type {content_type!r}")


def convert_response(
    body: bytes,
    content_type: str,
    accept: str | None,
    binary_media_types: tuple[str, ...],
    handling: str | None,
) -> bytes:
    """A backend's body as the client receives it: the first Accept type's kind unless ``handling`` names one."""
    binary = _is_binary(content_type, binary_media_types)
    if handling is None:
        wants_binary = _accepts_binary(accept, binary_media_types)
    else:
        wants_binary = handling == CONVERT_TO_BINARY
    return _converted(body, binary, wants_binary, f"a backend's answer of type {content_type!r}")


def readable(body: bytes) -> None:
    """Refuse a payload a template cannot read: one that is not text (UTF-8) after the conversion."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise Unconvertible(
            "a mapping template applies and reads text, but the payload is binary (a template reads a binary "
            "payload as base64 with contentHandling CONVERT_TO_TEXT)"
        ) from None


def to_binary(text: bytes) -> bytes:
    """Base64 text decoded: padding optional, whitespace around it ignored, nothing else outside the alphabet.

    A JSON string of base64 (what a non-proxy Lambda function returning a ``str`` answers, quotes
    included) is decoded from its value, the usual way to serve binary from such a function; how AWS
    treats the quotes is not recorded (a decision).
    """
    stripped = text.strip()
    if stripped.startswith(b'"'):
        try:
            value = json.loads(stripped)
        except ValueError:
            value = None
        if isinstance(value, str):
            stripped = value.encode("utf-8", "replace")
    if len(stripped) % 4 == 1:
        raise Unconvertible(f"text to convert to binary is not base64 (its length): {text[:_QUOTED]!r}")
    try:
        return base64.b64decode(stripped + b"=" * (-len(stripped) % 4), validate=True)
    except binascii.Error as exc:
        raise Unconvertible(f"text to convert to binary is not base64 ({exc}): {text[:_QUOTED]!r}") from None


# Parsing a media type costs microseconds a request, and clients send the same few headers again and again.
_is_binary = functools.lru_cache(maxsize=256)(media_type_matches)
_accepts_binary = functools.lru_cache(maxsize=256)(accept_matches)


def _converted(body: bytes, binary: bool, wants_binary: bool, what: str) -> bytes:
    if binary:
        return body if wants_binary else base64.b64encode(body)
    return to_binary(body) if wants_binary else _as_text(body, what)


def _as_text(body: bytes, what: str) -> bytes:
    """The body read as UTF-8, as AWS reads text: each invalid sequence becomes U+FFFD.

    The log says so: a file that arrives corrupted is the surprise binaryMediaTypes exist to prevent.
    """
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        log.warning(
            "%s is not valid UTF-8 and the type is not in binary_media_types: read as text, as AWS does, "
            "each invalid byte sequence replaced by U+FFFD; list the type to pass the bytes intact",
            what,
        )
        return body.decode("utf-8", "replace").encode("utf-8")
    return body


def _named(handling: str | None) -> str:
    return f"contentHandling {handling}" if handling else "no contentHandling"


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None
