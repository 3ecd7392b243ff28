"""Request validators: required parameters and body models, checked before anything reaches a backend.

The ``test_b1_*`` tests are reference B.1's recordings against AWS, on the API the recordings built
(``tests/fixtures/validation/recorded.yaml``, one CloudFormation resource per API call of the
recording); ``test_decision_*`` pin what the reference leaves unrecorded (B.2) or only documented.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.config import ConfigErrors, load, load_definitions
from emulator.config.serverless.service import load_serverless
from emulator.deployment import deploy
from emulator.inspector import Recorder
from emulator.model import Model, RestApi
from emulator.not_executed import not_executed
from emulator.request_models import compile_models
from emulator.testing import Harness
from tests.conftest import LAMBDAS, inspector_client

RECORDED = Path(__file__).parent / "fixtures" / "validation" / "recorded.yaml"
PARAMETERS = {"x-header-param": "test"}
INVALID_BODY = {"message": "Invalid request body"}

MakeHarness = Callable[..., Harness]


@pytest.fixture
def recorded() -> Iterator[Harness]:
    with Harness(RECORDED) as harness:
        yield harness


@pytest.fixture
def served(tmp_path: Path) -> Iterator[MakeHarness]:
    """``served(document, api_settings="")``: a harness over an OpenAPI document bound by a YAML file."""
    harnesses: list[Harness] = []

    def make(document: str, api_settings: str = "") -> Harness:
        write_api(tmp_path, document, api_settings)
        harness = Harness(tmp_path / "apig.yaml", code_dir=LAMBDAS)
        harnesses.append(harness)
        return harness

    yield make
    for harness in harnesses:
        harness.close()


def write_api(folder: Path, document: str, api_settings: str = "") -> Path:
    (folder / "api.yaml").write_text(textwrap.dedent(document))
    config = folder / "apig.yaml"
    settings = textwrap.indent(textwrap.dedent(api_settings), " " * 4)
    config.write_text(
        "apis:\n  shop:\n    id: shop123456\n    openapi: api.yaml\n    stages: {Prod: {}}\n"
        f"{settings}\nfunctions:\n  echo: {{handler: cases.echo_event}}\n"
    )
    return config


ECHO = (
    "{type: aws_proxy, httpMethod: POST, uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:echo/invocations'}"
)

#: A document whose methods differ in their validator only, with a model that names what it checks.
SHOP = f"""
openapi: 3.0.1
info: {{title: shop, version: "1"}}
x-amazon-apigateway-request-validators:
  none: {{validateRequestBody: false, validateRequestParameters: false}}
  all: {{validateRequestBody: true, validateRequestParameters: true}}
  params-only: {{validateRequestBody: false, validateRequestParameters: true}}
  body-only: {{validateRequestBody: true, validateRequestParameters: false}}
x-amazon-apigateway-request-validator: all
paths:
  /orders:
    post:
      parameters:
        - {{name: X-Token, in: header, required: true, schema: {{type: string}}}}
        - {{name: page, in: query, required: true, schema: {{type: string}}}}
        - {{name: sort, in: query, required: false, schema: {{type: string}}}}
      requestBody:
        content:
          application/json: {{schema: {{$ref: "#/components/schemas/Order"}}}}
      x-amazon-apigateway-integration: {ECHO}
    put:
      x-amazon-apigateway-request-validator: params-only
      parameters:
        - {{name: X-Token, in: header, required: true, schema: {{type: string}}}}
      requestBody:
        content:
          application/json: {{schema: {{$ref: "#/components/schemas/Order"}}}}
      x-amazon-apigateway-integration: {ECHO}
    patch:
      x-amazon-apigateway-request-validator: body-only
      parameters:
        - {{name: X-Token, in: header, required: true, schema: {{type: string}}}}
      requestBody:
        content:
          application/json: {{schema: {{$ref: "#/components/schemas/Order"}}}}
      x-amazon-apigateway-integration: {ECHO}
  /anything:
    post:
      requestBody:
        content:
          $default: {{schema: {{$ref: "#/components/schemas/Order"}}}}
      x-amazon-apigateway-integration: {ECHO}
  /unvalidated:
    post:
      x-amazon-apigateway-request-validator: none
      parameters:
        - {{name: X-Token, in: header, required: true, schema: {{type: string}}}}
      requestBody:
        content:
          application/json: {{schema: {{$ref: "#/components/schemas/Order"}}}}
      x-amazon-apigateway-integration: {ECHO}
