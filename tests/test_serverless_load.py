"""serverless.yml into the model, setting by setting, with every error and warning at its key path and line.

Each test writes a small service and loads it as the commands do; messages are asserted whole (the
temporary folder left out), so a change of wording or of line is seen.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from emulator.config.builder import MockAnswer
from emulator.config.errors import ConfigError, in_order
from emulator.config.loaded import Loaded
from emulator.config.serverless.defaults import STATUS_CODES
from emulator.config.serverless.service import load_serverless
from emulator.model import AWS, AWS_PROXY, HTTP, MOCK, NEVER, REGIONAL, WHEN_NO_MATCH, Method, RestApi
from tests.conftest import LAMBDAS

PROVIDER = "provider: {name: aws, runtime: python3.12}\n"


def load(tmp_path: Path, text: str, **options: object) -> Loaded:
    service = tmp_path / "serverless.yml"
    service.write_text(textwrap.dedent(text))
    return load_serverless(service, code_dir=LAMBDAS, environ={}, **options)  # type: ignore[arg-type]


def messages(tmp_path: Path, found: list[ConfigError]) -> list[str]:
    return [str(item).replace(f"{tmp_path}/", "") for item in in_order(found)]


def only_api(loaded: Loaded) -> RestApi:
    (api,) = loaded.definitions.apis.values()
    return api


def method(loaded: Loaded, path: str, verb: str) -> Method:
    return only_api(loaded).resources[path].methods[verb]


def service(events: str, *, provider: str = PROVIDER, extra: str = "") -> str:
    """A service whose one function ``fn`` has the given events (indented as a list under ``events:``)."""
    return (
        "service: shop\n"
        + provider
        + extra
        + "functions:\n  fn:\n    handler: cases.echo_event\n    events:\n"
        + textwrap.indent(textwrap.dedent(events), "      ")
    )


# The service and its provider


def test_the_api_is_named_and_deployed_as_serverless_deploys_it(tmp_path: Path) -> None:
    loaded = load(tmp_path, service("- http: GET items\n"))
    api = only_api(loaded)
    assert (api.name, list(api.stages), api.endpoint_type) == ("dev-shop", ["dev"], "EDGE")
    assert not loaded.errors and not loaded.warnings
    provider = """\
provider:
  name: aws
  runtime: python3.12
  stage: live
  endpointType: regional
  apiGateway:
    shouldStartNameWithService: true
    apiKeySourceType: AUTHORIZER
    description: The shop
    resourcePolicy:
      - {Effect: Allow, Principal: '*', Action: execute-api:Invoke, Resource: ['execute-api:/*']}
