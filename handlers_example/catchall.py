"""ANY /{proxy+}: echoes what API Gateway delivered, to show the proxy event's shape."""

from __future__ import annotations

import json
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    shown = {
        key: event[key]
        for key in ("resource", "path", "httpMethod", "pathParameters", "queryStringParameters")
    }
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(shown)}
