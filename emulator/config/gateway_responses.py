"""Reading an api's ``gateway_responses:``: AWS's customisable error responses, keyed by response type.

```yaml
gateway_responses:
  DEFAULT_4XX:
    headers: {Access-Control-Allow-Origin: "'*'"}
  MISSING_AUTHENTICATION_TOKEN:
    status: 404
    headers: {Access-Control-Allow-Origin: "'*'", X-Echo: method.request.header.X-Echo}
    body: '{"error": $context.error.messageString, "type": "$context.error.responseType"}'
```
"""

from __future__ import annotations

from emulator.config import rules
from emulator.config.nodes import Field, Reader, did_you_mean, one_of
from emulator.model import GATEWAY_RESPONSE_HEADER_SOURCES, GATEWAY_RESPONSE_TYPES, GatewayResponseSpec

_KEYS = ("status", "headers", "body")


def read_gateway_responses(reader: Reader, field: Field) -> dict[str, GatewayResponseSpec]:
    specs: dict[str, GatewayResponseSpec] = {}
    for response_type, entry in (reader.entries(field) or {}).items():
        if response_type not in GATEWAY_RESPONSE_TYPES:
            hint = did_you_mean(response_type, list(GATEWAY_RESPONSE_TYPES))
            reader.error(
                entry,
                f"unknown gateway response type '{response_type}'{hint}; "
                f"expected one of {one_of(list(GATEWAY_RESPONSE_TYPES))}",
            )
            continue
        keys = reader.mapping(entry, optional=_KEYS)
        if keys is None:
            continue
        status = reader.integer(keys["status"], 100, 599) if "status" in keys else None
        template = reader.text(keys["body"]) if "body" in keys else None
        headers = _headers(reader, keys.get("headers"))
        where = reader.location(keys["body"]) if "body" in keys else None
        specs[response_type] = GatewayResponseSpec(response_type, status, headers, template, where)
    return specs


def _headers(reader: Reader, field: Field | None) -> tuple[tuple[str, str], ...]:
    headers: list[tuple[str, str]] = []
    for name, value_field in (reader.entries(field) or {}).items() if field is not None else []:
        problem = rules.header_name_problem(name)
        if problem:
            reader.error(value_field, problem)
            continue
        value = reader.text(value_field)
        if value is None:
            continue
        if value.startswith("method.request.") and not value.startswith(GATEWAY_RESPONSE_HEADER_SOURCES):
            reader.error(
                value_field,
                f"cannot map '{value}' into a gateway response; use a 'quoted literal', "
                "method.request.header.NAME, method.request.path.NAME, method.request.querystring.NAME, "
                "stageVariables.NAME or context.NAME",
            )
            continue
        headers.append((name, value))
    return tuple(headers)
