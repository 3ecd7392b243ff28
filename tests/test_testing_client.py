"""The in-process client's trip to the event loop: one per request, and never a silent hang."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal

from emulator.testing import GatewayClient, Harness, definitions_from_yaml
from emulator.testing.client import LoopCaller
from tests.conftest import LAMBDAS

CONFIG = """
apis:
  shop: {}
functions:
  echo:
    handler: cases.echo_event
    triggers: [{api: shop, resource: "/echo/{id}", method: GET, proxy: true}]
"""


@pytest.fixture
def apig() -> Iterator[Harness]:
    with Harness(definitions_from_yaml(CONFIG, code_dir=LAMBDAS)) as harness:
        yield harness


def test_a_request_from_the_event_loops_own_thread_is_refused_rather_than_waiting_forever(
    apig: Harness,
) -> None:
    assert apig.get("/Prod/echo/1").status_code == 200
    with pytest.raises(RuntimeError, match="from its own thread"):
        apig.client.run(lambda: apig.get("/Prod/echo/2"))
    assert apig.get("/Prod/echo/3").status_code == 200


def test_a_request_after_the_event_loop_stopped_says_so() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with start_blocking_portal() as portal:
        client = GatewayClient(app, portal=portal)
        assert client.get("/").status_code == 204
    with pytest.raises(RuntimeError, match="event loop of this client's portal has stopped"):
        client.get("/")


def test_the_apps_exception_reaches_the_caller_as_it_was_raised() -> None:
    class Broken(Exception):
        pass

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise Broken("the app failed")

    with GatewayClient(app) as client, pytest.raises(Broken, match="the app failed"):
        client.get("/")


def test_one_caller_per_event_loop_shared_by_every_client_on_it() -> None:
    with start_blocking_portal() as portal:
        assert LoopCaller.of(portal) is LoopCaller.of(portal)
        with start_blocking_portal() as other:
            assert LoopCaller.of(other) is not LoopCaller.of(portal)


def test_closing_closes_the_invoker_even_when_the_gateway_fails_to_close() -> None:
    harness = Harness(definitions_from_yaml(CONFIG, code_dir=LAMBDAS))
    assert harness.get("/Prod/echo/1").status_code == 200
    closed: list[str] = []
    invoker_aclose = harness.invoker.aclose

    async def gateway_fails() -> None:
        raise OSError("the backends' connections would not close")

    async def invoker_closes() -> None:
        closed.append("invoker")
        await invoker_aclose()

    harness.gateway.aclose = gateway_fails  # type: ignore[method-assign]
    harness.invoker.aclose = invoker_closes  # type: ignore[method-assign]
    with pytest.raises(OSError, match="would not close"):
        harness.close()
    assert closed == ["invoker"]
    with pytest.raises(RuntimeError, match="closed"):
        harness.get("/Prod/echo/1")