"""
    api = only_api(load(tmp_path, service("- http: GET items\n", provider=provider)))
    assert (api.name, list(api.stages), api.endpoint_type, api.api_key_source, api.description) == (
        "shop-live",
        ["live"],
        REGIONAL,
        "AUTHORIZER",
        "The shop",
    )
    assert api.policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": ["execute-api:/*"],
            }
        ],
    }


def test_function_settings_fall_back_on_the_provider_s_and_serverless_s_defaults(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        """
        service: shop
        provider:
          name: aws
          runtime: python3.12
          memorySize: 512
          environment: {STAGE: '${sls:stage}', DEBUG: true, SHARED: provider}
        functions:
          plain:
            handler: cases.echo_event
          tuned:
            handler: cases.echo_event
            timeout: 20
            memorySize: 2048
            reservedConcurrency: 2
            environment: {SHARED: function, COUNT: 3}
        """,
    )
    assert not loaded.errors
    plain, tuned = loaded.definitions.functions["plain"], loaded.definitions.functions["tuned"]
    assert (plain.timeout, plain.memory, plain.concurrency) == (6.0, 512, 4)
    assert plain.environment == {"STAGE": "dev", "DEBUG": "true", "SHARED": "provider"}
    assert (tuned.timeout, tuned.memory, tuned.concurrency) == (20.0, 2048, 2)
    assert tuned.environment == {"STAGE": "dev", "DEBUG": "true", "SHARED": "function", "COUNT": "3"}
    assert (
        tuned.handler,
        tuned.code_dir,
        tuned.handler_location.line if tuned.handler_location else None,
    ) == (
        "cases.echo_event",
        LAMBDAS,
        12,
    )


def test_functions_may_be_a_list_of_mappings(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        """
        service: shop
        provider: {name: aws, runtime: python3.12}
        functions:
          - a: {handler: cases.echo_event}
          - b: {handler: cases.echo_event}
            a: {handler: cases.echo}
        """,
    )
    assert sorted(loaded.definitions.functions) == ["a", "b"]
    assert messages(tmp_path, loaded.errors) == [
        "serverless.yml:7: functions[1].a: function 'a' is defined twice"
    ]


def test_what_cannot_be_emulated_is_named_with_its_line(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        """
        service: shop
        provider:
          name: aws
          runtime: python3.12
          apiKeys: [old]
          apiGateway:
            minimumCompressionSize: 1024
            restApiId: abc123
            binaryMediaType: [image/png]
          environment:
            TABLE: !Ref OrdersTable
        functions:
          fn:
            handler: cases.echo_event
            layers: [arn:aws:lambda:eu-west-1:210987654321:layer:deps:3]
            events:
              - http: GET items
              - httpApi: GET /items
              - schedule: rate(1 hour)
        """,
    )
    assert not loaded.errors
    assert messages(tmp_path, loaded.warnings) == [
        "serverless.yml:6: provider.apiKeys: provider.apiKeys is Serverless v2's place for it, which v3 does not "
        "read; it is ignored\n    hint: move it under provider.apiGateway.apiKeys",
        "serverless.yml:8: provider.apiGateway.minimumCompressionSize: provider.apiGateway.minimumCompressionSize "
        "is not emulated: responses are not compressed",
        "serverless.yml:9: provider.apiGateway.restApiId: restApiId attaches the http events to a REST API "
        "deployed elsewhere, whose other resources apig-emu cannot know; the events are served as an API of "
        "their own",
        "serverless.yml:10: provider.apiGateway.binaryMediaType: unknown key 'binaryMediaType' in "
        "provider.apiGateway (did you mean 'binaryMediaTypes'?); it is ignored (the keys are: apiKeySourceType, "
        "apiKeys, binaryMediaTypes, description, disableDefaultEndpoint, metrics, minimumCompressionSize, "
        "request, resourcePolicy, restApiId, restApiResources, restApiRootResourceId, "
        "shouldStartNameWithService, stage, timeoutInMillis, usagePlan, websocketApiId)",
        "serverless.yml:12: provider.environment.TABLE: environment variable TABLE is {'Ref': 'OrdersTable'}, "
        "which CloudFormation resolves when it deploys; it is left unset locally\n"
        "    hint: give it a local value, e.g. ${env:TABLE, 'local-value'}",
        "serverless.yml:16: functions.fn.layers: the layers of function 'fn' are published ARNs, which apig-emu "
        "cannot fetch; install what they provide in the environment apig-emu runs in",
        "serverless.yml:19: functions.fn.events[1].httpApi: function 'fn' has an HTTP API (API Gateway v2) event; "
        "HTTP APIs are not emulated; it is not served",
    ]
    assert loaded.definitions.functions["fn"].environment == {}


def test_a_function_on_another_runtime_is_left_out_with_its_events(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        """
        service: shop
        provider: {name: aws, runtime: python3.12}
        functions:
          web:
            handler: handler.web
            runtime: nodejs20.x
            events:
              - http: GET web
              - http: POST web
          api:
            handler: cases.echo_event
            events:
              - http: GET api
        """,
    )
    assert not loaded.errors
    assert messages(tmp_path, loaded.warnings) == [
        "serverless.yml:7: functions.web.runtime: function 'web' runs on nodejs20.x; apig-emu runs Python "
        "handlers only; its 2 http events are not served"
    ]
    assert list(loaded.definitions.functions) == ["api"]
    assert sorted(only_api(loaded).resources) == ["/", "/api"]


def test_errors_are_reported_together_each_at_its_line(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        """
        service: shop
        provider: {name: google, runtime: python3.12, timeout: 1000}
        functions:
          bad:
            handler: src/handler
            events:
              - http: {path: items, method: fetch}
              - http: {path: 'items/{id', method: get}
              - http: {method: get}
              - http: {path: x, method: get, integration: lambda-proxi}
          missing:
            events:
              - http: GET missing
          secret:
            handler: cases.echo_event
            environment: {KEY: '${env:SHOP_KEY}'}
        """,
    )
    assert messages(tmp_path, loaded.errors) == [
        "serverless.yml:3: provider.name: provider 'google' is not AWS; apig-emu emulates AWS API Gateway only",
        "serverless.yml:3: provider.timeout: expected a number from 1 to 900, got 1000",
        "serverless.yml:6: functions.bad.handler: invalid handler 'src/handler'; expected Serverless's "
        "path/module.function, each folder, the module and the function a Python identifier, like "
        "'src/api/items.list_items'",
        "serverless.yml:8: functions.bad.events[0].http.method: unknown method 'fetch'; expected one of delete, "
        "get, head, options, patch, post, put, any",
        "serverless.yml:9: functions.bad.events[1].http.path: invalid resource path '/items/{id'; "
        + loaded_problem("/items/{id"),
        "serverless.yml:10: functions.bad.events[2].http: an http event needs a path",
        "serverless.yml:11: functions.bad.events[3].http.integration: unknown integration 'lambda-proxi'; "
        "expected one of lambda-proxy, lambda, http, http-proxy, mock",
        "serverless.yml:12: functions.missing: function 'missing' needs a handler, like 'src/handler.main'",
        "serverless.yml:17: functions.secret.environment.KEY: cannot resolve ${env:SHOP_KEY}: the environment "
        "has no variable SHOP_KEY",
    ]


def loaded_problem(path: str) -> str:
    """The resource path rule's own words after its first clause, so this test follows its wording."""
    from emulator.config import rules

    problem = rules.resource_path_problem(path)
    assert problem is not None
    return problem.split("; ", 1)[1]


