"""The document's API-wide extensions (reference 8.2): binary media types, gateway responses, validators,
the API-key source, the endpoint configuration and the resource policy; and what is not read, said so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from emulator.config import rules
from emulator.config.nodes import Field, did_you_mean, one_of
from emulator.config.openapi.reader import EXTENSION_PREFIX, DocumentReader
from emulator.config.policies import policy_problem
from emulator.model import (
    API_KEY_SOURCES,
    EDGE,
    ENDPOINT_TYPES,
    GATEWAY_RESPONSE_HEADER_SOURCES,
    GATEWAY_RESPONSE_TYPES,
    GatewayResponseSpec,
    RequestValidator,
)

BINARY_MEDIA_TYPES = EXTENSION_PREFIX + "binary-media-types"
GATEWAY_RESPONSES = EXTENSION_PREFIX + "gateway-responses"
REQUEST_VALIDATORS = EXTENSION_PREFIX + "request-validators"
REQUEST_VALIDATOR = EXTENSION_PREFIX + "request-validator"
API_KEY_SOURCE = EXTENSION_PREFIX + "api-key-source"
ENDPOINT_CONFIGURATION = EXTENSION_PREFIX + "endpoint-configuration"
POLICY = EXTENSION_PREFIX + "policy"
TAG_VALUE = EXTENSION_PREFIX + "tag-value"
#: Read and kept, or (the version marker AWS's export writes) meaning nothing locally.
READ = (
    BINARY_MEDIA_TYPES,
    GATEWAY_RESPONSES,
    REQUEST_VALIDATORS,
    REQUEST_VALIDATOR,
    API_KEY_SOURCE,
    ENDPOINT_CONFIGURATION,
    POLICY,
    EXTENSION_PREFIX + "importexport-version",
)
#: REST API extensions that are not supported yet, with what that means.
NOT_SUPPORTED = {
    EXTENSION_PREFIX + "minimum-compression-size": "responses are not compressed",
    EXTENSION_PREFIX + "documentation": "documentation parts are not kept",
}
#: Extensions of HTTP APIs, which a REST API import ignores.
HTTP_API_ONLY = (EXTENSION_PREFIX + "cors", EXTENSION_PREFIX + "route-selection-expression")
_VALIDATOR_KEYS = ("validateRequestBody", "validateRequestParameters")
_GATEWAY_RESPONSE_KEYS = ("statusCode", "responseParameters", "responseTemplates", "defaultResponse")
_GATEWAY_HEADER = "gatewayresponse.header."
_ENDPOINT_KEYS = ("types", "vpcEndpointIds", "disableExecuteApiEndpoint")


@dataclass
class Settings:
    binary_media_types: tuple[str, ...] = ()
    gateway_responses: dict[str, GatewayResponseSpec] = field(default_factory=dict)
    request_validators: dict[str, RequestValidator] = field(default_factory=dict)
    #: The validator of every operation that names none.
    default_validator: str | None = None
    api_key_source: str = "HEADER"
    endpoint_type: str = EDGE
    policy: dict[str, object] | None = None


def read_settings(reader: DocumentReader, top: dict[str, Field], servers: Field | None) -> Settings:
    settings = Settings()
    for name, value in top.items():
        if not name.startswith(EXTENSION_PREFIX) or name in READ:
            continue
        if name in NOT_SUPPORTED:
            reader.warn(value, f"{name} is not supported yet and is ignored: {NOT_SUPPORTED[name]}")
        elif name in HTTP_API_ONLY:
            reader.warn(value, f"{name} is an HTTP API extension; a REST API's import ignores it")
        else:
            close = did_you_mean(name, [*READ, *NOT_SUPPORTED])
            reader.warn(value, f"unknown extension {name}{close} is ignored")
    for tag in reader.sequence(top["tags"]) or [] if "tags" in top else []:
        tag_value = (reader.entries(tag) or {}).get(TAG_VALUE)
        if tag_value is not None:
            reader.warn(
                tag_value, f"{TAG_VALUE} is not supported yet and is ignored: the api's tags are not kept"
            )
    if BINARY_MEDIA_TYPES in top:
        settings.binary_media_types = _media_types(reader, top[BINARY_MEDIA_TYPES])
    if GATEWAY_RESPONSES in top:
        settings.gateway_responses = _gateway_responses(reader, top[GATEWAY_RESPONSES])
    if REQUEST_VALIDATORS in top:
        settings.request_validators = _validators(reader, top[REQUEST_VALIDATORS])
    if REQUEST_VALIDATOR in top:
        settings.default_validator = validator_name(reader, top[REQUEST_VALIDATOR], settings, "the API")
    if API_KEY_SOURCE in top:
        settings.api_key_source = _choice(reader, top[API_KEY_SOURCE], API_KEY_SOURCES) or "HEADER"
    configuration = top.get(ENDPOINT_CONFIGURATION) or _server_endpoint_configuration(reader, servers)
    if configuration is not None:
        settings.endpoint_type = _endpoint_type(reader, configuration)
    if POLICY in top:
        settings.policy = _policy(reader, top[POLICY])
    return settings


def validator_name(reader: DocumentReader, field: Field, settings: Settings, user: str) -> str | None:
    """A validator's name, which must be one of ``x-amazon-apigateway-request-validators``."""
    name = reader.string(field)
    if name is None:
        return None
    if name in settings.request_validators:
        return name
    known = list(settings.request_validators)
    reader.error(
        field,
        f"Invalid Request Validator identifier specified: {user} names the request validator '{name}'"
        f"{did_you_mean(name, known)}, which is not among {REQUEST_VALIDATORS}: {one_of(known) or 'none are defined'}",
    )
    return None


