#!/usr/bin/env python3
"""Micro-benchmark: what formatting one request's text log lines costs ``serve`` (``ExchangeLog``).

    .venv/bin/python scripts/bench_log.py                    # this checkout
    .venv/bin/python scripts/bench_log.py --against 8afbea9  # and a revision's, interleaved with it

Two requests with nothing to escape, as nearly all are: a 403 (the access line alone) and an
invocation (START, one line of output, END, REPORT, the access line); plus one whose handler printed
controls, for the cost of escaping them. Lines are formatted plain and coloured, and handed to a
writer that drops them: writing is ``LogWriter``'s cost, the same either way.

Each figure is the best of many short runs: on a shared machine, a short run is the likeliest to go
uninterrupted. ``--against`` loads that revision's ``emulator/exchange_log.py`` beside this one's
(the rest of ``emulator`` is this checkout's) and alternates the two, so that drift hits both alike.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import logging
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator.events import RequestIds  # noqa: E402
from emulator.exchange_log import ExchangeLog  # noqa: E402
from emulator.exchanges import Exchange  # noqa: E402
from emulator.invocations import Invocation, Trigger  # noqa: E402
from emulator.logs import TextFormatter  # noqa: E402
from emulator.model import Function  # noqa: E402
from emulator.request import GatewayRequest  # noqa: E402
from emulator.response import GatewayResponse  # noqa: E402
from emulator.runtime.result import InvocationResult  # noqa: E402


class DroppingWriter:
    """What ``ExchangeLog`` needs of a ``LogWriter``: its formatter, and somewhere to add lines."""

    def __init__(self, formatter: logging.Formatter) -> None:
        self.formatter = formatter

    def add(self, text: str, *, at_once: bool = False) -> None:
        pass


def exchanges() -> dict[str, Exchange]:
    ids = RequestIds("6953a5c8-b466-44e7-bb88-2a9b6c57e7c2", "extended", "Root=1-0-0", 0)
    request = GatewayRequest("GET", "/Prod/items/12345", "", [])
    function = Function("items", "app.handler", Path("."))

    def invoked(line: str) -> Exchange:
        result = InvocationResult(
            payload=b'{"statusCode":200}',
            aws_request_id="0b6c1a2b-0000-4000-8000-000000000001",
            logs=[line],
            duration_ms=1.21,
            max_memory_used_mb=24,
        )
        trigger = Trigger("shop", "/items/{id}", "GET", "Prod")
        invocation = Invocation("items", trigger, ids.request_id, {}, {}, result)
        return Exchange(ids, request, GatewayResponse(200), 3.4, function=function, invocation=invocation)

    return {
        "403, access line only": Exchange(ids, request, GatewayResponse(403), 0.4),
        "invocation, 5 lines": invoked("hello from the handler, item 12345 was saved to the table"),
        "invocation, controls": invoked("hello \x1b]0;pwned\x07 from \x1b[2J the \u202ehandler\x9b"),
    }


def best_ns(call: Callable[[], None], number: int, repeat: int) -> float:
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e9


def load_revision(revision: str) -> type[ExchangeLog]:
    source = subprocess.run(
        ["git", "show", f"{revision}:emulator/exchange_log.py"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tempfile.NamedTemporaryFile("wb", suffix=".py", delete=False) as file:
        file.write(source)
    spec = importlib.util.spec_from_file_location("exchange_log_at_revision", file.name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    Path(file.name).unlink()
    listener: type[ExchangeLog] = module.ExchangeLog
    return listener


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--against", metavar="REV", help="also measure this git revision's exchange_log.py")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    args = parser.parse_args()
    logging.getLogger("apig_emu").setLevel(logging.INFO)  # serve's level: every line is written
    versions: dict[str, type[ExchangeLog]] = {"this checkout": ExchangeLog}
    if args.against:
        versions = {args.against: load_revision(args.against), **versions}
    best: dict[tuple[str, str, str], float] = {}
    for round_number in range(args.rounds):
        order = list(versions.items())
        for version, listener_class in order if round_number % 2 == 0 else reversed(order):
            for style, colour in (("plain", False), ("colour", True)):
                listener = listener_class(DroppingWriter(TextFormatter(colour=colour)))  # type: ignore[arg-type]
                for name, exchange in exchanges().items():
                    figure = best_ns(functools.partial(listener, exchange), number=2_000, repeat=40)
                    key = (style, name, version)
                    best[key] = min(best.get(key, figure), figure)
    for style in ("plain", "colour"):
        for name in exchanges():
            figures = [f"{version}: {best[(style, name, version)]:6.0f} ns" for version in versions]
            line = f"{style:6}  {name:22}  " + "   ".join(figures)
            if args.against:
                before, after = (best[(style, name, version)] for version in versions)
                line += f"   ({after - before:+.0f} ns, {(after / before - 1) * 100:+.1f}%)"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
