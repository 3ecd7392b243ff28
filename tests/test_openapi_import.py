"""The OpenAPI importer, document by document: what it reads into the model, and every error and warning.

Each test writes a small document beside a YAML file that binds it (``apis.<name>.openapi``) and loads
them as ``validate`` and ``serve`` do; messages are asserted whole, with file, line and key path.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.config import load
from emulator.config.builder import MockAnswer
from emulator.config.errors import ConfigError, in_order
from emulator.config.loader import Loaded
from emulator.model import ANY, AWS, AWS_PROXY, HTTP, MOCK, Method
from tests.conftest import LAMBDAS

LAMBDA = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:210987654321:function:{}/invocations"

BINDING = """
apis:
  shop:
    openapi: api.yaml
    stages:
      Prod: {variables: {fn: echo}}
functions:
  echo: {handler: cases.echo_event}
"""


def load_document(
    tmp_path: Path, document: str, binding: str = BINDING, *, name: str = "api.yaml", **kwargs: object
) -> Loaded:
    (tmp_path / name).write_text(textwrap.dedent(document))
    config = tmp_path / "apig.yaml"
    config.write_text(textwrap.dedent(binding))
    return load(config, code_dir=LAMBDAS, **kwargs)  # type: ignore[arg-type]


def messages(tmp_path: Path, found: list[ConfigError]) -> list[str]:
    """Each error or warning as printed, in the printed order (file, line), the temporary folder left out."""
    return [str(item).replace(f"{tmp_path}/", "") for item in in_order(found)]


def lambda_operation(function: str = "echo", *, kind: str = "aws_proxy") -> str:
    """An operation's integration on one line, to place at any indentation."""
    return f'x-amazon-apigateway-integration: {{type: {kind}, httpMethod: POST, uri: "{LAMBDA.format(function)}"}}'


def method(loaded: Loaded, path: str, verb: str, api: str = "shop") -> Method:
    return loaded.definitions.apis[api].resources[path].methods[verb]


# What is read


def test_an_operation_becomes_a_method_with_what_api_gateway_reads_of_it(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        """
        openapi: 3.0.1
        info: {title: shop, version: "1", description: The shop}
        paths:
          /items/{id}:
            parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
            get:
              operationId: getItem
              parameters:
              - {name: verbose, in: query, schema: {type: boolean}}
              - {name: X-Tenant, in: header, required: true, schema: {type: string}}
              responses:
                "200":
                  description: ok
                  headers:
                    X-Total: {schema: {type: integer}}
                    X-Page: {schema: {type: integer}, required: true}
                  content:
                    application/json: {schema: {$ref: "#/components/schemas/Item"}}
              x-amazon-apigateway-integration:
                type: AWS_PROXY
                httpMethod: GET
                uri: "ECHO_URI"
                timeoutInMillis: 6000
        components:
          schemas:
            Item: {type: object, properties: {id: {type: string}, tags: {type: array, items: {$ref: "#/components/schemas/Tag"}}}}
            Tag: {type: string}
        """.replace("ECHO_URI", LAMBDA.format("echo")),
    )
    assert loaded.errors == []
    got = method(loaded, "/items/{id}", "GET")
    assert got.operation_name == "getItem"
    assert got.location.key_path == "paths./items/{id}.get" and got.location.line == 8
    assert got.request_parameters == {
        "method.request.path.id": True,
        "method.request.querystring.verbose": False,
        "method.request.header.X-Tenant": True,
    }
    assert got.method_responses["200"].response_parameters == {
        "method.response.header.X-Total": False,
        "method.response.header.X-Page": True,
    }
    assert got.method_responses["200"].response_models == {"application/json": "Item"}
    integration = got.integration
    assert (integration.type, integration.function, integration.http_method) == (AWS_PROXY, "echo", "POST")
    assert integration.timeout_ms == 6000
    api = loaded.definitions.apis["shop"]
    assert api.description == "The shop"
    # References between models are stored as AWS stores them: absolute model URLs.
    assert api.models["Item"].schema["properties"]["tags"]["items"] == {
        "$ref": f"https://apigateway.amazonaws.com/restapis/{api.id}/models/Tag"
    }


def test_a_non_proxy_integration_keeps_templates_parameters_and_responses_by_selection_pattern(
    tmp_path: Path,
) -> None:
    loaded = load_document(
        tmp_path,
        """
        swagger: "2.0"
        info: {title: shop, version: "1"}
        paths:
          /orders/{id}:
            post:
              parameters:
              - {name: id, in: path, required: true, type: string}
              responses:
                "200": {description: ok, headers: {X-Id: {type: string}}}
                "404": {description: missing}
              x-amazon-apigateway-integration:
                type: aws
                uri: "ECHO_URI"
                credentials: arn:aws:iam::210987654321:role/invoke
                passthroughBehavior: when_no_templates
                contentHandling: convert_to_text
                cacheKeyParameters: [method.request.path.id]
                requestParameters:
                  integration.request.header.X-Amz-Invocation-Type: "'Event'"
                  integration.request.path.id: method.request.path.id
                requestTemplates:
                  application/json: '{"id": "$input.params(''id'')"}'
                responses:
                  default:
                    statusCode: 200
                    responseParameters: {method.response.header.X-Id: "'1'"}
                  ".*not found.*":
                    statusCode: "404"
                    responseTemplates: {application/json: '{"message": "gone"}'}
                    contentHandling: CONVERT_TO_BINARY
        """.replace("ECHO_URI", LAMBDA.format("echo")),
    )
    assert loaded.errors == []
    integration = method(loaded, "/orders/{id}", "POST").integration
    assert (integration.type, integration.http_method) == (AWS, "POST")  # Lambda is invoked with POST
    assert integration.credentials == "arn:aws:iam::210987654321:role/invoke"
    assert integration.passthrough_behavior == "WHEN_NO_TEMPLATES"
    assert integration.content_handling == "CONVERT_TO_TEXT"
    assert integration.cache_key_parameters == ("method.request.path.id",)
    assert integration.request_parameters == {
        "integration.request.header.X-Amz-Invocation-Type": "'Event'",
        "integration.request.path.id": "method.request.path.id",
    }
    assert integration.request_templates == {"application/json": '{"id": "$input.params(\'id\')"}'}
    default, not_found = integration.responses
    assert (default.status, default.selection_pattern) == ("200", None)
    assert default.response_parameters == {"method.response.header.X-Id": "'1'"}
    assert (not_found.status, not_found.selection_pattern, not_found.content_handling) == (
        "404",
        ".*not found.*",
        "CONVERT_TO_BINARY",
    )
    assert not_found.response_templates == {"application/json": '{"message": "gone"}'}