def _media_types(reader: DocumentReader, field: Field) -> tuple[str, ...]:
    media_types = []
    for media_type, item in reader.strings(field) or []:
        problem = rules.media_type_problem(media_type)
        if problem:
            reader.error(item, problem)
        else:
            media_types.append(media_type)
    return tuple(media_types)


def _validators(reader: DocumentReader, field: Field) -> dict[str, RequestValidator]:
    validators: dict[str, RequestValidator] = {}
    for name, entry in (reader.entries(field) or {}).items():
        keys = reader.keys(entry, _VALIDATOR_KEYS, what=REQUEST_VALIDATORS)
        if keys is None:
            continue
        body = reader.boolean(keys["validateRequestBody"]) if "validateRequestBody" in keys else False
        parameters = (
            reader.boolean(keys["validateRequestParameters"])
            if "validateRequestParameters" in keys
            else False
        )
        validators[name] = RequestValidator(name, bool(body), bool(parameters))
    return validators


def _gateway_responses(reader: DocumentReader, field: Field) -> dict[str, GatewayResponseSpec]:
    specs: dict[str, GatewayResponseSpec] = {}
    for response_type, entry in (reader.entries(field) or {}).items():
        if response_type not in GATEWAY_RESPONSE_TYPES:
            reader.error(
                entry,
                f"unknown gateway response type '{response_type}'"
                f"{did_you_mean(response_type, list(GATEWAY_RESPONSE_TYPES))}; "
                f"expected one of {one_of(list(GATEWAY_RESPONSE_TYPES))}",
            )
            continue
        keys = reader.keys(entry, _GATEWAY_RESPONSE_KEYS, what=GATEWAY_RESPONSES)
        if keys is None:
            continue
        status = None
        if "statusCode" in keys:
            text = reader.text(keys["statusCode"])
            if text is not None and (not text.isdigit() or not 100 <= int(text) <= 599):
                reader.error(
                    keys["statusCode"],
                    f"invalid statusCode '{text}'; expected an HTTP status from 100 to 599",
                )
            elif text is not None:
                status = int(text)
        headers = _gateway_headers(reader, keys.get("responseParameters"))
        template = None
        template_location = None
        for content_type, value in (
            (reader.entries(keys["responseTemplates"]) or {}).items() if "responseTemplates" in keys else []
        ):
            if content_type != "application/json":
                reader.warn(
                    value,
                    f"{GATEWAY_RESPONSES}: only the application/json template is kept; {content_type}'s is ignored",
                )
                continue
            template = reader.string(value)
            template_location = reader.location(value)
        specs[response_type] = GatewayResponseSpec(
            response_type, status, headers, template, template_location
        )
    return specs


