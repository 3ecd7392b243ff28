"""The AWS account and region the emulator pretends to run in.

A module of its own so that a Lambda worker process can build ARNs and environment variables without
importing the gateway's request and event modules, which would lengthen every cold start.
"""

from __future__ import annotations

#: The account id placed in events and ARNs; AWS's documentation uses this one in its examples.
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


def lambda_arn(function_name: str) -> str:
    """A local function's ARN, as events, contexts and integration URIs name it."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}"