components:
  schemas:
    Order:
      type: object
      required: [item, quantity]
      additionalProperties: false
      properties:
        item: {{type: string, minLength: 2}}
        quantity: {{type: integer, minimum: 1, maximum: 10}}
        size: {{enum: [S, M, L]}}
        lines:
          type: array
          items: {{$ref: "#/components/schemas/Line"}}
    Line:
      type: object
      required: [sku]
      properties:
        sku: {{type: string, pattern: "^[A-Z]{{3}}-[0-9]+$"}}
        next: {{$ref: "#/components/schemas/Line"}}
"""
ORDER = {"item": "tea", "quantity": 2}
TOKEN = {"X-Token": "t"}


# Reference B.1, recorded against AWS


def test_b1_a_request_with_its_parameters_and_a_valid_body_reaches_the_function(recorded: Harness) -> None:
    answer = recorded.post("/test/nested/value?qs1=test", headers=PARAMETERS, json={"a": 1, "b": 2})
    assert answer.status == 200
    event = answer.json()
    assert (event["resource"], event["pathParameters"], event["body"]) == (
        "/nested/{test}",
        {"test": "value"},
        '{"a":1,"b":2}',
    )


def test_b1_a_get_without_a_body_fails_the_json_model(recorded: Harness) -> None:
    answer = recorded.get("/test/nested/value?qs1=test", headers=PARAMETERS)
    assert (answer.status, answer.json()) == (400, INVALID_BODY)
    assert recorded.invocations == []


def test_b1_a_get_without_a_body_and_with_a_json_content_type_fails_too(recorded: Harness) -> None:
    answer = recorded.get(
        "/test/nested/value?qs1=test", headers={**PARAMETERS, "Content-Type": "application/json"}
    )
    assert (answer.status, answer.json()) == (400, INVALID_BODY)


def test_b1_missing_parameters_are_listed_bare_header_path_querystring_and_before_the_body(
    recorded: Harness,
) -> None:
    # The method requires a path parameter 'issuer' its resource cannot have: always missing. The body
    # breaks the model too, and only the parameters are reported.
    answer = recorded.post("/test/changed/value", json={"test": "test"})
    assert (answer.status, answer.json()) == (
        400,
        {"message": "Missing required request parameters: [x-header-param, issuer, qs1]"},
    )
    assert recorded.invocations == []


def test_b1_a_missing_header_alone(recorded: Harness) -> None:
    answer = recorded.get("/test/nested/value?qs1=test")
    assert (answer.status, answer.json()) == (
        400,
        {"message": "Missing required request parameters: [x-header-param]"},
    )


def test_b1_a_missing_query_string_parameter_alone(recorded: Harness) -> None:
    answer = recorded.get("/test/nested/value", headers=PARAMETERS)
    assert (answer.status, answer.json()) == (400, {"message": "Missing required request parameters: [qs1]"})


def test_b1_a_body_that_breaks_the_model(recorded: Harness) -> None:
    answer = recorded.post("/test/nested/value?qs1=test", headers=PARAMETERS, json={"test": "test"})
    assert (answer.status, answer.json()) == (400, INVALID_BODY)
    assert recorded.invocations == []


def test_b1_a_validator_switched_off_applies_once_redeployed(recorded: Harness, tmp_path: Path) -> None:
    changed = stack_with(
        tmp_path,
        "",
        ('ValidateBody: {Type: String, Default: "true"}', 'ValidateBody: {Type: String, Default: "false"}'),
        (
            'ValidateParameters: {Type: String, Default: "true"}',
            'ValidateParameters: {Type: String, Default: "false"}',
        ),
    )
    assert recorded.post("/test/nested/value", json={"test": "test"}).status == 400
    # UpdateRequestValidator, then a deployment: what `serve`'s reload does when the file changes.
    recorded.gateway.deployment = deploy(load_definitions(changed))
    assert recorded.post("/test/nested/value", json={"test": "test"}).status == 200
    assert recorded.get("/test/nested/value").status == 200
    assert len(recorded.invocations) == 2


def test_b1_a_model_refers_to_another_by_its_url(recorded: Harness) -> None:
    ok = recorded.post("/test/refs", json=[{"a": 1, "b": 2}])
    assert (ok.status, ok.json()) == (200, {"data": "ok"})
    missing = recorded.post("/test/refs")
    assert (missing.status, missing.json()) == (400, INVALID_BODY)
    assert recorded.post("/test/refs", json=[{"a": 1}]).status == 400


def test_b1_one_of_null_or_a_referenced_model(recorded: Harness) -> None:
    assert recorded.post("/test/oneof", json={"status": None}).json() == {"data": "ok"}
    assert recorded.post("/test/oneof", json={"status": {"Status": "works", "Order": 1}}).json() == {
        "data": "ok"
    }
    for body in (None, {"badFormat": "bla"}):
        answer = recorded.post("/test/oneof", json=body) if body else recorded.post("/test/oneof")
        assert (answer.status, answer.json()) == (400, INVALID_BODY)


def test_b1_every_api_has_the_empty_and_error_models(recorded: Harness) -> None:
    """GetModels on a new API lists ``Empty`` (any object) and ``Error`` (a string ``message``)."""
    api = recorded.definitions.apis["Api"]
    assert set(api.models) == {"testSchema", "testSchemaList", "StatusModel", "StatusHolder"}
    assert recorded.post("/test/defaults", json={"any": ["thing"]}).status == 200
    assert recorded.post("/test/defaults").status == 200  # an empty body is an empty object
    assert recorded.post("/test/defaults", json=[1]).status == 400
    assert recorded.put("/test/defaults", json={"message": "fine"}).status == 200
    assert recorded.put("/test/defaults", json={"message": 1}).status == 400


def test_b1_validated_methods_have_no_not_yet_note(recorded: Harness) -> None:
    assert [note.text for note in not_executed(recorded.definitions)] == []


# Decisions where the reference has no recording (B.2) or only AWS's documentation


def test_decision_b2_both_failures_are_bad_request_exceptions_in_the_default_templates_spacing(
    recorded: Harness,
) -> None:
    missing = recorded.get("/test/nested/value?qs1=test")
    invalid = recorded.get("/test/nested/value?qs1=test", headers=PARAMETERS)
    for answer in (missing, invalid):
        assert answer.headers["x-amzn-ErrorType"] == "BadRequestException"
        assert answer.headers["Content-Type"] == "application/json"
    # Rendered from AWS's default template {"message":$context.error.messageString}: no space (reference 4.2).
    assert missing.content == b'{"message":"Missing required request parameters: [x-header-param]"}'
    assert invalid.content == b'{"message":"Invalid request body"}'


def test_decision_b2_validation_error_string_in_the_java_validators_words(served: MakeHarness) -> None:
    """AWS's documented template for BAD_REQUEST_BODY, with the detail the model found."""
    document = SHOP + textwrap.dedent(
        """\
        x-amazon-apigateway-gateway-responses:
          BAD_REQUEST_BODY:
            statusCode: 422
            responseTemplates:
              application/json: '{"message": $context.error.messageString, "error": "$context.error.validationErrorString"}'
          BAD_REQUEST_PARAMETERS:
            responseParameters:
              gatewayresponse.header.X-Detail: "'parameters'"
            responseTemplates:
              application/json: '{"type": "$context.error.responseType", "detail": "$context.error.validationErrorString"}'
        """
    )
    apig = served(document)
    answer = apig.post("/Prod/orders?page=1", headers=TOKEN, json={"quantity": 2})
    assert answer.status == 422
    assert answer.text == (
        '{"message": "Invalid request body", "error": "[object has missing required properties (["item"])]"}'
    )
    enum = apig.post("/Prod/orders?page=1", headers=TOKEN, json={**ORDER, "size": "XL"})
    assert enum.text.endswith(
        '"error": "[instance value ("XL") not found in enum (possible values: ["S","M","L"])]"}'
    )
    # The detail is the body's: a parameter failure has none, and its message says it all.
    parameters = apig.post("/Prod/orders", json=ORDER)
    assert (parameters.status, parameters.text) == (400, '{"type": "BAD_REQUEST_PARAMETERS", "detail": ""}')
    assert parameters.headers["X-Detail"] == "parameters"


