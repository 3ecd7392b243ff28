"""Gateway-wide behaviour: ids on every response, limits, timeouts, and handlers that misbehave."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from emulator.request import MAX_BODY_BYTES
from emulator.testing import Harness
from tests.gate import Gate

CONFIG = """
apis:
  shop: {}
functions:
  echo:
    handler: cases.echo
    triggers:
      - {api: shop, resource: /echo, method: POST}
      - {api: shop, resource: /proxy-echo, method: POST, proxy: true}
  info:
    handler: cases.context_info
    memory: 256
    timeout: 7
    environment: {GREETING: hi}
    triggers:
      - {api: shop, resource: /info, method: GET}
  other:
    handler: cases.context_info
    triggers:
      - {api: shop, resource: /other, method: GET}
  count:
    handler: cases.count
    triggers:
      - {api: shop, resource: /count, method: GET}
  chatty:
    handler: cases.chatty
    triggers:
      - {api: shop, resource: /chatty, method: GET}
  sleepy:
    handler: cases.sleepy
    timeout: 1
    triggers:
      - {api: shop, resource: /sleepy, method: POST}
      - {api: shop, resource: /sleepy-proxy, method: POST, proxy: true}
      - {api: shop, resource: /sleepy-short, method: PUT, timeout_ms: 100}
  exits:
    handler: cases.exits
    triggers:
      - {api: shop, resource: /exits, method: GET, proxy: true}
  syntax:
    handler: broken_syntax.handler
    triggers:
      - {api: shop, resource: /syntax, method: GET}
  import:
    handler: broken_import.handler
    triggers:
      - {api: shop, resource: /import, method: GET, proxy: true}
      - {api: shop, resource: /import-custom, method: GET}
  missing:
    handler: cases.no_such_function
    triggers:
      - {api: shop, resource: /missing, method: GET}
  nomodule:
    handler: no_such_module.handler
    triggers:
      - {api: shop, resource: /nomodule, method: GET}