def test_a_service_without_a_name_or_with_an_invalid_stage(tmp_path: Path) -> None:
    loaded = load(tmp_path, PROVIDER)
    assert messages(tmp_path, loaded.errors) == [
        "serverless.yml:1: serverless.yml needs a service name: service: my-service"
    ]
    loaded = load(tmp_path, service("- http: GET items\n"), stage="my stage")
    assert messages(tmp_path, loaded.errors) == [
        "serverless.yml:1: invalid stage name 'my stage'; use letters, digits, '-' and '_': API Gateway's stage "
        "names allow only these"
    ]


# http events


def test_a_proxy_event_is_a_lambda_proxy_method_on_its_trimmed_path(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        service(
            """
            - http: GET /items/{id}/
            - http: {path: /, method: any, operationId: root}
            - http: {path: 'files/{proxy+}', method: put}
            """
        ),
    )
    assert sorted(only_api(loaded).resources) == ["/", "/files", "/files/{proxy+}", "/items", "/items/{id}"]
    item = method(loaded, "/items/{id}", "GET")
    assert (item.integration.type, item.integration.function, item.integration.http_method) == (
        AWS_PROXY,
        "fn",
        "POST",
    )
    assert method(loaded, "/", "ANY").operation_name == "root"
    assert method(loaded, "/files/{proxy+}", "PUT").method_responses == {}


