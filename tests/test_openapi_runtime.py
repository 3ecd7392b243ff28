"""What the gateway does with what only an imported document can say: functions named by stage variables,
request templates and passthrough behaviours, AWS service integrations; and what it says it does not do yet.
"""

from __future__ import annotations

import logging
import textwrap
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emulator.config import ConfigWarning
from emulator.not_executed import grouped, not_executed
from emulator.templates import static_text
from emulator.testing import Harness
from tests.conftest import LAMBDAS

FUNCTION_ARN = "arn:aws:lambda:eu-west-1:210987654321:function:{}"
LAMBDA = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/" + FUNCTION_ARN + "/invocations"

MakeHarness = Callable[[str, str], Harness]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[MakeHarness]:
    """A harness over a document and the YAML binding it, both written from snippets."""
    harnesses: list[Harness] = []

    def make(document: str, stages: str = "Prod: {}") -> Harness:
        (tmp_path / "api.yaml").write_text(textwrap.dedent(document))
        config = tmp_path / "apig.yaml"
        config.write_text(
            textwrap.dedent(
                f"""
                apis:
                  shop:
                    openapi: api.yaml
                    stages: {{{stages}}}
                functions:
                  echo: {{handler: cases.echo}}
                  echoEvent: {{handler: cases.echo_event}}
                """
            )
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConfigWarning)
            harness = Harness(config, code_dir=LAMBDAS)
        harnesses.append(harness)
        return harness

    yield make
    for harness in harnesses:
        harness.close()


