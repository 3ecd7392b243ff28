"""The event factories: byte for byte the events the gateway delivers, and clear refusals otherwise."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.config import ConfigErrors
from emulator.events import RequestIds
from emulator.testing import (
    EventError,
    Harness,
    definitions_from_yaml,
    json_event,
    lambda_context,
    proxy_event,
)
from tests.conftest import LAMBDAS

CONFIG = """
apis:
  shop:
    binary_media_types: [image/png]
    stages:
      Prod:
        variables: {table: items-prod}
  other:
    stages: {Prod: {}}
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: "/items/{id}", method: GET, proxy: true, cors: true}
      - {api: shop, resource: /items, method: ANY, proxy: true}
      - {api: shop, resource: "/files/{proxy+}", method: PUT, proxy: true}
      - {api: other, resource: /items, method: GET, proxy: true}
  plain:
    handler: cases.echo
    triggers:
      - {api: shop, resource: /plain, method: POST}
"""

#: The per-request values, pinned for both sides of each comparison.
FIXED = RequestIds(
    request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    extended_request_id="LgbqcF8ZoAMEk2A=",
    trace_id="Root=1-5e1b4151-5ac6c58f3b29ed4c4b6a3d1e",
    epoch_ms=1_700_000_000_123,
)


@pytest.fixture
def definitions() -> Any:
    return definitions_from_yaml(CONFIG, code_dir=LAMBDAS)


@pytest.fixture
def apig(definitions: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    monkeypatch.setattr("emulator.gateway.new_ids", lambda now=None: FIXED)
    with Harness(definitions) as harness:
        yield harness


OTHER_API_HOST = "{other}.execute-api.localhost:3000"

#: Requests as the factory's keywords; ``params`` and ``content`` are the client's names for two of them.
REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/Prod/items/1", {}),
    ("GET", "/Prod/items/a%2Bb%20c", {"query": [("a", "1"), ("a", "2"), ("b", ""), ("c", "x y")]}),
    (
        "GET",
        "/Prod/items/1",
        {
            "headers": [
                ("tEsT-HEADeR", "kept as written"),
                ("X-Multi", "1"),
                ("X-Multi", "2"),
                ("authorization", "Bearer t"),
                ("user-agent", "my-app/1.0"),
                ("X-Forwarded-For", "203.0.113.9"),
            ]
        },
    ),
    ("POST", "/Prod/items", {"json": {"name": "teapot", "price": 418}}),
    ("DELETE", "/Prod/items/", {}),
    ("PUT", "/Prod/files/a/b.png", {"body": b"\x89PNG\r\n", "headers": {"Content-Type": "image/png"}}),
    ("PUT", "/Prod/files/raw", {"body": b"\xff\xfe not utf-8", "headers": {"Content-Type": "text/plain"}}),
    ("GET", "/Prod/items", {"headers": {"Host": OTHER_API_HOST}}),
]


def _client_options(options: dict[str, Any], definitions: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same request as keywords for the factory and for the httpx client."""
    factory = dict(options)
    headers = factory.get("headers")
    if isinstance(headers, dict) and headers.get("Host") == OTHER_API_HOST:
        factory["headers"] = {"Host": OTHER_API_HOST.format(other=definitions.apis["other"].id)}
    client = {{"query": "params", "body": "content"}.get(key, key): value for key, value in factory.items()}
    return factory, client


@pytest.mark.parametrize(("method", "path", "options"), REQUESTS, ids=[f"{m} {p}" for m, p, _ in REQUESTS])
def test_proxy_event_is_byte_for_byte_what_the_handler_receives(
    apig: Harness, definitions: Any, method: str, path: str, options: dict[str, Any]
) -> None:
    factory_options, client_options = _client_options(options, definitions)
    response = apig.request(method, path, **client_options)
    assert response.status == 200, response.text
    built = proxy_event(method, path, config=definitions, ids=FIXED, **factory_options)
    # What the handler got, serialised by the handler itself, against the factory's event.
    assert response.text == json.dumps(built)
    assert json.dumps(apig.invocations[-1].event) == json.dumps(built)