def _gateway_headers(reader: DocumentReader, field: Field | None) -> tuple[tuple[str, str], ...]:
    headers: list[tuple[str, str]] = []
    for target, value_field in (reader.entries(field) or {}).items() if field is not None else []:
        if not target.startswith(_GATEWAY_HEADER):
            reader.warn(
                value_field,
                f"{GATEWAY_RESPONSES}: only gatewayresponse.header.NAME mappings are supported; '{target}' is ignored",
            )
            continue
        name = target[len(_GATEWAY_HEADER) :]
        problem = rules.header_name_problem(name)
        value = reader.string(value_field)
        if problem:
            reader.error(value_field, problem)
        elif (
            value is not None
            and value.startswith("method.request.")
            and not value.startswith(GATEWAY_RESPONSE_HEADER_SOURCES)
        ):
            reader.error(
                value_field,
                f"Invalid mapping expression specified: '{value}' cannot be mapped into a gateway response",
            )
        elif value is not None:
            headers.append((name, value))
    return tuple(headers)


def _choice(reader: DocumentReader, field: Field, allowed: tuple[str, ...]) -> str | None:
    written = reader.string(field)
    if written is None:
        return None
    if written.upper() in allowed:
        return written.upper()
    reader.error(field, f"unknown value '{written}'; expected one of {one_of(allowed)}")
    return None


def _server_endpoint_configuration(reader: DocumentReader, servers: Field | None) -> Field | None:
    """OpenAPI 3 documents carry the endpoint configuration in a server object, where AWS's export puts it."""
    for server in reader.sequence(servers) or [] if servers is not None else []:
        entries = reader.entries(server) or {}
        if ENDPOINT_CONFIGURATION in entries:
            return entries[ENDPOINT_CONFIGURATION]
    return None


def _endpoint_type(reader: DocumentReader, field: Field) -> str:
    keys = reader.keys(field, _ENDPOINT_KEYS, what=ENDPOINT_CONFIGURATION)
    if keys is None:
        return EDGE
    if "vpcEndpointIds" in keys:
        reader.warn(
            keys["vpcEndpointIds"],
            f"{ENDPOINT_CONFIGURATION}.vpcEndpointIds is not supported yet and is ignored: the API is served "
            "locally to any client",
        )
    if "disableExecuteApiEndpoint" in keys and reader.boolean(keys["disableExecuteApiEndpoint"]):
        reader.warn(
            keys["disableExecuteApiEndpoint"],
            f"{ENDPOINT_CONFIGURATION}.disableExecuteApiEndpoint is not supported yet and is ignored: the API "
            "is served at its local URL all the same",
        )
    types = reader.strings(keys["types"]) if "types" in keys else None
    if not types:
        return EDGE
    if len(types) > 1:
        reader.warn(
            keys["types"], f"{ENDPOINT_CONFIGURATION}.types: an API has one endpoint type; the first applies"
        )
    written, item = types[0]
    if written.upper() in ENDPOINT_TYPES:
        return written.upper()
    reader.error(item, f"unknown endpoint type '{written}'; expected one of {one_of(ENDPOINT_TYPES)}")
    return EDGE


def _policy(reader: DocumentReader, field: Field) -> dict[str, object] | None:
    """The resource policy, kept as JSON (an object, or the JSON text CloudFormation also accepts)."""
    value = reader.plain(field)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            reader.error(field, f"{POLICY} is not a JSON policy document: {exc}")
            return None
    if not isinstance(value, dict):
        reader.error(field, f"{POLICY} must be a policy document (a mapping)")
        return None
    problem = policy_problem(value)
    if problem is not None:
        reader.error(field, f"{POLICY}: {problem}")
        return None
    return value
