"""API keys and usage plans over HTTP (reference 7.2 and companion D): the key a method requires, the
usage plan it is used through, and the plan's throttle and quota, with time from the harness's clock.

Bodies and ``x-amzn-ErrorType`` values for 403 and 429 come from user reports and AWS's documentation,
not from a recording (companion D.2); the 403 itself is recorded (D.1).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator.clock import ManualClock
from emulator.context import RequestContext
from emulator.deployment import deploy
from emulator.inspector.recorder import Recorder
from emulator.key_listing import HEADING, format_api_keys
from emulator.model import Throttle
from emulator.testing import Harness
from emulator.testing.client import GatewayResponseView
from tests.conftest import ROOT, MakeHarness, inspector_client
from tests.live import start_server

VALUE = "abcdefghij0123456789"
OTHER = "zyxwvutsrq9876543210"
DISABLED = "disabled-key-0123456789"
STRANGER = "stranger-key-0123456789"

CONFIG = f"""
apis:
  shop:
    stages:
      Prod: {{}}
      Beta: {{}}
api_keys:
  partner: {{value: {VALUE}, enabled: true}}
  second: {{value: {OTHER}}}
  retired: {{value: {DISABLED}, enabled: false}}
  stranger: {{value: {STRANGER}}}
usage_plans:
  basic:
    stages: [{{api: shop, stage: Prod}}]
    throttle: {{rate: 10, burst: 5}}
    quota: {{limit: 1000, period: DAY}}
    keys: [partner, second, retired]
  beta_only:
    stages: [{{api: shop, stage: Beta}}]
    keys: [stranger]
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {{api: shop, resource: /orders, method: GET, proxy: true, api_key_required: true}}
      - {{api: shop, resource: /open, method: GET, proxy: true}}
"""

FORBIDDEN = b'{"message":"Forbidden"}'
TOO_MANY = b'{"message":"Too Many Requests"}'
LIMIT = b'{"message":"Limit Exceeded"}'


def identity(response: GatewayResponseView) -> dict[str, Any]:
    """The ``requestContext.identity`` of the proxy event that ``cases.echo_event`` sent back."""
    return json.loads(response.content)["requestContext"]["identity"]  # type: ignore[no-any-return]


def assert_forbidden(response: GatewayResponseView) -> None:
    assert response.status_code == 403
    assert response.content == FORBIDDEN
    assert response.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert response.headers["Content-Type"] == "application/json"


def test_reference_7_2_no_key_is_403_forbidden_and_no_function_runs(harness: Harness) -> None:
    assert_forbidden(harness.get("/Prod/orders"))
    assert harness.invocations == []


def test_reference_7_2_an_unknown_key_is_403(harness: Harness) -> None:
    assert_forbidden(harness.get("/Prod/orders", headers={"x-api-key": "not-a-key-of-this-config"}))


def test_reference_7_2_a_disabled_key_is_403(harness: Harness) -> None:
    assert_forbidden(harness.get("/Prod/orders", headers={"x-api-key": DISABLED}))


def test_reference_7_2_a_key_in_no_plan_of_this_stage_is_403(harness: Harness) -> None:
    assert_forbidden(harness.get("/Prod/orders", headers={"x-api-key": STRANGER}))
    assert harness.get("/Beta/orders", headers={"x-api-key": STRANGER}).status_code == 200


def test_companion_d1_a_valid_key_is_served_and_named_in_the_event(harness: Harness) -> None:
    response = harness.get("/Prod/orders", headers={"X-API-Key": VALUE})
    assert response.status_code == 200
    assert identity(response)["apiKey"] == VALUE
    assert identity(response)["apiKeyId"] == harness.definitions.api_keys["partner"].id
    assert identity(response)["sourceIp"]


def test_a_method_without_api_key_required_ignores_keys(harness: Harness) -> None:
    """The key is read only where the method requires one; elsewhere the identity has no apiKey (A.9)."""
    response = harness.get("/Prod/open", headers={"x-api-key": "nonsense"})
    assert response.status_code == 200
    assert "apiKey" not in identity(response)


def test_reference_7_2_the_plans_throttle_is_a_token_bucket_per_key(harness: Harness) -> None:
    clock = harness.clock
    statuses = [harness.get("/Prod/orders", headers={"x-api-key": VALUE}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    throttled = harness.get("/Prod/orders", headers={"x-api-key": VALUE})
    assert throttled.content == TOO_MANY
    assert throttled.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    # Another key of the same plan has a bucket of its own.
    assert harness.get("/Prod/orders", headers={"x-api-key": OTHER}).status_code == 200
    # 10 per second: a tenth of a second gives back one token, not two.
    clock.advance(0.1)
    assert harness.get("/Prod/orders", headers={"x-api-key": VALUE}).status_code == 200
    assert harness.get("/Prod/orders", headers={"x-api-key": VALUE}).status_code == 429
    # A long pause fills the bucket to its burst, not beyond.
    clock.advance(60)
    statuses = [harness.get("/Prod/orders", headers={"x-api-key": VALUE}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


QUOTA = f"""
apis:
  shop: {{}}
