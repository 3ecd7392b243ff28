"""The test harness as a library; the pytest plugin (``emulator.pytest_plugin``) is thin glue over it.

- ``Harness``: a gateway in-process, built from a config path and code directory or from loaded
  definitions, with ``get``/``post``… that take ``httpx``'s arguments and answer
  ``GatewayResponseView`` (an ``httpx.Response``), ``invocations``, ``override()``;
  ``Harness.serve()`` / ``LiveServer`` put it on a real socket.
- ``proxy_event``, ``json_event``, ``lambda_context`` (and ``EventFactory``): the events and context a
  handler receives, built by the gateway's own code, for unit tests that call a handler directly.
- ``definitions_from_yaml``: definitions from a YAML snippet, validated like ``config/apig.yaml``.
- ``SigV4Signer``: botocore's SigV4 signer as an ``httpx``/``requests`` auth object, for ``AWS_IAM``
  methods (``Harness.signer``, ``sign_as=``).
"""

from emulator.events import RequestIds
from emulator.invocations import Invocation, Trigger
from emulator.testing.client import GatewayClient, GatewayResponseView
from emulator.testing.config import definitions_from_yaml
from emulator.testing.events import EventError, EventFactory, json_event, lambda_context, proxy_event
from emulator.testing.harness import Harness, LiveServer, Override
from emulator.testing.signing import SigV4Signer

__all__ = [
    "EventError",
    "EventFactory",
    "GatewayClient",
    "GatewayResponseView",
    "Harness",
    "Invocation",
    "LiveServer",
    "Override",
    "RequestIds",
    "SigV4Signer",
    "Trigger",
    "definitions_from_yaml",
    "json_event",
    "lambda_context",
    "proxy_event",
]
