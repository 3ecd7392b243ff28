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
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from emulator.cors_verdict import cors_verdict
from emulator.exchanges import Exchange
from emulator.request import GatewayRequest
from emulator.table import integration_label

if TYPE_CHECKING:
    from emulator.gateway import Gateway

#: Bodies longer than this are cut in what the page shows; the page is for reading, not archiving.
SHOWN_BODY_BYTES = 64 * 1024
#: Requests whose body is longer are not kept for replay, so the buffer stays small (bodies go to 10 MB).
REPLAYABLE_BODY_BYTES = 256 * 1024
DEFAULT_CAPACITY = 200

#: Set while the inspector replays a request, so the new record says which one it repeats.
_replaying: contextvars.ContextVar[int | None] = contextvars.ContextVar("apig_emu_replaying", default=None)


@dataclass
class Record:
    id: int
    #: The request as received, kept for replay; ``None`` when its body was too large to keep.
    request: GatewayRequest | None
    replay_of: int | None
    received_at: float
    #: The exchange, until ``shown`` is made from it.
    _exchange: Exchange | None = field(default=None, repr=False)
    _shown: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def shown(self) -> dict[str, Any]:
        """What the page shows (``record_json``), long bodies cut; made once, when first asked for."""
        if self._shown is None:
            assert self._exchange is not None
            self._shown = record_json(
                self.id,
                self.received_at,
                self._exchange,
                replayable=self.request is not None,
                replay_of=self.replay_of,
            )
            self._exchange = None
        return self._shown

    @property
    def method(self) -> str | None:
        return self.shown["request"]["method"] if self.shown["request"] else None

    @property
    def path(self) -> str | None:
        return self.shown["request"]["path"] if self.shown["request"] else None

    @property
    def status(self) -> int:
        status: int = self.shown["response"]["status"]
        return status


class Recorder:
    """A bounded ring buffer of exchanges, newest last; attach it to the gateway that serves."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._records: deque[Record] = deque(maxlen=capacity)
        self._ids = itertools.count(1)

    def attach(self, gateway: Gateway) -> None:
        """Listen to ``gateway``; idempotent, so the page can attach whenever it is used."""
        gateway.bus.subscribe(self.record)

    def record(self, exchange: Exchange) -> None:
        request = exchange.request
        # Nothing changes a request once answered; replay sends a copy.
        kept = request if request is not None and len(request.body) <= REPLAYABLE_BODY_BYTES else None
        record = Record(next(self._ids), kept, _replaying.get(), time.time(), exchange)
        if not _keep_as_is(exchange):
            record.shown  # noqa: B018  # made now: the exchange is large, or may still change
        self._records.append(record)

    def records(self, *, after: int = 0) -> list[Record]:
        """Records newer than ``after``, newest first."""
        return [record for record in reversed(self._records) if record.id > after]

    def get(self, record_id: int) -> Record | None:
        return next((record for record in self._records if record.id == record_id), None)

    def clear(self) -> None:
        self._records.clear()

    async def replay(self, gateway: Gateway, record: Record) -> None:
        """Send the recorded request through the gateway again, as a new request with new ids."""
        assert record.request is not None
        token = _replaying.set(record.id)
        try:
            await gateway.handle(replace(record.request, headers=list(record.request.headers), _lower=None))
        finally:
            _replaying.reset(token)


def _keep_as_is(exchange: Exchange) -> bool:
    """Whether the exchange may wait for the page to ask for it: most are never looked at.

    Not when it is large (the buffer must never hold a whole 10 MB body, response, event or log), nor
    when the function may still be running and changing its event (a timeout left it running).
    """
    request, invocation = exchange.request, exchange.invocation
    if request is not None and len(request.body) > SHOWN_BODY_BYTES // 2:  # the event's may be base64
        return False
    if len(exchange.response.body) > SHOWN_BODY_BYTES:
        return False
    if invocation is None:
        return True
    return not invocation.logs and not invocation.result.timed_out and exchange.error is None


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
            "target": match.method.integration.function or match.method.integration.mock_name,
        }
    gateway_error = None
    if exchange.error is not None:
        gateway_error = {
            "type": exchange.error.response_type,
            "status": exchange.error.status,
            "reason": exchange.error.reason,
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
            "path": request.raw_path,
            "query": request.query_string,
            "headers": [[name, value] for name, value in request.headers],
            **_body_json(request.body),
        },
        "route": route,
        "event": _shown_event(exchange.event),
        "function": invocation.function if invocation is not None else None,
        "logs": [line[:SHOWN_BODY_BYTES] for line in invocation.logs[-500:]]
        if invocation is not None
        else [],
        "functionError": invocation.error if invocation is not None else None,
        "traceback": invocation.traceback if invocation is not None else None,
        "gatewayError": gateway_error,
        "response": {
            "status": response.status,
            "headers": [[name, value] for name, value in response.headers],
            **_body_json(response.body),
        },
        "cors": {"allowed": verdict.allowed, "reason": verdict.reason, "preflight": verdict.preflight},
    }


def records_json(records: Iterable[Record]) -> str:
    return json.dumps([record.shown for record in records], default=str)


def _body_json(body: bytes) -> dict[str, Any]:
    shown = body[:SHOWN_BODY_BYTES]
    truncated = len(body) > SHOWN_BODY_BYTES
    try:
        text, encoding = shown.decode("utf-8"), "text"
    except UnicodeDecodeError:
        text, encoding = base64.b64encode(shown).decode(), "base64"
    return {"body": text, "bodyEncoding": encoding, "bodyTruncated": truncated, "bodyLength": len(body)}


def _shown_event(event: Any) -> Any:
    """The event as delivered, with a long ``body`` cut so one upload does not stall the page."""
    if (
        isinstance(event, dict)
        and isinstance(event.get("body"), str)
        and len(event["body"]) > SHOWN_BODY_BYTES
    ):
        return {**event, "body": event["body"][:SHOWN_BODY_BYTES] + "… (cut by the inspector)"}
    return event
