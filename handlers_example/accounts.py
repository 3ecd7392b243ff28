"""The accounts API's handlers: who is calling comes from the Cognito authorizer's claims.

The gateway has already verified the token (signature, issuer, expiry, token use, scopes) before a
handler runs; a handler only reads ``requestContext.authorizer.claims``, every value a string, as on AWS.
"""

from __future__ import annotations

import json
from typing import Any


def _reply(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def me(event: dict[str, Any], context: Any) -> dict[str, Any]:
    claims = event["requestContext"]["authorizer"]["claims"]
    groups = [group for group in claims.get("cognito:groups", "").split(",") if group]
    return _reply(200, {"user": claims["sub"], "email": claims.get("email"), "groups": groups})


def audit(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Needs an access token with the accounts/audit scope; admins only, a rule of the handler's own."""
    claims = event["requestContext"]["authorizer"]["claims"]
    if "admin" not in claims.get("cognito:groups", "").split(","):
        return _reply(403, {"message": "admins only"})
    return _reply(200, {"audited_by": claims["sub"], "scope": claims["scope"]})
