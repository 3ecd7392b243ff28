"""Lambda authorizers, TOKEN and REQUEST (reference 7.4, companion C.2, C.3, C.5): each outcome with AWS's
status, body and ``x-amzn-ErrorType``; the cache and its TTL on the harness's clock, never a sleep.

Where AWS's answer is not recorded the test says it pins a decision.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.inspector.recorder import record_json
from emulator.testing import Harness
from tests.conftest import LAMBDAS, Captured

FN = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{}/invocations"
ECHO = FN.format("echoEvent")
KEY = "abcdefghij0123456789"

DOCUMENT = f"""
openapi: 3.0.1
info: {{title: shop, version: "1"}}
x-amazon-apigateway-api-key-source: AUTHORIZER
x-amazon-apigateway-gateway-responses:
  INVALID_API_KEY:
    statusCode: 403
    responseParameters:
      gatewayresponse.header.X-Principal: context.authorizer.principalId
    responseTemplates:
      application/json: '{{"who":"$context.authorizer.principalId","tier":"$context.authorizer.tier"}}'
components:
  securitySchemes:
    tok:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: "{FN.format("tokenAuth")}"
        identityValidationExpression: "^Bearer [a-z]+$"
        authorizerResultTtlInSeconds: 300
    uncached:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: "{FN.format("tokenAuth")}"
        authorizerResultTtlInSeconds: 0
    req:
      type: apiKey
      name: Unused
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: request
        identitySource: "method.request.header.X-User, method.request.querystring.tenant"
        authorizerUri: "{FN.format("requestAuth")}"
        authorizerResultTtlInSeconds: 60
    reqOpen:
      type: apiKey
      name: Unused
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: request
        identitySource: "method.request.header.X-User"
        authorizerUri: "{FN.format("requestAuth")}"
        authorizerResultTtlInSeconds: 0
    api_key:
      type: apiKey
      name: x-api-key
      in: header
