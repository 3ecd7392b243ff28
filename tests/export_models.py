"""A REST API that uses every part of the model the YAML cannot express yet, for the export tests.

Importers will produce such APIs (authorizers, models, validators, HTTP integrations, selection
patterns, versioned and stage-variable Lambda URIs); the exporter must write all of it already.
"""

from __future__ import annotations

from pathlib import Path

from emulator.model import (
    ApiKey,
    Authorizer,
    Definitions,
    Function,
    GatewayResponseSpec,
    Integration,
    IntegrationResponse,
    Method,
    MethodResponse,
    Model,
    Quota,
    RequestValidator,
    Resource,
    RestApi,
    Stage,
    Throttle,
    UsagePlan,
)

LAMBDA_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:{}/invocations"
)
PET_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "Pet",
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "tag": {"type": ["string", "null"]},
        "owner": {"$ref": "https://apigateway.amazonaws.com/restapis/petstore01/models/Owner"},
    },
}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
    ],
}


def petstore(code_dir: Path) -> Definitions:
    """The pet store as an importer would build it, with its functions under ``code_dir``."""
    get_pet = Method(
        "GET",
        Integration(
            "AWS",
            uri=LAMBDA_URI.format("getPet:live"),
            function="getPet",
            http_method="POST",
            request_templates={"application/json": '{"id": "$input.params(\'id\')"}'},
            request_parameters={"integration.request.header.X-Trace": "method.request.header.X-Trace"},
            passthrough_behavior="WHEN_NO_TEMPLATES",
            content_handling="CONVERT_TO_TEXT",
            timeout_ms=5000,
            responses=(
                IntegrationResponse("200", response_templates={"application/json": "$input.json('$')"}),
                IntegrationResponse(
                    "404",
                    selection_pattern=".*Not Found.*",
                    response_parameters={"method.response.header.X-Reason": "'missing'"},
                ),
            ),
        ),
        authorization_type="CUSTOM",
        authorizer="tokens",
        api_key_required=True,
        request_parameters={
            "method.request.path.id": True,
            "method.request.querystring.verbose": False,
            "method.request.header.X-Trace": True,
        },
        request_validator="params-only",
        method_responses={
            "200": MethodResponse("200", {}, {"application/json": "Pet"}),
            "404": MethodResponse(
                "404", {"method.response.header.X-Reason": True}, {"application/json": "Error"}
            ),
        },
        operation_name="GetPet",
    )
    create_pet = Method(
        "POST",
        Integration(
            "HTTP",
            uri="https://backend.example.com/pets",
            http_method="POST",
            request_parameters={"integration.request.querystring.source": "'apig'"},
            cache_key_parameters=("method.request.header.X-Tenant",),
            credentials="arn:aws:iam::123456789012:role/apigw",
            responses=(
                IntegrationResponse("201", selection_pattern="2\\d{2}", content_handling="CONVERT_TO_TEXT"),
            ),
        ),
        authorization_type="COGNITO_USER_POOLS",
        authorizer="users",
        authorization_scopes=("pets/write",),
        request_models={"application/json": "Pet"},
        request_validator="all",
        method_responses={"201": MethodResponse("201")},
    )
    delete_pet = Method(
        "DELETE",
        Integration("AWS_PROXY", uri=LAMBDA_URI.format("${stageVariables.deleter}"), http_method="POST"),
        authorization_type="AWS_IAM",
    )
    any_admin = Method(
        "ANY",
        Integration("AWS_PROXY", uri=LAMBDA_URI.format("admin"), function="admin", http_method="POST"),
        authorization_type="CUSTOM",
        authorizer="requests",
    )
    api = RestApi(
        "petstore",
        "petstore01",
        resources={
            "/": Resource("/", "root000001"),
            "/pets": Resource("/pets", "pets01", {"POST": create_pet}),
            "/pets/{id}": Resource("/pets/{id}", "petid1", {"GET": get_pet, "DELETE": delete_pet}),
            "/admin/{proxy+}": Resource("/admin/{proxy+}", "admin1", {"ANY": any_admin}),
        },
        stages={
            "dev": Stage("dev", "dep001", {"deleter": "deletePet"}),
            "prod": Stage("prod", "dep001", {"deleter": "deletePet", "color": "blue"}),
        },
        binary_media_types=("image/png", "application/octet-stream"),
        gateway_responses={
            "DEFAULT_4XX": GatewayResponseSpec(
                "DEFAULT_4XX",
                headers=(("Access-Control-Allow-Origin", "'*'"), ("X-Echo", "method.request.header.X-Echo")),
            ),
            "MISSING_AUTHENTICATION_TOKEN": GatewayResponseSpec(
                "MISSING_AUTHENTICATION_TOKEN", 404, template='{"error": $context.error.messageString}'
            ),
        },
        endpoint_type="REGIONAL",
        api_key_source="AUTHORIZER",
        authorizers={
            "tokens": Authorizer(
                "tokens",
                "TOKEN",
                uri=LAMBDA_URI.format("authorize"),
                function="authorize",
                identity_source="method.request.header.X-Token",
                identity_validation_expression="^Bearer .+",
                result_ttl_seconds=60,
            ),
            "requests": Authorizer(
                "requests",
                "REQUEST",
                uri=LAMBDA_URI.format("authorize"),
                function="authorize",
                identity_source="method.request.header.X-User, method.request.querystring.tenant",
                result_ttl_seconds=0,
                credentials="arn:aws:iam::123456789012:role/authorizer",
            ),
            "users": Authorizer(
                "users",
                "COGNITO_USER_POOLS",
                identity_source="method.request.header.Authorization",
                provider_arns=("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc",),
            ),
        },
        models={
            "Pet": Model("Pet", schema=PET_SCHEMA),
            "Owner": Model("Owner", schema={"type": "object", "properties": {"name": {"type": "string"}}}),
        },
        request_validators={
            "all": RequestValidator("all", validate_request_body=True, validate_request_parameters=True),
            "params-only": RequestValidator("params-only", validate_request_parameters=True),
        },
        description="Pets, as an importer builds them",
        policy=POLICY,
    )
    functions = {
        "getPet": Function("getPet", "pets.get_pet", code_dir, timeout=2.5, memory=256),
        "admin": Function("admin", "admin.handler", code_dir / "admin", concurrency=2),
        "authorize": Function("authorize", "auth.handler", code_dir, environment={"POOL": "x"}),
        "unused": Function("unused", "other.handler", code_dir),
    }
    usage_plans = {
        "gold": UsagePlan(
            "gold",
            "plan01",
            stages=(("petstore", "prod"), ("petstore", "dev"), ("other", "Prod")),
            throttle=Throttle(10.0, 20),
            quota=Quota(1000, "MONTH"),
            keys=("partner", "missing"),
        ),
        "dev-only": UsagePlan("dev-only", "plan02", stages=(("petstore", "dev"),), keys=("tester",)),
    }
    api_keys = {
        "partner": ApiKey("partner", "partner-key-0123456789abcdef", "key001"),
        "tester": ApiKey("tester", "tester-key-0123456789abcdefg", "key002", enabled=False),
    }
    return Definitions(
        apis={"petstore": api}, functions=functions, api_keys=api_keys, usage_plans=usage_plans
    )
