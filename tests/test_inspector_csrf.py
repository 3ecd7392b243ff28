"""The inspector's state-changing calls cannot be made by a page on another site (cross-site request forgery).

A page the developer visits can make the browser send a simple cross-origin POST (a form, or ``fetch``
in ``no-cors`` mode) to ``localhost``, with no preflight; it cannot add a custom header without a CORS
preflight, which nothing under ``/_emu`` grants. So replay and clear need ``X-Apig-Emu: 1`` and an
``Origin``, if any, that is the inspector's own. ``tests/browser/test_browser_inspector_csrf.py``
makes the same attempts from a real browser.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from emulator.testing import GatewayClient

CONFIG = """
apis:
  shop: {}
functions:
  count:
    handler: cases.count
    triggers:
      - {api: shop, resource: /count, method: POST}
"""

#: The in-process client's own origin (its base URL is http://localhost:3000).
OWN_ORIGIN = "http://localhost:3000"
EVIL = "https://evil.example"


def recorded(inspector: GatewayClient) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = inspector.get("/_emu/api/invocations").json()
    return result


def count_calls(inspector: GatewayClient) -> int:
    """How many times the function ran: each call adds one, so read it and subtract this call."""
    return int(inspector.post("/Prod/count", json={}).json()["count"]) - 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},  # fetch(url, {method: "POST", mode: "no-cors"}) from another site
        {"Origin": EVIL, "Content-Type": "application/x-www-form-urlencoded"},  # a <form> posted there
        {"Origin": "null"},  # a sandboxed frame or a file:// page
        {},  # no Origin at all: an old browser, or a script that did not say who it is
        {"X-Apig-Emu": "1", "Origin": EVIL},  # impossible without a preflight, refused all the same
        {"X-Apig-Emu": "yes", "Origin": OWN_ORIGIN},
    ],
    ids=["no-cors-fetch", "form", "null-origin", "no-origin", "header-from-elsewhere", "wrong-value"],
)
def test_a_replay_a_page_on_another_site_could_send_is_refused(
    inspector: GatewayClient, caplog: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    inspector.post("/Prod/count", json={})
    target = recorded(inspector)[0]
    runs = count_calls(inspector)
    with caplog.at_level(logging.WARNING, logger="apig_emu.inspector"):
        refused = inspector.post(f"/_emu/api/invocations/{target['id']}/replay", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["message"].startswith("Forbidden: ")
    assert count_calls(inspector) == runs + 1  # only the counting call itself: the replay never ran
    assert "inspector: refused POST /_emu/api/invocations/" in caplog.text


def test_clearing_the_records_is_guarded_too(inspector: GatewayClient) -> None:
    inspector.post("/Prod/count", json={})
    assert inspector.delete("/_emu/api/invocations", headers={"Origin": EVIL}).status_code == 403
    assert len(recorded(inspector)) == 1
    cleared = inspector.delete("/_emu/api/invocations", headers={"X-Apig-Emu": "1", "Origin": OWN_ORIGIN})
    assert cleared.status_code == 204
    assert recorded(inspector) == []


def test_the_inspectors_own_page_and_scripts_may_replay(inspector: GatewayClient) -> None:
    first = inspector.post("/Prod/count", json={}).json()["count"]
    target = recorded(inspector)[0]
    # The page: same origin (browsers send Origin on a same-origin POST), with the header.
    page = inspector.post(
        f"/_emu/api/invocations/{target['id']}/replay", headers={"X-Apig-Emu": "1", "Origin": OWN_ORIGIN}
    )
    assert page.status_code == 200
    assert page.json()["replayOf"] == target["id"]
    # A script (curl, requests): no Origin, the header.
    script = inspector.post(f"/_emu/api/invocations/{target['id']}/replay", headers={"X-Apig-Emu": "1"})
    assert script.status_code == 200
    assert inspector.post("/Prod/count", json={}).json()["count"] == first + 3


def test_no_preflight_is_ever_granted_so_a_page_elsewhere_cannot_add_the_header(
    inspector: GatewayClient,
) -> None:
    inspector.post("/Prod/count", json={})
    target = recorded(inspector)[0]
    preflight = inspector.options(
        f"/_emu/api/invocations/{target['id']}/replay",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-apig-emu",
        },
    )
    assert preflight.status_code >= 400
    assert not [name for name in preflight.headers if name.lower().startswith("access-control-")]


def test_reading_needs_no_header(inspector: GatewayClient) -> None:
    """The page's polling reads without the header; a page elsewhere cannot read the answers (no CORS)."""
    inspector.post("/Prod/count", json={})
    response = inspector.get("/_emu/api/invocations", headers={"Origin": EVIL})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    assert inspector.get("/_emu/api/routes").status_code == 200