"""


def test_every_response_has_request_ids(harness: Harness) -> None:
    for response in (harness.post("/Prod/echo", json={}), harness.get("/Prod/nowhere"), harness.get("/")):
        assert len(response.headers["x-amzn-RequestId"]) == 36
        assert response.headers["x-amz-apigw-id"].endswith("=")
        assert len(response.headers["x-amz-apigw-id"]) == 16


def test_body_over_10_mb_is_413_decision(harness: Harness) -> None:
    """Pins a product decision (reference section 10) on top of the recorded REQUEST_TOO_LARGE status."""
    response = harness.post("/Prod/echo", content=b"x" * (MAX_BODY_BYTES + 1))
    assert response.status_code == 413
    assert response.content == b'{"message":"Request Too Long"}'
    assert "Access-Control-Allow-Origin" not in response.headers


def test_body_of_exactly_10_mb_is_accepted_and_a_result_over_6_mb_fails(harness: Harness) -> None:
    body = b'"' + b"x" * (MAX_BODY_BYTES - 2) + b'"'
    response = harness.post("/Prod/echo", content=body)
    assert response.status_code == 200
    error = response.json()
    assert error["errorType"] == "Function.ResponseSizeTooLarge"
    assert "(6291456 bytes)" in error["errorMessage"]


def test_context_object_and_environment(harness: Harness) -> None:
    info = harness.get("/Prod/info").json()
    assert info["function_name"] == "info"
    assert info["function_version"] == "$LATEST"
    assert info["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:info"
    assert info["memory_limit_in_mb"] == "256"
    assert info["log_group_name"] == "/aws/lambda/info"
    assert info["log_stream_name"].count("/") == 3 and "[$LATEST]" in info["log_stream_name"]
    assert 6000 < info["remaining"] <= 7000
    assert len(info["aws_request_id"]) == 36
    assert info["env"] == {
        "AWS_LAMBDA_FUNCTION_NAME": "info",
        "AWS_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "_HANDLER": "cases.context_info",
        "GREETING": "hi",
    }


def test_function_environment_does_not_leak_after_the_call(harness: Harness) -> None:
    harness.get("/Prod/info")
    assert harness.get("/Prod/other").json()["env"]["GREETING"] is None


def test_aws_request_id_differs_from_gateway_request_id(harness: Harness) -> None:
    response = harness.get("/Prod/info")
    assert response.json()["aws_request_id"] != response.headers["x-amzn-RequestId"]


def test_module_state_persists_between_invocations(harness: Harness) -> None:
    first = harness.get("/Prod/count").json()["count"]
    assert harness.get("/Prod/count").json()["count"] == first + 1


def test_output_is_logged_between_start_end_and_report(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="apig_emu"):
        harness.get("/Prod/chatty")
    lines = [r.getMessage() for r in caplog.records if r.name == "apig_emu.lambda"]
    assert lines[0].startswith("chatty START RequestId: ") and lines[0].endswith(" Version: $LATEST")
    assert lines[1] == "chatty printed line"
    assert lines[2].startswith("chatty [WARNING]\t") and lines[2].endswith("\tlogged warning")
    assert lines[3].startswith("chatty END RequestId: ")
    assert lines[4].startswith("chatty REPORT RequestId: ")
    assert (
        "\tDuration: " in lines[4]
        and "\tBilled Duration: " in lines[4]
        and "\tMemory Size: 128 MB" in lines[4]
    )


def test_a_slow_handler_does_not_block_others(harness: Harness, gate: Gate) -> None:
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(harness.post, "/Prod/sleepy", json={"gate": gate.port})
        gate.arrival()
        response = harness.post("/Prod/echo", json={"fast": True})
        assert response.json() == {"fast": True}
        assert not slow.done()  # answered while the slow handler was still running
        gate.open()
        assert slow.result().json() == "awake"


# In the timeout tests the gate never opens: only the timeout can end the request.


def test_function_timeout_non_proxy_is_the_error_body(harness: Harness, gate: Gate) -> None:
    response = harness.post("/Prod/sleepy", json={"gate": gate.port})
    assert response.status_code == 200
    error = response.json()
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith("Task timed out after 1.00 seconds")


def test_function_timeout_proxy_is_502(harness: Harness, gate: Gate) -> None:
    response = harness.post("/Prod/sleepy-proxy", content=json.dumps({"gate": gate.port}).encode())
    assert response.status_code == 502
    assert response.content == b'{"message": "Internal server error"}'


def test_integration_timeout_is_504(harness: Harness, gate: Gate) -> None:
    response = harness.put("/Prod/sleepy-short", json={"gate": gate.port})
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"


def test_sys_exit_is_a_runtime_exit_error_and_the_gateway_survives(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        assert harness.get("/Prod/exits").status_code == 502
    assert "Runtime.ExitError" in caplog.text
    assert harness.post("/Prod/echo", json={"still": "up"}).json() == {"still": "up"}


def test_syntax_error_in_module(harness: Harness) -> None:
    error = harness.get("/Prod/syntax").json()
    assert error["errorType"] == "Runtime.UserCodeSyntaxError"
    assert error["errorMessage"].startswith("Syntax error in module 'broken_syntax': ")
    assert "broken_syntax.py" in error["stackTrace"][0]


def test_import_error_is_502_under_proxy_and_the_rest_keeps_serving(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        response = harness.get("/Prod/import")
    assert response.status_code == 502
    assert "Runtime.ImportModuleError" in caplog.text
    assert "broken_import.py:1" in caplog.text
    assert harness.post("/Prod/echo", json={}).status_code == 200


def test_import_error_non_proxy_body(harness: Harness) -> None:
    assert harness.get("/Prod/import-custom").json() == {
        "errorMessage": "Unable to import module 'broken_import': No module named 'module_that_does_not_exist'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }


def test_handler_missing_on_module(harness: Harness) -> None:
    error = harness.get("/Prod/missing").json()
    assert error["errorType"] == "Runtime.HandlerNotFound"
    assert error["errorMessage"] == "Handler 'no_such_function' missing on module 'cases'"


def test_module_not_found(harness: Harness) -> None:
    error = harness.get("/Prod/nomodule").json()
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert (
        error["errorMessage"] == "Unable to import module 'no_such_module': No module named 'no_such_module'"
    )
