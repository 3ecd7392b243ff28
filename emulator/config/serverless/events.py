"""A function's ``events[].http``: the method Serverless deploys for it, with its path and ``cors``.

``http: GET users/{id}`` or the object form: ``path``, ``method`` (``any`` for every verb), ``cors``,
``private`` (an API key required), ``authorizer``, ``integration`` with ``request`` and ``response``,
``async`` and ``operationId``. ``request.parameters`` declares the method's parameters and maps them
for a non-proxy integration; a required parameter or ``request.schemas`` gives the method Serverless's
one request validator, which checks the body and the parameters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from emulator.config import rules
from emulator.config.serverless.authorizers import MethodAuth, read_authorizer
from emulator.config.serverless.cors import Cors, on_responses, read_cors
from emulator.config.serverless.integration import (
    Parameters,
    build_integration,
    integration_type,
    read_parameters,
    request_keys,
)
from emulator.config.serverless.provider import Provider, model_name_part
from emulator.config.serverless.values import At, Values
from emulator.model import ANY, AWS, AWS_PROXY, HTTP_METHODS, HTTP_PROXY, Authorizer, Location, Method, Model

_KEYS = (
    "path",
    "method",
    "cors",
    "private",
    "authorizer",
    "integration",
    "request",
    "response",
    "async",
    "operationId",
    "connectionType",
    "connectionId",
)
_METHODS = tuple(verb.lower() for verb in (*HTTP_METHODS, ANY))


@dataclass(frozen=True)
class Service:
    """What every event of the service reads besides its own keys."""

    provider: Provider
    #: Each function's key -> the name it is deployed under (``<service>-<stage>-<key>`` by default).
    functions: Mapping[str, str]

    @property
    def validator(self) -> str:
        """The one request validator Serverless creates, by its name."""
        return f"{self.provider.service}-{self.provider.stage} | Validate request body and querystring parameters"


@dataclass(frozen=True)
class HttpEvent:
    function: str
    #: ``/users/{id}``, as the resource tree names it.
    path: str
    path_location: Location
    method: Method
    cors: Cors | None
    authorizer: Authorizer | None
    models: tuple[Model, ...] = field(default=())


def read_http_event(values: Values, at: At, function: str, service: Service) -> HttpEvent | None:
    """The event's method, or ``None`` after an error (reported)."""
    item = values.value(at)
    if item is None:
        return None
    if isinstance(item.value, str):
        return _shorthand(values, at, item.value, function, service)
    keys = values.keys(at, _KEYS, what="an http event")
    if keys is None:
        return None
    for key in ("path", "method"):
        if key not in keys:
            values.error(at, f"an http event needs a {key}")
    if "path" not in keys or "method" not in keys:
        return None
    path = _path(values, keys["path"])
    verb = _verb(values, keys["method"])
    if path is None or verb is None:
        return None
    kind = integration_type(values, keys["integration"]) if "integration" in keys else AWS_PROXY
    if kind is None:
        return None
    asynchronous = "async" in keys and values.boolean(keys["async"]) is True
    if asynchronous and "integration" not in keys:
        kind = AWS  # Serverless invokes an async event's function through the lambda integration
    for key in ("connectionType", "connectionId"):
        if key in keys:
            values.warn(
                keys[key],
                f"{key} (a VPC link) is not emulated; the http integration calls request.uri directly",
            )
    request = request_keys(values, keys["request"], kind, function) if "request" in keys else {}
    response = keys.get("response")
    if response is not None and kind in (AWS_PROXY, HTTP_PROXY):
        values.warn(
            response,
            f"response of function '{function}' does not apply to a proxy integration; Serverless removes it before "
            "deploying, and so it is ignored",
        )
        response = None
    auth = (
        read_authorizer(values, keys["authorizer"], service.functions)
        if "authorizer" in keys
        else MethodAuth("NONE")
    )
    if auth is None:
        return None
    if (
        auth.claims
        and kind == AWS_PROXY
        and auth.authorization_type == "COGNITO_USER_POOLS"
        and "authorizer" in keys
    ):
        values.error(
            keys["authorizer"],
            "Cognito claims can only be filtered with the lambda integration (integration: lambda), as Serverless says",
        )
        return None
    parameters = read_parameters(values, request["parameters"]) if "parameters" in request else None
    models = _models(values, request.get("schemas"), path, verb, service) if "schemas" in request else {}
    built = build_integration(
        values,
        kind,
        at,
        function=function,
        verb=verb,
        request=request,
        response=response,
        parameters=parameters,
        claims=auth.claims,
        asynchronous=asynchronous,
    )
    method = Method(
        verb,
        built.integration,
        location=values.location(at),
        authorization_type=auth.authorization_type,
        authorizer=auth.authorizer.name if auth.authorizer is not None else None,
        authorization_scopes=auth.scopes,
        api_key_required="private" in keys and values.boolean(keys["private"]) is True,
        request_parameters=parameters.method if parameters is not None else {},
        request_models={content_type: model.name for content_type, model in models.items()},
        request_validator=service.validator if _validates(parameters, models) else None,
        method_responses=built.method_responses,
        operation_name=values.string(keys["operationId"]) if "operationId" in keys else None,
    )
    cors = read_cors(values, keys["cors"], verb) if "cors" in keys else None
    if cors is not None:
        method = on_responses(method, cors)
    return HttpEvent(
        function,
        path,
        values.location(keys["path"]),
        method,
        cors,
        auth.authorizer,
        tuple(models.values()),
    )


