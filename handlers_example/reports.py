"""The README's IAM example (config/reports.yaml): a handler behind an ``AWS_IAM`` method.

API Gateway verified the caller's SigV4 signature before calling it; the handler only reads who signed
from ``requestContext.identity``, as it would on AWS, to tell a person from a pipeline's role.
"""

from __future__ import annotations

import json
from typing import Any


def reports(event: dict[str, Any], context: Any) -> dict[str, Any]:
    identity = event["requestContext"]["identity"]
    arn = identity["userArn"]
    body = {
        "caller": arn,
        "account": identity["accountId"],
        "automated": ":assumed-role/" in arn,
        "reports": ["daily-sales", "refunds"],
    }
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
