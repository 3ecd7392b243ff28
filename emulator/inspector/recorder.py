"""The inspector's memory: the most recent exchanges, kept small, each ready to show and to replay.

Fed by the gateway's bus, so requests that never reached a function (a 403 for a
mistyped path, a preflight) are there too, each with its CORS verdict.
"""

from __future__ import annotations

import base64
import contextvars
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from emulator.cors_verdict import cors_verdict
from emulator.exchanges import Exchange
from emulator.inspector.truncation import cut_headers, cut_lines, cut_middle, cut_text, cut_value
from emulator.request import GatewayRequest
from emulator.table import integration_label

if TYPE_CHECKING:
    from emulator.gateway import Gateway

#: What one record keeps at most of each part; the README's inspector section gives these sizes.
#: Anything longer is cut and says so (``truncation.marker``): a body's ``bodyTruncated`` and
#: ``bodyLength``, the event's strings, the log's middle, the error's and traceback's middle.
BODY_BYTES = 64 * 1024
EVENT_BYTES = 128 * 1024
#: Of a function's output: the first and the last half of it.
LOG_BYTES = 128 * 1024
#: Of the error object, and of the traceback.
ERROR_BYTES = 64 * 1024
#: Of a header list (request or response), whose names and values are cut at ``TEXT_BYTES``.
HEADERS_BYTES = 32 * 1024
#: Of anything else: a path, a query string, a gateway error's reason.
TEXT_BYTES = 8 * 1024
#: Requests whose body is longer are not kept for replay (bodies go to 10 MB).
REPLAYABLE_BODY_BYTES = 256 * 1024
DEFAULT_CAPACITY = 200
#: All records together; the oldest go first. Counted as what the API would send for them (the
#: page's JSON, ASCII) plus the requests kept for replay, which is what they take in memory.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
#: An exchange kept as is (``_keep_as_is``) counts as if its request body took this many times its
#: size: a non-proxy event is that body parsed, and ``[{}, {}, …]`` takes ~25 times its text.
_PARSED_BODY_FACTOR = 25
#: A record's own objects and its ids, times and route, beyond its texts.
_RECORD_OVERHEAD = 2048
#: A request body, response headers or output this small let an exchange be kept as is.
_SMALL_BYTES = 8 * 1024

#: Set while the inspector replays a request, so the new record says which one it repeats.
_replaying: contextvars.ContextVar[int | None] = contextvars.ContextVar("apig_emu_replaying", default=None)


@dataclass(eq=False)
class Record:
    id: int
    #: The request as received, kept for replay; ``None`` when its body was too large to keep.
    request: GatewayRequest | None
    replay_of: int | None
    received_at: float
    method: str | None
    path: str | None
    status: int
    #: The bytes the recorder counts for this record (``Recorder.max_bytes``).
    size: int = 0
    #: Still in the recorder: not yet evicted or cleared, so a change of ``size`` counts.
    kept: bool = True
    #: The exchange, until ``_json`` is made from it.
    _exchange: Exchange | None = field(default=None, repr=False)
    #: What the API sends for it (``record_json``, encoded), once made.
    _json: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Page:
    """Records' JSON texts, newest first, and the id the next page ends before, if more remain."""

    texts: list[str]
    more_before: int | None

    def json(self) -> str:
        return "[" + ",".join(self.texts) + "]"


