"""``x-amazon-apigateway-integration``: an operation's backend, as API Gateway's import reads it (reference 8.1).

Checked as AWS checks it when it puts the integration: a known ``type``, a ``uri`` unless MOCK, a
Lambda URI for AWS_PROXY, mapping expressions that name the method's own parameters and responses.
Messages begin as AWS's do ("Unable to put integration on 'GET' for resource at path '/pets': …").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from emulator.config.lambda_uris import UnresolvedFunction, lambda_target
from emulator.config.nodes import Field, one_of
from emulator.config.openapi.imported import FunctionReference
from emulator.config.openapi.intrinsics import string_or_sub
from emulator.config.openapi.reader import DocumentReader
from emulator.model import (
    AWS,
    AWS_PROXY,
    CONTENT_HANDLINGS,
    HTTP,
    HTTP_PROXY,
    INTEGRATION_TYPES,
    MAX_TIMEOUT_MS,
    METHOD_RESPONSE_HEADER,
    MIN_TIMEOUT_MS,
    MOCK,
    PASSTHROUGH_BEHAVIORS,
    WHEN_NO_MATCH,
    Integration,
    IntegrationResponse,
    Location,
    MethodResponse,
)

EXTENSION = "x-amazon-apigateway-integration"
_KEYS = (
    "type",
    "uri",
    "httpMethod",
    "credentials",
    "requestParameters",
    "requestTemplates",
    "passthroughBehavior",
    "contentHandling",
    "timeoutInMillis",
    "cacheKeyParameters",
    # Caching is not emulated, so the namespace of the cache keys changes nothing.
    "cacheNamespace",
    "responses",
    "connectionType",
    "connectionId",
    "tlsConfig",
)
_RESPONSE_KEYS = ("statusCode", "responseParameters", "responseTemplates", "contentHandling")
_REQUEST_TARGET = re.compile(
    r"integration\.request\.(header|querystring|path|multivalueheader|multivaluequerystring)\.\S+"
)
_PATH_SOURCE = re.compile(r"method\.request\.path\.(.+)")
_STATUS = re.compile(r"[1-5][0-9][0-9]")


@dataclass(frozen=True)
class Site:
    """The operation an integration belongs to, as its checks need it."""

    verb: str
    path: str
    path_parameters: Collection[str]
    method_responses: Mapping[str, MethodResponse]

    @property
    def name(self) -> str:
        return f"{self.verb} {self.path}"

    def refused(self, reason: str) -> str:
        """AWS's words for a refused integration."""
        return f"Unable to put integration on '{self.verb}' for resource at path '{self.path}': {reason}"


def read_integration(
    reader: DocumentReader, field: Field, operation: Site
) -> tuple[Integration | None, tuple[FunctionReference, ...]]:
    """The integration, and the local functions its URI names; ``None`` when it is refused (reported)."""
    resolved = reader.resolved(field)
    if resolved is None:
        return None, ()
    keys = reader.keys(resolved, _KEYS, what=EXTENSION)
    if keys is None:
        return None, ()
    kind = _integration_type(reader, resolved, keys, operation)
    if kind is None:
        return None, ()
    uri = string_or_sub(reader, keys["uri"]) if "uri" in keys else None
    functions: tuple[FunctionReference, ...] = ()
    function: str | None = None
    if kind != MOCK:
        if uri is None:
            if "uri" not in keys:
                reader.error(
                    resolved,
                    operation.refused(
                        f"Invalid integration URI specified (a {kind} integration needs a uri)"
                    ),
                )
            return None, ()
        checked = _check_uri(reader, keys["uri"], kind, uri, operation)
        if checked is None:
            return None, ()
        function, functions = checked
    http_method = _http_method(reader, keys, kind, kind in (AWS, AWS_PROXY) and _is_lambda(uri), operation)
    responses = _responses(reader, keys.get("responses"), kind, operation)
    timeout = MAX_TIMEOUT_MS
    if "timeoutInMillis" in keys:
        timeout = reader.integer(keys["timeoutInMillis"], MIN_TIMEOUT_MS, MAX_TIMEOUT_MS) or MAX_TIMEOUT_MS
    _warn_unsupported(reader, keys)
    request_templates, template_locations = _templates(reader, keys.get("requestTemplates"))
    integration = Integration(
        type=kind,
        uri=uri,
        function=function,
        http_method=http_method,
        request_templates=request_templates,
        template_locations=template_locations,
        request_parameters=_request_parameters(reader, keys.get("requestParameters"), operation),
        passthrough_behavior=_choice(reader, keys.get("passthroughBehavior"), PASSTHROUGH_BEHAVIORS)
        or WHEN_NO_MATCH,
        content_handling=_choice(reader, keys.get("contentHandling"), CONTENT_HANDLINGS),
        timeout_ms=timeout,
        cache_key_parameters=_strings(reader, keys.get("cacheKeyParameters")),
        credentials=string_or_sub(reader, keys["credentials"]) if "credentials" in keys else None,
        responses=responses,
    )
    return integration, functions


