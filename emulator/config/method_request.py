"""A trigger's method request (AWS's Method): ``request_parameters``, ``request_models``, ``request_validator``.

```yaml
- api: shop
  resource: /orders/{id}
  method: POST
  request_parameters: {method.request.querystring.page: false, method.request.header.X-Tenant: true}
  request_models: {application/json: Order}
  request_validator: body-and-params
```

Parameter keys are AWS's own (``true`` = required). The models and the validator are the api's, which
may be declared in another file, so their names are checked when the files are assembled (``check``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from emulator.config import rules
from emulator.config.api_models import DEFAULT_MODEL_NAMES
from emulator.config.builder import NO_REQUEST, MethodRequest
from emulator.config.errors import ConfigError
from emulator.config.nodes import Field, Reader, did_you_mean, one_of
from emulator.model import Location, RestApi

KEYS = ("request_parameters", "request_models", "request_validator")
_PARAMETER = re.compile(r"method\.request\.(path|querystring|header)\.(.+)")


@dataclass(frozen=True)
class MethodRequestDecl:
    request: MethodRequest = NO_REQUEST
    #: Where each content type's model is named, and the validator, for names the api lacks.
    model_locations: Mapping[str, Location] = field(default_factory=dict)
    validator_location: Location | None = None
    #: Where the method request keys are, for a trigger that may not set them (an OpenAPI operation's).
    location: Location | None = None

    def check(self, api: RestApi, where: str) -> list[ConfigError]:
        """The models and validator named that ``api`` does not define."""
        errors: list[ConfigError] = []
        models = [*api.models, *(name for name in DEFAULT_MODEL_NAMES if name not in api.models)]
        for content_type, name in self.request.models.items():
            if name not in models:
                errors.append(
                    ConfigError(
                        self.model_locations[content_type],
                        f"unknown model '{name}'{did_you_mean(name, models)}; the models of api '{api.name}' "
                        f"are: {one_of(models)} (define it under apis.{api.name}.models)",
                    )
                )
        validator = self.request.validator
        if validator is not None and validator not in api.request_validators:
            known = list(api.request_validators)
            assert self.validator_location is not None
            errors.append(
                ConfigError(
                    self.validator_location,
                    f"unknown request validator '{validator}'{did_you_mean(validator, known)}; "
                    + (
                        f"the request validators of api '{api.name}' are: {one_of(known)}"
                        if known
                        else f"api '{api.name}' defines none (under apis.{api.name}.request_validators)"
                    )
                    + f" ({where})",
                )
            )
        return errors


def read_method_request(reader: Reader, keys: dict[str, Field], path: str | None) -> MethodRequestDecl:
    """The method request keys among a trigger's ``keys``; ``path`` is its resource, for path parameters."""
    present = [keys[key] for key in KEYS if key in keys]
    if not present:
        return MethodRequestDecl()
    parameters = _parameters(reader, keys["request_parameters"], path) if "request_parameters" in keys else {}
    models: dict[str, str] = {}
    model_locations: dict[str, Location] = {}
    for content_type, entry in (
        (reader.entries(keys["request_models"]) or {}).items() if "request_models" in keys else []
    ):
        problem = rules.media_type_problem(content_type)
        if problem:
            reader.error(entry, problem)
            continue
        name = reader.name(entry)
        if name is not None:
            models[content_type] = name
            model_locations[content_type] = reader.location(entry)
    validator = reader.name(keys["request_validator"]) if "request_validator" in keys else None
    return MethodRequestDecl(
        MethodRequest(parameters, models, validator),
        model_locations,
        reader.location(keys["request_validator"]) if validator is not None else None,
        reader.location(present[0]),
    )


def _parameters(reader: Reader, field: Field, path: str | None) -> dict[str, bool]:
    parameters: dict[str, bool] = {}
    variables = path_variables(path) if path is not None else None
    for key, entry in (reader.entries(field) or {}).items():
        match = _PARAMETER.fullmatch(key)
        if match is None:
            reader.error(
                entry,
                f"invalid method request parameter '{key}'; expected method.request.path.NAME, "
                "method.request.querystring.NAME or method.request.header.NAME",
            )
            continue
        place, name = match.groups()
        if place == "header" and rules.header_name_problem(name):
            reader.error(
                entry, f"invalid method request parameter '{key}': {rules.header_name_problem(name)}"
            )
            continue
        if place == "path" and variables is not None and name not in variables:
            reader.error(
                entry,
                f"'{key}' names no variable of the resource '{path}'"
                + (f"; its variables are: {one_of(variables)}" if variables else ", which has none"),
            )
            continue
        required = reader.boolean(entry, what="true (required) or false")
        if required is not None:
            parameters[key] = required
    return parameters


def path_variables(path: str) -> list[str]:
    """The names of a resource path's variables, a greedy one's without its ``+``: ``/a/{b}/{c+}`` -> b, c."""
    return [segment[1:-1].rstrip("+") for segment in rules.segments(path) if rules.is_variable(segment)]