paths:
  /orders:
    get:
      security: [{{tok: []}}]
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{ECHO}"}}
    post:
      security: [{{tok: []}}]
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{ECHO}"}}
  /uncached:
    get:
      security: [{{uncached: []}}]
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{ECHO}"}}
  /items/{{id}}:
    get:
      security: [{{req: []}}]
      parameters: [{{name: id, in: path, required: true, schema: {{type: string}}}}]
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{ECHO}"}}
  /open-request:
    get:
      security: [{{reqOpen: []}}]
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{ECHO}"}}
  /keyed:
    get:
      security: [{{tok: [], api_key: []}}]
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{ECHO}"}}
"""


@pytest.fixture
def apig(tmp_path: Path) -> Iterator[Harness]:
    (tmp_path / "api.yaml").write_text(DOCUMENT)
    (tmp_path / "apig.yaml").write_text(
        textwrap.dedent(
            f"""
            apis:
              shop: {{openapi: api.yaml, stages: {{Prod: {{}}}}}}
            functions:
              echoEvent: {{handler: cases.echo_event}}
              tokenAuth: {{handler: authorizers.token}}
              requestAuth: {{handler: authorizers.request}}
            api_keys:
              partner: {{value: {KEY}, enabled: true}}
            usage_plans:
              basic:
                stages: [{{api: shop, stage: Prod}}]
                keys: [partner]
            """
        )
    )
    with Harness(tmp_path / "apig.yaml", code_dir=LAMBDAS) as harness:
        yield harness


def calls(apig: Harness, function: str = "tokenAuth") -> int:
    return len(apig.invocations_of(function))


def answer(response: Any, status: int, body: bytes, error_type: str) -> None:
    assert (response.status, response.content) == (status, body), response.text
    assert response.headers["x-amzn-ErrorType"] == error_type
    assert response.headers["Content-Type"] == "application/json"


def bearer(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {user}"}


# Identity sources and the validation expression: 401 without calling the function (reference 7.4, C.3)


def test_token_header_missing_is_401_and_the_authorizer_is_not_called(apig: Harness) -> None:
    answer(apig.get("/Prod/orders"), 401, b'{"message":"Unauthorized"}', "UnauthorizedException")
    assert calls(apig) == 0


def test_token_not_matching_the_validation_expression_is_401_without_a_call(apig: Harness) -> None:
    answer(
        apig.get("/Prod/orders", headers={"Authorization": "Basic YWxpY2U="}),
        401,
        b'{"message":"Unauthorized"}',
        "UnauthorizedException",
    )
    assert calls(apig) == 0


def test_request_authorizer_with_caching_refuses_a_missing_identity_source_without_a_call(
    apig: Harness,
) -> None:
    answer(
        apig.get("/Prod/items/1", headers={"X-User": "carol"}),
        401,
        b'{"message":"Unauthorized"}',
        "UnauthorizedException",
    )
    answer(
        apig.get("/Prod/items/1?tenant=", headers={"X-User": "carol"}),
        401,
        b'{"message":"Unauthorized"}',
        "UnauthorizedException",
    )
    assert calls(apig, "requestAuth") == 0


def test_request_authorizer_without_caching_is_called_even_when_a_source_is_missing(apig: Harness) -> None:
    """Reference 7.4: a missing source is a 401 only "if caching is on"; without, the function decides."""
    with apig.override("requestAuth", lambda event, context: _raise("Unauthorized")):
        answer(apig.get("/Prod/open-request"), 401, b'{"message":"Unauthorized"}', "UnauthorizedException")
    assert calls(apig, "requestAuth") == 1


def _raise(message: str) -> Any:
    raise Exception(message)


# The input events (reference 7.4, companion C.5)


def test_token_event_is_type_token_and_method_arn(apig: Harness) -> None:
    assert apig.get("/Prod/orders", headers=bearer("alice")).status == 200
    event = apig.invocations_of("tokenAuth")[-1].event
    assert event == {
        "type": "TOKEN",
        "authorizationToken": "Bearer alice",
        "methodArn": f"arn:aws:execute-api:us-east-1:123456789012:{_api_id(apig)}/Prod/GET/orders",
    }


def test_request_event_carries_the_request_as_the_proxy_event_does_without_a_body(apig: Harness) -> None:
    response = apig.get("/Prod/items/42?tenant=acme", headers={"X-User": "carol"})
    assert response.status == 200, response.text
    event = apig.invocations_of("requestAuth")[-1].event
    proxy = response.json()
    assert list(event)[:2] == ["type", "methodArn"]
    assert event["type"] == "REQUEST"
    assert (
        event["methodArn"] == f"arn:aws:execute-api:us-east-1:123456789012:{_api_id(apig)}/Prod/GET/items/42"
    )
    assert list(event)[2:] == [
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
    ]
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/items/{id}", "/items/42", "GET")
    assert event["headers"]["X-User"] == "carol"
    assert event["queryStringParameters"] == {"tenant": "acme"}
    assert event["multiValueQueryStringParameters"] == {"tenant": ["acme"]}
    assert event["pathParameters"] == {"id": "42"}
    assert "authorizer" not in event["requestContext"]
    assert event["requestContext"]["requestId"] == proxy["requestContext"]["requestId"]


def _api_id(apig: Harness) -> str:
    return apig.definitions.apis["shop"].id


# Outcomes (reference 7.4, companion C.3)


def test_allow_reaches_the_method_with_principal_context_and_latency(apig: Harness) -> None:
    """Companion C.2: numbers and booleans stringified, null kept, principalId and integrationLatency added."""
    response = apig.get("/Prod/orders", headers=bearer("alice"))
    assert response.status == 200, response.text
    authorizer = response.json()["requestContext"]["authorizer"]
    latency = authorizer.pop("integrationLatency")
    assert isinstance(latency, int) and latency >= 0
    assert authorizer == {
        "tier": "gold",
        "level": "3",
        "admin": "true",
        "nothing": None,
        "principalId": "alice",
    }


def test_authorizer_values_are_context_authorizer_in_templates(apig: Harness) -> None:
    """``$context.authorizer.*`` as a template reads it; here a customised gateway response's, the templates
    apig-emu renders today (an authorizer returning a key no plan knows: refused after it allowed)."""
    policy = {"Statement": {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}}
    result = {
        "principalId": "zed",
        "policyDocument": policy,
        "context": {"tier": 7},
        "usageIdentifierKey": "nope-nope-nope-nope-nope",
    }
    with apig.override("tokenAuth", lambda event, context: result):
        response = apig.get("/Prod/keyed", headers=bearer("zed"))
    assert (response.status, response.content) == (403, b'{"who":"zed","tier":"7"}')
    assert response.headers["X-Principal"] == "zed"


def test_explicit_deny_is_403_with_the_capital_m(apig: Harness) -> None:
    answer(
        apig.get("/Prod/orders", headers=bearer("mallory")),
        403,
        b'{"Message":"User is not authorized to access this resource with an explicit deny"}',
        "AccessDeniedException",
    )


def test_a_policy_that_does_not_cover_the_method_is_403_not_authorized(apig: Harness) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Action": "execute-api:Invoke",
                "Effect": "Allow",
                "Resource": "arn:aws:execute-api:*:*:*/Prod/POST/*",
            }
        ],
    }
    with apig.override("tokenAuth", lambda event, context: {"principalId": "x", "policyDocument": policy}):
        answer(
            apig.get("/Prod/orders", headers=bearer("zed")),
            403,
            b'{"Message":"User is not authorized to access this resource"}',
            "AccessDeniedException",
        )


def test_the_error_message_unauthorized_is_401(apig: Harness) -> None:
    answer(
        apig.get("/Prod/orders", headers=bearer("nobody")),
        401,
        b'{"message":"Unauthorized"}',
        "UnauthorizedException",
    )
    assert calls(apig) == 1


@pytest.mark.parametrize(
    "result",
    [
        pytest.param("raise", id="another error message"),
        pytest.param({"statusCode": 200, "body": "{}"}, id="a proxy response instead of a policy"),
        pytest.param({"principalId": "x"}, id="no policyDocument"),
        pytest.param(
            {"principalId": "x", "policyDocument": {"Statement": [{"Effect": "Maybe"}]}}, id="bad Effect"
        ),
        pytest.param("not an object", id="not an object"),
    ],
)
def test_a_broken_authorizer_is_500_with_a_null_message(apig: Harness, result: Any) -> None:
    def handler(event: Any, context: Any) -> Any:
        if result == "raise":
            raise Exception("Unauthorized: token expired")
        return result

    with apig.override("tokenAuth", handler):
        answer(
            apig.get("/Prod/orders", headers=bearer("zed")),
            500,
            b'{"message": null}',
            "AuthorizerConfigurationException",
        )


@pytest.mark.parametrize("value", [{"nested": 1}, [1, 2]], ids=["object", "array"])
def test_a_context_value_that_is_an_object_or_array_is_500(apig: Harness, value: Any) -> None:
    """Companion C.2: context values must be strings, numbers or booleans."""
    policy = {"Statement": {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}}
    result = {"principalId": "x", "policyDocument": policy, "context": {"bad": value}}
    with apig.override("tokenAuth", lambda event, context: result):
        answer(
            apig.get("/Prod/orders", headers=bearer("zed")),
            500,
            b'{"message": null}',
            "AuthorizerConfigurationException",
        )
    assert "context['bad']" in apig.exchanges[-1].error.reason


def test_customised_gateway_responses_render_the_null_message_as_null() -> None:
    from emulator.errors import AuthorizerConfigurationError
    from emulator.gateway_responses import ErrorScope, _variables

    values = _variables(AuthorizerConfigurationError("x"), ErrorScope({}))
    assert values["context.error.messageString"] == "null"


# Caching by identity source, on the clock (reference 7.4)


def test_a_cached_answer_is_reused_until_its_ttl_passes(apig: Harness) -> None:
    for _ in range(3):
        assert apig.get("/Prod/orders", headers=bearer("alice")).status == 200
    assert calls(apig) == 1
    apig.clock.advance(299)
    response = apig.get("/Prod/orders", headers=bearer("alice"))
    assert response.json()["requestContext"]["authorizer"]["integrationLatency"] == 0
    assert calls(apig) == 1
    apig.clock.advance(1)
    assert apig.get("/Prod/orders", headers=bearer("alice")).status == 200
    assert calls(apig) == 2


def test_the_cache_is_keyed_by_the_identity_source(apig: Harness) -> None:
    apig.get("/Prod/orders", headers=bearer("alice"))
    apig.get("/Prod/orders", headers=bearer("bob"))
    apig.get("/Prod/orders", headers=bearer("alice"))
    assert calls(apig) == 2


def test_a_cached_deny_is_reused_too(apig: Harness) -> None:
    for _ in range(2):
        assert apig.get("/Prod/orders", headers=bearer("mallory")).status == 403
    assert calls(apig) == 1


def test_the_classic_trap_a_policy_cached_for_one_method_denies_another(apig: Harness) -> None:
    """Reference 7.4: bob's policy names the method ARN it was asked for; cached, it is evaluated anew."""
    assert apig.get("/Prod/orders", headers=bearer("bob")).status == 200
    answer(
        apig.post("/Prod/orders", headers=bearer("bob")),
        403,
        b'{"Message":"User is not authorized to access this resource"}',
        "AccessDeniedException",
    )
    assert calls(apig) == 1
    apig.clock.advance(300)
    assert apig.post("/Prod/orders", headers=bearer("bob")).status == 200


