"""The one place where the gateway's own errors become responses.

AWS renders these from per-API gateway responses (``DEFAULT_4XX``, ``MISSING_AUTHENTICATION_TOKEN``…);
the defaults carry ``Content-Type: application/json``, ``x-amzn-ErrorType`` and the message, and no
CORS headers at all (reference sections 4 and 6). An API's definitions may customise them
(``gateway_responses:``), which is how AWS users make errors readable to a browser on another origin.

Which customisation applies follows AWS: the error's own type if the API customises it, taken whole
(fields it leaves out get the type's AWS defaults, not ``DEFAULT_4XX``'s); otherwise ``DEFAULT_4XX`` or
``DEFAULT_5XX`` by the type's status class; otherwise AWS's default. A ``DEFAULT_xXX`` status replaces
the status of every type that falls back to it (AWS documents this for both).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.context import flatten
from emulator.errors import GatewayError
from emulator.mapping.compiled import compile_one
from emulator.mapping.variables import UTIL, TemplateVariables, context_map
from emulator.mapping.vtl import TemplateRenderError
from emulator.model import (
    DEFAULT_4XX,
    DEFAULT_5XX,
    GATEWAY_RESPONSE_HEADER_SOURCES,
    GATEWAY_RESPONSE_TYPES,
    GatewayResponseSpec,
    RestApi,
    Stage,
)
from emulator.request import GatewayRequest
from emulator.response import GatewayResponse

log = logging.getLogger("apig_emu.gateway")


@dataclass(frozen=True)
class ErrorScope:
    """What a customised gateway response can read: the request, ``$context``, and the API and stage it reached."""

    variables: Mapping[str, Any]
    request: GatewayRequest | None = None
    api: RestApi | None = None
    stage: Stage | None = None
    path_parameters: Mapping[str, str] | None = None


def error_response(error: GatewayError, scope: ErrorScope | None = None) -> GatewayResponse:
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", error.error_type)]
    spec = _applicable(error, scope.api) if scope is not None else None
    if spec is None or scope is None:
        return GatewayResponse(status=error.status, headers=headers, body=error.body())
    variables = _variables(error, scope)
    for name, expression in spec.headers:
        value = header_value(expression, scope, variables)
        if value is None:
            continue
        if name.lower() == "content-type":
            headers[0] = (name, value)
        else:
            headers.append((name, value))
    # Without a template of its own, the body is AWS's default (with its exact spacing).
    body = error.body() if spec.template is None else _render(spec.template, error, scope)
    return GatewayResponse(status=spec.status or error.status, headers=headers, body=body)


def _render(template: str, error: GatewayError, scope: ErrorScope) -> bytes:
    """A customised gateway response's template, through the same engine as mapping templates.

    One that fails (or never parsed: ``validate`` reports that) gives AWS's default body instead, and
    the log says why: an error's answer must not become another error.
    """
    compiled = compile_one(template)
    if compiled.static is not None:
        return compiled.static.encode()
    stage = scope.stage
    names = TemplateVariables(
        {
            "context": lambda: context_map(scope.variables, extra={"error": error_variables(error)}),
            "stageVariables": lambda: dict(stage.variables) if stage is not None else {},
            "util": lambda: UTIL,
        }
    )
    try:
        return compiled.render(names).encode()
    except TemplateRenderError as failure:
        log.warning(
            "the template of the gateway response %s failed at line %d: %s; AWS's default body is sent instead",
            error.response_type,
            failure.line,
            failure.problem,
        )
        return error.body()


def error_variables(error: GatewayError) -> dict[str, str]:
    """``$context.error``: the message, the message as a JSON string, the response type and, for a body
    that failed its model, the validation detail."""
    return {
        "message": error.message,
        "messageString": json.dumps(error.json_message()),
        "responseType": error.response_type,
        "validationErrorString": error.validation_error,
    }


def _applicable(error: GatewayError, api: RestApi | None) -> GatewayResponseSpec | None:
    if api is None or not api.gateway_responses:
        return None
    own = api.gateway_responses.get(error.response_type)
    if own is not None:
        return own
    status_class = GATEWAY_RESPONSE_TYPES.get(error.response_type) or error.status
    fallback = DEFAULT_4XX if 400 <= status_class < 500 else DEFAULT_5XX
    return api.gateway_responses.get(fallback)


def header_value(expression: str, scope: ErrorScope, variables: Mapping[str, str]) -> str | None:
    """A mapped header's value, or ``None`` when its source is absent (AWS then leaves the header out)."""
    if len(expression) >= 2 and expression.startswith("'") and expression.endswith("'"):
        return expression[1:-1]
    request = scope.request
    for prefix in GATEWAY_RESPONSE_HEADER_SOURCES:
        if not expression.startswith(prefix):
            continue
        name = expression[len(prefix) :]
        if prefix == "method.request.header.":
            return request.header(name) if request is not None else None
        if prefix == "method.request.querystring.":
            values = [value for key, value in request.query_pairs() if key == name] if request else []
            return values[-1] if values else None
        if prefix == "method.request.path.":
            return (scope.path_parameters or {}).get(name)
        return variables.get(expression)
    # Not AWS's syntax (it wants quotes); taken as a literal, which is what was meant.
    return expression


def _variables(error: GatewayError, scope: ErrorScope) -> dict[str, str]:
    values = flatten(scope.variables)
    values.update({f"context.error.{key}": value for key, value in error_variables(error).items()})
    if scope.stage is not None:
        values.update({f"stageVariables.{key}": value for key, value in scope.stage.variables.items()})
    return values
