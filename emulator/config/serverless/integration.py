"""An http event's integration: ``lambda-proxy`` (the default), ``lambda``, ``http``, ``http-proxy`` or ``mock``.

As Serverless compiles it. ``integration: lambda`` is API Gateway's ``AWS`` type: without
``request.template`` it gets Serverless's default request templates (``defaults.py``), the ``NEVER``
passthrough, and without ``response.statusCodes`` an integration response per default status code,
selected by a ``[404]``-style marker in the function's error message. A template given for a content
type replaces the default one; ``null`` removes it. The response's headers and template apply to
every status code, a status code's own ones on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from emulator.account import lambda_arn
from emulator.config.lambda_uris import invocation_uri
from emulator.config.serverless.defaults import PASSTHROUGH, STATUS_CODES, request_templates
from emulator.config.serverless.values import At, Values
from emulator.model import (
    AWS,
    AWS_PROXY,
    CONTENT_HANDLINGS,
    HTTP,
    HTTP_PROXY,
    METHOD_RESPONSE_HEADER,
    MOCK,
    PASSTHROUGH_BEHAVIORS,
    WHEN_NO_MATCH,
    Integration,
    IntegrationResponse,
    MethodResponse,
)

#: ``integration:`` as written (case and ``-`` or ``_`` aside) -> API Gateway's type.
TYPES = {
    "lambda": AWS,
    "aws": AWS,
    "lambda_proxy": AWS_PROXY,
    "aws_proxy": AWS_PROXY,
    "http": HTTP,
    "http_proxy": HTTP_PROXY,
    "mock": MOCK,
}
_REQUEST_KEYS = ("contentHandling", "method", "parameters", "passThrough", "schemas", "template", "uri")
#: What a proxy integration keeps of ``request``; Serverless removes the rest with a warning.
_PROXY_REQUEST_KEYS = {AWS_PROXY: ("parameters", "schemas"), HTTP_PROXY: ("parameters", "uri", "schemas")}
_RESPONSE_KEYS = ("contentHandling", "headers", "template", "statusCodes")
_STATUS_KEYS = ("pattern", "template", "headers")
_PARAMETER_PLACES = {"querystrings": "querystring", "headers": "header", "paths": "path"}
_PARAMETER_KEYS = ("required", "mappedValue")


@dataclass(frozen=True)
class Parameters:
    """``request.parameters``: the method's declarations, and what the integration maps from them."""

    #: ``method.request.querystring.name`` -> required.
    method: dict[str, bool]
    #: ``integration.request.querystring.name`` -> ``method.request.querystring.name`` or a mapped value.
    integration: dict[str, str]


@dataclass(frozen=True)
class BuiltIntegration:
    integration: Integration
    method_responses: dict[str, MethodResponse]


def integration_type(values: Values, at: At) -> str | None:
    written = values.string(at)
    if written is None:
        return None
    found = TYPES.get(written.lower().replace("-", "_"))
    if found is None:
        values.error(
            at,
            f"unknown integration '{written}'; expected one of lambda-proxy, lambda, http, http-proxy, mock",
        )
    return found


def request_keys(values: Values, at: At, kind: str, function: str) -> dict[str, At]:
    """``request``'s settings; a proxy's others warned about and removed, as Serverless removes them."""
    keys = values.keys(at, _REQUEST_KEYS, what="an http event's request") or {}
    kept = _PROXY_REQUEST_KEYS.get(kind)
    if kept is None:
        return keys
    for key in [key for key in keys if key not in kept]:
        values.warn(
            keys.pop(key),
            f"request.{key} of function '{function}' does not apply to its {_written(kind)} integration; Serverless "
            "removes it before deploying, and so it is ignored",
        )
    return keys


def read_parameters(values: Values, at: At) -> Parameters:
    method: dict[str, bool] = {}
    integration: dict[str, str] = {}
    places = values.keys(at, _PARAMETER_PLACES, what="request.parameters") or {}
    for place, place_at in places.items():
        singular = _PARAMETER_PLACES[place]
        for name, item in (values.entries(place_at) or {}).items():
            key = f"method.request.{singular}.{name}"
            resolved = values.value(item)
            if resolved is None:
                continue
            required: bool | None
            mapped = key
            if isinstance(resolved.value, dict):
                settings = values.keys(item, _PARAMETER_KEYS, what="a request parameter") or {}
                required = values.boolean(settings["required"]) if "required" in settings else True
                if "mappedValue" in settings:
                    mapped = values.string(settings["mappedValue"]) or key
            else:
                required = values.boolean(item)
            if required is None:
                continue
            method[key] = required
            integration[f"integration.request.{singular}.{name}"] = mapped
    return Parameters(method, integration)


