"""The "Enable CORS" switch, applied as AWS's console applies it.

Enabling CORS on a method creates an ``OPTIONS`` MOCK method on its resource (the preflight) and maps
``Access-Control-Allow-Origin`` onto the method's 200 integration response. So: non-proxy successes
carry it, proxy responses carry only what the handler returns, and the gateway's own errors carry
nothing — the trap a browser reveals on AWS (reference section 6).
"""

from __future__ import annotations

from dataclasses import replace

from emulator.model import ANY, CORS_PREFLIGHT, HTTP_METHODS, CorsConfig, Integration, Method, RestApi
from emulator.response import GatewayResponse


def _allow_methods(methods: dict[str, Method]) -> tuple[str, ...]:
    """The console's default: every verb of the resource, ``ANY`` spelled out, then ``OPTIONS``."""
    verbs: list[str] = []
    for verb in methods:
        if verb == ANY:
            verbs.extend(m for m in HTTP_METHODS if m != "OPTIONS")
        elif verb != "OPTIONS":
            verbs.append(verb)
    return (*dict.fromkeys(verbs), "OPTIONS")


def add_preflight_methods(api: RestApi) -> None:
    """Give every resource with a CORS-enabled method its ``OPTIONS`` preflight, unless one is defined."""
    for resource in api.resources.values():
        enabled = [m for m in resource.methods.values() if m.cors is not None]
        if not enabled or "OPTIONS" in resource.methods:
            continue
        cors = enabled[0].cors
        assert cors is not None
        if cors.allow_methods is None:
            cors = replace(cors, allow_methods=_allow_methods(resource.methods))
        resource.methods["OPTIONS"] = Method(
            http_method="OPTIONS",
            integration=Integration(kind=CORS_PREFLIGHT),
            cors=cors,
            location=enabled[0].location,
        )


def preflight_headers(cors: CorsConfig) -> list[tuple[str, str]]:
    """The preflight's integration response mappings (section 6), with the form's optional extras."""
    headers = [
        ("Content-Type", "application/json"),
        ("Access-Control-Allow-Headers", ",".join(cors.allow_headers)),
        ("Access-Control-Allow-Methods", ",".join(cors.allow_methods or ("OPTIONS",))),
        ("Access-Control-Allow-Origin", cors.allow_origin),
    ]
    headers.extend(response_headers(cors)[1:])
    if cors.max_age is not None:
        headers.append(("Access-Control-Max-Age", str(cors.max_age)))
    return headers


def response_headers(cors: CorsConfig) -> list[tuple[str, str]]:
    """What the console maps onto a method's 200 response: the origin first, then the extras."""
    headers = [("Access-Control-Allow-Origin", cors.allow_origin)]
    if cors.expose_headers:
        headers.append(("Access-Control-Expose-Headers", ",".join(cors.expose_headers)))
    if cors.allow_credentials:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    return headers


def apply_to_success(cors: CorsConfig, response: GatewayResponse) -> None:
    """Non-proxy: only the 200 integration response is mapped, so only a 200 gets the headers."""
    if response.status == 200:
        response.headers.extend(response_headers(cors))