def test_api_wide_extensions_are_the_apis_settings(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        """
        openapi: 3.0.1
        info: {title: shop, version: "1"}
        paths: {}
        x-amazon-apigateway-binary-media-types: [image/png, "*/*"]
        x-amazon-apigateway-api-key-source: AUTHORIZER
        x-amazon-apigateway-endpoint-configuration: {types: [REGIONAL]}
        x-amazon-apigateway-importexport-version: "1.0"
        x-amazon-apigateway-request-validators:
          all: {validateRequestBody: true, validateRequestParameters: true}
          params: {validateRequestParameters: true}
        x-amazon-apigateway-gateway-responses:
          DEFAULT_4XX:
            statusCode: "418"
            responseParameters:
              gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
              gatewayresponse.header.X-Echo: method.request.header.X-Echo
            responseTemplates:
              application/json: '{"error": $context.error.messageString}'
        x-amazon-apigateway-policy: '{"Version": "2012-10-17", "Statement": []}'
        """,
    )
    assert loaded.errors == [] and loaded.warnings == []
    api = loaded.definitions.apis["shop"]
    assert api.binary_media_types == ("image/png", "*/*")
    assert api.api_key_source == "AUTHORIZER"
    assert api.endpoint_type == "REGIONAL"
    assert api.policy == {"Version": "2012-10-17", "Statement": []}
    assert (
        api.request_validators["all"].validate_request_body,
        api.request_validators["params"].validate_request_body,
    ) == (True, False)
    spec = api.gateway_responses["DEFAULT_4XX"]
    assert spec.status == 418
    assert spec.headers == (
        ("Access-Control-Allow-Origin", "'*'"),
        ("X-Echo", "method.request.header.X-Echo"),
    )
    assert spec.template == '{"error": $context.error.messageString}'
    # An api that names no stage is served on the default one, as a trigger's would be.
    assert list(api.stages) == ["Prod"]


def test_security_schemes_become_authorizers_api_keys_and_iam(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        security: [{{api_key: []}}]
        paths:
          /a:
            get:
              security: [{{Pool: [email, openid]}}]
              responses: {{"200": {{description: ok}}}}
              {lambda_operation()}
          /b:
            get:
              responses: {{"200": {{description: ok}}}}
              {lambda_operation()}
          /c:
            get:
              security: [{{Token: []}}, {{sigv4: []}}]
              responses: {{"200": {{description: ok}}}}
              {lambda_operation()}
          /d:
            get:
              security: []
              x-amazon-apigateway-auth: {{type: aws_iam}}
              responses: {{"200": {{description: ok}}}}
              {lambda_operation()}
        components:
          securitySchemes:
            api_key: {{type: apiKey, name: x-api-key, in: header}}
            sigv4: {{type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}}
            Pool:
              type: apiKey
              name: Authorization
              in: header
              x-amazon-apigateway-authtype: cognito_user_pools
              x-amazon-apigateway-authorizer:
                type: cognito_user_pools
                providerARNs: [arn:aws:cognito-idp:eu-west-1:210987654321:userpool/eu-west-1_abc]
            Token:
              type: apiKey
              name: X-Token
              in: header
              x-amazon-apigateway-authtype: custom
              x-amazon-apigateway-authorizer:
                type: token
                authorizerUri: "{LAMBDA.format("echo")}"
                authorizerResultTtlInSeconds: 60
                identityValidationExpression: "^Bearer .+$"
        """,
    )
    assert messages(tmp_path, loaded.errors) == []
    a, b, c, d = (method(loaded, path, "GET") for path in ("/a", "/b", "/c", "/d"))
    assert (a.authorization_type, a.authorizer, a.authorization_scopes, a.api_key_required) == (
        "COGNITO_USER_POOLS",
        "Pool",
        ("email", "openid"),
        False,
    )
    assert (b.authorization_type, b.api_key_required) == ("NONE", True)  # the document's security
    # One authorizer per method: the first requirement's.
    assert (c.authorization_type, c.authorizer) == ("CUSTOM", "Token")
    assert (d.authorization_type, d.api_key_required) == ("AWS_IAM", False)
    authorizers = loaded.definitions.apis["shop"].authorizers
    token = authorizers["Token"]
    assert (token.type, token.function, token.identity_source, token.result_ttl_seconds) == (
        "TOKEN",
        "echo",
        "method.request.header.X-Token",
        60,
    )
    assert token.identity_validation_expression == "^Bearer .+$"
    assert authorizers["Pool"].provider_arns == (
        "arn:aws:cognito-idp:eu-west-1:210987654321:userpool/eu-west-1_abc",
    )


def test_any_method_mock_and_http_integrations(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        """
        openapi: 3.0.1
        info: {title: shop, version: "1"}
        paths:
          /{proxy+}:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: http_proxy
                uri: "https://backend.example.com/{proxy}"
                requestParameters: {integration.request.path.proxy: method.request.path.proxy}
          /ping:
            get:
              responses: {"200": {description: ok}}
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates: {application/json: '{statusCode: 200}'}
                responses: {default: {statusCode: "200"}}
        """,
    )
    assert loaded.errors == []
    proxy = method(loaded, "/{proxy+}", ANY).integration
    assert (proxy.type, proxy.http_method, proxy.uri) == (
        "HTTP_PROXY",
        ANY,
        "https://backend.example.com/{proxy}",
    )
    assert method(loaded, "/ping", "GET").integration.type == MOCK


def test_a_greedy_path_parameter_is_declared_as_proxy_or_as_the_path_spells_it(tmp_path: Path) -> None:
    """AWS's export names ``{proxy+}``'s parameter ``proxy``, ours (for OpenAPI's validators) ``proxy+``."""
    loaded = load_document(
        tmp_path,
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        paths:
          /aws/{{proxy+}}:
            get:
              parameters: [{{name: proxy, in: path, required: true, schema: {{type: string}}}}]
              {lambda_operation()}
          /ours/{{proxy+}}:
            get:
              parameters: [{{name: proxy+, in: path, required: true, schema: {{type: string}}}}]
              responses: {{"200": {{description: ok}}}}
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: "{LAMBDA.format("echo")}"
                requestParameters: {{integration.request.header.X-Rest: method.request.path.proxy}}
                responses: {{default: {{statusCode: "200"}}}}
          /items/{{id}}:
            get:
              parameters: [{{name: id+, in: path, required: true, schema: {{type: string}}}}]
              {lambda_operation()}
        """,
    )
    assert method(loaded, "/aws/{proxy+}", "GET").request_parameters == {"method.request.path.proxy": True}
    assert method(loaded, "/ours/{proxy+}", "GET").request_parameters == {"method.request.path.proxy": True}
    # Only a greedy variable may be declared with its '+'.
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml:21: paths./items/{id}.get.parameters[0]: Unable to put method 'GET' on resource at path "
        "'/items/{id}': Invalid mapping expression specified: Validation Result: warnings : [], errors : "
        "[Invalid mapping expression parameter specified: method.request.path.id+] (the path has no {id+})"
    ]


def test_inline_schemas_become_models_of_their_own(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        """
        swagger: "2.0"
        info: {title: shop, version: "1"}
        consumes: [application/json, application/xml]
        paths:
          /pets/{id}:
            post:
              parameters:
              - {name: id, in: path, required: true, type: string}
              - {name: body, in: body, schema: {type: object, properties: {name: {type: string}}}}
              produces: [application/json]
              responses:
                "200": {description: ok, schema: {type: array, items: {$ref: "#/definitions/Pet"}}}
                "204": {description: empty, schema: {}}
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates: {application/json: '{"statusCode": 200}'}
        definitions:
          Pet: {type: object}
        """,
    )
    assert loaded.errors == []
    got = method(loaded, "/pets/{id}", "POST")
    assert got.request_models == {
        "application/json": "PostPetsIdRequest",
        "application/xml": "PostPetsIdRequest",
    }
    assert got.method_responses["200"].response_models == {"application/json": "PostPetsIdResponse200"}
    assert got.method_responses["204"].response_models == {"application/json": "Empty"}
    models = loaded.definitions.apis["shop"].models
    assert models["PostPetsIdRequest"].schema == {
        "type": "object",
        "properties": {"name": {"type": "string"}},
    }
    assert models["PostPetsIdResponse200"].schema["items"]["$ref"].endswith("/models/Pet")


def test_json_documents_are_read_with_their_lines_tabs_and_all(tmp_path: Path) -> None:
    document = {
        "openapi": "3.0.1",
        "info": {"title": "shop", "version": "1"},
        "paths": {"/a": {"get": {"x-amazon-apigateway-integration": {"type": "magic"}}}},
    }
    text = json.dumps(document, indent="\t")
    loaded = load_document(tmp_path, text, BINDING.replace("api.yaml", "api.json"), name="api.json")
    assert messages(tmp_path, loaded.errors) == [
        "api.json:11: paths./a.get.x-amazon-apigateway-integration.type: Unable to put integration on 'GET' for "
        "resource at path '/a': Invalid integration type 'magic'; expected one of aws, aws_proxy, http, "
        "http_proxy, mock (in any case)"
    ]


def test_base_paths_are_ignored_as_aws_imports_them_by_default(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        """
        openapi: 3.0.1
        info: {title: shop, version: "1"}
        servers: [{url: "https://x.execute-api.eu-west-1.amazonaws.com/{basePath}", variables: {basePath: {default: /v2}}}]
        paths:
          /ping:
            get:
              x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}}
        """,
    )
    assert list(loaded.definitions.apis["shop"].resources) == ["/", "/ping"]


# Functions named by ARN


def test_lambda_arns_with_an_alias_or_a_version_name_the_local_function(tmp_path: Path) -> None:
    alias = LAMBDA.replace("{}", "{}:live")
    version = LAMBDA.replace("{}", "{}:7")
    loaded = load_document(
        tmp_path,
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        paths:
          /a: {{get: {{x-amazon-apigateway-integration: {{type: aws_proxy, uri: "{alias.format("echo")}"}}}}}}
          /b: {{get: {{x-amazon-apigateway-integration: {{type: aws_proxy, uri: "{version.format("echo")}"}}}}}}
        """,
    )
    assert loaded.errors == []
    assert method(loaded, "/a", "GET").integration.function == "echo"
    assert method(loaded, "/b", "GET").integration.function == "echo"