def test_a_stage_variable_names_each_stages_function_and_a_missing_one_is_a_500_that_says_why(
    served: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    apig = served(
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        paths:
          /who:
            get:
              x-amazon-apigateway-integration: {{type: aws_proxy, uri: "{LAMBDA.format("${stageVariables.fn}")}"}}
        """,
        "live: {variables: {fn: echoEvent}}, dev: {}, beta: {variables: {fn: nothing}}",
    )
    assert apig.get("/live/who").json()["requestContext"]["stage"] == "live"
    assert apig.invocations[-1].function == "echoEvent"
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        missing = apig.get("/dev/who")
        unknown = apig.get("/beta/who")
    assert (missing.status, missing.json()) == (500, {"message": "Internal server error"})
    assert (unknown.status, unknown.json()) == (500, {"message": "Internal server error"})
    staged = LAMBDA.format("${stageVariables.fn}")
    assert (
        f"GET /dev/who -> 500: AWS_PROXY integration {staged}: stage 'dev' has no stage variable 'fn', which the "
        f"uri {staged} reads" in caplog.text
    )
    assert (
        f"GET /beta/who -> 500: AWS_PROXY integration {staged} names the function 'nothing', which is not defined"
        in caplog.text
    )


def test_a_request_template_is_the_non_proxy_functions_event(
    served: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    apig = served(
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        paths:
          /fixed:
            post:
              responses: {{"200": {{description: ok}}}}
              x-amazon-apigateway-integration:
                type: aws
                uri: "{LAMBDA.format("echo")}"
                requestTemplates:
                  application/json: '{{"from": "template", "price": "$5.00"}}'
                  text/plain: 'not json'
                  application/xml: '{{"body": $input.json(''$'')}}'
                responses: {{default: {{statusCode: "200"}}}}
        """
    )
    assert apig.post("/Prod/fixed", json={"ignored": True}).json() == {"from": "template", "price": "$5.00"}
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        velocity = apig.post("/Prod/fixed", content=b"<a/>", headers={"Content-Type": "application/xml"})
        not_json = apig.post("/Prod/fixed", content=b"x", headers={"Content-Type": "text/plain"})
    # A body that is not JSON is text to $input.json, so the XML arrives as a JSON string.
    assert (velocity.status, velocity.json()) == (200, {"body": "<a/>"})
    assert not_json.status == 400
    assert not_json.json()["message"].startswith("Could not parse request body into json: ")
    assert (
        "the request template's text is not JSON, which a Lambda function's event must be: 'not json'"
        in caplog.text
    )
    assert grouped(not_executed(apig.definitions)) == []


def test_passthrough_behaviours_decide_what_no_matching_template_means(served: MakeHarness) -> None:
    apig = served(
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        paths:
          /templated:
            post:
              responses: {{"200": {{description: ok}}}}
              x-amazon-apigateway-integration:
                type: aws
                uri: "{LAMBDA.format("echo")}"
                passthroughBehavior: when_no_templates
                requestTemplates: {{application/json: '{{"templated": true}}'}}
                responses: {{default: {{statusCode: "200"}}}}
          /bare:
            post:
              responses: {{"200": {{description: ok}}}}
              x-amazon-apigateway-integration:
                type: aws
                uri: "{LAMBDA.format("echo")}"
                passthroughBehavior: when_no_templates
                responses: {{default: {{statusCode: "200"}}}}
          /never:
            post:
              responses: {{"200": {{description: ok}}}}
              x-amazon-apigateway-integration:
                type: mock
                passthroughBehavior: never
                responses: {{default: {{statusCode: "200"}}}}
        """
    )
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # Templates exist, none for the type: refused. No templates at all: passed through.
    refused = apig.post("/Prod/templated", content=b"a=1", headers=form)
    assert (refused.status, refused.json(), refused.headers["x-amzn-ErrorType"]) == (
        415,
        {"message": "Unsupported Media Type"},
        "UnsupportedMediaTypeException",
    )
    assert apig.post("/Prod/templated", json={"x": 1}).json() == {"templated": True}
    assert apig.post("/Prod/bare", json={"x": 1}).json() == {"x": 1}
    assert apig.post("/Prod/never", json={"statusCode": 200}).status == 415


def test_the_notes_say_each_part_not_executed_yet_grouped_by_method(served: MakeHarness) -> None:
    methods = "\n".join(
        f"""
          /m{index}:
            get:
              security: [{{pool: []}}]
              responses: {{"200": {{description: ok, headers: {{X-A: {{schema: {{type: string}}}}}}}}}}
              x-amazon-apigateway-integration:
                type: aws
                uri: "{LAMBDA.format("echo")}"
                contentHandling: CONVERT_TO_BINARY
                requestParameters: {{integration.request.header.X-Amz-Invocation-Type: "'Event'"}}
                responses:
                  default:
                    statusCode: "200"
                    responseParameters: {{method.response.header.X-A: "context.requestId"}}"""
        for index in range(7)
    )
    apig = served(
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        components:
          securitySchemes:
            pool:
              type: apiKey
              name: Authorization
              in: header
              x-amazon-apigateway-authtype: cognito_user_pools
              x-amazon-apigateway-authorizer: {{type: cognito_user_pools, providerARNs: [users]}}
        paths:{textwrap.indent(methods, "        ")}
        """
    )
    assert grouped(not_executed(apig.definitions)) == [
        "api 'shop': authorizer 'pool' (COGNITO_USER_POOLS) names no user pool ARN apig-emu can read (users); "
        "every request answers 401: GET /m0, GET /m1, GET /m2, GET /m3, GET /m4 and 2 more",
    ]
    # What the note says: AWS's answer to a token no pool can verify.
    assert apig.get("/Prod/m3", headers={"Authorization": "x"}).status == 401


@pytest.mark.parametrize(
    ("template", "static"),
    [
        ('{"statusCode": 200}', True),
        ("body { color: #333; }", True),
        ("costs $5.00, # of items: 3", True),
        ("#[[ $raw #set ]]#", True),
        ("$input.body", False),
        ("${context.requestId}", False),
        ("$!missing", False),
        ("#set($a = 1)", False),
        ("#{if}", False),
        ("## a comment", False),
        ("#* a comment *#", False),
        ("\\$escaped", False),
    ],
)
def test_a_template_is_static_unless_velocity_would_read_something_in_it(template: str, static: bool) -> None:
    assert (static_text(template) is not None) is static
