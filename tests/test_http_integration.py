"""HTTP and HTTP_PROXY integrations against a local backend started by each test (``tests/upstream.py``).

The recorded cases of the companion reference (A.6, A.7(b), A.10) have the same input and output here;
the backend's view of each request is what the upstream recorded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.app import create_app
from emulator.config import ConfigWarning
from emulator.deployment import deploy
from emulator.gateway import Gateway
from emulator.not_executed import grouped, not_executed
from emulator.request import GatewayRequest
from emulator.runtime.threads import ThreadInvoker
from emulator.testing import Harness
from tests.conftest import LAMBDAS, inspector_client
from tests.upstream import Answer, Received, Upstream

OK = {"200": {"description": "ok"}}
#: The client headers of the recorded matrix (reference A.7), sent on a GET.
A7_HEADERS = {
    "Accept": "application/json",
    "Accept-Charset": "UTF-8",
    "Accept-Encoding": "br",
    "Age": "request_Age",
    "Authorization": "Unauthorized",
    "Content-Encoding": "deflate",
    "Content-MD5": "request_Content-MD5",
    "Content-Type": "application/json",
    "Date": "request_Date",
    "Expect": "100-continue",
    "Max-Forwards": "2",
    "Pragma": "cache",
    "Proxy-Authenticate": "Basic",
    "Range": "bytes=500-999",
    "Referer": "https://example.com/",
    "Server": "https://example.com/",
    "TE": "deflate",
    "Trailer": "Expires",
    "Upgrade": "HTTP/2.0",
    "User-Agent": "localStack/0.0",
    "Via": "p.example.net",
    "Warn": "299 localStack/0.0",
    "WWW-Authenticate": "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
}

Serve = Callable[..., Harness]


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    backend = Upstream()
    yield backend
    backend.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Serve]:
    """A harness over an OpenAPI document (``paths``, a dict) bound from a YAML config."""
    harnesses: list[Harness] = []

    def make(paths: dict[str, Any], stages: str = "Prod: {}", **extensions: Any) -> Harness:
        document = {
            "openapi": "3.0.1",
            "info": {"title": "shop", "version": "1"},
            "paths": paths,
            **extensions,
        }
        (tmp_path / "api.json").write_text(json.dumps(document))
        (tmp_path / "apig.yaml").write_text(
            f"apis:\n  shop:\n    openapi: api.json\n    stages: {{{stages}}}\n"
            "functions:\n  echo: {handler: cases.echo}\n  record: {handler: cases.echo_event}\n"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConfigWarning)
            harness = Harness(tmp_path / "apig.yaml", code_dir=LAMBDAS)
        harnesses.append(harness)
        return harness

    yield make
    for harness in harnesses:
        harness.close()


def http(uri: str, *, kind: str = "http", method: str = "POST", **settings: Any) -> dict[str, Any]:
    """An operation with an HTTP integration; non-proxy ones get the default 200 integration response."""
    integration: dict[str, Any] = {"type": kind, "uri": uri, "httpMethod": method, **settings}
    if kind == "http":
        integration.setdefault("responses", {"default": {"statusCode": "200"}})
    return {"responses": OK, "x-amazon-apigateway-integration": integration}


def api_id(apig: Harness) -> str:
    return apig.definitions.apis["shop"].id


# --- A.6: what the backend receives, and how its status is selected ---------------------------------------


def test_a6_backend_gets_gateway_accept_and_user_agent_and_the_integration_method(
    served: Serve, upstream: Upstream
) -> None:
    """Recorded: the client's Accept and User-Agent are replaced; the integration's method is used."""
    apig = served({"/echo": {"x-amazon-apigateway-any-method": http(upstream.url + "/echo")}})
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/xml",
        "User-Agent": "test/integration",
    }
    for method in ("GET", "PUT", "DELETE"):
        response = apig.request(method, "/Prod/echo", content=b'{"a": 1}', headers=headers)
        assert response.status_code == 200
        got = upstream.last
        assert got.method == "POST"
        assert got.header("Accept") == "application/json"
        assert got.header("Content-Type") == "application/json"
        assert got.header("User-Agent") == f"AmazonAPIGateway_{api_id(apig)}"
        assert got.header("X-Amzn-Apigateway-Api-Id") == api_id(apig)
        assert got.header("X-Amzn-Trace-Id") == response.headers["X-Amzn-Trace-Id"]
        assert got.header("Host") == f"127.0.0.1:{upstream.port}"
        assert got.header("Content-Length") == "8"
        assert got.body == b'{"a": 1}'


def test_a6_without_mappings_the_backend_sees_only_the_gateways_headers(
    served: Serve, upstream: Upstream
) -> None:
    """Recorded "no-param-integration": many client headers, a GET without a body, no mapping."""
    apig = served({"/echo": {"get": http(upstream.url, method="GET")}})
    assert apig.get("/Prod/echo", headers=A7_HEADERS).status_code == 200
    assert upstream.last.header_names == {
        "accept",
        "content-length",
        "host",
        "user-agent",
        "x-amzn-apigateway-api-id",
        "x-amzn-trace-id",
    }
    assert upstream.last.header("Accept") == "application/json"
    assert upstream.last.header("Content-Length") == "0"


def test_a6_default_integration_response_turns_a_backend_400_into_200(
    served: Serve, upstream: Upstream
) -> None:
    """Recorded "non-matching-response": the default response catches every status; HTTP_PROXY passes it."""
    upstream.respond = lambda received: Answer(400, body=b'{"message": "", "status_code": 400}')
    apig = served(
        {
            "/http": {"post": http(upstream.url)},
            "/proxy": {"post": http(upstream.url, kind="http_proxy")},
        }
    )
    custom = apig.post("/Prod/http", json={})
    assert (custom.status_code, custom.json()) == (200, {"message": "", "status_code": 400})
    proxied = apig.post("/Prod/proxy", json={})
    assert (proxied.status_code, proxied.json()) == (400, {"message": "", "status_code": 400})


def test_a6_selection_pattern_matches_the_backend_status(served: Serve, upstream: Upstream) -> None:
    """Recorded: selectionPattern ``4\\d{2}`` on a 400 response; backend 404 → 400, backend 201 → 200."""
    statuses = iter([404, 201])
    upstream.respond = lambda received: Answer(next(statuses), body=b'{"from": "backend"}')
    apig = served(
        {
            "/pick": {
                "post": {
                    "responses": {"200": {"description": "ok"}, "400": {"description": "bad"}},
                    "x-amazon-apigateway-integration": {
                        "type": "http",
                        "uri": upstream.url,
                        "httpMethod": "POST",
                        "responses": {"default": {"statusCode": "200"}, "4\\d{2}": {"statusCode": "400"}},
                    },
                }
            }
        }
    )
    assert apig.post("/Prod/pick").status_code == 400
    second = apig.post("/Prod/pick")
    assert (second.status_code, second.json()) == (200, {"from": "backend"})


def test_a6_backend_headers_reach_the_client_only_when_mapped(served: Serve, upstream: Upstream) -> None:
    upstream.respond = lambda received: Answer(
        200, [("Content-Type", "text/plain"), ("X-Backend", "b"), ("ETag", '"v1"')], b"plain"
    )
    operation = http(upstream.url)
    operation["responses"] = {
        "200": {"description": "ok", "headers": {"ETag": {"schema": {"type": "string"}}}}
    }
    operation["x-amazon-apigateway-integration"]["responses"] = {
        "default": {
            "statusCode": "200",
            "responseParameters": {"method.response.header.ETag": "integration.response.header.ETag"},
        }
    }
    apig = served({"/file": {"post": operation}})
    response = apig.post("/Prod/file")
    assert response.content == b"plain"
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["ETag"] == '"v1"'
    assert "X-Backend" not in response.headers


# --- A.7(b), A.10: request parameter mapping onto the backend's request --------------------------------------


def test_a7b_literal_header_mappings_are_applied_as_given(served: Serve, upstream: Upstream) -> None:
    applied = {
        "Accept": "text/html",
        "Accept-Charset": "UTF-16",
        "Accept-Encoding": "zstd",
        "Age": "mapped_Age",
        "Authorization": "mapped_Authorization",
        "Content-Encoding": "gzip",
        "Content-MD5": "mapped_Content-MD5",
        "Content-Type": "text/csv",
        "Date": "mapped_Date",
        "Max-Forwards": "7",
        "Pragma": "no-cache",
        "Range": "bytes=0-1",
        "Referer": "https://mapped.example/",
        "Server": "mapped_Server",
        "Trailer": "Expires",
        "Upgrade": "websocket",
        "User-Agent": "Override-Agent",
        "Warn": "199 mapped",
        "WWW-Authenticate": "Basic mapped",
    }
    dropped = ("Connection", "Proxy-Authenticate", "TE", "Via", "Expect")
    parameters = {f"integration.request.header.{name}": f"'{value}'" for name, value in applied.items()}
    parameters.update({f"integration.request.header.{name}": "'mapped'" for name in dropped})
    parameters["integration.request.header.Host"] = "method.request.header.Host"
    apig = served({"/echo": {"get": http(upstream.url, method="GET", requestParameters=parameters)}})
    assert apig.get("/Prod/echo", headers={"Host": "abc123.execute-api.localhost"}).status_code == 200
    got = upstream.last
    for name, value in applied.items():
        assert got.header(name) == value, name
    for name in dropped:
        assert got.header(name) is None, name
    assert got.header("Host") == "abc123.execute-api.localhost"


@pytest.mark.parametrize("header", ["Content-Length", "Transfer-Encoding"])
def test_a7b_mapping_content_length_or_transfer_encoding_fails_every_call(
    served: Serve, upstream: Upstream, header: str, caplog: pytest.LogCaptureFixture
) -> None:
    parameters = {f"integration.request.header.{header}": "'5'"}
    apig = served({"/echo": {"get": http(upstream.url, method="GET", requestParameters=parameters)}})
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        response = apig.get("/Prod/echo")
    assert response.status_code == 500
    assert response.content == b'{"message": "Internal server error"}'
    assert len(response.content) == 36
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert upstream.received == []
    assert f"integration.request.header.{header} cannot be mapped" in caplog.text


def test_a10_header_from_a_method_header_and_from_context(served: Serve, upstream: Upstream) -> None:
    """Recorded: testHeader ← method.request.header.customHeader, contextHeader ← context.resourceId."""
    parameters = {
        "integration.request.header.testHeader": "method.request.header.customHeader",
        "integration.request.header.contextHeader": "context.resourceId",
    }
    apig = served({"/": {"get": http(upstream.url, method="GET", requestParameters=parameters)}})
    assert apig.get("/Prod/", headers={"customHeader": "test"}).status_code == 200
    root = apig.definitions.apis["shop"].resources["/"]
    assert upstream.last.header("testheader") == "test"
    assert upstream.last.header("contextheader") == root.id


def test_every_source_maps_onto_the_url_the_query_and_headers(served: Serve, upstream: Upstream) -> None:
    parameters = {
        "integration.request.path.item": "method.request.path.id",
        "integration.request.path.shelf": "stageVariables.shelf",
        "integration.request.querystring.q": "method.request.querystring.search",
        "integration.request.querystring.tag": "method.request.multivaluequerystring.tag",
        "integration.request.querystring.fixed": "'a b&c'",
        "integration.request.header.X-Lang": "method.request.header.Accept-Language",
        "integration.request.header.X-All": "method.request.multivalueheader.X-Many",
        "integration.request.header.X-Name": "method.request.body.customer.name",
        "integration.request.header.X-Items": "method.request.body.items",
        "integration.request.header.X-Body": "method.request.body",
        "integration.request.header.X-Source-Ip": "context.identity.sourceIp",
        "integration.request.header.X-Missing": "method.request.header.X-Not-Sent",
    }
    operation = http(
        upstream.url + "/${stageVariables.base}/{shelf}/items/{item}?v=1", requestParameters=parameters
    )
    apig = served({"/items/{id}": {"post": operation}}, "Prod: {variables: {base: shop, shelf: top}}")
    body = {"customer": {"name": "Ann"}, "items": [1, 2]}
    response = apig.request(
        "POST",
        "/Prod/items/a%20b?search=x%2By&tag=1&tag=2",
        content=json.dumps(body).encode(),
        headers=[("Accept-Language", "fr"), ("X-Many", "one"), ("X-Many", "two")],
    )
    assert response.status_code == 200
    got = upstream.last
    assert got.target == "/shop/top/items/a%20b?v=1&q=x%2By&tag=1&tag=2&fixed=a+b%26c"
    assert got.header("X-Lang") == "fr"
    assert got.header("X-All") == "one,two"
    assert got.header("X-Name") == "Ann"
    assert got.header("X-Items") == "[1,2]"
    assert got.header("X-Body") == json.dumps(body)
    assert got.header("X-Source-Ip") == "127.0.0.1"
    assert got.header("X-Missing") is None


def test_a_stage_variable_the_stage_lacks_is_a_500_that_names_it(
    served: Serve, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    apig = served({"/x": {"get": http("http://${stageVariables.host}/x", method="GET")}}, "live: {}")
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        response = apig.get("/live/x")
    assert (response.status_code, response.json()) == (500, {"message": "Internal server error"})
    assert "names ${stageVariables.host}, which stage 'live' does not define" in caplog.text


def test_a_uri_placeholder_nothing_maps_is_a_500_that_says_what_to_add(
    served: Serve, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    apig = served({"/items/{id}": {"get": http(upstream.url + "/items/{id}", method="GET")}})
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        response = apig.get("/Prod/items/1")
    assert response.status_code == 500
    assert "no request parameter integration.request.path.id maps a value onto it" in caplog.text
    assert upstream.received == []


# --- HTTP_PROXY -------------------------------------------------------------------------------------------------


def test_http_proxy_forwards_method_path_query_headers_and_body(served: Serve, upstream: Upstream) -> None:
    operation = http(
        upstream.url + "/api/{proxy}",
        kind="http_proxy",
        method="ANY",
        requestParameters={"integration.request.path.proxy": "method.request.path.proxy"},
    )
    operation["parameters"] = [
        {"name": "proxy", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    apig = served({"/{proxy+}": {"x-amazon-apigateway-any-method": operation}})
    response = apig.request(
        "PATCH",
        "/Prod/a/b%2Fc?x=1&x=2",
        content=b"raw \xff bytes",
        headers={"Content-Type": "application/octet-stream", "Accept": "text/csv", "User-Agent": "mine"},
    )
    assert response.status_code == 200
    got = upstream.last
    assert (got.method, got.target, got.body) == ("PATCH", "/api/a/b%2Fc?x=1&x=2", b"raw \xff bytes")
    assert got.header("Accept") == "text/csv"
    assert got.header("User-Agent") == "mine"
    assert got.header("Content-Type") == "application/octet-stream"
    assert got.header("Host") == f"127.0.0.1:{upstream.port}"
    assert got.header("X-Amzn-Apigateway-Api-Id") == api_id(apig)
    assert got.header("X-Amzn-Trace-Id") == apig.exchanges[-1].ids.trace_id


def test_http_proxy_appends_the_client_to_x_forwarded_for(served: Serve, upstream: Upstream) -> None:
    apig = served({"/p": {"get": http(upstream.url, kind="http_proxy", method="GET")}})
    apig.get("/Prod/p")
    assert upstream.last.header("X-Forwarded-For") == "127.0.0.1"
    apig.get("/Prod/p", headers={"X-Forwarded-For": "203.0.113.7"})
    assert upstream.last.header("X-Forwarded-For") == "203.0.113.7, 127.0.0.1"
    assert upstream.last.header("Connection") in (None, "keep-alive")


def test_http_proxy_passes_the_answer_back_with_reserved_headers_remapped(
    served: Serve, upstream: Upstream
) -> None:
    upstream.respond = lambda received: Answer(
        418,
        [
            ("Content-Type", "text/teapot"),
            ("Server", "upstream/1"),
            ("Date", "Mon, 01 Jan 2029 00:00:00 GMT"),
            ("WWW-Authenticate", "Basic"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ],
        b"short and stout",
    )
    apig = served({"/p": {"get": http(upstream.url, kind="http_proxy", method="GET")}})
    response = apig.get("/Prod/p")
    assert (response.status_code, response.content) == (418, b"short and stout")
    assert response.headers["Content-Type"] == "text/teapot"
    assert response.headers["x-amzn-Remapped-Server"] == "upstream/1"
    assert response.headers["x-amzn-Remapped-Date"] == "Mon, 01 Jan 2029 00:00:00 GMT"
    assert response.headers["x-amzn-Remapped-WWW-Authenticate"] == "Basic"
    assert response.headers["x-amzn-Remapped-Content-Length"] == "15"
    assert response.headers.get_list("Set-Cookie") == ["a=1", "b=2"]
    assert "X-Amzn-Trace-Id" not in response.headers  # reference 4.3: not on HTTP_PROXY answers


# --- failures: timeout, unreachable -----------------------------------------------------------------------------


def test_integration_timeout_is_a_504_while_the_backend_holds(
    served: Serve, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    upstream.hold()
    apig = served({"/slow": {"get": http(upstream.url, method="GET", timeoutInMillis=50)}})
    try:
        with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
            response = apig.get("/Prod/slow")
    finally:
        upstream.release()
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    assert "did not answer GET http://127.0.0.1" in caplog.text
    assert "within the integration timeout of 50 ms" in caplog.text


def test_unreachable_endpoint_is_the_recorded_500_invalid_endpoint_address(
    served: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """Pins the choice made from the best evidence: AWS's recorded TestInvokeMethod answer (companion E),
    not LocalStack's own 504 "Network error communicating with endpoint"."""
    closed = Upstream()
    closed.close()  # the port is free now: nothing listens there
    apig = served({"/gone": {"get": http(closed.url, method="GET")}})
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        response = apig.get("/Prod/gone")
    assert response.status_code == 500
    assert response.content == b'{"message": "Internal server error"}'
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert "Execution failed due to configuration error: Invalid endpoint address" in caplog.text
    assert f"GET {closed.url} failed: ConnectionRefusedError" in caplog.text


