"""The YAML's Lambda authorizers (an api's ``authorizers:``, a trigger's ``authorizer:``): read into the model
with API Gateway's meaning, served end to end, and every mistake named with its file, key and line."""

from __future__ import annotations

import textwrap

import pytest

from emulator.config import ConfigErrors
from emulator.model import Authorizer
from emulator.testing import Harness, definitions_from_yaml
from tests.conftest import LAMBDAS

GOOD = """
apis:
  shop:
    stages: {Prod: {}}
    authorizers:
      bearer: {function: tokenAuth, validation_expression: "^Bearer [a-z]+$"}
      tenant:
        type: request
        function: requestAuth
        identity_source: method.request.header.X-User, method.request.querystring.tenant
        ttl: 60
functions:
  tokenAuth: {handler: authorizers.token}
  requestAuth: {handler: authorizers.request}
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: /orders, method: GET, proxy: true, authorizer: bearer}
      - {api: shop, resource: /items, method: GET, proxy: true, authorizer: tenant}
      - {api: shop, resource: /open, method: GET, proxy: true}
"""


def errors(text: str) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        definitions_from_yaml(textwrap.dedent(text), code_dir=LAMBDAS, source="apig.yaml")
    return [str(error) for error in info.value.errors]


def test_the_yaml_authorizers_load_as_api_gateway_stores_them() -> None:
    shop = definitions_from_yaml(GOOD, code_dir=LAMBDAS).apis["shop"]
    bearer, tenant = shop.authorizers["bearer"], shop.authorizers["tenant"]
    assert (bearer.type, bearer.function, bearer.identity_source, bearer.result_ttl_seconds) == (
        "TOKEN",
        "tokenAuth",
        "method.request.header.Authorization",
        300,
    )
    assert bearer.identity_validation_expression == "^Bearer [a-z]+$"
    assert isinstance(tenant, Authorizer) and (tenant.type, tenant.result_ttl_seconds) == ("REQUEST", 60)
    assert tenant.identity_source == "method.request.header.X-User, method.request.querystring.tenant"
    orders = shop.resources["/orders"].methods["GET"]
    assert (orders.authorization_type, orders.authorizer) == ("CUSTOM", "bearer")
    assert shop.resources["/open"].methods["GET"].authorization_type == "NONE"


def test_a_yaml_authorizer_is_enforced() -> None:
    with Harness(definitions_from_yaml(GOOD, code_dir=LAMBDAS)) as apig:
        assert apig.get("/Prod/orders").status == 401
        assert apig.get("/Prod/orders", headers={"Authorization": "Bearer mallory"}).status == 403
        ok = apig.get("/Prod/orders", headers={"Authorization": "Bearer alice"})
        assert ok.json()["requestContext"]["authorizer"]["principalId"] == "alice"
        assert apig.get("/Prod/items").status == 401
        item = apig.get("/Prod/items?tenant=acme", headers={"X-User": "carol"})
        assert item.json()["requestContext"]["authorizer"]["principalId"] == "carol@acme"


BASE = """
apis:
  shop:
    stages: {Prod: {}}
    authorizers:
AUTHORIZERS
functions:
  tokenAuth: {handler: authorizers.token}
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: /orders, method: GET, proxy: true, authorizer: TRIGGER}
"""


def broken(authorizers: str, trigger: str = "bearer") -> list[str]:
    return errors(BASE.replace("AUTHORIZERS", authorizers).replace("TRIGGER", trigger))


def test_a_trigger_naming_an_unknown_authorizer_is_an_error_at_its_line() -> None:
    assert broken("      bearer: {function: tokenAuth}", "bearr") == [
        "apig.yaml:12: functions.echo.triggers[0].authorizer: api 'shop' has no Lambda authorizer 'bearr' "
        "(did you mean 'bearer'?); its authorizers: bearer"
    ]


def test_an_authorizer_naming_an_unknown_function_is_an_error_at_its_line() -> None:
    assert broken("      bearer: {function: tokenAuht}") == [
        "apig.yaml:6: apis.shop.authorizers.bearer: authorizer 'bearer' names no function 'tokenAuht' "
        "(did you mean 'tokenAuth'?); the functions are: echo, tokenAuth"
    ]


@pytest.mark.parametrize(
    ("authorizers", "message"),
    [
        (
            "      bearer: {function: tokenAuth, type: cognito}",
            "apig.yaml:6: apis.shop.authorizers.bearer.type: unknown authorizer type 'cognito'; expected TOKEN or "
            "REQUEST",
        ),
        (
            "      bearer: {function: tokenAuth, type: REQUEST}",
            "apig.yaml:6: apis.shop.authorizers.bearer: the REQUEST authorizer 'bearer' caches its answers (ttl "
            "300) by its identity_source, which is missing; name the sources, or set ttl: 0",
        ),
        (
            "      bearer: {function: tokenAuth, identity_source: method.request.querystring.t}",
            "apig.yaml:6: apis.shop.authorizers.bearer.identity_source: a TOKEN authorizer's identity_source is "
            "one header: method.request.header.NAME",
        ),
        (
            "      bearer: {function: tokenAuth, type: REQUEST, identity_source: header.X}",
            "apig.yaml:6: apis.shop.authorizers.bearer.identity_source: identity source 'header.X' is none of "
            "method.request.header.NAME, method.request.querystring.NAME, stageVariables.NAME, context.NAME",
        ),
        (
            "      bearer: {function: tokenAuth, validation_expression: '^Bearer ('}",
            "apig.yaml:6: apis.shop.authorizers.bearer.validation_expression: validation_expression is not a "
            "valid regular expression: missing ), unterminated subpattern at position 8",
        ),
        (
            "      bearer: {function: tokenAuth, ttl: 4000}",
            "apig.yaml:6: apis.shop.authorizers.bearer.ttl: expected an integer from 0 to 3600, got 4000",
        ),
    ],
    ids=["type", "request without sources", "token from a query", "unknown source", "bad regex", "ttl"],
)
def test_a_broken_authorizer_is_an_error_at_its_key(authorizers: str, message: str) -> None:
    found = broken(authorizers)
    assert found[0] == message