def test_an_arn_naming_no_local_function_is_an_error_naming_the_arn_the_operation_and_the_line(
    tmp_path: Path,
) -> None:
    loaded = load_document(
        tmp_path,
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        paths:
          /pets/{{petId}}:
            get:
              {lambda_operation("ecoh")}
        """,
    )
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml:7: paths./pets/{petId}.get.x-amazon-apigateway-integration.uri: GET /pets/{petId} names the "
        "Lambda function 'ecoh' (arn:aws:lambda:eu-west-1:210987654321:function:ecoh), which is not defined "
        "under functions: (did you mean 'echo'?); add it there with its handler"
    ]


def test_an_authorizer_naming_no_local_function_is_an_error(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        paths: {{}}
        components:
          securitySchemes:
            Token:
              type: apiKey
              name: Authorization
              in: header
              x-amazon-apigateway-authtype: custom
              x-amazon-apigateway-authorizer: {{type: token, authorizerUri: "{LAMBDA.format("auth")}"}}
        """,
    )
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml:12: components.securitySchemes.Token.x-amazon-apigateway-authorizer.authorizerUri: authorizer "
        "'Token' names the Lambda function 'auth' (arn:aws:lambda:eu-west-1:210987654321:function:auth), which "
        "is not defined under functions:; add it there with its handler"
    ]


def test_fn_sub_names_functions_by_their_logical_ids(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        """
        openapi: 3.0.1
        info: {title: shop, version: "1"}
        paths:
          /a:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${echo.Arn}/invocations"}
          /b:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri:
                  Fn::Sub:
                  - arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${Name}/invocations
                  - {Name: {Ref: echo}}
          /c:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn}/invocations"
          /d:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: !Sub
                - "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn}/invocations"
                - {Fn: !GetAtt echo.Arn}
          /e:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${!stageVariables.fn}/invocations"}
        """.replace('${Fn}/invocations"\n', '${echo.Arn}/invocations"\n', 1),
    )
    assert messages(tmp_path, loaded.errors) == []
    for path in ("/a", "/b", "/c", "/d"):
        integration = method(loaded, path, "GET").integration
        assert integration.function == "echo", path
        assert integration.uri == (
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:us-east-1:123456789012:function:echo/invocations"
        )
    staged = method(loaded, "/e", "GET").integration
    assert (
        staged.function is None and staged.uri is not None and "function:${stageVariables.fn}/" in staged.uri
    )


def test_fn_sub_mistakes_are_errors_and_a_stage_variable_written_for_cloudformation_a_warning(
    tmp_path: Path,
) -> None:
    loaded = load_document(
        tmp_path,
        """
        openapi: 3.0.1
        info: {title: shop, version: "1"}
        paths:
          /a:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${echo.Role}/invocations"}
          /b:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: {"Fn::Join": ["", [a, b]]}
          /c:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: {"Fn::Sub": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}/invocations"}
        """,
    )
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml:9: paths./a.get.x-amazon-apigateway-integration.uri.Fn::Sub: Fn::Sub: cannot substitute "
        "${echo.Role} (only .Arn of a function is known locally)",
        "api.yaml:14: paths./b.get.x-amazon-apigateway-integration.uri: CloudFormation's Fn::Join is not "
        "evaluated yet; write the value as a string or with Fn::Sub",
    ]
    assert messages(tmp_path, loaded.warnings) == [
        "api.yaml:19: paths./c.get.x-amazon-apigateway-integration.uri.Fn::Sub: Fn::Sub: write "
        "${!stageVariables.fn} for API Gateway's stage variable; CloudFormation reads ${stageVariables.fn} as "
        "an attribute of a resource named stageVariables and fails"
    ]


def test_serve_mock_replaces_a_documents_function(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        paths:
          /a:
            get:
              operationId: getA
              {lambda_operation()}
        """,
        mocks={"echo": MockAnswer("echo", 202, body='{"mocked": true}')},
    )
    assert loaded.errors == []
    got = method(loaded, "/a", "GET")
    assert (got.integration.type, got.integration.mock_name, got.operation_name) == (MOCK, "echo", "getA")
    assert "echo" not in loaded.definitions.functions


# Stage variables


def test_a_function_named_by_a_stage_variable_is_checked_against_every_stage(tmp_path: Path) -> None:
    staged = LAMBDA.format("${stageVariables.fn}")
    loaded = load_document(
        tmp_path,
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        paths:
          /a:
            get:
              x-amazon-apigateway-integration: {{type: aws_proxy, uri: "{staged}"}}
        """,
        BINDING.replace(
            "Prod: {variables: {fn: echo}}",
            "Prod: {variables: {fn: echo}}\n      dev: {}\n      beta: {variables: {fn: echo2}}",
        ),
    )
    assert loaded.errors == []
    assert method(loaded, "/a", "GET").integration.function is None
    assert messages(tmp_path, loaded.warnings) == [
        f"api.yaml:6: paths./a.get: GET /a on api 'shop': stage 'dev' has no stage variable 'fn', which the uri "
        f"{staged} reads; its requests to stage 'dev' answer 500",
        "api.yaml:6: paths./a.get: GET /a on api 'shop': with the variables of stage 'beta' the uri names the "
        "function 'echo2', which is not defined under functions:; its requests to stage 'beta' answer 500",
    ]