def test_one_pooled_connection_is_reused_and_closed_with_the_harness(
    served: Serve, upstream: Upstream
) -> None:
    apig = served({"/p": {"get": http(upstream.url, method="GET")}})
    apig.get("/Prod/p")
    apig.get("/Prod/p")
    first, second = upstream.received
    assert first.peer_port == second.peer_port
    assert not upstream.closed.is_set()
    apig.close()
    assert upstream.closed.wait(60)


def test_http_integrations_are_no_longer_listed_as_not_executed(served: Serve, upstream: Upstream) -> None:
    apig = served(
        {
            "/a": {"get": http(upstream.url, method="GET")},
            "/b": {"get": http(upstream.url, kind="http_proxy")},
        }
    )
    assert grouped(not_executed(apig.definitions)) == []


def test_the_app_closes_the_shared_client_when_serve_stops(served: Serve, upstream: Upstream) -> None:
    """``serve``'s shutdown (the ASGI lifespan of ``create_app``) closes the pooled connections."""
    definitions = served({"/p": {"get": http(upstream.url, method="GET")}}).definitions

    async def lifespan() -> int:
        gateway = Gateway(deploy(definitions), invoker=ThreadInvoker())
        app = create_app(gateway)
        inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        sent: list[str] = []
        started = asyncio.Event()

        async def send(message: Any) -> None:
            sent.append(message["type"])
            if message["type"] == "lifespan.startup.complete":
                started.set()

        inbox.put_nowait({"type": "lifespan.startup"})
        task = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send))
        await started.wait()
        response = await gateway.handle(GatewayRequest("GET", "/Prod/p", "", [("Host", "localhost")]))
        assert not upstream.closed.is_set()
        inbox.put_nowait({"type": "lifespan.shutdown"})
        await task
        assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
        return response.status

    assert asyncio.run(lifespan()) == 200
    assert upstream.closed.wait(60)


