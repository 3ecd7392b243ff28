"""Request parameter mapping on Lambda integrations: the asynchronous invoke AWS documents, the headers a
Lambda Invoke refuses (reference A.7(b)), and mapping expressions API Gateway would not accept.

The HTTP side of the mapping (every source onto the URL, query and headers) is in
``tests/test_http_integration.py``, where a backend shows what it received.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.config import ConfigErrors, ConfigWarning
from emulator.config.builder import DefinitionsBuilder
from emulator.model import MOCK, Integration, Location, Method, RestApi
from emulator.testing import Harness
from tests.conftest import LAMBDAS
from tests.gate import Gate, wait_until

FUNCTION = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:210987654321:function:{}/invocations"

Serve = Callable[[dict[str, Any]], Harness]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Serve]:
    harnesses: list[Harness] = []

    def make(paths: dict[str, Any]) -> Harness:
        document = {"openapi": "3.0.1", "info": {"title": "shop", "version": "1"}, "paths": paths}
        (tmp_path / "api.json").write_text(json.dumps(document))
        (tmp_path / "apig.yaml").write_text(
            "apis:\n  shop: {openapi: api.json}\n"
            "functions:\n  echo: {handler: cases.echo}\n  sleep: {handler: isolation.sleep}\n"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConfigWarning)
            harness = Harness(tmp_path / "apig.yaml", code_dir=LAMBDAS)
        harnesses.append(harness)
        return harness

    yield make
    for harness in harnesses:
        harness.close()


def lambda_method(function: str, parameters: dict[str, str], *, proxy: bool = False) -> dict[str, Any]:
    integration: dict[str, Any] = {
        "type": "aws_proxy" if proxy else "aws",
        "httpMethod": "POST",
        "uri": FUNCTION.format(function),
        "requestParameters": parameters,
    }
    if not proxy:
        integration["responses"] = {"default": {"statusCode": "200"}}
    return {"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": integration}


def test_invocation_type_event_answers_at_once_and_the_function_runs_on(served: Serve, gate: Gate) -> None:
    """AWS's documented asynchronous Lambda call: ``X-Amz-Invocation-Type: 'Event'`` mapped on the method.

    The function waits at the gate, so the answer that arrives first cannot have waited for it.
    """
    apig = served(
        {
            "/later": {
                "post": lambda_method(
                    "sleep", {"integration.request.header.X-Amz-Invocation-Type": "'Event'"}
                )
            }
        }
    )
    response = apig.post("/Prod/later", json={"gate": gate.port})
    assert (response.status_code, response.content) == (200, b"")
    invocation = apig.invocations[-1]
    assert invocation.function == "sleep"
    assert invocation.answered is False
    assert invocation.result.detail is not None and "asynchronously" in invocation.result.detail
    gate.arrival().open()
    wait_until(lambda: invocation.result.payload != b"", "the asynchronous invocation ended")
    assert "pid" in json.loads(invocation.result.payload)


def test_invocation_type_from_a_client_header(served: Serve, gate: Gate) -> None:
    """Mapped from the method request, the client chooses: ``Event`` runs on, anything else waits."""
    apig = served(
        {
            "/maybe": {
                "post": lambda_method(
                    "echo",
                    {
                        "integration.request.header.X-Amz-Invocation-Type": "method.request.header.InvocationType"
                    },
                )
            }
        }
    )
    assert apig.post("/Prod/maybe", json={"a": 1}).json() == {"a": 1}
    assert apig.post("/Prod/maybe", json={"a": 1}, headers={"InvocationType": "RequestResponse"}).json() == {
        "a": 1
    }
    assert apig.post("/Prod/maybe", json={"a": 1}, headers={"InvocationType": "Event"}).content == b""


@pytest.mark.parametrize(
    "header",
    [
        "Authorization",
        "Connection",
        "Expect",
        "Proxy-Authenticate",
        "TE",
        "Content-Length",
        "Transfer-Encoding",
    ],
)
def test_a7b_headers_a_lambda_invoke_refuses_fail_every_call(
    served: Serve, header: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Recorded for AWS (Lambda) integrations: these mappings make every call a 500 (36 bytes)."""
    apig = served({"/echo": {"post": lambda_method("echo", {f"integration.request.header.{header}": "'x'"})}})
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        response = apig.post("/Prod/echo", json={})
    assert response.status_code == 500
    assert response.content == b'{"message": "Internal server error"}'
    assert apig.invocations == []
    assert f"integration.request.header.{header} cannot be mapped" in caplog.text


def test_other_headers_mapped_onto_a_lambda_change_nothing(served: Serve) -> None:
    """A Lambda Invoke reads only its own headers: a mapped ``X-Custom`` is accepted and has no effect."""
    apig = served({"/echo": {"post": lambda_method("echo", {"integration.request.header.X-Custom": "'x'"})}})
    assert apig.post("/Prod/echo", json={"a": 1}).json() == {"a": 1}


@pytest.mark.parametrize(
    ("target", "source", "problem"),
    [
        (
            "integration.request.header.X-A",
            "method.request.cookie.a",
            "integration.request.header.X-A maps from 'method.request.cookie.a', which is not a source API Gateway "
            "maps from",
        ),
        (
            "integration.request.header.X-A",
            "stageVariables.",
            "maps from 'stageVariables.', which is not a source",
        ),
        (
            "integration.request.header.X-A",
            "method.request.body.a[?(@.b)]",
            "maps from 'method.request.body.a[?(@.b)]': JSONPath",
        ),
    ],
)
def test_a_mapping_api_gateway_refuses_is_a_load_error_at_its_method(
    served: Serve, target: str, source: str, problem: str
) -> None:
    """AWS refuses such a mapping when it is put (``Invalid mapping expression specified``), so the
    emulator says so when it loads the definition, with the file and line, not at the first request."""
    with pytest.raises(ConfigErrors) as raised:
        served({"/echo": {"post": lambda_method("echo", {target: source})}})
    message = str(raised.value)
    assert "api.json" in message
    assert "POST /echo on api 'shop': Invalid mapping expression specified: " in message
    assert problem in message


def test_every_loader_is_checked_through_the_builder() -> None:
    """Loaders build methods through ``DefinitionsBuilder``; a mapping made there is checked there too."""
    builder = DefinitionsBuilder()
    builder.add_api(RestApi("shop", "abc123", location=Location("apig.yaml", "apis.shop", 3)))
    builder.add_method(
        "shop",
        "/x",
        Method(
            "GET",
            Integration(MOCK, request_parameters={"integration.request.cookie.a": "'x'"}),
            location=Location("apig.yaml", "integrations.x", 9),
        ),
    )
    assert [error.message for error in builder.errors] == [
        "GET /x on api 'shop': Invalid mapping expression specified: 'integration.request.cookie.a' is not a "
        "mapping target (integration.request.header|querystring|path|multivalueheader|multivaluequerystring.NAME)"
    ]