api_keys:
  partner: {{value: {VALUE}}}
usage_plans:
  small:
    stages: [{{api: shop, stage: Prod}}]
    quota: {{limit: 3, period: PERIOD}}
    keys: [partner]
mocks:
  ok:
    status: 200
    body: '{{"ok": true}}'
    triggers:
      - {{api: shop, resource: /ping, method: GET, api_key_required: true}}
"""


def used(apig: Harness, count: int) -> list[int]:
    return [apig.get("/Prod/ping", headers={"x-api-key": VALUE}).status_code for _ in range(count)]


@pytest.mark.parametrize(
    ("period", "start", "same_period", "next_period"),
    [
        # DAY: midnight UTC.
        ("DAY", datetime(2026, 3, 4, 9, 0), datetime(2026, 3, 4, 23, 59, 59), datetime(2026, 3, 5, 0, 0)),
        # WEEK: Sunday midnight UTC (2026-03-04 is a Wednesday, 03-08 a Sunday).
        ("WEEK", datetime(2026, 3, 4, 9, 0), datetime(2026, 3, 7, 23, 59), datetime(2026, 3, 8, 0, 0)),
        # MONTH: the 1st, midnight UTC.
        ("MONTH", datetime(2026, 2, 3, 9, 0), datetime(2026, 2, 28, 23, 59), datetime(2026, 3, 1, 0, 0)),
    ],
)
def test_reference_7_2_the_quota_is_429_limit_exceeded_until_the_next_period(
    make_harness: MakeHarness, period: str, start: datetime, same_period: datetime, next_period: datetime
) -> None:
    clock = ManualClock(start.replace(tzinfo=timezone.utc))
    apig = make_harness(QUOTA.replace("PERIOD", period), clock=clock)
    assert used(apig, 3) == [200, 200, 200]
    exceeded = apig.get("/Prod/ping", headers={"x-api-key": VALUE})
    assert exceeded.status_code == 429
    assert exceeded.content == LIMIT
    assert exceeded.headers["x-amzn-ErrorType"] == "LimitExceededException"
    clock.set(same_period.replace(tzinfo=timezone.utc))
    assert used(apig, 1) == [429]
    clock.set(next_period.replace(tzinfo=timezone.utc))
    assert used(apig, 4) == [200, 200, 200, 429]


def test_the_quota_offset_counts_against_the_first_period_only(make_harness: MakeHarness) -> None:
    clock = ManualClock(datetime(2026, 3, 4, 9, 0, tzinfo=timezone.utc))
    config = QUOTA.replace("PERIOD", "DAY").replace("limit: 3,", "limit: 3, offset: 2,")
    apig = make_harness(config, clock=clock)
    assert used(apig, 2) == [200, 429]
    clock.advance(24 * 3600)
    assert used(apig, 4) == [200, 200, 200, 429]


def test_a_throttled_request_does_not_use_quota(make_harness: MakeHarness) -> None:
    config = QUOTA.replace("PERIOD", "DAY").replace(
        "    quota:", "    throttle: {rate: 1, burst: 1}\n    quota:"
    )
    apig = make_harness(config)
    assert used(apig, 3) == [200, 429, 429]
    apig.clock.advance(1)
    assert used(apig, 1) == [200]
    apig.clock.advance(1)
    assert used(apig, 1) == [200]
    apig.clock.advance(1)
    assert used(apig, 1) == [429]
    assert apig.exchanges[-1].response.body == LIMIT


def test_a_key_the_config_disables_is_refused_after_a_reload_of_the_definitions(
    make_harness: MakeHarness,
) -> None:
    """AWS's recorded sequence (D.1): 403 without a key, 200 with it, 403 once the key is disabled."""
    apig = make_harness(CONFIG)
    assert apig.get("/Prod/orders").status_code == 403
    assert apig.get("/Prod/orders", headers={"x-api-key": VALUE}).status_code == 200
    keys = dict(apig.definitions.api_keys)
    keys["partner"] = replace(keys["partner"], enabled=False)
    apig.gateway.deployment = deploy(replace(apig.definitions, api_keys=keys))
    assert_forbidden(apig.get("/Prod/orders", headers={"x-api-key": VALUE}))


