"""GET /partner/orders: a partner's orders, behind an API key and a usage plan.

API Gateway has already refused a missing, unknown or disabled key (403) and a partner over its
throttle or quota (429) before this runs; what reaches the handler is a known key, which the event
names in ``requestContext.identity`` so the handler can tell partners apart.
"""

from __future__ import annotations

import json
from typing import Any

#: The orders each partner's key may read, by the key's id (``apiKeyId``), never by its secret value.
ORDERS: dict[str, list[dict[str, Any]]] = {}


def orders(event: dict[str, Any], context: Any) -> dict[str, Any]:
    identity = event["requestContext"]["identity"]
    body = {"apiKeyId": identity["apiKeyId"], "orders": ORDERS.get(identity["apiKeyId"], [])}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