# Triggers on a document's api


def test_a_trigger_adds_a_method_and_a_clash_with_the_documents_is_an_error_naming_both(
    tmp_path: Path,
) -> None:
    loaded = load_document(
        tmp_path,
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        paths:
          /pets/{{petId}}:
            get:
              {lambda_operation()}
        """,
        BINDING
        + """
  other:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: "/pets/{petId}", method: POST, proxy: true}
      - {api: shop, resource: "/pets/{petId}", method: GET, proxy: true}
      - {api: shop, resource: "/pets/{id}/toys", method: GET}
""",
    )
    assert method(loaded, "/pets/{petId}", "POST").integration.function == "other"
    assert messages(tmp_path, loaded.errors) == [
        "apig.yaml:14: functions.other.triggers[1]: GET /pets/{petId} on api 'shop' is integrated with both "
        "function 'echo' (api.yaml:6) and function 'other' (apig.yaml:14); a method integrates with exactly one "
        "function",
        "apig.yaml:15: functions.other.triggers[2].resource: resource '/pets/{id}/toys' on api 'shop' clashes "
        "with '/pets/{petId}' (api.yaml:5): '/pets' would have two different variable children, '{petId}' and "
        "'{id}'; a resource may have only one",
    ]


def test_a_trigger_integrates_an_operation_the_document_leaves_without_one(tmp_path: Path) -> None:
    document = """
        openapi: 3.0.1
        info: {title: shop, version: "1"}
        paths:
          /pets:
            post:
              operationId: createPet
              security: [{api_key: []}]
              parameters: [{name: dryRun, in: query, required: true, schema: {type: string}}]
              responses: {"201": {description: created}}
          /toys:
            get:
              responses: {"200": {description: ok}}
        components:
          securitySchemes:
            api_key: {type: apiKey, name: x-api-key, in: header}
        """
    loaded = load_document(
        tmp_path,
        document,
        BINDING.replace(
            "echo: {handler: cases.echo_event}",
            "echo: {handler: cases.echo_event, triggers: [{api: shop, resource: /pets, method: POST}]}",
        ),
    )
    got = method(loaded, "/pets", "POST")
    # The document's method, with the trigger's integration (and its response) added.
    assert (got.integration.type, got.integration.function) == (AWS, "echo")
    assert (got.operation_name, got.api_key_required) == ("createPet", True)
    assert got.request_parameters == {"method.request.querystring.dryRun": True}
    assert set(got.method_responses) == {"200", "201"}
    assert [str(error).replace(f"{tmp_path}/", "") for error in loaded.errors] == [
        "api.yaml:12: paths./toys.get: GET /toys has no x-amazon-apigateway-integration and no trigger integrates "
        "it; API Gateway would refuse to deploy it (No integration defined for method)\n"
        "    hint: add an x-amazon-apigateway-integration, or a trigger (of a function or of a mock) with "
        "api: shop, resource: /toys, method: GET"
    ]


def test_the_bindings_endpoint_type_is_the_import_requests(tmp_path: Path) -> None:
    """AWS's import takes the endpoint type from its request (``endpointConfigurationTypes``), which the
    binding stands for; it wins over a document's ``types``, which AWS's own documents never carry."""
    document = """
        openapi: 3.0.1
        info: {title: shop, version: "1"}
        paths: {}
        DOCUMENT_TYPES
        """
    binding = BINDING.replace("openapi: api.yaml", "openapi: api.yaml\n    endpoint_type: REGIONAL")
    loaded = load_document(tmp_path, document.replace("DOCUMENT_TYPES", ""), binding)
    assert loaded.errors == [] and loaded.definitions.apis["shop"].endpoint_type == "REGIONAL"
    private = "x-amazon-apigateway-endpoint-configuration: {types: [PRIVATE]}"
    loaded = load_document(tmp_path, document.replace("DOCUMENT_TYPES", private), binding)
    assert loaded.errors == [] and loaded.definitions.apis["shop"].endpoint_type == "REGIONAL"
    # Without the binding's, the document's.
    loaded = load_document(tmp_path, document.replace("DOCUMENT_TYPES", private))
    assert loaded.errors == [] and loaded.definitions.apis["shop"].endpoint_type == "PRIVATE"
    loaded = load_document(
        tmp_path,
        document.replace("DOCUMENT_TYPES", ""),
        BINDING.replace("openapi: api.yaml", "openapi: api.yaml\n    endpoint_type: SIDEWAYS"),
    )
    assert messages(tmp_path, loaded.errors) == [
        "apig.yaml:5: apis.shop.endpoint_type: unknown value 'SIDEWAYS'; expected one of EDGE, PRIVATE, REGIONAL"
    ]


def test_the_yaml_cannot_set_what_the_document_holds(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        """
        openapi: 3.0.1
        info: {title: shop, version: "1"}
        paths: {}
        """,
        BINDING.replace("openapi: api.yaml", "openapi: api.yaml\n    binary_media_types: [image/png]"),
    )
    assert messages(tmp_path, loaded.errors) == [
        "apig.yaml:5: apis.shop.binary_media_types: 'binary_media_types' of an api with 'openapi' comes from "
        "its document (x-amazon-apigateway-binary-media-types); set it there"
    ]


# Documents that cannot be read


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openapi: 3.0.1\npaths: {/a: {get: {}\n", "api.yaml:3:1: invalid YAML: "),
        ("", "api.yaml: the document is empty"),
        (
            "info: {title: x}\npaths: {}\n",
            "api.yaml:1: not an OpenAPI document: it has neither 'openapi: 3.0.1' "
            "(OpenAPI 3) nor 'swagger: \"2.0\"' at its top",
        ),
        ("openapi: 2.5\n", "api.yaml:1: openapi: unsupported OpenAPI version '2.5'; expected 3.0.x or 3.1.x"),
        ("swagger: '1.2'\n", "api.yaml:1: swagger: unsupported Swagger version '1.2'; expected \"2.0\""),
    ],
)
def test_a_document_that_is_not_openapi_is_an_error(tmp_path: Path, text: str, expected: str) -> None:
    loaded = load_document(tmp_path, text)
    assert [message[: len(expected)] for message in messages(tmp_path, loaded.errors)] == [expected]


def test_a_missing_document_is_an_error_at_its_binding(tmp_path: Path) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(BINDING)
    loaded = load(config, code_dir=LAMBDAS)
    assert messages(tmp_path, loaded.errors) == [
        "apig.yaml:4: apis.shop.openapi: cannot read the OpenAPI document api.yaml: No such file or directory"
    ]


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        '{\n  "openapi": "3.0.1",\n  "paths": {,}\n}\n',
        BINDING.replace("api.yaml", "api.json"),
        name="api.json",
    )
    assert messages(tmp_path, loaded.errors) == [
        "api.json:3:13: invalid JSON: Expecting property name enclosed in double quotes"
    ]


def test_a_document_over_api_gateways_import_limit_is_refused(tmp_path: Path) -> None:
    loaded = load_document(tmp_path, "openapi: 3.0.1\n" + "#" * (6 * 1024 * 1024))
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml: the document is 6,291,471 bytes; API Gateway imports definitions of up to 6 MB"
    ]


def test_references_that_lead_nowhere_are_errors(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        """
        openapi: 3.0.1
        info: {title: shop, version: "1"}
        paths:
          /a:
            get:
              x-amazon-apigateway-integration: {$ref: "#/components/x-amazon-apigateway-integrations/nope"}
          /b:
            get:
              x-amazon-apigateway-integration: {$ref: "other.yaml#/integrations/b"}
          /c:
            get:
              x-amazon-apigateway-integration: {$ref: "#/components/x-amazon-apigateway-integrations/loop"}
          /d:
            get:
              x-amazon-apigateway-integration: {$ref: "#/components/x-amazon-apigateway-integrations/mock"}
              requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/Missing"}}}}
        components:
          x-amazon-apigateway-integrations:
            loop: {$ref: "#/components/x-amazon-apigateway-integrations/loop"}
            mock: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}}
        """,
    )
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml:7: paths./a.get.x-amazon-apigateway-integration.$ref: $ref "
        "'#/components/x-amazon-apigateway-integrations/nope' points to nothing: there is no 'nope' under "
        "'components.x-amazon-apigateway-integrations'",
        "api.yaml:10: paths./b.get.x-amazon-apigateway-integration.$ref: $ref 'other.yaml#/integrations/b' points "
        "outside the document; API Gateway's import resolves references within it only ('#/components/...' or "
        "'#/definitions/...')",
        "api.yaml:17: paths./d.get.requestBody.content.application/json.schema: $ref "
        "'#/components/schemas/Missing' names no schema under components.schemas",
        "api.yaml:20: components.x-amazon-apigateway-integrations.loop.$ref: circular $ref: "
        "#/components/x-amazon-apigateway-integrations/loop -> #/components/x-amazon-apigateway-integrations/loop",
    ]
    # The integration reached through a reference is read as if it were written in place.
    assert method(loaded, "/d", "GET").integration.type == MOCK


# Documents AWS's import would reject


def test_an_integration_without_a_uri_or_of_an_unknown_type_is_refused(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        """
        openapi: 3.0.1
        info: {title: shop, version: "1"}
        paths:
          /a:
            get:
              x-amazon-apigateway-integration: {type: http, httpMethod: GET}
          /b:
            get:
              x-amazon-apigateway-integration: {type: lambda, uri: "x"}
          /c:
            get:
              x-amazon-apigateway-integration: {uri: "https://example.com"}
          /d:
            get:
              x-amazon-apigateway-integration: {type: aws_proxy, uri: "arn:aws:apigateway:us-east-1:dynamodb:action/PutItem"}
          /e:
            get:
              x-amazon-apigateway-integration: {type: http, uri: "ftp://example.com"}
          /f:
            get:
              x-amazon-apigateway-integration: {type: aws, uri: "example.com"}
          /g:
            get:
              x-amazon-apigateway-integration: {type: aws, uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1234:function:f/invocations"}
        """,
    )
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml:7: paths./a.get.x-amazon-apigateway-integration: Unable to put integration on 'GET' for "
        "resource at path '/a': Invalid integration URI specified (a HTTP integration needs a uri)",
        "api.yaml:10: paths./b.get.x-amazon-apigateway-integration.type: Unable to put integration on 'GET' for "
        "resource at path '/b': Invalid integration type 'lambda'; expected one of aws, aws_proxy, http, "
        "http_proxy, mock (in any case)",
        "api.yaml:13: paths./c.get.x-amazon-apigateway-integration: Unable to put integration on 'GET' for "
        "resource at path '/c': the integration has no 'type' (aws, aws_proxy, http, http_proxy or mock)",
        "api.yaml:16: paths./d.get.x-amazon-apigateway-integration.uri: Unable to put integration on 'GET' for "
        "resource at path '/d': Integrations of type 'AWS_PROXY' currently only supports Lambda function and "
        "Firehose stream invocations; 'arn:aws:apigateway:us-east-1:dynamodb:action/PutItem' is not a Lambda "
        "invocation URI (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations)",
        "api.yaml:19: paths./e.get.x-amazon-apigateway-integration.uri: Unable to put integration on 'GET' for "
        "resource at path '/e': Invalid HTTP endpoint specified for URI: 'ftp://example.com'",
        "api.yaml:22: paths./f.get.x-amazon-apigateway-integration.uri: Unable to put integration on 'GET' for "
        "resource at path '/f': Invalid integration URI specified: 'example.com' is not an ARN",
        "api.yaml:25: paths./g.get.x-amazon-apigateway-integration.uri: Unable to put integration on 'GET' for "
        "resource at path '/g': Invalid integration URI specified: 'arn:aws:lambda:us-east-1:1234:function:f' "
        "is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME, optionally followed by "
        ":ALIAS or :VERSION)",
    ]


def test_mappings_and_responses_must_name_the_methods_own(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        paths:
          /pets:
            get:
              parameters: [{{name: petId, in: path, required: true, schema: {{type: string}}}}]
              responses: {{"200": {{description: ok}}}}
              x-amazon-apigateway-integration:
                type: aws
                uri: "{LAMBDA.format("echo")}"
                requestParameters:
                  integration.request.path.id: method.request.path.id
                  request.header.X: "'x'"
                  integration.request.header.Y: true
                responses:
                  default:
                    statusCode: "200"
                    responseParameters: {{method.response.header.X-Undeclared: "'1'"}}
                  "Not found":
                    statusCode: "404"
                  "(":
                    statusCode: "200"
                  "other":
                    responseTemplates: {{}}
                  "weird":
                    statusCode: "2000"
        """,
    )
    refused = "Unable to put integration on 'GET' for resource at path '/pets'"
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml:7: paths./pets.get.parameters[0]: Unable to put method 'GET' on resource at path '/pets': "
        "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping "
        "expression parameter specified: method.request.path.petId] (the path has no {petId})",
        f"api.yaml:13: paths./pets.get.x-amazon-apigateway-integration.requestParameters.integration.request.path.id: "
        f"{refused}: Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid "
        "mapping expression parameter specified: method.request.path.id] (the path has no {id})",
        f"api.yaml:14: paths./pets.get.x-amazon-apigateway-integration.requestParameters.request.header.X: "
        f"{refused}: Invalid mapping expression specified: 'request.header.X'; a request parameter maps onto "
        "integration.request.header.NAME, integration.request.querystring.NAME or integration.request.path.NAME",
        "api.yaml:19: paths./pets.get.x-amazon-apigateway-integration.responses.default.responseParameters."
        "method.response.header.X-Undeclared: Unable to put integration response on 'GET' for resource at path "
        "'/pets': Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid "
        "mapping expression parameter specified: method.response.header.X-Undeclared] (the 200 response "
        "declares no header 'X-Undeclared')",
        f"api.yaml:21: paths./pets.get.x-amazon-apigateway-integration.responses.Not found.statusCode: {refused}: "
        "Invalid Response status code specified: the integration response 'Not found' answers 404, which is not "
        "among the operation's responses (200)",
        "api.yaml:24: paths./pets.get.x-amazon-apigateway-integration.responses.other: the integration response "
        "for 'other' has no statusCode",
        "api.yaml:27: paths./pets.get.x-amazon-apigateway-integration.responses.weird.statusCode: invalid "
        "statusCode '2000'; expected an HTTP status from 100 to 599",
    ]
    assert messages(tmp_path, loaded.warnings) == [
        "api.yaml:15: paths./pets.get.x-amazon-apigateway-integration.requestParameters.integration.request."
        "header.Y: x-amazon-apigateway-integration.requestParameters: 'integration.request.header.Y' must map "
        "from a string, not a boolean; ignored",
        "api.yaml:22: paths./pets.get.x-amazon-apigateway-integration.responses.(: selection pattern '(' is not "
        "a regular expression Python reads (missing ), unterminated subpattern at position 0); a request "
        "reaching it answers 500",
    ]


