"""In a real browser: a page on one origin calling the emulated API on another, blocked exactly where AWS's would be.

"Blocked" is checked from both sides: the page's fetch() rejects (a TypeError, the only thing a page
learns), and the server's record shows it did answer — so the block is CORS, not a network failure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.support import Served, call

#: Slow: drives a browser.
pytestmark = pytest.mark.slow

JSON = {"Content-Type": "application/json"}


def answers(api: Served, method: str, path: str, action: Callable[[], Any]) -> tuple[Any, list[int]]:
    """Run ``action``; return its result and what the server answered to ``method path`` meanwhile."""
    before = len(api.answered(method, path))
    result = action()
    return result, api.answered(method, path)[before:]


def assert_blocked(result: dict[str, Any]) -> None:
    assert result == {"ok": False, "error": "TypeError: Failed to fetch"}


def test_cors_enabled_non_proxy_method_with_json_and_authorization(app_page: Any, api: Served) -> None:
    headers = {**JSON, "Authorization": "Bearer token"}
    result, options = answers(
        api,
        "OPTIONS",
        "/Prod/greet",
        lambda: call(app_page, api.url + "/Prod/greet", method="POST", headers=headers, body='{"a": 1}'),
    )
    assert options == [200]  # the browser preflighted: JSON and Authorization are not "simple"
    assert result["ok"] and result["status"] == 200
    assert json.loads(result["body"]) == {"a": 1}


def test_a_header_outside_the_allowed_list_is_blocked_at_the_preflight(app_page: Any, api: Served) -> None:
    before = len(api.answered("POST", "/Prod/greet"))
    result, options = answers(
        api,
        "OPTIONS",
        "/Prod/greet",
        lambda: call(
            app_page, api.url + "/Prod/greet", method="POST", headers={**JSON, "X-Custom": "1"}, body="{}"
        ),
    )
    assert_blocked(result)
    assert options == [200]  # answered, but X-Custom is not in the console's default list
    assert len(api.answered("POST", "/Prod/greet")) == before  # so the POST was never sent


def test_proxy_method_readable_only_when_the_handler_sets_allow_origin(app_page: Any, api: Served) -> None:
    ok = call(app_page, api.url + "/Prod/proxy/cors")
    assert ok["ok"] and json.loads(ok["body"]) == {"path": "/proxy/cors"}
    result, statuses = answers(
        api, "GET", "/Prod/proxy/nocors", lambda: call(app_page, api.url + "/Prod/proxy/nocors")
    )
    assert_blocked(result)
    assert statuses == [200]  # cors: true does not add the header to proxy responses, on AWS either


@pytest.mark.parametrize(("path", "status"), [("/Prod/broken", 502), ("/Prod/no/such/route", 403)])
def test_gateway_errors_are_unreadable(app_page: Any, api: Served, path: str, status: int) -> None:
    result, statuses = answers(api, "GET", path, lambda: call(app_page, api.url + path))
    assert_blocked(result)
    assert statuses == [status]


def test_a_method_without_cors_is_blocked(app_page: Any, api: Served) -> None:
    result, statuses = answers(api, "GET", "/Prod/nocors", lambda: call(app_page, api.url + "/Prod/nocors"))
    assert_blocked(result)
    assert statuses == [200]


def test_the_cors_form_options_apply_in_the_browser(app_page: Any, api: Served) -> None:
    custom = call(
        app_page,
        api.url + "/Prod/custom",
        method="PUT",
        headers={**JSON, "X-Custom": "1"},
        body='{"b": 2}',
        credentials="include",
    )
    assert custom["ok"] and json.loads(custom["body"]) == {"b": 2}
    # expose_headers makes a response header readable that a page otherwise cannot see.
    assert "x-amzn-requestid" in custom["headers"]
    plain = call(app_page, api.url + "/Prod/greet", method="POST", headers=JSON, body="{}")
    assert "x-amzn-requestid" not in plain["headers"]
    # An allow_origin naming another site fails the preflight.
    result, options = answers(
        api,
        "OPTIONS",
        "/Prod/elsewhere",
        lambda: call(app_page, api.url + "/Prod/elsewhere", method="PUT", headers=JSON, body="{}"),
    )
    assert_blocked(result)
    assert options == [200]


def test_mock_methods_follow_the_same_rules(app_page: Any, api: Served) -> None:
    mock = call(app_page, api.url + "/Prod/orders")
    assert mock["ok"] and json.loads(mock["body"]) == {"orders": [{"id": 1}]}
    result, statuses = answers(
        api, "GET", "/Prod/orders-nocors", lambda: call(app_page, api.url + "/Prod/orders-nocors")
    )
    assert_blocked(result)
    assert statuses == [200]


def test_gateway_responses_make_errors_readable(app_page: Any, api: Served) -> None:
    missing = call(app_page, api.url + "/Live/no/such/route")
    assert missing["ok"] and missing["status"] == 403
    assert json.loads(missing["body"]) == {"message": "Missing Authentication Token"}
    broken = call(app_page, api.url + "/Live/broken")
    assert broken["ok"] and broken["status"] == 502
    body = json.loads(broken["body"])
    assert body["message"] == "Internal server error"
    assert body["requestId"]


def test_the_browser_says_why(app_page: Any, api: Served) -> None:
    messages: list[str] = []
    app_page.on("console", lambda message: messages.append(message.text))
    assert_blocked(call(app_page, api.url + "/Prod/nocors"))
    app_page.wait_for_timeout(100)
    assert any(
        "blocked by CORS policy" in text and "No 'Access-Control-Allow-Origin' header" in text
        for text in messages
    ), messages