def test_both_failures_fall_back_to_a_customised_default_4xx(served: MakeHarness) -> None:
    """Reference E: a type the API does not customise takes DEFAULT_4XX's status, headers and template."""
    document = SHOP + textwrap.dedent(
        """\
        x-amazon-apigateway-gateway-responses:
          DEFAULT_4XX:
            statusCode: 422
            responseParameters:
              gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
            responseTemplates:
              application/json: '{"error": "$context.error.responseType", "message": $context.error.messageString}'
        """
    )
    apig = served(document)
    body = apig.post("/Prod/orders?page=1", headers=TOKEN, json={})
    parameters = apig.post("/Prod/orders", json=ORDER)
    assert (body.status, body.json()) == (
        422,
        {"error": "BAD_REQUEST_BODY", "message": "Invalid request body"},
    )
    assert (parameters.status, parameters.json()) == (
        422,
        {
            "error": "BAD_REQUEST_PARAMETERS",
            "message": "Missing required request parameters: [X-Token, page]",
        },
    )
    assert (
        body.headers["Access-Control-Allow-Origin"]
        == parameters.headers["Access-Control-Allow-Origin"]
        == "*"
    )


def test_decision_b2_every_failure_is_listed_in_the_bodys_order(served: MakeHarness) -> None:
    document = SHOP + textwrap.dedent(
        """\
        x-amazon-apigateway-gateway-responses:
          BAD_REQUEST_BODY:
            responseTemplates:
              application/json: '$context.error.validationErrorString'
        """
    )
    apig = served(document)
    body = {"item": "t", "quantity": 11, "extra": 1, "lines": [{"sku": "abc"}, {}]}
    answer = apig.post("/Prod/orders?page=1", headers=TOKEN, json=body)
    assert answer.text == (
        "["
        'object instance has properties which are not allowed by the schema: ["extra"], '
        'string "t" is too short (length: 1, required minimum: 2), '
        'ECMA 262 regex "^[A-Z]{3}-[0-9]+$" does not match input string "abc", '
        'object has missing required properties (["sku"]), '
        "numeric instance is greater than the required maximum (maximum: 10, found: 11)"
        "]"
    )
    wrong_type = apig.post("/Prod/orders?page=1", headers=TOKEN, json={"item": "tea", "quantity": "2"})
    assert wrong_type.text == (
        '[instance type (string) does not match any allowed primitive type (allowed: ["integer"])]'
    )


