"""Would a page on another origin be allowed to read this response? The browser's CORS check, in words.

The gateway answers the same whoever asks; whether a page can *read* the answer is decided by the
browser, from a few response headers (the Fetch standard's CORS check and CORS-preflight fetch). The
inspector shows this verdict on every request, so "it works with curl but not in the app" is
explained where the request is shown. A request without ``Origin`` (curl, a test, a same-origin page)
is judged as if a page on another origin had sent it.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.http import parse_list_header

from emulator.request import GatewayRequest
from emulator.response import GatewayResponse

#: Methods a preflight need not list (the Fetch standard's CORS-safelisted methods).
_SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})


@dataclass(frozen=True)
class CorsVerdict:
    #: ``True`` when the browser hands the response (or, for a preflight, the go-ahead) to the page.
    allowed: bool
    reason: str
    preflight: bool = False


def cors_verdict(request: GatewayRequest | None, response: GatewayResponse) -> CorsVerdict:
    origin = request.header("origin") if request is not None else None
    who = f"a browser on {origin}" if origin else "a browser on another origin"
    if (
        request is not None
        and request.method == "OPTIONS"
        and request.header("access-control-request-method")
    ):
        return _preflight(request, response, origin, who)
    problem = _origin_problem(response, origin)
    if problem is not None:
        return CorsVerdict(False, f"{who} would block this: {problem}")
    allow_origin = response.header("access-control-allow-origin")
    if allow_origin == "*":
        return CorsVerdict(True, "readable from any origin (Access-Control-Allow-Origin: *)")
    return CorsVerdict(True, f"readable from {allow_origin} only (Access-Control-Allow-Origin)")


def _origin_problem(response: GatewayResponse, origin: str | None) -> str | None:
    allow_origin = response.header("access-control-allow-origin")
    if allow_origin is None:
        return "no Access-Control-Allow-Origin"
    allow_origin = allow_origin.strip()
    # ``*`` fails only for a request sent with credentials, which the server cannot see; not judged here.
    if origin is not None and allow_origin not in ("*", origin):
        return f"Access-Control-Allow-Origin is '{allow_origin}', not the page's origin '{origin}'"
    return None


def _preflight(
    request: GatewayRequest, response: GatewayResponse, origin: str | None, who: str
) -> CorsVerdict:
    method = (request.header("access-control-request-method") or "").strip().upper()
    then = f"so the {method} request is never sent"

    def blocked(problem: str) -> CorsVerdict:
        return CorsVerdict(False, f"{who} would fail this preflight, {then}: {problem}", preflight=True)

    if not 200 <= response.status < 300:
        return blocked(f"it was answered {response.status}, not 2xx")
    problem = _origin_problem(response, origin)
    if problem is not None:
        return blocked(problem)
    allowed_methods = _list(response.header("access-control-allow-methods"))
    wildcard = "*" in allowed_methods
    if (
        method not in _SAFELISTED_METHODS
        and method not in {m.upper() for m in allowed_methods}
        and not wildcard
    ):
        return blocked(
            f"Access-Control-Allow-Methods ({', '.join(allowed_methods) or 'none'}) does not list {method}"
        )
    allowed_headers = {name.lower() for name in _list(response.header("access-control-allow-headers"))}
    for name in _list(request.header("access-control-request-headers")):
        lower = name.lower()
        # ``*`` covers every header but Authorization, which must be named.
        if lower not in allowed_headers and not ("*" in allowed_headers and lower != "authorization"):
            listed = response.header("access-control-allow-headers") or "none"
            return blocked(f"Access-Control-Allow-Headers ({listed}) does not list {name}")
    requested = request.header("access-control-request-headers")
    extra = f" with headers {requested}" if requested else ""
    return CorsVerdict(True, f"preflight passes: {method}{extra} may be sent", preflight=True)


def _list(value: str | None) -> list[str]:
    return parse_list_header(value or "")