def test_the_inspector_shows_the_call_as_the_backend_got_it_and_its_answer_before_mapping(
    served: Serve, upstream: Upstream
) -> None:
    """What a mapping produced is what a developer checks first when a backend misbehaves."""
    upstream.respond = lambda received: Answer(404, [("Content-Type", "text/plain")], b"no such pet")
    parameters = {"integration.request.querystring.kind": "method.request.querystring.type"}
    apig = served(
        {"/pets": {"get": http(upstream.url + "/pets", method="GET", requestParameters=parameters)}}
    )
    with inspector_client(apig) as inspector:
        assert inspector.get("/Prod/pets?type=dog").status_code == 200
        [record] = inspector.get("/_emu/api/invocations").json()
    sent = record["integrationRequest"]
    assert (sent["method"], sent["url"]) == ("GET", f"{upstream.url}/pets?kind=dog")
    assert ["User-Agent", f"AmazonAPIGateway_{api_id(apig)}"] in sent["headers"]
    assert sent["bodyLength"] == 0
    answer = record["integrationResponse"]
    assert (answer["status"], answer["body"]) == (404, "no such pet")
    assert ["Content-Type", "text/plain"] in answer["headers"]
    assert record["response"]["status"] == 200
    assert record["event"] is None


# --- mapping templates on an HTTP integration: the recordings' own setup (A.1, A.2) ------------------------------

