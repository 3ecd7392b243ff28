"""The YAML's mapping keys written back by ``apig-emu export`` under AWS's own names, and refused by
``apig-emu validate`` at their lines, as a user runs both."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.cli import main
from tests.conftest import LAMBDAS
from tests.export_checks import openapi_problems

CONFIG = """
apis:
  shop:
    models:
      Order: {type: object, required: [sku], properties: {sku: {type: string}}}
    request_validators:
      all: {validate_request_body: true, validate_request_parameters: true}
functions:
  orders:
    handler: cases.echo
    triggers:
      - api: shop
        resource: /orders
        method: POST
        request_parameters: {method.request.header.X-Tenant: true}
        request_models: {application/json: Order}
        request_validator: all
        integration:
          request_templates: {application/x-www-form-urlencoded: '{"kind": "form"}'}
          passthrough_behavior: when_no_templates
          request_parameters: {integration.request.header.X-Tenant: method.request.header.X-Tenant}
          timeout_ms: 4000
          responses:
            - status_code: 404
              selection_pattern: "Not found.*"
              response_parameters: {method.response.header.X-Reason: "'missing'"}
              response_templates: {application/json: '{"message": "not found"}'}
            - {status_code: 200, content_handling: CONVERT_TO_TEXT}
integrations:
  queue:
    type: aws
    uri: arn:aws:apigateway:us-east-1:sqs:path/123456789012/orders
    credentials: arn:aws:iam::123456789012:role/apigw-sqs
    request_templates: {application/json: "Action=SendMessage&MessageBody=$input.body"}
    triggers:
      - {api: shop, resource: /queue, method: POST}
"""


@pytest.fixture
def document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    config = tmp_path / "apig.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    output = tmp_path / "shop.yaml"
    arguments = ["export", "--format", "openapi", "--config", str(config), "--code-dir", str(LAMBDAS)]
    assert main([*arguments, "--output", str(output)]) == 0
    written: dict[str, Any] = yaml.safe_load(output.read_text())
    return written


def test_export_writes_every_key_under_aws_names(document: dict[str, Any]) -> None:
    assert openapi_problems(document) == []
    assert document["components"]["schemas"]["Order"] == {
        "type": "object",
        "required": ["sku"],
        "properties": {"sku": {"type": "string"}},
    }
    assert document["x-amazon-apigateway-request-validators"] == {
        "all": {"validateRequestBody": True, "validateRequestParameters": True}
    }
    posted = document["paths"]["/orders"]["post"]
    assert posted["x-amazon-apigateway-request-validator"] == "all"
    assert posted["parameters"] == [
        {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}}
    ]
    assert posted["requestBody"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Order"}}
    }
    assert set(posted["responses"]) == {"200", "404"}
    assert posted["responses"]["404"]["headers"] == {"X-Reason": {"schema": {"type": "string"}}}
    integration = posted["x-amazon-apigateway-integration"]
    assert integration["type"] == "aws"
    assert integration["requestTemplates"] == {"application/x-www-form-urlencoded": '{"kind": "form"}'}
    assert integration["passthroughBehavior"] == "when_no_templates"
    assert integration["requestParameters"] == {
        "integration.request.header.X-Tenant": "method.request.header.X-Tenant"
    }
    assert integration["timeoutInMillis"] == 4000
    assert integration["responses"] == {
        "Not found.*": {
            "statusCode": "404",
            "responseParameters": {"method.response.header.X-Reason": "'missing'"},
            "responseTemplates": {"application/json": '{"message": "not found"}'},
        },
        "default": {"statusCode": "200", "contentHandling": "CONVERT_TO_TEXT"},
    }
    queue = document["paths"]["/queue"]["post"]["x-amazon-apigateway-integration"]
    assert {key: queue[key] for key in ("type", "uri", "httpMethod", "credentials")} == {
        "type": "aws",
        "uri": "arn:aws:apigateway:us-east-1:sqs:path/123456789012/orders",
        "httpMethod": "POST",
        "credentials": "arn:aws:iam::123456789012:role/apigw-sqs",
    }


def test_validate_reports_a_template_file_and_an_unknown_model_at_their_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(
        textwrap.dedent(
            """
            apis: {shop: {}}
            functions:
              orders:
                handler: cases.echo
                triggers:
                  - api: shop
                    resource: /orders
                    method: POST
                    request_models: {application/json: Order}
                    integration:
                      request_templates: {text/csv: {file: templates/csv.vtl}}
            """
        )
    )
    assert main(["validate", "--config", str(config), "--code-dir", str(LAMBDAS)]) == 1
    err = capsys.readouterr().err
    assert (
        f"{config}:10: functions.orders.triggers[0].request_models.application/json: unknown model 'Order'"
        in err
    )
    assert (
        f"{config}:12: functions.orders.triggers[0].integration.request_templates.text/csv: no such file: "
        f"{tmp_path / 'templates' / 'csv.vtl'}"
    ) in err
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "csv.vtl").write_text('{"csv": true}')
    config.write_text(config.read_text().replace("request_models: {application/json: Order}", ""))
    assert main(["validate", "--config", str(config), "--code-dir", str(LAMBDAS)]) == 0


def test_b1_null_alternative_exports_as_openapi_writes_null() -> None:
    """Reference B.1's ``oneOf: [{"type": "null"}, {"$ref": …}]``: OpenAPI 3.0 has no null type, so the
    export writes null alone as nullable with null its only value, which validates as draft 4's did."""
    from emulator.export.schemas import openapi_schema

    problems: list[str] = []
    url = "https://apigateway.amazonaws.com/restapis/abcdef1234/models/StatusModel"
    schema = openapi_schema({"oneOf": [{"type": "null"}, {"$ref": url}]}, problems)
    assert schema == {
        "oneOf": [{"nullable": True, "enum": [None]}, {"$ref": "#/components/schemas/StatusModel"}]
    }
    assert problems == []
    assert openapi_schema(schema["oneOf"][0], problems) == schema["oneOf"][0]  # read back, the same


def test_a_template_that_does_not_compile_is_reported_where_the_yaml_or_its_file_has_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "bad.vtl").write_text('{"a": 1}\n#if($x\n')
    config = tmp_path / "apig.yaml"
    config.write_text(
        textwrap.dedent(
            """
            apis: {shop: {}}
            functions:
              f:
                handler: cases.echo
                triggers:
                  - api: shop
                    resource: /a
                    method: POST
                    integration:
                      request_templates:
                        application/json: |
                          {"bad": #foreach($x in)}
                        text/plain: {file: templates/bad.vtl}
            """
        )
    )
    assert main(["validate", "--config", str(config), "--code-dir", str(LAMBDAS)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert any(
        line.startswith(
            f"{config}:13: functions.f.triggers[0].integration.request_templates.application/json: "
        )
        for line in lines
    ), lines
    assert any(line.startswith(f"{tmp_path / 'templates' / 'bad.vtl'}:1: ") for line in lines), lines