def build_integration(
    values: Values,
    kind: str,
    event: At,
    *,
    function: str,
    verb: str,
    request: Mapping[str, At],
    response: At | None,
    parameters: Parameters | None,
    claims: tuple[str, ...],
    asynchronous: bool,
) -> BuiltIntegration:
    """The integration of one event and the method responses its integration responses need."""
    uri: str | None = None
    http_method: str | None = "POST"
    target: str | None = None
    if kind in (AWS, AWS_PROXY):
        uri = invocation_uri(lambda_arn(function))
        target = function
    elif kind in (HTTP, HTTP_PROXY):
        uri = values.string(request["uri"]) if "uri" in request else None
        if uri is None and "uri" not in request:
            values.error(event, f"the {_written(kind)} integration needs request.uri, the URL it calls")
        http_method = (values.string(request["method"]) if "method" in request else None) or verb
        http_method = http_method.upper()
    else:
        http_method = None
    if kind == AWS_PROXY:
        return BuiltIntegration(Integration(AWS_PROXY, uri=uri, function=target, http_method=http_method), {})
    integration_parameters = dict(parameters.integration) if parameters is not None and kind != MOCK else {}
    if asynchronous:
        integration_parameters["integration.request.header.X-Amz-Invocation-Type"] = "'Event'"
    if kind == HTTP_PROXY:
        return BuiltIntegration(
            Integration(
                HTTP_PROXY, uri=uri, http_method=http_method, request_parameters=integration_parameters
            ),
            {},
        )
    templates = request_templates(claims) if kind == AWS else {}
    if "template" in request:
        for content_type, template_at in (values.entries(request["template"]) or {}).items():
            if values.is_null(template_at):
                templates.pop(content_type, None)
            elif (text := values.string(template_at)) is not None:
                templates[content_type] = text
    passthrough = PASSTHROUGH if kind == AWS else WHEN_NO_MATCH
    if "passThrough" in request:
        passthrough = (
            _one_of(values, request["passThrough"], PASSTHROUGH_BEHAVIORS, "passThrough") or passthrough
        )
    content_handling = None
    if "contentHandling" in request:
        content_handling = _one_of(values, request["contentHandling"], CONTENT_HANDLINGS, "contentHandling")
    responses, method_responses = _responses(values, kind, response)
    integration = Integration(
        kind,
        uri=uri,
        function=target,
        http_method=http_method,
        request_templates=templates,
        request_parameters=integration_parameters,
        passthrough_behavior=passthrough,
        content_handling=content_handling,
        responses=responses,
    )
    return BuiltIntegration(integration, method_responses)


def _responses(
    values: Values, kind: str, at: At | None
) -> tuple[tuple[IntegrationResponse, ...], dict[str, MethodResponse]]:
    """Each status code's integration response and method response; Serverless's defaults for ``lambda``."""
    if at is None and kind != AWS:
        return (), {}
    keys = (values.keys(at, _RESPONSE_KEYS, what="an http event's response") or {}) if at is not None else {}
    headers = _headers(values, keys.get("headers"))
    template = values.string(keys["template"]) if "template" in keys else None
    content_handling = (
        _one_of(values, keys["contentHandling"], CONTENT_HANDLINGS, "contentHandling")
        if "contentHandling" in keys
        else None
    )
    codes: dict[str, tuple[str, At | None]] = {}
    if "statusCodes" in keys:
        written = values.entries(keys["statusCodes"]) or {}
        codes = {status: ("", status_at) for status, status_at in written.items()}
        # Serverless adds the default response when no status code is the default (no pattern).
        if not any(_pattern(values, status_at) == "" for status_at in written.values()):
            codes["200"] = ("", None)
    else:
        codes = {status: (pattern, None) for status, pattern in STATUS_CODES.items()} if kind == AWS else {}
    responses: list[IntegrationResponse] = []
    method_responses: dict[str, MethodResponse] = {}
    has_default = False
    for status, (default_pattern, code_at) in codes.items():
        if code_at is not None and not (status.isdigit() and len(status) == 3 and 100 <= int(status) <= 599):
            values.error(code_at, f"invalid status code '{status}'; expected 100 to 599")
            continue
        code = (values.keys(code_at, _STATUS_KEYS, what="a status code") or {}) if code_at is not None else {}
        pattern = _pattern(values, code_at) if code_at is not None else default_pattern
        own_headers = _headers(values, code.get("headers"))
        templates = {"application/json": template} if template is not None else {}
        if "template" in code:
            templates.update(_templates(values, code["template"]))
        if not pattern:
            if has_default and code_at is not None:
                values.error(
                    code_at,
                    f"status code {status} and another both have no pattern; only one response may be the default",
                )
                continue
            has_default = True
        parameters = {
            METHOD_RESPONSE_HEADER + name: value for name, value in {**headers, **own_headers}.items()
        }
        responses.append(
            IntegrationResponse(
                status,
                selection_pattern=pattern or None,
                response_parameters=parameters,
                response_templates=templates,
                content_handling=content_handling if status.startswith("2") else None,
            )
        )
        method_responses[status] = MethodResponse(status, dict.fromkeys(parameters, True))
    return tuple(responses), method_responses


def _pattern(values: Values, at: At | None) -> str:
    if at is None:
        return ""
    keys = values.entries(at) or {}
    return (values.string(keys["pattern"]) or "") if "pattern" in keys else ""


def _headers(values: Values, at: At | None) -> dict[str, str]:
    if at is None:
        return {}
    return {
        name: text
        for name, item in (values.entries(at) or {}).items()
        if (text := values.string(item)) is not None
    }


def _templates(values: Values, at: At) -> dict[str, str]:
    """A status code's ``template``: one for ``application/json``, or one per content type."""
    item = values.value(at)
    if item is None:
        return {}
    if isinstance(item.value, str):
        return {"application/json": item.value}
    return {
        content_type: text
        for content_type, template_at in (values.entries(at) or {}).items()
        if (text := values.string(template_at)) is not None
    }


def _one_of(values: Values, at: At, allowed: tuple[str, ...], what: str) -> str | None:
    written = values.string(at)
    if written is None:
        return None
    if written.upper() in allowed:
        return written.upper()
    values.error(at, f"unknown {what} '{written}'; expected one of {', '.join(allowed)}")
    return None


def _written(kind: str) -> str:
    return {AWS: "lambda", AWS_PROXY: "lambda-proxy", HTTP: "http", HTTP_PROXY: "http-proxy", MOCK: "mock"}[
        kind
    ]
