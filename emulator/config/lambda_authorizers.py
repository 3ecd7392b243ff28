"""The YAML's Lambda authorizers: an api's ``authorizers:`` and a trigger's ``authorizer:``.

    apis:
      shop:
        authorizers:
          bearer: {function: checkToken}                     # TOKEN, the Authorization header, 300 s
          tenant:
            type: REQUEST
            function: checkRequest
            identity_source: method.request.header.X-User, method.request.querystring.tenant
            ttl: 60                                          # 0: no caching
    functions:
      orders:
        handler: orders.handler
        triggers: [{api: shop, resource: /orders, method: GET, authorizer: bearer}]

The names are API Gateway's (``identitySource``, ``identityValidationExpression`` as
``validation_expression``, ``authorizerResultTtlInSeconds`` as ``ttl``), checked here so that a mistake is
reported at its line rather than as a 500 at request time.
"""

from __future__ import annotations

import re

from emulator.account import lambda_arn
from emulator.config.lambda_uris import invocation_uri
from emulator.config.nodes import Field, Reader
from emulator.model import Authorizer

LAMBDA_TYPES = ("TOKEN", "REQUEST")
_SOURCES = ("method.request.header.", "method.request.querystring.", "stageVariables.", "context.")


def read_authorizers(reader: Reader, field: Field) -> dict[str, Authorizer]:
    entries = reader.entries(field)
    found: dict[str, Authorizer] = {}
    for name, entry in (entries or {}).items():
        authorizer = _authorizer(reader, name, entry)
        if authorizer is not None:
            found[name] = authorizer
    return found


def _authorizer(reader: Reader, name: str, field: Field) -> Authorizer | None:
    keys = reader.mapping(
        field, required=("function",), optional=("type", "identity_source", "validation_expression", "ttl")
    )
    if keys is None:
        return None
    function = reader.name(keys["function"]) if "function" in keys else None
    kind = reader.string(keys["type"]) if "type" in keys else "TOKEN"
    if kind is not None and kind.upper() not in LAMBDA_TYPES:
        reader.error(keys["type"], f"unknown authorizer type '{kind}'; expected TOKEN or REQUEST")
        kind = None
    ttl = reader.integer(keys["ttl"], 0, 3600) if "ttl" in keys else 300
    if function is None or kind is None or ttl is None:
        return None
    kind = kind.upper()
    sources = _identity_source(reader, keys.get("identity_source"), kind)
    if sources is None:
        return None
    if kind == "REQUEST" and ttl > 0 and not sources:
        reader.error(
            field,
            f"the REQUEST authorizer '{name}' caches its answers (ttl {ttl}) by its identity_source, which is "
            "missing; name the sources, or set ttl: 0",
        )
        return None
    valid, expression = _expression(reader, keys.get("validation_expression"), kind)
    if not valid:
        return None
    return Authorizer(
        name,
        kind,
        # What API Gateway stores (authorizerUri), so an export names the function as a document would.
        uri=invocation_uri(lambda_arn(function)),
        function=function,
        identity_source=sources or None,
        identity_validation_expression=expression,
        result_ttl_seconds=ttl,
        location=reader.location(field),
    )


def _identity_source(reader: Reader, field: Field | None, kind: str) -> str | None:
    """The sources, comma-separated as AWS writes them; ``None`` when one is wrong (reported)."""
    if field is None:
        return "method.request.header.Authorization" if kind == "TOKEN" else ""
    text = reader.string(field)
    if text is None:
        return None
    sources = [part.strip() for part in text.split(",") if part.strip()]
    for source in sources:
        if not source.startswith(_SOURCES) or source in _SOURCES:
            reader.error(
                field,
                f"identity source '{source}' is none of method.request.header.NAME, "
                "method.request.querystring.NAME, stageVariables.NAME, context.NAME",
            )
            return None
    if kind == "TOKEN" and (len(sources) != 1 or not sources[0].startswith(_SOURCES[0])):
        reader.error(field, "a TOKEN authorizer's identity_source is one header: method.request.header.NAME")
        return None
    return ", ".join(sources)


def _expression(reader: Reader, field: Field | None, kind: str) -> tuple[bool, str | None]:
    """Whether the validation expression is right (a wrong one is reported), and the expression."""
    if field is None:
        return True, None
    text = reader.string(field)
    if text is None:
        return False, None
    if kind != "TOKEN":
        reader.error(
            field, "validation_expression applies to TOKEN authorizers only (AWS ignores it for REQUEST)"
        )
        return False, None
    try:
        re.compile(text)
    except re.error as error:
        reader.error(field, f"validation_expression is not a valid regular expression: {error}")
        return False, None
    return True, text
