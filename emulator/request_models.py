"""An API's models as JSON Schema draft 4 validators, built once per deployment.

API Gateway validates bodies against draft 4 whatever a model's ``$schema`` says, and a model refers
to another by its absolute URL (``https://apigateway.amazonaws.com/restapis/ID/models/NAME``, the form
AWS stores and the OpenAPI import writes ``#/components/schemas/NAME`` into). So every model of an
API, with AWS's default ``Empty`` and ``Error``, is registered at that URL, and only there: a
reference nothing registers is a load error rather than a fetch from the network, and a schema the
draft 4 meta-schema refuses is one too (AWS refuses it at CreateModel), each at the model's location.

What a failing body is told follows AWS's: the client gets the gateway's message only, and the
detail (``$context.error.validationErrorString``) is worded as the Java validator AWS runs words it,
``[object has missing required properties (["a","b"])]`` (AWS's documentation quotes that wording).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from emulator.config.errors import HINT, ConfigError
from emulator.config.openapi.schemas import model_url
from emulator.model import Location, Model, RestApi

if TYPE_CHECKING:
    # Imported where models are compiled: jsonschema takes a fifth of a second to import, which an API
    # without models of its own and without body validation never needs to pay at start-up.
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator
    from referencing import Registry

DRAFT_4 = "http://json-schema.org/draft-04/schema#"

#: The models every API has, as GetModels lists them on a new API (reference B.1).
DEFAULT_MODELS: Mapping[str, Model] = {
    "Empty": Model("Empty", schema={"$schema": DRAFT_4, "title": "Empty Schema", "type": "object"}),
    "Error": Model(
        "Error",
        schema={
            "$schema": DRAFT_4,
            "title": "Error Schema",
            "type": "object",
            "properties": {"message": {"type": "string"}},
        },
    ),
}

#: Failures a body's detail lists at most: a huge body failing everywhere stays cheap to refuse.
MAX_LISTED = 10

#: Keywords whose value is a schema, a list of schemas, or a mapping of names to schemas (draft 4).
_ONE_SCHEMA = ("not", "additionalItems", "additionalProperties", "items", "dependencies")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "items")
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "dependencies")


@dataclass(frozen=True)
class Failure:
    """One thing a body breaks: where in the body (a JSON pointer, empty for the whole), and what."""

    pointer: str
    text: str


@dataclass(frozen=True)
class BodyModel:
    """One model, ready to check bodies: its validator resolves references within the API's models."""

    name: str
    validator: Validator

    def failures(self, body: Any) -> list[Failure]:
        """What is wrong with ``body`` (parsed JSON): at most ``MAX_LISTED``, in its order; none if valid."""
        found = sorted(
            islice(self.validator.iter_errors(body), MAX_LISTED),
            key=lambda error: [str(step) for step in error.absolute_path],
        )
        return [Failure(_pointer(error.absolute_path), _worded(error)) for error in _grouped(found)]


def api_models(api: RestApi) -> Mapping[str, Model]:
    """The API's models with AWS's defaults, which an API may redefine."""
    return {**DEFAULT_MODELS, **api.models}