def test_unknown_validators_and_security_schemes_are_refused(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        x-amazon-apigateway-request-validator: everything
        x-amazon-apigateway-request-validators:
          all: {{validateRequestBody: true, validateRequestParameters: true}}
        paths:
          /pets:
            get:
              x-amazon-apigateway-request-validator: alll
              security: [{{Cognito: []}}]
              {lambda_operation()}
        """,
    )
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml:4: x-amazon-apigateway-request-validator: Invalid Request Validator identifier specified: the "
        "API names the request validator 'everything', which is not among x-amazon-apigateway-request-validators: "
        "all",
        "api.yaml:10: paths./pets.get.x-amazon-apigateway-request-validator: Invalid Request Validator identifier "
        "specified: GET /pets names the request validator 'alll' (did you mean 'all'?), which is not among "
        "x-amazon-apigateway-request-validators: all",
        "api.yaml:11: paths./pets.get.security[0].Cognito: Unable to put method 'GET' on resource at path '/pets': "
        "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires "
        "a valid authorizer. (security names 'Cognito', which is not among components.securitySchemes: none are "
        "defined)",
    ]


def test_validate_fails_on_a_document_aws_would_refuse_naming_each_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    load_document(
        tmp_path,
        """
        openapi: 3.0.1
        info: {title: shop, version: "1"}
        paths:
          /pets:
            get:
              x-amazon-apigateway-request-validator: all
              x-amazon-apigateway-integration: {type: http, httpMethod: GET}
        """,
    )
    code = main(["validate", "--config", str(tmp_path / "apig.yaml"), "--code-dir", str(LAMBDAS)])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.replace(f"{tmp_path}/", "").splitlines() == [
        "2 errors in the API definitions:",
        "api.yaml:7: paths./pets.get.x-amazon-apigateway-request-validator: Invalid Request Validator identifier "
        "specified: GET /pets names the request validator 'all', which is not among "
        "x-amazon-apigateway-request-validators: none are defined",
        "api.yaml:8: paths./pets.get.x-amazon-apigateway-integration: Unable to put integration on 'GET' for "
        "resource at path '/pets': Invalid integration URI specified (a HTTP integration needs a uri)",
    ]


def test_authorizers_api_gateway_would_refuse(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        """
        openapi: 3.0.1
        info: {title: shop, version: "1"}
        paths: {}
        components:
          securitySchemes:
            NoAuthorizer: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: cognito_user_pools}
            Kind:
              type: apiKey
              x-amazon-apigateway-authorizer: {type: jwt}
            Pool:
              type: apiKey
              x-amazon-apigateway-authorizer: {type: cognito_user_pools}
            Token:
              type: apiKey
              x-amazon-apigateway-authorizer: {type: token}
            BadUri:
              type: apiKey
              x-amazon-apigateway-authorizer: {type: request, authorizerUri: "https://example.com/auth"}
        """,
    )
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml:7: components.securitySchemes.NoAuthorizer: security scheme 'NoAuthorizer' has "
        "x-amazon-apigateway-authtype: cognito_user_pools but no x-amazon-apigateway-authorizer",
        "api.yaml:10: components.securitySchemes.Kind.x-amazon-apigateway-authorizer.type: unknown authorizer "
        "type 'jwt'; expected one of cognito_user_pools, request, token",
        "api.yaml:13: components.securitySchemes.Pool.x-amazon-apigateway-authorizer: the Cognito authorizer "
        "'Pool' needs providerARNs (its user pools' ARNs)",
        "api.yaml:16: components.securitySchemes.Token.x-amazon-apigateway-authorizer: the TOKEN authorizer "
        "'Token' needs authorizerUri (its function's invocation URI)",
        "api.yaml:19: components.securitySchemes.BadUri.x-amazon-apigateway-authorizer.authorizerUri: Invalid "
        "Authorizer URI specified: 'https://example.com/auth' is not a Lambda invocation URI",
    ]


def test_other_values_aws_would_refuse(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        x-amazon-apigateway-binary-media-types: [image]
        x-amazon-apigateway-api-key-source: QUERY
        x-amazon-apigateway-endpoint-configuration: {{types: [GLOBAL]}}
        x-amazon-apigateway-gateway-responses:
          NOT_A_TYPE: {{statusCode: 400}}
          DEFAULT_5XX:
            statusCode: "999"
            responseParameters: {{gatewayresponse.header.X: method.request.body}}
        x-amazon-apigateway-policy: "{{not json"
        paths:
          pets:
            get: {{}}
          /pets:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: "{LAMBDA.format("echo")}"
                passthroughBehavior: sometimes
                contentHandling: CONVERT_TO_JSON
                timeoutInMillis: 40000
        components:
          schemas:
            Pet-Input: {{type: object}}
        """,
    )
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml:4: x-amazon-apigateway-binary-media-types[0]: invalid media type 'image'; expected type/subtype, "
        "like image/png, image/* or */*",
        "api.yaml:5: x-amazon-apigateway-api-key-source: unknown value 'QUERY'; expected one of AUTHORIZER, HEADER",
        "api.yaml:6: x-amazon-apigateway-endpoint-configuration.types[0]: unknown endpoint type 'GLOBAL'; expected "
        "one of EDGE, PRIVATE, REGIONAL",
        "api.yaml:8: x-amazon-apigateway-gateway-responses.NOT_A_TYPE: unknown gateway response type 'NOT_A_TYPE' "
        "(did you mean 'UNSUPPORTED_MEDIA_TYPE'?); "
        "expected one of ACCESS_DENIED, API_CONFIGURATION_ERROR, AUTHORIZER_CONFIGURATION_ERROR, "
        "AUTHORIZER_FAILURE, BAD_REQUEST_BODY, BAD_REQUEST_PARAMETERS, DEFAULT_4XX, DEFAULT_5XX, EXPIRED_TOKEN, "
        "INTEGRATION_FAILURE, INTEGRATION_TIMEOUT, INVALID_API_KEY, INVALID_SIGNATURE, "
        "MISSING_AUTHENTICATION_TOKEN, QUOTA_EXCEEDED, REQUEST_TOO_LARGE, RESOURCE_NOT_FOUND, THROTTLED, "
        "UNAUTHORIZED, UNSUPPORTED_MEDIA_TYPE, WAF_FILTERED",
        "api.yaml:10: x-amazon-apigateway-gateway-responses.DEFAULT_5XX.statusCode: invalid statusCode '999'; "
        "expected an HTTP status from 100 to 599",
        "api.yaml:11: x-amazon-apigateway-gateway-responses.DEFAULT_5XX.responseParameters.gatewayresponse.header.X: "
        "Invalid mapping expression specified: 'method.request.body' cannot be mapped into a gateway response",
        "api.yaml:12: x-amazon-apigateway-policy: x-amazon-apigateway-policy is not a JSON policy document: "
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        "api.yaml:14: paths.pets: invalid resource path 'pets'; it must start with '/'",
        "api.yaml:21: paths./pets.get.x-amazon-apigateway-integration.passthroughBehavior: unknown value "
        "'sometimes'; expected one of NEVER, WHEN_NO_MATCH, WHEN_NO_TEMPLATES (in any case)",
        "api.yaml:22: paths./pets.get.x-amazon-apigateway-integration.contentHandling: unknown value "
        "'CONVERT_TO_JSON'; expected one of CONVERT_TO_BINARY, CONVERT_TO_TEXT (in any case)",
        "api.yaml:23: paths./pets.get.x-amazon-apigateway-integration.timeoutInMillis: expected an integer from "
        "50 to 29000, got 40000",
        "api.yaml:26: components.schemas.Pet-Input: model name 'Pet-Input' is not alphanumeric; API Gateway's "
        "model names are [A-Za-z0-9]+",
    ]