@pytest.mark.parametrize(
    "options", [{"json": {"name": "Ann", "tags": [1, 2]}}, {"body": "  "}, {"body": '"just a string"'}, {}]
)
def test_json_event_is_what_a_non_proxy_handler_receives(
    apig: Harness, definitions: Any, options: dict[str, Any]
) -> None:
    _, client_options = _client_options(options, definitions)
    response = apig.post("/Prod/plain", **client_options)
    built = json_event("POST", "/Prod/plain", config=definitions, **options)
    assert response.text == json.dumps(built)
    assert apig.invocations[-1].event == built


def test_the_harness_factory_uses_its_definitions(apig: Harness) -> None:
    apig.get("/Prod/items/7")
    assert apig.events.proxy("GET", "/Prod/items/7", ids=FIXED) == apig.invocations[-1].event


def test_a_config_path_is_loaded_like_the_server_loads_it(tmp_path: Any) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(CONFIG)
    event = proxy_event("GET", "/Prod/items/9", config=config, code_dir=LAMBDAS)
    assert event["pathParameters"] == {"id": "9"}
    assert event["stageVariables"] == {"table": "items-prod"}


def test_without_config_the_trigger_is_described_inline() -> None:
    event = proxy_event(
        "POST",
        "/Dev/items/7",
        resource="/items/{id}",
        stage_variables={"table": "t"},
        json={"a": 1},
    )
    assert event["resource"] == "/items/{id}"
    assert event["pathParameters"] == {"id": "7"}
    assert event["requestContext"]["stage"] == "Dev"
    assert event["stageVariables"] == {"table": "t"}
    assert event["body"] == '{"a":1}'
    assert event["headers"]["Content-Type"] == "application/json"


def test_without_resource_the_path_is_the_resource() -> None:
    event = proxy_event("GET", "/Prod/health", query={"verbose": "1"})
    assert event["resource"] == "/health"
    assert event["pathParameters"] is None
    assert event["queryStringParameters"] == {"verbose": "1"}


def test_binary_media_types_inline() -> None:
    event = proxy_event(
        "PUT",
        "/Prod/img",
        body=b"\x89PNG",
        headers={"Content-Type": "image/png"},
        binary_media_types=["image/*"],
    )
    assert event["isBase64Encoded"] is True
    assert event["body"] == "iVBORw=="


def test_defaults_are_the_in_process_clients() -> None:
    event = proxy_event("GET", "/Prod/x")
    assert event["headers"]["Host"] == "localhost:3000"
    assert event["headers"]["User-Agent"].startswith("python-httpx/")
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["headers"]["X-Forwarded-Port"] == "3000"
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    other = proxy_event("GET", "/Prod/x", client_ip="198.51.100.7", base_url="http://api.test:8080")
    assert other["headers"]["Host"] == "api.test:8080"
    assert other["requestContext"]["identity"]["sourceIp"] == "198.51.100.7"


def test_ids_and_time_are_fresh_unless_pinned() -> None:
    before = int(time.time() * 1000)
    first, second = proxy_event("GET", "/Prod/x"), proxy_event("GET", "/Prod/x")
    after = int(time.time() * 1000)
    assert first["requestContext"]["requestId"] != second["requestContext"]["requestId"]
    assert before <= first["requestContext"]["requestTimeEpoch"] <= after  # made now
    pinned = proxy_event("GET", "/Prod/x", ids=FIXED)
    assert pinned["requestContext"]["requestId"] == FIXED.request_id
    assert pinned["requestContext"]["requestTime"] == "14/Nov/2023:22:13:20 +0000"
    assert pinned["headers"]["X-Amzn-Trace-Id"] == FIXED.trace_id