def compile_models(api: RestApi) -> tuple[dict[str, BodyModel], list[ConfigError]]:
    """A ``BodyModel`` for each usable model of ``api``, and an error for each model that is not."""
    models = api_models(api)
    problems: list[ConfigError] = []
    schemas: dict[str, dict[str, Any]] = {}
    for name, model in models.items():
        # Draft 4, whatever the model declares: jsonschema would otherwise pick a validator by ``$schema``.
        # The model's URL is its base, for the references within it (unless it names its own, draft 4's id).
        schema = {"id": model_url(api.id, name)} | {
            key: value for key, value in model.schema.items() if key != "$schema"
        }
        refused = _schema_problem(json.dumps(schema, sort_keys=True, default=str))
        if refused is not None:
            where, message = refused
            problems.append(
                ConfigError(
                    _where(model, api),
                    f"model '{name}' is not a valid JSON Schema (draft 4){f' at {where}' if where else ''}: "
                    f"{message}",
                    (f"{HINT}API Gateway refuses it: Invalid model specified",),
                )
            )
            continue
        schemas[name] = schema
    from jsonschema import Draft4Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT4

    registry: Registry[Any] = Registry().with_resources(
        (model_url(api.id, name), DRAFT4.create_resource(schema)) for name, schema in schemas.items()
    )
    registry = registry.crawl()
    # One validator holds the registry, and each model's is derived from it: jsonschema merges a new
    # validator's registry into its own, which for every model of a large API would cost O(n²). The
    # model is wrapped in ``allOf`` so that jsonschema enters it as a subschema, where its ``id`` (its
    # URL) becomes the base its references resolve against.
    root = Draft4Validator({}, registry=registry)
    usable: dict[str, BodyModel] = {}
    for name, schema in schemas.items():
        broken = [
            _unresolved(api, models[name], reference, models)
            for base, reference in _references(schema, model_url(api.id, name))
            if not _resolves(registry, base, reference)
        ]
        problems.extend(broken)
        if not broken:
            usable[name] = BodyModel(name, root.evolve(schema={"allOf": [schema]}))
    return usable, problems


@lru_cache(maxsize=4096)
def _schema_problem(schema_json: str) -> tuple[str, str] | None:
    """Where and why the draft 4 meta-schema refuses a schema (a few ms each: cached, as load and deploy
    and every reload of an unchanged model check the same text)."""
    from jsonschema import Draft4Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft4Validator.check_schema(json.loads(schema_json))
    except SchemaError as error:
        return _pointer(error.absolute_path), error.message
    return None


def validation_error_string(failures: list[Failure]) -> str:
    """``$context.error.validationErrorString``: each failure in the Java validator's words, in brackets."""
    return "[" + ", ".join(failure.text for failure in failures) + "]"


def located(failures: list[Failure]) -> str:
    """The failures for the log: each with where in the body it is (``/`` is the whole body)."""
    return "; ".join(f"{failure.pointer or '/'}: {failure.text}" for failure in failures)


def _where(model: Model, api: RestApi) -> Location:
    return model.location if model.location.file != "<memory>" else api.location


def _resolves(registry: Registry[Any], base: str, reference: str) -> bool:
    from referencing.exceptions import Unresolvable

    try:
        registry.resolver(base_uri=base).lookup(reference)
    except Unresolvable:
        return False
    return True


def _unresolved(api: RestApi, model: Model, reference: str, models: Mapping[str, Model]) -> ConfigError:
    target = reference.rsplit("/", 1)[-1]
    notes: tuple[str, ...] = ()
    if target in models and reference != model_url(api.id, target):
        notes = (f"{HINT}another model of the API is {model_url(api.id, target)}",)
    elif not reference.startswith("#"):
        known = ", ".join(sorted(models))
        notes = (
            f"{HINT}a model refers to the API's models by {model_url(api.id, '<Name>')} (its models: {known})",
        )
    return ConfigError(
        _where(model, api),
        f"model '{model.name}' refers to {reference!r}, which is nowhere to be found",
        notes,
    )


def _references(schema: object, base: str) -> Iterator[tuple[str, str]]:
    """Each ``$ref`` of a schema with the base URI it is resolved against (draft 4's ``id`` moves it)."""
    if not isinstance(schema, Mapping):
        return
    identifier = schema.get("id")
    if isinstance(identifier, str):
        base = urljoin(base, identifier)
    reference = schema.get("$ref")
    if isinstance(reference, str):
        yield base, reference
        return  # draft 4 ignores a reference's siblings
    for keyword in _ONE_SCHEMA:
        yield from _references(schema.get(keyword), base)
    for keyword in _SCHEMA_LISTS:
        listed = schema.get(keyword)
        if isinstance(listed, list):
            for each in listed:
                yield from _references(each, base)
    for keyword in _SCHEMA_MAPS:
        named = schema.get(keyword)
        if isinstance(named, Mapping):
            for each in named.values():
                yield from _references(each, base)


def _pointer(path: Iterable[object]) -> str:
    return "".join(f"/{step}" for step in path)


