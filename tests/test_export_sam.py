"""``export.sam``: a SAM template that deploys an API with its functions, checked with cfn-lint."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from emulator.config import load_definitions
from emulator.config.lambda_uris import Target
from emulator.export.notes import Notes
from emulator.export.sam import DEFAULT_RUNTIME, sam_template
from emulator.model import Definitions, Integration, Method, Resource
from tests.export_checks import cfn_lint_problems, openapi_problems
from tests.export_models import LAMBDA_URI, petstore

ROOT = Path(__file__).resolve().parent.parent
INVOCATION = "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/%s/invocations"


@pytest.fixture(scope="module")
def example() -> Definitions:
    return load_definitions(ROOT / "config" / "apig.yaml", code_dir=ROOT)


@pytest.fixture(scope="module")
def shop(example: Definitions) -> dict[str, Any]:
    api = example.apis["shop"]
    return sam_template(
        api, example, stage=api.stages["Prod"], target=Target(), notes=Notes(), template_dir=ROOT / "deploy"
    )


def integration(template: dict[str, Any], path: str, key: str) -> dict[str, Any]:
    body = template["Resources"]["ShopApi"]["Properties"]["DefinitionBody"]
    found: dict[str, Any] = body["paths"][path][key]["x-amazon-apigateway-integration"]
    return found


def test_the_example_api_is_a_template_cfn_lint_accepts(shop: dict[str, Any]) -> None:
    assert cfn_lint_problems(shop) == []
    assert shop["Transform"] == "AWS::Serverless-2016-10-31"


def test_cfn_lint_catches_a_template_that_would_not_deploy(shop: dict[str, Any]) -> None:
    # The check above can fail: without the function its integration names, the template is refused.
    broken = copy.deepcopy(shop)
    del broken["Resources"]["SmartFunction"], broken["Resources"]["SmartPermission"]
    assert any("SmartFunction" in problem for problem in cfn_lint_problems(broken))


def test_integrations_reference_their_functions_with_fn_sub(shop: dict[str, Any]) -> None:
    assert integration(shop, "/smartpath", "post")["uri"] == {"Fn::Sub": INVOCATION % "${SmartFunction.Arn}"}
    assert integration(shop, "/items/{id}", "get")["uri"] == {"Fn::Sub": INVOCATION % "${ItemsFunction.Arn}"}
    catchall = integration(shop, "/{proxy+}", "x-amazon-apigateway-any-method")
    assert catchall["uri"] == {"Fn::Sub": INVOCATION % "${CatchallFunction.Arn}"}
    # The mocks and preflights name no function.
    assert "uri" not in integration(shop, "/orders", "get")
    assert "uri" not in integration(shop, "/smartpath", "options")


def test_the_api_deploys_the_stage_with_its_variables_and_settings(shop: dict[str, Any]) -> None:
    api = shop["Resources"]["ShopApi"]
    assert api["Type"] == "AWS::Serverless::Api"
    properties = api["Properties"]
    assert properties["Name"] == "shop"
    assert properties["StageName"] == "Prod"
    assert properties["Variables"] == {"table": "items-prod"}
    assert properties["EndpointConfiguration"] == {"Type": "EDGE"}
    # SAM's escaping of "/" in binary media types.
    assert properties["BinaryMediaTypes"] == ["image~1png"]
    assert properties["OpenApiVersion"] == "3.0.1"
    body = properties["DefinitionBody"]
    assert "servers" not in body
    assert body["x-amazon-apigateway-binary-media-types"] == ["image/png"]


def test_the_definition_body_less_its_fn_subs_is_a_valid_openapi_document(shop: dict[str, Any]) -> None:
    body = copy.deepcopy(shop["Resources"]["ShopApi"]["Properties"]["DefinitionBody"])
    for item in body["paths"].values():
        for operation in item.values():
            if isinstance(operation["x-amazon-apigateway-integration"].get("uri"), dict):
                operation["x-amazon-apigateway-integration"]["uri"] = "arn:resolved-by-cloudformation"
    assert openapi_problems(body) == []


def test_each_function_points_at_its_handlers_code(shop: dict[str, Any]) -> None:
    resources = shop["Resources"]
    assert [
        name for name, resource in resources.items() if resource["Type"] == "AWS::Serverless::Function"
    ] == [
        "BrokenFunction",
        "ItemsFunction",
        "SmartFunction",
        "CatchallFunction",
    ]
    assert resources["SmartFunction"]["Properties"] == {
        "Handler": "handlers_example.smart.handler",
        # The code root, relative to the template's folder (ROOT / "deploy").
        "CodeUri": "..",
        "Runtime": DEFAULT_RUNTIME,
        "Timeout": 3,
        "MemorySize": 128,
        "Environment": {"Variables": {"LOG_LEVEL": "debug"}},
    }
    assert "Environment" not in resources["CatchallFunction"]["Properties"]


def test_api_gateway_may_invoke_each_function_from_this_api_only(shop: dict[str, Any]) -> None:
    permission = shop["Resources"]["SmartPermission"]
    assert permission == {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Ref": "SmartFunction"},
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": {
                "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ShopApi}/*"
            },
        },
    }
    permissions = [
        name for name, resource in shop["Resources"].items() if resource["Type"] == "AWS::Lambda::Permission"
    ]
    assert len(permissions) == 4


def test_the_output_is_the_stages_url(shop: dict[str, Any]) -> None:
    assert shop["Outputs"]["ShopApiUrl"]["Value"] == {
        "Fn::Sub": "https://${ShopApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/Prod/"
    }


@pytest.fixture(scope="module")
def pets(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Notes]:
    code = tmp_path_factory.mktemp("app")
    definitions = petstore(code)
    api = definitions.apis["petstore"]
    notes = Notes()
    template = sam_template(
        api,
        definitions,
        stage=api.stages["prod"],
        target=Target(),
        notes=notes,
        template_dir=code / "infra",
        runtime="python3.12",
    )
    return template, notes


def test_an_api_using_every_part_of_the_model_is_a_template_cfn_lint_accepts(
    pets: tuple[dict[str, Any], Notes],
) -> None:
    assert cfn_lint_problems(pets[0]) == []


def test_authorizer_functions_are_deployed_and_granted_too(pets: tuple[dict[str, Any], Notes]) -> None:
    template, _ = pets
    resources = template["Resources"]
    functions = [
        name for name, resource in resources.items() if resource["Type"] == "AWS::Serverless::Function"
    ]
    # The functions the API invokes, and no other ("unused" is not).
    assert functions == ["GetPetFunction", "AdminFunction", "AuthorizeFunction"]
    assert resources["AuthorizePermission"]["Properties"]["FunctionName"] == {"Ref": "AuthorizeFunction"}
    body = resources["PetstoreApi"]["Properties"]["DefinitionBody"]
    authorizer = body["components"]["securitySchemes"]["tokens"]["x-amazon-apigateway-authorizer"]
    assert authorizer["authorizerUri"] == {"Fn::Sub": INVOCATION % "${AuthorizeFunction.Arn}"}


def test_function_settings_lambda_takes(pets: tuple[dict[str, Any], Notes]) -> None:
    template, notes = pets
    resources = template["Resources"]
    get_pet = resources["GetPetFunction"]["Properties"]
    assert get_pet["Timeout"] == 3  # 2.5 s, in Lambda's whole seconds
    assert get_pet["MemorySize"] == 256
    assert get_pet["Runtime"] == "python3.12"
    assert get_pet["CodeUri"] == ".."
    assert resources["AdminFunction"]["Properties"]["CodeUri"] == "../admin"
    assert resources["AdminFunction"]["Properties"]["ReservedConcurrentExecutions"] == 2
    assert "ReservedConcurrentExecutions" not in get_pet
    assert "function 'getPet': timeout 2.5 s is written as 3 s: Lambda counts whole seconds" in notes.entries


def test_the_stage_chosen_and_the_endpoint_type(pets: tuple[dict[str, Any], Notes]) -> None:
    properties = pets[0]["Resources"]["PetstoreApi"]["Properties"]
    assert properties["StageName"] == "prod"
    assert properties["Variables"] == {"deleter": "deletePet", "color": "blue"}
    assert properties["EndpointConfiguration"] == {"Type": "REGIONAL"}
    assert properties["BinaryMediaTypes"] == ["image~1png", "application~1octet-stream"]
    assert properties["Description"] == "Pets, as an importer builds them"


def test_versions_aliases_and_stage_variables_in_fn_sub(pets: tuple[dict[str, Any], Notes]) -> None:
    template, notes = pets
    paths = template["Resources"]["PetstoreApi"]["Properties"]["DefinitionBody"]["paths"]
    get_pet = paths["/pets/{id}"]["get"]["x-amazon-apigateway-integration"]["uri"]
    assert get_pet == {"Fn::Sub": INVOCATION % "${GetPetFunction.Arn}:live"}
    delete = paths["/pets/{id}"]["delete"]["x-amazon-apigateway-integration"]["uri"]
    # "${!" is Fn::Sub's escape: API Gateway, not CloudFormation, fills the stage variable in.
    assert delete == {
        "Fn::Sub": INVOCATION
        % "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${!stageVariables.deleter}"
    }
    assert any(note.startswith("GET /pets/{id}: invokes 'getPet:live'") for note in notes.entries)
    assert any(
        note.startswith("DELETE /pets/{id}: invokes ${stageVariables.deleter}, chosen by a stage variable")
        for note in notes.entries
    )


def test_a_function_the_definitions_lack_is_named_by_arn(example: Definitions) -> None:
    api = example.apis["shop"]
    lacking = Definitions(
        apis=example.apis, functions={k: v for k, v in example.functions.items() if k != "smart"}
    )
    notes = Notes()
    template = sam_template(
        api, lacking, stage=api.stages["Prod"], target=Target(), notes=notes, template_dir=ROOT
    )
    assert "SmartFunction" not in template["Resources"]
    uri = template["Resources"]["ShopApi"]["Properties"]["DefinitionBody"]["paths"]["/smartpath"]["post"]
    assert uri["x-amazon-apigateway-integration"]["uri"] == {
        "Fn::Sub": INVOCATION % "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:smart"
    }
    assert (
        "POST /smartpath: invokes 'smart', which is not defined here: the template names it by ARN"
        in notes.entries
    )


def test_logical_ids_of_names_that_differ_only_in_punctuation_stay_apart(example: Definitions) -> None:
    api = example.apis["shop"]
    functions = {
        **example.functions,
        "get-pet": example.functions["smart"],
        "get_pet": example.functions["smart"],
    }
    resources = dict(api.resources)
    for name in ("get-pet", "get_pet"):
        integration = Integration("AWS_PROXY", uri=LAMBDA_URI.format(name), http_method="POST")
        resources[f"/{name}"] = Resource(f"/{name}", name, {"GET": Method("GET", integration)})
    api = replace(api, resources=resources)
    definitions = Definitions(apis={"shop": api}, functions=functions)
    template = sam_template(api, definitions, stage=None, target=Target(), notes=Notes(), template_dir=ROOT)
    assert {"GetPetFunction", "GetPetFunction2", "GetPetPermission", "GetPetPermission2"} <= set(
        template["Resources"]
    )
    # No stage: SAM's and CloudFormation's usual name.
    assert template["Resources"]["ShopApi"]["Properties"]["StageName"] == "Prod"
    assert "Variables" not in template["Resources"]["ShopApi"]["Properties"]


def test_the_usage_plans_of_the_deployed_stage_come_with_their_keys(
    pets: tuple[dict[str, Any], Notes],
) -> None:
    template, notes = pets
    resources = template["Resources"]
    assert resources["GoldUsagePlan"] == {
        "Type": "AWS::ApiGateway::UsagePlan",
        "Properties": {
            "UsagePlanName": "gold",
            "ApiStages": [{"ApiId": {"Ref": "PetstoreApi"}, "Stage": {"Ref": "PetstoreApi.Stage"}}],
            "Throttle": {"RateLimit": 10.0, "BurstLimit": 20},
            "Quota": {"Limit": 1000, "Period": "MONTH", "Offset": 0},
        },
    }
    # The key, without the local value, and its place in the plan.
    assert resources["PartnerApiKey"] == {
        "Type": "AWS::ApiGateway::ApiKey",
        "Properties": {"Name": "partner", "Enabled": True},
    }
    assert resources["GoldPartnerUsagePlanKey"]["Properties"] == {
        "KeyId": {"Ref": "PartnerApiKey"},
        "KeyType": "API_KEY",
        "UsagePlanId": {"Ref": "GoldUsagePlan"},
    }
    # A plan of another stage only stays out, with its key.
    assert "DevOnlyUsagePlan" not in resources and "TesterApiKey" not in resources
    assert "partner-key" not in str(template)
    assert (
        "usage plan 'gold': covers stage prod of api 'petstore' only here; its other stages "
        "(petstore dev, other Prod) are not in this template"
    ) in notes.entries
    assert "usage plan 'gold': names API key 'missing', which is not defined; left out" in notes.entries
    assert (
        "api key 'partner': its value is not exported: AWS generates one (give the ApiKey a Value to choose it)"
        in notes.entries
    )
