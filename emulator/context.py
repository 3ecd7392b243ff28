"""The state of one request as it moves along the chain; each step reads and fills its slots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.errors import GatewayError
from emulator.events import RequestIds
from emulator.invocations import Invocation
from emulator.request import GatewayRequest
from emulator.routing import RouteMatch


@dataclass
class RequestContext:
    ids: RequestIds
    #: Filled by parsing; ``None`` only when the request could not be read (e.g. too large).
    request: GatewayRequest | None = None
    #: Filled by routing: API, stage, resource, method and path parameters.
    match: RouteMatch | None = None
    #: The event the integration built for the function.
    event: Any = None
    #: The invocation, once the function was called.
    invocation: Invocation | None = None
    #: The gateway's own error, when one ended the request (for the inspector and its CORS verdict).
    error: GatewayError | None = None