def test_a_request_the_gateway_answers_itself_is_an_error(definitions: Any) -> None:
    shop = {"Host": f"{definitions.apis['shop'].id}.execute-api.localhost"}
    with pytest.raises(EventError) as miss:
        proxy_event("GET", "/Prod/nothing/here", config=definitions, headers=shop)
    assert miss.value.status == 403
    assert miss.value.message == "Missing Authentication Token"
    assert str(miss.value) == (
        'GET /Prod/nothing/here: the gateway would answer 403 {"message":"Missing Authentication Token"} '
        "(no resource of API 'shop' matches /nothing/here)"
    )
    with pytest.raises(EventError, match=r"answered by the gateway itself \(cors-preflight\)"):
        proxy_event("OPTIONS", "/Prod/items/1", config=definitions)
    with pytest.raises(EventError, match="needs a stage") as no_stage:
        proxy_event("GET", "/")
    assert no_stage.value.status == 403


def test_the_wrong_kind_of_event_is_an_error(definitions: Any) -> None:
    with pytest.raises(EventError, match="non-proxy Lambda integration: its function receives a json event"):
        proxy_event("POST", "/Prod/plain", config=definitions)
    with pytest.raises(EventError, match="Lambda proxy integration: its function receives a proxy event"):
        json_event("GET", "/Prod/items/1", config=definitions)


def test_a_body_that_is_not_json_gets_the_gateways_400() -> None:
    with pytest.raises(EventError) as bad:
        json_event("POST", "/Prod/plain", body="name=Ann")
    assert bad.value.status == 400
    assert bad.value.message is not None
    assert bad.value.message.startswith("Could not parse request body into json")


def test_inline_trigger_options_need_no_config(definitions: Any) -> None:
    with pytest.raises(TypeError, match="without config"):
        proxy_event("GET", "/Prod/items/1", config=definitions, resource="/items/{id}")
    with pytest.raises(ConfigErrors, match=r"<trigger>:\d+: functions.function.triggers\[0\].resource"):
        proxy_event("GET", "/Prod/items/1", resource="items/{id}")


def test_lambda_context_defaults_to_lambdas() -> None:
    context = lambda_context("orders")
    assert context.function_name == "orders"
    assert context.memory_limit_in_mb == "128"
    assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:orders"
    assert context.log_group_name == "/aws/lambda/orders"
    assert context.log_stream_name.split("/")[-1].startswith("[$LATEST]")
    assert 2900 < context.get_remaining_time_in_millis() <= 3000
    assert len(context.aws_request_id) == 36


def test_lambda_context_from_the_config(definitions: Any) -> None:
    raw = """
    apis: {shop: {}}
    functions:
      big:
        handler: cases.echo
        memory: 1024
        timeout: 60
        triggers: [{api: shop, resource: /big, method: GET}]
    """
    context = lambda_context("big", config=definitions_from_yaml(raw), aws_request_id="req-1")
    assert (context.memory_limit_in_mb, context.aws_request_id) == ("1024", "req-1")
    assert context.get_remaining_time_in_millis() > 59_000
    assert (
        lambda_context("big", config=definitions_from_yaml(raw), timeout=0.5).get_remaining_time_in_millis()
        <= 500
    )
    with pytest.raises(KeyError, match=r"no function 'nope'.*the functions are: echo, plain"):
        lambda_context("nope", config=definitions)


def test_definitions_from_yaml_reports_like_the_loader() -> None:
    with pytest.raises(ConfigErrors) as errors:
        definitions_from_yaml(
            """
            apis: {shop: {}}
            functions:
              f:
                handler: nodots
                triggers: [{api: shop, resource: /x, method: FETCH}]
            """,
            source="snippet",
        )
    text = str(errors.value)
    assert "snippet:5: functions.f.handler" in text
    assert "snippet:6: functions.f.triggers[0].method" in text
    with pytest.raises(ConfigErrors, match=r"snippet:3:1: invalid YAML"):
        definitions_from_yaml("apis:\n  shop: {\n", source="snippet")
