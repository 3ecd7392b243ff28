"""A page on another origin tries, in a real browser, to make the inspector replay or clear: it cannot.

What a malicious page can send without a preflight (a ``no-cors`` fetch, a submitted form) reaches the
inspector without its ``X-Apig-Emu`` header and gets a 403; adding the header makes the browser ask
first, and the inspector grants no preflight. The inspector's own page replays (its test is
``test_browser_inspector.py``).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.browser.support import Served, call

#: Slow: drives a browser.
pytestmark = pytest.mark.slow

pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")


def recorded_nocors(api: Served) -> int:
    """A recorded request to replay: a GET the test makes itself; its record's id."""
    requests.get(api.url + "/Prod/nocors", timeout=5)
    return api.recorder.records()[0].id


def test_a_page_elsewhere_cannot_replay_or_clear(app_page: Any, api: Served) -> None:
    record_id = recorded_nocors(api)
    replay_url = f"{api.url}/_emu/api/invocations/{record_id}/replay"
    runs = len(api.answered("GET", "/Prod/nocors"))

    # A simple request: sent without a preflight, its answer opaque to the page. The server refused it.
    opaque = call(app_page, replay_url, method="POST", mode="no-cors")
    assert opaque["ok"] is True and opaque["status"] == 0
    # With the header, the browser preflights first; the inspector grants nothing, so nothing is sent.
    assert call(app_page, replay_url, method="POST", headers={"X-Apig-Emu": "1"}) == {
        "ok": False,
        "error": "TypeError: Failed to fetch",
    }
    clear = call(app_page, f"{api.url}/_emu/api/invocations", method="DELETE", headers={"X-Apig-Emu": "1"})
    assert clear["ok"] is False
    assert len(api.answered("GET", "/Prod/nocors")) == runs
    assert api.recorder.get(record_id) is not None

    # A form the page submits: the browser navigates to the inspector's answer, a 403.
    with app_page.expect_navigation():
        app_page.evaluate(
            """(url) => {
                const form = document.createElement("form");
                form.method = "POST";
                form.action = url;
                document.body.append(form);
                form.submit();
            }""",
            replay_url,
        )
    assert "Forbidden" in app_page.content()
    assert len(api.answered("GET", "/Prod/nocors")) == runs


def test_the_inspectors_own_page_still_replays(page: Any, api: Served) -> None:
    record_id = recorded_nocors(api)
    runs = len(api.answered("GET", "/Prod/nocors"))
    page.goto(api.url + "/_emu/")
    row = page.locator(f'#invocations > li[data-id="{record_id}"]')
    row.locator(".summary").click()
    row.locator("button.replay").click()
    page.locator(f"#invocations .replay-of:text-matches('replay of #{record_id}$')").first.wait_for()
    assert len(api.answered("GET", "/Prod/nocors")) == runs + 1
