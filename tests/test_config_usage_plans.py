"""The YAML's ``api_keys:`` and ``usage_plans:``, a stage's throttling and a trigger's ``api_key_required``:
read into the model under the issue's names, and every mistake named with its file, key and line."""

from __future__ import annotations

import textwrap

import pytest

from emulator.config import ConfigErrors
from emulator.model import Quota, Throttle
from emulator.testing import definitions_from_yaml
from tests.conftest import LAMBDAS

VALUE = "abcdefghij0123456789"

GOOD = f"""
apis:
  shop:
    api_key_source: AUTHORIZER
    stages:
      Prod:
        throttle: {{rate: 100, burst: 50}}
        method_throttle:
          "get /orders": {{rate: 2.5, burst: 1}}
api_keys:
  partner: {{value: {VALUE}, enabled: true}}
  old: {{value: {VALUE.upper()}, enabled: false}}
usage_plans:
  basic:
    stages: [{{api: shop, stage: Prod}}]
    throttle: {{rate: 10, burst: 5}}
    quota: {{limit: 1000, period: week, offset: 10}}
    keys: [partner, old]
  empty: {{}}
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {{api: shop, resource: /orders, method: GET, proxy: true, api_key_required: true}}
      - {{api: shop, resource: /open, method: GET, proxy: true}}
"""


def test_the_issues_names_load_into_the_model() -> None:
    definitions = definitions_from_yaml(GOOD, code_dir=LAMBDAS)
    shop = definitions.apis["shop"]
    assert shop.api_key_source == "AUTHORIZER"
    stage = shop.stages["Prod"]
    assert stage.throttle == Throttle(100, 50)
    assert stage.method_throttles == {("/orders", "GET"): Throttle(2.5, 1)}
    assert shop.resources["/orders"].methods["GET"].api_key_required is True
    assert shop.resources["/open"].methods["GET"].api_key_required is False
    partner, old = definitions.api_keys["partner"], definitions.api_keys["old"]
    assert (partner.value, partner.enabled, old.enabled) == (VALUE, True, False)
    assert partner.id != old.id
    plan = definitions.usage_plans["basic"]
    assert plan.stages == (("shop", "Prod"),)
    assert plan.throttle == Throttle(10, 5)
    assert plan.quota == Quota(1000, "WEEK", 10)
    assert plan.keys == ("partner", "old")
    assert definitions.usage_plans["empty"].stages == ()


def errors(text: str) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        definitions_from_yaml(textwrap.dedent(text), code_dir=LAMBDAS, source="apig.yaml")
    return [str(error) for error in info.value.errors]


BASE = """
apis:
  shop:
    stages:
      Prod: {}
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: /orders, method: GET, proxy: true, api_key_required: true}
"""


def test_a_key_value_outside_awss_length_is_an_error_at_its_line() -> None:
    assert errors(BASE + "api_keys:\n  short: {value: abc}\n") == [
        "apig.yaml:12: api_keys.short.value: an API key's value has 20 to 128 characters, as on AWS; this one has 3"
    ]


def test_a_key_needs_a_value_and_a_boolean_enabled() -> None:
    assert errors(
        BASE + "api_keys:\n  a: {enabled: true}\n  b: {value: " + VALUE + ", enabled: maybe}\n"
    ) == [
        "apig.yaml:12: api_keys.a: missing required key 'value'",
        "apig.yaml:13: api_keys.b.enabled: expected true or false, got 'maybe'",
    ]


def test_two_keys_with_one_value_are_refused() -> None:
    found = errors(BASE + f"api_keys:\n  a: {{value: {VALUE}}}\n  b: {{value: {VALUE}}}\n")
    assert found == [
        "apig.yaml:13: api_keys.b: API keys 'a' (apig.yaml:12) and 'b' have the same value; a value names one key, "
        "as on AWS"
    ]


