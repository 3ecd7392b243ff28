"""Properties of the two steps every proxy request crosses, for any input Hypothesis can think of.

- ``build_proxy_event``: the event is JSON-serialisable, carries the exact body bytes (text or base64)
  and every header and query value the client sent.
- ``check_proxy_result``: any payload is either accepted with AWS's semantics, into a response that
  is safe to write, or refused with a ``GatewayError`` (the 502/500) — it never raises anything else.

Example counts are modest for CI; ``APIG_EMU_HYPOTHESIS_EXAMPLES=5000`` runs them harder.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.app import encode_headers
from emulator.config import load_definitions
from emulator.context import build_variables
from emulator.errors import GatewayError
from emulator.events import RequestIds, build_proxy_event
from emulator.proxy_response import ALLOWED_KEYS, check_proxy_result
from emulator.request import GatewayRequest
from emulator.response import GatewayResponse
from emulator.routing import RouteMatch, Router
from emulator.runtime.result import InvocationResult
from tests.conftest import LAMBDAS

#: Slow: Hypothesis searches hundreds of examples per property.
pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("APIG_EMU_HYPOTHESIS_EXAMPLES", "150"))
PROFILE = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: What uvicorn refuses to write (its ``HEADER_RE`` and ``HEADER_VALUE_RE``): a response must never contain them.
_BAD_NAME = re.compile(rb'[\x00-\x1f\x7f()<>@,;:\[\]={} \t\\"]')
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")

TOKEN = st.from_regex(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,24}", fullmatch=True)
#: Headers the gateway drops, merges or adds itself; their values are covered by example tests.
_GATEWAY_OWNED = {"content-length", "connection", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"}
_GATEWAY_OWNED |= {"x-amzn-trace-id", "content-md5", "expect", "max-forwards", "proxy-authenticate", "server"}
_GATEWAY_OWNED |= {"te", "trailer", "transfer-encoding", "upgrade", "www-authenticate"}
_NORMALISED = {"authorization": "Authorization", "user-agent": "User-Agent"}
_REMAPPED = {"authorization", "connection", "content-md5", "date", "expect", "host", "max-forwards"}
_REMAPPED |= {"proxy-authenticate", "server", "trailer", "upgrade", "user-agent", "www-authenticate"}
BINARY_TYPES = ("image/png", "application/octet-stream")

IDS = RequestIds(
    request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    extended_request_id="BQGojGBGoAMFb0A=",
    trace_id="Root=1-5e1b4151-5ac6c58f5b5daa6532e5e8a8",
    epoch_ms=1_700_000_000_000,
)


def _base_match() -> RouteMatch:
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "apig.yaml"
        config.write_text(
            "apis: {shop: {stages: {Prod: {variables: {table: t}}}}}\n"
            "functions:\n  echo:\n    handler: cases.echo_event\n    triggers:\n"
            '      - {api: shop, resource: "/items/{proxy+}", method: ANY, proxy: true}\n'
        )
        definitions = load_definitions(config, code_dir=LAMBDAS)
    return Router(definitions).match("GET", "/Prod/items/a/b", "localhost")


MATCH = _base_match()


def with_binary_types(binary: bool) -> RouteMatch:
    api = dataclasses.replace(MATCH.api, binary_media_types=BINARY_TYPES if binary else ())
    return dataclasses.replace(MATCH, api=api)


# --- the event builder ---------------------------------------------------------------------------------

header_pairs = st.lists(st.tuples(TOKEN, st.text(max_size=40)), max_size=12)
query_pairs = st.lists(
    st.tuples(
        st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
    ),
    max_size=8,
)
content_types = st.one_of(
    st.none(), st.sampled_from([*BINARY_TYPES, "text/plain", "application/json", "image/*"])
)


@PROFILE
@given(
    method=st.one_of(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]), TOKEN),
    headers=header_pairs,
    query=query_pairs,
    body=st.one_of(
        st.binary(max_size=300), st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass"))
    ),
    content_type=content_types,
    binary=st.booleans(),
    client_ip=st.text(max_size=40),
    port=st.one_of(st.none(), st.integers(0, 65535)),
)
def test_event_is_json_and_keeps_body_headers_and_query(
    method: str,
    headers: list[tuple[str, str]],
    query: list[tuple[str, str]],
    body: bytes,
    content_type: str | None,
    binary: bool,
    client_ip: str,
    port: int | None,
) -> None:
    all_headers = [*headers, ("Content-Type", content_type)] if content_type else headers
    request = GatewayRequest(
        method=method,
        raw_path="/Prod/items/a/b",
        query_string="&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query),
        headers=all_headers,
        body=body,
        client_ip=client_ip,
        server_port=port,
    )
    event = build_proxy_event(
        request, with_binary_types(binary), build_variables(IDS, request, MATCH), IDS.trace_id
    )

    assert json.loads(json.dumps(event)) == event

    if not body:
        assert event["body"] is None
        assert event["isBase64Encoded"] is False
    elif event["isBase64Encoded"]:
        assert base64.b64decode(event["body"], validate=True) == body
    else:
        assert event["body"].encode("utf-8") == body

    expected: dict[str, list[str]] = {}
    for name, value in all_headers:
        if name.lower() not in _GATEWAY_OWNED:
            expected.setdefault(_NORMALISED.get(name.lower(), name), []).append(value)
    multi = event["multiValueHeaders"]
    assert {name: multi[name] for name in expected} == expected
    assert {name: event["headers"][name] for name in expected} == {k: v[-1] for k, v in expected.items()}

    if not query:
        assert event["queryStringParameters"] is None
        assert event["multiValueQueryStringParameters"] is None
    else:
        grouped: dict[str, list[str]] = {}
        for name, value in query:
            grouped.setdefault(name, []).append(value)
        assert event["multiValueQueryStringParameters"] == grouped
        assert event["queryStringParameters"] == {k: v[-1] for k, v in grouped.items()}


@PROFILE
@given(
    query_string=st.text(st.characters(max_codepoint=255), max_size=80),
    headers=st.lists(st.tuples(st.text(max_size=10), st.text(max_size=20)), max_size=6),
    host=st.text(max_size=30),
)
def test_event_never_raises_on_raw_query_and_odd_headers(
    query_string: str, headers: list[tuple[str, str]], host: str
) -> None:
    # The query as the server hands it over: any bytes, percent-escapes valid or not, read as Latin-1.
    request = GatewayRequest("GET", "/Prod/items/a", query_string, [("Host", host), *headers])
    event = build_proxy_event(request, MATCH, build_variables(IDS, request, MATCH), IDS.trace_id)
    json.dumps(event)
    for values in (event["multiValueQueryStringParameters"] or {}).values():
        assert all(isinstance(value, str) for value in values)


# --- the response checker ------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
#: Names and values one character away from valid: what header injection looks like.
_SPLITTERS = st.sampled_from(["\n", "\r\n", "\r", ":", " ", "\x00", "\x7f", "é", "\ud800"])
header_names = st.one_of(TOKEN, st.text(max_size=12), st.tuples(TOKEN, _SPLITTERS).map("".join))
header_values = st.one_of(
    st.text(max_size=30),
    st.booleans(),
    st.tuples(st.text(max_size=8), _SPLITTERS, st.text(max_size=8)).map("".join),
)
header_maps = st.dictionaries(header_names, st.one_of(header_values, json_values), max_size=5)
multi_header_maps = st.dictionaries(
    header_names,
    st.one_of(st.lists(st.one_of(header_values, json_scalars), max_size=3), json_values),
    max_size=4,
)
status_codes = st.one_of(
    st.integers(-1000, 1000),
    st.integers(),
    st.integers(0, 1200).map(str),
    st.text(st.sampled_from("0123456789²³٢۲ \t\n+-."), max_size=12),
    st.integers(11, 5000).map(lambda n: "9" * n),
    st.text(max_size=8),
    json_scalars,
)
results = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "statusCode": status_codes,
            "headers": st.one_of(header_maps, json_values),
            "multiValueHeaders": st.one_of(multi_header_maps, json_values),
            "body": st.one_of(st.text(max_size=60), json_values),
            "isBase64Encoded": st.one_of(st.booleans(), json_scalars),
        },
    ),
    st.dictionaries(
        st.one_of(st.sampled_from(sorted(ALLOWED_KEYS)), st.text(max_size=8)), json_values, max_size=6
    ),
)
accepts = st.one_of(
    st.none(), st.sampled_from(["image/png", "*/*", "text/html,image/png", "application/x", ""])
)


def assert_writable(response: GatewayResponse) -> None:
    assert 100 <= response.status <= 599
    assert isinstance(response.body, bytes)
    for name, value in encode_headers(response):
        assert not _BAD_NAME.search(name), name
        assert not _BAD_VALUE.search(value), value


@PROFILE
@given(result=results, accept=accepts, binary=st.booleans(), failed=st.booleans())
def test_checker_accepts_safely_or_answers_the_gateway_error(
    result: Any, accept: str | None, binary: bool, failed: bool
) -> None:
    payload = json.dumps(result).encode()
    invocation = InvocationResult(payload=payload, function_error="Unhandled" if failed else None)
    try:
        response = check_proxy_result(
            invocation, accept=accept, binary_media_types=BINARY_TYPES if binary else ()
        )
    except GatewayError:
        return
    assert not failed
    assert isinstance(result, dict)
    assert_writable(response)


def check_or_gateway_error(result: Any) -> GatewayResponse | None:
    invocation = InvocationResult(payload=json.dumps(result).encode())
    try:
        response = check_proxy_result(invocation, accept=None, binary_media_types=())
    except GatewayError:
        return None
    assert_writable(response)
    return response


@PROFILE
@given(status=status_codes)
def test_any_status_code_is_an_http_status_or_the_gateway_error(status: Any) -> None:
    response = check_or_gateway_error({"statusCode": status})
    if response is not None:
        # Accepted: absent, an integer, or ASCII digits; zero means 200, as on AWS.
        number = 0 if status is None else int(str(status).strip())
        assert response.status == (number or 200)


@PROFILE
@given(headers=st.one_of(st.none(), header_maps), multi=st.one_of(st.none(), multi_header_maps))
def test_any_headers_are_written_safely_or_the_gateway_error(headers: Any, multi: Any) -> None:
    check_or_gateway_error({"headers": headers, "multiValueHeaders": multi})


@PROFILE
@given(payload=st.binary(max_size=200), accept=accepts)
def test_checker_never_raises_on_arbitrary_bytes(payload: bytes, accept: str | None) -> None:
    try:
        response = check_proxy_result(
            InvocationResult(payload=payload), accept=accept, binary_media_types=BINARY_TYPES
        )
    except GatewayError:
        return
    assert_writable(response)


safe_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)


@PROFILE
@given(
    status=st.integers(100, 599),
    as_string=st.booleans(),
    headers=st.dictionaries(
        st.one_of(TOKEN, st.sampled_from(["Server", "date", "Content-Length", "content-type", "Set-Cookie"])),
        safe_values,
        max_size=5,
    ),
    body=st.text(st.characters(blacklist_categories=("Cs",)), max_size=80),
)
def test_a_well_formed_result_is_answered_as_returned(
    status: int, as_string: bool, headers: dict[str, str], body: str
) -> None:
    result = {"statusCode": str(status) if as_string else status, "headers": headers, "body": body}
    response = check_proxy_result(
        InvocationResult(payload=json.dumps(result).encode()), accept=None, binary_media_types=()
    )
    assert response.status == status
    assert response.body == body.encode("utf-8")
    expected: dict[str, list[str]] = {}  # names merge case-insensitively, values keep their order
    for name, value in headers.items():
        lower = name.lower()
        if lower not in ("content-length", "transfer-encoding"):
            wire = f"x-amzn-remapped-{lower}" if lower in _REMAPPED else lower
            expected.setdefault(wire, []).append(value)
    if "content-type" not in expected:
        expected["content-type"] = ["application/json"]
    sent: dict[str, list[str]] = {}
    for name, value in response.headers:
        sent.setdefault(name.lower(), []).append(value)
    assert sent == expected
    assert_writable(response)


@PROFILE
@given(data=st.binary(max_size=200))
def test_base64_body_is_decoded_exactly_when_accept_matches(data: bytes) -> None:
    result = {"body": base64.b64encode(data).decode(), "isBase64Encoded": True}
    invocation = InvocationResult(payload=json.dumps(result).encode())
    decoded = check_proxy_result(invocation, accept="image/png", binary_media_types=BINARY_TYPES)
    verbatim = check_proxy_result(invocation, accept="text/html", binary_media_types=BINARY_TYPES)
    assert decoded.body == data
    assert verbatim.body == result["body"].encode()
