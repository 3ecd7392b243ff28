"""The document's paths: each operation a method of its resource, with what API Gateway's import reads of it.

Parameters become method request parameters (``method.request.path|querystring|header.NAME``, with
``required``), request bodies and responses become models, ``security`` the method's authorization,
and ``x-amazon-apigateway-integration`` its integration. An operation without one is kept aside for a
trigger of the YAML to integrate, as PutIntegration would give a method its integration on AWS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from emulator.config import rules
from emulator.config.nodes import Field
from emulator.config.openapi import integration as integrations
from emulator.config.openapi.imported import FunctionReference, Operation
from emulator.config.openapi.reader import EXTENSION_PREFIX, DocumentReader
from emulator.config.openapi.schemas import Models, model_for, suggested_name
from emulator.config.openapi.security import AUTH, Security, method_security
from emulator.config.openapi.settings import REQUEST_VALIDATOR, Settings, validator_name
from emulator.model import ANY, MOCK, Integration, Location, Method, MethodResponse

ANY_METHOD = EXTENSION_PREFIX + "any-method"
_VERBS = ("get", "put", "post", "delete", "options", "head", "patch")
#: Operation extensions read here; any other ``x-amazon-apigateway-*`` is warned about.
_OPERATION_EXTENSIONS = (integrations.EXTENSION, REQUEST_VALIDATOR, AUTH)
_PARAMETER = re.compile(r"\{([^}+]+)(\+?)\}")
_LOCATIONS = {"path": "path", "query": "querystring", "header": "header"}
_STATUS = re.compile(r"[1-5][0-9][0-9]")
_JSON = ["application/json"]


@dataclass
class Document:
    """What every operation reads besides itself: the document's version, schemes, models and settings."""

    reader: DocumentReader
    swagger: bool
    security: Security
    #: The document's ``security``, for operations without their own.
    default_security: Field | None
    models: Models
    settings: Settings
    #: Swagger 2.0's document-wide media types.
    consumes: list[str]
    produces: list[str]


def read_paths(document: Document, paths: Field | None) -> list[Operation]:
    reader = document.reader
    operations: list[Operation] = []
    for path, entry in (reader.entries(paths) or {}).items() if paths is not None else []:
        problem = rules.resource_path_problem(path)
        if problem:
            reader.error(entry, problem)
            continue
        item = reader.resolved(entry)
        keys = reader.entries(item) if item is not None else None
        if keys is None:
            continue
        for key, field in keys.items():
            verb = ANY if key == ANY_METHOD else key.upper() if key in _VERBS else None
            if verb is not None:
                operation = _operation(
                    document, path, reader.location(entry), verb, field, keys.get("parameters")
                )
                if operation is not None:
                    operations.append(operation)
            elif key == "trace":
                reader.warn(field, f"API Gateway has no TRACE methods; TRACE {path} is ignored")
            elif key.startswith(EXTENSION_PREFIX):
                reader.warn(field, f"{key} is not an extension of a path; it is ignored")
    return operations


def _operation(
    document: Document, path: str, path_location: Location, verb: str, field: Field, shared: Field | None
) -> Operation | None:
    reader = document.reader
    resolved = reader.resolved(field)
    keys = reader.entries(resolved) if resolved is not None else None
    if keys is None or resolved is None:
        return None
    for key, value in keys.items():
        if key.startswith(EXTENSION_PREFIX) and key not in _OPERATION_EXTENSIONS:
            reader.warn(value, f"{key} is not supported on an operation and is ignored")
    refused = f"Unable to put method '{verb}' on resource at path '{path}'"
    declarable = _path_parameters(path)
    in_path = set(declarable.values())
    parameters, body = _parameters(document, [shared, keys.get("parameters")], declarable, refused)
    request_models = _request_models(document, keys, body, verb, path)
    responses = _method_responses(document, keys.get("responses"), verb, path, keys)
    security = method_security(
        reader, keys.get("security", document.default_security), keys.get(AUTH), document.security, refused
    )
    validator = document.settings.default_validator
    if REQUEST_VALIDATOR in keys:
        validator = validator_name(reader, keys[REQUEST_VALIDATOR], document.settings, f"{verb} {path}")
    integration: Integration | None = Integration(type=MOCK)
    functions: tuple[FunctionReference, ...] = ()
    integrated = integrations.EXTENSION in keys
    if integrated:
        site = integrations.Site(verb, path, in_path, responses)
        integration, functions = integrations.read_integration(reader, keys[integrations.EXTENSION], site)
    if integration is None:
        return None
    operation_id = reader.string(keys["operationId"]) if "operationId" in keys else None
    method = Method(
        verb,
        integration,
        location=reader.location(field),
        authorization_type=security.authorization_type,
        authorizer=security.authorizer,
        authorization_scopes=security.scopes,
        api_key_required=security.api_key_required,
        request_parameters=parameters,
        request_models=request_models,
        request_validator=validator,
        method_responses=responses,
        operation_name=operation_id,
    )
    return Operation(path, method, path_location, integrated, functions)