def test_integration_lambda_gets_serverless_s_defaults(tmp_path: Path) -> None:
    loaded = load(tmp_path, service("- http: {path: items, method: post, integration: lambda}\n"))
    created = method(loaded, "/items", "POST")
    integration = created.integration
    assert integration.type == AWS
    assert sorted(integration.request_templates) == ["application/json", "application/x-www-form-urlencoded"]
    assert integration.request_templates["application/json"].startswith('#set( $body = $input.json("$") )')
    assert integration.passthrough_behavior == NEVER
    patterns = {response.status: response.selection_pattern for response in integration.responses}
    assert patterns == {status: pattern or None for status, pattern in STATUS_CODES.items()}
    assert sorted(created.method_responses) == sorted(STATUS_CODES)
    assert integration.default_response() is not None and integration.default_response().status == "200"  # type: ignore[union-attr]


def test_integration_lambda_with_its_own_templates_and_responses(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        service(
            r"""
            - http:
                path: items
                method: post
                integration: lambda
                request:
                  passThrough: WHEN_NO_MATCH
                  template:
                    application/json: '{"static": true}'
                    application/x-www-form-urlencoded: null
                    text/plain: '$input.body'
                response:
                  headers: {X-Shop: "'yes'"}
                  template: $input.path('$')
                  statusCodes:
                    201:
                      pattern: ''
                      headers: {Location: integration.response.body.location}
                    404:
                      pattern: '.*\[404\].*'
                      template:
                        application/json: '{"missing": true}'
                        text/html: '<p>missing</p>'
            """
        ),
    )
    assert not loaded.errors, loaded.errors
    created = method(loaded, "/items", "POST")
    integration = created.integration
    assert integration.request_templates == {
        "application/json": '{"static": true}',
        "text/plain": "$input.body",
    }
    assert integration.passthrough_behavior == WHEN_NO_MATCH
    created_response, missing = integration.responses
    assert (created_response.status, created_response.selection_pattern) == ("201", None)
    assert created_response.response_parameters == {
        "method.response.header.X-Shop": "'yes'",
        "method.response.header.Location": "integration.response.body.location",
    }
    assert created_response.response_templates == {"application/json": "$input.path('$')"}
    assert (missing.status, missing.selection_pattern) == ("404", r".*\[404\].*")
    assert missing.response_templates == {
        "application/json": '{"missing": true}',
        "text/html": "<p>missing</p>",
    }
    assert created.method_responses["201"].response_parameters == {
        "method.response.header.X-Shop": True,
        "method.response.header.Location": True,
    }


def test_status_codes_without_a_default_get_serverless_s_200(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        service(
            r"""
            - http:
                path: items
                method: get
                integration: lambda
                response:
                  statusCodes:
                    400: {pattern: '.*\[400\].*'}
            - http:
                path: twice
                method: get
                integration: lambda
                response:
                  statusCodes:
                    200: {pattern: ''}
                    201: {pattern: ''}
            """
        ),
    )
    statuses = [response.status for response in method(loaded, "/items", "GET").integration.responses]
    assert statuses == ["400", "200"]
    assert messages(tmp_path, loaded.errors) == [
        "serverless.yml:22: functions.fn.events[1].http.response.statusCodes.201: status code 201 and another "
        "both have no pattern; only one response may be the default"
    ]


def test_request_and_response_settings_a_proxy_ignores_are_warned_about(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        service(
            """
            - http:
                path: items
                method: get
                request:
                  template: {application/json: '{}'}
                  parameters: {querystrings: {page: true}}
                response:
                  headers: {X-A: "'a'"}
            """
        ),
    )
    assert messages(tmp_path, loaded.warnings) == [
        "serverless.yml:12: functions.fn.events[0].http.request.template: request.template of function 'fn' does "
        "not apply to its lambda-proxy integration; Serverless removes it before deploying, and so it is ignored",
        "serverless.yml:14: functions.fn.events[0].http.response: response of function 'fn' does not apply to a "
        "proxy integration; Serverless removes it before deploying, and so it is ignored",
    ]
    listed = method(loaded, "/items", "GET")
    assert listed.request_parameters == {"method.request.querystring.page": True}
    assert listed.integration.request_parameters == {}


