"""The top-level ``integrations:`` section: named AWS Integrations (HTTP, HTTP_PROXY, AWS services, MOCK)
bound to methods by their triggers, as ``functions:`` binds Lambda functions.

```yaml
integrations:
  catalogue:
    type: http                                   # http | http_proxy | aws | mock
    uri: http://127.0.0.1:9000/items/{id}        # ${stageVariables.x} allowed
    http_method: GET                             # integrationHttpMethod; default: the method's own verb
    request_parameters: {integration.request.path.id: method.request.path.id}
    triggers:
      - {api: shop, resource: "/items/{id}", method: GET}
```

Lambda functions are integrated through ``functions:``; ``type: aws`` here is an AWS service action or
path (``arn:aws:apigateway:REGION:SERVICE:action/ACTION``), which is why a Lambda invocation URI is
refused with the way to write it.
"""

from __future__ import annotations

import re

from emulator.config.integration_keys import MAPPING_KEYS, MappingDecl, read_mapping
from emulator.config.lambda_uris import UnresolvedFunction, lambda_target
from emulator.config.nodes import Field, Reader, one_of
from emulator.model import (
    ANY,
    AWS,
    HTTP,
    HTTP_METHODS,
    HTTP_PROXY,
    MAX_TIMEOUT_MS,
    MOCK,
    Integration,
    IntegrationResponse,
)

#: The YAML's spelling of each type it takes, AWS's ``type`` as the value.
TYPES = {"http": HTTP, "http_proxy": HTTP_PROXY, "aws": AWS, "mock": MOCK}
KEYS = ("type", "uri", "http_method", "credentials", *MAPPING_KEYS)
#: What a proxy integration passes through untouched, so a key that would map it says nothing.
_NOT_FOR_PROXY = ("request_templates", "passthrough_behavior", "content_handling", "responses")
#: What the console puts in a new MOCK integration: every request answers the 200 integration response.
MOCK_REQUEST_TEMPLATE = '{"statusCode": 200}'
_SERVICE_URI = re.compile(r"arn:aws[a-z-]*:apigateway:[^:\s]+:[^:\s]+:(action|path)/\S+")
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}|\*):(role|user)/\S+")


def read_integration(
    reader: Reader, name: str, keys: dict[str, Field]
) -> tuple[Integration, MappingDecl] | None:
    """The integration an entry describes, its ``http_method`` ``None`` when each method's verb is meant.

    A wrong value is reported and left out, and the rest still describes the integration, so that its
    triggers are checked too; ``None`` only without a known ``type``.
    """
    # Without a type (reported as a missing key) nothing else can be judged.
    kind = _type(reader, keys["type"]) if "type" in keys else None
    if kind is None:
        return None
    if kind == HTTP_PROXY:
        for key in _NOT_FOR_PROXY:
            if key in keys:
                reader.error(
                    keys[key],
                    f"'{key}' does not apply to an http_proxy integration, which passes the request and the "
                    "response through as they are; use type: http to map them",
                )
    mapping = read_mapping(reader, keys, what=f"integration '{name}'")
    uri = _uri(reader, keys, kind)
    http_method = _http_method(reader, keys, kind)
    if http_method is None and kind == AWS:
        http_method = "POST"  # AWS services' actions are POSTed
    credentials = None
    if "credentials" in keys:
        credentials = reader.string(keys["credentials"])
        if credentials is not None and not _ROLE_ARN.fullmatch(credentials):
            reader.error(
                keys["credentials"],
                f"invalid credentials '{credentials}'; expected the ARN of the IAM role API Gateway assumes, "
                "like arn:aws:iam::123456789012:role/apigw-dynamodb",
            )
            credentials = None
    settings = mapping.mapping
    templates = dict(settings.request_templates)
    if kind == MOCK and "request_templates" not in keys:
        templates = {"application/json": MOCK_REQUEST_TEMPLATE}
    responses: tuple[IntegrationResponse, ...] = ()
    if kind != HTTP_PROXY:
        responses = settings.responses or (IntegrationResponse("200"),)
    integration = Integration(
        name=name,
        type=kind,
        uri=uri,
        http_method=http_method,
        request_templates=templates,
        request_parameters=dict(settings.request_parameters),
        passthrough_behavior=settings.passthrough_behavior,
        content_handling=settings.content_handling,
        timeout_ms=mapping.timeout_ms or MAX_TIMEOUT_MS,
        credentials=credentials,
        responses=responses,
        template_locations=dict(settings.template_locations),
    )
    return integration, mapping


def _type(reader: Reader, field: Field) -> str | None:
    written = reader.string(field)
    if written is None:
        return None
    if written.lower() in TYPES:
        return TYPES[written.lower()]
    hint = None
    if written.lower() in ("aws_proxy", "lambda", "lambda_proxy"):
        hint = "a Lambda function is integrated through functions.NAME.triggers (proxy: true for AWS_PROXY)"
    reader.error(field, f"unknown integration type '{written}'; expected one of {one_of(list(TYPES))}", hint)
    return None


def _uri(reader: Reader, keys: dict[str, Field], kind: str) -> str | None:
    if kind == MOCK:
        if "uri" in keys:
            reader.error(keys["uri"], "a mock integration has no uri: it answers by itself")
        return None
    if "uri" not in keys:
        example = (
            "http://127.0.0.1:9000/items"
            if kind != AWS
            else "arn:aws:apigateway:us-east-1:sqs:path/123456789012/orders"
        )
        reader.error(keys["type"], f"a {kind.lower()} integration needs a uri", f"add uri: {example}")
        return None
    uri = reader.string(keys["uri"])
    if uri is None:
        return None
    if kind in (HTTP, HTTP_PROXY):
        if not uri.startswith(("http://", "https://")) or len(uri.split("://", 1)[1]) == 0:
            reader.error(
                keys["uri"],
                f"invalid uri '{uri}' for a {kind.lower()} integration; expected an http:// or https:// URL "
                "(${stageVariables.NAME} may stand for any part after the scheme)",
            )
            return None
        return uri
    if _is_lambda(uri):
        reader.error(
            keys["uri"],
            f"'{uri}' invokes a Lambda function; integrate a function through its triggers under functions:, "
            "where proxy: false is this AWS integration",
        )
        return None
    if not _SERVICE_URI.fullmatch(uri):
        reader.error(
            keys["uri"],
            f"invalid uri '{uri}' for an aws integration; expected arn:aws:apigateway:REGION:SERVICE:action/ACTION "
            "or arn:aws:apigateway:REGION:SERVICE:path/PATH",
        )
        return None
    return uri


def _is_lambda(uri: str) -> bool:
    try:
        return lambda_target(uri) is not None
    except UnresolvedFunction:
        return True


def _http_method(reader: Reader, keys: dict[str, Field], kind: str) -> str | None:
    if "http_method" not in keys:
        return None
    if kind == MOCK:
        reader.error(keys["http_method"], "a mock integration calls no backend, so it has no http_method")
        return None
    written = reader.string(keys["http_method"])
    if written is None:
        return None
    allowed = (*HTTP_METHODS, ANY)
    if written.upper() in allowed:
        return written.upper()
    reader.error(keys["http_method"], f"unknown http_method '{written}'; expected one of {one_of(allowed)}")
    return None
