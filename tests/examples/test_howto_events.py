"""How to unit-test a handler by calling it directly, with the events the gateway would deliver.

``proxy_event``, ``json_event`` and ``lambda_context`` are built by the gateway's own code, so they
are what the handler gets behind ``apig-emu serve`` (a test in ``tests/test_testing_events.py``
compares them byte for byte). No config is needed; with one, the request is routed as the server
routes it.
"""

from __future__ import annotations

import json

from emulator.testing import Harness, json_event, lambda_context, proxy_event
from handlers_example import items, smart


def test_a_proxy_handler_called_directly() -> None:
    event = proxy_event(
        "GET", "/Prod/items/1", resource="/items/{id}", stage_variables={"table": "items-prod"}
    )
    response = items.handler(event, lambda_context("items"))
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["name"] == "teapot"


def test_a_non_proxy_handler_called_directly() -> None:
    event = json_event("POST", "/Prod/smartpath", json={"name": "Ann"})
    result = smart.handler(event, lambda_context("smart", timeout=3))
    assert result["greeting"] == "Hello, Ann!"
    assert result["function"] == "smart"


def test_events_routed_under_the_projects_config(apig: Harness) -> None:
    # apig.events routes under the fixture's config: here, the greedy catch-all.
    event = apig.events.proxy("GET", "/Prod/some/where", query={"a": "1"})
    assert event["resource"] == "/{proxy+}"
    assert event["pathParameters"] == {"proxy": "some/where"}
