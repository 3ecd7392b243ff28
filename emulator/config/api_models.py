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

from emulator.config.nodes import Field, Reader
from emulator.config.template_sources import read_schema
from emulator.model import Model, RequestValidator

#: The models API Gateway creates with every API, which methods name without defining them.
DEFAULT_MODEL_NAMES = ("Empty", "Error")
_MODEL_NAME = re.compile(r"[A-Za-z0-9]+")
_VALIDATOR_KEYS = ("validate_request_body", "validate_request_parameters")


def read_models(reader: Reader, field: Field) -> dict[str, Model]:
    models: dict[str, Model] = {}
    for name, entry in (reader.entries(field) or {}).items():
        if not _MODEL_NAME.fullmatch(name):
            reader.error(
                entry, f"invalid model name '{name}'; API Gateway's model names are letters and digits"
            )
            continue
        schema = read_schema(reader, entry)
        if schema is not None:
            models[name] = Model(name, "application/json", schema, reader.location(entry))
    return models


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