def test_ttl_zero_calls_the_authorizer_every_time(apig: Harness) -> None:
    for _ in range(3):
        assert apig.get("/Prod/uncached", headers=bearer("alice")).status == 200
    assert calls(apig) == 3


def test_request_authorizer_caches_by_all_its_sources(apig: Harness) -> None:
    apig.get("/Prod/items/1?tenant=acme", headers={"X-User": "carol"})
    apig.get("/Prod/items/2?tenant=acme", headers={"X-User": "carol"})
    response = apig.get("/Prod/items/1?tenant=other", headers={"X-User": "carol"})
    assert response.json()["requestContext"]["authorizer"]["principalId"] == "carol@other"
    assert calls(apig, "requestAuth") == 2


def test_a_request_authorizer_without_sources_is_never_cached_a_decision(tmp_path: Path) -> None:
    """A decision: AWS refuses caching without identity sources; served, one caller's answer must not be
    everyone's, so the function is asked every time."""
    scheme = {
        "type": "apiKey",
        "name": "Unused",
        "in": "header",
        "x-amazon-apigateway-authtype": "custom",
        "x-amazon-apigateway-authorizer": {"type": "request", "authorizerUri": FN.format("requestAuth")},
    }
    document = {
        "openapi": "3.0.1",
        "info": {"title": "shop", "version": "1"},
        "components": {"securitySchemes": {"who": scheme}},
        "paths": {
            "/items": {
                "get": {
                    "security": [{"who": []}],
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "httpMethod": "POST",
                        "uri": ECHO,
                    },
                }
            }
        },
    }
    (tmp_path / "api.json").write_text(json.dumps(document))
    (tmp_path / "apig.yaml").write_text(
        "apis:\n  shop: {openapi: api.json, stages: {Prod: {}}}\n"
        "functions:\n  requestAuth: {handler: authorizers.request}\n  echoEvent: {handler: cases.echo_event}\n"
    )
    with Harness(tmp_path / "apig.yaml", code_dir=LAMBDAS) as apig:
        principals = [
            apig.get(f"/Prod/items?tenant={tenant}", headers={"X-User": "u"}).json()["requestContext"][
                "authorizer"
            ]["principalId"]
            for tenant in ("a", "b")
        ]
        assert principals == ["u@a", "u@b"]
        assert calls(apig, "requestAuth") == 2


