"""Test-harness building blocks: an in-process client, and (with the pytest plugin) fixtures."""

from emulator.testing.client import GatewayClient, GatewayResponseView

__all__ = ["GatewayClient", "GatewayResponseView"]