def test_a_plan_naming_an_unknown_api_stage_or_key_is_an_error_at_each_name() -> None:
    plans = f"""api_keys:
  partner: {{value: {VALUE}}}
usage_plans:
  basic:
    stages: [{{api: shopp, stage: Prod}}, {{api: shop, stage: prod}}]
    keys: [partnr]
"""
    assert errors(BASE + plans) == [
        "apig.yaml:15: usage_plans.basic.stages[0].api: unknown api 'shopp' (did you mean 'shop'?); the choices "
        "are: shop",
        "apig.yaml:15: usage_plans.basic.stages[1].stage: unknown stage 'prod' of api 'shop' (did you mean "
        "'Prod'?); the choices are: Prod",
        "apig.yaml:16: usage_plans.basic.keys[0]: unknown API key 'partnr' (did you mean 'partner'?); the "
        "choices are: partner",
    ]


def test_a_key_in_two_plans_of_one_stage_is_refused() -> None:
    plans = f"""api_keys:
  partner: {{value: {VALUE}}}
usage_plans:
  a: {{stages: [{{api: shop, stage: Prod}}], keys: [partner]}}
  b: {{stages: [{{api: shop, stage: Prod}}], keys: [partner]}}
"""
    assert errors(BASE + plans) == [
        "apig.yaml:15: usage_plans.b.keys[0]: API key 'partner' is in usage plans 'a' (apig.yaml:14) and 'b', "
        "which both serve api 'shop' stage 'Prod'; a key may reach an API stage through one plan only"
    ]


def test_bad_throttles_and_quotas_name_the_value() -> None:
    plans = """usage_plans:
  a:
    throttle: {rate: -1, burst: 1.5}
    quota: {limit: 10, period: YEAR}
  b:
    throttle: {rate: 1}
    quota: {limit: 10, period: DAY, offset: 11}
"""
    assert errors(BASE + plans) == [
        "apig.yaml:13: usage_plans.a.throttle.rate: expected a number from 0 to 1e+06, got -1",
        "apig.yaml:13: usage_plans.a.throttle.burst: expected an integer from 0 to 1000000, got 1.5",
        "apig.yaml:14: usage_plans.a.quota.period: unknown period 'YEAR'; expected one of DAY, MONTH, WEEK",
        "apig.yaml:16: usage_plans.b.throttle: missing required key 'burst'",
        "apig.yaml:17: usage_plans.b.quota.offset: the offset (11) is more than the limit (10)",
    ]


def test_a_method_throttle_must_name_a_method_of_the_api() -> None:
    text = BASE.replace(
        "      Prod: {}",
        '      Prod:\n        method_throttle:\n          "GET /order": {rate: 1, burst: 1}\n'
        '          "/orders": {rate: 1, burst: 1}',
    )
    assert errors(text) == [
        "apig.yaml:7: apis.shop.stages.Prod.method_throttle.GET /order: api 'shop' has no method 'GET /order' "
        "(did you mean 'GET /orders'?); its methods are: GET /orders",
        "apig.yaml:8: apis.shop.stages.Prod.method_throttle./orders: '/orders' does not name a method; write the "
        "verb and the resource path, e.g. 'GET /items/{id}'",
    ]


def test_api_key_source_and_api_key_required_take_awss_values() -> None:
    text = BASE.replace("    stages:", "    api_key_source: COOKIE\n    stages:").replace(
        "api_key_required: true", "api_key_required: yes please"
    )
    assert errors(text) == [
        "apig.yaml:4: apis.shop.api_key_source: unknown value 'COOKIE'; expected one of AUTHORIZER, HEADER",
        "apig.yaml:11: functions.echo.triggers[0].api_key_required: expected true or false, got 'yes please'",
    ]


def test_a_plans_method_throttle_must_name_a_method_of_its_api() -> None:
    plans = """usage_plans:
  basic:
    stages:
      - api: shop
        stage: Prod
        method_throttle: {"POST /orders": {rate: 1, burst: 1}}
"""
    assert errors(BASE + plans) == [
        "apig.yaml:16: usage_plans.basic.stages[0].method_throttle.POST /orders: api 'shop' has no method "
        "'POST /orders' (did you mean 'GET /orders'?); its methods are: GET /orders"
    ]
