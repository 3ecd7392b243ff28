"""Handlers for the execution-environment tests: each shows one trait of a Lambda environment."""

from __future__ import annotations

import ctypes
import json
import logging
import os
import sys
import time
from typing import Any

from gated import wait_at_gate

STATE = {"calls": 0}
NAMES = ("ONLY_A", "ONLY_B", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_LOG_STREAM_NAME")


def warm(event: Any, context: Any) -> dict[str, Any]:
    """Module state and the process survive between invocations of one environment."""
    STATE["calls"] += 1
    return {
        "pid": os.getpid(),
        "calls": STATE["calls"],
        "env": {name: os.environ.get(name) for name in NAMES},
    }


def sleep(event: Any, context: Any) -> dict[str, Any]:
    """Waits at the test's ``gate``, or sleeps ``seconds``, from the JSON body; answers a proxy request
    as a proxy response."""
    proxy = isinstance(event, dict) and "httpMethod" in event
    args = json.loads(event["body"] or "{}") if proxy else event
    if "gate" in args:
        wait_at_gate(args["gate"])
    time.sleep(float(args.get("seconds", 0)))
    result = {"pid": os.getpid()}
    return {"statusCode": 200, "body": json.dumps(result)} if proxy else result


def tagged(event: Any, context: Any) -> dict[str, Any]:
    """Waits at the test's ``gate`` if given, then answers with every ``tag`` this environment has been sent."""
    STATE.setdefault("tags", []).append(event["tag"])
    if "gate" in event:
        wait_at_gate(event["gate"])
    return {"pid": os.getpid(), "tags": STATE["tags"]}


def exit_with(event: Any, context: Any) -> None:
    print("exiting now")
    sys.exit(3)


def hard_exit(event: Any, context: Any) -> None:
    print("about to leave")
    os._exit(7)


def segfault(event: Any, context: Any) -> None:
    print("about to crash")
    ctypes.string_at(0)


def leak(event: Any, context: Any) -> None:
    """Touched memory, so that it is resident, until the environment's memory size is passed."""
    chunks = []
    while True:
        chunks.append(b"x" * (16 * 1024 * 1024))


def noisy(event: Any, context: Any) -> str:
    """Every way a handler's output reaches the log: print, stderr, logging, and the C level."""
    print("to stdout")
    sys.stderr.write("to stderr\n")
    logging.getLogger().warning("a warning")
    logging.getLogger().info("an info the root logger's WARNING level drops, as on Lambda")
    os.write(1, b"from the C level\n")
    return "ok"