def _integration_type(
    reader: DocumentReader, field: Field, keys: dict[str, Field], operation: Site
) -> str | None:
    if "type" not in keys:
        reader.error(
            field,
            operation.refused("the integration has no 'type' (aws, aws_proxy, http, http_proxy or mock)"),
        )
        return None
    written = reader.string(keys["type"])
    if written is None:
        return None
    if written.upper() in INTEGRATION_TYPES:
        return written.upper()
    reader.error(
        keys["type"],
        operation.refused(
            f"Invalid integration type '{written}'; expected one of "
            f"{one_of([kind.lower() for kind in INTEGRATION_TYPES])} (in any case)"
        ),
    )
    return None


def _is_lambda(uri: str | None) -> bool:
    try:
        return uri is not None and lambda_target(uri) is not None
    except UnresolvedFunction:
        return True


def _check_uri(
    reader: DocumentReader, field: Field, kind: str, uri: str, operation: Site
) -> tuple[str | None, tuple[FunctionReference, ...]] | None:
    """The local function a Lambda URI names (``None`` through stage variables) and its reference."""
    if kind in (HTTP, HTTP_PROXY):
        if not uri.startswith(("http://", "https://")):
            reader.error(field, operation.refused(f"Invalid HTTP endpoint specified for URI: '{uri}'"))
            return None
        return None, ()
    try:
        target = lambda_target(uri)
    except UnresolvedFunction as error:
        reader.error(field, operation.refused(f"Invalid integration URI specified: {error}"))
        return None
    if target is None:
        if kind == AWS_PROXY:
            reader.error(
                field,
                operation.refused(
                    f"Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose "
                    f"stream invocations; '{uri}' is not a Lambda invocation URI "
                    "(arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations)"
                ),
            )
            return None
        if not uri.startswith("arn:"):
            reader.error(
                field, operation.refused(f"Invalid integration URI specified: '{uri}' is not an ARN")
            )
            return None
        return None, ()  # an AWS service action: read, not executed yet
    if target.function is None:
        return None, ()  # through stage variables: resolved per request
    reference = FunctionReference(
        target.function, target.function_arn, operation.name, reader.location(field)
    )
    return target.function, (reference,)


def _http_method(
    reader: DocumentReader, keys: dict[str, Field], kind: str, is_lambda: bool, operation: Site
) -> str | None:
    if kind == MOCK:
        return None
    written = reader.string(keys["httpMethod"]) if "httpMethod" in keys else None
    if kind == AWS_PROXY:
        return "POST"  # Lambda is invoked with POST, whatever the document says (reference 8.1)
    if written is None:
        return "POST" if is_lambda else operation.verb
    if is_lambda and written.upper() != "POST":
        reader.warn(
            keys["httpMethod"],
            f"{EXTENSION}.httpMethod: Lambda functions are invoked with POST; on AWS the {written.upper()} of "
            f"{operation.name} makes every call fail with a 500",
        )
    return written.upper()


def _choice(reader: DocumentReader, field: Field | None, allowed: tuple[str, ...]) -> str | None:
    if field is None:
        return None
    written = reader.string(field)
    if written is None:
        return None
    if written.upper() in allowed:
        return written.upper()
    reader.error(field, f"unknown value '{written}'; expected one of {one_of(allowed)} (in any case)")
    return None


def _strings(reader: DocumentReader, field: Field | None) -> tuple[str, ...]:
    return tuple(value for value, _ in reader.strings(field) or []) if field is not None else ()


def _templates(reader: DocumentReader, field: Field | None) -> tuple[dict[str, str], dict[str, Location]]:
    """The templates by content type, and where each is (a template that does not parse is an error there)."""
    templates: dict[str, str] = {}
    locations: dict[str, Location] = {}
    for content_type, template in (reader.entries(field) or {}).items() if field is not None else []:
        if reader.is_null(template):
            templates[content_type] = ""  # AWS exports an empty template as null
            continue
        text = reader.string(template)
        if text is not None:
            templates[content_type] = text
            locations[content_type] = reader.location(template)
    return templates, locations


