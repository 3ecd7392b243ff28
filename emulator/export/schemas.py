"""An API's models (JSON Schema draft 4, as API Gateway stores them) as OpenAPI 3.0 schema objects.

OpenAPI 3.0 takes a subset of JSON Schema with a few words of its own: no ``$schema``, one ``type``
(``nullable`` for null), references into ``#/components/schemas``. API Gateway's export rewrites its
models the same way, and its import turns them back into models, so a model that only uses the
common subset goes out and comes back whole; a keyword outside it is reported, not silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: The keywords an OpenAPI 3.0 schema object accepts besides ``x-`` extensions (its specification, 4.7.24).
_KEYWORDS = frozenset(
    {
        "title",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxProperties",
        "minProperties",
        "required",
        "enum",
        "type",
        "not",
        "allOf",
        "oneOf",
        "anyOf",
        "items",
        "properties",
        "additionalProperties",
        "description",
        "format",
        "default",
        "nullable",
        "discriminator",
        "readOnly",
        "writeOnly",
        "example",
        "externalDocs",
        "deprecated",
        "xml",
    }
)
#: Words about the document rather than the data: OpenAPI has no place for them and loses nothing without them.
_META = frozenset({"$schema", "id", "$id"})
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SUBSCHEMAS = ("not", "items", "additionalProperties")
#: How a model names another: API Gateway's own URL, or a document's local reference.
_MODEL_REF = re.compile(
    r"(?:https://apigateway\.amazonaws\.com/restapis/[^/]+/models/|#/definitions/|#/components/schemas/)"
    r"(?P<name>[A-Za-z0-9]+)"
)

SCHEMAS_REF = "#/components/schemas/"


def openapi_schema(schema: Mapping[str, object], problems: list[str], where: str = "") -> dict[str, object]:
    """``schema`` as an OpenAPI 3.0 schema object; ``problems`` gets what had to be left out, by key path."""
    result: dict[str, object] = {}
    types: list[object] | None = None
    for key, value in schema.items():
        here = f"{where}/{key}"
        if key in _META:
            continue
        if key == "$ref":
            found = _MODEL_REF.fullmatch(value) if isinstance(value, str) else None
            if found is None:
                problems.append(f"{here}: {value!r} names no model of this API; left out")
            else:
                result["$ref"] = SCHEMAS_REF + found.group("name")
        elif key == "type" and (isinstance(value, list) or value == "null"):
            # OpenAPI 3.0 has no "null" type: draft 4's is written as nullable (below).
            types = value if isinstance(value, list) else [value]
        elif key == "properties" and isinstance(value, Mapping):
            result[key] = {name: _subschema(sub, problems, f"{here}/{name}") for name, sub in value.items()}
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            result[key] = [_subschema(sub, problems, f"{here}/{index}") for index, sub in enumerate(value)]
        elif key in _SUBSCHEMAS and isinstance(value, Mapping):
            result[key] = openapi_schema(value, problems, here)
        elif key == "items" and isinstance(value, list):
            problems.append(f"{here}: a list of item schemas (tuple validation) is not OpenAPI 3.0; left out")
        elif key in _KEYWORDS or key.startswith("x-"):
            result[key] = value
        else:
            problems.append(f"{here}: '{key}' is not a keyword of OpenAPI 3.0's schema objects; left out")
    if types is not None:
        _one_type(types, result)
    return result


def _subschema(value: object, problems: list[str], where: str) -> object:
    if isinstance(value, Mapping):
        return openapi_schema(value, problems, where)
    return value


def _one_type(types: list[object], schema: dict[str, object]) -> None:
    """Draft 4's list of types into ``schema``: ``null`` becomes ``nullable``, several others an ``anyOf``."""
    named = [kind for kind in types if kind != "null"]
    if len(named) < len(types):
        schema["nullable"] = True
    if types and not named and "enum" not in schema:
        # Null alone (draft 4's ``{"type": "null"}``, as in ``oneOf: [{"type": "null"}, …]``): nullable says
        # null is allowed, the enum that nothing else is.
        schema["enum"] = [None]
    if len(named) == 1:
        schema["type"] = named[0]
    elif named:
        choices = [{"type": kind} for kind in named]
        if "anyOf" in schema:
            # Both must hold: the schema's own alternatives and one of the types.
            schema["allOf"] = [
                *_as_list(schema.get("allOf")),
                {"anyOf": schema.pop("anyOf")},
                {"anyOf": choices},
            ]
        else:
            schema["anyOf"] = choices


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []
