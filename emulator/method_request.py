"""The chain's method request step: the method's request validator, before anything reaches a backend.

A method whose validator checks parameters refuses a request that lacks one it requires (absent or
blank) with 400 ``Missing required request parameters: [a, b]``; one whose validator checks bodies
refuses a body its model rejects with 400 ``Invalid request body`` (reference B.1: parameters first,
the names bare and in the order of their full keys, a required path parameter the resource cannot
have always missing, proxy methods validated like any other). What each method checks is compiled
once per deployment (``compile_checks``): a request to a method without a validator costs one lookup,
and a refused one never reaches a function.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from emulator.config.errors import ConfigError
from emulator.context import RequestContext
from emulator.errors import InvalidRequestBody, MissingRequestParameters
from emulator.model import Definitions, Method, Resource, RestApi
from emulator.request import GatewayRequest
from emulator.request_models import (
    DEFAULT_MODELS,
    BodyModel,
    compile_models,
    located,
    validation_error_string,
)
from emulator.templates import media_type

#: A method by (api name, resource path, verb), as ``RouteMatch`` finds it.
MethodKey = tuple[str, str, str]

#: The locations a method request parameter may be required in (``method.request.<location>.<name>``).
_LOCATIONS = ("header", "path", "querystring")
_PATH_VARIABLE = re.compile(r"\{([^{}+]+)\+?\}")
#: The model for any Content-Type no other model names [AWS-doc api-gateway-method-request-validation].
DEFAULT_CONTENT = "$default"


@dataclass(frozen=True)
class RequestCheck:
    """What one method's validator checks."""

    #: Required parameters as (location, name), in the order AWS's message lists them: by full key.
    parameters: tuple[tuple[str, str], ...] = ()
    #: Lowercased media type (or ``$default``) -> its model, when the validator checks bodies.
    bodies: Mapping[str, BodyModel] | None = None

    def missing(self, request: GatewayRequest) -> list[str]:
        """The required parameters the request lacks, or has blank ("included and not blank", AWS's doc)."""
        names: list[str] = []
        query: dict[str, str] | None = None
        for location, name in self.parameters:
            if location == "header":
                value = request.header(name)
            elif location == "querystring":
                if query is None:
                    query = dict(request.query_pairs())  # the last value of a repeated key, as AWS maps it
                value = query.get(name)
            else:
                # Only a path parameter the resource cannot have is listed (``compile_checks``).
                value = None
            if value is None or not value.strip():
                names.append(name)
        return names

    def model_for(self, content_type: str | None) -> tuple[str, BodyModel] | None:
        """The model for a request's Content-Type (none sent is ``application/json``), else ``$default``'s."""
        if self.bodies is None:
            return None
        wanted = media_type(content_type)
        model = self.bodies.get(wanted)
        if model is not None:
            return wanted, model
        model = self.bodies.get(DEFAULT_CONTENT)
        return (DEFAULT_CONTENT, model) if model is not None else None


async def method_request(ctx: RequestContext) -> None:
    match, request = ctx.match, ctx.request
    assert match is not None and request is not None
    check = ctx.deployment.request_checks.get((match.api.name, match.resource.path, match.method.http_method))
    if check is None:
        return
    if check.parameters:
        names = check.missing(request)
        if names:
            raise MissingRequestParameters(
                names,
                f"request validation failed: missing required request parameters: {', '.join(names)} "
                f"({'; '.join(_described(check, names))})",
            )
    selected = check.model_for(request.header("content-type"))
    if selected is not None:
        _validate_body(request.body, *selected)


def _described(check: RequestCheck, names: list[str]) -> list[str]:
    """Where each missing name was required, for the log: ``method.request.header.x-token``."""
    wanted = set(names)
    return [f"method.request.{location}.{name}" for location, name in check.parameters if name in wanted]


def _validate_body(body: bytes, content_type: str, model: BodyModel) -> None:
    where = f"model '{model.name}' ({content_type})"
    try:
        # An empty body is an empty object to the validator (every recorded case agrees, reference B.1):
        # an object model's required properties are then missing, and an ``Empty`` model is satisfied.
        document = json.loads(body, parse_constant=_not_json) if body.strip() else {}
    except (ValueError, RecursionError) as error:
        detail = f"body is not JSON: {error}"
        raise InvalidRequestBody(f"[{detail}]", f"request validation failed: {where}: {detail}") from None
    try:
        failures = model.failures(document)
    except RecursionError:
        # A body nested deeper than a recursive model can be followed in Python's stack.
        detail = "body is nested too deeply to validate"
        raise InvalidRequestBody(f"[{detail}]", f"request validation failed: {where}: {detail}") from None
    if failures:
        raise InvalidRequestBody(
            validation_error_string(failures),
            f"request validation failed: the body does not match {where}: {located(failures)}",
        )


def _not_json(constant: str) -> object:
    """``NaN`` and ``Infinity``, which Python's parser takes and JSON (and AWS's parser) does not."""
    raise ValueError(f"{constant} is not a JSON value")


def compile_checks(definitions: Definitions) -> tuple[dict[MethodKey, RequestCheck], list[ConfigError]]:
    """The check of every method whose validator checks something, and what in the definitions cannot be."""
    checks: dict[MethodKey, RequestCheck] = {}
    problems: list[ConfigError] = []
    for api in definitions.apis.values():
        models: dict[str, BodyModel] = {}
        if api.models or _validates_bodies(api):
            models, broken = compile_models(api)
            problems += broken
        for resource, method in api.methods():
            problems += _unknown_models(api, method, models)
            check = _check(api, resource, method, models)
            if check is not None:
                checks[(api.name, resource.path, method.http_method)] = check
    return checks, problems


def _validates_bodies(api: RestApi) -> bool:
    """Whether a method's validator checks its body: only then do AWS's default models need compiling."""
    return any(
        validator.validate_request_body and method.request_models
        for _, method in api.methods()
        if (validator := api.request_validators.get(method.request_validator or "")) is not None
    )


def _check(
    api: RestApi, resource: Resource, method: Method, models: Mapping[str, BodyModel]
) -> RequestCheck | None:
    validator = api.request_validators.get(method.request_validator or "")
    if validator is None:
        return None
    parameters: tuple[tuple[str, str], ...] = ()
    if validator.validate_request_parameters:
        in_path = set(_PATH_VARIABLE.findall(resource.path))
        required: list[tuple[str, str]] = []
        for key, needed in sorted(method.request_parameters.items()):
            location, _, name = key.removeprefix("method.request.").partition(".")
            # A path parameter of the resource is always there: the request would not have matched without it.
            if needed and location in _LOCATIONS and not (location == "path" and name in in_path):
                required.append((location, name))
        parameters = tuple(required)
    bodies: dict[str, BodyModel] | None = None
    if validator.validate_request_body:
        bodies = {
            content_type.lower(): models[name]
            for content_type, name in method.request_models.items()
            if name in models
        }
    if not parameters and not bodies:
        return None
    return RequestCheck(parameters, bodies or None)


def _unknown_models(api: RestApi, method: Method, models: Mapping[str, BodyModel]) -> list[ConfigError]:
    """A method naming a model the API lacks (AWS's PutMethod refuses it: Invalid model identifier)."""
    known = {**dict.fromkeys(DEFAULT_MODELS), **dict.fromkeys(api.models)}
    return [
        ConfigError(
            method.location,
            f"the request model for {content_type} is '{name}', which is not a model of the API "
            f"(its models: {', '.join(sorted(known))})",
        )
        for content_type, name in method.request_models.items()
        if name not in known
    ]