A2_RAW = "#set($result = $input.body)$result"
A2_STR = "Action=SendMessage&MessageBody=$input.body"
A2_ATTR = "#set($result = $input.body.testAccess)$result"
A2_URL = "EncodedBody=$util.urlEncode($input.body)&EncodedBodyAccess=$util.urlEncode($input.body.testAccess)"
A2_BODIES = (b"", b'{"some": "value"}', b"some raw data")


def templated(upstream: Upstream, request: str, response: str) -> dict[str, Any]:
    operation = http(upstream.url, requestTemplates={"application/json": request})
    operation["x-amazon-apigateway-integration"]["responses"] = {
        "default": {"statusCode": "200", "responseTemplates": {"application/json": response}}
    }
    return operation


@pytest.mark.parametrize(
    ("request_template", "response_template", "expected"),
    [
        (A2_RAW, A2_RAW, ["{}", '{"some": "value"}', "some raw data"]),
        (
            A2_STR,
            A2_RAW,
            [
                "Action=SendMessage&MessageBody={}",
                'Action=SendMessage&MessageBody={"some": "value"}',
                "Action=SendMessage&MessageBody=some raw data",
            ],
        ),
        (
            A2_RAW,
            A2_STR,
            [
                "Action=SendMessage&MessageBody={}",
                'Action=SendMessage&MessageBody={"some": "value"}',
                "Action=SendMessage&MessageBody=some raw data",
            ],
        ),
        (
            A2_STR,
            A2_STR,
            [
                "Action=SendMessage&MessageBody=Action=SendMessage&MessageBody={}",
                'Action=SendMessage&MessageBody=Action=SendMessage&MessageBody={"some": "value"}',
                "Action=SendMessage&MessageBody=Action=SendMessage&MessageBody=some raw data",
            ],
        ),
        (A2_ATTR, A2_RAW, ["{}", "{}", "{}"]),
        (
            A2_URL,
            A2_RAW,
            [
                "EncodedBody=%7B%7D&EncodedBodyAccess=",
                "EncodedBody=%7B%22some%22%3A+%22value%22%7D&EncodedBodyAccess=",
                "EncodedBody=some+raw+data&EncodedBodyAccess=",
            ],
        ),
    ],
)
def test_a2_input_body_through_an_http_integration_that_echoes_the_body(
    served: Serve, upstream: Upstream, request_template: str, response_template: str, expected: list[str]
) -> None:
    """Recorded: an HTTP integration to a function URL that answers the body it was sent."""
    upstream.respond = lambda received: Answer(body=received.body)
    apig = served({"/echo": {"post": templated(upstream, request_template, response_template)}})
    answers = [
        apig.post("/Prod/echo", content=body, headers={"Content-Type": "application/json"}).text
        for body in A2_BODIES
    ]
    assert answers == expected