def test_parameters_declare_the_method_s_and_map_the_integration_s(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        service(
            """
            - http:
                path: items/{id}
                method: get
                integration: lambda
                request:
                  parameters:
                    paths: {id: true}
                    querystrings: {page: false, sort: {required: true, mappedValue: "'name'"}}
                    headers: {X-Tenant: true}
            - http:
                path: open
                method: get
                request:
                  parameters: {querystrings: {page: false}}
            """
        ),
    )
    found = method(loaded, "/items/{id}", "GET")
    assert found.request_parameters == {
        "method.request.path.id": True,
        "method.request.querystring.page": False,
        "method.request.querystring.sort": True,
        "method.request.header.X-Tenant": True,
    }
    assert found.integration.request_parameters == {
        "integration.request.path.id": "method.request.path.id",
        "integration.request.querystring.page": "method.request.querystring.page",
        "integration.request.querystring.sort": "'name'",
        "integration.request.header.X-Tenant": "method.request.header.X-Tenant",
    }
    validator = "shop-dev | Validate request body and querystring parameters"
    assert found.request_validator == validator
    assert only_api(loaded).request_validators[validator].validate_request_parameters
    # No parameter is required: Serverless gives the method no validator.
    assert method(loaded, "/open", "GET").request_validator is None


def test_schemas_inline_named_from_a_file_or_the_provider_s(tmp_path: Path) -> None:
    (tmp_path / "item.json").write_text('{"type": "object", "required": ["name"]}')
    loaded = load(
        tmp_path,
        service(
            """
            - http:
                path: items
                method: post
                request:
                  schemas:
                    application/json: ${file(./item.json)}
            - http:
                path: items/{id}
                method: put
                request:
                  schemas:
                    application/json: {name: ItemUpdate, schema: {type: object}}
                    application/xml: order
            - http:
                path: bad
                method: post
                request:
                  schemas:
                    application/json: nonsense
            """,
            provider=PROVIDER.replace(
                "}", ", apiGateway: {request: {schemas: {order: {name: Order, schema: {type: object}}}}}}"
            ),
        ),
    )
    api = only_api(loaded)
    assert method(loaded, "/items", "POST").request_models == {
        "application/json": "ApiGatewayMethodItemsPostApplicationJsonModel"
    }
    assert api.models["ApiGatewayMethodItemsPostApplicationJsonModel"].schema == {
        "type": "object",
        "required": ["name"],
    }
    assert method(loaded, "/items/{id}", "PUT").request_models == {
        "application/json": "ItemUpdate",
        "application/xml": "Order",
    }
    assert sorted(api.models) == ["ApiGatewayMethodItemsPostApplicationJsonModel", "ItemUpdate", "Order"]
    assert messages(tmp_path, loaded.errors) == [
        "serverless.yml:26: functions.fn.events[2].http.request.schemas.application/json: 'nonsense' is neither "
        "a schema of provider.apiGateway.request.schemas (order) nor a JSON schema"
    ]


