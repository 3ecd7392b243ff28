#!/usr/bin/env python3
"""What process isolation costs per request, against thread isolation, measured in one run.

    .venv/bin/python scripts/bench_isolation.py [--requests 3000] [--concurrency 16]

Both modes serve the same proxy function (a handler that returns a constant response) through the
whole gateway, called in-process as an ASGI app on the event loop ``serve`` would use (uvloop when
installed), with logging off so that only the invocation path differs. It prints, for each mode,
the latency of sequential requests and the throughput of ``--concurrency`` requests at a time,
then what each isolation adds per request over calling the handler on the event loop itself
("inline", the floor), and process isolation against thread isolation.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emulator.app import create_app
from emulator.config import load_definitions
from emulator.deployment import deploy
from emulator.gateway import Gateway
from emulator.model import Function
from emulator.runtime.handlers import Handler, load_handler
from emulator.runtime.invoker import Invoker
from emulator.runtime.marshal import marshal_result
from emulator.runtime.process import ProcessInvoker
from emulator.runtime.result import InvocationResult
from emulator.runtime.threads import ThreadInvoker

CONFIG = """
apis:
  bench: {}
functions:
  hello:
    handler: bench_handler.handler
    concurrency: 4
    triggers:
      - {api: bench, resource: /hello, method: GET, proxy: true}
"""

HANDLER = """
def handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": "hello"}
"""


class InlineInvoker:
    """The floor: the handler called on the event loop itself, with no isolation at all."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}

    async def invoke(self, function: Function, event: Any, *, trace_id: str) -> InvocationResult:
        handler = self.handlers.get(function.name) or self.handlers.setdefault(
            function.name, load_handler(function)
        )
        return InvocationResult(payload=marshal_result(handler(event, None)), aws_request_id="inline")

    def override(self, function_name: str, handler: Callable[[Any, Any], Any] | None) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        pass


def scope() -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/Prod/hello",
        "raw_path": b"/Prod/hello",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost:3000"), (b"user-agent", b"bench")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 3000),
    }


async def call(app: Any) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope(), receive, send)
    return status


async def measure(app: Any, requests: int, concurrency: int) -> dict[str, float]:
    for _ in range(200):  # warm: workers started, handlers imported, caches filled
        assert await call(app) == 200
    latencies = []
    for _ in range(requests):
        started = time.perf_counter()
        await call(app)
        latencies.append((time.perf_counter() - started) * 1e6)
    latencies.sort()

    async def client(count: int) -> None:
        for _ in range(count):
            await call(app)

    started = time.perf_counter()
    await asyncio.gather(*(client(requests // concurrency) for _ in range(concurrency)))
    throughput = (requests // concurrency) * concurrency / (time.perf_counter() - started)
    return {
        "mean_us": statistics.fmean(latencies),
        "median_us": latencies[len(latencies) // 2],
        "p99_us": latencies[int(len(latencies) * 0.99)],
        "rps": throughput,
    }


async def run_mode(
    make: Callable[[], Invoker], code_dir: Path, requests: int, concurrency: int
) -> dict[str, float]:
    invoker = make()
    app = create_app(
        Gateway(deploy(load_definitions(code_dir / "apig.yaml", code_dir=code_dir)), invoker=invoker)
    )
    try:
        return await measure(app, requests, concurrency)
    finally:
        await invoker.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    try:
        import uvloop

        new_loop: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
        loop_name = "uvloop"
    except ImportError:
        new_loop, loop_name = asyncio.new_event_loop, "asyncio"
    with tempfile.TemporaryDirectory() as folder:
        code_dir = Path(folder)
        (code_dir / "apig.yaml").write_text(textwrap.dedent(CONFIG))
        (code_dir / "bench_handler.py").write_text(textwrap.dedent(HANDLER))
        results = {}
        modes: tuple[tuple[str, Callable[[], Invoker]], ...] = (
            ("inline", InlineInvoker),
            ("thread", ThreadInvoker),
            ("process", ProcessInvoker),
        )
        for name, make in modes:
            loop = new_loop()
            try:
                results[name] = loop.run_until_complete(
                    run_mode(make, code_dir, args.requests, args.concurrency)
                )
            finally:
                loop.close()
    print(f"{args.requests} requests per mode, {loop_name}, Python {sys.version.split()[0]}")
    print(f"{'mode':<8} {'mean µs':>9} {'median µs':>10} {'p99 µs':>9} {f'req/s @{args.concurrency}':>12}")
    for name, figures in results.items():
        print(
            f"{name:<8} {figures['mean_us']:>9.1f} {figures['median_us']:>10.1f} {figures['p99_us']:>9.1f} "
            f"{figures['rps']:>12.0f}"
        )
    inline, thread, process = results["inline"], results["thread"], results["process"]
    for name, figures in (("thread", thread), ("process", process)):
        print(
            f"{name} isolation adds {figures['median_us'] - inline['median_us']:.1f} µs per request "
            f"(median, over no isolation)"
        )
    print(
        f"process vs thread: {process['median_us'] - thread['median_us']:+.1f} µs per sequential request "
        f"({process['median_us'] / thread['median_us']:.2f}x the latency), "
        f"{process['rps'] / thread['rps']:.2f}x the throughput at {args.concurrency} concurrent requests"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
