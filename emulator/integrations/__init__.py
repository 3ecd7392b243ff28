"""The registry of integration kinds: a method's ``integration.type`` picks its implementation here.

HTTP, HTTP_PROXY and AWS-service integrations slot in as further entries with the same two parts.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.context import RequestContext
from emulator.errors import IntegrationFailure
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

    async def request(self, ctx: RequestContext) -> None:
        assert ctx.match is not None
        integration = ctx.match.method.integration
        kind = self.kinds.get(integration.type)
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