class Recorder:
    """A bounded ring buffer of exchanges, newest last; attach it to the gateway that serves.

    Bounded twice: at most ``capacity`` records, and at most ``max_bytes`` for all of them, each record
    cut to the sizes above, so that 200 requests whose handlers print for minutes cannot fill memory.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self._records: deque[Record] = deque()
        self._ids = itertools.count(1)
        #: The sum of the records' ``size``.
        self.kept_bytes = 0

    def attach(self, gateway: Gateway) -> None:
        """Listen to ``gateway``; idempotent, so the page can attach whenever it is used."""
        gateway.bus.subscribe(self.record)

    def record(self, exchange: Exchange) -> None:
        request = exchange.request
        # Nothing changes a request once answered; replay sends a copy.
        kept = request if request is not None and len(request.body) <= REPLAYABLE_BODY_BYTES else None
        record = Record(
            next(self._ids),
            kept,
            _replaying.get(),
            time.time(),
            method=request.method if request is not None else None,
            path=request.raw_path if request is not None else None,
            status=exchange.response.status,
            _exchange=exchange,
        )
        own = _request_size(kept) + _RECORD_OVERHEAD
        if _keep_as_is(exchange):
            record.size = own + _estimate(exchange)
        else:
            self._make_json(record)  # made now: the exchange is large, or may still change
            record.size = own + len(record._json or "")
        self._records.append(record)
        self.kept_bytes += record.size
        self._evict()

    def records(self, *, after: int = 0) -> list[Record]:
        """Records newer than ``after``, newest first."""
        return [record for record in reversed(self._records) if record.id > after]

    def page(self, *, after: int = 0, before: int | None = None, limit: int, max_bytes: int) -> Page:
        """The newest records between ``after`` and ``before`` (both excluded), newest first.

        At most ``limit`` of them and about ``max_bytes`` of JSON, though always one if there is one,
        so that any record can be read.
        """
        texts: list[str] = []
        used = 0
        last: int | None = None
        for record in self.records(after=after):
            if before is not None and record.id >= before:
                continue
            if len(texts) == limit:
                return Page(texts, more_before=last)
            text = self.json_text(record)
            if texts and used + len(text) > max_bytes:
                return Page(texts, more_before=last)
            texts.append(text)
            used += len(text)
            last = record.id
        return Page(texts, more_before=None)

    def json_text(self, record: Record) -> str:
        """What the API sends for ``record``: made when first asked for, then counted as it is."""
        if record._json is None:
            estimate = record.size
            self._make_json(record)
            record.size = _request_size(record.request) + _RECORD_OVERHEAD + len(record._json or "")
            if record.kept:
                self.kept_bytes += record.size - estimate
                self._evict()
        assert record._json is not None
        return record._json

    def get(self, record_id: int) -> Record | None:
        return next((record for record in self._records if record.id == record_id), None)

    def clear(self) -> None:
        for record in self._records:
            record.kept = False
        self._records.clear()
        self.kept_bytes = 0

    async def replay(self, gateway: Gateway, record: Record) -> None:
        """Send the recorded request through the gateway again, as a new request with new ids."""
        assert record.request is not None
        token = _replaying.set(record.id)
        try:
            await gateway.handle(replace(record.request, headers=list(record.request.headers), _lower=None))
        finally:
            _replaying.reset(token)

    def _make_json(self, record: Record) -> None:
        exchange = record._exchange
        assert exchange is not None
        shown = record_json(
            record.id,
            record.received_at,
            exchange,
            replayable=record.request is not None,
            replay_of=record.replay_of,
        )
        record._json = json.dumps(shown, default=str)
        record._exchange = None

    def _evict(self) -> None:
        """Drop the oldest records until both bounds hold; the newest stays, whatever its size."""
        while len(self._records) > self.capacity or (
            self.kept_bytes > self.max_bytes and len(self._records) > 1
        ):
            evicted = self._records.popleft()
            evicted.kept = False
            self.kept_bytes -= evicted.size


def _request_size(request: GatewayRequest | None) -> int:
    if request is None:
        return 0
    head = sum(len(name) + len(value) for name, value in request.headers)
    return len(request.body) + head + len(request.raw_path) + len(request.query_string)


def _estimate(exchange: Exchange) -> int:
    """What an exchange kept as is may hold: its request twice (request and event), parsed, and its answer."""
    response = exchange.response
    size = 2 * _request_size(exchange.request) + len(response.body)
    size += sum(len(name) + len(value) for name, value in response.headers)
    if exchange.request is not None:
        size += _PARSED_BODY_FACTOR * len(exchange.request.body)
    if exchange.invocation is not None:
        size += len(exchange.invocation.result.payload) + _logs_size(exchange.invocation.logs)
    if exchange.outbound is not None:
        size += len(exchange.outbound.body) + sum(
            len(name) + len(value) for name, value in exchange.outbound.headers
        )
    if exchange.backend is not None:
        size += len(exchange.backend.body) + sum(
            len(name) + len(value) for name, value in exchange.backend.headers
        )
    return size


def _keep_as_is(exchange: Exchange) -> bool:
    """Whether the exchange may wait for the page to ask for it: most are never looked at.

    Not when it is large (what the record would keep of it must be known now, and the buffer must
    never hold a whole 10 MB body, response, event or log), nor when the function may still be
    running and changing its event (a timeout left it running).
    """
    request, response, invocation = exchange.request, exchange.response, exchange.invocation
    if request is not None and len(request.body) > _SMALL_BYTES:
        return False
    if len(response.body) > BODY_BYTES:
        return False
    if sum(len(name) + len(value) for name, value in response.headers) > _SMALL_BYTES:
        return False
    if exchange.outbound is not None and len(exchange.outbound.body) > _SMALL_BYTES:
        return False
    if exchange.backend is not None and len(exchange.backend.body) > BODY_BYTES:
        return False
    if invocation is None:
        return True
    if len(invocation.result.payload) > BODY_BYTES or _logs_size(invocation.logs) > _SMALL_BYTES:
        return False
    return not invocation.result.timed_out and exchange.error is None


def _logs_size(lines: list[str]) -> int:
    """About what a function's output lines take: their text, and a string object each."""
    return sum(map(len, lines)) + 64 * len(lines)