def _shorthand(values: Values, at: At, written: str, function: str, service: Service) -> HttpEvent | None:
    """``http: GET users/{id}``: a lambda-proxy method without settings."""
    parts = written.split()
    if len(parts) != 2:
        values.error(at, f"expected 'METHOD path', like 'GET users/{{id}}', got {written!r}")
        return None
    verb = _verb_text(values, at, parts[0])
    path = _path_text(values, at, parts[1])
    if verb is None or path is None:
        return None
    built = build_integration(
        values,
        AWS_PROXY,
        at,
        function=function,
        verb=verb,
        request={},
        response=None,
        parameters=None,
        claims=(),
        asynchronous=False,
    )
    method = Method(verb, built.integration, location=values.location(at))
    return HttpEvent(function, path, values.location(at), method, None, None)


def _path(values: Values, at: At) -> str | None:
    written = values.text(at)
    return None if written is None else _path_text(values, at, written)


def _path_text(values: Values, at: At, written: str) -> str | None:
    """``users/{id}/`` -> ``/users/{id}``: Serverless trims one slash at each end."""
    trimmed = written.strip()
    trimmed = trimmed[1:] if trimmed.startswith("/") else trimmed
    trimmed = trimmed[:-1] if trimmed.endswith("/") else trimmed
    path = "/" + trimmed
    problem = rules.resource_path_problem(path)
    if problem is not None:
        values.error(at, problem)
        return None
    return path


def _verb(values: Values, at: At) -> str | None:
    written = values.string(at)
    return None if written is None else _verb_text(values, at, written)


def _verb_text(values: Values, at: At, written: str) -> str | None:
    if written.lower() in _METHODS:
        return written.upper()
    values.error(at, f"unknown method '{written}'; expected one of {', '.join(_METHODS)}")
    return None


def _validates(parameters: Parameters | None, models: Mapping[str, Model]) -> bool:
    """Whether Serverless gives the method its request validator: a required parameter, or a schema."""
    return bool(models) or (parameters is not None and any(parameters.method.values()))


def _models(values: Values, at: At | None, path: str, verb: str, service: Service) -> dict[str, Model]:
    """``request.schemas``: by content type, a schema, ``{name, description, schema}``, or a provider model's key."""
    if at is None:
        return {}
    models: dict[str, Model] = {}
    for content_type, schema_at in (values.entries(at) or {}).items():
        item = values.value(schema_at)
        if item is None:
            continue
        if isinstance(item.value, str) and item.value in service.provider.models:
            models[content_type] = service.provider.models[item.value]
            continue
        name = f"ApiGatewayMethod{_resource_name(path)}{model_name_part(verb.lower())}{model_name_part(content_type)}Model"
        schema: object
        if isinstance(item.value, str):
            try:
                schema = json.loads(item.value)
            except ValueError:
                values.error(
                    schema_at,
                    f"'{item.value}' is neither a schema of provider.apiGateway.request.schemas "
                    f"({', '.join(service.provider.models) or 'none defined'}) nor a JSON schema",
                )
                continue
        else:
            settings = values.entries(schema_at) or {}
            schema_from = schema_at
            if "schema" in settings:
                schema_from = settings["schema"]
                if "name" in settings:
                    name = values.string(settings["name"]) or name
            schema = values.plain(schema_from)
        if not isinstance(schema, dict):
            values.error(schema_at, "expected a JSON schema (a mapping)")
            continue
        models[content_type] = Model(name, content_type, schema, values.location(schema_at))
    return models


def _resource_name(path: str) -> str:
    """The path as Serverless names its resource: ``/users/{id}`` -> ``UsersIdVar``."""
    parts = []
    for segment in rules.segments(path):
        if rules.is_variable(segment):
            parts.append(model_name_part(segment.strip("{}+")) + "Var")
        else:
            parts.append(model_name_part(segment))
    return "".join(parts)
