"""Handlers the gateway tests call; each is two or three lines, one behaviour each."""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from gated import wait_at_gate

CALLS = {"count": 0}


def echo_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Proxy: returns the event it received as the body."""
    return {"statusCode": 200, "body": json.dumps(event)}


def respond(event: dict[str, Any], context: Any) -> Any:
    """Proxy: returns whatever the request body's ``result`` says, to exercise the response checker."""
    return json.loads(event["body"])["result"]


def echo(event: Any, context: Any) -> Any:
    """Non-proxy: returns the event."""
    return event


def boom(event: Any, context: Any) -> Any:
    raise ValueError("something broke")


def context_info(event: Any, context: Any) -> dict[str, Any]:
    names = (
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_REGION",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "_HANDLER",
        "GREETING",
    )
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "env": {name: os.environ.get(name) for name in names},
    }


def count(event: Any, context: Any) -> dict[str, int]:
    """Non-proxy: module state survives between invocations (a warm start)."""
    CALLS["count"] += 1
    return {"count": CALLS["count"]}


def chatty(event: Any, context: Any) -> str:
    print("printed line")
    logging.getLogger().warning("logged warning")
    return "ok"


def sleepy(event: Any, context: Any) -> str:
    """Waits at the test's ``gate``, else sleeps ``seconds`` (default 1): from the event, or a proxy event's body."""
    proxy = isinstance(event, dict) and "httpMethod" in event
    args = json.loads(event["body"] or "{}") if proxy else event
    args = args if isinstance(args, dict) else {}
    if "gate" in args:
        wait_at_gate(args["gate"])
    else:
        time.sleep(float(args.get("seconds", 1)))
    return "awake"


def exits(event: Any, context: Any) -> None:
    raise SystemExit(3)


def not_serialisable(event: Any, context: Any) -> Any:
    return {"a": {1, 2}}


def decimals(event: Any, context: Any) -> Any:
    """Numbers as boto3 reads them from DynamoDB: ``Decimal``, which Lambda's runtime writes as numbers."""
    from decimal import Decimal

    return {"count": Decimal("3"), "price": Decimal("9.95"), "big": Decimal("1E+2")}