# Warnings: what is read but not supported, never silently dropped


def test_what_is_not_supported_is_a_warning_naming_the_extension_and_the_line(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        x-amazon-apigateway-minimum-compression-size: 1024
        x-amazon-apigateway-documentation: {{version: "1"}}
        x-amazon-apigateway-cors: {{allowOrigins: ["*"]}}
        x-amazon-apigateway-binary-media-type: [image/png]
        x-amazon-apigateway-endpoint-configuration:
          types: [PRIVATE, REGIONAL]
          vpcEndpointIds: [vpce-1]
          disableExecuteApiEndpoint: true
        x-amazon-apigateway-gateway-responses:
          DEFAULT_4XX:
            responseParameters: {{gatewayresponse.querystring.q: "'1'"}}
            responseTemplates: {{text/html: "<p>no</p>"}}
        paths:
          /pets:
            x-amazon-apigateway-any-methods: {{}}
            trace: {{}}
            get:
              x-amazon-apigateway-throttle: {{rate: 1}}
              parameters:
              - {{name: session, in: cookie, schema: {{type: string}}}}
              - {{in: query}}
              responses:
                default: {{description: anything}}
              security: [{{oauth: []}}, {{key: []}}]
              x-amazon-apigateway-integration:
                type: aws
                uri: "{LAMBDA.format("echo")}"
                httpMethod: GET
                connectionType: VPC_LINK
                connectionId: abc123
                tlsConfig: {{insecureSkipVerification: true}}
                integrationSubtype: SQS-SendMessage
        components:
          securitySchemes:
            oauth: {{type: oauth2, flows: {{}}}}
            key: {{type: apiKey, name: key, in: query}}
        """,
    )
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml:24: paths./pets.get.parameters[1]: a parameter needs 'name' and 'in'"
    ]
    assert messages(tmp_path, loaded.warnings) == [
        "api.yaml:4: x-amazon-apigateway-minimum-compression-size: x-amazon-apigateway-minimum-compression-size "
        "is not supported yet and is ignored: responses are not compressed",
        "api.yaml:5: x-amazon-apigateway-documentation: x-amazon-apigateway-documentation is not supported yet "
        "and is ignored: documentation parts are not kept",
        "api.yaml:6: x-amazon-apigateway-cors: x-amazon-apigateway-cors is an HTTP API extension; a REST API's "
        "import ignores it",
        "api.yaml:7: x-amazon-apigateway-binary-media-type: unknown extension x-amazon-apigateway-binary-media-type "
        "(did you mean 'x-amazon-apigateway-binary-media-types'?) is ignored",
        "api.yaml:9: x-amazon-apigateway-endpoint-configuration.types: x-amazon-apigateway-endpoint-configuration."
        "types: an API has one endpoint type; the first applies",
        "api.yaml:10: x-amazon-apigateway-endpoint-configuration.vpcEndpointIds: x-amazon-apigateway-endpoint-"
        "configuration.vpcEndpointIds is not supported yet and is ignored: the API is served locally to any client",
        "api.yaml:11: x-amazon-apigateway-endpoint-configuration.disableExecuteApiEndpoint: x-amazon-apigateway-"
        "endpoint-configuration.disableExecuteApiEndpoint is not supported yet and is ignored: the API is served "
        "at its local URL all the same",
        "api.yaml:14: x-amazon-apigateway-gateway-responses.DEFAULT_4XX.responseParameters.gatewayresponse."
        "querystring.q: x-amazon-apigateway-gateway-responses: only gatewayresponse.header.NAME mappings are "
        "supported; 'gatewayresponse.querystring.q' is ignored",
        "api.yaml:15: x-amazon-apigateway-gateway-responses.DEFAULT_4XX.responseTemplates.text/html: "
        "x-amazon-apigateway-gateway-responses: only the application/json template is kept; text/html's is "
        "ignored",
        "api.yaml:18: paths./pets.x-amazon-apigateway-any-methods: x-amazon-apigateway-any-methods is not an "
        "extension of a path; it is ignored",
        "api.yaml:19: paths./pets.trace: API Gateway has no TRACE methods; TRACE /pets is ignored",
        "api.yaml:21: paths./pets.get.x-amazon-apigateway-throttle: x-amazon-apigateway-throttle is not supported "
        "on an operation and is ignored",
        "api.yaml:23: paths./pets.get.parameters[0]: API Gateway has no cookie parameters; 'session' is ignored",
        "api.yaml:26: paths./pets.get.responses.default: API Gateway's method responses are HTTP status codes; "
        "the response 'default' is ignored",
        "api.yaml:31: paths./pets.get.x-amazon-apigateway-integration.httpMethod: x-amazon-apigateway-integration."
        "httpMethod: Lambda functions are invoked with POST; on AWS the GET of GET /pets makes every call fail "
        "with a 500",
        "api.yaml:32: paths./pets.get.x-amazon-apigateway-integration.connectionType: x-amazon-apigateway-"
        "integration.connectionType VPC_LINK is not supported yet and is ignored",
        "api.yaml:33: paths./pets.get.x-amazon-apigateway-integration.connectionId: x-amazon-apigateway-"
        "integration.connectionId is not supported yet and is ignored",
        "api.yaml:34: paths./pets.get.x-amazon-apigateway-integration.tlsConfig: x-amazon-apigateway-integration."
        "tlsConfig is not supported yet and is ignored",
        "api.yaml:35: paths./pets.get.x-amazon-apigateway-integration.integrationSubtype: x-amazon-apigateway-"
        "integration: 'integrationSubtype' is not supported and is ignored; the keys read are cacheKeyParameters, "
        "cacheNamespace, connectionId, connectionType, contentHandling, credentials, httpMethod, "
        "passthroughBehavior, requestParameters, requestTemplates, responses, timeoutInMillis, tlsConfig, type, uri",
        "api.yaml:38: components.securitySchemes.oauth: security scheme 'oauth' (oauth2) has no "
        "x-amazon-apigateway-authorizer or x-amazon-apigateway-authtype; API Gateway's import ignores it, and so "
        "do the operations' security requirements that name it",
        "api.yaml:39: components.securitySchemes.key: security scheme 'key' is taken as API Gateway's API key, "
        "which clients send in the x-api-key header (it says 'key' in 'query')",
    ]
    # What a warning concerns is left out, the rest of the method is kept.
    got = method(loaded, "/pets", "GET")
    assert (got.api_key_required, got.integration.http_method) == (True, "GET")
    assert loaded.definitions.apis["shop"].endpoint_type == "PRIVATE"


def test_two_authorizers_on_one_method_and_scopes_on_a_lambda_authorizer_are_warnings(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        paths:
          /pets:
            get:
              security: [{{Token: [read]}}, {{Pool: []}}]
              {lambda_operation()}
        components:
          securitySchemes:
            Token:
              type: apiKey
              x-amazon-apigateway-authorizer: {{type: token, authorizerUri: "{LAMBDA.format("echo")}"}}
            Pool:
              type: apiKey
              x-amazon-apigateway-authtype: custom
              x-amazon-apigateway-authorizer: {{type: cognito_user_pools, providerARNs: [arn:aws:cognito-idp:eu-west-1:1:userpool/p]}}
        """,
    )
    assert loaded.errors == []
    assert messages(tmp_path, loaded.warnings) == [
        "api.yaml:7: paths./pets.get.security[0].Token: authorization scopes apply to Cognito user pool "
        "authorizers only; 'Token' ignores them",
        "api.yaml:7: paths./pets.get.security[1].Pool: API Gateway applies one authorizer per method: 'Token' "
        "does, 'Pool' is ignored",
        "api.yaml:17: components.securitySchemes.Pool.x-amazon-apigateway-authorizer: authorizer 'Pool' is a "
        "Cognito user pool but x-amazon-apigateway-authtype says custom",
    ]
    assert method(loaded, "/pets", "GET").authorization_scopes == ()


