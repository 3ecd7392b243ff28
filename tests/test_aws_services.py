"""AWS service integrations (``arn:aws:apigateway:REGION:SERVICE:action/ACTION`` or ``path/PATH``): the mapped
request built in the service's protocol, signed with SigV4 and sent where the user points each service.

The wire is checked on a recording upstream (``tests/aws_services.py``), signatures by a SigV4 check written
from the spec rather than by the botocore that signs; the "Lambda-less" API runs against moto's server.
"""

from __future__ import annotations

import json
import logging
import re
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.aws.endpoints import endpoint_for, region_for
from emulator.aws.protocols import UnknownService, service_protocol
from emulator.aws.targets import NotAServiceUri, ServiceTarget, is_service_uri, service_target
from emulator.config import ConfigErrors
from emulator.inspector.recorder import SECRET_SHOWN_AS, record_json
from emulator.model import AwsSettings
from emulator.not_executed import grouped, not_executed
from emulator.testing import Harness
from tests.aws_services import Upstream, credential_scope, moto, moto_server, signature_problem, upstream

__all__ = ["moto", "moto_server", "upstream"]
pytest_plugins = ["pytester"]

ROLE = "arn:aws:iam::123456789012:role/apigateway-dynamodb"
PUT_ITEM = '{"TableName": "items", "Item": {"id": {"S": "1"}}}'

Serve = Callable[..., Harness]


@pytest.fixture(autouse=True)
def no_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The machine's own AWS settings (endpoints, keys, ~/.aws) must not decide what these tests see."""
    import os

    for name in list(os.environ):
        if name.startswith(
            ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY", "AWS_SECRET", "AWS_SESSION", "AWS_PROFILE")
        ):
            monkeypatch.delenv(name)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))


def operation(uri: str, *, template: str | None = None, **integration: Any) -> dict[str, Any]:
    """An OpenAPI operation integrated with ``uri``: a request template for JSON, the default response."""
    settings: dict[str, Any] = {
        "type": "aws",
        "httpMethod": "POST",
        "uri": uri,
        "responses": {"default": {"statusCode": "200"}},
        **integration,
    }
    if template is not None:
        settings["requestTemplates"] = {"application/json": template}
    return {"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": settings}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Serve]:
    """``served(paths, aws=...)``: a harness over an OpenAPI document's ``paths`` (AWS's own names), bound by
    a YAML file whose ``aws:`` section is ``aws`` (YAML text) when given; other options go to ``Harness``."""
    harnesses: list[Harness] = []

    def serve(
        paths: dict[str, Any], *, aws: str | None = None, stages: str = "Prod: {}", **options: Any
    ) -> Harness:
        document = {"openapi": "3.0.1", "info": {"title": "shop", "version": "1"}, "paths": paths}
        (tmp_path / "api.json").write_text(json.dumps(document))
        config = tmp_path / "apig.yaml"
        lines = textwrap.dedent(aws).strip().splitlines() if aws is not None else []
        section = "aws:\n" + "".join(f"  {line}\n" for line in lines) if lines else ""
        config.write_text(f"apis:\n  shop:\n    openapi: api.json\n    stages: {{{stages}}}\n{section}")
        harness = Harness(config, **options)
        harnesses.append(harness)
        return harness

    yield serve
    for harness in harnesses:
        harness.close()


# The uri


def test_an_action_uri_names_region_service_action_and_its_parameters() -> None:
    assert service_target("arn:aws:apigateway:eu-west-1:dynamodb:action/PutItem") == ServiceTarget(
        "eu-west-1", "dynamodb", action="PutItem"
    )
    queue = (
        "arn:aws:apigateway:us-east-1:sqs:action/SendMessage&QueueUrl=http%3A%2F%2Fq%2F1%2Fo&MessageBody=hi"
    )
    assert service_target(queue).action_parameters == (("QueueUrl", "http://q/1/o"), ("MessageBody", "hi"))
    assert service_target("arn:aws-cn:apigateway:cn-north-1:sns:action/Publish").region == "cn-north-1"


def test_a_path_uri_keeps_its_placeholders_and_s3s_bucket_subdomain() -> None:
    target = service_target("arn:aws:apigateway:us-east-1:s3:path/{bucket}/{key}")
    assert (target.path, target.action, target.subdomain) == ("{bucket}/{key}", None, None)
    assert service_target("arn:aws:apigateway:us-east-1:photos.s3:path/{key}").subdomain == "photos"
    assert (
        service_target("arn:aws:apigateway:us-east-1:sqs:path/1234/orders").describe()
        == "sqs path /1234/orders"
    )