def test_the_worked_example_serves_a_partner_by_its_key() -> None:
    """config/access/partners.yaml with handlers_example/partners.py, as the README shows them."""
    with Harness(ROOT / "config" / "access" / "partners.yaml", code_dir=ROOT) as apig:
        assert_forbidden(apig.get("/Prod/partner/orders"))
        assert_forbidden(apig.get("/Prod/partner/orders", headers={"x-api-key": "retired-key-0123456789"}))
        served = apig.get("/Prod/partner/orders", headers={"x-api-key": VALUE})
        assert served.json() == {"apiKeyId": apig.definitions.api_keys["partner"].id, "orders": []}
        statuses = [apig.get("/Prod/partner/orders", headers={"x-api-key": VALUE}).status for _ in range(5)]
        assert statuses == [200, 200, 200, 200, 429]
        apig.clock.advance(0.5)
        assert apig.get("/Prod/partner/orders", headers={"x-api-key": VALUE}).status == 200


AUTHORIZER_SOURCE = f"""
apis:
  shop:
    api_key_source: AUTHORIZER
    stages:
      Prod: {{}}
api_keys:
  partner: {{value: {VALUE}}}
usage_plans:
  basic:
    stages: [{{api: shop, stage: Prod}}]
    keys: [partner]
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {{api: shop, resource: /orders, method: GET, proxy: true, api_key_required: true}}
"""


def test_reference_7_2_with_the_authorizer_source_the_key_is_the_authorizers_usage_identifier_key(
    make_harness: MakeHarness,
) -> None:
    """The Lambda authorizer check fills ``usage_identifier_key``; a stand-in step plays it here, and the
    header is then not read at all."""
    apig = make_harness(AUTHORIZER_SOURCE)

    async def authorizer(ctx: RequestContext) -> None:
        assert ctx.request is not None
        ctx.usage_identifier_key = ctx.request.header("x-usage-key")

    chain = apig.gateway.chain
    apig.gateway.chain = (*chain[:2], authorizer, *chain[2:])
    assert_forbidden(apig.get("/Prod/orders", headers={"x-api-key": VALUE}))
    assert_forbidden(apig.get("/Prod/orders", headers={"x-usage-key": "not-the-partners-key-at-all"}))
    served = apig.get("/Prod/orders", headers={"x-usage-key": VALUE})
    assert served.status_code == 200
    assert identity(served)["apiKey"] == VALUE


def test_serve_lists_each_key_with_its_value_plan_and_limits(harness: Harness) -> None:
    """A value SAM or serverless.yml left to AWS is derived locally: the list is where it is found."""
    assert format_api_keys(harness.definitions).splitlines() == [
        HEADING,
        f"  partner   {VALUE}     plan basic (shop/Prod): 10/s, burst 5, 1000 per day",
        f"  second    {OTHER}     plan basic (shop/Prod): 10/s, burst 5, 1000 per day",
        f"  retired   {DISABLED}  disabled: refused with 403",
        f"  stranger  {STRANGER}  plan beta_only (shop/Beta)",
    ]


BOTH = """
openapi: 3.0.1
info: {title: shop, version: "1"}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
    pool:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Local1"]
paths:
  /orders:
    get:
      security: [{pool: [], api_key: []}]
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:echo/invocations
"""

BOTH_BINDING = f"""
apis:
  shop:
    openapi: shop.openapi.yaml
    stages:
      Prod: {{throttle: {{rate: 1, burst: 3}}}}
api_keys:
  partner: {{value: {VALUE}}}
usage_plans:
  basic:
    stages: [{{api: shop, stage: Prod}}]
    keys: [partner]
functions:
  echo: {{handler: cases.echo_event}}
"""


