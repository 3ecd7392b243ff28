"""A real browser for the CORS tests: Debian's Chromium driven by Playwright, pages on one origin, the API on another.

One browser serves the whole browser suite. It is package-scoped (this folder is a package, so the
scope ends with it) rather than session-scoped because
Playwright's sync API keeps an event loop marked as running in the main thread while it is open, which
would break any later test that calls ``asyncio.run``.

The tests skip (with the reason) only when Playwright or a Chromium binary is missing; ``.ci/run``
installs both. ``APIG_EMU_CHROMIUM`` may name another Chromium-based binary.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.static import StaticSite
from tests.browser.support import Served, serve_definitions
from tests.conftest import LAMBDAS
from tests.threaded_server import ThreadedServer

#: Headless, and nothing that phones home: on a closed network Chromium's background requests fail and
#: can disturb the connections a test makes.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: ``call(url, init)`` on every test page: a fetch() whose outcome, blocked or not, comes back as data.
CALL_SCRIPT = """
window.call = async (url, init) => {
  try {
    const response = await fetch(url, init || {});
    const headers = {};
    response.headers.forEach((value, name) => { headers[name] = value; });
    return { ok: true, status: response.status, body: await response.text(), headers };
  } catch (error) {
    return { ok: false, error: error.name + ": " + error.message };
  }
};
"""


def find_chromium() -> str | None:
    for candidate in (os.environ.get("APIG_EMU_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'"
    )
    executable = find_chromium()
    if executable is None:
        pytest.skip(
            "no Chromium binary found: install Debian's 'chromium' package (apt-get install chromium), "
            "or set APIG_EMU_CHROMIUM to one; .ci/run does this"
        )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="package")
def page_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The frontend's origin: a folder with a blank page, served by the emulator's static server."""
    folder = tmp_path_factory.mktemp("frontend")
    (folder / "index.html").write_text(
        "<!doctype html><html><head><title>app</title><script src='/call.js'></script></head>"
        "<body><p id='ready'>app</p></body></html>"
    )
    (folder / "call.js").write_text(CALL_SCRIPT)
    with ThreadedServer(StaticSite(folder), plain=True) as server:
        yield server.url


def api_config(page_origin: str) -> str:
    return textwrap.dedent(
        f"""
        apis:
          shop: {{}}
          kind:
            id: kindapi123
            stages: {{Live: {{}}}}
            gateway_responses:
              DEFAULT_4XX:
                headers: {{Access-Control-Allow-Origin: "'*'"}}
              DEFAULT_5XX:
                headers: {{Access-Control-Allow-Origin: "'*'"}}
                body: '{{"message": $context.error.messageString, "requestId": "$context.requestId"}}'
        functions:
          echo:
            handler: cases.echo
            triggers:
              - {{api: shop, resource: /greet, method: POST, cors: true}}
              - {{api: shop, resource: /nocors, method: GET}}
              - api: shop
                resource: /custom
                method: PUT
                cors:
                  allow_origin: {page_origin}
                  allow_headers: [Content-Type, X-Custom]
                  allow_methods: [PUT]
                  expose_headers: [x-amzn-RequestId]
                  max_age: 600
                  allow_credentials: true
              - api: shop
                resource: /elsewhere
                method: PUT
                cors: {{allow_origin: "https://app.example.com"}}
          with_cors:
            handler: frontend.with_cors
            triggers:
              - {{api: shop, resource: /proxy/cors, method: GET, proxy: true, cors: true}}
          without_cors:
            handler: frontend.without_cors
            triggers:
              - {{api: shop, resource: /proxy/nocors, method: GET, proxy: true, cors: true}}
          malformed:
            handler: frontend.malformed
            triggers:
              - {{api: shop, resource: /broken, method: GET, proxy: true, cors: true}}
              - {{api: kind, resource: /broken, method: GET, stage: Live, proxy: true, cors: true}}
        mocks:
          orders:
            body: {{orders: [{{id: 1}}]}}
            latency_ms: 50
            triggers:
              - {{api: shop, resource: /orders, method: GET, cors: true}}
          orders-nocors:
            body: {{orders: []}}
            triggers:
              - {{api: shop, resource: /orders-nocors, method: GET}}
        """
    )


@pytest.fixture(scope="package")
def api(page_origin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    config = tmp_path_factory.mktemp("api") / "apig.yaml"
    config.write_text(api_config(page_origin))
    yield from serve_definitions(config, LAMBDAS)


@pytest.fixture
def app_page(page: Any, page_origin: str) -> Any:
    """A page loaded from the frontend's origin, ready to ``call`` the API."""
    page.goto(page_origin + "/")
    page.wait_for_selector("#ready")
    return page