def test_lambdas_invocation_uri_is_the_lambda_kinds_and_other_uris_are_not_services() -> None:
    lambda_uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f/invocations"
    assert not is_service_uri(lambda_uri)
    assert is_service_uri("arn:aws:apigateway:us-east-1:lambda:action/ListFunctions")
    assert not is_service_uri("https://example.com/orders")
    assert not is_service_uri(None)
    with pytest.raises(NotAServiceUri, match="names no action after 'action/'"):
        service_target("arn:aws:apigateway:us-east-1:dynamodb:action/")
    with pytest.raises(NotAServiceUri, match="is not an AWS service uri"):
        service_target("arn:aws:apigateway:us-east-1:dynamodb")


# Where calls go, and for which region


def test_the_flag_wins_then_the_files_service_endpoint_then_its_own_then_the_environments() -> None:
    environ = {"AWS_ENDPOINT_URL_DYNAMODB": "http://env-ddb:1", "AWS_ENDPOINT_URL": "http://env-all:2"}
    settings = AwsSettings(endpoint_url="http://file-all:3", endpoints={"dynamodb": "http://file-ddb:4/"})
    flagged = AwsSettings(endpoint_url="http://file-all:3", command_line_endpoint_url="http://flag:5")

    def url(settings: AwsSettings, service: str, environ: dict[str, str]) -> tuple[str, str] | None:
        found = endpoint_for(settings, service, environ)
        return None if found is None else (found.url, found.source)

    assert url(flagged, "dynamodb", environ) == ("http://flag:5", "--aws-endpoint-url")
    assert url(settings, "dynamodb", environ) == ("http://file-ddb:4", "aws.endpoints.dynamodb")
    assert url(settings, "sqs", environ) == ("http://file-all:3", "aws.endpoint_url")
    assert url(AwsSettings(), "dynamodb", environ) == ("http://env-ddb:1", "AWS_ENDPOINT_URL_DYNAMODB")
    assert url(AwsSettings(), "sqs", environ) == ("http://env-all:2", "AWS_ENDPOINT_URL")
    assert url(AwsSettings(), "sqs", {}) is None


def test_the_region_is_the_settings_then_the_uris_then_the_environments() -> None:
    target = ServiceTarget("eu-west-1", "dynamodb", action="PutItem")
    blank = ServiceTarget("", "dynamodb", action="PutItem")
    assert region_for(AwsSettings(region="ap-south-1"), target, {}) == "ap-south-1"
    assert region_for(AwsSettings(), target, {"AWS_REGION": "us-west-2"}) == "eu-west-1"
    assert region_for(AwsSettings(), blank, {"AWS_DEFAULT_REGION": "us-west-2"}) == "us-west-2"
    assert region_for(AwsSettings(), blank, {}) == "us-east-1"


def test_each_services_protocol_comes_from_botocores_models() -> None:
    dynamodb = service_protocol("dynamodb")
    assert (dynamodb.protocol, dynamodb.target_prefix, dynamodb.json_content_type) == (
        "json",
        "DynamoDB_20120810",
        "application/x-amz-json-1.0",
    )
    assert service_protocol("kinesis").json_content_type == "application/x-amz-json-1.1"
    assert (service_protocol("sns").protocol, service_protocol("sns").api_version) == ("query", "2010-03-31")
    # The uri names Step Functions by its endpoint prefix, botocore by another name.
    assert service_protocol("states").target_prefix == "AWSStepFunctions"
    assert service_protocol("sqs").also_query
    with pytest.raises(UnknownService, match="botocore knows no AWS service named 'nosuchservice'"):
        service_protocol("nosuchservice")


# What is sent


