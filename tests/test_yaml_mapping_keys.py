"""The YAML's keys for REST's mapping layer, read into the model: models and validators per api, the method
request per trigger, a non-proxy Lambda trigger's ``integration:`` block and the ``integrations:`` section.

Each key stands for one AWS setting (the README lists them); these tests hold the model to what AWS stores
for the same definition, and every wrong value to an error at its file, key path and line.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from emulator.config import ConfigErrors, load, load_definitions
from emulator.model import (
    AWS,
    HTTP,
    HTTP_PROXY,
    MOCK,
    NEVER,
    Definitions,
    IntegrationResponse,
    Location,
    Method,
    MethodResponse,
    RequestValidator,
)
from tests.conftest import LAMBDAS
from tests.roundtrip import as_exported, comparable, exported_binding


def write(folder: Path, text: str, name: str = "apig.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def loaded(folder: Path, text: str) -> Definitions:
    return load_definitions(write(folder, text), code_dir=LAMBDAS)


def method(definitions: Definitions, path: str, verb: str, api: str = "shop") -> Method:
    return definitions.apis[api].resources[path].methods[verb]


def errors(folder: Path, text: str) -> list[str]:
    """Each error as ``line: key path: message`` (and its notes), the file's name left out."""
    path = write(folder, text)
    with pytest.raises(ConfigErrors) as info:
        load_definitions(path, code_dir=LAMBDAS)
    prefix = f"{path}:"
    return [str(error).removeprefix(prefix) for error in info.value.errors]


def assert_exported_and_imported_alike(config: Path, folder: Path) -> None:
    """``apig-emu export --format openapi`` writes every key back under AWS's names: bound back, the same APIs.

    (The suite's configs that read no file are held to this by ``test_export_roundtrip``; these read files.)
    """
    folder.mkdir()
    original = load_definitions(config, code_dir=LAMBDAS)
    bound = load(exported_binding(config, LAMBDAS, folder), code_dir=LAMBDAS)
    assert bound.errors == []
    assert [str(warning) for warning in bound.warnings] == []
    for name, api in original.apis.items():
        assert comparable(bound.definitions.apis[name]) == comparable(as_exported(api))


def line_of(path: Path, marker: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if marker in line)


# Models and request validators


