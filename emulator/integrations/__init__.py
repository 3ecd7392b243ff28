"""The registry of integration kinds: a method's ``integration.kind`` picks its implementation here.

MOCK, HTTP and the mapping-template variants slot in as further entries with the same signature.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.integrations.base import IntegrationHandler, Services
from emulator.integrations.cors_preflight import CorsPreflightIntegration
from emulator.integrations.lambda_custom import LambdaCustomIntegration
from emulator.integrations.lambda_proxy import LambdaProxyIntegration
from emulator.integrations.mock import MockIntegration
from emulator.model import AWS, AWS_PROXY, CORS_PREFLIGHT, MOCK

REGISTRY: dict[str, Callable[[Services], IntegrationHandler]] = {
    AWS_PROXY: LambdaProxyIntegration,
    AWS: LambdaCustomIntegration,
    CORS_PREFLIGHT: CorsPreflightIntegration,
    MOCK: MockIntegration,
}

__all__ = ["REGISTRY", "IntegrationHandler", "Services"]