def record_json(
    record_id: int, received_at: float, exchange: Exchange, *, replayable: bool, replay_of: int | None
) -> dict[str, Any]:
    """What the page shows for one exchange; plain JSON types only."""
    request = exchange.request
    response = exchange.response
    verdict = cors_verdict(request, response)
    invocation = exchange.invocation
    match = exchange.match
    route = None
    if match is not None:
        route = {
            "api": match.api.name,
            "apiId": match.api.id,
            "stage": match.stage.name,
            "resource": match.resource.path,
            "method": match.method.http_method,
            "integration": integration_label(match.method),
            "target": (
                match.method.integration.function
                or match.method.integration.mock_name
                or match.method.integration.name
            ),
        }
    gateway_error = None
    if exchange.error is not None:
        gateway_error = {
            "type": exchange.error.response_type,
            "status": exchange.error.status,
            "reason": cut_middle(exchange.error.reason, TEXT_BYTES),
        }
    return {
        "id": record_id,
        "replayOf": replay_of,
        "replayable": replayable,
        "time": datetime.fromtimestamp(received_at, timezone.utc).isoformat(timespec="milliseconds"),
        "requestId": exchange.ids.request_id,
        "durationMs": round(exchange.duration_ms, 1),
        "request": None
        if request is None
        else {
            "method": request.method,
            "path": cut_text(request.raw_path, TEXT_BYTES),
            "query": cut_text(request.query_string, TEXT_BYTES),
            "headers": cut_headers(request.headers, HEADERS_BYTES, TEXT_BYTES),
            **_body_json(request.body),
        },
        "route": route,
        "event": cut_value(exchange.event, EVENT_BYTES),
        "function": invocation.function if invocation is not None else None,
        "logs": cut_lines(invocation.logs, LOG_BYTES) if invocation is not None else [],
        "functionError": cut_value(invocation.error, ERROR_BYTES) if invocation is not None else None,
        "traceback": cut_middle(invocation.traceback, ERROR_BYTES)
        if invocation is not None and invocation.traceback is not None
        else None,
        "gatewayError": gateway_error,
        "integrationRequest": _outbound_json(exchange),
        "integrationResponse": None
        if exchange.backend is None
        else {
            "status": exchange.backend.status,
            "headers": cut_headers(exchange.backend.headers, HEADERS_BYTES, TEXT_BYTES),
            **_body_json(exchange.backend.body),
        },
        "authorizer": _authorizer_json(exchange),
        "authorization": cut_text(exchange.authorization, TEXT_BYTES) if exchange.authorization else None,
        "response": {
            "status": response.status,
            "headers": cut_headers(response.headers, HEADERS_BYTES, TEXT_BYTES),
            **_body_json(response.body),
        },
        "cors": {
            "allowed": verdict.allowed,
            "reason": cut_text(verdict.reason, TEXT_BYTES),
            "preflight": verdict.preflight,
        },
    }


#: Outbound headers whose value is a credential of the user's own AWS account (an AWS integration's
#: session token), never shown: the inspector's records are served to any page the host check admits.
_SECRET_HEADERS = frozenset({"x-amz-security-token"})
SECRET_SHOWN_AS = "(session token, not shown)"


def _outbound_json(exchange: Exchange) -> dict[str, Any] | None:
    """The call an HTTP, HTTP_PROXY or AWS integration made: what its mappings produced, as the backend got
    it (but for the session token a signed call carries)."""
    outbound = exchange.outbound
    if outbound is None:
        return None
    headers = [
        (name, SECRET_SHOWN_AS if name.lower() in _SECRET_HEADERS else value)
        for name, value in outbound.headers
    ]
    return {
        "method": outbound.method,
        "url": cut_text(outbound.url, TEXT_BYTES),
        "headers": cut_headers(headers, HEADERS_BYTES, TEXT_BYTES),
        **_body_json(outbound.body),
    }


def _body_json(body: bytes) -> dict[str, Any]:
    """The body's first ``BODY_BYTES``, as text if they are UTF-8 (not cut inside a character), else base64."""
    end = min(len(body), BODY_BYTES)
    while 0 < end < len(body) and body[end] & 0xC0 == 0x80:
        end -= 1
    shown = body[:end]
    try:
        text, encoding = shown.decode("utf-8"), "text"
    except UnicodeDecodeError:
        shown = body[:BODY_BYTES]
        text, encoding = base64.b64encode(shown).decode(), "base64"
    return {
        "body": text,
        "bodyEncoding": encoding,
        "bodyTruncated": len(shown) < len(body),
        "bodyLength": len(body),
    }


def _authorizer_json(exchange: Exchange) -> dict[str, Any] | None:
    """The Lambda authorizer this request called, its event and what it said (a cached answer calls none)."""
    invocation = exchange.authorizer_invocation
    if invocation is None:
        return None
    return {
        "function": invocation.function,
        "event": cut_value(invocation.event, EVENT_BYTES),
        "answer": cut_text(invocation.result.payload.decode("utf-8", "replace"), TEXT_BYTES),
        "logs": cut_lines(invocation.logs, LOG_BYTES),
        "functionError": cut_value(invocation.error, ERROR_BYTES),
    }