def test_duplicate_keys_in_json_are_errors(tmp_path: Path) -> None:
    text = '{"openapi": "3.0.1",\n "paths": {},\n "paths": {}}\n'
    loaded = load_document(tmp_path, text, BINDING.replace("api.yaml", "api.json"), name="api.json")
    assert messages(tmp_path, loaded.errors) == ["api.json:3: paths: duplicate key 'paths' (first at line 2)"]


def test_http_integrations_default_their_method_to_the_operations(tmp_path: Path) -> None:
    loaded = load_document(
        tmp_path,
        """
        openapi: 3.0.1
        info: {title: shop, version: "1"}
        paths:
          /pets:
            delete:
              x-amazon-apigateway-integration: {type: http, uri: "https://example.com/pets"}
        """,
    )
    assert method(loaded, "/pets", "DELETE").integration.type == HTTP
    assert method(loaded, "/pets", "DELETE").integration.http_method == "DELETE"


def test_the_rarer_mistakes_are_named_too(tmp_path: Path) -> None:
    deep = "{type: object, properties: {a: " * 70 + "{type: string}" + "}}" * 70
    loaded = load_document(
        tmp_path,
        f"""
        openapi: 3.0.1
        info: {{title: shop, version: "1"}}
        tags:
        - {{name: team, x-amazon-apigateway-tag-value: pets}}
        x-amazon-apigateway-policy: [not, a, mapping]
        paths:
          /a:
            get:
              x-amazon-apigateway-auth: {{type: COGNITO}}
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: {{"Fn::Sub": [only-the-template]}}
          /b:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: {{"Fn::Sub": ["${{Fn}}", {{Fn: {{"Fn::GetAtt": [echo, Role]}}}}]}}
          /c:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: {{"Fn::Sub": ["${{Fn}}", {{Fn: {{"Fn::ImportValue": shared}}}}]}}
        components:
          schemas:
            Listed: [a, b]
            Deep: {deep}
          securitySchemes:
            Token:
              type: apiKey
              x-amazon-apigateway-authorizer:
                type: token
                authorizerUri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/echo/invocations"
        """,
    )
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml:6: x-amazon-apigateway-policy: x-amazon-apigateway-policy must be a policy document (a mapping)",
        "api.yaml:10: paths./a.get.x-amazon-apigateway-auth.type: unknown x-amazon-apigateway-auth type 'COGNITO'; "
        "expected AWS_IAM or NONE",
        "api.yaml:13: paths./a.get.x-amazon-apigateway-integration.uri.Fn::Sub: Fn::Sub takes a string, or a list "
        "of a string and a mapping of variables",
        "api.yaml:18: paths./b.get.x-amazon-apigateway-integration.uri.Fn::Sub[1].Fn.Fn::GetAtt: Fn::GetAtt: only "
        "[FUNCTION, Arn] is known locally",
        "api.yaml:23: paths./c.get.x-amazon-apigateway-integration.uri.Fn::Sub[1].Fn: CloudFormation's "
        "Fn::ImportValue is not evaluated yet in Fn::Sub's variables",
        "api.yaml:26: components.schemas.Listed: the schema 'Listed' is not a mapping",
        "api.yaml:27: components.schemas.Deep"
        + ".properties.a" * 32
        + ".properties: nested deeper than 64 levels",
        "api.yaml:33: components.securitySchemes.Token.x-amazon-apigateway-authorizer.authorizerUri: Invalid "
        "Authorizer URI specified: 'echo' is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME, "
        "optionally followed by :ALIAS or :VERSION)",
    ]
    assert messages(tmp_path, loaded.warnings) == [
        "api.yaml:5: tags[0].x-amazon-apigateway-tag-value: x-amazon-apigateway-tag-value is not supported yet and "
        "is ignored: the api's tags are not kept"
    ]


