"""Step 3 of the chain: the event a Lambda function receives, for proxy and non-proxy integrations.

The server and the public event factories (``emulator.testing``) both call these functions, so the
events a test builds by hand are the events the gateway delivers.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from werkzeug.http import parse_options_header

from emulator import ids
from emulator.errors import BadRequestBody
from emulator.model import EDGE
from emulator.request import GatewayRequest
from emulator.routing import RouteMatch

log = logging.getLogger("apig_emu.events")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: Request headers AWS does not pass to the integration (reference 1.3 and 1.8, recorded on a regional
#: API); the client's trace header is replaced by the request's trace, which continues it.
_DROPPED_HEADERS = frozenset(
    {
        "connection",
        "content-length",
        "content-md5",
        "expect",
        "max-forwards",
        "proxy-authenticate",
        "server",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "www-authenticate",
        "x-amzn-trace-id",
    }
)
#: Header names the edge normalises to this case, whatever the client sent (section 1.3).
_NORMALISED_NAMES = {"authorization": "Authorization", "user-agent": "User-Agent"}


# Built for every request: slotted rather than frozen, as ``routing.RouteMatch``.
@dataclass(slots=True)
class RequestIds:
    """The identifiers and clock of one request, shared by the event and the response headers."""

    request_id: str
    extended_request_id: str
    trace_id: str
    #: Epoch milliseconds at which the gateway received the request.
    epoch_ms: int


def request_time(epoch_ms: int) -> str:
    """``requestContext.requestTime``: ``09/Apr/2015:12:34:56 +0000``, English month whatever the locale."""
    return _request_time(epoch_ms // 1000)


@functools.lru_cache(maxsize=4)
def _request_time(epoch_s: int) -> str:
    # Whole seconds: the requests of one second share their text (formatting it costs more than building the event).
    moment = datetime.fromtimestamp(epoch_s, tz=timezone.utc)
    return f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:%S} +0000"


def media_type_matches(content_type: str | None, binary_media_types: tuple[str, ...]) -> bool:
    """Whether a request's Content-Type is one of the API's binary media types (``image/*``, ``*/*`` allowed)."""
    if not content_type or not binary_media_types:
        return False
    kind, _, subtype = parse_options_header(content_type)[0].lower().partition("/")
    for pattern in binary_media_types:
        p_kind, _, p_subtype = pattern.lower().partition("/")
        if p_kind in ("*", kind) and p_subtype in ("*", subtype):
            return True
    return False


@functools.lru_cache(maxsize=64)
def _edge_server(api_id: str) -> tuple[tuple[str, str], ...]:
    """CloudFront's headers that are the same for every request to one API: built once, not per request."""
    return (
        ("CloudFront-Forwarded-Proto", "http"),
        ("CloudFront-Is-Desktop-Viewer", "true"),
        ("CloudFront-Is-Mobile-Viewer", "false"),
        ("CloudFront-Is-SmartTV-Viewer", "false"),
        ("CloudFront-Is-Tablet-Viewer", "false"),
        ("CloudFront-Viewer-ASN", "16509"),
        ("CloudFront-Viewer-Country", "US"),
        ("Via", f"2.0 {ids.cloudfront_host(api_id)}.cloudfront.net (CloudFront)"),
    )


def edge_headers(api_id: str, request_id: str) -> list[tuple[str, str]]:
    """What CloudFront adds in front of an edge-optimized API (reference 1.8), as a desktop viewer sends it.

    The protocol is the local connection's, as X-Forwarded-Proto's is.
    """
    return [*_edge_server(api_id), ("X-Amz-Cf-Id", ids.cloudfront_id(request_id))]


def event_headers(
    request: GatewayRequest, trace_id: str, *, edge: tuple[str, str] | None
) -> list[tuple[str, str]]:
    """The request headers as the integration sees them, plus those the gateway (and CloudFront) add.

    ``edge``: the API's id and the request's, when CloudFront stands in front of the API.
    """
    headers = []
    forwarded_for = None
    for name, value in request.headers:
        lower = name.lower()
        if lower in _DROPPED_HEADERS:
            continue
        if lower == "x-forwarded-for":
            forwarded_for = value
            continue
        headers.append((_NORMALISED_NAMES.get(lower, name), value))
    if edge is not None:
        headers.extend(edge_headers(*edge))
    client = request.client_ip
    headers.append(("X-Amzn-Trace-Id", trace_id))
    headers.append(("X-Forwarded-For", f"{forwarded_for}, {client}" if forwarded_for else client))
    if request.server_port is not None:
        headers.append(("X-Forwarded-Port", str(request.server_port)))
    headers.append(("X-Forwarded-Proto", "http"))
    return headers


def _single_and_multi(
    pairs: list[tuple[str, str]],
) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """The last-value-wins map and the all-values map; both ``None`` when there are no pairs."""
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def encode_body(request: GatewayRequest, binary_media_types: tuple[str, ...]) -> tuple[str | None, bool]:
    """The body as the proxy event carries it: text, or base64 for binary media types.

    A body that is not valid UTF-8 outside the binary media types also goes base64 (a product
    decision, reference section 10): lossless here, mangled on AWS, so the log says so.
    """
    body = request.body
    if not body:
        return None, False
    if media_type_matches(request.header("content-type"), binary_media_types):
        return base64.b64encode(body).decode("ascii"), True
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        log.warning(
            "request body is not valid UTF-8 and its Content-Type %r is not in binary_media_types: "
            "passed base64-encoded; on AWS it would arrive mangled",
            request.header("content-type"),
        )
        return base64.b64encode(body).decode("ascii"), True


def build_proxy_event(
    request: GatewayRequest, match: RouteMatch, variables: Mapping[str, Any], trace_id: str
) -> dict[str, Any]:
    """The Lambda proxy integration's event (payload format 1.0), every key AWS sends (section 1).

    ``requestContext`` is the request's ``$context`` (``emulator.context``), copied: a handler that
    changes its event must not change what the gateway still reads.
    """
    headers, multi_headers = _single_and_multi(
        event_headers(
            request,
            trace_id,
            edge=(match.api.id, variables["requestId"]) if match.api.endpoint_type == EDGE else None,
        )
    )
    query, multi_query = _single_and_multi(request.query_pairs())
    body, is_base64 = encode_body(request, match.api.binary_media_types)
    stage = match.stage
    return {
        "resource": match.resource.path,
        "path": match.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": match.path_parameters,
        "stageVariables": dict(stage.variables) if stage.variables else None,
        "requestContext": {**variables, "identity": dict(variables["identity"])},
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


#: Made once: ``json.loads`` with ``parse_constant`` builds a decoder on every call.
_EVENT_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def build_json_event(request: GatewayRequest) -> Any:
    """The non-proxy event: the JSON body passed through, ``{}`` for an empty body (section 3.1)."""
    return json_event(request.body)


def json_event(body: bytes) -> Any:
    """``build_json_event`` of a body alone: the non-proxy step holds the mapped body, not a request
    carrying it (a copy of the request per call only to carry it cost a ``dataclasses.replace``)."""
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
        if text.startswith("\ufeff"):
            # What json.loads says before decoding, which the shared decoder alone would not.
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _EVENT_DECODER.decode(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # RecursionError: a body nested thousands deep (``[[[[…``) is a client's fault, not the emulator's.
        detail = f"Could not parse payload into json: {exc}"
        raise BadRequestBody(
            f"non-proxy integration needs a JSON body and there is no mapping template: {exc}",
            message=f"Could not parse request body into json: {detail}",
        ) from exc
