"""``Harness`` and ``LiveServer`` as a library, without the pytest plugin's fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from emulator.runtime.isolation import create_invoker
from emulator.testing import Harness, definitions_from_yaml
from tests.conftest import LAMBDAS
from tests.gate import Gate

CONFIG = """
apis:
  shop: {}
functions:
  echo:
    handler: cases.echo_event
    triggers: [{api: shop, resource: "/echo/{id}", method: GET, proxy: true}]
  plain:
    handler: cases.echo
    triggers: [{api: shop, resource: /plain, method: POST}]
  chatty:
    handler: cases.chatty
    triggers: [{api: shop, resource: /chatty, method: GET}]
"""


@pytest.fixture
def apig() -> Iterator[Harness]:
    with Harness(definitions_from_yaml(CONFIG, code_dir=LAMBDAS)) as harness:
        yield harness


def test_records_carry_what_the_function_saw_and_said(apig: Harness) -> None:
    assert apig.get("/Prod/chatty").json() == "ok"
    (chatty,) = apig.invocations
    assert chatty.function == "chatty"
    assert chatty.context["function_name"] == "chatty"
    assert chatty.logs[0] == "printed line"
    assert chatty.logs[1].startswith("[WARNING]\t") and chatty.logs[1].endswith("\tlogged warning")
    assert apig.invocations_of("chatty") == [chatty]
    assert apig.invocations_of("echo") == []


def test_override_undo_and_reset(apig: Harness) -> None:
    def fake(event: Any, context: Any) -> dict[str, Any]:
        return {"statusCode": 200, "body": "fake"}

    with apig.override("echo", fake):
        assert apig.get("/Prod/echo/1").text == "fake"
    assert apig.get("/Prod/echo/1").json()["pathParameters"] == {"id": "1"}
    apig.override("echo", fake)
    apig.reset()
    assert apig.invocations == [] and apig.exchanges == []
    assert apig.get("/Prod/echo/1").text != "fake"


def test_override_names_the_functions_when_one_is_unknown(apig: Harness) -> None:
    with pytest.raises(
        KeyError,
        match=r"no function 'ecko' \(did you mean 'echo'\?\); the functions are: chatty, echo, plain",
    ):
        apig.override("ecko", lambda event, context: None)


def test_an_override_gets_the_real_context_and_its_result_is_checked(apig: Harness) -> None:
    seen: list[Any] = []

    def fake(event: Any, context: Any) -> dict[str, Any]:
        seen.append(context.function_name)
        return {"statusCode": 200, "body": {"not": "a string"}}

    apig.override("echo", fake)
    assert apig.get("/Prod/echo/1").status == 502
    assert seen == ["echo"]
    assert "body must be a string" in (apig.invocations[-1].gateway_error or "")


def test_report_lists_requests_with_and_without_a_function(apig: Harness) -> None:
    assert apig.report() == "no requests reached the gateway"
    apig.override("plain", lambda event, context: 1 / 0)
    apig.post("/Prod/plain", params={"q": "1"})
    apig.get("/Prod/missing")
    report = apig.report().splitlines()
    assert report[0].startswith("[1] POST /Prod/plain?q=1 -> 200 (")
    assert "    POST /plain (stage Prod) -> function 'plain', request " in report[1]
    assert "      function error: ZeroDivisionError: division by zero" in report
    assert any(line.startswith("[2] GET /Prod/missing -> 403 (") for line in report)
    assert report[-1] == "    gateway: no resource of API 'shop' matches /missing (no function was invoked)"


def test_serve_puts_the_same_gateway_on_a_socket(apig: Harness) -> None:
    with apig.serve() as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        response = requests.get(server.url + "/Prod/echo/5", headers={"X-CaSe": "kept"})
        assert response.status_code == 200
        assert response.json()["headers"]["X-CaSe"] == "kept"
        assert server.invocations is apig.invocations
        assert len(apig.invocations) == 1
        other = Harness(definitions_from_yaml(CONFIG, code_dir=LAMBDAS))
        server.harness = other
        requests.get(server.url + "/Prod/echo/6")
        assert len(apig.invocations) == 1 and len(other.invocations) == 1
        other.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/Prod/echo/5", timeout=2)


def test_closing_is_idempotent_and_final() -> None:
    harness = Harness(definitions_from_yaml(CONFIG, code_dir=LAMBDAS))
    harness.close()
    harness.close()
    with pytest.raises(RuntimeError, match="closed"):
        harness.get("/Prod/echo/1")


def test_isolation_modes() -> None:
    assert type(create_invoker("thread")).__name__ == "ThreadInvoker"
    assert type(create_invoker("process")).__name__ == "ProcessInvoker"
    with pytest.raises(ValueError, match="unknown isolation 'vm'; choose one of: process, thread"):
        create_invoker("vm")


def test_report_shows_a_timeout_the_function_never_answered(gate: Gate) -> None:
    config = """
    apis: {shop: {}}
    functions:
      sleepy:
        handler: cases.sleepy
        triggers: [{api: shop, resource: /sleepy, method: POST, timeout_ms: 50}]
    """
    with Harness(definitions_from_yaml(config, code_dir=LAMBDAS)) as apig:
        assert apig.post("/Prod/sleepy", json={"gate": gate.port}).status == 504  # the gate stays shut
        report = apig.report().splitlines()
        [invocation] = apig.invocations
    assert invocation.function == "sleepy"
    assert invocation.event == {"gate": gate.port}
    assert (
        invocation.gateway_error == "function 'sleepy' did not answer within the integration timeout of 50 ms"
    )
    assert report[0].startswith("[1] POST /Prod/sleepy -> 504 (")
    assert report[1].startswith("    POST /sleepy (stage Prod) -> function 'sleepy', request ")
    assert report[3] == (
        "      gateway: function 'sleepy' did not answer within the integration timeout of 50 ms"
    )