def test_an_empty_document_path_and_a_json_file_that_is_not_utf8_are_refused(tmp_path: Path) -> None:
    loaded = load_document(tmp_path, "{}", BINDING.replace("openapi: api.yaml", "openapi: ''"))
    assert messages(tmp_path, loaded.errors) == [
        "apig.yaml:4: apis.shop.openapi: expected the path of an OpenAPI document, got an empty string"
    ]
    (tmp_path / "api.json").write_bytes(b'{\n  "openapi": "3.0.1",\n  "info": {"title": "caf\xe9"}\n}\n')
    (tmp_path / "apig.yaml").write_text(BINDING.replace("api.yaml", "api.json"))
    loaded = load(tmp_path / "apig.yaml", code_dir=LAMBDAS)
    assert messages(tmp_path, loaded.errors) == ["api.json:3: invalid JSON: the file is not UTF-8 text"]


def test_yaml_aliases_cannot_make_a_document_no_walk_would_finish(tmp_path: Path) -> None:
    laughs = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    laughs += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)]
    bomb = "openapi: 3.0.1\ncomponents:\n  schemas:\n" + "".join(f"    {line}\n" for line in laughs)
    loaded = load_document(tmp_path, bomb)
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml:9: aliases repeat too much: a document's aliases may repeat at most 100,000 values and "
        "1,000,000 characters of text"
    ]
    loaded = load_document(tmp_path, "openapi: 3.0.1\npaths: &loop\n  /a: *loop\n")
    assert messages(tmp_path, loaded.errors) == [
        "api.yaml:2: an alias is inside the value it names: a value cannot contain itself"
    ]
    # Aliases within the limits are read as if written out.
    shared = """
        openapi: 3.0.1
        x-integration: &mock {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}}
        paths:
          /a: {get: {x-amazon-apigateway-integration: *mock}}
          /b: {get: {x-amazon-apigateway-integration: *mock}}
        """
    loaded = load_document(tmp_path, shared)
    assert loaded.errors == []
    assert method(loaded, "/b", "GET").integration.type == MOCK