A1_PATH = '#set($result = $input.path("$.json"))$result'
A1_NULLS = (
    '#set($result = $input.path("{path}")){{"body": $result, "nested": $result.nested, "isNull": '
    '#if( $result == $null )"true"#else"false"#end, "isEmptyString": #if( $result == "" )"true"#else"false"#end}}'
)


def json_echo(received: Received) -> Answer:
    """Reference A.1's echo server: the JSON the client sent, under ``json``."""
    sent = json.loads(received.body) if received.body else None
    return Answer(body=json.dumps({"json": sent}).encode())


@pytest.mark.parametrize(
    ("template", "sent", "expected"),
    [
        (A1_PATH, b'{"foo": "bar"}', "{foo=bar}"),
        (A1_PATH, b'[{"foo": "bar"}]', '[{"foo":"bar"}]'),
        (A1_PATH, b'{"foo": [{"nested": "bar"}]}', '{foo=[{"nested":"bar"}]}'),
        (
            A1_PATH,
            b'{"bigger": "dict", "to": "test", "with": "separators"}',
            "{bigger=dict, to=test, with=separators}",
        ),
        (A1_PATH + ".nested", b'{"nested": {"foo": "bar"}}', "{foo=bar}"),
        (A1_PATH + ".nested", b'{"nested": [{"foo": "bar"}]}', '[{"foo":"bar"}]'),
        (A1_PATH + "[0]", b'[{"foo": "bar"}]', "{foo=bar}"),
        (A1_PATH + "[0]", b'[[{"foo": "bar"}]]', '[{"foo":"bar"}]'),
        (A1_PATH + ".toString()", b'{"foo": "bar"}', "{foo=bar}"),
        (A1_PATH + ".toString()", b'{"list": [{"foo": "bar"}]}', '{list=[{"foo":"bar"}]}'),
        (
            A1_NULLS.format(path="$.nonExisting"),
            b"",
            '{"body": , "nested": , "isNull": "true", "isEmptyString": "true"}',
        ),
        (
            A1_NULLS.format(path="$.json.listValue"),
            b'{"listValue": []}',
            '{"body": [], "nested": , "isNull": "false", "isEmptyString": "false"}',
        ),
        (
            A1_NULLS.format(path="$.json.listValue"),
            b'{"listValue": null}',
            '{"body": , "nested": , "isNull": "true", "isEmptyString": "true"}',
        ),
    ],
)
def test_a1_input_path_in_the_response_template_of_an_http_integration(
    served: Serve, upstream: Upstream, template: str, sent: bytes, expected: str
) -> None:
    """Recorded: POST through an HTTP integration to an echo server, the response template printing a path."""
    upstream.respond = json_echo
    operation = http(upstream.url)
    operation["x-amazon-apigateway-integration"]["responses"] = {
        "default": {"statusCode": "200", "responseTemplates": {"application/json": template}}
    }
    apig = served({"/echo": {"post": operation}})
    response = apig.post("/Prod/echo", content=sent, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.text) == (200, expected)


def test_a_request_template_overrides_header_query_and_path_over_the_mappings(
    served: Serve, upstream: Upstream
) -> None:
    """``$context.requestOverride`` has the last word over ``requestParameters`` (AWS's documented order)."""
    template = (
        '#set($context.requestOverride.header.X-Tenant = "from-template")'
        "#set($context.requestOverride.querystring.page = 7)"
        '#set($context.requestOverride.path.item = "over/ridden")'
        '{"sent": "$input.params(\'id\')"}'
    )
    parameters = {
        "integration.request.header.X-Tenant": "method.request.header.X-Tenant",
        "integration.request.querystring.page": "'1'",
        "integration.request.path.item": "method.request.path.id",
    }
    operation = http(
        upstream.url + "/items/{item}",
        requestParameters=parameters,
        requestTemplates={"application/json": template},
    )
    apig = served({"/items/{id}": {"post": operation}})
    response = apig.post(
        "/Prod/items/3", content=b"{}", headers={"X-Tenant": "acme", "Content-Type": "application/json"}
    )
    assert response.status_code == 200
    got = upstream.last
    assert got.target == "/items/over/ridden?page=7"
    assert got.header("X-Tenant") == "from-template"
    assert got.body == b'{"sent": "3"}'
