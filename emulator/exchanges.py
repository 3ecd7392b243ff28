"""A record of every request the gateway answered, whether or not a function ran.

``Invocation`` records only calls that reached a Lambda; a frontend developer's worst surprises (a 403
for a mistyped path, a preflight nobody answers) never get that far. The gateway reports each request
as an ``Exchange`` to its exchange listeners (the inspector is one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.errors import GatewayError
from emulator.events import RequestIds
from emulator.invocations import Invocation
from emulator.model import Function
from emulator.request import GatewayRequest
from emulator.response import GatewayResponse
from emulator.routing import RouteMatch

if TYPE_CHECKING:
    from emulator.integrations.base import BackendReply
    from emulator.integrations.http_client import OutboundRequest


# Built for every request: slotted rather than frozen, as ``routing.RouteMatch``.
@dataclass(slots=True)
class Exchange:
    ids: RequestIds
    #: ``None`` only if the request could not be read at all.
    request: GatewayRequest | None
    response: GatewayResponse
    duration_ms: float
    #: API, stage, resource and method, when routing found them.
    match: RouteMatch | None = None
    #: The event the integration built for a Lambda function (``None`` for MOCK and the CORS preflight).
    event: Any = None
    #: The Lambda function called, with its settings, and its invocation.
    function: Function | None = None
    invocation: Invocation | None = None
    #: The gateway's own error that produced the response, if any.
    error: GatewayError | None = None
    #: For a backend called over HTTP: the call as sent, and its answer before any mapping.
    outbound: OutboundRequest | None = None
    backend: BackendReply | None = None
    #: A Lambda authorizer's function and invocation, when the request called one (before the integration's).
    authorizer_function: Function | None = None
    authorizer_invocation: Invocation | None = None
    #: The authorize step's decision and why (``emulator.auth.step``), if the method has authorization.
    authorization: str | None = None
