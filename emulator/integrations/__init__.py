"""The registry of integration kinds: a method's ``integration.type`` picks its implementation here.

An ``AWS`` integration is Lambda's (``lambda_custom``) unless its uri names another service's action
or path (``aws_service``). HTTP and HTTP_PROXY slot in as further entries with the same two parts.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.aws.targets import is_service_uri
from emulator.context import RequestContext
from emulator.errors import IntegrationFailure
from emulator.integrations.aws_service import AwsServiceIntegration
from emulator.integrations.base import BackendReply, IntegrationKind
from emulator.integrations.lambda_custom import LambdaCustomIntegration
from emulator.integrations.lambda_proxy import LambdaProxyIntegration
from emulator.integrations.mock import MockIntegration
from emulator.model import AWS, AWS_PROXY, MOCK
from emulator.runtime.invoker import Invoker

REGISTRY: dict[str, Callable[[Invoker], IntegrationKind]] = {
    AWS_PROXY: LambdaProxyIntegration,
    AWS: LambdaCustomIntegration,
    MOCK: lambda invoker: MockIntegration(),
}


class Integrations:
    """The chain's integration request and invoke steps, dispatched to the method's kind."""

    def __init__(self, invoker: Invoker) -> None:
        self.kinds = {name: factory(invoker) for name, factory in REGISTRY.items()}
        self.aws_service = AwsServiceIntegration()

    async def aclose(self) -> None:
        """Close the connections the backends' clients keep (at shutdown, after the last request)."""
        await self.aws_service.aclose()

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


__all__ = ["REGISTRY", "BackendReply", "IntegrationKind", "Integrations"]
