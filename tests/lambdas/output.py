"""Handlers that write without restraint, for the tests of the output caps (``tests/test_output_bounds.py``)."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from typing import Any

from gated import wait_at_gate

#: Every line a flood writes, newline included: 64 of them are exactly 1 MiB.
LINE = "x" * 16383

#: What a handler that leaks keeps, so that its environment's memory grows with its output.
KEPT: list[str] = []


def _write(how: str, count: int, keep: bool) -> None:
    for _ in range(count):
        line = "x" * len(LINE)  # a string of its own each time, as a real handler's lines are
        if how == "print":
            print(line)
        elif how == "stderr":
            sys.stderr.write(line + "\n")
        elif how == "fd":  # as C code or a child process would: beneath sys.stdout
            os.write(1, (line + "\n").encode())
        if keep:
            KEPT.append(line)


def flood(event: Any, context: Any) -> dict[str, Any]:
    """Writes ``mb`` MiB of 16 KiB lines (the JSON body says how), then answers with its pid.

    ``first``: a line printed before anything else; ``gate``: waits at the test's gate before it
    writes (the thread does, in the ``background``); ``gate_at_mb``: once it has written that many
    MiB instead; ``how``: ``print``,
    ``stderr`` or ``fd``; ``keep``: keeps every line, to run out of memory; ``background``: leaves
    the writing to a thread that runs on after the handler returned; ``done``: a file written once
    the writing is over.
    """
    args = json.loads(event["body"] or "{}")
    if "first" in args:
        print(args["first"])
    lines = args.get("mb", 0) * 64
    split = args.get("gate_at_mb", 0) * 64

    def write() -> None:
        how, keep = args.get("how", "print"), args.get("keep", False)
        _write(how, split, keep)
        if "gate" in args:
            wait_at_gate(args["gate"])
        _write(how, lines - split, keep)
        if "done" in args:
            with open(args["done"], "w") as done:
                done.write("done")

    if args.get("background"):
        threading.Thread(target=write, daemon=True).start()
    else:
        write()
    return {"statusCode": 200, "body": json.dumps({"pid": os.getpid()})}


def hello(event: Any, context: Any) -> dict[str, Any]:
    logging.getLogger().warning("hello")
    return {"statusCode": 200, "body": "hello"}