def test_cors_true_an_object_and_a_path_s_merge(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        service(
            """
            - http: {path: items, method: get, cors: true}
            - http:
                path: items
                method: post
                integration: lambda
                cors:
                  origins: ['https://shop.example', 'https://*.shop.example']
                  headers: X-Custom
                  allowCredentials: true
                  maxAge: 600
                  cacheControl: max-age=600
            - http: {path: open, method: any, cors: {origin: 'https://a.example'}}
            """
        ),
    )
    assert not loaded.errors and not loaded.warnings
    preflight = method(loaded, "/items", "OPTIONS")
    (response,) = preflight.integration.responses
    assert preflight.integration.type == MOCK
    assert preflight.integration.request_templates == {"application/json": "{statusCode:200}"}
    assert response.response_parameters == {
        "method.response.header.Access-Control-Allow-Origin": "'https://shop.example'",
        "method.response.header.Access-Control-Allow-Headers": "'X-Custom,Content-Type,X-Amz-Date,Authorization,"
        "X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent,X-Amzn-Trace-Id'",
        "method.response.header.Access-Control-Allow-Methods": "'OPTIONS,POST,GET'",
        "method.response.header.Access-Control-Allow-Credentials": "'true'",
        "method.response.header.Access-Control-Max-Age": "'600'",
        "method.response.header.Cache-Control": "'max-age=600'",
    }
    template = response.response_templates["application/json"]
    assert '$origin.matches("https://shop[.]example")' in template
    assert '$origin.matches("https://.+[.]shop[.]example")' in template
    # A non-proxy method maps the origin onto every response; a proxy's function sends its own.
    posted = method(loaded, "/items", "POST")
    assert {
        response.response_parameters["method.response.header.Access-Control-Allow-Origin"]
        for response in posted.integration.responses
    } == {"'https://shop.example,https://*.shop.example'"}
    assert method(loaded, "/items", "GET").integration.responses == ()
    open_preflight = method(loaded, "/open", "OPTIONS").integration.responses[0].response_parameters
    assert open_preflight["method.response.header.Access-Control-Allow-Methods"] == (
        "'OPTIONS,DELETE,GET,HEAD,PATCH,POST,PUT'"
    )
    assert open_preflight["method.response.header.Access-Control-Allow-Origin"] == "'https://a.example'"


def test_an_explicit_options_event_answers_the_preflight_itself(tmp_path: Path) -> None:
    loaded = load(
        tmp_path, service("- http: {path: items, method: get, cors: true}\n- http: OPTIONS items\n")
    )
    assert method(loaded, "/items", "OPTIONS").integration.type == AWS_PROXY
    assert messages(tmp_path, loaded.warnings) == [
        "serverless.yml:7: functions.fn.events[0].http: cors on /items asks for an OPTIONS method, but one is "
        "defined at serverless.yml:8; that one answers preflight requests"
    ]


def test_authorizers_private_methods_and_claims(tmp_path: Path) -> None:
    pool = "arn:aws:cognito-idp:eu-west-1:210987654321:userpool/eu-west-1_AbC"
    loaded = load(
        tmp_path,
        f"""
        service: shop
        provider: {{name: aws, runtime: python3.12}}
        functions:
          auth:
            handler: cases.echo_event
          fn:
            handler: cases.echo_event
            events:
              - http: {{path: a, method: get, authorizer: auth, private: true}}
              - http:
                  path: b
                  method: post
                  integration: lambda
                  authorizer: {{arn: '{pool}', claims: [email], scopes: [shop/write]}}
              - http: {{path: c, method: get, authorizer: aws_iam}}
              - http:
                  path: d
                  method: get
                  authorizer: {{arn: '{pool}', claims: [email]}}
        """,
    )
    api = only_api(loaded)
    first = method(loaded, "/a", "GET")
    assert (first.authorization_type, first.authorizer, first.api_key_required) == ("CUSTOM", "auth", True)
    second = method(loaded, "/b", "POST")
    assert (second.authorization_type, second.authorizer, second.authorization_scopes) == (
        "COGNITO_USER_POOLS",
        "1_AbC",
        ("shop/write",),
    )
    assert (
        '"email": "$context.authorizer.claims.email",'
        in second.integration.request_templates["application/json"]
    )
    assert method(loaded, "/c", "GET").authorization_type == "AWS_IAM"
    assert sorted(api.authorizers) == ["1_AbC", "auth"]
    assert (api.authorizers["auth"].function, api.authorizers["1_AbC"].provider_arns) == ("auth", (pool,))
    assert messages(tmp_path, loaded.errors) == [
        "serverless.yml:20: functions.fn.events[3].http.authorizer: Cognito claims can only be filtered with the "
        "lambda integration (integration: lambda), as Serverless says"
    ]


