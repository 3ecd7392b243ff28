"""Customised gateway responses: AWS's way to put CORS headers (and anything else) on the gateway's own errors."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from emulator.config import ConfigErrors, load_definitions
from emulator.errors import GatewayError
from emulator.model import GATEWAY_RESPONSE_TYPES
from emulator.testing import Harness
from tests.conftest import LAMBDAS, MakeHarness
from tests.gate import Gate

CONFIG = """
apis:
  shop:
    stages:
      Prod: {variables: {team: web}}
    gateway_responses:
      DEFAULT_4XX:
        headers:
          Access-Control-Allow-Origin: "'*'"
          X-Echo: method.request.header.X-Echo
          X-Query: method.request.querystring.q
          X-Team: stageVariables.team
          X-Request: context.requestId
      DEFAULT_5XX:
        status: 599
        headers: {Access-Control-Allow-Origin: "'https://app.example.com'"}
      INTEGRATION_TIMEOUT:
        headers: {Access-Control-Allow-Origin: "*"}
        body: '{"error": $context.error.messageString, "type": "$context.error.responseType", "stage": "$context.stage", "resource": "${context.resourcePath}", "team": "$stageVariables.team", "unknown": "$context.nope", "id": "$context.requestId", "raw": "$context.error.message"}'
  other:
    id: abcdefghij
functions:
  respond:
    handler: cases.respond
    triggers:
      - {api: shop, resource: /proxy, method: POST, proxy: true}
  sleepy:
    handler: cases.sleepy
    triggers:
      - {api: shop, resource: "/sleep/{who}", method: POST, timeout_ms: 50}
  echo:
    handler: cases.echo
    triggers:
      - {api: other, resource: /x, method: GET, stage: Dev}
"""


def malformed(harness: Harness) -> Any:
    return harness.post("/Prod/proxy", content=json.dumps({"result": {"body": {}}}))


def test_default_4xx_applies_to_a_missing_route(harness: Harness) -> None:
    response = harness.get("/Prod/nothing?q=1&q=2", headers={"X-Echo": "hi"})
    assert response.status_code == 403
    assert response.content == b'{"message":"Missing Authentication Token"}'
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Echo"] == "hi"
    assert response.headers["X-Query"] == "2"
    assert response.headers["X-Team"] == "web"
    assert response.headers["X-Request"] == response.headers["x-amzn-RequestId"]


def test_a_header_whose_source_is_absent_is_left_out(harness: Harness) -> None:
    response = harness.get("/Prod/nothing")
    assert "X-Echo" not in response.headers
    assert "X-Query" not in response.headers


def test_default_5xx_status_replaces_the_status_of_types_that_fall_back(harness: Harness) -> None:
    response = malformed(harness)
    assert response.status_code == 599
    # No template: AWS's default body, byte for byte.
    assert response.content == b'{"message": "Internal server error"}'
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"


def test_a_customised_type_is_taken_whole_with_its_template(harness: Harness, gate: Gate) -> None:
    response = harness.post("/Prod/sleep/ann", json={"gate": gate.port})  # only the timeout ends it
    # Its own entry, not DEFAULT_5XX: the status stays 504 and only its own headers apply.
    assert response.status_code == 504
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert response.json() == {
        "error": "Endpoint request timed out",
        "type": "INTEGRATION_TIMEOUT",
        "stage": "Prod",
        "resource": "/sleep/{who}",
        "team": "web",
        "unknown": "",
        "id": response.headers["x-amzn-RequestId"],
        "raw": "Endpoint request timed out",
    }


def test_another_api_keeps_the_defaults(harness: Harness) -> None:
    response = harness.get("/Dev/nothing", headers={"Host": "abcdefghij.execute-api.localhost"})
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers


def test_without_gateway_responses_errors_are_unchanged(make_harness: MakeHarness) -> None:
    harness = make_harness(
        """
        apis: {shop: {}}
        functions:
          respond:
            handler: cases.respond
            triggers: [{api: shop, resource: /proxy, method: POST, proxy: true}]
        """
    )
    assert malformed(harness).status_code == 502
    assert "Access-Control-Allow-Origin" not in harness.get("/Prod/nothing").headers


def test_every_error_class_names_an_aws_response_type() -> None:
    def subclasses(cls: type[GatewayError]) -> list[type[GatewayError]]:
        return [cls, *(sub for direct in cls.__subclasses__() for sub in subclasses(direct))]

    for error in subclasses(GatewayError):
        assert error.response_type in GATEWAY_RESPONSE_TYPES, error


def test_response_types_are_checked_with_a_suggestion(tmp_path: Path) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            apis:
              shop:
                gateway_responses:
                  DEFAULT_4xx: {}
                  DEFAULT_5XX:
                    status: 99
                    headers: {X-A: method.request.body.x}
            """
        )
    )
    with pytest.raises(ConfigErrors) as caught:
        load_definitions(config, code_dir=LAMBDAS)
    messages = [str(error).removeprefix(f"{config}:") for error in caught.value.errors]
    assert messages[0].startswith(
        "4: apis.shop.gateway_responses.DEFAULT_4xx: unknown gateway response type 'DEFAULT_4xx' "
        "(did you mean 'DEFAULT_4XX'?)"
    )
    assert (
        messages[1]
        == "6: apis.shop.gateway_responses.DEFAULT_5XX.status: expected an integer from 100 to 599, got 99"
    )
    assert messages[2].startswith(
        "7: apis.shop.gateway_responses.DEFAULT_5XX.headers.X-A: cannot map 'method.request.body.x'"
    )


def test_an_error_before_the_body_is_read_still_gets_the_apis_response(tmp_path: Path) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(
        "apis:\n  shop:\n    gateway_responses:\n      REQUEST_TOO_LARGE:\n"
        "        headers: {Access-Control-Allow-Origin: method.request.header.Origin}\n"
    )
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/Prod/upload",
        "query_string": b"",
        "headers": [(b"origin", b"http://localhost:8080"), (b"content-length", b"20000000")],
    }

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body is refused before it is read")

    with Harness(config, code_dir=LAMBDAS) as harness:
        response = harness.portal.call(harness.gateway.handle_scope, scope, receive)
    assert response.status == 413
    assert response.header("Access-Control-Allow-Origin") == "http://localhost:8080"
