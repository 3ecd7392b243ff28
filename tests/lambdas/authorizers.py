"""Lambda authorizers for the tests: who the caller is decides the answer, as a real authorizer's would."""

from __future__ import annotations

from typing import Any

CALLS: list[dict[str, Any]] = []


def _policy(effect: str, resource: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
    }


def token(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """``Bearer alice``: every method of the stage; ``Bearer bob``: only the method asked for (cached, it
    denies the others); ``Bearer mallory``: an explicit Deny; ``Bearer stranger``: a policy about another API
    only; anyone else: ``Unauthorized``."""
    user = event["authorizationToken"].split(" ", 1)[1]
    arn = event["methodArn"]
    stage_wide = "/".join(arn.split("/")[:2]) + "/*"
    if user == "alice":
        policy = _policy("Allow", stage_wide)
    elif user == "bob":
        policy = _policy("Allow", arn)
    elif user == "mallory":
        policy = _policy("Deny", stage_wide)
    elif user == "stranger":
        # Neither allows nor denies this API: it covers another one.
        policy = _policy("Allow", "arn:aws:execute-api:*:*:elsewhere/*")
    else:
        raise Exception("Unauthorized")
    return {
        "principalId": user,
        "policyDocument": policy,
        "context": {"tier": "gold", "level": 3, "admin": user == "alice", "nothing": None},
        "usageIdentifierKey": "abcdefghij0123456789",
    }


def request(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Allows the stage to the user the ``X-User`` header names, within the ``tenant`` query parameter."""
    arn = event["methodArn"]
    return {
        "principalId": f"{event['headers']['X-User']}@{event['queryStringParameters']['tenant']}",
        "policyDocument": _policy("Allow", "/".join(arn.split("/")[:2]) + "/*"),
    }