def test_the_authorizer_decides_before_the_api_key_and_the_stage_throttle_before_both(
    make_harness: MakeHarness, tmp_path: Path
) -> None:
    """The design's order (AWS's is not recorded): throttle, the method's authorization, then the key."""
    (tmp_path / "shop.openapi.yaml").write_text(BOTH)
    apig = make_harness(BOTH_BINDING)
    token = {"Authorization": apig.token("alice")}
    unauthorized = apig.get("/Prod/orders", headers={"x-api-key": VALUE})
    assert (unauthorized.status_code, unauthorized.content) == (401, b'{"message":"Unauthorized"}')
    assert_forbidden(apig.get("/Prod/orders", headers=token))
    served = apig.get("/Prod/orders", headers={**token, "x-api-key": VALUE})
    assert served.status_code == 200
    decision = apig.exchanges[-1].authorization or ""
    assert decision.startswith("allowed by the ")
    assert decision.endswith(
        "; API key 'partner' accepted (the x-api-key header), through usage plan 'basic'"
    )
    assert identity(served)["apiKey"] == VALUE
    assert served.json()["requestContext"]["authorizer"]["claims"]["sub"] == "alice"
    # Three requests drew the stage's three tokens: the fourth is throttled, however good its credentials.
    assert apig.get("/Prod/orders", headers={**token, "x-api-key": VALUE}).status_code == 429