def _request_parameters(reader: DocumentReader, field: Field | None, operation: Site) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for target, source_field in (reader.entries(field) or {}).items() if field is not None else []:
        if not _REQUEST_TARGET.fullmatch(target):
            reader.error(
                source_field,
                operation.refused(
                    f"Invalid mapping expression specified: '{target}'; a request parameter maps onto "
                    "integration.request.header.NAME, integration.request.querystring.NAME or "
                    "integration.request.path.NAME"
                ),
            )
            continue
        if reader.is_boolean(source_field):
            # LocalStack's import, after AWS's, warns and leaves it out.
            reader.warn(
                source_field,
                f"{EXTENSION}.requestParameters: '{target}' must map from a string, not a boolean; ignored",
            )
            continue
        source = reader.string(source_field)
        if source is None:
            continue
        path_source = _PATH_SOURCE.fullmatch(source)
        if path_source is not None and path_source[1] not in operation.path_parameters:
            reader.error(
                source_field,
                operation.refused(
                    "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
                    f"[Invalid mapping expression parameter specified: {source}] (the path has no {{{path_source[1]}}})"
                ),
            )
            continue
        parameters[target] = source
    return parameters


def _responses(
    reader: DocumentReader, field: Field | None, kind: str, operation: Site
) -> tuple[IntegrationResponse, ...]:
    """The integration responses: keys are selection patterns, ``default`` is the one without."""
    responses: list[IntegrationResponse] = []
    proxy = kind in (AWS_PROXY, HTTP_PROXY)
    for pattern, entry in (reader.entries(field) or {}).items() if field is not None else []:
        keys = reader.keys(entry, _RESPONSE_KEYS, what=f"{EXTENSION}.responses")
        if keys is None:
            continue
        if "statusCode" not in keys:
            reader.error(entry, f"the integration response for '{pattern}' has no statusCode")
            continue
        status = reader.text(keys["statusCode"])
        if status is None:
            continue
        if not _STATUS.fullmatch(status):
            reader.error(
                keys["statusCode"], f"invalid statusCode '{status}'; expected an HTTP status from 100 to 599"
            )
            continue
        selection = None if pattern == "default" else pattern
        if selection is not None:
            try:
                re.compile(selection)
            except re.error as exc:
                reader.warn(
                    entry,
                    f"selection pattern {selection!r} is not a regular expression Python reads ({exc}); "
                    "a request reaching it answers 500",
                )
        declared = operation.method_responses.get(status)
        if declared is None and not proxy:
            reader.error(
                keys["statusCode"],
                operation.refused(
                    f"Invalid Response status code specified: the integration response '{pattern}' answers "
                    f"{status}, which is not among the operation's responses ({one_of(list(operation.method_responses)) or 'none'})"
                ),
            )
            continue
        parameters = _response_parameters(
            reader, keys.get("responseParameters"), declared, status, proxy, operation
        )
        templates, locations = _templates(reader, keys.get("responseTemplates"))
        responses.append(
            IntegrationResponse(
                status,
                selection_pattern=selection,
                response_parameters=parameters,
                response_templates=templates,
                content_handling=_choice(reader, keys.get("contentHandling"), CONTENT_HANDLINGS),
                template_locations=locations,
            )
        )
    return tuple(responses)


def _response_parameters(
    reader: DocumentReader,
    field: Field | None,
    declared: MethodResponse | None,
    status: str,
    proxy: bool,
    operation: Site,
) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for target, source_field in (reader.entries(field) or {}).items() if field is not None else []:
        source = reader.string(source_field)
        if source is None:
            continue
        undeclared = declared is None or target not in declared.response_parameters
        if target.startswith(METHOD_RESPONSE_HEADER) and undeclared and not proxy:
            header = target[len(METHOD_RESPONSE_HEADER) :]
            reader.error(
                source_field,
                "Unable to put integration response on "
                f"'{operation.verb}' for resource at path '{operation.path}': Invalid mapping expression specified: "
                f"Validation Result: warnings : [], errors : [Invalid mapping expression parameter specified: {target}] "
                f"(the {status} response declares no header '{header}')",
            )
            continue
        parameters[target] = source
    return parameters


def _warn_unsupported(reader: DocumentReader, keys: dict[str, Field]) -> None:
    connection = reader.string(keys["connectionType"]) if "connectionType" in keys else None
    if connection is not None and connection.upper() == "VPC_LINK":
        reader.warn(
            keys["connectionType"], f"{EXTENSION}.connectionType VPC_LINK is not supported yet and is ignored"
        )
    for key in ("connectionId", "tlsConfig"):
        if key in keys:
            reader.warn(keys[key], f"{EXTENSION}.{key} is not supported yet and is ignored")
