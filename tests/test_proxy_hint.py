"""A non-proxy method whose handler reads a proxy-only key gets a hint that ``proxy: true`` may have
been meant; the answer stays what AWS would answer."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator.integrations.proxy_hint import PROXY_EVENT_KEYS, proxy_hint
from emulator.testing import Harness, definitions_from_yaml, proxy_event
from tests.conftest import ISOLATIONS, PYTESTER_ARGS
from tests.live import start_server

pytest_plugins = ["pytester"]

HANDLERS = """
import json


def path_parameters(event, context):
    return {"id": event["pathParameters"]["id"]}


def parses_body(event, context):
    return json.loads(event.get("body"))


def subscripts(event, context):
    return event["body"]


def reads_headers(event, context):
    return event.get("headers").get("Authorization")


def own_key(event, context):
    return event["name"]


def own_type_error(event, context):
    return len(event) + "s"


def body_in_the_json(event, context):
    return event["body"].upper()


def raises_key_error(event, context):
    raise KeyError("pathParameters")
"""

CONFIG = """
apis:
  shop: {}
functions:
  path_parameters:
    handler: hint_handlers.path_parameters
    triggers: [{api: shop, resource: "/items/{id}", method: GET}]
  parses_body:
    handler: hint_handlers.parses_body
    triggers: [{api: shop, resource: /parse, method: POST}]
  subscripts:
    handler: hint_handlers.subscripts
    triggers: [{api: shop, resource: /subscripts, method: POST}]
  reads_headers:
    handler: hint_handlers.reads_headers
    triggers: [{api: shop, resource: /headers, method: GET}]
  own_key:
    handler: hint_handlers.own_key
    triggers: [{api: shop, resource: /own-key, method: POST}]
  own_type_error:
    handler: hint_handlers.own_type_error
    triggers: [{api: shop, resource: /own-type-error, method: POST}]
  body_in_the_json:
    handler: hint_handlers.body_in_the_json
    triggers: [{api: shop, resource: /body-in-json, method: POST}]
  raises_key_error:
    handler: hint_handlers.raises_key_error
    triggers: [{api: shop, resource: /proxy, method: GET, proxy: true}]
"""


def make_project(root: Path) -> None:
    (root / "hint_handlers.py").write_text(textwrap.dedent(HANDLERS))


@pytest.fixture(scope="module", params=ISOLATIONS)
def apig(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    project = tmp_path_factory.mktemp(f"hints-{request.param}")
    make_project(project)
    with Harness(definitions_from_yaml(CONFIG, code_dir=project), isolation=request.param) as harness:
        yield harness


def test_a_proxy_key_read_on_the_json_body_gets_a_hint(
    apig: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        response = apig.get("/Prod/items/7")
    # AWS's answer, unchanged: a non-proxy integration passes the error object through with a 200.
    assert response.status == 200
    assert response.json()["errorType"] == "KeyError"
    assert response.json()["errorMessage"] == "'pathParameters'"
    hint = apig.invocations[-1].hint
    assert hint is not None
    assert "function 'path_parameters' failed reading 'pathParameters' on its event" in hint
    assert "GET /items/{id} has a non-proxy integration" in hint
    assert "set `proxy: true` on its trigger" in hint
    assert f"GET /Prod/items/7: {hint}" in caplog.messages
    assert f"  hint: {hint}" in apig.invocations[-1].summary().splitlines()


@pytest.mark.parametrize(
    ("request_args", "key"),
    [
        (("POST", "/Prod/parse", {"json": {"a": 1}}), "body"),  # TypeError inside json.loads
        (("POST", "/Prod/subscripts", {"json": [1, 2]}), "body"),  # TypeError: the event is a list
        (("GET", "/Prod/headers", {}), "headers"),  # AttributeError: None has no .get
    ],
)
def test_a_type_or_attribute_error_from_the_same_mistake_gets_it_too(
    apig: Harness, request_args: tuple[str, str, dict[str, object]], key: str
) -> None:
    method, url, options = request_args
    assert apig.request(method, url, **options).status == 200
    invocation = apig.invocations[-1]
    assert invocation.error is not None and invocation.error["errorType"] in ("TypeError", "AttributeError")
    assert invocation.hint is not None and f"failed reading {key!r} on its event" in invocation.hint


@pytest.mark.parametrize(
    ("request_args"),
    [
        ("POST", "/Prod/own-key", {"json": {"title": "x"}}),  # KeyError of a key of the user's own
        ("POST", "/Prod/own-type-error", {"json": {"a": 1}}),  # a TypeError about something else
        ("POST", "/Prod/body-in-json", {"json": {"body": None}}),  # the JSON has the key: not the cause
        ("GET", "/Prod/proxy", {}),  # a proxy method has the whole event
    ],
)
def test_no_hint_where_the_event_is_not_the_cause(
    apig: Harness, request_args: tuple[str, str, dict[str, object]], caplog: pytest.LogCaptureFixture
) -> None:
    method, url, options = request_args
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        apig.request(method, url, **options)
    invocation = apig.invocations[-1]
    assert invocation.error is not None
    assert invocation.hint is None
    assert not [message for message in caplog.messages if "proxy: true" in message]


def test_the_keys_are_the_proxy_events() -> None:
    event = proxy_event("GET", "/Prod/proxy", config=definitions_from_yaml(CONFIG))
    assert set(event) == PROXY_EVENT_KEYS


def test_only_failed_invocations_are_looked_at() -> None:
    assert proxy_hint("f", "GET", "/x", {}, None) is None
    assert proxy_hint("f", "GET", "/x", {}, {"errorType": "KeyError", "errorMessage": "'body'"}) is not None
    assert proxy_hint("f", "GET", "/x", {}, {"errorType": "KeyError", "errorMessage": "body"}) is None


@pytest.mark.slow
def test_serves_log_carries_the_hint(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    make_project(project)
    server = start_server(tmp_path, CONFIG, "--code-dir", str(project), "--no-reload")
    try:
        assert requests.get(server.url + "/Prod/items/7", timeout=10).json()["errorType"] == "KeyError"
    finally:
        server.stop()
    log = server.log()
    assert "GET /Prod/items/7: function 'path_parameters' failed reading 'pathParameters' on its event" in log
    assert "set `proxy: true` on its trigger" in log


FIXTURE_TEST = """
def test_item(apig):
    assert apig.get("/Prod/items/7").json() == {"id": "7"}
"""


@pytest.mark.slow
def test_a_failed_tests_report_shows_the_hint(pytester: pytest.Pytester) -> None:
    make_project(pytester.path)
    (pytester.path / "config").mkdir()
    (pytester.path / "config" / "apig.yaml").write_text(textwrap.dedent(CONFIG))
    pytester.makepyfile(test_item=FIXTURE_TEST)
    # In a process of its own: this module's harnesses imported a module of the same name.
    result = pytester.runpytest_subprocess(*PYTESTER_ARGS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- apig-emu invocations -*",
            "[[]1] GET /Prod/items/7 -> 200 *",
            "*function error: KeyError: 'pathParameters'",
            "*hint: function 'path_parameters' failed reading 'pathParameters' on its event*`proxy: true`*",
        ]
    )