def _path_parameters(path: str) -> dict[str, str]:
    """The names an operation may declare its path parameters under, each with the variable it stands for.

    A greedy ``{proxy+}`` is ``proxy`` to API Gateway (``method.request.path.proxy``, and the name AWS's
    export writes), but OpenAPI's validators want a path parameter named as the path spells it,
    ``proxy+``, which is how our export writes it: both are read.
    """
    names: dict[str, str] = {}
    for name, greedy in _PARAMETER.findall(path):
        names[name] = name
        if greedy:
            names[name + greedy] = name
    return names


def _parameters(
    document: Document, lists: list[Field | None], declarable: dict[str, str], refused: str
) -> tuple[dict[str, bool], Field | None]:
    """``method.request.*`` parameters, the operation's overriding the path's; and Swagger 2.0's body."""
    reader = document.reader
    declared: dict[tuple[str, str], tuple[Field, dict[str, Field]]] = {}
    for parameters in lists:
        for item in reader.sequence(parameters) or [] if parameters is not None else []:
            resolved = reader.resolved(item)
            keys = reader.entries(resolved) if resolved is not None else None
            if keys is None or resolved is None:
                continue
            name = reader.string(keys["name"]) if "name" in keys else None
            place = reader.string(keys["in"]) if "in" in keys else None
            if name is None or place is None:
                reader.error(resolved, "a parameter needs 'name' and 'in'")
                continue
            declared[(name, place)] = (resolved, keys)
    parameters_out: dict[str, bool] = {}
    body: Field | None = None
    for (name, place), (field, keys) in declared.items():
        required = bool(reader.boolean(keys["required"])) if "required" in keys else False
        if place == "body":
            body = keys.get("schema")
        elif place == "path" and name not in declarable:
            reader.error(
                field,
                f"{refused}: Invalid mapping expression specified: Validation Result: warnings : [], errors : "
                f"[Invalid mapping expression parameter specified: method.request.path.{name}] "
                f"(the path has no {{{name}}})",
            )
        elif place == "path":
            # A path parameter is always required: its resource cannot match without it.
            parameters_out[f"method.request.path.{declarable[name]}"] = True
        elif place in _LOCATIONS:
            parameters_out[f"method.request.{_LOCATIONS[place]}.{name}"] = required
        else:
            reader.warn(field, f"API Gateway has no {place} parameters; '{name}' is ignored")
    return parameters_out, body


def _request_models(
    document: Document, keys: dict[str, Field], body: Field | None, verb: str, path: str
) -> dict[str, str]:
    reader = document.reader
    wanted = suggested_name(verb, path, "Request")
    if body is not None:
        media_types = _media_types(reader, keys.get("consumes")) or document.consumes or _JSON
        model = model_for(reader, body, document.models, wanted)
        return dict.fromkeys(media_types, model) if model is not None else {}
    if "requestBody" not in keys:
        return {}
    request_body = reader.resolved(keys["requestBody"])
    entries = reader.entries(request_body) if request_body is not None else None
    return _content_models(document, (entries or {}).get("content"), wanted)


def _content_models(document: Document, content: Field | None, wanted: str) -> dict[str, str]:
    """OpenAPI 3's ``content``: a model per media type that has a schema."""
    reader = document.reader
    models: dict[str, str] = {}
    for media_type, entry in (reader.entries(content) or {}).items() if content is not None else []:
        schema = (reader.entries(entry) or {}).get("schema")
        if schema is not None:
            model = model_for(reader, schema, document.models, wanted)
            if model is not None:
                models[media_type] = model
    return models


def _method_responses(
    document: Document, field: Field | None, verb: str, path: str, keys: dict[str, Field]
) -> dict[str, MethodResponse]:
    reader = document.reader
    responses: dict[str, MethodResponse] = {}
    for status, entry in (reader.entries(field) or {}).items() if field is not None else []:
        if not _STATUS.fullmatch(status):
            reader.warn(
                entry,
                f"API Gateway's method responses are HTTP status codes; the response '{status}' is ignored",
            )
            continue
        resolved = reader.resolved(entry)
        response = reader.entries(resolved) if resolved is not None else None
        if response is None:
            continue
        headers = _response_headers(reader, response.get("headers"))
        wanted = suggested_name(verb, path, f"Response{status}")
        if document.swagger:
            models: dict[str, str] = {}
            if "schema" in response:
                media_types = _media_types(reader, keys.get("produces")) or document.produces or _JSON
                model = model_for(reader, response["schema"], document.models, wanted)
                models = dict.fromkeys(media_types, model) if model is not None else {}
        else:
            models = _content_models(document, response.get("content"), wanted)
        responses[status] = MethodResponse(status, headers, models)
    return responses


def _response_headers(reader: DocumentReader, field: Field | None) -> dict[str, bool]:
    """Method response headers, required where the header object says so (OpenAPI 3's ``required``)."""
    headers: dict[str, bool] = {}
    for name, entry in (reader.entries(field) or {}).items() if field is not None else []:
        header = reader.resolved(entry)
        keys = reader.entries(header) if header is not None else None
        required = keys is not None and "required" in keys and bool(reader.boolean(keys["required"]))
        headers[f"method.response.header.{name}"] = required
    return headers


def _media_types(reader: DocumentReader, field: Field | None) -> list[str]:
    return [media_type for media_type, _ in reader.strings(field) or []] if field is not None else []
