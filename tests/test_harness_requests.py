"""What ``apig``'s request methods take and what they answer, as the README describes them.

``apig`` is a ``Harness``, not an ``httpx.Client``: its ``get``, ``post``… pass their keyword
arguments to ``httpx.Client.request`` on ``apig.client`` and answer ``GatewayResponseView``s.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from emulator.testing import GatewayResponseView, Harness, definitions_from_yaml
from tests.conftest import LAMBDAS

CONFIG = """
apis: {shop: {}}
functions:
  echo:
    handler: cases.echo_event
    triggers: [{api: shop, resource: "/{proxy+}", method: ANY, proxy: true}]
"""


@pytest.fixture
def apig() -> Iterator[Harness]:
    with Harness(definitions_from_yaml(CONFIG, code_dir=LAMBDAS)) as harness:
        yield harness


def event_of(response: GatewayResponseView) -> dict[str, Any]:
    assert response.status == 200, response.text
    event: dict[str, Any] = response.json()
    return event


def body_of(event: dict[str, Any]) -> bytes:
    body = event["body"] or ""
    return base64.b64decode(body) if event["isBase64Encoded"] else body.encode()


def test_the_client_behind_apig_is_an_httpx_client(apig: Harness) -> None:
    assert not isinstance(apig, httpx.Client)
    assert isinstance(apig.client, httpx.Client)
    assert str(apig.client.base_url) == "http://localhost:3000"


def test_params_and_headers(apig: Harness) -> None:
    event = event_of(apig.get("/Prod/x", params={"a": ["1", "2"], "b": "3"}, headers={"X-Trace": "t"}))
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["3"]}
    assert event["headers"]["X-Trace"] == "t"


@pytest.mark.parametrize("verb", ["get", "post", "put", "patch", "delete", "options"])
def test_every_verb_takes_a_body(apig: Harness, verb: str) -> None:
    event = event_of(getattr(apig, verb)("/Prod/x", json={"n": 1}))
    assert event["httpMethod"] == verb.upper()
    assert json.loads(event["body"]) == {"n": 1}


def test_content_data_and_files(apig: Harness) -> None:
    assert body_of(event_of(apig.post("/Prod/x", content=b"raw bytes"))) == b"raw bytes"
    form = event_of(apig.post("/Prod/x", data={"name": "Ann"}))
    assert form["body"] == "name=Ann"
    assert form["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    upload = event_of(apig.post("/Prod/x", files={"file": ("a.txt", b"hello")}))
    assert upload["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'filename="a.txt"' in body_of(upload)


def test_auth(apig: Harness) -> None:
    event = event_of(apig.get("/Prod/x", auth=("ann", "secret")))
    assert event["headers"]["Authorization"] == "Basic " + base64.b64encode(b"ann:secret").decode()


def test_cookies_a_response_sets_are_sent_back_for_the_rest_of_the_test(apig: Harness) -> None:
    login = {"statusCode": 200, "headers": {"Set-Cookie": "session=abc; Path=/"}, "body": ""}
    with apig.override("echo", lambda event, context: login):
        assert apig.post("/Prod/login").cookies["session"] == "abc"
    assert event_of(apig.get("/Prod/me"))["headers"]["Cookie"] == "session=abc"
    apig.client.cookies.clear()
    apig.client.cookies.set("theme", "dark")
    assert event_of(apig.get("/Prod/me"))["headers"]["Cookie"] == "theme=dark"


def test_a_response_is_an_httpx_response_with_status(apig: Harness) -> None:
    response = apig.get("/Prod/x")
    assert isinstance(response, GatewayResponseView) and isinstance(response, httpx.Response)
    assert response.status == response.status_code == 200
    assert response.headers["X-AMZN-REQUESTID"] == response.headers["x-amzn-requestid"]
    assert response.content == response.text.encode()
    assert isinstance(response.elapsed, timedelta)
    assert response.request.url == "http://localhost:3000/Prod/x"
    response.raise_for_status()
    with pytest.raises(httpx.HTTPStatusError):
        apig.get("/Elsewhere/x").raise_for_status()  # a 403: no such stage
