"""Differences from AWS found by replaying recordings of real API Gateway traffic (reference 1.8), each closed.

Every test is named for the recording it reproduces: LocalStack's AWS-validated snapshots
(``test_apigateway_lambda.snapshot.json::test_lambda_aws_proxy_integration``,
``test_apigateway_integrations.snapshot.json::test_apigateway_header_remapping_aws[AWS_PROXY]``,
``test_apigateway_common.py::test_invocation_trace_id``) and AWS's own documentation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator import ids
from emulator.testing import Harness, definitions_from_yaml
from tests.conftest import LAMBDAS
from tests.live import LiveServer, exchange, request_bytes, start_server

CONFIG = """
apis:
  edge: {{}}
  regional:
    endpoint_type: {endpoint_type}
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {{api: edge, resource: /echo, method: GET, proxy: true}}
      - {{api: regional, resource: /echo, method: GET, proxy: true, stage: Regional}}
  respond:
    handler: cases.respond
    triggers:
      - {{api: edge, resource: /respond, method: POST, proxy: true}}
mocks:
  ping:
    body: pong
    triggers:
      - {{api: edge, resource: /mock, method: GET}}
"""

#: Recorded on a regional API: 25 headers sent, these never reached the event.
REMOVED = (
    "Content-MD5",
    "Expect",
    "Max-Forwards",
    "Proxy-Authenticate",
    "Server",
    "TE",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
    "WWW-Authenticate",
)
EDGE_HEADERS = (
    "CloudFront-Forwarded-Proto",
    "CloudFront-Is-Desktop-Viewer",
    "CloudFront-Is-Mobile-Viewer",
    "CloudFront-Is-SmartTV-Viewer",
    "CloudFront-Is-Tablet-Viewer",
    "CloudFront-Viewer-ASN",
    "CloudFront-Viewer-Country",
    "Via",
    "X-Amz-Cf-Id",
)
FULL_TRACE = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"
ROOT_ONLY = "Root=1-3152b799-8954dae64eda91bc9a23a7e8"


@pytest.fixture
def apig() -> Iterator[Harness]:
    with Harness(definitions_from_yaml(CONFIG.format(endpoint_type="REGIONAL"), code_dir=LAMBDAS)) as harness:
        yield harness


def event_of(apig: Harness, path: str, **options: Any) -> dict[str, Any]:
    response = apig.get(path, **options)
    assert response.status == 200, response.text
    event: dict[str, Any] = json.loads(response.text)
    return event


def test_header_remapping_aws_proxy_recording_removes_these_request_headers(apig: Harness) -> None:
    """``test_apigateway_header_remapping_aws[AWS_PROXY]`` (regional): these headers never reach the event."""
    sent = {name: "x" for name in REMOVED if name not in ("Transfer-Encoding", "Upgrade", "TE")}
    sent["X-Kept"] = "kept"
    event = event_of(apig, "/Regional/echo", headers=sent)
    names = {name.lower() for name in event["headers"]}
    assert names.isdisjoint(name.lower() for name in REMOVED)
    assert {name.lower() for name in event["multiValueHeaders"]}.isdisjoint(name.lower() for name in REMOVED)
    assert event["headers"]["X-Kept"] == "kept"


@pytest.mark.slow
def test_header_remapping_aws_proxy_recording_removes_framing_headers_too(tmp_path: Path) -> None:
    """The framing headers (Transfer-Encoding, TE, Upgrade) as a real client sends them, over a socket."""
    server = start_server(tmp_path, CONFIG.format(endpoint_type="REGIONAL"))
    try:
        head = (
            "GET /Regional/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            "TE: trailers\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n0\r\n\r\n"
        )
        response = exchange(server.port, head.encode())
        assert response.status == 200, response.raw
        names = {name.lower() for name in json.loads(response.body)["headers"]}
        assert names.isdisjoint({"transfer-encoding", "te", "upgrade", "connection"})
    finally:
        server.stop()


def test_invocation_trace_id_recording_mock_answers_carry_no_trace(apig: Harness) -> None:
    """``test_invocation_trace_id``: a MOCK's response has no X-Amzn-Trace-Id, even when the client sent one."""
    assert "X-Amzn-Trace-Id" not in apig.get("/Prod/mock").headers
    assert "X-Amzn-Trace-Id" not in apig.get("/Prod/mock", headers={"X-Amzn-Trace-Id": FULL_TRACE}).headers


def test_invocation_trace_id_recording_a_full_trace_is_carried_whole(apig: Harness) -> None:
    """``test_invocation_trace_id``: the proxy response carries the client's trace, its Parent kept."""
    response = apig.get("/Prod/echo", headers={"X-Amzn-Trace-Id": FULL_TRACE})
    assert response.headers["X-Amzn-Trace-Id"] == FULL_TRACE
    event = json.loads(response.text)
    assert event["headers"]["X-Amzn-Trace-Id"] == FULL_TRACE
    assert event["multiValueHeaders"]["X-Amzn-Trace-Id"] == [FULL_TRACE]