def test_unauthorized_is_not_cached_a_decision(apig: Harness) -> None:
    """A decision (AWS unrecorded): only policies are cached; an ``Unauthorized`` asks again next time."""
    apig.get("/Prod/orders", headers=bearer("nobody"))
    apig.get("/Prod/orders", headers=bearer("nobody"))
    assert calls(apig) == 2


# usageIdentifierKey: the API key of an API whose key source is AUTHORIZER (reference 7.2)


def test_usage_identifier_key_is_the_api_key_of_an_authorizer_key_source(apig: Harness) -> None:
    response = apig.get("/Prod/keyed", headers=bearer("alice"))
    assert response.status == 200, response.text
    assert response.json()["requestContext"]["identity"]["apiKey"] == KEY


def test_an_unknown_usage_identifier_key_is_403_forbidden(apig: Harness) -> None:
    policy = {"Statement": {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}}
    result = {"principalId": "x", "policyDocument": policy, "usageIdentifierKey": "nope-nope-nope-nope-nope"}
    with apig.override("tokenAuth", lambda event, context: result):
        response = apig.get("/Prod/keyed", headers=bearer("zed"))
    # The API customises INVALID_API_KEY (above); its status and error type stay AWS's.
    assert response.status == 403
    assert response.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert b"nope" not in response.content


