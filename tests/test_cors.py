"""The CORS switch: preflight, headers on non-proxy success, none on proxy or gateway errors (section 6)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from emulator.testing import Harness

CONFIG = """
apis:
  shop: {}
functions:
  echo:
    handler: cases.echo
    triggers:
      - {api: shop, resource: /items, method: POST, cors: true}
      - {api: shop, resource: /items, method: GET, cors: true}
      - {api: shop, resource: /plain, method: POST}
      - {api: shop, resource: /anything, method: ANY, cors: true}
      - api: shop
        resource: /custom
        method: PUT
        cors:
          allow_origin: https://app.example.com
          allow_headers: [Content-Type, X-Custom]
          allow_methods: [PUT]
          expose_headers: [X-Total]
          max_age: 600
          allow_credentials: true
  boom:
    handler: cases.boom
    triggers:
      - {api: shop, resource: /boom, method: POST, cors: true}
  respond:
    handler: cases.respond
    triggers:
      - {api: shop, resource: /proxy, method: POST, proxy: true, cors: true}
"""

DEFAULT_HEADERS = "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token"


def preflight(harness: Harness, path: str) -> Any:
    return harness.options(
        path, headers={"Origin": "http://localhost:8080", "Access-Control-Request-Method": "POST"}
    )


def test_preflight_answers_with_the_consoles_defaults(harness: Harness) -> None:
    response = preflight(harness, "/Prod/items")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Headers"] == DEFAULT_HEADERS
    assert response.headers["Access-Control-Allow-Methods"] == "POST,GET,OPTIONS"
    assert response.headers["Content-Type"] == "application/json"
    assert "X-Amzn-Trace-Id" not in response.headers


def test_preflight_for_any_lists_every_verb(harness: Harness) -> None:
    methods = preflight(harness, "/Prod/anything").headers["Access-Control-Allow-Methods"]
    assert methods == "DELETE,GET,HEAD,PATCH,POST,PUT,OPTIONS"


def test_no_preflight_without_cors(harness: Harness) -> None:
    response = preflight(harness, "/Prod/plain")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers


def test_non_proxy_success_carries_allow_origin(harness: Harness) -> None:
    response = harness.post("/Prod/items", json={"a": 1})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_non_proxy_function_error_is_the_200_response_and_carries_it(harness: Harness) -> None:
    response = harness.post("/Prod/boom", json={})
    assert response.json()["errorType"] == "ValueError"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_method_without_cors_has_none(harness: Harness) -> None:
    assert "Access-Control-Allow-Origin" not in harness.post("/Prod/plain", json={}).headers


def test_gateway_errors_never_carry_cors(harness: Harness) -> None:
    bad_json = harness.post("/Prod/items", content=b"not json")
    assert bad_json.status_code == 400
    missing = harness.delete("/Prod/items")
    assert missing.status_code == 403
    malformed = harness.post("/Prod/proxy", content=json.dumps({"result": {"body": {}}}))
    assert malformed.status_code == 502
    for response in (bad_json, missing, malformed):
        assert not [name for name in response.headers if name.lower().startswith("access-control")]


def test_proxy_response_carries_only_the_handlers_headers(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        response = harness.post("/Prod/proxy", content=json.dumps({"result": {"body": "hi"}}))
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "a browser on another origin will reject this one there too" in caplog.text


def test_proxy_response_with_its_own_allow_origin(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    result = {"headers": {"Access-Control-Allow-Origin": "https://x.example"}, "body": "hi"}
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        response = harness.post("/Prod/proxy", content=json.dumps({"result": result}))
    assert response.headers["Access-Control-Allow-Origin"] == "https://x.example"
    assert "reject" not in caplog.text


def test_custom_cors_options_apply_to_preflight_and_success(harness: Harness) -> None:
    response = preflight(harness, "/Prod/custom")
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type,X-Custom"
    assert response.headers["Access-Control-Allow-Methods"] == "PUT"
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Expose-Headers"] == "X-Total"
    success = harness.put("/Prod/custom", json={})
    assert success.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert success.headers["Access-Control-Expose-Headers"] == "X-Total"
    assert success.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Access-Control-Max-Age" not in success.headers
