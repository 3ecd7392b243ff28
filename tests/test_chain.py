"""The gateway's shape: a pure deployment, the chain as a list of steps, and one guarded bus."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator

import pytest

from emulator.context import RequestContext
from emulator.deployment import deploy
from emulator.errors import MissingAuthenticationToken
from emulator.exchanges import Exchange
from emulator.table import format_table
from emulator.testing import Harness, definitions_from_yaml
from tests.conftest import LAMBDAS

CONFIG = """
apis:
  shop:
    stages: {Prod: {variables: {table: t}}}
    gateway_responses:
      DEFAULT_4XX:
        body: '{"domainName": "$context.domainName", "domainPrefix": "$context.domainPrefix", "stage": "$context.stage"}'
functions:
  echo:
    handler: cases.echo
    triggers:
      - {api: shop, resource: /items, method: GET, cors: true}
  echo_event:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: "/items/{id}", method: GET, proxy: true}
mocks:
  ping:
    body: pong
    triggers:
      - {api: shop, resource: /ping, method: GET, cors: true}
"""


@pytest.fixture
def apig() -> Iterator[Harness]:
    with Harness(definitions_from_yaml(CONFIG, code_dir=LAMBDAS)) as harness:
        yield harness


def test_deploying_and_serving_leave_the_definitions_as_loaded() -> None:
    definitions = definitions_from_yaml(CONFIG, code_dir=LAMBDAS)
    before = copy.deepcopy(definitions)
    deployment = deploy(definitions)
    with Harness(definitions) as apig:
        for path in ("/Prod/items", "/Prod/items/1", "/Prod/ping"):
            apig.get(path)
            apig.options(path)
    assert definitions == before
    assert deployment.definitions is definitions


def test_the_loaded_definitions_already_hold_the_preflights_enable_cors_creates() -> None:
    """``routes`` prints them from the definitions alone: no gateway is built for a side effect."""
    table = format_table(definitions_from_yaml(CONFIG, code_dir=LAMBDAS), "http://localhost:3000")
    rows = [line.split()[:3] for line in table.splitlines()[1:] if line.startswith("OPTIONS")]
    assert rows == [
        ["OPTIONS", "http://localhost:3000/Prod/items", "cors-preflight"],
        ["OPTIONS", "http://localhost:3000/Prod/ping", "cors-preflight"],
    ]


def test_the_chain_lists_its_steps_in_order(apig: Harness) -> None:
    names = [getattr(step, "__name__", type(step).__name__) for step in apig.gateway.chain]
    assert names == [
        "trace",
        "route",
        "authorize",
        "method_request",
        "request",
        "invoke",
        "integration_response",
        "method_response",
    ]


def test_a_new_step_is_one_entry_in_the_chain(apig: Harness) -> None:
    """What a validator or an authorizer will do: a step between routing and the integration."""

    async def deny_items(ctx: RequestContext) -> None:
        assert ctx.match is not None
        if ctx.match.resource.path == "/items":
            raise MissingAuthenticationToken("denied by a test step")

    chain = apig.gateway.chain
    apig.gateway.chain = (*chain[:2], deny_items, *chain[2:])
    assert apig.get("/Prod/items").status == 403
    assert apig.invocations == []
    assert apig.get("/Prod/items/1").status == 200
    assert apig.exchanges[0].error is not None
    assert apig.exchanges[0].error.reason == "denied by a test step"


def test_a_listener_that_raises_never_changes_the_answer(
    apig: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(exchange: Exchange) -> None:
        raise RuntimeError("a listener's bug")

    apig.gateway.bus.subscribe(broken)
    with caplog.at_level(logging.ERROR, logger="apig_emu.gateway"):
        response = apig.get("/Prod/items/1")
    assert response.status == 200
    assert "the request was answered all the same" in caplog.text
    assert "RuntimeError: a listener's bug" in caplog.text
    # Listeners after the broken one still hear of it.
    assert len(apig.invocations) == 1


def test_every_consumer_reads_one_context(apig: Harness) -> None:
    """The event's requestContext and a gateway response's ``$context`` agree: one ``$context`` per request."""
    host = {"Host": "shop.example:8443"}
    context = apig.get("/Prod/items/1", headers=host).json()["requestContext"]
    error = apig.get("/Prod/items/1/nowhere", headers=host).json()
    assert error == {"domainName": "shop.example", "domainPrefix": "shop", "stage": "Prod"}
    assert {key: context[key] for key in error} == error
