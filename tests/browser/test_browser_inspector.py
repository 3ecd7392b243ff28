"""The inspector in a real browser: it loads, shows new requests as they happen, explains CORS, and replays."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.browser.support import ARTIFACTS, Served

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'"
)
expect = sync_api.expect

PAGE_ORIGIN = "http://localhost:8080"


def test_inspector_shows_live_requests_verdicts_and_replays(page: Any, api: Served) -> None:
    page.goto(api.url + "/_emu/")
    routes = page.locator("#routes tbody")
    expect(routes).to_contain_text(f"{api.url}/Prod/greet")
    expect(routes).to_contain_text("mock")
    expect(page.locator("#status")).to_have_text("live")

    # Requests made while the page is open appear on their own, newest first.
    requests.post(api.url + "/Prod/greet", json={"name": "Ann"}, headers={"Origin": PAGE_ORIGIN}, timeout=5)
    requests.get(api.url + "/Prod/nocors", headers={"Origin": PAGE_ORIGIN}, timeout=5)
    newest = page.locator("#invocations > li").first
    expect(newest.locator(".path")).to_have_text("/Prod/nocors")
    expect(newest.locator(".verdict")).to_have_text("✖ browser blocks")
    second = page.locator("#invocations > li").nth(1)
    expect(second.locator(".path")).to_have_text("/Prod/greet")
    expect(second.locator(".verdict")).to_have_text("✔ browser can read")

    newest.locator(".summary").click()
    expect(newest.locator(".cors-verdict")).to_have_text(
        f"CORS: a browser on {PAGE_ORIGIN} would block this: no Access-Control-Allow-Origin"
    )
    expect(newest.locator(".details")).to_contain_text("Response")
    second.locator(".summary").click()
    expect(second.locator(".details")).to_contain_text('"name": "Ann"')  # the event the function got

    # Replay sends the same request again: a new entry, marked, that the server really answered.
    before = len(api.answered("GET", "/Prod/nocors"))
    replayed_id = newest.get_attribute("data-id")
    newest.locator("button.replay").click()
    top = page.locator("#invocations > li").first
    expect(top.locator(".replay-of")).to_have_text(re.compile(rf"replay of #{replayed_id}$"))
    expect(top.locator(".path")).to_contain_text("/Prod/nocors")
    assert len(api.answered("GET", "/Prod/nocors")) == before + 1

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inspector.png"), full_page=True)


def test_a_gateway_error_that_reached_no_function_is_shown(page: Any, api: Served) -> None:
    page.goto(api.url + "/_emu/")
    expect(page.locator("#status")).to_have_text("live")
    requests.delete(api.url + "/Prod/greet", headers={"Origin": PAGE_ORIGIN}, timeout=5)
    newest = page.locator("#invocations > li").first
    expect(newest.locator(".path")).to_have_text("/Prod/greet")
    expect(newest.locator(".status-code")).to_have_text("403")
    newest.locator(".summary").click()
    expect(newest.locator(".gateway-error")).to_contain_text("MISSING_AUTHENTICATION_TOKEN")
