"""The "Enable CORS" switch, compiled into what AWS's console stores for it.

Enabling CORS on a method creates an ``OPTIONS`` MOCK method on its resource (the preflight) and maps
``Access-Control-Allow-Origin`` onto the method's 200 integration response. Nothing else: so non-proxy
200s carry it, proxy responses carry only what the backend returns, and the gateway's own errors
carry nothing — the trap a browser reveals on AWS (reference section 6). The gateway executes the
stored methods and mappings; it has no CORS code of its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace

from emulator.model import (
    ANY,
    HTTP_METHODS,
    METHOD_RESPONSE_HEADER,
    MOCK,
    CorsConfig,
    Integration,
    IntegrationResponse,
    Method,
    MethodResponse,
    literal,
)

ALLOW_ORIGIN = "Access-Control-Allow-Origin"
ALLOW_METHODS = "Access-Control-Allow-Methods"
ALLOW_HEADERS = "Access-Control-Allow-Headers"

#: The preflight MOCK's request template: it selects the 200 integration response.
PREFLIGHT_REQUEST_TEMPLATE = json.dumps({"statusCode": 200})


def allow_methods(methods: Mapping[str, Method]) -> tuple[str, ...]:
    """The console's default: every verb of the resource, ``ANY`` spelled out, then ``OPTIONS``."""
    verbs: list[str] = []
    for verb in methods:
        if verb == ANY:
            verbs.extend(m for m in HTTP_METHODS if m != "OPTIONS")
        elif verb != "OPTIONS":
            verbs.append(verb)
    return (*dict.fromkeys(verbs), "OPTIONS")


def response_headers(cors: CorsConfig) -> list[tuple[str, str]]:
    """What the console maps onto a method's 200 response: the origin first, then the form's extras."""
    headers = [(ALLOW_ORIGIN, cors.allow_origin)]
    if cors.expose_headers:
        headers.append(("Access-Control-Expose-Headers", ",".join(cors.expose_headers)))
    if cors.allow_credentials:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    return headers


def preflight_headers(cors: CorsConfig, methods: tuple[str, ...]) -> list[tuple[str, str]]:
    """The preflight's integration response mappings (section 6), with the form's optional extras."""
    headers = [
        (ALLOW_HEADERS, ",".join(cors.allow_headers)),
        (ALLOW_METHODS, ",".join(methods)),
        *response_headers(cors),
    ]
    if cors.max_age is not None:
        headers.append(("Access-Control-Max-Age", str(cors.max_age)))
    return headers


def _mapped(headers: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, bool]]:
    """Integration response mappings to fixed values, and the method response's declarations of them."""
    parameters = {METHOD_RESPONSE_HEADER + name: literal(value) for name, value in headers}
    return parameters, dict.fromkeys(parameters, False)


def preflight_method(cors: CorsConfig, methods: Mapping[str, Method], template: Method) -> Method:
    """The ``OPTIONS`` MOCK method the console creates, answering for ``methods`` of one resource."""
    verbs = cors.allow_methods if cors.allow_methods is not None else allow_methods(methods)
    parameters, declared = _mapped(preflight_headers(cors, verbs))
    integration = Integration(
        type=MOCK,
        request_templates={"application/json": PREFLIGHT_REQUEST_TEMPLATE},
        responses=(
            IntegrationResponse(
                "200", response_parameters=parameters, response_templates={"application/json": ""}
            ),
        ),
    )
    return Method(
        "OPTIONS",
        integration,
        location=template.location,
        method_responses={"200": MethodResponse("200", declared, {"application/json": "Empty"})},
    )


def map_onto_success(method: Method, cors: CorsConfig) -> Method:
    """A non-proxy method with the origin (and extras) mapped onto its 200 responses; proxies unchanged."""
    if method.is_proxy:
        return method
    parameters, declared = _mapped(response_headers(cors))
    responses = tuple(
        replace(response, response_parameters={**response.response_parameters, **parameters})
        if response.status == "200"
        else response
        for response in method.integration.responses
    )
    method_responses = dict(method.method_responses)
    if any(response.status == "200" for response in responses):
        own = method_responses.get("200", MethodResponse("200"))
        method_responses["200"] = replace(own, response_parameters={**own.response_parameters, **declared})
    return replace(
        method,
        integration=replace(method.integration, responses=responses),
        method_responses=method_responses,
    )


def is_preflight(method: Method) -> bool:
    """Whether a method is an "Enable CORS" preflight: an OPTIONS MOCK that maps the allowed methods."""
    if method.http_method != "OPTIONS" or method.integration.type != MOCK:
        return False
    key = METHOD_RESPONSE_HEADER + ALLOW_METHODS
    return any(key in response.response_parameters for response in method.integration.responses)


def maps_allow_origin(method: Method) -> bool:
    """Whether a method's responses carry ``Access-Control-Allow-Origin`` by the gateway's own mapping."""
    key = METHOD_RESPONSE_HEADER + ALLOW_ORIGIN
    return any(key in response.response_parameters for response in method.integration.responses)
