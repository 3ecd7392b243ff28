"""The inspector's CORS verdict: what a browser on another origin would do with a response."""

from __future__ import annotations

import pytest

from emulator.cors_verdict import cors_verdict
from emulator.request import GatewayRequest
from emulator.response import GatewayResponse

PAGE = "http://localhost:8080"
CONSOLE_HEADERS = "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token"


def request(method: str = "GET", **headers: str) -> GatewayRequest:
    pairs = [(name.replace("_", "-"), value) for name, value in headers.items()]
    return GatewayRequest(method=method, raw_path="/Prod/x", query_string="", headers=pairs)


def response(status: int = 200, **headers: str) -> GatewayResponse:
    return GatewayResponse(status, [(name.replace("_", "-"), value) for name, value in headers.items()])


def test_no_allow_origin_is_blocked_whoever_asked() -> None:
    verdict = cors_verdict(request(), response())
    assert not verdict.allowed
    assert verdict.reason == "a browser on another origin would block this: no Access-Control-Allow-Origin"
    with_origin = cors_verdict(request(Origin=PAGE), response(403))
    assert with_origin.reason == f"a browser on {PAGE} would block this: no Access-Control-Allow-Origin"


def test_star_and_matching_origins_are_readable() -> None:
    assert cors_verdict(request(Origin=PAGE), response(**{"Access-Control-Allow-Origin": "*"})).allowed
    exact = cors_verdict(request(Origin=PAGE), response(**{"Access-Control-Allow-Origin": PAGE}))
    assert exact.allowed
    assert exact.reason == f"readable from {PAGE} only (Access-Control-Allow-Origin)"


def test_another_origin_is_blocked() -> None:
    verdict = cors_verdict(
        request(Origin=PAGE), response(**{"Access-Control-Allow-Origin": "https://app.example.com"})
    )
    assert not verdict.allowed
    assert "Access-Control-Allow-Origin is 'https://app.example.com', not the page's origin" in verdict.reason


def preflight(**headers: str) -> GatewayRequest:
    return request("OPTIONS", Origin=PAGE, **headers)


ANSWER = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
    "Access-Control-Allow-Headers": CONSOLE_HEADERS,
}


@pytest.mark.parametrize(
    ("headers", "answer", "allowed", "reason"),
    [
        (
            {
                "Access_Control_Request_Method": "POST",
                "Access_Control_Request_Headers": "authorization,content-type",
            },
            ANSWER,
            True,
            "preflight passes: POST with headers authorization,content-type may be sent",
        ),
        (
            {
                "Access_Control_Request_Method": "POST",
                "Access_Control_Request_Headers": "content-type,x-custom",
            },
            ANSWER,
            False,
            f"Access-Control-Allow-Headers ({CONSOLE_HEADERS}) does not list x-custom",
        ),
        (
            {"Access_Control_Request_Method": "DELETE"},
            ANSWER,
            False,
            "Access-Control-Allow-Methods (GET, POST, OPTIONS) does not list DELETE",
        ),
        (
            {"Access_Control_Request_Method": "PUT", "Access_Control_Request_Headers": "x-custom"},
            {**ANSWER, "Access-Control-Allow-Methods": "*", "Access-Control-Allow-Headers": "*"},
            True,
            "preflight passes",
        ),
        (
            {"Access_Control_Request_Method": "GET", "Access_Control_Request_Headers": "authorization"},
            {**ANSWER, "Access-Control-Allow-Headers": "*"},
            False,
            "does not list authorization",
        ),
    ],
)
def test_preflight(headers: dict[str, str], answer: dict[str, str], allowed: bool, reason: str) -> None:
    verdict = cors_verdict(preflight(**headers), response(**answer))
    assert verdict.preflight
    assert verdict.allowed is allowed
    assert reason in verdict.reason
    if not allowed:
        assert "so the" in verdict.reason and "request is never sent" in verdict.reason


def test_a_preflight_answered_403_fails() -> None:
    verdict = cors_verdict(preflight(Access_Control_Request_Method="POST"), response(403))
    assert not verdict.allowed
    assert "it was answered 403, not 2xx" in verdict.reason