def test_a_json_action_is_the_rendered_template_with_the_services_target_signed_as_the_file_says(
    served: Serve, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    upstream.body = b'{"ConsumedCapacity": null}'
    apig = served(
        {
            "/items": {
                "post": operation(
                    "arn:aws:apigateway:eu-west-1:dynamodb:action/PutItem",
                    template=PUT_ITEM,
                    credentials=ROLE,
                )
            }
        },
        aws=f"""
        endpoints: {{dynamodb: "{upstream.url}"}}
        credentials: {{access_key_id: AKIDFILE, secret_access_key: file-secret, session_token: file-token}}
        """,
    )
    with caplog.at_level(logging.INFO, logger="apig_emu.integration"):
        answer = apig.post("/Prod/items", json={"ignored": True}, headers={"User-Agent": "client/1.0"})
    assert (answer.status, answer.json()) == (200, {"ConsumedCapacity": None})
    [sent] = upstream.received
    assert (sent.method, sent.path, sent.query, sent.body) == ("POST", "/", [], PUT_ITEM.encode())
    api_id = apig.definitions.apis["shop"].id
    assert sent.headers["x-amz-target"] == "DynamoDB_20120810.PutItem"
    assert sent.headers["content-type"] == "application/x-amz-json-1.0"
    assert sent.headers["user-agent"] == f"AmazonAPIGateway_{api_id}"
    assert sent.headers["x-amzn-apigateway-api-id"] == api_id
    assert sent.headers["x-amz-security-token"] == "file-token"
    assert credential_scope(sent) == ("AKIDFILE", "eu-west-1", "dynamodb")
    assert signature_problem(sent, "file-secret") is None
    assert signature_problem(sent, "another-secret") == "the signature does not match"
    assert (
        f"AWS dynamodb action PutItem in eu-west-1 -> POST {upstream.url}/ (endpoint from aws.endpoints.dynamodb ("
        in caplog.text
    )
    assert f"signed with aws.credentials credentials; role {ROLE} not assumed" in caplog.text
    # What was sent is the exchange's (the inspector shows it), its body as the service received it.
    exchange = apig.exchanges[-1]
    assert exchange.event == {
        "service": "dynamodb",
        "action": "PutItem",
        "path": None,
        "region": "eu-west-1",
        "endpoint": f"{upstream.url} (from aws.endpoints.dynamodb ({apig.definitions.aws.location}))",
        "credentials": "aws.credentials",
        "role": ROLE,
    }
    assert exchange.outbound is not None and exchange.outbound.url == f"{upstream.url}/"
    assert exchange.outbound.body == PUT_ITEM.encode()
    assert exchange.backend is not None and exchange.backend.body == b'{"ConsumedCapacity": null}'
    # The inspector shows the signed call, but not the session token of the user's credentials.
    shown = dict(
        record_json(1, 0.0, exchange, replayable=False, replay_of=None)["integrationRequest"]["headers"]
    )
    assert shown["X-Amz-Security-Token"] == SECRET_SHOWN_AS
    assert shown["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDFILE/")


def test_a_query_action_sends_action_version_and_the_uris_parameters_form_encoded(
    served: Serve, upstream: Upstream
) -> None:
    upstream.content_type, upstream.body = "text/xml", b"<PublishResponse/>"
    uri = "arn:aws:apigateway:us-east-2:sns:action/Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-2%3A1%3Anews"
    apig = served(
        {"/news": {"post": operation(uri, template="Message=hello+world")}},
        aws=f'endpoint_url: "{upstream.url}"\ncredentials: {{access_key_id: AKID, secret_access_key: s3cret}}',
    )
    answer = apig.post("/Prod/news", json={})
    assert (answer.status, answer.text) == (200, "<PublishResponse/>")
    [sent] = upstream.received
    assert sent.query == [
        ("Action", "Publish"),
        ("Version", "2010-03-31"),
        ("TopicArn", "arn:aws:sns:us-east-2:1:news"),
    ]
    assert sent.body == b"Message=hello+world"
    assert sent.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert "x-amz-target" not in sent.headers
    assert credential_scope(sent) == ("AKID", "us-east-2", "sns")
    assert signature_problem(sent, "s3cret") is None


def test_a_path_is_the_services_rest_path_with_stage_variables_resolved(
    served: Serve, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    uri = "arn:aws:apigateway:eu-west-1:sqs:path/123456789012/${stageVariables.queue}"
    apig = served(
        {"/orders": {"get": operation(uri, httpMethod="GET")}},
        aws=f'endpoint_url: "{upstream.url}"\ncredentials: {{access_key_id: AKID, secret_access_key: s3cret}}',
        stages="live: {variables: {queue: orders}}, dev: {}",
    )
    assert apig.get("/live/orders").status == 200
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        assert apig.get("/dev/orders").status == 500
    assert (
        f"GET /dev/orders -> 500: AWS integration {uri} names ${{stageVariables.queue}}, which stage 'dev' does "
        "not define" in caplog.text
    )
    [sent] = upstream.received
    assert (sent.method, sent.path) == ("GET", "/123456789012/orders")
    assert credential_scope(sent) == ("AKID", "eu-west-1", "sqs")
    assert signature_problem(sent, "s3cret") is None


def test_the_files_region_replaces_the_uris_and_the_environment_names_an_endpoint(
    served: Serve, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", upstream.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    apig = served(
        {
            "/items": {
                "post": operation("arn:aws:apigateway:eu-west-1:dynamodb:action/PutItem", template=PUT_ITEM)
            }
        },
        aws="region: ap-south-1",
    )
    assert apig.post("/Prod/items", json={}).status == 200
    [sent] = upstream.received
    assert credential_scope(sent) == ("AKIDENV", "ap-south-1", "dynamodb")
    assert signature_problem(sent, "env-secret") is None


def test_without_any_credentials_calls_are_signed_with_the_placeholder_and_the_log_says_so_once(
    served: Serve, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    apig = served(
        {
            "/items": {
                "post": operation("arn:aws:apigateway:eu-west-1:dynamodb:action/PutItem", template=PUT_ITEM)
            }
        },
        aws_endpoint_url=upstream.url,
    )
    with caplog.at_level(logging.WARNING, logger="apig_emu.aws"):
        apig.post("/Prod/items", json={})
        apig.post("/Prod/items", json={})
    assert [credential_scope(sent)[0] for sent in upstream.received] == ["test", "test"]
    assert all(signature_problem(sent, "test") is None for sent in upstream.received)
    warnings = [record.getMessage() for record in caplog.records if record.name == "apig_emu.aws"]
    assert len(warnings) == 1
    assert "no AWS credentials found" in warnings[0] and "placeholder access key 'test'" in warnings[0]


# What comes back


def test_the_services_status_selects_the_integration_response_and_the_default_takes_the_rest(
    served: Serve, upstream: Upstream
) -> None:
    upstream.status, upstream.body = 400, b'{"__type": "ValidationException", "message": "bad key"}'
    selecting = operation(
        "arn:aws:apigateway:eu-west-1:dynamodb:action/GetItem",
        template="{}",
        responses={"default": {"statusCode": "200"}, "4\\d{2}": {"statusCode": "400"}},
    )
    selecting["responses"]["400"] = {"description": "bad"}
    apig = served(
        {
            "/selecting": {"post": selecting},
            "/default": {
                "post": operation("arn:aws:apigateway:eu-west-1:dynamodb:action/GetItem", template="{}")
            },
        },
        aws_endpoint_url=upstream.url,
    )
    selected = apig.post("/Prod/selecting", json={})
    assert (selected.status, selected.json()["__type"]) == (400, "ValidationException")
    # As for an HTTP backend, the default integration response answers 200 whatever the service said.
    defaulted = apig.post("/Prod/default", json={})
    assert (defaulted.status, defaulted.json()["message"]) == (200, "bad key")


# When there is nowhere to call


def test_without_an_endpoint_the_method_answers_500_and_the_log_and_the_notes_say_how_to_name_one(
    served: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    apig = served(
        {"/queue": {"post": operation("arn:aws:apigateway:eu-west-1:sqs:path/210987654321/orders")}}
    )
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        answer = apig.post("/Prod/queue", json={})
    assert (answer.status, answer.json()) == (500, {"message": "Internal server error"})
    assert answer.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    advice = (
        "no endpoint for AWS service 'sqs': start apig-emu with --aws-endpoint-url URL (moto_server, "
        "LocalStack…), or set aws.endpoints.sqs or aws.endpoint_url in the YAML, or the environment variable "
        "AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL"
    )
    assert (
        "POST /Prod/queue -> 500: AWS integration arn:aws:apigateway:eu-west-1:sqs:path/210987654321/orders "
        f"(sqs path /210987654321/orders): {advice}" in caplog.text
    )
    assert grouped(not_executed(apig.definitions)) == [
        f"api 'shop': AWS service integration: {advice}; requests answer 500: POST /queue"
    ]


def test_with_an_endpoint_the_notes_say_nothing(served: Serve) -> None:
    apig = served(
        {"/queue": {"post": operation("arn:aws:apigateway:eu-west-1:sqs:path/210987654321/orders")}},
        aws="endpoints: {sqs: 'http://127.0.0.1:9'}",
    )
    assert not_executed(apig.definitions) == ()


def test_an_unreachable_endpoint_is_a_500_whose_log_names_it(
    served: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    apig = served(
        {
            "/items": {
                "post": operation("arn:aws:apigateway:eu-west-1:dynamodb:action/PutItem", template=PUT_ITEM)
            }
        },
        aws_endpoint_url=url,
    )
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        answer = apig.post("/Prod/items", json={})
    assert (answer.status, answer.json()) == (500, {"message": "Internal server error"})
    # The answer AWS gave for an invalid endpoint (recorded), as for an HTTP integration.
    assert (
        "POST /Prod/items -> 500: Execution failed due to configuration error: Invalid endpoint address: AWS "
        f"dynamodb action PutItem to the endpoint {url} (from --aws-endpoint-url): POST {url}/ failed: "
    ) in caplog.text


def test_a_service_slower_than_the_integration_timeout_is_a_504(served: Serve, upstream: Upstream) -> None:
    upstream.hold = threading.Event()
    apig = served(
        {
            "/items": {
                "post": operation(
                    "arn:aws:apigateway:eu-west-1:dynamodb:action/PutItem",
                    template=PUT_ITEM,
                    timeoutInMillis=50,
                )
            }
        },
        aws_endpoint_url=upstream.url,
    )
    answer = apig.post("/Prod/items", json={})
    upstream.hold.set()
    assert (answer.status, answer.json()) == (504, {"message": "Endpoint request timed out"})


def test_an_action_of_a_rest_service_or_of_a_service_botocore_does_not_know_is_a_500_that_says_why(
    served: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    apig = served(
        {
            "/object": {"get": operation("arn:aws:apigateway:eu-west-1:s3:action/GetObject")},
            "/nothing": {"get": operation("arn:aws:apigateway:eu-west-1:nosuchservice:action/Do")},
        },
        aws_endpoint_url="http://127.0.0.1:9",
    )
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        assert apig.get("/Prod/object").status == 500
        assert apig.get("/Prod/nothing").status == 500
    assert (
        "s3 action GetObject: s3 is a REST service (rest-xml), called by path (path/...), not by action"
        in caplog.text
    )
    assert "nosuchservice action Do: botocore knows no AWS service named 'nosuchservice'" in caplog.text


# The settings


def test_the_aws_section_is_read_with_each_key(served: Serve) -> None:
    apig = served(
        {},
        aws="""
        endpoint_url: http://127.0.0.1:5000
        endpoints: {dynamodb: "http://127.0.0.1:8000", states: "http://127.0.0.1:8083"}
        region: eu-central-1
        credentials: {access_key_id: AKID, secret_access_key: s3cret}
        """,
    )
    aws = apig.definitions.aws
    assert (aws.endpoint_url, dict(aws.endpoints), aws.region) == (
        "http://127.0.0.1:5000",
        {"dynamodb": "http://127.0.0.1:8000", "states": "http://127.0.0.1:8083"},
        "eu-central-1",
    )
    assert aws.credentials is not None and aws.credentials.access_key_id == "AKID"
    assert "s3cret" not in repr(aws)


def test_a_wrong_aws_section_is_an_error_at_each_key_and_line(served: Serve) -> None:
    with pytest.raises(ConfigErrors) as raised:
        served(
            {},
            aws="""
            endpoint_url: localhost:5000
            endpoints: {DynamoDB: "http://127.0.0.1:8000", sqs: "ftp://x"}
            region: Europe
            credentials: {access_key_id: AKID}
            endpiont: x
            """,
        )
    text = str(raised.value)
    for expected in (
        "apig.yaml:6: aws.endpoint_url: 'localhost:5000' is not an http:// or https:// URL",
        "apig.yaml:7: aws.endpoints.DynamoDB: 'DynamoDB' is not a service name",
        "apig.yaml:7: aws.endpoints.sqs: 'ftp://x' is not an http:// or https:// URL",
        "apig.yaml:8: aws.region: 'Europe' is not an AWS region (such as us-east-1)",
        "apig.yaml:9: aws.credentials: missing required key 'secret_access_key'",
        "apig.yaml:10: aws.endpiont: unknown key 'endpiont' (did you mean 'endpoints'?)",
    ):
        assert expected in text


def test_a_harness_refuses_an_endpoint_that_is_not_a_url(served: Serve) -> None:
    with pytest.raises(ValueError, match="aws_endpoint_url: 'moto' is not an http:// or https:// URL"):
        served({}, aws_endpoint_url="moto")


@pytest.mark.slow
def test_botocore_is_imported_only_once_a_service_integration_is_served(tmp_path: Path) -> None:
    """A configuration without one never pays botocore's import (a quarter of a second at every start)."""
    import subprocess
    import sys

    script = textwrap.dedent(
        f"""
        import sys
        from emulator.testing import Harness
        config = {str(tmp_path / "apig.yaml")!r}
        open(config, "w").write("apis: {{shop: {{openapi: api.json, stages: {{Prod: {{}}}}}}}}")
        open({str(tmp_path / "api.json")!r}, "w").write({json.dumps(json.dumps(SERVICE_DOCUMENT))})
        with Harness(config, aws_endpoint_url="http://127.0.0.1:9") as apig:
            assert apig.get("/Prod/mock").status == 200
            print("botocore" in sys.modules)
            apig.post("/Prod/items", json={{}})
            print("botocore" in sys.modules)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]


SERVICE_DOCUMENT = {
    "openapi": "3.0.1",
    "info": {"title": "shop", "version": "1"},
    "paths": {
        "/mock": {
            "get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {"default": {"statusCode": "200"}},
                },
            }
        },
        "/items": {
            "post": operation("arn:aws:apigateway:eu-west-1:dynamodb:action/PutItem", template=PUT_ITEM)
        },
    },
}


# Request parameter mapping


def test_request_parameters_fill_the_paths_placeholders_the_query_and_the_headers(
    served: Serve, upstream: Upstream
) -> None:
    uri = "arn:aws:apigateway:eu-west-1:s3:path/{bucket}/{key}"
    operation_ = operation(
        uri,
        httpMethod="PUT",
        requestParameters={
            "integration.request.path.bucket": "stageVariables.bucket",
            "integration.request.path.key": "method.request.path.key",
            "integration.request.querystring.tagging": "'team=pets'",
            "integration.request.header.Content-Type": "method.request.header.Content-Type",
            "integration.request.header.x-amz-acl": "'private'",
        },
    )
    apig = served(
        {"/files/{key}": {"put": operation_}},
        aws=f'endpoint_url: "{upstream.url}"\ncredentials: {{access_key_id: AKID, secret_access_key: s3cret}}',
        stages="Prod: {variables: {bucket: photos}}",
    )
    # Text (valid UTF-8): without binary media types AWS reads a body as text (tests/test_content_handling.py).
    answer = apig.put("/Prod/files/cat%20one.png", content=b"PNG", headers={"Content-Type": "image/png"})
    assert answer.status == 200
    [sent] = upstream.received
    assert (sent.method, sent.path, sent.query, sent.body) == (
        "PUT",
        "/photos/cat%20one.png",
        [("tagging", "team=pets")],
        b"PNG",
    )
    assert (sent.headers["content-type"], sent.headers["x-amz-acl"]) == ("image/png", "private")
    # S3 signs its payload's hash as a header of its own.
    assert sent.headers["x-amz-content-sha256"] != ""
    assert credential_scope(sent) == ("AKID", "eu-west-1", "s3")
    assert signature_problem(sent, "s3cret") is None


def test_the_request_templates_request_override_has_the_last_word(served: Serve, upstream: Upstream) -> None:
    template = (
        "#set($context.requestOverride.path.key = $input.path('$.name'))"
        "#set($context.requestOverride.header['x-amz-meta-owner'] = 'ada')"
        "#set($context.requestOverride.querystring.versionId = '7')"
        "$input.path('$.content')"
    )
    apig = served(
        {
            "/files": {
                "put": operation(
                    "arn:aws:apigateway:eu-west-1:s3:path/photos/{key}",
                    template=template,
                    httpMethod="PUT",
                    requestParameters={
                        "integration.request.path.key": "'mapped.txt'",
                        "integration.request.header.x-amz-meta-owner": "'mapped'",
                    },
                )
            }
        },
        aws=f'endpoint_url: "{upstream.url}"\ncredentials: {{access_key_id: AKID, secret_access_key: s3cret}}',
    )
    assert apig.put("/Prod/files", json={"name": "notes.txt", "content": "hello"}).status == 200
    [sent] = upstream.received
    assert (sent.path, sent.query, sent.body) == ("/photos/notes.txt", [("versionId", "7")], b"hello")
    assert sent.headers["x-amz-meta-owner"] == "ada"
    assert signature_problem(sent, "s3cret") is None


def test_a_mapped_authorization_header_fails_every_call_as_on_aws(
    served: Serve, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    apig = served(
        {
            "/items": {
                "post": operation(
                    "arn:aws:apigateway:eu-west-1:dynamodb:action/PutItem",
                    template=PUT_ITEM,
                    requestParameters={"integration.request.header.Authorization": "'Bearer x'"},
                )
            }
        },
        aws_endpoint_url=upstream.url,
    )
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        answer = apig.post("/Prod/items", json={})
    assert (answer.status, answer.json()) == (500, {"message": "Internal server error"})
    assert upstream.received == []
    assert "the request parameter integration.request.header.Authorization cannot be mapped" in caplog.text


# The "Lambda-less" API against moto's real services


def boto3_client(service: str, url: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_sqs_send_message_by_action_with_the_body_mapped_onto_the_query(served: Serve, moto: str) -> None:
    sqs = boto3_client("sqs", moto)
    queue = sqs.create_queue(QueueName="shipping")["QueueUrl"]
    apig = served(
        {
            "/ship": {
                "post": operation(
                    "arn:aws:apigateway:us-east-1:sqs:action/SendMessage",
                    requestParameters={
                        "integration.request.querystring.QueueUrl": f"'{queue}'",
                        "integration.request.querystring.MessageBody": "method.request.body",
                    },
                )
            }
        },
        aws_endpoint_url=moto,
    )
    answer = apig.post("/Prod/ship", json={"order": "o-1", "to": "Bordeaux"})
    assert answer.status == 200
    assert "<SendMessageResponse" in answer.text
    [message] = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert json.loads(message["Body"]) == {"order": "o-1", "to": "Bordeaux"}


def test_sqs_send_message_by_path_with_the_form_content_type_mapped_as_aws_docs_show(
    served: Serve, moto: str
) -> None:
    sqs = boto3_client("sqs", moto)
    queue = sqs.create_queue(QueueName="audit")["QueueUrl"]
    apig = served(
        {
            "/audit": {
                "post": operation(
                    "arn:aws:apigateway:us-east-1:sqs:path/123456789012/audit",
                    template="Action=SendMessage&MessageBody=audited",
                    requestParameters={
                        "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"
                    },
                )
            }
        },
        aws_endpoint_url=moto,
    )
    assert apig.post("/Prod/audit", json={}).status == 200
    [message] = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert message["Body"] == "audited"


# The command line and the pytest plugin


def write_service_config(folder: Path, aws: str = "") -> Path:
    (folder / "api.json").write_text(json.dumps(SERVICE_DOCUMENT))
    config = folder / "apig.yaml"
    config.write_text("apis: {shop: {openapi: api.json, stages: {Prod: {}}}}\n" + aws)
    return config


def test_routes_marks_a_service_without_an_endpoint_and_the_flag_names_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from emulator.cli import main

    config = write_service_config(tmp_path)
    assert main(["routes", "--config", str(config)]) == 0
    table = capsys.readouterr().out
    assert "no endpoint for AWS service 'dynamodb': start apig-emu with --aws-endpoint-url URL" in table
    assert main(["routes", "--config", str(config), "--aws-endpoint-url", "http://127.0.0.1:5000"]) == 0
    table = capsys.readouterr().out
    assert "no endpoint for AWS service" not in table
    assert re.search(r"POST +http://localhost:3000/Prod/items +aws-service +dynamodb PutItem ", table)


def test_a_flag_that_is_not_a_url_is_an_error_that_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from emulator.cli import main

    config = write_service_config(tmp_path)
    assert main(["routes", "--config", str(config), "--aws-endpoint-url", "127.0.0.1:5000"]) == 1
    assert "--aws-endpoint-url: '127.0.0.1:5000' is not an http:// or https:// URL" in capsys.readouterr().err


@pytest.mark.slow
def test_serve_sends_a_service_call_where_the_flag_says(tmp_path: Path, upstream: Upstream) -> None:
    import requests

    from tests.test_cli import start_serve

    config = write_service_config(
        tmp_path, "aws: {credentials: {access_key_id: AKID, secret_access_key: s3cret}}\n"
    )
    process, url = start_serve("--config", str(config), "--aws-endpoint-url", upstream.url, cwd=tmp_path)
    try:
        answer = requests.post(f"{url}/Prod/items", json={}, timeout=30)
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert answer.status_code == 200, output
    [sent] = upstream.received
    assert (sent.headers["x-amz-target"], sent.body) == ("DynamoDB_20120810.PutItem", PUT_ITEM.encode())
    assert signature_problem(sent, "s3cret") is None
    assert (
        f"AWS dynamodb action PutItem in eu-west-1 -> POST {upstream.url}/ (endpoint from --aws-endpoint-url)"
        in output
    )


@pytest.mark.slow
def test_the_pytest_plugins_fixture_points_apig_at_a_server_the_tests_start(
    pytester: pytest.Pytester, upstream: Upstream
) -> None:
    from tests.conftest import PYTESTER_ARGS

    write_service_config(pytester.path)
    pytester.makeini("[pytest]\napig_config = apig.yaml\n")
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.fixture(scope="session")
        def apig_aws_endpoint_url():
            return {upstream.url!r}
        """
    )
    pytester.makepyfile(
        """
        def test_put(apig):
            assert apig.post("/Prod/items", json={}).status == 200
        """
    )
    pytester.runpytest(*PYTESTER_ARGS).assert_outcomes(passed=1)
    [sent] = upstream.received
    assert sent.headers["x-amz-target"] == "DynamoDB_20120810.PutItem"


def test_the_lambda_less_example_writes_reads_and_queries_dynamodb_and_queues_on_sqs(moto: str) -> None:
    """config/orders.yaml, as README shows it: no function, only templates, against moto's DynamoDB and SQS."""
    from tests.conftest import ROOT

    dynamodb, sqs = boto3_client("dynamodb", moto), boto3_client("sqs", moto)
    dynamodb.create_table(
        TableName="orders",
        KeySchema=[
            {"AttributeName": "customer", "KeyType": "HASH"},
            {"AttributeName": "id", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "customer", "AttributeType": "S"},
            {"AttributeName": "id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    queue = sqs.create_queue(QueueName="shipping")["QueueUrl"]
    with Harness(ROOT / "config" / "orders.yaml", aws_endpoint_url=moto) as apig:
        lamp = apig.post("/Prod/orders", json={"customer": "ada", "item": 'desk "lamp"', "quantity": 2})
        assert lamp.status == 201
        lamp_id = lamp.json()["id"]
        assert lamp_id == apig.exchanges[-1].ids.request_id
        chair_id = apig.post("/Prod/orders", json={"customer": "ada", "item": "chair", "quantity": 1}).json()[
            "id"
        ]
        apig.post("/Prod/orders", json={"customer": "bob", "item": "sofa", "quantity": 1})

        # What the template wrote is what DynamoDB holds, quotes escaped by $util.escapeJavaScript.
        stored = dynamodb.get_item(TableName="orders", Key={"customer": {"S": "ada"}, "id": {"S": lamp_id}})
        assert stored["Item"]["item"] == {"S": 'desk "lamp"'}
        assert stored["Item"]["quantity"] == {"N": "2"}

        got = apig.get(f"/Prod/customers/ada/orders/{lamp_id}")
        assert (got.status, got.json()) == (
            200,
            {"id": lamp_id, "customer": "ada", "item": 'desk "lamp"', "quantity": 2},
        )
        missing = apig.get("/Prod/customers/ada/orders/nothing")
        assert (missing.status, missing.json()) == (404, {"message": "no such order"})

        listed = apig.get("/Prod/customers/ada/orders")
        assert listed.status == 200
        assert listed.json() == {
            "orders": sorted(
                [
                    {"id": lamp_id, "item": 'desk "lamp"', "quantity": 2},
                    {"id": chair_id, "item": "chair", "quantity": 1},
                ],
                key=lambda order: str(order["id"]),
            )
        }
        assert apig.get("/Prod/customers/eve/orders").json() == {"orders": []}

        # DynamoDB's own refusal, selected by its 400 onto the method's 400.
        refused = apig.post("/Prod/orders", json={"customer": "ada", "item": "x", "quantity": "many"})
        assert refused.status == 400
        assert refused.json()["message"] != ""
        # passthroughBehavior never: a body no template is for is AWS's 415, and DynamoDB never sees it.
        assert apig.post("/Prod/orders", content=b"x", headers={"Content-Type": "text/plain"}).status == 415

        shipped = apig.post("/Prod/shipments", json={"order": lamp_id, "to": "Bordeaux & co"})
        assert (shipped.status, shipped.json()) == (202, {"queued": True})
    [message] = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert json.loads(message["Body"]) == {"order": lamp_id, "to": "Bordeaux & co"}


def test_sqs_takes_its_json_protocol_when_the_call_says_so(served: Serve, moto: str) -> None:
    """As LocalStack's AWS-validated SQS test sends it: the amz-json Content-Type mapped, a JSON template."""
    sqs = boto3_client("sqs", moto)
    queue = sqs.create_queue(QueueName="events")["QueueUrl"]
    template = '{"QueueUrl": "' + queue + '", "MessageBody": "$util.escapeJavaScript($input.body)"}'
    apig = served(
        {
            "/events": {
                "post": operation(
                    "arn:aws:apigateway:us-east-1:sqs:action/SendMessage",
                    template=template,
                    requestParameters={
                        "integration.request.header.Content-Type": "'application/x-amz-json-1.0'"
                    },
                )
            }
        },
        aws_endpoint_url=moto,
    )
    answer = apig.post("/Prod/events", json={"kind": "signup"})
    assert answer.status == 200
    assert set(answer.json()) >= {"MessageId", "MD5OfMessageBody"}
    outbound = apig.exchanges[-1].outbound
    assert outbound is not None and outbound.header("X-Amz-Target") == "AmazonSQS.SendMessage"
    [message] = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert json.loads(message["Body"]) == {"kind": "signup"}


def test_two_files_with_an_aws_section_are_an_error_naming_both(tmp_path: Path) -> None:
    from emulator.config.loader import load

    (tmp_path / "a.yaml").write_text("apis: {shop: {}}\naws: {region: eu-west-1}\n")
    (tmp_path / "b.yaml").write_text("aws:\n  region: us-east-1\n")
    errors = [str(error) for error in load(tmp_path).errors]
    assert any(
        f"b.yaml:1: aws: the aws: section is defined in both {tmp_path / 'a.yaml'}:2 and {tmp_path / 'b.yaml'}:1"
        in error
        for error in errors
    ), errors


def test_a_dynamodb_integration_written_in_the_yamls_own_keys_against_moto(tmp_path: Path, moto: str) -> None:
    """The YAML's integrations: entries (type: aws) and its aws: section; aws.region sends the uri's
    eu-west-1 calls to the us-east-1 table the test made."""
    boto3_client("dynamodb", moto).create_table(
        TableName="notes",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    config = tmp_path / "apig.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            apis:
              notes: {{stages: {{Prod: {{}}}}}}
            aws:
              endpoints: {{dynamodb: "{moto}"}}
              region: us-east-1
            integrations:
              saveNote:
                type: aws
                uri: arn:aws:apigateway:eu-west-1:dynamodb:action/PutItem
                http_method: POST
                credentials: arn:aws:iam::123456789012:role/notes-writer
                request_templates:
                  application/json: >-
                    {{"TableName": "notes", "Item": {{"id": {{"S": "$input.params('id')"}},
                    "text": {{"S": "$util.escapeJavaScript($input.path('$.text'))"}}}}}}
                responses:
                  - status_code: 204
                triggers:
                  - {{api: notes, resource: "/notes/{{id}}", method: PUT}}
              readNote:
                type: aws
                uri: arn:aws:apigateway:eu-west-1:dynamodb:action/GetItem
                http_method: POST
                request_templates:
                  application/json: '{{"TableName": "notes", "Key": {{"id": {{"S": "$input.params(''id'')"}}}}}}'
                responses:
                  - status_code: 200
                    response_templates:
                      application/json: '{{"text": "$util.escapeJavaScript($input.path(''$.Item.text.S''))"}}'
                triggers:
                  - {{api: notes, resource: "/notes/{{id}}", method: GET}}
            """
        )
    )
    with Harness(config) as apig:
        assert apig.put("/Prod/notes/n1", json={"text": "buy milk"}).status == 204
        read = apig.get("/Prod/notes/n1")
        assert (read.status, read.json()) == (200, {"text": "buy milk"})
        assert apig.exchanges[-2].event["role"] == "arn:aws:iam::123456789012:role/notes-writer"
