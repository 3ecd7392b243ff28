"""The README's frontend example, run: the page in handlers_example/frontend against the example API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from emulator.static import StaticSite
from tests.browser.support import Served, serve_definitions
from tests.conftest import ROOT
from tests.threaded_server import ThreadedServer

#: Slow: drives a browser.
pytestmark = pytest.mark.slow

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'"
)
expect = sync_api.expect


@pytest.fixture(scope="module")
def example_api() -> Iterator[Served]:
    yield from serve_definitions(ROOT / "config" / "apig.yaml", ROOT)


@pytest.fixture(scope="module")
def example_site() -> Iterator[str]:
    with ThreadedServer(StaticSite(ROOT / "handlers_example" / "frontend"), plain=True) as server:
        yield server.url


@pytest.mark.parametrize(
    ("button", "outcome", "text"),
    [
        ("item", "ok", '200 {"id": "1", "name": "teapot", "price": 418}'),
        ("greet", "ok", '200 {"greeting": "Hello, Ann!"'),
        ("orders", "ok", '200 {"orders": [{"id": "o-1"'),
        ("broken", "blocked", "blocked by the browser (TypeError: Failed to fetch)"),
        ("wrong-stage", "blocked", "blocked by the browser (TypeError: Failed to fetch)"),
    ],
)
def test_the_example_page(
    page: Any, example_api: Served, example_site: str, button: str, outcome: str, text: str
) -> None:
    page.goto(f"{example_site}/?api={example_api.url}/Prod")
    expect(page.locator("#api")).to_have_text(f"{example_api.url}/Prod")
    page.click(f"#{button}")
    out = page.locator(f"#out-{button}")
    expect(out).to_have_class(outcome)
    expect(out).to_contain_text(text)
