"""Bad handler results: each is answered as AWS does (502 under proxy), with the reason in the log.

Through the in-process harness for the whole chain; ``check_proxy_result`` directly where a payload
cannot come from a Python handler (the property tests in ``test_properties`` cover the rest).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from emulator.errors import MalformedProxyResponse
from emulator.gateway_responses import error_response
from emulator.proxy_response import check_proxy_result
from emulator.runtime.result import InvocationResult
from emulator.testing import Harness

CONFIG = """
apis:
  shop: {}
functions:
  respond:
    handler: cases.respond
    triggers:
      - {api: shop, resource: /respond, method: POST, proxy: true}
  circular:
    handler: reliability.circular
    triggers:
      - {api: shop, resource: /circular, method: GET, proxy: true}
      - {api: shop, resource: /circular, method: POST}
  deep:
    handler: reliability.deep
    triggers:
      - {api: shop, resource: /deep, method: GET, proxy: true}
  nan:
    handler: reliability.not_a_number
    triggers:
      - {api: shop, resource: /nan, method: GET, proxy: true}
  oversized:
    handler: reliability.oversized
    triggers:
      - {api: shop, resource: /oversized, method: GET, proxy: true}
      - {api: shop, resource: /oversized, method: POST}
  unserialisable:
    handler: cases.not_serialisable
    triggers:
      - {api: shop, resource: /unserialisable, method: POST}
"""

BAD_GATEWAY = b'{"message": "Internal server error"}'


def assert_502_logged(response: Any, caplog: pytest.LogCaptureFixture, reason: str) -> None:
    assert response.status_code == 502
    assert response.content == BAD_GATEWAY
    assert reason in caplog.text


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/Prod/circular", "Runtime.MarshalError: Unable to marshal response: Circular reference detected"),
        ("/Prod/deep", "Runtime.MarshalError: Unable to marshal response: maximum recursion depth exceeded"),
        ("/Prod/nan", "statusCode must be an integer or a numeric string, got nan"),
        ("/Prod/oversized", "Function.ResponseSizeTooLarge: Response payload size (6291488 bytes) exceeded"),
    ],
    ids=["self-reference", "recursion", "nan", "over-6-mb"],
)
def test_results_lambda_cannot_return_are_502_with_the_reason_logged(
    harness: Harness, caplog: pytest.LogCaptureFixture, path: str, reason: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        response = harness.get(path)
    assert_502_logged(response, caplog, reason)
    assert harness.get("/Prod/nan").status_code == 502  # and the gateway carries on


@pytest.mark.parametrize(
    ("path", "error_type"),
    [
        ("/Prod/circular", "Runtime.MarshalError"),
        ("/Prod/unserialisable", "Runtime.MarshalError"),
        ("/Prod/oversized", "Function.ResponseSizeTooLarge"),
    ],
)
def test_non_proxy_passes_the_error_object_through(harness: Harness, path: str, error_type: str) -> None:
    # Without integration responses, a non-proxy method answers 200 with Lambda's error object (3.2).
    response = harness.post(path, json={})
    assert response.status_code == 200
    assert response.json()["errorType"] == error_type


def call(harness: Harness, result: Any) -> Any:
    return harness.post("/Prod/respond", content=json.dumps({"result": result}))


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        ({"headers": {"X-Evil\n": "forged"}}, "is not a valid HTTP header name"),
        ({"multiValueHeaders": {"X-Evil\n": ["forged"]}}, "is not a valid HTTP header name"),
        ({"headers": {"X-A": "\ud800"}}, "is not encodable text"),
        ({"statusCode": "²"}, "statusCode must be an integer or a numeric string"),
        ({"statusCode": "٢٠٠"}, "statusCode must be an integer or a numeric string"),
        ({"statusCode": "9" * 5000}, "is not an HTTP status"),
        ({"statusCode": 10**100}, "is not an HTTP status"),
        ({"statusCode": -200}, "is not an HTTP status"),
    ],
    ids=[
        "lf-name",
        "lf-multi-name",
        "lone-surrogate",
        "superscript",
        "arabic-digits",
        "5000-digits",
        "googol",
        "neg",
    ],
)
def test_results_that_used_to_slip_through_or_crash_are_502(
    harness: Harness, caplog: pytest.LogCaptureFixture, result: Any, reason: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        response = call(harness, result)
    assert_502_logged(response, caplog, reason)
    assert "emulator fault" not in caplog.text


def test_non_ascii_header_value_is_written_as_utf8_and_logged(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    # Pins a decision: AWS's handling is unconfirmed; the bytes are UTF-8 and the log says so.
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        response = call(harness, {"headers": {"X-Name": "Zoë €"}})
    assert response.status_code == 200
    assert (b"X-Name", "Zoë €".encode()) in response.headers.raw
    assert "is not ASCII: written as UTF-8" in caplog.text


def test_body_with_a_lone_surrogate_is_sent_with_a_replacement(harness: Harness) -> None:
    response = call(harness, {"body": "a\ud800b"})
    assert response.status_code == 200
    assert response.content == b"a?b"


def test_nesting_too_deep_to_parse_is_502_not_an_emulator_fault() -> None:
    # A result the handler's thread could serialise may still be too deep for the gateway's parser.
    deep = b"[" * 100_000 + b"]" * 100_000
    result = InvocationResult(payload=b'{"headers": {"a": ' + deep + b"}}")
    with pytest.raises(MalformedProxyResponse, match="the result is not JSON"):
        check_proxy_result(result, accept=None, binary_media_types=())


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "the result is not JSON"),
        (b"\xff\xfe", "the result is not JSON"),
        (b"NaN", "the result must be a JSON object, got float: nan"),
        (b'{"statusCode": NaN}', "statusCode must be an integer or a numeric string, got nan"),
        (b"1e99999", "the result must be a JSON object, got float: inf"),
        (b'{"a": 1', "the result is not JSON"),
        (b'"\\ud800"', "the result must be a JSON object, got str"),
        (b"{}" * 3, "the result is not JSON"),
    ],
    ids=[
        "empty",
        "not-utf8",
        "nan",
        "nan-status",
        "infinity",
        "truncated",
        "lone-surrogate",
        "three-objects",
    ],
)
def test_payloads_no_python_handler_returns_are_gateway_errors(payload: bytes, reason: str) -> None:
    with pytest.raises(MalformedProxyResponse) as raised:
        check_proxy_result(InvocationResult(payload=payload), accept=None, binary_media_types=())
    assert reason in raised.value.reason
    answer = error_response(raised.value)
    assert (answer.status, answer.body) == (502, BAD_GATEWAY)