def test_auth_off_serves_a_key_requiring_method_without_a_key_and_says_so(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    apig = make_harness(CONFIG, auth="off")
    with caplog.at_level(logging.WARNING, logger="apig_emu.auth"):
        assert apig.get("/Prod/orders").status_code == 200
        assert apig.get("/Prod/orders").status_code == 200
    assert [record.getMessage() for record in caplog.records] == [
        "api 'shop' GET /orders: the API key check is OFF; requests are served without a key and count against "
        "no usage plan"
    ]
    assert apig.exchanges[-1].authorization == (
        "API key NOT checked (auth off): served without one, counted against no usage plan"
    )


def test_counts_outlive_a_reload_and_a_plan_whose_limits_change_starts_afresh(harness: Harness) -> None:
    """As AWS's usage outlives a redeployment; a changed limit is a new plan, not old counts judged anew."""
    key = {"x-api-key": VALUE}
    assert [harness.get("/Prod/orders", headers=key).status_code for _ in range(6)] == [200] * 5 + [429]
    harness.gateway.deployment = deploy(harness.definitions)
    assert harness.get("/Prod/orders", headers=key).status_code == 429
    plans = dict(harness.definitions.usage_plans)
    plans["basic"] = replace(plans["basic"], throttle=Throttle(10, 2))
    harness.gateway.deployment = deploy(replace(harness.definitions, usage_plans=plans))
    assert [harness.get("/Prod/orders", headers=key).status_code for _ in range(3)] == [200, 200, 429]


PER_METHOD = f"""
apis:
  shop: {{}}
api_keys:
  partner: {{value: {VALUE}}}
usage_plans:
  basic:
    stages:
      - api: shop
        stage: Prod
        method_throttle:
          "POST /orders": {{rate: 1, burst: 1}}
    throttle: {{rate: 10, burst: 3}}
    keys: [partner]
mocks:
  ok:
    status: 200
    body: '{{}}'
    triggers:
      - {{api: shop, resource: /orders, method: GET, api_key_required: true}}
      - {{api: shop, resource: /orders, method: POST, api_key_required: true}}
"""


def test_a_plans_method_throttle_is_a_bucket_of_its_own_per_key(make_harness: MakeHarness) -> None:
    """AWS's ``apiStages[].throttle``: the method's own limit for the plan's keys, beside the plan's."""
    apig = make_harness(PER_METHOD)
    key = {"x-api-key": VALUE}
    assert [apig.post("/Prod/orders", headers=key).status_code for _ in range(2)] == [200, 429]
    assert "for POST /orders: rate 1/s, burst 1" in str(apig.exchanges[-1].error)
    assert [apig.get("/Prod/orders", headers=key).status_code for _ in range(4)] == [200, 200, 200, 429]
    apig.clock.advance(1)
    assert apig.post("/Prod/orders", headers=key).status_code == 200
    assert apig.definitions.usage_plans["basic"].method_throttles == {
        ("shop", "Prod", "/orders", "POST"): Throttle(1, 1)
    }


def test_the_inspector_says_why_a_key_was_refused_or_throttled(harness: Harness) -> None:
    with inspector_client(harness, Recorder(capacity=10)) as inspector:
        inspector.get("/Prod/orders", headers={"x-api-key": DISABLED})
        for _ in range(6):
            inspector.get("/Prod/orders", headers={"x-api-key": VALUE})
        records = inspector.get("/_emu/api/invocations").json()
    throttled, disabled = records[0], records[-1]
    assert disabled["gatewayError"] == {
        "type": "INVALID_API_KEY",
        "status": 403,
        "reason": "API key 'retired' is disabled",
    }
    assert throttled["gatewayError"]["type"] == "THROTTLED"
    assert throttled["gatewayError"]["reason"] == (
        "API key 'partner' throttled by usage plan 'basic' for GET /orders: rate 10/s, burst 5"
    )
    assert (
        records[1]["event"]["requestContext"]["identity"]["apiKeyId"]
        == harness.definitions.api_keys["partner"].id
    )
    # The authorization decision says what happened, allowed or not, and why.
    assert records[1]["authorization"] == (
        "API key 'partner' accepted (the x-api-key header), through usage plan 'basic'"
    )
    assert disabled["authorization"] == "refused: API key 'retired' is disabled"
    assert throttled["authorization"] == (
        "refused: API key 'partner' throttled by usage plan 'basic' for GET /orders: rate 10/s, burst 5"
    )


@pytest.mark.slow
def test_serve_prints_the_keys_and_enforces_them_over_http(tmp_path: Path) -> None:
    """The worked example under ``apig-emu serve``: real time, a real socket."""
    server = start_server(
        tmp_path, (ROOT / "config" / "access" / "partners.yaml").read_text(), "--code-dir", str(ROOT)
    )
    try:
        refused = requests.get(server.url + "/Prod/partner/orders", timeout=10)
        served = requests.get(server.url + "/Prod/partner/orders", headers={"x-api-key": VALUE}, timeout=10)
    finally:
        server.stop()
    assert (refused.status_code, refused.content) == (403, FORBIDDEN)
    assert refused.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert served.status_code == 200
    log = server.log()
    assert HEADING in log
    assert f"  partner  {VALUE}    plan basic (shop/Prod): 10/s, burst 5, 1000 per day" in log


def test_request_times_follow_the_harness_clock(harness: Harness) -> None:
    """One clock for every decision and every timestamp: a test that moves it sees its events move too."""
    harness.clock.set(datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    context = json.loads(harness.get("/Prod/open").content)["requestContext"]
    assert (context["requestTimeEpoch"], context["requestTime"]) == (
        1893553445000,
        "02/Jan/2030:03:04:05 +0000",
    )
    harness.clock.advance(1.5)
    assert (
        json.loads(harness.get("/Prod/open").content)["requestContext"]["requestTimeEpoch"] == 1893553446500
    )


def test_the_gateway_responses_of_keys_and_limits_can_be_customised(make_harness: MakeHarness) -> None:
    """INVALID_API_KEY, THROTTLED and QUOTA_EXCEEDED are gateway response types like any other (reference 4.1)."""
    config = QUOTA.replace("PERIOD", "DAY").replace(
        "  shop: {}",
        "  shop:\n"
        "    gateway_responses:\n"
        '      INVALID_API_KEY: {status: 401, body: \'{"error": "send your key"}\'}\n'
        "      QUOTA_EXCEEDED:\n"
        "        headers: {Retry-After: \"'86400'\"}\n"
        "      DEFAULT_4XX:\n"
        "        headers: {Access-Control-Allow-Origin: \"'*'\"}",
    )
    apig = make_harness(config)
    refused = apig.get("/Prod/ping")
    assert (refused.status_code, refused.content) == (401, b'{"error": "send your key"}')
    assert refused.headers["x-amzn-ErrorType"] == "ForbiddenException"
    used(apig, 3)
    exceeded = apig.get("/Prod/ping", headers={"x-api-key": VALUE})
    assert (exceeded.status_code, exceeded.content) == (429, LIMIT)
    assert exceeded.headers["Retry-After"] == "86400"
    assert "Access-Control-Allow-Origin" not in exceeded.headers