# What the log and the inspector get


def test_the_authorizer_invocation_is_recorded_before_the_integrations(apig: Harness) -> None:
    apig.get("/Prod/orders", headers=bearer("alice"))
    assert [invocation.function for invocation in apig.invocations] == ["tokenAuth", "echoEvent"]
    exchange = apig.exchanges[-1]
    assert exchange.authorizer_invocation is not None
    assert exchange.authorizer_function is not None and exchange.authorizer_function.name == "tokenAuth"
    shown = record_json(1, 0.0, exchange, replayable=False, replay_of=None)["authorizer"]
    assert shown["function"] == "tokenAuth"
    assert shown["event"]["authorizationToken"] == "Bearer alice"
    assert json.loads(shown["answer"])["principalId"] == "alice"
    arn = f"arn:aws:execute-api:us-east-1:123456789012:{_api_id(apig)}/Prod/GET/orders"
    assert (
        exchange.authorization
        == f"allowed by the Lambda authorizer 'tok' (invoked): principal 'alice', {arn}"
    )
    apig.get("/Prod/orders", headers=bearer("alice"))
    again = record_json(2, 0.0, apig.exchanges[-1], replayable=False, replay_of=None)
    assert again["authorizer"] is None
    assert (
        again["authorization"]
        == f"allowed by the Lambda authorizer 'tok' (cached answer): principal 'alice', {arn}"
    )


def test_the_inspector_shows_why_a_request_was_refused(apig: Harness) -> None:
    apig.get("/Prod/orders", headers=bearer("mallory"))
    shown = record_json(1, 0.0, apig.exchanges[-1], replayable=False, replay_of=None)
    assert shown["gatewayError"]["type"] == "ACCESS_DENIED"
    assert "principal 'mallory'" in shown["gatewayError"]["reason"]
    assert "explicit deny" in shown["gatewayError"]["reason"]
    assert shown["authorization"].startswith(
        "refused by the Lambda authorizer 'tok': authorizer 'tok': principal"
    )


def test_the_log_shows_the_authorizers_lines_before_the_integrations(
    apig: Harness, captured: Captured
) -> None:
    def started() -> list[str]:
        return [
            r.getMessage().split(" ")[0] for r in captured.records if " START RequestId" in r.getMessage()
        ]

    apig.get("/Prod/orders", headers=bearer("alice"))
    assert started() == ["tokenAuth", "echoEvent"]
    apig.get("/Prod/orders", headers=bearer("alice"))
    assert started() == ["tokenAuth", "echoEvent", "echoEvent"]  # the cached answer invoked nothing
