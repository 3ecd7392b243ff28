"""``contentHandling`` and ``binaryMediaTypes`` for non-proxy integrations: text or binary, and converting between them.

API Gateway sees every payload as text or binary: a request's by its ``Content-Type``, a backend's
answer by its own, either binary when the API's ``binaryMediaTypes`` lists it. Each side then has a
kind it wants: the integration's (request) or integration response's (response) ``contentHandling``
names it (``CONVERT_TO_TEXT``, ``CONVERT_TO_BINARY``); without one, a request stays what it is and a
response takes the kind of the client's first ``Accept`` media type, matched as for a Lambda proxy's
``isBase64Encoded`` (``proxy_response.accept_matches``, validated: a wildcard Accept never matches). One conversion serves all four
cases, as recorded against AWS (reference A.8):

- binary to binary, as it is; binary to text, base64-encoded;
- text to text, as UTF-8, so invalid bytes become U+FFFD (AWS mangles them so: the reason to list a
  type in ``binaryMediaTypes``);
- text to binary, base64-decoded; text that is not base64 is AWS's 500, a configuration error.

A mapping template reads the converted payload as text (``$input.body`` of a binary one is its
base64 only after ``CONVERT_TO_TEXT``); a payload still binary after the conversion cannot be
mapped, the 500 AWS answers for ``CONVERT_TO_BINARY`` with a template (reference A.8).

The gateway keeps the client's own body on ``ctx.request`` (the inspector and the harness show what
was sent); what the integration receives is ``ctx.integration_body``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import replace

from emulator.context import RequestContext
from emulator.errors import ApiConfigurationError
from emulator.events import media_type_matches
from emulator.integrations.base import BackendReply
from emulator.model import IntegrationResponse
from emulator.proxy_response import accept_matches

CONVERT_TO_BINARY = "CONVERT_TO_BINARY"
CONVERT_TO_TEXT = "CONVERT_TO_TEXT"

#: A backend answer without a Content-Type: a Lambda function's, whose Invoke answers JSON (a MOCK has no payload).
_BACKEND_DEFAULT_TYPE = "application/json"
#: How much of a payload a 500's log line quotes.
_QUOTED = 80


class Unconvertible(ValueError):
    """Text that should become binary and is not base64."""


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
    where = f"the request body ({content_type or 'no Content-Type'}) of {integration.describe()}"
    body = convert_request(
        ctx.request.body, content_type, ctx.match.api.binary_media_types, integration.content_handling, where
    )
    if templated:
        _readable(body, integration.content_handling, f"{where}: its request template")
    ctx.integration_body = body
    return body


def response_payload(ctx: RequestContext, chosen: IntegrationResponse, *, templated: bool) -> BackendReply:
    """The backend's answer with its body converted for the client (also left on ``ctx.backend``).

    ``templated``: a response template applies, so the result must be text it can read.
    """
    assert ctx.request is not None and ctx.match is not None and ctx.backend is not None
    backend = ctx.backend
    content_type = _header(backend.headers, "content-type") or _BACKEND_DEFAULT_TYPE
    where = f"the integration response {chosen.status} ({content_type}) of {ctx.match.method.integration.describe()}"
    body = convert_response(
        backend.body,
        content_type,
        ctx.request.header("accept"),
        ctx.match.api.binary_media_types,
        chosen.content_handling,
        where,
    )
    if templated:
        _readable(body, chosen.content_handling, f"{where}: its response template")
    if body is not backend.body:
        backend = ctx.backend = replace(backend, body=body)
    return backend


def convert_request(
    body: bytes,
    content_type: str | None,
    binary_media_types: tuple[str, ...],
    handling: str | None,
    where: str = "the request body",
) -> bytes:
    """A request body as the integration receives it: its own kind unless ``handling`` names one."""
    binary = media_type_matches(content_type, binary_media_types)
    wants_binary = binary if handling is None else handling == CONVERT_TO_BINARY
    return _converted(body, binary, wants_binary, handling, where)


def convert_response(
    body: bytes,
    content_type: str,
    accept: str | None,
    binary_media_types: tuple[str, ...],
    handling: str | None,
    where: str = "the integration response",
) -> bytes:
    """A backend's body as the client receives it: the first Accept type's kind unless ``handling`` names one."""
    binary = media_type_matches(content_type, binary_media_types)
    if handling is None:
        wants_binary = accept_matches(accept, binary_media_types)
    else:
        wants_binary = handling == CONVERT_TO_BINARY
    return _converted(body, binary, wants_binary, handling, where)


def to_binary(text: bytes) -> bytes:
    """Base64 text decoded (padding optional, nothing outside the alphabet allowed).

    A JSON string of base64 (what a Lambda function returning a ``str`` answers, quotes included) is
    decoded from its value: the documented way to serve binary from a non-proxy Lambda function.
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
        raise Unconvertible("its length is not that of base64")
    try:
        return base64.b64decode(stripped + b"=" * (-len(stripped) % 4), validate=True)
    except binascii.Error as exc:
        raise Unconvertible(str(exc)) from None


def _converted(body: bytes, binary: bool, wants_binary: bool, handling: str | None, where: str) -> bytes:
    if binary:
        return body if wants_binary else base64.b64encode(body)
    if not wants_binary:
        return _as_text(body)
    try:
        return to_binary(body)
    except Unconvertible as exc:
        raise ApiConfigurationError(
            f"{where} is text to convert to binary ({_named(handling)}), and is not base64 ({exc}): "
            f"{body[:_QUOTED]!r}"
        ) from None


def _as_text(body: bytes) -> bytes:
    """The body read as UTF-8, as AWS reads text: each invalid sequence becomes U+FFFD."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("utf-8", "replace").encode("utf-8")
    return body


def _readable(body: bytes, handling: str | None, where: str) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiConfigurationError(
            f"{where} reads text and the payload is binary after {_named(handling)}; a template reads a "
            "binary payload as base64 with contentHandling CONVERT_TO_TEXT"
        ) from None


def _named(handling: str | None) -> str:
    return f"contentHandling {handling}" if handling else "no contentHandling"


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None