def test_http_mock_and_async_integrations(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        service(
            """
            - http:
                path: proxy
                method: get
                integration: http-proxy
                request: {uri: 'https://example.com/{proxy}'}
            - http:
                path: legacy
                method: post
                integration: http
                request: {uri: 'https://example.com/legacy', method: put}
            - http:
                path: fixed
                method: get
                integration: mock
                request: {template: {application/json: '{"statusCode": 200}'}}
                response:
                  statusCodes:
                    200: {template: '{"ok": true}'}
            - http: {path: later, method: post, async: true}
            - http: {path: nowhere, method: get, integration: http}
            """
        ),
    )
    proxied = method(loaded, "/proxy", "GET").integration
    assert (proxied.type, proxied.uri, proxied.http_method) == (
        "HTTP_PROXY",
        "https://example.com/{proxy}",
        "GET",
    )
    legacy = method(loaded, "/legacy", "POST").integration
    assert (legacy.type, legacy.http_method, legacy.passthrough_behavior) == (HTTP, "PUT", WHEN_NO_MATCH)
    fixed = method(loaded, "/fixed", "GET").integration
    assert (fixed.type, fixed.responses[0].response_templates) == (MOCK, {"application/json": '{"ok": true}'})
    later = method(loaded, "/later", "POST").integration
    assert (later.type, later.request_parameters) == (
        AWS,
        {"integration.request.header.X-Amz-Invocation-Type": "'Event'"},
    )
    assert messages(tmp_path, loaded.errors) == [
        "serverless.yml:27: functions.fn.events[4].http: the http integration needs request.uri, the URL it calls"
    ]


# API keys and usage plans


def test_api_keys_and_one_usage_plan(tmp_path: Path) -> None:
    provider = """\
provider:
  name: aws
  runtime: python3.12
  apiGateway:
    apiKeys:
      - partner
      - {name: mobile, value: abcdefghijklmnopqrstuvwxyz, enabled: false}
    usagePlan:
      quota: {limit: 100, offset: 1, period: week}
      throttle: {burstLimit: 10, rateLimit: 5.5}
"""
    loaded = load(tmp_path, service("- http: {path: items, method: get, private: true}\n", provider=provider))
    assert not loaded.errors, loaded.errors
    keys = loaded.definitions.api_keys
    assert sorted(keys) == ["mobile", "partner"]
    assert (keys["mobile"].value, keys["mobile"].enabled) == ("abcdefghijklmnopqrstuvwxyz", False)
    assert re.fullmatch(r"[a-z0-9]{40}", keys["partner"].value)
    (plan,) = loaded.definitions.usage_plans.values()
    assert (plan.name, plan.keys, plan.stages) == ("shop-dev", ("partner", "mobile"), (("dev-shop", "dev"),))
    assert (plan.quota.limit, plan.quota.period, plan.quota.offset) == (100, "WEEK", 1)  # type: ignore[union-attr]
    assert (plan.throttle.rate, plan.throttle.burst) == (5.5, 10)  # type: ignore[union-attr]


def test_keys_grouped_under_several_usage_plans(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        """
        service: shop
        provider:
          name: aws
          runtime: python3.12
          apiGateway:
            apiKeys:
              - free: [free-1, free-2]
              - paid: [{name: paid-1, value: '0123456789abcdefghij'}]
              - gold: [gold-1]
              - loose
            usagePlan:
              - free: {quota: {limit: 10, period: DAY}}
              - paid: {throttle: {rateLimit: 100, burstLimit: 50}}
        functions:
          fn:
            handler: cases.echo_event
            events: [{http: GET items}]
        """,
    )
    plans = loaded.definitions.usage_plans
    assert sorted(plans) == ["shop-free-dev", "shop-paid-dev"]
    assert plans["shop-free-dev"].keys == ("free-1", "free-2")
    assert plans["shop-paid-dev"].keys == ("paid-1",)
    assert messages(tmp_path, loaded.errors) == [
        "serverless.yml:10: provider.apiGateway.apiKeys[2]: API key group 'gold' names no usage plan; the plans "
        "are: free, paid\n    hint: group keys under the name of an entry of provider.apiGateway.usagePlan, a list of named "
        "plans",
        "serverless.yml:11: provider.apiGateway.apiKeys[3]: with several usage plans, each API key belongs under "
        "one of them: - free: [key]",
    ]


