"""The README's resource-policy example (config/intranet.yaml): the handler only runs once the API's policy
let the caller through, so it can trust the address it reports."""

from __future__ import annotations

import json
from typing import Any


def whoami(event: dict[str, Any], context: Any) -> dict[str, Any]:
    source = event["requestContext"]["identity"]["sourceIp"]
    return {"statusCode": 200, "body": json.dumps({"sourceIp": source})}
