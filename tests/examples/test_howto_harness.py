"""How to use the harness without its fixtures: another config per test, or another test runner.

``Harness`` is the class behind ``apig``; ``definitions_from_yaml`` validates a snippet exactly as
``apig-emu validate`` validates ``config/apig.yaml``.
"""

from __future__ import annotations

from emulator.testing import Harness, definitions_from_yaml

CONFIG = """
apis:
  shop: {}
functions:
  smart:
    handler: handlers_example.smart.handler
    triggers: [{api: shop, resource: /hello, method: POST}]
"""


def test_a_gateway_of_its_own() -> None:
    with Harness(definitions_from_yaml(CONFIG)) as apig:
        assert apig.post("/Prod/hello", json={"name": "Bo"}).json()["greeting"] == "Hello, Bo!"
        assert apig.invocations[-1].trigger.resource == "/hello"
