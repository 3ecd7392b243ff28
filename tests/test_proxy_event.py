"""The Lambda proxy event, field by field, as recorded on AWS (reference section 1)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from emulator.testing import Harness

CONFIG = """
apis:
  shop:
    binary_media_types: [image/png, application/octet-stream]
    stages:
      Prod:
        variables: {table: items-prod}
      Bare: {}
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: "/{proxy+}", method: ANY, stage: Prod, proxy: true}
      - {api: shop, resource: /hardcoded, method: GET, proxy: true}
      - {api: shop, resource: "/items/{id}", method: GET, proxy: true}
      - {api: shop, resource: "/user/{email}/plus/{other}", method: GET, proxy: true}
"""


def event_of(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return json.loads(response.text)  # type: ignore[no-any-return]


def test_top_level_keys_are_exactly_awss(harness: Harness) -> None:
    event = event_of(harness.get("/Prod/hardcoded"))
    assert set(event) == {
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    }


def test_absent_maps_and_body_are_null(harness: Harness) -> None:
    event = event_of(harness.get("/Bare/hardcoded"))
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False


def test_resource_path_and_real_method_under_any(harness: Harness) -> None:
    event = event_of(harness.delete("/Prod/proxy-value/api/x"))
    assert event["resource"] == "/{proxy+}"
    assert event["path"] == "/proxy-value/api/x"
    assert event["httpMethod"] == "DELETE"
    assert event["pathParameters"] == {"proxy": "proxy-value/api/x"}
    assert event["requestContext"]["path"] == "/Prod/proxy-value/api/x"
    assert event["requestContext"]["resourcePath"] == "/{proxy+}"
    assert event["requestContext"]["httpMethod"] == "DELETE"


def test_trailing_slash_kept_in_path_stripped_from_proxy_param(harness: Harness) -> None:
    event = event_of(harness.get("/Prod/proxy-value/"))
    assert event["path"] == "/proxy-value/"
    assert event["pathParameters"] == {"proxy": "proxy-value"}


def test_double_slashes_as_recorded(harness: Harness) -> None:
    inner = event_of(harness.get("/Prod/proxy-value//double-slash"))
    assert inner["path"] == "/proxy-value//double-slash"
    assert inner["pathParameters"] == {"proxy": "proxy-value//double-slash"}
    leading = event_of(harness.get("/Prod//proxy-value"))
    assert leading["path"] == "/proxy-value"
    assert leading["pathParameters"] == {"proxy": "proxy-value"}
    assert leading["requestContext"]["path"] == "/Prod//proxy-value"
    before_stage = event_of(harness.get("http://localhost:3000//Prod/proxy-value"))
    assert before_stage["requestContext"]["path"] == "/Prod/proxy-value"


def test_path_is_not_url_decoded(harness: Harness) -> None:
    event = event_of(harness.get("/Prod/user/test%2Balias@gmail.com/plus/test+alias@gmail.com"))
    assert event["path"] == "/user/test%2Balias@gmail.com/plus/test+alias@gmail.com"
    assert event["pathParameters"] == {"email": "test%2Balias@gmail.com", "other": "test+alias@gmail.com"}


def test_path_parameter(harness: Harness) -> None:
    event = event_of(harness.get("/Prod/items/42"))
    assert event["resource"] == "/items/{id}"
    assert event["pathParameters"] == {"id": "42"}


def test_query_last_value_wins_and_multi_keeps_all(harness: Harness) -> None:
    event = event_of(
        harness.get("/Prod/hardcoded?category=electronics&category=books&price=10&price=20&price=30")
    )
    assert event["queryStringParameters"] == {"category": "books", "price": "30"}
    assert event["multiValueQueryStringParameters"] == {
        "category": ["electronics", "books"],
        "price": ["10", "20", "30"],
    }


def test_query_values_are_decoded(harness: Harness) -> None:
    event = event_of(
        harness.get(
            "/Prod/hardcoded?email=test%2Balias@gmail.com&plus=test+alias@gmail.com&url=https://www.google.com/&flag"
        )
    )
    assert event["queryStringParameters"] == {
        "email": "test+alias@gmail.com",
        "plus": "test alias@gmail.com",
        "url": "https://www.google.com/",
        "flag": "",
    }


def test_header_case_preserved_repeated_headers_last_wins(harness: Harness) -> None:
    response = harness.get(
        "/Prod/hardcoded",
        headers=[
            ("tEsT-HEADeR", "aValUE"),
            ("X-Multi", "one"),
            ("X-Multi", "two"),
            ("aUThorization", "secret"),
        ],
    )
    event = event_of(response)
    assert event["headers"]["tEsT-HEADeR"] == "aValUE"
    assert event["headers"]["X-Multi"] == "two"
    assert event["multiValueHeaders"]["X-Multi"] == ["one", "two"]
    # The edge normalises these two names (section 1.3).
    assert event["headers"]["Authorization"] == "secret"
    assert "aUThorization" not in event["headers"]
    assert set(event["headers"]) == set(event["multiValueHeaders"])


def test_connection_and_content_length_are_not_passed(harness: Harness) -> None:
    event = event_of(harness.post("/Prod/anything", content=b"abc"))
    lower = {name.lower() for name in event["headers"]}
    assert "content-length" not in lower
    assert "connection" not in lower
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")


def test_text_body_is_passed_raw(harness: Harness) -> None:
    event = event_of(
        harness.post("/Prod/anything", content=b'{"a": 1}', headers={"Content-Type": "application/json"})
    )
    assert event["body"] == '{"a": 1}'
    assert event["isBase64Encoded"] is False


@pytest.mark.parametrize(
    "content_type",
    ["image/png", "application/octet-stream", "image/png; charset=binary", 'Image/PNG ; name="a;b.png"'],
)
def test_binary_media_type_body_is_base64(harness: Harness, content_type: str) -> None:
    payload = bytes(range(256))
    event = event_of(harness.post("/Prod/upload", content=payload, headers={"Content-Type": content_type}))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_text_in_binary_type_is_still_base64(harness: Harness) -> None:
    event = event_of(harness.post("/Prod/upload", content=b"hello", headers={"Content-Type": "image/png"}))
    assert event["isBase64Encoded"] is True
    assert event["body"] == base64.b64encode(b"hello").decode()


def test_invalid_utf8_outside_binary_types_goes_base64_decision(harness: Harness) -> None:
    """Pins a product decision (reference section 10), not a recorded AWS fact."""
    event = event_of(
        harness.post("/Prod/upload", content=b"\xff\xfe", headers={"Content-Type": "text/plain"})
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\xfe"


def test_stage_variables(harness: Harness) -> None:
    assert event_of(harness.get("/Prod/hardcoded"))["stageVariables"] == {"table": "items-prod"}


def test_request_context(harness: Harness) -> None:
    response = harness.get("/Prod/hardcoded", headers={"User-Agent": "python-requests/testing"})
    ctx = event_of(response)["requestContext"]
    assert set(ctx) == {
        "accountId",
        "apiId",
        "deploymentId",
        "domainName",
        "domainPrefix",
        "extendedRequestId",
        "httpMethod",
        "identity",
        "path",
        "protocol",
        "requestId",
        "requestTime",
        "requestTimeEpoch",
        "resourceId",
        "resourcePath",
        "stage",
    }
    assert re.fullmatch(r"\d{12}", ctx["accountId"])
    assert re.fullmatch(r"[a-z0-9]{10}", ctx["apiId"])
    assert ctx["stage"] == "Prod"
    assert ctx["protocol"] == "HTTP/1.1"
    assert ctx["requestId"] == response.headers["x-amzn-RequestId"]
    assert ctx["extendedRequestId"] == response.headers["x-amz-apigw-id"]
    assert isinstance(ctx["requestTimeEpoch"], int) and ctx["requestTimeEpoch"] > 1_600_000_000_000
    assert re.fullmatch(r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000", ctx["requestTime"])
    assert ctx["domainName"] == "localhost"
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert ctx["identity"]["userAgent"] == "python-requests/testing"
    assert set(ctx["identity"]) == {
        "accessKey",
        "accountId",
        "caller",
        "cognitoAuthenticationProvider",
        "cognitoAuthenticationType",
        "cognitoIdentityId",
        "cognitoIdentityPoolId",
        "principalOrgId",
        "sourceIp",
        "user",
        "userAgent",
        "userArn",
    }
    assert ctx["identity"]["user"] is None


def test_request_ids_are_fresh_per_request(harness: Harness) -> None:
    first = event_of(harness.get("/Prod/hardcoded"))["requestContext"]["requestId"]
    second = event_of(harness.get("/Prod/hardcoded"))["requestContext"]["requestId"]
    assert first != second
