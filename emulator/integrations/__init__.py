"""The registry of integration kinds: a method's ``integration.type`` picks its implementation here.

Each kind is made once per gateway from its ``Backends``: what it calls through (the Lambda invoker,
the shared HTTP client). A new kind is one more entry with the same two parts. An ``AWS`` integration
is Lambda's (``lambda_custom``) unless its uri names another service's action or path
(``aws_service``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.aws.targets import is_service_uri
from emulator.context import RequestContext
from emulator.errors import IntegrationFailure
from emulator.integrations.aws_service import AwsServiceIntegration
from emulator.integrations.base import BackendReply, IntegrationKind
from emulator.integrations.http import HttpIntegration, HttpProxyIntegration
from emulator.integrations.http_client import HttpClient, OutboundRequest
from emulator.integrations.lambda_custom import LambdaCustomIntegration
from emulator.integrations.lambda_proxy import LambdaProxyIntegration
from emulator.integrations.mock import MockIntegration
from emulator.model import AWS, AWS_PROXY, HTTP, HTTP_PROXY, MOCK
from emulator.runtime.invoker import Invoker


@dataclass
class Backends:
    """What the kinds call through, shared by every request of one gateway and closed with it."""

    invoker: Invoker
    http: HttpClient = field(default_factory=HttpClient)
    #: Asynchronous (``Event``) Lambda invocations still running.
    background: set[asyncio.Task[None]] = field(default_factory=set)

    async def aclose(self) -> None:
        """Close what the gateway owns: the HTTP client's connections, and stop waiting for asynchronous
        invocations (the invoker, which runs them, is its creator's to close)."""
        for task in list(self.background):
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.http.aclose()


REGISTRY: dict[str, Callable[[Backends], IntegrationKind]] = {
    AWS_PROXY: lambda backends: LambdaProxyIntegration(backends.invoker, backends.background),
    AWS: lambda backends: LambdaCustomIntegration(backends.invoker, backends.background),
    HTTP: lambda backends: HttpIntegration(backends.http),
    HTTP_PROXY: lambda backends: HttpProxyIntegration(backends.http),
    MOCK: lambda backends: MockIntegration(),
}


class Integrations:
    """The chain's integration request and invoke steps, dispatched to the method's kind."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends
        self.kinds = {name: factory(backends) for name, factory in REGISTRY.items()}
        self.aws_service = AwsServiceIntegration(backends.http)

    async def request(self, ctx: RequestContext) -> None:
        assert ctx.match is not None
        integration = ctx.match.method.integration
        kind: IntegrationKind | None = self.kinds.get(integration.type)
        if integration.type == AWS and is_service_uri(integration.uri):
            kind = self.aws_service
        if kind is None:
            raise IntegrationFailure(
                f"{integration.describe()}: {integration.type} integrations are not executed yet"
            )
        ctx.kind = kind
        await kind.request(ctx)

    async def invoke(self, ctx: RequestContext) -> None:
        assert ctx.kind is not None
        await ctx.kind.invoke(ctx)


__all__ = [
    "REGISTRY",
    "BackendReply",
    "Backends",
    "HttpClient",
    "IntegrationKind",
    "Integrations",
    "OutboundRequest",
]
