"""Stage- and method-level throttling (AWS's method settings): every caller of a method shares its bucket,
with an API key or without, and a method's own setting wins over its stage's default (reference 7.2).

Each method of a stage has a bucket of its own, also under the stage's default; AWS documents the
default as applying to each method, but the sharing is not recorded: these tests pin that decision.
"""

from __future__ import annotations

from emulator.testing import Harness

CONFIG = """
apis:
  shop:
    stages:
      Prod:
        throttle: {rate: 1, burst: 2}
        method_throttle:
          "GET /items/{id}": {rate: 5, burst: 1}
          "POST /items": {rate: 0, burst: 0}
      Free: {}
mocks:
  ok:
    status: 200
    body: '{"ok": true}'
    triggers:
      - {api: shop, resource: /items, method: GET}
      - {api: shop, resource: /items, method: POST}
      - {api: shop, resource: "/items/{id}", method: GET}
      - {api: shop, resource: /other, method: GET}
"""


def statuses(harness: Harness, method: str, path: str, count: int) -> list[int]:
    return [harness.request(method, path).status_code for _ in range(count)]


def test_reference_7_2_the_stage_default_throttles_with_429_too_many_requests(harness: Harness) -> None:
    assert statuses(harness, "GET", "/Prod/items", 3) == [200, 200, 429]
    refused = harness.get("/Prod/items")
    assert refused.content == b'{"message":"Too Many Requests"}'
    assert refused.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    harness.clock.advance(1)
    assert statuses(harness, "GET", "/Prod/items", 2) == [200, 429]


def test_pinned_decision_each_method_has_its_own_bucket_under_the_stage_default(harness: Harness) -> None:
    assert statuses(harness, "GET", "/Prod/items", 3) == [200, 200, 429]
    assert statuses(harness, "GET", "/Prod/other", 3) == [200, 200, 429]


def test_a_methods_own_setting_wins_over_the_stage_default(harness: Harness) -> None:
    assert statuses(harness, "GET", "/Prod/items/1", 2) == [200, 429]
    harness.clock.advance(0.2)
    assert statuses(harness, "GET", "/Prod/items/2", 2) == [200, 429]
    # A burst of 0 shuts the method: AWS's way to turn a method off without redeploying.
    assert statuses(harness, "POST", "/Prod/items", 1) == [429]


def test_a_stage_without_settings_is_not_throttled(harness: Harness) -> None:
    assert statuses(harness, "GET", "/Free/items", 50) == [200] * 50
