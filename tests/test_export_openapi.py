"""``export.openapi``: the model as an OpenAPI 3.0 document with API Gateway's extensions, validated."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from emulator.config import load_definitions
from emulator.config.lambda_uris import Target
from emulator.export.notes import Notes
from emulator.export.openapi import export_openapi
from emulator.export.schemas import openapi_schema
from emulator.model import Definitions, RestApi
from tests.export_checks import openapi_problems
from tests.export_models import POLICY, petstore

ROOT = Path(__file__).resolve().parent.parent
SMART_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:smart/invocations"
)
ORIGIN = "method.response.header.Access-Control-Allow-Origin"


@pytest.fixture(scope="module")
def example() -> Definitions:
    return load_definitions(ROOT / "config" / "apig.yaml", code_dir=ROOT)


def exported(api: RestApi, target: Target | None = None, notes: Notes | None = None) -> dict[str, Any]:
    return export_openapi(
        api,
        Definitions(),
        stages=list(api.stages.values()),
        target=target or Target(),
        notes=notes or Notes(),
    )


def operation(document: dict[str, Any], path: str, key: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][key]
    return found


def test_the_example_api_is_a_valid_openapi_document(example: Definitions) -> None:
    document = exported(example.apis["shop"])
    assert openapi_problems(document) == []
    assert document["openapi"] == "3.0.1"
    assert document["info"]["title"] == "shop"
    assert document["servers"] == [
        {
            "url": f"https://{example.apis['shop'].id}.execute-api.us-east-1.amazonaws.com/{{basePath}}",
            "variables": {"basePath": {"default": "Prod"}},
        }
    ]
    assert document["x-amazon-apigateway-binary-media-types"] == ["image/png"]


def test_a_non_proxy_lambda_trigger_goes_out_as_the_integration_aws_stores(example: Definitions) -> None:
    smart = operation(exported(example.apis["shop"]), "/smartpath", "post")
    assert smart["x-amazon-apigateway-integration"] == {
        "type": "aws",
        "uri": SMART_URI,
        "httpMethod": "POST",
        "passthroughBehavior": "when_no_match",
        "timeoutInMillis": 29000,
        # The console's default response, with the origin CORS mapped onto it.
        "responses": {"default": {"statusCode": "200", "responseParameters": {ORIGIN: "'*'"}}},
    }
    assert smart["responses"] == {
        "200": {
            "description": "200 response",
            "headers": {"Access-Control-Allow-Origin": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Empty"}}},
        }
    }


def test_the_models_methods_name_are_defined(example: Definitions) -> None:
    document = exported(example.apis["shop"])
    assert document["components"]["schemas"] == {"Empty": {"title": "Empty Schema", "type": "object"}}


def test_proxy_triggers_and_the_greedy_any_method(example: Definitions) -> None:
    document = exported(example.apis["shop"])
    catchall = operation(document, "/{proxy+}", "x-amazon-apigateway-any-method")
    assert catchall["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    assert catchall["x-amazon-apigateway-integration"]["uri"] == SMART_URI.replace("smart", "catchall")
    assert "responses" not in catchall["x-amazon-apigateway-integration"]
    assert catchall["parameters"] == [
        {"name": "proxy+", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    item = operation(document, "/items/{id}", "get")
    assert [parameter["name"] for parameter in item["parameters"]] == ["id"]
    assert item["operationId"] == "getItemsId"


def test_cors_preflights_go_out_as_the_options_mocks_they_compile_to(example: Definitions) -> None:
    document = exported(example.apis["shop"])
    preflight = operation(document, "/smartpath", "options")["x-amazon-apigateway-integration"]
    assert preflight == {
        "type": "mock",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "passthroughBehavior": "when_no_match",
        "timeoutInMillis": 29000,
        "responses": {
            "default": {
                "statusCode": "200",
                "responseParameters": {
                    "method.response.header.Access-Control-Allow-Headers": (
                        "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'"
                    ),
                    "method.response.header.Access-Control-Allow-Methods": "'POST,OPTIONS'",
                    ORIGIN: "'*'",
                },
                "responseTemplates": {"application/json": ""},
            }
        },
    }
    items = operation(document, "/items/{id}", "options")["x-amazon-apigateway-integration"]
    parameters = items["responses"]["default"]["responseParameters"]
    assert parameters["method.response.header.Access-Control-Allow-Methods"] == "'GET,OPTIONS'"


def test_a_mock_with_a_body_file_goes_out_as_its_contents_and_says_what_was_left_out(
    example: Definitions,
) -> None:
    notes = Notes()
    orders = operation(exported(example.apis["shop"], notes=notes), "/orders", "get")
    integration = orders["x-amazon-apigateway-integration"]
    assert integration["type"] == "mock"
    assert integration["requestTemplates"] == {"application/json": '{"statusCode": 200}'}
    response = integration["responses"]["default"]
    assert response["statusCode"] == "200"
    assert response["responseParameters"] == {ORIGIN: "'*'"}
    assert response["responseTemplates"] == {
        "application/json": (ROOT / "config" / "mocks" / "orders.json").read_text()
    }
    assert "latency_ms" not in str(integration)
    variables_note, body_note, latency_note = notes.entries
    assert variables_note == (
        "stage Prod: its variables (table) are not part of an OpenAPI document: "
        "set them on the stage (the SAM export has them)"
    )
    assert body_note.startswith("GET /orders: body_file ") and "orders.json" in body_note
    assert latency_note.startswith("GET /orders: latency_ms 150 of mock 'orders' is left out")


def test_a_body_file_that_velocity_would_change_is_escaped_to_render_as_it_is(
    example: Definitions, tmp_path: Path
) -> None:
    body = tmp_path / "price.json"
    # A reference and a comment to Velocity; "$5" or "#1" alone it leaves as they are (emulator.velocity).
    body.write_text('{"price": "$price", "tag": "## one"}')
    api = example.apis["shop"]
    orders = api.resources["/orders"]
    method = orders.methods["GET"]
    response = replace(method.integration.responses[0], body_file=body)
    changed = replace(method, integration=replace(method.integration, responses=(response,)))
    api = replace(api, resources={**api.resources, "/orders": replace(orders, methods={"GET": changed})})
    integration = operation(exported(api), "/orders", "get")["x-amazon-apigateway-integration"]
    template = integration["responses"]["default"]["responseTemplates"]["application/json"]
    assert template == '#[[{"price": "$price", "tag": "## one"}]]#'


def test_an_unreadable_body_file_is_said_and_its_template_kept(example: Definitions, tmp_path: Path) -> None:
    api = example.apis["shop"]
    orders = api.resources["/orders"]
    method = orders.methods["GET"]
    response = replace(method.integration.responses[0], body_file=tmp_path / "gone.json")
    changed = replace(method, integration=replace(method.integration, responses=(response,)))
    api = replace(api, resources={**api.resources, "/orders": replace(orders, methods={"GET": changed})})
    notes = Notes()
    integration = operation(exported(api, notes=notes), "/orders", "get")["x-amazon-apigateway-integration"]
    assert integration["responses"]["default"]["responseTemplates"] == {"application/json": ""}
    assert any("gone.json cannot be read" in note for note in notes.entries)


def test_lambda_arns_name_the_region_and_account_asked_for(example: Definitions) -> None:
    document = exported(example.apis["shop"], Target("eu-west-2", "210987654321"))
    assert operation(document, "/smartpath", "post")["x-amazon-apigateway-integration"]["uri"] == (
        "arn:aws:apigateway:eu-west-2:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:eu-west-2:210987654321:function:smart/invocations"
    )
    assert document["servers"][0]["url"].endswith(".execute-api.eu-west-2.amazonaws.com/{basePath}")
    china = exported(example.apis["shop"], Target("cn-north-1", "210987654321"))
    uri = operation(china, "/smartpath", "post")["x-amazon-apigateway-integration"]["uri"]
    assert uri.startswith("arn:aws-cn:apigateway:cn-north-1:lambda:")
    assert ":function:smart/" in uri
    assert china["servers"][0]["url"].endswith(".amazonaws.com.cn/{basePath}")


@pytest.fixture(scope="module")
def pets() -> dict[str, Any]:
    definitions = petstore(Path("/src/app"))
    return exported(definitions.apis["petstore"], Target("eu-west-1", "210987654321"))


def test_an_api_using_every_part_of_the_model_is_a_valid_document(pets: dict[str, Any]) -> None:
    assert openapi_problems(pets) == []
    assert pets["info"] == {
        "title": "petstore",
        "description": "Pets, as an importer builds them",
        "version": "dep001",
    }
    # Without --stage, one server per stage.
    assert [server["variables"]["basePath"]["default"] for server in pets["servers"]] == ["dev", "prod"]


def test_api_level_extensions(pets: dict[str, Any]) -> None:
    assert pets["x-amazon-apigateway-binary-media-types"] == ["image/png", "application/octet-stream"]
    assert pets["x-amazon-apigateway-api-key-source"] == "AUTHORIZER"
    assert pets["x-amazon-apigateway-policy"] == POLICY
    assert pets["x-amazon-apigateway-request-validators"] == {
        "all": {"validateRequestBody": True, "validateRequestParameters": True},
        "params-only": {"validateRequestBody": False, "validateRequestParameters": True},
    }
    assert pets["x-amazon-apigateway-gateway-responses"] == {
        "DEFAULT_4XX": {
            "responseParameters": {
                "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
                "gatewayresponse.header.X-Echo": "method.request.header.X-Echo",
            }
        },
        "MISSING_AUTHENTICATION_TOKEN": {
            "statusCode": "404",
            "responseTemplates": {"application/json": '{"error": $context.error.messageString}'},
        },
    }


def test_integration_fields_and_selection_patterns(pets: dict[str, Any]) -> None:
    get_pet = operation(pets, "/pets/{id}", "get")
    assert get_pet["operationId"] == "GetPet"
    assert get_pet["x-amazon-apigateway-integration"] == {
        "type": "aws",
        # The alias stays; the account and region are the ones asked for.
        "uri": "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:eu-west-1:210987654321:function:getPet:live/invocations",
        "httpMethod": "POST",
        "requestParameters": {"integration.request.header.X-Trace": "method.request.header.X-Trace"},
        "requestTemplates": {"application/json": '{"id": "$input.params(\'id\')"}'},
        "passthroughBehavior": "when_no_templates",
        "contentHandling": "CONVERT_TO_TEXT",
        "timeoutInMillis": 5000,
        "responses": {
            "default": {"statusCode": "200", "responseTemplates": {"application/json": "$input.json('$')"}},
            ".*Not Found.*": {
                "statusCode": "404",
                "responseParameters": {"method.response.header.X-Reason": "'missing'"},
            },
        },
    }
    create = operation(pets, "/pets", "post")["x-amazon-apigateway-integration"]
    assert create == {
        "type": "http",
        "uri": "https://backend.example.com/pets",
        "httpMethod": "POST",
        "credentials": "arn:aws:iam::123456789012:role/apigw",
        "requestParameters": {"integration.request.querystring.source": "'apig'"},
        "passthroughBehavior": "when_no_match",
        "timeoutInMillis": 29000,
        "cacheKeyParameters": ["method.request.header.X-Tenant"],
        "responses": {"2\\d{2}": {"statusCode": "201", "contentHandling": "CONVERT_TO_TEXT"}},
    }


def test_a_function_chosen_by_a_stage_variable_stays_a_stage_variable(pets: dict[str, Any]) -> None:
    uri = operation(pets, "/pets/{id}", "delete")["x-amazon-apigateway-integration"]["uri"]
    assert uri == (
        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:eu-west-1:210987654321:function:${stageVariables.deleter}/invocations"
    )


def test_request_parameters_bodies_validators_and_responses(pets: dict[str, Any]) -> None:
    get_pet = operation(pets, "/pets/{id}", "get")
    assert get_pet["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "verbose", "in": "query", "required": False, "schema": {"type": "string"}},
        {"name": "X-Trace", "in": "header", "required": True, "schema": {"type": "string"}},
    ]
    assert get_pet["x-amazon-apigateway-request-validator"] == "params-only"
    assert get_pet["responses"]["404"] == {
        "description": "404 response",
        "headers": {"X-Reason": {"schema": {"type": "string"}, "required": True}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    create = operation(pets, "/pets", "post")
    assert create["requestBody"] == {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}},
        "required": True,
    }
    assert create["x-amazon-apigateway-request-validator"] == "all"


def test_models_become_schemas_and_the_default_models_are_added(pets: dict[str, Any]) -> None:
    schemas = pets["components"]["schemas"]
    assert schemas["Pet"] == {
        "title": "Pet",
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "tag": {"nullable": True, "type": "string"},
            "owner": {"$ref": "#/components/schemas/Owner"},
        },
    }
    assert schemas["Error"]["title"] == "Error Schema"
    assert set(schemas) == {"Pet", "Owner", "Error"}


def test_authorizers_api_keys_and_iam_become_security(pets: dict[str, Any]) -> None:
    schemes = pets["components"]["securitySchemes"]
    assert schemes["tokens"] == {
        "type": "apiKey",
        "name": "X-Token",
        "in": "header",
        "x-amazon-apigateway-authtype": "custom",
        "x-amazon-apigateway-authorizer": {
            "type": "token",
            "authorizerUri": "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:eu-west-1:210987654321:function:authorize/invocations",
            "authorizerResultTtlInSeconds": 60,
            "identitySource": "method.request.header.X-Token",
            "identityValidationExpression": "^Bearer .+",
        },
    }
    assert schemes["requests"]["x-amazon-apigateway-authorizer"]["type"] == "request"
    assert schemes["requests"]["x-amazon-apigateway-authorizer"]["authorizerCredentials"] == (
        "arn:aws:iam::123456789012:role/authorizer"
    )
    assert schemes["users"] == {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "x-amazon-apigateway-authtype": "cognito_user_pools",
        "x-amazon-apigateway-authorizer": {
            "type": "cognito_user_pools",
            "identitySource": "method.request.header.Authorization",
            "providerARNs": ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"],
        },
    }
    assert schemes["api_key"] == {"type": "apiKey", "name": "x-api-key", "in": "header"}
    assert schemes["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    assert operation(pets, "/pets/{id}", "get")["security"] == [{"tokens": [], "api_key": []}]
    assert operation(pets, "/pets", "post")["security"] == [{"users": ["pets/write"]}]
    assert operation(pets, "/pets/{id}", "delete")["security"] == [{"sigv4": []}]
    assert operation(pets, "/admin/{proxy+}", "x-amazon-apigateway-any-method")["security"] == [
        {"requests": []}
    ]


def test_the_endpoint_type_is_said_to_belong_to_the_import_request() -> None:
    notes = Notes()
    exported(petstore(Path("/src")).apis["petstore"], notes=notes)
    assert notes.entries[-1:] == [
        "api 'petstore': the endpoint type REGIONAL is not part of an OpenAPI document; import it with "
        "`aws apigateway import-rest-api --parameters endpointConfigurationTypes=REGIONAL` (apig-emu: "
        "`endpoint_type: REGIONAL` beside `openapi:`)"
    ]


def test_a_scheme_name_an_authorizer_has_is_not_reused() -> None:
    api = petstore(Path("/src")).apis["petstore"]
    api = replace(api, authorizers={"api_key": replace(api.authorizers["tokens"], name="api_key")})
    method = api.resources["/pets/{id}"].methods["GET"]
    resource = replace(api.resources["/pets/{id}"], methods={"GET": replace(method, authorizer="api_key")})
    document = exported(replace(api, resources={**api.resources, "/pets/{id}": resource}))
    assert operation(document, "/pets/{id}", "get")["security"] == [{"api_key": [], "api_key2": []}]
    assert document["components"]["securitySchemes"]["api_key2"] == {
        "type": "apiKey",
        "name": "x-api-key",
        "in": "header",
    }


def test_operation_ids_stay_unique() -> None:
    api = petstore(Path("/src")).apis["petstore"]
    taken = replace(api.resources["/pets"].methods["POST"], operation_name="GetPet")
    resources = {**api.resources, "/pets": replace(api.resources["/pets"], methods={"POST": taken})}
    notes = Notes()
    document = exported(replace(api, resources=resources), notes=notes)
    ids = [
        operation(document, "/pets", "post")["operationId"],
        operation(document, "/pets/{id}", "get")["operationId"],
    ]
    assert sorted(ids) == ["GetPet", "GetPet2"]
    assert any("operation name 'GetPet' is taken by another method" in note for note in notes.entries)


def test_a_schema_outside_openapis_subset_is_converted_or_reported() -> None:
    problems: list[str] = []
    schema = openapi_schema(
        {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": ["integer", "string", "null"],
            "patternProperties": {"^x": {"type": "string"}},
            "items": [{"type": "string"}],
            "properties": {
                "a": {"$ref": "http://example.com/elsewhere.json"},
                "b": {"$ref": "#/definitions/B"},
            },
        },
        problems,
    )
    assert schema == {
        "properties": {"a": {}, "b": {"$ref": "#/components/schemas/B"}},
        "nullable": True,
        "anyOf": [{"type": "integer"}, {"type": "string"}],
    }
    assert problems == [
        "/patternProperties: 'patternProperties' is not a keyword of OpenAPI 3.0's schema objects; left out",
        "/items: a list of item schemas (tuple validation) is not OpenAPI 3.0; left out",
        "/properties/a/$ref: 'http://example.com/elsewhere.json' names no model of this API; left out",
    ]


def test_a_list_of_types_beside_an_anyof_keeps_both() -> None:
    schema = openapi_schema({"anyOf": [{"minimum": 1}], "type": ["integer", "string"]}, [])
    assert schema == {
        "allOf": [{"anyOf": [{"minimum": 1}]}, {"anyOf": [{"type": "integer"}, {"type": "string"}]}]
    }


def test_a_model_problem_is_noted_with_the_models_name() -> None:
    api = petstore(Path("/src")).apis["petstore"]
    pet = replace(api.models["Pet"], schema={"type": "object", "dependencies": {"a": ["b"]}})
    notes = Notes()
    exported(replace(api, models={**api.models, "Pet": pet}), notes=notes)
    assert (
        "model 'Pet': /dependencies: 'dependencies' is not a keyword of OpenAPI 3.0's schema objects; left out"
        in (notes.entries)
    )


def test_usage_plans_are_said_to_be_outside_the_document() -> None:
    definitions = petstore(Path("/src"))
    notes = Notes()
    api = definitions.apis["petstore"]
    export_openapi(api, definitions, stages=[api.stages["prod"]], target=Target(), notes=notes)
    assert [note for note in notes.entries if note.startswith("usage plan")] == [
        "usage plan 'gold': usage plans and their API keys are not part of an OpenAPI document "
        "(the SAM export has them)",
        "usage plan 'dev-only': usage plans and their API keys are not part of an OpenAPI document "
        "(the SAM export has them)",
    ]