def test_decision_the_log_and_the_inspector_say_what_failed_and_where(
    served: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    apig = served(SHOP)
    with inspector_client(apig, Recorder(capacity=5)) as client:
        with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
            body = client.post("/Prod/orders?page=1", headers=TOKEN, json={"item": "tea", "quantity": 0})
            parameters = client.post("/Prod/orders?page=", json=ORDER)
        shown = client.get("/_emu/api/invocations").json()
    assert body.status_code == parameters.status_code == 400
    body_reason = (
        "request validation failed: the body does not match model 'Order' (application/json): "
        "/quantity: numeric instance is lower than the required minimum (minimum: 1, found: 0)"
    )
    parameters_reason = (
        "request validation failed: missing required request parameters: X-Token, page "
        "(method.request.header.X-Token; method.request.querystring.page)"
    )
    assert f"POST /Prod/orders -> 400: {body_reason}" in caplog.text
    assert f"POST /Prod/orders -> 400: {parameters_reason}" in caplog.text
    errors = sorted((record["gatewayError"] for record in shown), key=lambda error: error["type"])
    assert errors == [
        {"type": "BAD_REQUEST_BODY", "status": 400, "reason": body_reason},
        {"type": "BAD_REQUEST_PARAMETERS", "status": 400, "reason": parameters_reason},
    ]
    assert apig.invocations == []


def test_decision_doc_a_blank_parameter_is_missing(served: MakeHarness) -> None:
    """AWS's doc: required parameters must be "included and not blank"; a repeated key's last value counts."""
    apig = served(SHOP)
    blank = apig.post("/Prod/orders?page=&sort=", headers={"X-Token": "  "}, json=ORDER)
    assert blank.json() == {"message": "Missing required request parameters: [X-Token, page]"}
    bare = apig.post("/Prod/orders?page", headers={"x-token": "t"}, json=ORDER)
    assert bare.json() == {"message": "Missing required request parameters: [page]"}
    assert apig.post("/Prod/orders?page=&page=2", headers=TOKEN, json=ORDER).status == 200
    assert apig.post("/Prod/orders?page=2&page=", headers=TOKEN, json=ORDER).status == 400
    # Optional parameters are never missing; header names are matched whatever their case.
    assert apig.post("/Prod/orders?page=1", headers={"x-TOKEN": "t"}, json=ORDER).status == 200


def test_decision_doc_a_content_type_without_a_model_is_not_validated(served: MakeHarness) -> None:
    """AWS's doc: "If no matching content type is found, request validation is not performed"."""
    apig = served(SHOP)
    plain = apig.post(
        "/Prod/orders?page=1", headers={**TOKEN, "Content-Type": "text/plain"}, content=b"not json"
    )
    assert plain.status == 200
    # A media type's parameters and case do not change which model applies.
    charset = {**TOKEN, "Content-Type": "Application/JSON; charset=utf-8"}
    assert apig.post("/Prod/orders?page=1", headers=charset, content=b"{}").json() == INVALID_BODY


def test_decision_doc_the_default_model_applies_to_every_content_type(served: MakeHarness) -> None:
    apig = served(SHOP)
    xml = {"Content-Type": "application/xml"}
    assert apig.post("/Prod/anything", headers=xml, content=b"<order/>").json() == INVALID_BODY
    assert apig.post("/Prod/anything", headers=xml, content=json.dumps(ORDER).encode()).status == 200


def test_a_validator_checks_only_what_it_is_set_to_check(served: MakeHarness) -> None:
    apig = served(SHOP)
    # params-only: any body passes, the header does not.
    assert apig.put("/Prod/orders", headers=TOKEN, json={"nothing": True}).status == 200
    assert apig.put("/Prod/orders", json=ORDER).json() == {
        "message": "Missing required request parameters: [X-Token]"
    }
    # body-only: the header is not required, the body is checked.
    assert apig.patch("/Prod/orders", json=ORDER).status == 200
    assert apig.patch("/Prod/orders", headers=TOKEN, json={"nothing": True}).json() == INVALID_BODY
    # A validator that checks nothing, like no validator, lets everything through.
    assert apig.post("/Prod/unvalidated", content=b"anything").status == 200
    assert len(apig.invocations) == 3


def test_a_body_that_is_not_json_is_invalid_and_the_detail_says_so(served: MakeHarness) -> None:
    document = SHOP + textwrap.dedent(
        """\
        x-amazon-apigateway-gateway-responses:
          BAD_REQUEST_BODY:
            responseTemplates:
              application/json: '$context.error.validationErrorString'
        """
    )
    apig = served(document)
    broken = apig.post("/Prod/orders?page=1", headers=TOKEN, content=b'{"item": "tea",')
    assert (broken.status, broken.text) == (
        400,
        "[body is not JSON: Expecting property name enclosed in double quotes: line 1 column 16 (char 15)]",
    )
    # Python's parser takes NaN; JSON does not.
    nan = apig.post("/Prod/orders?page=1", headers=TOKEN, content=b'{"item": "tea", "quantity": NaN}')
    assert (nan.status, nan.text) == (400, "[body is not JSON: NaN is not a JSON value]")
    # Deeper than the parser, or than Python's stack lets a recursive model follow: refused, never a fault.
    for depth, detail in (
        (5000, "[body is not JSON: maximum recursion depth exceeded"),
        (400, "[body is nested"),
    ):
        lines = b'{"sku": "ABC-1", "next": ' * depth + b'{"sku": "ABC-1"}' + b"}" * depth
        deep = apig.post(
            "/Prod/orders?page=1",
            headers=TOKEN,
            content=b'{"item": "tea", "quantity": 1, "lines": [' + lines + b"]}",
        )
        assert (deep.status, deep.text[: len(detail)]) == (400, detail)
    whitespace = apig.post("/Prod/orders?page=1", headers=TOKEN, content=b"  \n")
    assert whitespace.text == '[object has missing required properties (["item","quantity"])]'


def test_models_are_draft_4_whatever_their_schema_says(served: MakeHarness) -> None:
    """API Gateway validates with draft 4: ``exclusiveMinimum`` is draft 4's boolean even under a draft-07 ``$schema``."""
    apig = served(
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        x-amazon-apigateway-request-validators: {{body: {{validateRequestBody: true}}}}
        paths:
          /count:
            post:
              x-amazon-apigateway-request-validator: body
              requestBody:
                content:
                  application/json:
                    schema:
                      $schema: "http://json-schema.org/draft-07/schema#"
                      type: object
                      properties:
                        n: {{type: number, minimum: 5, exclusiveMinimum: true}}
              x-amazon-apigateway-integration: {ECHO}
        """
    )
    assert apig.post("/Prod/count", json={"n": 6}).status == 200
    assert apig.post("/Prod/count", json={"n": 5}).status == 400


def test_swagger_definitions_and_local_definitions_are_resolved(served: MakeHarness) -> None:
    apig = served(
        f"""
        swagger: "2.0"
        info: {{title: shop, version: "1"}}
        x-amazon-apigateway-request-validators: {{body: {{validateRequestBody: true}}}}
        x-amazon-apigateway-request-validator: body
        paths:
          /people:
            post:
              consumes: [application/json]
              parameters:
                - {{name: body, in: body, required: true, schema: {{$ref: "#/definitions/Person"}}}}
              x-amazon-apigateway-integration: {ECHO}
        definitions:
          Person:
            type: object
            required: [name, home]
            properties:
              name: {{type: string}}
              home: {{$ref: "#/definitions/Address"}}
              work:
                $ref: "#/definitions/Person/definitions/Place"
            definitions:
              Place: {{type: object, required: [city]}}
          Address:
            type: object
            required: [city]
            properties: {{city: {{type: string}}}}
        """
    )
    assert apig.post("/Prod/people", json={"name": "Ann", "home": {"city": "Oslo"}}).status == 200
    assert apig.post("/Prod/people", json={"name": "Ann", "home": {}}).status == 400
    assert apig.post("/Prod/people", json={"name": "Ann", "home": {"city": "Oslo"}, "work": {}}).status == 400


def test_validators_are_built_once_per_deployment(
    served: MakeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    apig = served(SHOP)
    checks = apig.gateway.deployment.request_checks
    assert sorted(checks) == [
        ("shop", "/anything", "POST"),
        ("shop", "/orders", "PATCH"),
        ("shop", "/orders", "POST"),
        ("shop", "/orders", "PUT"),
    ]

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("a validator was built while serving a request")

    monkeypatch.setattr("jsonschema.Draft4Validator", refused)
    monkeypatch.setattr("emulator.method_request.compile_models", refused)
    assert apig.post("/Prod/orders?page=1", headers=TOKEN, json=ORDER).status == 200
    assert apig.post("/Prod/orders?page=1", headers=TOKEN, json={}).status == 400


# Models that cannot be used are load errors, at their location

#: Models as CloudFormation stores them, schemas as written (an OpenAPI import resolves references itself).
BROKEN_MODELS = """
  Typo:
    Type: AWS::ApiGateway::Model
    Properties:
      RestApiId: !Ref Api
      Schema: {type: object, properties: {n: {type: integr}}}
  NoneRequired:
    Type: AWS::ApiGateway::Model
    Properties:
      RestApiId: !Ref Api
      Schema: {type: object, required: []}
  Elsewhere:
    Type: AWS::ApiGateway::Model
    Properties:
      RestApiId: !Ref Api
      Schema: {type: array, items: {$ref: "https://apigateway.amazonaws.com/restapis/otherapi12/models/testSchema"}}
  Remote:
    Type: AWS::ApiGateway::Model
    Properties:
      RestApiId: !Ref Api
      Schema: {properties: {a: {$ref: "https://example.com/schemas/a.json"}}}
  Local:
    Type: AWS::ApiGateway::Model
    Properties:
      RestApiId: !Ref Api
      Schema: {definitions: {Here: {}}, properties: {a: {$ref: "#/definitions/Here"}, b: {$ref: "#/definitions/Gone"}}}
"""


def stack_with(tmp_path: Path, extra: str = "", *changes: tuple[str, str]) -> Path:
    """The recorded API's template in ``tmp_path``, with ``extra`` resources and text ``changes``."""
    text = RECORDED.read_text().replace("Code: ../../lambdas/", f"Code: {LAMBDAS}") + extra
    for old, new in changes:
        text = text.replace(old, new)
    stack = tmp_path / "stack.yaml"
    stack.write_text(text)
    return stack


def test_a_model_that_is_not_a_draft_4_schema_is_a_load_error_with_its_location(tmp_path: Path) -> None:
    stack = stack_with(tmp_path, BROKEN_MODELS)
    loaded = load(stack)
    errors = [str(error) for error in loaded.errors]
    refused = "\n    hint: API Gateway refuses it: Invalid model specified"
    api_id = loaded.definitions.apis["Api"].id
    url = f"https://apigateway.amazonaws.com/restapis/{api_id}/models/"
    known = "Elsewhere, Empty, Error, Local, NoneRequired, Remote, StatusHolder, StatusModel, Typo, testSchema, testSchemaList"
    lines = stack.read_text().splitlines()

    def schema(name: str) -> str:
        """Where the model's schema is: its ``Schema`` line, four lines under the resource's name."""
        return f"{stack}:{lines.index(f'  {name}:') + 5}: Resources.{name}.Properties.Schema"

    assert errors == [
        f"{schema('Typo')}: model 'Typo' is not a valid JSON Schema (draft 4) "
        f"at /properties/n/type: 'integr' is not valid under any of the given schemas{refused}",
        f"{schema('NoneRequired')}: model 'NoneRequired' is not a valid JSON Schema (draft 4) "
        f"at /required: [] should be non-empty{refused}",
        f"{schema('Elsewhere')}: model 'Elsewhere' refers to "
        "'https://apigateway.amazonaws.com/restapis/otherapi12/models/testSchema', which is nowhere to be found"
        f"\n    hint: another model of the API is {url}testSchema",
        f"{schema('Remote')}: model 'Remote' refers to 'https://example.com/schemas/a.json', "
        f"which is nowhere to be found\n    hint: a model refers to the API's models by {url}<Name> "
        f"(its models: {known})",
        f"{schema('Local')}: model 'Local' refers to '#/definitions/Gone', which is nowhere to be found",
    ]


def test_validate_reports_a_broken_model_and_serving_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = stack_with(tmp_path, BROKEN_MODELS)
    assert main(["validate", "--config", str(stack)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("5 errors in the API definitions:\n")
    assert "Resources.Typo.Properties.Schema: model 'Typo' is not a valid JSON Schema (draft 4)" in err
    with pytest.raises(ConfigErrors, match="model 'Typo' is not a valid JSON Schema"):
        Harness(stack)


def test_deploy_refuses_a_broken_model_in_definitions_it_is_given(tmp_path: Path) -> None:
    """Definitions built without the loader (a test's own builder) meet the same check when deployed."""
    loaded = load(stack_with(tmp_path, BROKEN_MODELS))
    assert len(loaded.errors) == 5
    with pytest.raises(ConfigErrors, match="model 'NoneRequired' is not a valid JSON Schema"):
        deploy(loaded.definitions)


def test_a_method_naming_a_model_the_api_lacks_is_a_load_error(tmp_path: Path) -> None:
    stack = stack_with(
        tmp_path, "", ("RequestModels: {application/json: Error}", "RequestModels: {application/json: Eror}")
    )
    errors = [str(error) for error in load(stack).errors]
    assert len(errors) == 1
    assert errors[0].endswith(
        "Resources.DefaultsPut.Properties: the request model for application/json is 'Eror', which is not a model "
        "of the API (its models: Empty, Error, StatusHolder, StatusModel, testSchema, testSchemaList)"
    )


# Every format's validators are the same model's, and so are served alike

SAM = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Models:
        User:
          type: object
          required: [name]
          properties: {name: {type: string}}
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Handler: cases.echo_event
      Runtime: python3.11
      CodeUri: CODE
      Events:
        Create:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /users
            Method: post
            RequestModel: {Model: User, Required: true, ValidateBody: true}
            RequestParameters:
              - method.request.header.X-Token: {Required: true}
"""


def test_a_sam_templates_request_model_and_parameters_are_validated(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(SAM.replace("CODE", str(LAMBDAS)))
    with Harness(template) as apig:
        assert apig.post("/Prod/users", headers=TOKEN, json={"name": "Ann"}).status == 200
        missing = apig.post("/Prod/users", json={"name": "Ann"})
        assert missing.json() == {"message": "Missing required request parameters: [X-Token]"}
        assert apig.post("/Prod/users", headers=TOKEN, json={"name": 1}).json() == INVALID_BODY
        assert len(apig.invocations) == 1


def test_a_serverless_services_request_schema_is_validated_before_its_template() -> None:
    """serverless.yml's ``request.schemas`` (tests/fixtures/serverless): a refused body never reaches the
    integration request and its default template; its Cognito authorizer runs first, as AWS authorizes
    before it validates."""
    loaded = load_serverless(Path(__file__).parent / "fixtures" / "serverless" / "serverless.yml", environ={})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        apig = Harness(loaded.definitions)
    with apig:
        unauthorized = apig.post("/dev/orders", json={"item": "tea", "quantity": 0})
        assert (unauthorized.status, unauthorized.json()) == (401, {"message": "Unauthorized"})
        token = {"Authorization": apig.token("alice")}
        refused = apig.post("/dev/orders", json={"item": "tea", "quantity": 0}, headers=token)
        assert (refused.status, refused.json()) == (400, INVALID_BODY)
        assert apig.exchanges[-1].error is not None
        assert (
            "/quantity: numeric instance is lower than the required minimum"
            in apig.exchanges[-1].error.reason
        )


def test_jsonschema_is_imported_only_for_an_api_with_models_or_body_validation(tmp_path: Path) -> None:
    """jsonschema's import costs a fifth of a second at every start: a YAML API without models skips it."""
    plain = tmp_path / "plain.yaml"
    plain.write_text(
        "apis: {shop: {}}\nfunctions:\n  echo:\n    handler: cases.echo\n    triggers: [{api: shop, resource: /x, method: GET}]\n"
    )
    script = textwrap.dedent(
        f"""
        import sys
        from emulator.testing import Harness
        with Harness({str(plain)!r}, code_dir={str(LAMBDAS)!r}) as apig:
            assert apig.get("/Prod/x").status == 200
        print("jsonschema" in sys.modules)
        with Harness({str(RECORDED)!r}) as apig:
            assert apig.get("/Prod/nested/v").status == 403
        print("jsonschema" in sys.modules)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert (run.returncode, run.stdout.split()) == (0, ["False", "True"]), run.stderr


@pytest.mark.parametrize(
    ("schema", "body", "expected"),
    [
        ({"maxLength": 2}, "abc", 'string "abc" is too long (length: 3, maximum allowed: 2)'),
        (
            {"minItems": 2},
            [1],
            "array is too short: must have at least 2 elements but instance has 1 elements",
        ),
        (
            {"maxItems": 1},
            [1, 2],
            "array is too long: must have at most 1 elements but instance has 2 elements",
        ),
        ({"uniqueItems": True}, [1, 1], "array must not contain duplicate elements"),
        ({"multipleOf": 3}, 7, "remainder of division is not zero (7 / 3)"),
        ({"minProperties": 2}, {"a": 1}, "object has too few properties (found 1, required: 2)"),
        (
            {"maxProperties": 1},
            {"a": 1, "b": 2},
            "object has too many properties (found 2, maximum allowed: 1)",
        ),
        ({"not": {"type": "string"}}, "x", "instance matched a schema which it should not have"),
        (
            {"anyOf": [{"type": "string"}, {"type": "boolean"}]},
            1,
            "instance failed to match at least one required schema among 2",
        ),
        (
            {"oneOf": [{"type": "string"}, {"type": "boolean"}, {"type": "integer"}]},
            None,
            "instance failed to match exactly one schema (matched 0 out of 3)",
        ),
        (
            {"oneOf": [{"type": "number"}, {"type": "integer"}]},
            1,
            "instance failed to match exactly one schema (matched several out of 2)",
        ),
        (
            {"type": ["string", "null"]},
            1.5,
            'instance type (number) does not match any allowed primitive type (allowed: ["string","null"])',
        ),
        # Without a wording of the Java validator's, jsonschema's own.
        ({"dependencies": {"a": ["b"]}}, {"a": 1}, "'b' is a dependency of 'a'"),
    ],
)
def test_each_failure_is_worded_as_the_java_validator_words_it(
    schema: dict[str, object], body: object, expected: str
) -> None:
    api = RestApi("shop", "shop123456", models={"M": Model("M", schema=schema)})
    models, problems = compile_models(api)
    assert problems == []
    assert [failure.text for failure in models["M"].failures(body)] == [expected]