def test_invocation_trace_id_recording_a_root_only_trace_gains_a_parent(apig: Harness) -> None:
    """``test_invocation_trace_id``: a Root-only trace comes back with a generated Parent after the Root."""
    response = apig.get("/Prod/echo", headers={"x-amzn-trace-id": ROOT_ONLY})
    trace = response.headers["X-Amzn-Trace-Id"]
    root, parent = trace.split(";")
    assert root == ROOT_ONLY
    assert re.fullmatch(r"Parent=[0-9a-f]{16}", parent)
    event = json.loads(response.text)
    # One trace header in the event, the request's: not the client's beside a new one.
    assert [name for name in event["headers"] if name.lower() == "x-amzn-trace-id"] == ["X-Amzn-Trace-Id"]
    assert event["headers"]["X-Amzn-Trace-Id"] == trace


def test_without_a_client_trace_the_gateway_starts_one(apig: Harness) -> None:
    trace = apig.get("/Prod/echo").headers["X-Amzn-Trace-Id"]
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", trace)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("case"), CONFIG.format(endpoint_type="REGIONAL"))
    yield server
    server.stop()


def names_on_the_wire(raw: bytes) -> list[str]:
    head = raw.partition(b"\r\n\r\n")[0].decode("latin-1")
    return [line.partition(":")[0] for line in head.split("\r\n")[1:]]


@pytest.mark.slow
def test_lambda_aws_proxy_integration_recording_header_names_keep_their_case(served: LiveServer) -> None:
    """``test_lambda_aws_proxy_integration``: ``tesT-Multi`` and AWS's own ``x-amzn-RequestId`` as recorded."""
    result = {"statusCode": 200, "multiValueHeaders": {"tesT-Multi": ["value1", "value2"]}, "body": "ok"}
    body = json.dumps({"result": result}).encode()
    response = exchange(served.port, request_bytes("POST", "/Prod/respond", body=body))
    names = names_on_the_wire(response.raw)
    assert names.count("tesT-Multi") == 2
    assert {"Content-Type", "Content-Length", "x-amzn-RequestId", "x-amz-apigw-id", "X-Amzn-Trace-Id"} <= set(
        names
    )


@pytest.mark.slow
def test_gateway_error_header_names_keep_awss_case(served: LiveServer) -> None:
    names = names_on_the_wire(exchange(served.port, request_bytes("GET", "/Prod/nowhere")).raw)
    assert {"x-amzn-ErrorType", "x-amzn-RequestId", "Content-Type"} <= set(names)


@pytest.mark.slow
def test_a_header_with_the_same_value_in_both_maps_is_sent_once(served: LiveServer) -> None:
    """AWS's documentation: a key in both ``headers`` and ``multiValueHeaders`` with one value is one header."""
    result = {
        "statusCode": 200,
        "headers": {"X-Same": "one", "X-Other": "solo"},
        "multiValueHeaders": {"X-Same": ["one"], "X-Other": ["multi"]},
    }
    body = json.dumps({"result": result}).encode()
    response = exchange(served.port, request_bytes("POST", "/Prod/respond", body=body))
    assert [value for name, value in response.headers if name == "X-Same"] == ["one"]
    # Different values are both kept, the multi-value ones first (reference section 2).
    assert [value for name, value in response.headers if name == "X-Other"] == ["multi", "solo"]


def test_extended_request_ids_use_the_url_safe_alphabet_as_recorded() -> None:
    """Recorded ``S-D5rG9QFiAFnVg=``, ``PUvrvF_rIAMEJ4Q=``: 16 characters, ``-`` and ``_``, never ``+`` or ``/``."""
    drawn = [ids.extended_request_id() for _ in range(2000)]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{15}=", value) for value in drawn)
    assert any("-" in value or "_" in value for value in drawn)


def test_edge_optimized_recording_events_carry_cloudfronts_headers(apig: Harness) -> None:
    """``test_lambda_aws_proxy_integration`` (edge-optimized, AWS's default): CloudFront's headers, well formed."""
    event = event_of(apig, "/Prod/echo")
    headers = event["headers"]
    for name in EDGE_HEADERS:
        assert event["multiValueHeaders"][name] == [headers[name]]
    assert headers["CloudFront-Forwarded-Proto"] == "http"
    for viewer in ("Desktop", "Mobile", "SmartTV", "Tablet"):
        assert headers[f"CloudFront-Is-{viewer}-Viewer"] in ("true", "false")
    assert headers["CloudFront-Viewer-ASN"].isdigit()
    assert re.fullmatch(r"[A-Z]{2}", headers["CloudFront-Viewer-Country"])
    assert re.fullmatch(r"2\.0 [0-9a-f]{32}\.cloudfront\.net \(CloudFront\)", headers["Via"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{54}==", headers["X-Amz-Cf-Id"])
    # One Cf-Id per request; X-Forwarded-* describe the local connection.
    assert event_of(apig, "/Prod/echo")["headers"]["X-Amz-Cf-Id"] != headers["X-Amz-Cf-Id"]
    assert headers["X-Forwarded-Proto"] == "http"


@pytest.mark.parametrize("endpoint_type", ["REGIONAL", "PRIVATE"])
def test_regional_and_private_recording_events_carry_no_cloudfront_headers(endpoint_type: str) -> None:
    config = CONFIG.format(endpoint_type=endpoint_type)
    with Harness(definitions_from_yaml(config, code_dir=LAMBDAS)) as apig:
        headers = event_of(apig, "/Regional/echo")["headers"]
    assert set(headers).isdisjoint(EDGE_HEADERS)
    assert "X-Forwarded-For" in headers