def test_models_inline_and_from_files_and_request_validators(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "customer.json").write_text('{"type": "object", "required": ["name"]}')
    (tmp_path / "models" / "address.yaml").write_text("type: object\nproperties: {city: {type: string}}\n")
    config = write(
        tmp_path,
        """
        apis:
          shop:
            models:
              Order: {type: object, required: [sku], properties: {sku: {type: string}, n: {type: integer}}}
              Customer: {file: models/customer.json}
              Address: {file: models/address.yaml}
            request_validators:
              all: {validate_request_body: true, validate_request_parameters: true}
              body: {validate_request_body: true}
              none: {}
        functions:
          orders:
            handler: cases.echo
            triggers:
              - {api: shop, resource: /orders, method: POST, request_models: {application/json: Order},
                 request_validator: all}
        """,
    )
    definitions = load_definitions(config, code_dir=LAMBDAS)
    api = definitions.apis["shop"]
    assert {name: model.schema for name, model in api.models.items()} == {
        "Order": {
            "type": "object",
            "required": ["sku"],
            "properties": {"sku": {"type": "string"}, "n": {"type": "integer"}},
        },
        "Customer": {"type": "object", "required": ["name"]},
        "Address": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    assert {model.content_type for model in api.models.values()} == {"application/json"}
    assert api.models["Order"].location.line == 5
    assert api.models["Order"].location.key_path == "apis.shop.models.Order"
    assert api.request_validators == {
        "all": RequestValidator("all", True, True),
        "body": RequestValidator("body", True, False),
        "none": RequestValidator("none", False, False),
    }
    assert_exported_and_imported_alike(config, tmp_path / "exported")


def test_a_trigger_declares_its_method_request(tmp_path: Path) -> None:
    definitions = loaded(
        tmp_path,
        """
        apis:
          shop:
            models:
              Order: {type: object}
            request_validators:
              all: {validate_request_body: true, validate_request_parameters: true}
        functions:
          orders:
            handler: cases.echo
            triggers:
              - api: shop
                resource: /orders/{id}
                method: POST
                request_parameters:
                  method.request.path.id: true
                  method.request.querystring.page: false
                  method.request.header.X-Tenant: true
                request_models: {application/json: Order, text/plain: Empty}
                request_validator: all
        mocks:
          ping:
            triggers:
              - {api: shop, resource: /ping, method: GET, request_parameters: {method.request.querystring.q: true},
                 request_validator: all}
        """,
    )
    posted = method(definitions, "/orders/{id}", "POST")
    assert posted.request_parameters == {
        "method.request.path.id": True,
        "method.request.querystring.page": False,
        "method.request.header.X-Tenant": True,
    }
    assert posted.request_models == {"application/json": "Order", "text/plain": "Empty"}
    assert posted.request_validator == "all"
    ping = method(definitions, "/ping", "GET")
    assert ping.integration.type == MOCK
    assert ping.request_parameters == {"method.request.querystring.q": True}
    assert ping.request_validator == "all"


def test_a_mocked_function_keeps_its_method_request(tmp_path: Path) -> None:
    """``serve --mock`` swaps the integration, not what the method asks of a request."""
    from emulator.config.builder import MockAnswer

    path = write(
        tmp_path,
        """
        apis: {shop: {request_validators: {params: {validate_request_parameters: true}}}}
        functions:
          items:
            handler: cases.echo
            triggers:
              - {api: shop, resource: /items, method: GET, request_parameters: {method.request.querystring.page: true},
                 request_validator: params}
        """,
    )
    definitions = load_definitions(
        path, code_dir=LAMBDAS, mocks={"items": MockAnswer("items", 200, (), "[]")}
    )
    items = method(definitions, "/items", "GET")
    assert items.integration.type == MOCK
    assert items.request_parameters == {"method.request.querystring.page": True}
    assert items.request_validator == "params"


# A non-proxy Lambda trigger's integration block


def test_the_integration_block_holds_every_setting_aws_stores(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    form = "#set($pairs = $input.body.split('&'))\n{\"pairs\": $pairs.size()}\n"
    (tmp_path / "templates" / "form.vtl").write_text(form)
    path = write(
        tmp_path,
        """
        apis: {shop: {}}
        functions:
          orders:
            handler: cases.echo
            triggers:
              - api: shop
                resource: /orders/{id}
                method: POST
                request_parameters: {method.request.header.X-Tenant: false}
                integration:
                  request_templates:
                    application/json: |
                      {"id": "$input.params('id')",
                       "tenant": "$input.params('X-Tenant')"}
                    application/x-www-form-urlencoded: {file: templates/form.vtl}
                    text/plain:
                  passthrough_behavior: never
                  request_parameters:
                    integration.request.header.X-Tenant: method.request.header.X-Tenant
                    integration.request.querystring.source: "'web'"
                  content_handling: CONVERT_TO_TEXT
                  timeout_ms: 5000
                  responses:
                    - status_code: 404
                      selection_pattern: "Not found: .*"
                      response_parameters:
                        method.response.header.X-Reason: "'missing'"
                        method.response.header.X-Request: context.requestId
                      response_templates:
                        application/json: '{"message": "$input.path(''$.errorMessage'')"}'
                    - status_code: "500"
                      selection_pattern: ".*Error.*"
                      content_handling: CONVERT_TO_BINARY
                    - status_code: 200
                      response_parameters: {method.response.header.X-Count: integration.response.body.count}
        """,
    )
    definitions = load_definitions(path, code_dir=LAMBDAS)
    posted = method(definitions, "/orders/{id}", "POST")
    integration = posted.integration
    assert integration.type == AWS
    assert integration.function == "orders"
    assert integration.http_method == "POST"
    assert integration.request_templates == {
        "application/json": '{"id": "$input.params(\'id\')",\n "tenant": "$input.params(\'X-Tenant\')"}\n',
        "application/x-www-form-urlencoded": form,
        "text/plain": "",
    }
    assert integration.passthrough_behavior == NEVER
    assert integration.request_parameters == {
        "integration.request.header.X-Tenant": "method.request.header.X-Tenant",
        "integration.request.querystring.source": "'web'",
    }
    assert integration.content_handling == "CONVERT_TO_TEXT"
    assert integration.timeout_ms == 5000
    assert integration.responses == (
        IntegrationResponse(
            "404",
            "Not found: .*",
            {
                "method.response.header.X-Reason": "'missing'",
                "method.response.header.X-Request": "context.requestId",
            },
            {"application/json": '{"message": "$input.path(\'$.errorMessage\')"}'},
        ),
        IntegrationResponse("500", ".*Error.*", content_handling="CONVERT_TO_BINARY"),
        IntegrationResponse(
            "200", None, {"method.response.header.X-Count": "integration.response.body.count"}
        ),
    )
    # The method responses AWS needs: each status, declaring the headers mapped onto it.
    assert posted.method_responses == {
        "404": MethodResponse(
            "404",
            {"method.response.header.X-Reason": False, "method.response.header.X-Request": False},
            {"application/json": "Empty"},
        ),
        "500": MethodResponse("500", {}, {"application/json": "Empty"}),
        "200": MethodResponse(
            "200", {"method.response.header.X-Count": False}, {"application/json": "Empty"}
        ),
    }
    # Where each template starts: a block's first line, a file's line 1.
    assert integration.template_locations["application/json"] == Location(
        str(path),
        "functions.orders.triggers[0].integration.request_templates.application/json",
        line_of(path, '{"id"'),
    )
    assert integration.template_locations["application/x-www-form-urlencoded"] == Location(
        str(tmp_path / "templates" / "form.vtl"), "", 1
    )
    assert integration.responses[0].template_locations["application/json"].line == line_of(
        path, "$.errorMessage"
    )
    assert_exported_and_imported_alike(path, tmp_path / "exported")


def test_without_responses_the_console_default_200_is_kept(tmp_path: Path) -> None:
    definitions = loaded(
        tmp_path,
        """
        apis: {shop: {}}
        functions:
          orders:
            handler: cases.echo
            triggers:
              - {api: shop, resource: /orders, method: POST, integration: {passthrough_behavior: WHEN_NO_TEMPLATES}}
              - {api: shop, resource: /orders, method: GET}
        """,
    )
    posted, got = method(definitions, "/orders", "POST"), method(definitions, "/orders", "GET")
    assert posted.integration.passthrough_behavior == "WHEN_NO_TEMPLATES"
    assert posted.integration.responses == got.integration.responses == (IntegrationResponse("200"),)
    assert (
        posted.method_responses
        == got.method_responses
        == {"200": MethodResponse("200", {}, {"application/json": "Empty"})}
    )


def test_cors_maps_the_origin_onto_each_200_integration_response_only(tmp_path: Path) -> None:
    """What the console's Enable CORS stores: the header on the 200 method response and every integration
    response answering 200; a 404 gets it only if the definition maps it there itself."""
    definitions = loaded(
        tmp_path,
        """
        apis: {shop: {}}
        functions:
          orders:
            handler: cases.echo
            triggers:
              - api: shop
                resource: /orders
                method: GET
                cors: true
                integration:
                  responses:
                    - {status_code: 200, selection_pattern: "Moved.*"}
                    - {status_code: 404, selection_pattern: "Not found.*"}
                    - {status_code: 200}
        """,
    )
    got = method(definitions, "/orders", "GET")
    origin = "method.response.header.Access-Control-Allow-Origin"
    assert [dict(response.response_parameters) for response in got.integration.responses] == [
        {origin: "'*'"},
        {},
        {origin: "'*'"},
    ]
    assert got.method_responses["200"].response_parameters == {origin: False}
    assert got.method_responses["404"].response_parameters == {}
    assert "OPTIONS" in definitions.apis["shop"].resources["/orders"].methods


# The integrations section


def test_integrations_of_each_type(tmp_path: Path) -> None:
    definitions = loaded(
        tmp_path,
        """
        apis:
          shop:
            stages: {Prod: {variables: {host: 127.0.0.1:9000}}}
        integrations:
          catalogue:
            type: http
            uri: http://${stageVariables.host}/items/{id}
            request_parameters: {integration.request.path.id: method.request.path.id}
            responses:
              - {status_code: 404, selection_pattern: "4\\\\d{2}"}
              - {status_code: 200}
            triggers:
              - {api: shop, resource: "/items/{id}", method: GET}
              - {api: shop, resource: "/items/{id}", method: DELETE}
          passthrough:
            type: HTTP_PROXY
            uri: https://example.com/{proxy}
            http_method: ANY
            timeout_ms: 3000
            request_parameters: {integration.request.path.proxy: method.request.path.proxy}
            triggers:
              - {api: shop, resource: "/legacy/{proxy+}", method: ANY}
          queue:
            type: aws
            uri: arn:aws:apigateway:us-east-1:sqs:path/123456789012/orders
            credentials: arn:aws:iam::123456789012:role/apigw-sqs
            request_templates:
              application/json: "Action=SendMessage&MessageBody=$input.body"
            request_parameters:
              integration.request.header.Content-Type: "'application/x-www-form-urlencoded'"
            triggers:
              - {api: shop, resource: /orders, method: POST}
          teapot:
            type: mock
            request_templates: {application/json: '{"statusCode": 418}'}
            responses:
              - {status_code: 418, selection_pattern: "418", response_templates: {text/plain: I am a teapot}}
            triggers:
              - {api: shop, resource: /teapot, method: GET}
        """,
    )
    got = method(definitions, "/items/{id}", "GET").integration
    assert (got.type, got.uri, got.http_method) == (HTTP, "http://${stageVariables.host}/items/{id}", "GET")
    assert got.request_parameters == {"integration.request.path.id": "method.request.path.id"}
    assert [(r.status, r.selection_pattern) for r in got.responses] == [("404", "4\\d{2}"), ("200", None)]
    # Without http_method, each method calls the backend with its own verb.
    assert method(definitions, "/items/{id}", "DELETE").integration.http_method == "DELETE"
    proxy = method(definitions, "/legacy/{proxy+}", "ANY")
    assert (proxy.integration.type, proxy.integration.http_method, proxy.integration.timeout_ms) == (
        HTTP_PROXY,
        "ANY",
        3000,
    )
    assert proxy.integration.responses == ()
    assert proxy.method_responses == {}
    queue = method(definitions, "/orders", "POST").integration
    assert (queue.type, queue.http_method, queue.credentials, queue.function) == (
        AWS,
        "POST",
        "arn:aws:iam::123456789012:role/apigw-sqs",
        None,
    )
    assert queue.request_templates == {"application/json": "Action=SendMessage&MessageBody=$input.body"}
    teapot = method(definitions, "/teapot", "GET")
    assert (teapot.integration.type, teapot.integration.uri, teapot.integration.http_method) == (
        MOCK,
        None,
        None,
    )
    assert teapot.integration.request_templates == {"application/json": '{"statusCode": 418}'}
    assert list(teapot.method_responses) == ["418"]


def test_a_mock_integration_without_templates_answers_200_as_the_console_sets_it_up(tmp_path: Path) -> None:
    definitions = loaded(
        tmp_path,
        """
        apis: {shop: {}}
        integrations:
          ping:
            type: mock
            triggers: [{api: shop, resource: /ping, method: GET}]
        """,
    )
    ping = method(definitions, "/ping", "GET").integration
    assert ping.request_templates == {"application/json": '{"statusCode": 200}'}
    assert ping.responses == (IntegrationResponse("200"),)


def test_an_integrations_file_alone_is_recognised_as_apig_definitions(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("apis: {shop: {}}\n")
    (tmp_path / "b.yaml").write_text(
        "integrations:\n  ping:\n    type: mock\n    request_templates: {application/json: '{\"statusCode\": 200}'}\n"
        "    triggers: [{api: shop, resource: /ping, method: GET}]\n"
    )
    result = load(tmp_path / "b.yaml", code_dir=LAMBDAS)
    assert [error.message for error in result.errors] == [
        "unknown api 'shop'; no apis are defined under 'apis'"
    ]
    definitions = load_definitions(tmp_path, code_dir=LAMBDAS)
    assert method(definitions, "/ping", "GET").integration.type == MOCK


# Errors: each at its file, key path and line

_FUNCTION = """
apis:
  shop:
    models: {Order: {type: object}}
    request_validators: {all: {validate_request_body: true}}
functions:
  f:
    handler: cases.echo
    triggers:
      - api: shop
        resource: /orders/{id}
        method: POST
"""


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            "proxy: true\nintegration: {passthrough_behavior: NEVER}",
            "14: functions.f.triggers[0].integration: 'integration' maps a non-proxy (proxy: false) Lambda "
            "integration; a Lambda proxy integration passes the request and the function's response through as "
            "they are",
            id="integration-on-proxy",
        ),
        pytest.param(
            "integration: {passthroughBehavior: NEVER}",
            "13: functions.f.triggers[0].integration.passthroughBehavior: unknown key 'passthroughBehavior' (did "
            "you mean 'passthrough_behavior'?); expected one of content_handling, passthrough_behavior, "
            "request_parameters, request_templates, responses, timeout_ms",
            id="aws-spelling",
        ),
        pytest.param(
            "integration: {passthrough_behavior: SOMETIMES}",
            "13: functions.f.triggers[0].integration.passthrough_behavior: unknown value 'SOMETIMES'; expected one "
            "of NEVER, WHEN_NO_MATCH, WHEN_NO_TEMPLATES",
            id="passthrough",
        ),
        pytest.param(
            "integration: {content_handling: CONVERT_TO_JSON}",
            "13: functions.f.triggers[0].integration.content_handling: unknown value 'CONVERT_TO_JSON'; expected one "
            "of CONVERT_TO_BINARY, CONVERT_TO_TEXT",
            id="content-handling",
        ),
        pytest.param(
            "integration: {timeout_ms: 30000}",
            "13: functions.f.triggers[0].integration.timeout_ms: expected an integer from 50 to 29000, got 30000",
            id="timeout",
        ),
        pytest.param(
            "timeout_ms: 100\nintegration: {timeout_ms: 200}",
            "14: functions.f.triggers[0].integration: give timeout_ms once: on the trigger or in its integration "
            "block (it is the integration's)",
            id="timeout-twice",
        ),
        pytest.param(
            "integration:\n  responses:\n    - {status_code: 600}",
            "15: functions.f.triggers[0].integration.responses[0].status_code: invalid status_code '600'; expected "
            "an HTTP status from 100 to 599",
            id="status",
        ),
        pytest.param(
            "integration:\n  responses:\n    - {selection_pattern: x}",
            "15: functions.f.triggers[0].integration.responses[0]: missing required key 'status_code'",
            id="status-missing",
        ),
        pytest.param(
            "integration: {responses: []}",
            "13: functions.f.triggers[0].integration.responses: this integration needs at least one response when "
            "'responses' is given",
            id="no-responses",
        ),
        pytest.param(
            "integration:\n  responses:\n    - {status_code: 200}\n    - {status_code: 500, selection_pattern: ''}",
            "16: functions.f.triggers[0].integration.responses[1]: the default response (no selection_pattern) is "
            "given twice (first at line 15); each integration response has its own selection pattern",
            id="two-defaults",
        ),
        pytest.param(
            "integration:\n  responses:\n    - {status_code: 400, selection_pattern: 'Bad(.*'}",
            "15: functions.f.triggers[0].integration.responses[0].selection_pattern: selection_pattern 'Bad(.*' is "
            "not a valid regular expression: missing ), unterminated subpattern at position 3",
            id="pattern",
        ),
        pytest.param(
            "integration:\n  responses:\n    - status_code: 200\n      response_parameters: {X-Count: "
            "integration.response.body.count}",
            "16: functions.f.triggers[0].integration.responses[0].response_parameters.X-Count: invalid response "
            "parameter 'X-Count'; expected method.response.header.NAME",
            id="response-target",
        ),
        pytest.param(
            "integration:\n  responses:\n    - status_code: 200\n      response_parameters: "
            "{method.response.header.Content-Type: text/html}",
            "16: functions.f.triggers[0].integration.responses[0].response_parameters.method.response.header."
            "Content-Type: invalid mapping expression 'text/html' for 'method.response.header.Content-Type'; "
            "expected integration.response.header.NAME, integration.response.multivalueheader.NAME, "
            "integration.response.body, integration.response.body.JSONPATH, stageVariables.NAME, context.NAME or "
            "a 'quoted literal'\n    hint: a literal value is written in single quotes inside the YAML string: "
            "\"'text/html'\"",
            id="response-source",
        ),
        pytest.param(
            "integration:\n  request_parameters: {integration.request.header.X-Flag: true}",
            "14: functions.f.triggers[0].integration.request_parameters.integration.request.header.X-Flag: a mapping "
            "expression is a string; got true\n    hint: a literal value is written in single quotes inside the "
            "YAML string: \"'true'\"",
            id="boolean-source",
        ),
        pytest.param(
            "integration:\n  request_parameters: {method.request.header.X: method.request.header.X}",
            "14: functions.f.triggers[0].integration.request_parameters.method.request.header.X: invalid integration "
            "request parameter 'method.request.header.X'; expected integration.request.header.NAME, "
            "integration.request.querystring.NAME, integration.request.path.NAME, "
            "integration.request.multivalueheader.NAME or integration.request.multivaluequerystring.NAME",
            id="request-target",
        ),
        pytest.param(
            "integration:\n  request_parameters: {integration.request.querystring.page: "
            "method.request.querystring.page}",
            "14: functions.f.triggers[0].integration.request_parameters.integration.request.querystring.page: "
            "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping "
            "expression parameter specified: method.request.querystring.page] (the method request does not "
            "declare it)\n    hint: declare it in the trigger's request_parameters: "
            "{method.request.querystring.page: false}",
            id="undeclared-source",
        ),
        pytest.param(
            "integration:\n  request_parameters: {integration.request.path.sku: method.request.path.sku}",
            "14: functions.f.triggers[0].integration.request_parameters.integration.request.path.sku: Invalid "
            "mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression "
            "parameter specified: method.request.path.sku] (the resource '/orders/{id}' has no {sku})",
            id="path-source",
        ),
        pytest.param(
            'integration:\n  request_templates: {application/json: {"statusCode": 200}}',
            "14: functions.f.triggers[0].integration.request_templates.application/json: a template is text, or "
            "{file: path}; this is a YAML mapping\n    hint: braces make a YAML mapping: quote a JSON template, "
            "'{\"statusCode\": 200}', or use a block (|)",
            id="template-mapping",
        ),
        pytest.param(
            "integration:\n  request_templates: {json: x}",
            "14: functions.f.triggers[0].integration.request_templates.json: invalid media type 'json'; expected "
            "type/subtype, like image/png, image/* or */* (or $default)",
            id="template-type",
        ),
        pytest.param(
            "integration:\n  responses:\n    - {status_code: 200, response_templates: {$default: x}}",
            "15: functions.f.triggers[0].integration.responses[0].response_templates.$default: invalid media type "
            "'$default'; expected type/subtype, like image/png, image/* or */*",
            id="response-template-default",
        ),
        pytest.param(
            "integration:\n  request_parameters: {integration.request.header.X-Ids: 'method.request.body.items[?(@.id)]'}",
            "14: functions.f.triggers[0].integration.request_parameters.integration.request.header.X-Ids: invalid "
            "mapping expression 'method.request.body.items[?(@.id)]': JSONPath '$.items[?(@.id)]', at character 8: "
            "filter expressions ('[?(...)]') are not supported",
            id="request-body-path",
        ),
        pytest.param(
            "integration:\n  responses:\n    - status_code: 200\n      response_parameters: "
            "{method.response.header.X-Count: integration.response.body.count..}",
            "16: functions.f.triggers[0].integration.responses[0].response_parameters.method.response.header."
            "X-Count: invalid mapping expression 'integration.response.body.count..': JSONPath '$.count..', at "
            "character 10: '..' must be followed by a name, '*' or '['",
            id="response-body-path",
        ),
        pytest.param(
            "request_parameters: {method.request.path.sku: true}",
            "13: functions.f.triggers[0].request_parameters.method.request.path.sku: 'method.request.path.sku' "
            "names no variable of the resource '/orders/{id}'; its variables are: id",
            id="method-path-parameter",
        ),
        pytest.param(
            "request_parameters: {querystring.page: true}",
            "13: functions.f.triggers[0].request_parameters.querystring.page: invalid method request parameter "
            "'querystring.page'; expected method.request.path.NAME, method.request.querystring.NAME or "
            "method.request.header.NAME",
            id="method-parameter-key",
        ),
        pytest.param(
            "request_parameters: {method.request.querystring.page: required}",
            "13: functions.f.triggers[0].request_parameters.method.request.querystring.page: expected true "
            "(required) or false, got 'required'",
            id="method-parameter-value",
        ),
        pytest.param(
            "request_models: {application/json: Ordr}",
            "13: functions.f.triggers[0].request_models.application/json: unknown model 'Ordr' (did you mean "
            "'Order'?); the models of api 'shop' are: Empty, Error, Order (define it under apis.shop.models)",
            id="model",
        ),
        pytest.param(
            "request_validator: body",
            "13: functions.f.triggers[0].request_validator: unknown request validator 'body'; the request "
            "validators of api 'shop' are: all (POST /orders/{id})",
            id="validator",
        ),
    ],
)
def test_a_wrong_value_is_an_error_at_its_line(tmp_path: Path, lines: str, expected: str) -> None:
    text = _FUNCTION + textwrap.indent(lines, "        ") + "\n"
    assert errors(tmp_path, text) == [expected]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        pytest.param(
            "type: lambda\nuri: x",
            "4: integrations.i.type: unknown integration type 'lambda'; expected one of aws, http, http_proxy, mock"
            "\n    hint: a Lambda function is integrated through functions.NAME.triggers (proxy: true for AWS_PROXY)",
            id="type",
        ),
        pytest.param("uri: http://x", "3: integrations.i: missing required key 'type'", id="no-type"),
        pytest.param(
            "type: http",
            "4: integrations.i.type: a http integration needs a uri\n    hint: add uri: http://127.0.0.1:9000/items",
            id="no-uri",
        ),
        pytest.param(
            "type: http\nuri: 127.0.0.1:9000/items",
            "5: integrations.i.uri: invalid uri '127.0.0.1:9000/items' for a http integration; expected an http:// "
            "or https:// URL (${stageVariables.NAME} may stand for any part after the scheme)",
            id="http-uri",
        ),
        pytest.param(
            "type: aws\nuri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:us-east-1:123456789012:function:f/invocations",
            "5: integrations.i.uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:us-east-1:123456789012:function:f/invocations' invokes a Lambda function; integrate a "
            "function through its triggers under functions:, where proxy: false is this AWS integration",
            id="aws-lambda-uri",
        ),
        pytest.param(
            "type: aws\nuri: arn:aws:sqs:us-east-1:123456789012:orders",
            "5: integrations.i.uri: invalid uri 'arn:aws:sqs:us-east-1:123456789012:orders' for an aws integration; "
            "expected arn:aws:apigateway:REGION:SERVICE:action/ACTION or arn:aws:apigateway:REGION:SERVICE:path/PATH",
            id="aws-uri",
        ),
        pytest.param(
            "type: mock\nuri: http://x",
            "5: integrations.i.uri: a mock integration has no uri: it answers by itself",
            id="mock-uri",
        ),
        pytest.param(
            "type: mock\nhttp_method: GET",
            "5: integrations.i.http_method: a mock integration calls no backend, so it has no http_method",
            id="mock-method",
        ),
        pytest.param(
            "type: http\nuri: http://x\nhttp_method: FETCH",
            "6: integrations.i.http_method: unknown http_method 'FETCH'; expected one of ANY, DELETE, GET, HEAD, "
            "OPTIONS, PATCH, POST, PUT",
            id="http-method",
        ),
        pytest.param(
            "type: aws\nuri: arn:aws:apigateway:us-east-1:sqs:path/1/q\ncredentials: apigw-role",
            "6: integrations.i.credentials: invalid credentials 'apigw-role'; expected the ARN of the IAM role API "
            "Gateway assumes, like arn:aws:iam::123456789012:role/apigw-dynamodb",
            id="credentials",
        ),
        pytest.param(
            "type: http_proxy\nuri: http://x\nresponses: [{status_code: 200}]",
            "6: integrations.i.responses: 'responses' does not apply to an http_proxy integration, which passes the "
            "request and the response through as they are; use type: http to map them",
            id="proxy-responses",
        ),
    ],
)
def test_a_wrong_integration_is_an_error_at_its_line(tmp_path: Path, entry: str, expected: str) -> None:
    text = (
        "apis: {shop: {}}\nintegrations:\n  i:\n"
        + textwrap.indent(entry, "    ")
        + "\n    triggers: [{api: shop, resource: /i, method: GET}]\n"
    )
    assert errors(tmp_path, text) == [expected]


