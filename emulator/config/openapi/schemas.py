"""Schemas as API Gateway's models: the document's named schemas, and the inline ones of bodies and responses.

AWS stores a model as JSON Schema (draft 4) whose references to other models are absolute
(``https://apigateway.amazonaws.com/restapis/ID/models/NAME``); the import rewrites
``#/components/schemas/NAME`` and ``#/definitions/NAME`` into that form, and inlines any other
reference within the document. An operation's inline schema becomes a model of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from yaml.nodes import MappingNode, ScalarNode

from emulator.config.nodes import Field
from emulator.config.openapi.reader import DocumentReader
from emulator.model import Model

_MODEL_NAME = re.compile(r"[A-Za-z0-9]+")
_MODEL_REFERENCE = re.compile(r"#/(?:components/schemas|definitions)/([^/]+)")


def model_url(api_id: str, name: str) -> str:
    """How AWS's models refer to another model of the API."""
    return f"https://apigateway.amazonaws.com/restapis/{api_id}/models/{name}"


@dataclass
class Models:
    """The API's models, and the names taken, so inline schemas get names of their own."""

    api_id: str
    models: dict[str, Model] = field(default_factory=dict)
    #: The document's named schemas, known before any is read, so references can be checked in any order.
    declared: set[str] = field(default_factory=set)
    #: Where named schemas are (``components.schemas`` or ``definitions``), for messages.
    where: str = "components.schemas"

    def unique_name(self, wanted: str) -> str:
        name, number = wanted, 2
        while name in self.models:
            name, number = f"{wanted}{number}", number + 1
        return name


def read_models(reader: DocumentReader, schemas: Field | None, models: Models) -> None:
    """The named schemas, each a model of the same name."""
    entries = (reader.entries(schemas) or {}) if schemas is not None else {}
    models.declared.update(entries)
    for name, entry in entries.items():
        if not _MODEL_NAME.fullmatch(name):
            reader.error(
                entry, f"model name '{name}' is not alphanumeric; API Gateway's model names are [A-Za-z0-9]+"
            )
            continue
        schema = plain_schema(reader, entry, models)
        if isinstance(schema, dict):
            models.models[name] = Model(name, "application/json", schema, reader.location(entry))
        elif schema is not None:
            reader.error(entry, f"the schema '{name}' is not a mapping")


def model_for(reader: DocumentReader, schema: Field, models: Models, suggested: str) -> str | None:
    """The model a body or response schema uses: the one a ``$ref`` names, or a new one for an inline schema."""
    reference = _reference(schema)
    if reference is not None:
        named = _MODEL_REFERENCE.fullmatch(reference)
        if named is not None:
            name = named[1]
            if name not in models.declared:
                reader.error(schema, f"$ref '{reference}' names no schema under {models.where}")
                return None
            return name
    plain = plain_schema(reader, schema, models)
    if not isinstance(plain, dict):
        return None
    if not plain:
        return "Empty"  # an empty schema is AWS's default model, which every API has
    name = models.unique_name(suggested)
    models.models[name] = Model(name, "application/json", plain, reader.location(schema))
    return name


def suggested_name(verb: str, path: str, suffix: str) -> str:
    """``GET /pets/{petId}`` + ``Response200`` -> ``GetPetsPetIdResponse200``, alphanumeric as AWS's names are."""
    words = re.findall(r"[A-Za-z0-9]+", f"{verb.lower()} {path}")
    return "".join(word[:1].upper() + word[1:] for word in words) + suffix


def plain_schema(reader: DocumentReader, schema: Field, models: Models) -> object:
    """The schema as plain JSON data, model references made absolute, other references inlined."""
    resolving: list[str] = []

    def referenced(reference: str, current: Field, depth: int) -> object:
        named = _MODEL_REFERENCE.fullmatch(reference)
        if named is not None:
            if named[1] not in models.declared:
                reader.error(current, f"$ref '{reference}' names no schema under {models.where}")
            return {"$ref": model_url(models.api_id, named[1])}
        if reference in resolving:
            reader.error(current, f"circular $ref: {' -> '.join([*resolving, reference])}")
            return None
        target = reader.pointed(current, reference)
        if target is None:
            return None
        resolving.append(reference)
        try:
            return reader.plain(target, referenced, depth + 1)
        finally:
            resolving.pop()

    return reader.plain(schema, referenced)


def _reference(field: Field) -> str | None:
    node = field.node
    if not isinstance(node, MappingNode):
        return None
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value == "$ref" and isinstance(value, ScalarNode):
            return str(value.value)
    return None
