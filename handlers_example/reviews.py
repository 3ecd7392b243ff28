"""POST /reviews, a Lambda proxy method behind a request validator: a body that breaks the ``Review``
model is answered 400 by the gateway and never reaches this function, as on AWS.
"""

from __future__ import annotations

import json
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    review = json.loads(event["body"])
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"saved": review, "requestId": event["requestContext"]["requestId"]}),
    }
