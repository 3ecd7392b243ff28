"""An api's ``models`` (AWS's models: JSON Schema draft 4) and ``request_validators`` (requestValidators).

```yaml
apis:
  shop:
    models:
      Order: {type: object, required: [sku], properties: {sku: {type: string}}}
      Customer: {file: models/customer.json}
    request_validators:
      body-and-params: {validate_request_body: true, validate_request_parameters: true}
```

Whether a schema is valid draft 4 is checked where the validators are compiled (``deploy``); here, that
each is JSON data under a name AWS allows.
"""

from __future__ import annotations

import re

from emulator.config.nodes import Field, Reader, did_you_mean, one_of
from emulator.config.openapi.schemas import model_url
from emulator.config.template_sources import read_schema
from emulator.model import Model, RequestValidator

#: The models API Gateway creates with every API, which methods name without defining them.
DEFAULT_MODEL_NAMES = ("Empty", "Error")
_MODEL_NAME = re.compile(r"[A-Za-z0-9]+")
_MODEL_REFERENCE = re.compile(
    r"(?:https://apigateway\.amazonaws\.com/restapis/[^/]+/models/|#/definitions/|#/components/schemas/)(?P<name>[^/]+)"
)
_VALIDATOR_KEYS = ("validate_request_body", "validate_request_parameters")


def read_models(reader: Reader, field: Field, api_id: str) -> dict[str, Model]:
    """The api's models; a ``$ref`` to another (``#/definitions/Name``, ``#/components/schemas/Name`` or
    AWS's URL) is stored as AWS stores it, ``https://apigateway.amazonaws.com/restapis/ID/models/Name``."""
    schemas: dict[str, tuple[dict[str, object], Field]] = {}
    for name, entry in (reader.entries(field) or {}).items():
        if not _MODEL_NAME.fullmatch(name):
            reader.error(
                entry, f"invalid model name '{name}'; API Gateway's model names are letters and digits"
            )
            continue
        schema = read_schema(reader, entry)
        if schema is not None:
            schemas[name] = (schema, entry)
    known = [*schemas, *(name for name in DEFAULT_MODEL_NAMES if name not in schemas)]
    models: dict[str, Model] = {}
    for name, (schema, entry) in schemas.items():
        unknown: list[tuple[str, str]] = []
        stored = _references(schema, api_id, known, unknown, "")
        for where, reference in unknown:
            reader.error(
                entry,
                f"$ref '{reference}' at {where or '/'} names no model of this api{did_you_mean(reference.rpartition('/')[2], known)}; "
                f"its models are: {one_of(known)}",
            )
        assert isinstance(stored, dict)
        models[name] = Model(name, "application/json", stored, reader.location(entry))
    return models


def _references(
    value: object, api_id: str, known: list[str], unknown: list[tuple[str, str]], where: str
) -> object:
    """``value`` with its references to models made AWS's; the others (``#/properties/a``) as written."""
    if isinstance(value, list):
        return [
            _references(item, api_id, known, unknown, f"{where}/{index}") for index, item in enumerate(value)
        ]
    if not isinstance(value, dict):
        return value
    result: dict[str, object] = {}
    for key, item in value.items():
        here = f"{where}/{key}"
        found = _MODEL_REFERENCE.fullmatch(item) if key == "$ref" and isinstance(item, str) else None
        if found is None:
            result[key] = _references(item, api_id, known, unknown, here)
        elif found["name"] in known:
            result[key] = model_url(api_id, found["name"])
        else:
            unknown.append((here, str(item)))
            result[key] = item
    return result


def read_request_validators(reader: Reader, field: Field) -> dict[str, RequestValidator]:
    validators: dict[str, RequestValidator] = {}
    for name, entry in (reader.entries(field) or {}).items():
        if not name.strip():
            reader.error(entry, "a request validator's name must not be empty")
            continue
        keys = reader.mapping(entry, optional=_VALIDATOR_KEYS)
        if keys is None:
            continue
        body = reader.boolean(keys["validate_request_body"]) if "validate_request_body" in keys else False
        parameters = (
            reader.boolean(keys["validate_request_parameters"])
            if "validate_request_parameters" in keys
            else False
        )
        if body is not None and parameters is not None:
            validators[name] = RequestValidator(name, body, parameters)
    return validators