def _grouped(failures: list[ValidationError]) -> list[ValidationError]:
    """One failure per object for its missing properties, as the Java validator reports them together."""
    grouped: list[ValidationError] = []
    missing: dict[tuple[object, ...], ValidationError] = {}
    for failure in failures:
        if failure.validator == "required":
            where = tuple(failure.absolute_path)
            if where in missing:
                continue
            missing[where] = failure
        grouped.append(failure)
    return grouped


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _worded(failure: ValidationError) -> str:
    """The Java validator's wording (UNCONFIRMED per case, reference B.2); jsonschema's where it has none."""
    keyword, expected, instance = failure.validator, failure.validator_value, failure.instance
    if keyword == "required" and isinstance(instance, Mapping) and isinstance(expected, list):
        absent = [name for name in expected if name not in instance]
        return f"object has missing required properties ({_json(absent)})"
    if keyword == "type":
        allowed = expected if isinstance(expected, list) else [expected]
        return (
            f"instance type ({_kind(instance)}) does not match any allowed primitive type "
            f"(allowed: {_json(allowed)})"
        )
    if keyword == "enum":
        return f"instance value ({_json(instance)}) not found in enum (possible values: {_json(expected)})"
    if keyword == "additionalProperties" and isinstance(instance, Mapping):
        return f"object instance has properties which are not allowed by the schema: {_json(_extra(failure))}"
    if keyword == "minLength" and isinstance(instance, str):
        return (
            f"string {_json(instance)} is too short (length: {len(instance)}, required minimum: {expected})"
        )
    if keyword == "maxLength" and isinstance(instance, str):
        return f"string {_json(instance)} is too long (length: {len(instance)}, maximum allowed: {expected})"
    if keyword == "minimum":
        return f"numeric instance is lower than the required minimum (minimum: {expected}, found: {instance})"
    if keyword == "maximum":
        return (
            f"numeric instance is greater than the required maximum (maximum: {expected}, found: {instance})"
        )
    if keyword == "pattern":
        return f"ECMA 262 regex {_json(expected)} does not match input string {_json(instance)}"
    if keyword == "minItems" and isinstance(instance, list):
        return (
            f"array is too short: must have at least {expected} elements but instance has "
            f"{len(instance)} elements"
        )
    if keyword == "maxItems" and isinstance(instance, list):
        return f"array is too long: must have at most {expected} elements but instance has {len(instance)} elements"
    return _worded_combination(failure) or failure.message


def _worded_combination(failure: ValidationError) -> str | None:
    keyword, expected, instance = failure.validator, failure.validator_value, failure.instance
    if keyword == "oneOf" and isinstance(expected, list):
        # jsonschema says which schemas failed when none matched, and nothing when several did.
        failed = {error.relative_schema_path[0] for error in failure.context or ()}
        matched = str(len(expected) - len(failed)) if failed else "several"
        return f"instance failed to match exactly one schema (matched {matched} out of {len(expected)})"
    if keyword == "anyOf" and isinstance(expected, list):
        return f"instance failed to match at least one required schema among {len(expected)}"
    if keyword == "not":
        return "instance matched a schema which it should not have"
    if keyword == "uniqueItems":
        return "array must not contain duplicate elements"
    if keyword == "multipleOf":
        return f"remainder of division is not zero ({instance} / {expected})"
    if keyword == "minProperties" and isinstance(instance, Mapping):
        return f"object has too few properties (found {len(instance)}, required: {expected})"
    if keyword == "maxProperties" and isinstance(instance, Mapping):
        return f"object has too many properties (found {len(instance)}, maximum allowed: {expected})"
    return None


def _extra(failure: ValidationError) -> list[str]:
    schema = failure.schema if isinstance(failure.schema, Mapping) else {}
    properties = schema.get("properties") or {}
    patterns = schema.get("patternProperties") or {}
    instance = failure.instance if isinstance(failure.instance, Mapping) else {}
    return sorted(
        name
        for name in instance
        if name not in properties and not any(re.search(pattern, name) for pattern in patterns)
    )
