"""Every row of the reference's proxy-response table (section 2), through HTTP.

The handler returns whatever the request asks for, so each case is one (result → answer) pair.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

from emulator.testing import Harness

CONFIG = """
apis:
  shop:
    binary_media_types: [image/png, application/*]
  plain: {}
functions:
  respond:
    handler: cases.respond
    triggers:
      - {api: shop, resource: /respond, method: POST, proxy: true}
      - {api: plain, resource: /respond, method: PUT, proxy: true}
  boom:
    handler: cases.boom
    triggers:
      - {api: shop, resource: /boom, method: GET, proxy: true}
  unserialisable:
    handler: cases.not_serialisable
    triggers:
      - {api: shop, resource: /unserialisable, method: GET, proxy: true}
"""

BAD_GATEWAY = b'{"message": "Internal server error"}'


def call(harness: Harness, result: Any, **headers: str) -> Any:
    return harness.post("/Prod/respond", content=json.dumps({"result": result}), headers=headers)


def assert_bad_gateway(response: Any) -> None:
    assert response.status_code == 502
    assert response.content == BAD_GATEWAY
    assert len(response.content) == 36
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert response.headers["Content-Type"] == "application/json"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_status_only_gives_empty_json_response(harness: Harness) -> None:
    response = call(harness, {"statusCode": 200})
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Length"] == "0"


def test_headers_strings_and_booleans(harness: Harness) -> None:
    response = call(
        harness, {"statusCode": 200, "headers": {"test-header": "value", "header-bool": True, "off": False}}
    )
    assert response.headers["test-header"] == "value"
    assert response.headers["header-bool"] == "true"
    assert response.headers["off"] == "false"


def test_null_headers_accepted(harness: Harness) -> None:
    assert call(harness, {"statusCode": 200, "headers": None}).status_code == 200


def test_extra_key_is_502_and_logged(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        response = call(harness, {"statusCode": 200, "wrongValue": "value"})
    assert_bad_gateway(response)
    assert "Malformed Lambda proxy response: unexpected key 'wrongValue'" in caplog.text


def test_empty_object_is_200(harness: Harness) -> None:
    response = call(harness, {})
    assert response.status_code == 200
    assert response.content == b""


def test_no_status_code_is_200_with_headers(harness: Harness) -> None:
    response = call(harness, {"headers": {"test-header": "value"}})
    assert response.status_code == 200
    assert response.headers["test-header"] == "value"


def test_numeric_string_status(harness: Harness) -> None:
    assert call(harness, {"statusCode": "201"}).status_code == 201


@pytest.mark.parametrize("status", [0, None])
def test_zero_or_null_status_is_200(harness: Harness, status: Any) -> None:
    assert call(harness, {"statusCode": status, "body": "x"}).status_code == 200


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        ({"statusCode": "test"}, "statusCode must be an integer or a numeric string"),
        ({"statusCode": True}, "statusCode must be an integer"),
        ({"statusCode": 1000}, "statusCode 1000 is not an HTTP status"),
        ("justAString", "the result must be a JSON object, got str"),
        ([1, 2], "the result must be a JSON object, got list"),
        (None, "the result must be a JSON object, got NoneType"),
        ({"multiValueHeaders": {"x": "value1"}}, "multiValueHeaders value of 'x' must be a list"),
        ({"headers": {"x": 5}}, "headers value of 'x' must be a string or a boolean, got int"),
        ({"headers": {"x": {"a": 1}}}, "headers value of 'x' must be a string or a boolean, got dict"),
        ({"headers": ["x"]}, "headers must be an object"),
        ({"body": {"message": "hi"}}, "body must be a string, got dict"),
        ({"body": 5}, "body must be a string, got int"),
        ({"isBase64Encoded": "yes"}, "isBase64Encoded must be a boolean"),
        ({"headers": {"X-Evil": "a\r\nSet-Cookie: forged=1"}}, "contains a control character"),
        ({"headers": {"Bad Name": "x"}}, "is not a valid HTTP header name"),
        ({"multiValueHeaders": {"X-Evil": ["ok", "a\nb"]}}, "contains a control character"),
    ],
)
def test_malformed_results_are_502_with_the_reason_logged(
    harness: Harness, caplog: pytest.LogCaptureFixture, result: Any, reason: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        response = call(harness, result)
    assert_bad_gateway(response)
    assert reason in caplog.text
    assert "forged" not in response.headers.get("Set-Cookie", "")


def test_function_error_is_502_and_logged_with_traceback(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        response = harness.get("/Prod/boom")
    assert_bad_gateway(response)
    assert "the function failed: ValueError: something broke" in caplog.text
    assert 'raise ValueError("something broke")' in caplog.text


def test_unserialisable_result_is_502(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        response = harness.get("/Prod/unserialisable")
    assert_bad_gateway(response)
    assert "Runtime.MarshalError" in caplog.text
    assert "Object of type set is not JSON serializable" in caplog.text


def test_multi_value_headers_each_on_its_own_line(harness: Harness) -> None:
    response = call(harness, {"multiValueHeaders": {"test-multi": ["value1", "value2"]}})
    assert response.headers.get_list("test-multi") == ["value1", "value2"]
    # Clients that fold repeated headers see exactly what AWS was observed to send.
    assert response.headers["test-multi"] == "value1, value2"


def test_multi_value_first_then_single(harness: Harness) -> None:
    response = call(
        harness,
        {"multiValueHeaders": {"test-multi": ["value-multi"]}, "headers": {"test-multi": "value-solo"}},
    )
    assert response.headers["test-multi"] == "value-multi, value-solo"


def test_merge_is_case_insensitive_and_multi_casing_wins(harness: Harness) -> None:
    response = call(
        harness,
        {"multiValueHeaders": {"tesT-Multi": ["value-multi"]}, "headers": {"test-multi": "value-solo"}},
    )
    raw_names = [name for name, _ in response.headers.raw]
    assert b"tesT-Multi".lower() in [n.lower() for n in raw_names]
    assert response.headers.get_list("test-multi") == ["value-multi", "value-solo"]


def test_several_set_cookie_headers_survive(harness: Harness) -> None:
    response = call(harness, {"multiValueHeaders": {"Set-Cookie": ["a=1; Path=/", "b=2; Path=/"]}})
    assert response.headers.get_list("Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"]


def test_handler_content_type_and_body(harness: Harness) -> None:
    response = call(
        harness, {"statusCode": 404, "headers": {"Content-Type": "text/plain"}, "body": "not here"}
    )
    assert response.status_code == 404
    assert response.text == "not here"
    assert response.headers["Content-Type"] == "text/plain"


def test_reserved_headers_are_remapped(harness: Harness) -> None:
    response = call(harness, {"headers": {"Server": "mine", "WWW-Authenticate": "Basic"}})
    assert response.headers["x-amzn-Remapped-Server"] == "mine"
    assert response.headers["x-amzn-Remapped-WWW-Authenticate"] == "Basic"
    assert "Server" not in response.headers


class TestBinaryResponses:
    """Validated on AWS: only the first Accept type counts, wildcards only on the configured side."""

    PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0, 1, 2, 255])

    def result(self) -> dict[str, Any]:
        return {
            "headers": {"Content-Type": "image/png"},
            "body": base64.b64encode(self.PNG).decode(),
            "isBase64Encoded": True,
        }

    @pytest.mark.parametrize("accept", ["image/png", "image/png,image/*,*/*;q=0.8", "application/whatever"])
    def test_decoded_when_first_accept_type_matches(self, harness: Harness, accept: str) -> None:
        assert call(harness, self.result(), Accept=accept).content == self.PNG

    @pytest.mark.parametrize(
        "accept", ["image/webp,image/png,*/*;q=0.8", "image/*", "*/*", "application", "text/html"]
    )
    def test_verbatim_otherwise(self, harness: Harness, accept: str) -> None:
        assert call(harness, self.result(), Accept=accept).text == base64.b64encode(self.PNG).decode()

    @pytest.mark.parametrize("accept", [", image/png", 'image/png;note="a,b", text/html', "IMAGE/PNG ; q=1"])
    def test_first_accept_type_read_as_an_http_list(self, harness: Harness, accept: str) -> None:
        """RFC 9110 5.6.1: empty list elements are ignored, commas in quoted strings do not split.

        Pins the HTTP grammar (werkzeug's parser); AWS's handling of these spellings is unconfirmed.
        """
        assert call(harness, self.result(), Accept=accept).content == self.PNG

    def test_verbatim_without_accept(self, harness: Harness) -> None:
        response = harness.post(
            "/Prod/respond", content=json.dumps({"result": self.result()}), headers={"Accept": ""}
        )
        assert response.text == base64.b64encode(self.PNG).decode()

    def test_verbatim_without_binary_media_types(self, harness: Harness) -> None:
        response = harness.put(
            "/Prod/respond", content=json.dumps({"result": self.result()}), headers={"Accept": "image/png"}
        )
        assert response.text == base64.b64encode(self.PNG).decode()

    def test_never_decoded_when_flag_false(self, harness: Harness) -> None:
        result = {**self.result(), "isBase64Encoded": False}
        assert call(harness, result, Accept="image/png").text == base64.b64encode(self.PNG).decode()

    def test_invalid_base64_is_500(self, harness: Harness) -> None:
        result = {**self.result(), "body": "not base64!!"}
        response = call(harness, result, Accept="image/png")
        assert response.status_code == 500
        assert response.json() == {"message": "Internal server error"}