# Mocks


def test_a_mocked_function_is_left_out_and_its_methods_answer_the_mock(tmp_path: Path) -> None:
    text = service("- http: {path: items, method: get, private: true}\n")
    loaded = load(tmp_path, text, mocks={"fn": MockAnswer("fn", 201, body='{"mocked": true}')})
    assert loaded.definitions.functions == {}
    mocked = method(loaded, "/items", "GET")
    assert (mocked.integration.type, mocked.integration.mock_name, mocked.api_key_required) == (
        MOCK,
        "fn",
        True,
    )
    loaded = load(tmp_path, text, mocks={"fm": MockAnswer("fm")})
    assert messages(tmp_path, loaded.errors) == ["--mock fm=...: no function 'fm'; the functions are: fn"]


# useDotenv


DOTENV_SERVICE = """
service: shop
useDotenv: true
provider:
  name: aws
  runtime: python3.12
  stage: ${opt:stage, 'dev'}
  environment:
    TABLE: ${env:TABLE}
    GREETING: ${env:GREETING, 'hi'}
functions:
  fn: {handler: cases.echo_event}
"""


def test_use_dotenv_reads_the_stage_s_file_else_dot_env(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("# local\nexport TABLE=local-table\nGREETING='hello # there'\n")
    (tmp_path / ".env.prod").write_text('TABLE="prod\\ttable"  \nQUIET=yes # comment\n')
    loaded = load(tmp_path, DOTENV_SERVICE)
    assert not loaded.errors
    assert loaded.definitions.functions["fn"].environment == {
        "TABLE": "local-table",
        "GREETING": "hello # there",
    }
    assert tmp_path / ".env" in loaded.definitions.sources
    loaded = load(tmp_path, DOTENV_SERVICE, stage="prod")
    assert loaded.definitions.functions["fn"].environment == {"TABLE": "prod\ttable", "GREETING": "hi"}


def test_the_environment_wins_over_dot_env_and_a_bad_line_is_named(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TABLE=from-file\nnot a variable\n")
    service_file = tmp_path / "serverless.yml"
    service_file.write_text(DOTENV_SERVICE)
    loaded = load_serverless(service_file, code_dir=LAMBDAS, environ={"TABLE": "from-environment"})
    assert loaded.definitions.functions["fn"].environment["TABLE"] == "from-environment"
    assert messages(tmp_path, loaded.errors) == [".env:2: expected NAME=value"]


def test_without_use_dotenv_the_file_is_not_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TABLE=local-table\n")
    loaded = load(tmp_path, DOTENV_SERVICE.replace("useDotenv: true\n", ""))
    assert messages(tmp_path, loaded.errors) == [
        "serverless.yml:8: provider.environment.TABLE: cannot resolve ${env:TABLE}: the environment has no "
        "variable TABLE"
    ]


def test_a_key_group_without_named_plans_is_an_error(tmp_path: Path) -> None:
    provider = """\
provider:
  name: aws
  runtime: python3.12
  apiGateway:
    apiKeys:
      - free: [free-1]
    usagePlan: {quota: {limit: 10, period: DAY}}
"""
    loaded = load(tmp_path, service("- http: GET items\n", provider=provider))
    assert messages(tmp_path, loaded.errors) == [
        "serverless.yml:7: provider.apiGateway.apiKeys[0]: API key group 'free' names no usage plan; "
        "provider.apiGateway.usagePlan names none\n"
        "    hint: group keys under the name of an entry of provider.apiGateway.usagePlan, a list of named plans"
    ]
