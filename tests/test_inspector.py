"""The inspector at /_emu/: its page, the route table, recent requests with CORS verdicts, and replay."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from emulator.config import ConfigErrors, load_definitions
from emulator.testing import GatewayClient
from tests.conftest import LAMBDAS, MakeHarness

CONFIG = """
apis:
  shop: {}
functions:
  chatty:
    handler: cases.chatty
    triggers:
      - {api: shop, resource: /chatty, method: POST, cors: true}
  count:
    handler: cases.count
    triggers:
      - {api: shop, resource: /count, method: POST}
  respond:
    handler: cases.respond
    triggers:
      - {api: shop, resource: /proxy, method: POST, proxy: true, cors: true}
mocks:
  orders:
    body: {orders: []}
    triggers:
      - {api: shop, resource: /orders, method: GET, cors: true}
"""


#: What the inspector's page sends with calls that change something (see tests/test_inspector_csrf.py).
GUARD = {"X-Apig-Emu": "1"}


def records(inspector: GatewayClient, after: int = 0) -> list[dict[str, Any]]:
    response = inspector.get(f"/_emu/api/invocations?after={after}")
    assert response.status_code == 200
    result: list[dict[str, Any]] = response.json()
    return result


def test_the_page_and_its_assets(inspector: GatewayClient) -> None:
    assert inspector.get("/_emu").headers["location"] == "/_emu/"
    page = inspector.get("/_emu/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/_emu/inspector.js"' in page.text
    assert "poll" in inspector.get("/_emu/inspector.js").text
    assert inspector.get("/_emu/inspector.css").headers["content-type"].startswith("text/css")
    assert inspector.get("/_emu/secrets.py").status_code == 404
    # Nothing of the page reaches out to the network (the page's own links: tests/test_inspector_page.py).
    for asset in ("/_emu/inspector.js", "/_emu/inspector.css"):
        assert "http://" not in inspector.get(asset).text and "https://" not in inspector.get(asset).text


def test_route_table_has_full_urls_and_integration_kinds(inspector: GatewayClient) -> None:
    rows = inspector.get("/_emu/api/routes", headers={"Host": "localhost:4000"}).json()
    shown = {(row["method"], row["url"], row["integration"], row["target"]) for row in rows}
    assert ("POST", "http://localhost:4000/Prod/chatty", "lambda", "chatty") in shown
    assert ("POST", "http://localhost:4000/Prod/proxy", "lambda-proxy", "respond") in shown
    assert ("GET", "http://localhost:4000/Prod/orders", "mock", "(orders)") in shown
    assert ("OPTIONS", "http://localhost:4000/Prod/chatty", "cors-preflight", "") in shown


def test_requests_are_recorded_newest_first_with_everything(inspector: GatewayClient) -> None:
    inspector.post("/Prod/chatty", json={"a": 1}, headers={"Origin": "http://localhost:8080"})
    inspector.post("/Prod/proxy", content=json.dumps({"result": {"body": {}}}))
    inspector.delete("/Prod/nowhere")
    newest, malformed, chatty = records(inspector)
    assert [r["id"] for r in (newest, malformed, chatty)] == [3, 2, 1]

    assert chatty["request"]["method"] == "POST"
    assert chatty["request"]["body"] == '{"a":1}'
    assert chatty["route"]["integration"] == "lambda"
    assert chatty["event"] == {"a": 1}
    assert chatty["function"] == "chatty"
    assert "printed line" in chatty["logs"]
    assert chatty["response"]["status"] == 200
    assert chatty["cors"] == {
        "allowed": True,
        "reason": "readable from any origin (Access-Control-Allow-Origin: *)",
        "preflight": False,
    }

    assert malformed["response"]["status"] == 502
    assert malformed["gatewayError"]["type"] == "DEFAULT_5XX"
    assert "body must be a string" in malformed["gatewayError"]["reason"]
    assert malformed["cors"]["allowed"] is False
    assert malformed["cors"]["reason"] == (
        "a browser on another origin would block this: no Access-Control-Allow-Origin"
    )

    # A request that no function saw is there too.
    assert newest["route"] is None
    assert newest["function"] is None
    assert newest["response"]["status"] == 403
    assert newest["gatewayError"]["type"] == "MISSING_AUTHENTICATION_TOKEN"
    assert records(inspector, after=2) == [newest]


def test_preflights_and_mocks_are_recorded(inspector: GatewayClient) -> None:
    inspector.options(
        "/Prod/orders",
        headers={
            "Origin": "http://localhost:8080",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-custom",
        },
    )
    inspector.get("/Prod/orders")
    mock, preflight = records(inspector)
    assert mock["route"]["integration"] == "mock"
    assert mock["event"] is None
    assert mock["response"]["body"] == '{"orders": []}'
    assert preflight["cors"]["preflight"] is True
    assert preflight["cors"]["allowed"] is False
    assert "does not list x-custom" in preflight["cors"]["reason"]


def test_replay_sends_the_request_again(inspector: GatewayClient) -> None:
    first = inspector.post("/Prod/count", json={}).json()["count"]
    original = records(inspector)[0]
    replayed = inspector.post(f"/_emu/api/invocations/{original['id']}/replay", headers=GUARD)
    assert replayed.status_code == 200
    again = replayed.json()
    assert again["replayOf"] == original["id"]
    assert again["requestId"] != original["requestId"]
    assert again["request"]["path"] == "/Prod/count"
    assert json.loads(again["response"]["body"]) == {"count": first + 1}
    assert records(inspector)[0]["id"] == again["id"]
    assert inspector.post("/_emu/api/invocations/999/replay", headers=GUARD).status_code == 404


def test_the_buffer_is_bounded_and_can_be_cleared(inspector: GatewayClient) -> None:
    for _ in range(7):
        inspector.get("/Prod/orders")
    assert [r["id"] for r in records(inspector)] == [7, 6, 5, 4, 3]
    assert inspector.delete("/_emu/api/invocations", headers=GUARD).status_code == 204
    assert records(inspector) == []


def test_the_inspector_follows_a_new_gateway(inspector: GatewayClient, make_harness: MakeHarness) -> None:
    # A reload swaps ``app.state.gateway``; the inspector attaches to whichever gateway it finds there.
    inspector.app.state.gateway = make_harness(CONFIG).gateway
    records(inspector)
    inspector.get("/Prod/orders")
    assert records(inspector)[0]["route"]["resource"] == "/orders"


@pytest.mark.parametrize(
    "snippet",
    [
        "apis: {shop: {stages: {_emu: {}}}}",
        "apis: {shop: {}}\nmocks: {m: {triggers: [{api: shop, resource: /x, method: GET, stage: _emu}]}}",
    ],
)
def test_no_stage_may_be_named_emu(tmp_path: Path, snippet: str) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(textwrap.dedent(snippet))
    with pytest.raises(ConfigErrors, match="the stage name '_emu' is reserved"):
        load_definitions(config, code_dir=LAMBDAS)


def test_large_bodies_are_cut_and_not_kept_for_replay(inspector: GatewayClient) -> None:
    big = b"x" * (300 * 1024)
    inspector.post("/Prod/proxy", content=json.dumps({"result": {"body": big.decode()}}).encode())
    shown = records(inspector)[0]
    assert shown["replayable"] is False
    assert shown["request"]["bodyTruncated"] is True
    assert shown["request"]["bodyLength"] > len(big)
    assert len(shown["response"]["body"]) == 64 * 1024
    assert shown["event"]["body"].endswith("… (cut by the inspector)")
    assert inspector.post(f"/_emu/api/invocations/{shown['id']}/replay", headers=GUARD).status_code == 409
