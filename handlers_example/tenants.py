"""The README's Lambda-authorizer example (config/tenants.yaml): a TOKEN authorizer and the handler behind it.

The authorizer trusts a bearer token of the form ``tenant:user`` (a stand-in for a real token check), allows
the caller every method of the stage, and passes the tenant on as ``context``; the handler reads it from
``requestContext.authorizer``, as it would on AWS.
"""

from __future__ import annotations

import json
from typing import Any


def authorize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    token = event["authorizationToken"].removeprefix("Bearer ")
    tenant, _, user = token.partition(":")
    if not tenant or not user:
        raise Exception("Unauthorized")  # the one message API Gateway answers with a 401
    stage = "/".join(event["methodArn"].split("/")[:2])
    effect = "Deny" if user == "blocked" else "Allow"
    return {
        "principalId": user,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": f"{stage}/*"}],
        },
        "context": {"tenant": tenant, "admin": user == "root"},
    }


def projects(event: dict[str, Any], context: Any) -> dict[str, Any]:
    caller = event["requestContext"]["authorizer"]
    body = {"tenant": caller["tenant"], "user": caller["principalId"], "admin": caller["admin"] == "true"}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
