"""The inspector in a real browser: it loads, shows new requests as they happen, explains CORS, and replays."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from emulator.table import route_rows
from tests.browser.support import ARTIFACTS, Served

#: Slow: drives a browser.
pytestmark = pytest.mark.slow

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


def routes_shown(page: Any) -> list[list[str]]:
    """The route table's cells as they are now, without waiting for anything to change them."""
    cells: list[list[str]] = page.eval_on_selector_all(
        "#routes tbody tr", "rows => rows.map(row => [...row.cells].map(cell => cell.textContent))"
    )
    return cells


def test_the_route_table_is_in_the_first_response(browser: Any, api: Served) -> None:
    # Without JavaScript the page is exactly what the first response painted.
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(api.url + "/_emu/")
        rows = routes_shown(page)
        assert len(rows) == len(route_rows(api.gateway.deployment.definitions, api.url))
        greet = [row[:5] for row in rows if row[:2] == ["POST", f"{api.url}/Prod/greet"]]
        assert greet == [["POST", f"{api.url}/Prod/greet", "lambda (non-proxy)", "echo", "yes"]]
        expect(page.locator("#routes")).to_be_visible()
        expect(page.locator("#status")).not_to_have_text("connecting…")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "inspector-first-paint.png"), full_page=True)
    finally:
        context.close()


def test_the_route_table_shows_while_the_live_updates_are_blocked(page: Any, api: Served) -> None:
    asked: list[str] = []

    def block(route: Any) -> None:
        asked.append(route.request.url)
        route.abort()

    page.route("**/_emu/api/**", block)
    page.goto(api.url + "/_emu/", wait_until="domcontentloaded")
    rows = routes_shown(page)  # read at once: nothing that comes later can have filled it
    assert len(rows) == len(route_rows(api.gateway.deployment.definitions, api.url))
    assert [f"{api.url}/Prod/orders", "mock", "(orders)"] in [row[1:4] for row in rows]
    # The page still tries to go live, and says so when it cannot; the table stays.
    expect(page.locator("#status")).to_have_text("emulator not reachable — retrying")
    assert routes_shown(page) == rows
    assert not any("/_emu/api/routes" in url for url in asked)


def test_a_gateway_error_that_reached_no_function_is_shown(page: Any, api: Served) -> None:
    page.goto(api.url + "/_emu/")
    expect(page.locator("#status")).to_have_text("live")
    requests.delete(api.url + "/Prod/greet", headers={"Origin": PAGE_ORIGIN}, timeout=5)
    newest = page.locator("#invocations > li").first
    expect(newest.locator(".path")).to_have_text("/Prod/greet")
    expect(newest.locator(".status-code")).to_have_text("403")
    newest.locator(".summary").click()
    expect(newest.locator(".gateway-error")).to_contain_text("MISSING_AUTHENTICATION_TOKEN")
