"""Non-proxy (custom) Lambda integration: JSON body in, JSON result out (reference section 3)."""

from __future__ import annotations

import json

import pytest

from emulator.errors import BadRequestBody
from emulator.events import json_event
from emulator.testing import Harness

CONFIG = """
apis:
  shop: {}
functions:
  echo:
    handler: cases.echo
    triggers:
      - {api: shop, resource: /echo, method: ANY}
  boom:
    handler: cases.boom
    triggers:
      - {api: shop, resource: /boom, method: POST}
  unserialisable:
    handler: cases.not_serialisable
    triggers:
      - {api: shop, resource: /unserialisable, method: GET}
  decimals:
    handler: cases.decimals
    triggers:
      - {api: shop, resource: /decimals, method: GET}
"""


def test_json_body_is_the_event_and_result_the_body(harness: Harness) -> None:
    response = harness.post("/Prod/echo", json={"message": "hello world", "n": [1, 2]})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"message": "hello world", "n": [1, 2]}
    # Lambda's Python runtime writes its result with json's default separators.
    assert response.content == b'{"message": "hello world", "n": [1, 2]}'


def test_empty_body_is_an_empty_object(harness: Harness) -> None:
    assert harness.get("/Prod/echo").json() == {}


@pytest.mark.parametrize("body", [b'"Pass"', b"[1, 2]", b"3", b"null"])
def test_any_json_value_passes_through(harness: Harness, body: bytes) -> None:
    response = harness.post("/Prod/echo", content=body)
    assert response.status_code == 200
    assert response.json() == json.loads(body)


def test_no_content_type_needed(harness: Harness) -> None:
    """Recorded on AWS: a JSON body sent without Content-Type reaches the function (companion A.5)."""
    assert harness.post("/Prod/echo", content=b'{"a": 1}').json() == {"a": 1}


def test_status_code_in_the_result_is_not_interpreted(harness: Harness) -> None:
    response = harness.post("/Prod/echo", json={"statusCode": 400, "body": "nope"})
    assert response.status_code == 200
    assert response.json() == {"statusCode": 400, "body": "nope"}


@pytest.mark.parametrize("body", [b"name=value", b"{not json", b'{"a": 1', b"\xff\xfe"])
def test_non_json_body_is_400_decision(harness: Harness, body: bytes) -> None:
    """Pins a product decision (reference section 10): 400 with AWS's message prefix."""
    response = harness.post(
        "/Prod/echo", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("Could not parse request body into json: ")
    assert response.headers["x-amzn-ErrorType"] == "BadRequestException"


def test_function_error_is_200_with_lambdas_error_object(harness: Harness) -> None:
    response = harness.post("/Prod/boom", json={})
    assert response.status_code == 200
    error = response.json()
    assert list(error) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert error["errorMessage"] == "something broke"
    assert error["errorType"] == "ValueError"
    assert error["stackTrace"][0].startswith('  File "')
    assert "in boom" in error["stackTrace"][0]
    assert "threads.py" not in "".join(error["stackTrace"])
    assert len(error["requestId"]) == 36


def test_unserialisable_result_is_a_marshal_error(harness: Harness) -> None:
    error = harness.get("/Prod/unserialisable").json()
    assert error["errorType"] == "Runtime.MarshalError"
    assert error["errorMessage"] == "Unable to marshal response: Object of type set is not JSON serializable"


def test_decimals_are_written_as_numbers_integral_ones_as_integers(harness: Harness) -> None:
    assert harness.get("/Prod/decimals").content == b'{"count": 3, "price": 9.95, "big": 100}'


def test_trace_id_header_on_lambda_success(harness: Harness) -> None:
    assert harness.get("/Prod/echo").headers["X-Amzn-Trace-Id"].startswith("Root=1-")


def _refuse(name: str) -> None:
    raise ValueError(f"Non-standard token '{name}'")


@pytest.mark.parametrize(
    "body",
    [b'{"a": [1, 2.5e3, "\\u00e9"]}', b" null ", b"\xef\xbb\xbf{}", b"NaN", b'{"a": -Infinity}', b'"x" y'],
)
def test_the_event_is_the_body_as_json_loads_reads_it_without_non_standard_tokens(body: bytes) -> None:
    """The event's parser is made once; it must still answer as ``json.loads`` with the constant check
    (the byte-order mark refused, NaN/Infinity refused, trailing data refused)."""
    try:
        expected: object = json.loads(body.decode("utf-8"), parse_constant=_refuse)
    except ValueError as error:
        expected = f"Could not parse request body into json: Could not parse payload into json: {error}"
    try:
        got: object = json_event(body)
    except BadRequestBody as error:
        got = error.message
    assert got == expected