def test_an_integration_defined_in_two_files_names_both(tmp_path: Path) -> None:
    entry = (
        "integrations:\n  ping:\n    type: mock\n    triggers: [{api: shop, resource: /p{n}, method: GET}]\n"
    )
    (tmp_path / "a.yaml").write_text("apis: {shop: {}}\n" + entry.replace("{n}", "1"))
    (tmp_path / "b.yaml").write_text(entry.replace("{n}", "2"))
    with pytest.raises(ConfigErrors) as info:
        load_definitions(tmp_path, code_dir=LAMBDAS)
    assert [str(error) for error in info.value.errors] == [
        f"{tmp_path / 'b.yaml'}:2: integrations.ping: integration 'ping' is defined in both "
        f"{tmp_path / 'a.yaml'}:3 and {tmp_path / 'b.yaml'}:2"
    ]


def test_model_and_template_files_are_checked(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"type": "object",\n  "required": [}')
    (tmp_path / "list.json").write_text('["not", "a", "schema"]')
    (tmp_path / "big.vtl").write_bytes(b"x" * (300 * 1024 + 1))
    (tmp_path / "latin1.vtl").write_bytes("caf\xe9".encode("latin-1"))
    os.mkfifo(tmp_path / "fifo.vtl")
    assert errors(
        tmp_path,
        """
        apis:
          shop:
            models:
              Bad: {file: bad.json}
              List: {file: list.json}
              Gone: {file: gone.json}
              Not-Alnum: {type: object}
              Text: a schema
        functions:
          f:
            handler: cases.echo
            triggers:
              - api: shop
                resource: /a
                method: POST
                integration:
                  request_templates:
                    application/json: {file: big.vtl}
                    text/plain: {file: latin1.vtl}
                    text/html: {file: fifo.vtl}
                    text/csv: {file: ""}
        """,
    ) == [
        f"5: apis.shop.models.Bad: {tmp_path / 'bad.json'}:2:16: invalid JSON: Expecting value",
        f"6: apis.shop.models.List: {tmp_path / 'list.json'}: a model's schema must be a mapping (a JSON object)",
        f"7: apis.shop.models.Gone: no such file: {tmp_path / 'gone.json'}",
        "8: apis.shop.models.Not-Alnum: invalid model name 'Not-Alnum'; API Gateway's model names are letters and "
        "digits",
        "9: apis.shop.models.Text: expected a JSON Schema (a mapping) or {file: path}, got 'a schema'",
        f"19: functions.f.triggers[0].integration.request_templates.application/json: {tmp_path / 'big.vtl'}: a "
        "template file may be at most 307,200 bytes; this one is 307,201 bytes",
        f"20: functions.f.triggers[0].integration.request_templates.text/plain: {tmp_path / 'latin1.vtl'}: a "
        "template file must be UTF-8 text (unexpected end of data at byte 3)",
        f"21: functions.f.triggers[0].integration.request_templates.text/html: {tmp_path / 'fifo.vtl'}: a template "
        "file must be a regular file; this is a FIFO (named pipe)",
        "22: functions.f.triggers[0].integration.request_templates.text/csv.file: expected the path of a template "
        "file, got an empty string",
    ]


def test_models_and_validators_of_an_openapi_api_come_from_its_document(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text("openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths: {}\n")
    assert errors(
        tmp_path,
        """
        apis:
          shop:
            openapi: api.yaml
            models: {Order: {type: object}}
            request_validators: {all: {validate_request_body: true}}
        """,
    ) == [
        "5: apis.shop.models: 'models' of an api with 'openapi' comes from its document (components.schemas, or "
        "definitions in Swagger 2.0); set it there",
        "6: apis.shop.request_validators: 'request_validators' of an api with 'openapi' comes from its document "
        "(x-amazon-apigateway-request-validators); set it there",
    ]


def test_a_trigger_on_a_document_operation_takes_its_method_request_from_the_document(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        textwrap.dedent(
            """
            openapi: 3.0.1
            info: {title: t, version: '1'}
            paths:
              /orders:
                post:
                  parameters: [{name: page, in: query, required: true, schema: {type: string}}]
                  responses: {'200': {description: ok}}
            """
        )
    )
    assert errors(
        tmp_path,
        """
        apis:
          shop: {openapi: api.yaml}
        functions:
          f:
            handler: cases.echo
            triggers:
              - api: shop
                resource: /orders
                method: POST
                request_parameters: {method.request.querystring.page: false}
        """,
    ) == [
        "11: functions.f.triggers[0].request_parameters: POST /orders is an operation of the OpenAPI document "
        "of api 'shop', whose parameters, request body and validator it takes; set them there"
    ]


def test_an_integration_is_named_in_messages_and_tables(tmp_path: Path) -> None:
    from emulator.table import backend_label

    text = """
    apis: {shop: {}}
    functions:
      f:
        handler: cases.echo
        triggers: [{api: shop, resource: /items, method: GET}]
    integrations:
      catalogue:
        type: http
        uri: http://127.0.0.1:9000/items
        triggers: [{api: shop, resource: /items, method: GET}, {api: shop, resource: /all, method: GET}]
    """
    assert errors(tmp_path, text) == [
        f"11: integrations.catalogue.triggers[0]: GET /items on api 'shop' is integrated with both function 'f' "
        f"({tmp_path / 'apig.yaml'}:6) and integration 'catalogue' ({tmp_path / 'apig.yaml'}:11); a method "
        "integrates with exactly one function or integration"
    ]
    definitions = loaded(tmp_path, text.replace("/items, method: GET}, {", "/other, method: GET}, {"))
    assert backend_label(method(definitions, "/all", "GET")) == "(catalogue)"


def test_b1_validator_setup_is_what_aws_stores(tmp_path: Path) -> None:
    """Reference B.1's recorded setup written in the YAML: the method stores exactly the recorded
    requestParameters, requestModels and validator, and the api the model and validator."""
    definitions = loaded(
        tmp_path,
        """
        apis:
          shop:
            models:
              testSchema:
                $schema: http://json-schema.org/draft-04/schema#
                title: testSchema
                type: object
                properties: {a: {type: number}, b: {type: number}}
                required: [a, b]
            request_validators:
              test-validator: {validate_request_parameters: true, validate_request_body: true}
        functions:
          nested:
            handler: cases.echo_event
            triggers:
              - api: shop
                resource: /nested/{test}
                method: POST
                proxy: true
                request_parameters:
                  method.request.path.test: true
                  method.request.querystring.qs1: true
                  method.request.header.x-header-param: true
                request_models: {application/json: testSchema}
                request_validator: test-validator
        """,
    )
    api = definitions.apis["shop"]
    assert api.models["testSchema"].schema == {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "testSchema",
        "type": "object",
        "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
        "required": ["a", "b"],
    }
    assert api.request_validators == {"test-validator": RequestValidator("test-validator", True, True)}
    posted = method(definitions, "/nested/{test}", "POST")
    assert posted.request_parameters == {
        "method.request.path.test": True,
        "method.request.querystring.qs1": True,
        "method.request.header.x-header-param": True,
    }
    assert (posted.request_models, posted.request_validator) == (
        {"application/json": "testSchema"},
        "test-validator",
    )


def test_a_trigger_names_models_and_validators_of_an_api_in_another_file(tmp_path: Path) -> None:
    (tmp_path / "a-apis.yaml").write_text(
        "apis:\n  shop:\n    models: {Order: {type: object}}\n"
        "    request_validators: {body: {validate_request_body: true}}\n"
    )
    (tmp_path / "b-functions.yaml").write_text(
        "functions:\n  f:\n    handler: cases.echo\n    triggers:\n"
        "      - {api: shop, resource: /o, method: POST, request_models: {application/json: Order}, "
        "request_validator: body}\n"
    )
    posted = method(load_definitions(tmp_path, code_dir=LAMBDAS), "/o", "POST")
    assert (posted.request_models, posted.request_validator) == ({"application/json": "Order"}, "body")


def test_an_integrations_trigger_integrates_an_openapi_operation_keeping_its_method_request(
    tmp_path: Path,
) -> None:
    (tmp_path / "api.yaml").write_text(
        textwrap.dedent(
            """
            openapi: 3.0.1
            info: {title: t, version: '1'}
            paths:
              /items/{id}:
                get:
                  parameters:
                    - {name: id, in: path, required: true, schema: {type: string}}
                    - {name: page, in: query, required: false, schema: {type: string}}
                  responses: {'200': {description: ok}}
            """
        )
    )
    definitions = loaded(
        tmp_path,
        """
        apis:
          shop: {openapi: api.yaml}
        integrations:
          catalogue:
            type: http
            uri: http://127.0.0.1:9000/items/{id}
            request_parameters:
              integration.request.path.id: method.request.path.id
              integration.request.querystring.page: method.request.querystring.page
            triggers:
              - {api: shop, resource: "/items/{id}", method: GET}
        """,
    )
    got = method(definitions, "/items/{id}", "GET")
    assert got.request_parameters == {
        "method.request.path.id": True,
        "method.request.querystring.page": False,
    }
    assert (got.integration.type, got.integration.name, got.integration.http_method) == (
        HTTP,
        "catalogue",
        "GET",
    )


def test_a_model_refers_to_another_as_aws_stores_it(tmp_path: Path) -> None:
    """Reference B.1: models refer to models by AWS's absolute URL; the YAML may write the OpenAPI forms,
    and a reference that names no model is an error naming the ones there are."""
    definitions = loaded(
        tmp_path,
        """
        apis:
          shop:
            id: abcdef1234
            models:
              Orders: {type: array, items: {$ref: "#/definitions/Order"}}
              Order:
                type: object
                properties:
                  status: {oneOf: [{type: "null"}, {$ref: "#/components/schemas/Status"}]}
                  note: {$ref: "#/properties/status"}
              Status: {$ref: "https://apigateway.amazonaws.com/restapis/xyz0000000/models/Empty"}
        """,
    )
    models = definitions.apis["shop"].models
    url = "https://apigateway.amazonaws.com/restapis/abcdef1234/models/"
    assert models["Orders"].schema == {"type": "array", "items": {"$ref": url + "Order"}}
    assert models["Order"].schema["properties"] == {
        "status": {"oneOf": [{"type": "null"}, {"$ref": url + "Status"}]},
        "note": {"$ref": "#/properties/status"},
    }
    assert models["Status"].schema == {"$ref": url + "Empty"}
    assert errors(
        tmp_path,
        """
        apis:
          shop:
            models:
              Orders: {type: array, items: {$ref: "#/definitions/Ordr"}}
              Order: {type: object}
        """,
    ) == [
        "5: apis.shop.models.Orders: $ref '#/definitions/Ordr' at /items/$ref names no model of this api (did "
        "you mean 'Order'?); its models are: Empty, Error, Order, Orders"
    ]
