"""The handler every benchmark variant calls: a small proxy-shaped answer, no work of its own."""

from __future__ import annotations

from typing import Any

BODY = '{"ok": true}'


def proxy(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": BODY}


def custom(event: Any, context: Any) -> dict[str, bool]:
    return {"ok": True}


def authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A TOKEN authorizer that allows the whole stage, as most do, so that its cached answer serves every call."""
    stage = "/".join(event["methodArn"].split("/")[:2])
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{stage}/*"}
    return {
        "principalId": "bench-user",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": {"tier": "gold"},
    }
