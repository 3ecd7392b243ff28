#!/usr/bin/env python3
"""Soak ``apig-emu serve``: many concurrent connections, good, bad and slow requests, handler timeouts.

    python scripts/soak.py                                   # 20,000 requests a phase, 64 connections
    python scripts/soak.py --requests 1500 --connections 32  # the short form CI runs (tests/test_soak.py)
    python scripts/soak.py --isolation process               # handlers in worker processes

It starts the server on a free loopback port, sends a warm-up phase, then two phases of exactly
``--requests`` requests each, and reads the server's resident memory (RSS) after each phase: after
N and after 2N requests. Every scenario has the statuses it may get; the run fails (exit 1) on any
other status, on any connection the server dropped before answering, or when RSS grew between N and
2N by more than ``--margin-mb`` and ``--margin-pct`` both. ``--max-seconds`` bounds the whole run
(exit 2 if it runs out before 2N). Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

HANDLERS = """
import json
import time


def hello(event, context):
    return {"statusCode": 200, "body": json.dumps({"path": event["path"], "q": event["queryStringParameters"]})}


def echo(event, context):
    return event


def broken(event, context):
    return {"statusCode": 200, "body": {"not": "a string"}}


def boom(event, context):
    raise RuntimeError("soak: a handler error")


def nap(event, context):
    time.sleep(0.3)
    return {"statusCode": 200, "body": "rested"}


def oversleep(event, context):
    time.sleep(1.5)
    return {"statusCode": 200, "body": "too late"}


def big(event, context):
    return {"statusCode": 200, "body": "x" * 200_000}


def upload(event, context):
    return {"statusCode": 200, "body": str(len(event["body"] or ""))}
"""

CONFIG = """
apis:
  soak: {}
functions:
  hello:
    handler: soak_handlers.hello
    concurrency: 32
    triggers:
      - {api: soak, resource: "/hello/{name}", method: GET, proxy: true}
  echo:
    handler: soak_handlers.echo
    concurrency: 16
    triggers:
      - {api: soak, resource: /json, method: POST}
  broken:
    handler: soak_handlers.broken
    concurrency: 8
    triggers:
      - {api: soak, resource: /broken, method: GET, proxy: true}
  boom:
    handler: soak_handlers.boom
    concurrency: 8
    triggers:
      - {api: soak, resource: /boom, method: GET, proxy: true}
  nap:
    handler: soak_handlers.nap
    concurrency: 48
    triggers:
      - {api: soak, resource: /nap, method: GET, proxy: true}
  oversleep:
    handler: soak_handlers.oversleep
    timeout: 1
    concurrency: 48
    triggers:
      - {api: soak, resource: /oversleep, method: GET, proxy: true}
  big:
    handler: soak_handlers.big
    concurrency: 8
    triggers:
      - {api: soak, resource: /big, method: GET, proxy: true}
  upload:
    handler: soak_handlers.upload
    concurrency: 16
    triggers:
      - {api: soak, resource: /upload, method: POST, proxy: true}
"""

#: ``serve --max-workers``: room for every environment the config's ``concurrency`` values allow (184),
#: which the machine's default would cap; the soak looks for leaks, not for the cap's throttling.
MAX_WORKERS = 200
#: Seconds the server gives a client to send a whole request (``serve --request-timeout``).
REQUEST_TIMEOUT = 2.0
#: Seconds the client waits for any answer before it counts the request as dropped.
CLIENT_TIMEOUT = 15.0


class Dropped(Exception):
    """The server closed or reset the connection before a whole response."""

    def __init__(self, reason: str, *, nothing_received: bool = False) -> None:
        super().__init__(reason)
        #: Closed before a single byte of the response: on a kept-alive connection, HTTP's idle-close race.
        self.nothing_received = nothing_received


@dataclass
class Response:
    status: int
    body: bytes
    closed: bool


async def read_response(reader: asyncio.StreamReader) -> Response:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        match = re.match(rb"HTTP/1\.1 (\d{3})", head)
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        if match is None or length is None:
            raise Dropped(f"unframed response: {head[:80]!r}")
        body = await reader.readexactly(int(length.group(1)))
    except asyncio.IncompleteReadError as exc:
        raise Dropped(repr(exc), nothing_received=not exc.partial) from exc
    except ConnectionError as exc:
        raise Dropped(repr(exc), nothing_received=True) from exc
    closed = re.search(rb"(?im)^connection:\s*close", head) is not None
    return Response(int(match.group(1)), body, closed)


def request(method: str, path: str, *, body: bytes = b"", headers: str = "") -> bytes:
    explicit = "content-length:" in headers.lower()
    length = f"Content-Length: {len(body)}\r\n" if not explicit and (body or method == "POST") else ""
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}{length}\r\n".encode() + body


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]
Exchange = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[Response]]


def simple(data: bytes) -> Exchange:
    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Response:
        writer.write(data)
        await writer.drain()
        return await read_response(reader)

    return run


def dribbled(head: bytes, body: bytes, pieces: int, pause: float) -> Exchange:
    """The head, then the body in ``pieces`` with ``pause`` seconds between: slow but whole."""

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Response:
        writer.write(head)
        step = max(1, len(body) // pieces)
        for start in range(0, len(body), step):
            await writer.drain()
            await asyncio.sleep(pause)
            writer.write(body[start : start + step])
        await writer.drain()
        return await read_response(reader)

    return run


async def hang_up_mid_response(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Response:
    """Read the start of a 200 KB answer, then close with the rest unread."""
    writer.write(request("GET", "/Prod/big"))
    await writer.drain()
    start = await reader.read(4096)
    match = re.match(rb"HTTP/1\.1 (\d{3})", start)
    if match is None:
        raise Dropped(f"no response: {start[:80]!r}", nothing_received=not start)
    return Response(int(match.group(1)), b"", closed=True)


@dataclass(frozen=True)
class Scenario:
    name: str
    weight: int
    exchange: Exchange
    #: Statuses this request may get.
    expected: frozenset[int]
    #: Sent on the worker's kept-alive connection rather than a fresh one.
    keep_alive: bool = False


def scenarios() -> list[Scenario]:
    upload = b"u" * 40
    return [
        Scenario("good-get", 40, simple(request("GET", "/Prod/hello/soak?a=1&a=2")), frozenset({200}), True),
        Scenario(
            "good-json", 10, simple(request("POST", "/Prod/json", body=b'{"n": 1}')), frozenset({200}), True
        ),
        Scenario("no-route", 5, simple(request("GET", "/Prod/nowhere")), frozenset({403}), True),
        Scenario("not-http", 5, simple(b"NOT HTTP AT ALL\r\n\r\n"), frozenset({400})),
        Scenario(
            "bad-json", 5, simple(request("POST", "/Prod/json", body=b'{"n": ')), frozenset({400}), True
        ),
        Scenario("bad-result", 5, simple(request("GET", "/Prod/broken")), frozenset({502}), True),
        Scenario("handler-error", 3, simple(request("GET", "/Prod/boom")), frozenset({502}), True),
        Scenario(
            "too-large",
            3,
            simple(request("POST", "/Prod/upload", headers="Content-Length: 10485761\r\n")),
            frozenset({413}),
        ),
        Scenario(
            "headers-too-large",
            3,
            simple(request("GET", "/Prod/hello/x", headers=f"X-Big: {'b' * 11000}\r\n")),
            frozenset({431}),
        ),
        Scenario(
            "slow-upload",
            2,
            dribbled(
                request("POST", "/Prod/upload", headers=f"Content-Length: {len(upload)}\r\n"), upload, 4, 0.1
            ),
            frozenset({200}),
        ),
        Scenario("slow-handler", 3, simple(request("GET", "/Prod/nap")), frozenset({200}), True),
        Scenario(
            "stalled-body",
            1,
            dribbled(request("POST", "/Prod/upload", headers="Content-Length: 100\r\n"), b"only-this", 1, 0),
            frozenset({408}),
        ),
        Scenario("handler-timeout", 1, simple(request("GET", "/Prod/oversleep")), frozenset({502}), True),
        Scenario("hang-up-mid-response", 2, hang_up_mid_response, frozenset({200})),
    ]


@dataclass
class Tally:
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    unexpected: Counter[tuple[str, int]] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    drop_reasons: list[str] = field(default_factory=list)
    done: int = 0


class Load:
    """``connections`` workers drawing scenarios from one seeded stream until a phase's count is sent."""

    def __init__(self, port: int, connections: int, seed: int) -> None:
        self.port = port
        self.connections = connections
        self.random = random.Random(seed)
        self.scenarios = scenarios()
        self.weights = [s.weight for s in self.scenarios]
        self.tally = Tally()

    async def phase(self, count: int) -> None:
        remaining = [count]

        async def worker() -> None:
            kept: Connection | None = None
            while remaining[0] > 0:
                remaining[0] -= 1
                scenario = self.random.choices(self.scenarios, self.weights)[0]
                kept = await self.one(scenario, kept)
            if kept is not None:
                kept[1].close()

        await asyncio.gather(*(worker() for _ in range(self.connections)))

    async def one(self, scenario: Scenario, kept: Connection | None) -> Connection | None:
        """Run one scenario; returns the worker's kept-alive connection for the next one, if any."""
        reused = scenario.keep_alive and kept is not None
        if reused:
            assert kept is not None
            connection = kept
        else:
            connection = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            response = await asyncio.wait_for(scenario.exchange(*connection), CLIENT_TIMEOUT)
        except (Dropped, ConnectionError, asyncio.TimeoutError) as exc:
            connection[1].close()
            if reused and (
                isinstance(exc, ConnectionError) or (isinstance(exc, Dropped) and exc.nothing_received)
            ):
                # The server may close a kept-alive connection while it is idle: retry on a fresh one.
                return await self.one(scenario, None)
            self.tally.done += 1
            self.tally.dropped[scenario.name] += 1
            if len(self.tally.drop_reasons) < 10:
                self.tally.drop_reasons.append(f"{scenario.name}: {exc!r}")
            return None if scenario.keep_alive else kept
        self.tally.done += 1
        self.tally.statuses[(scenario.name, response.status)] += 1
        if response.status not in scenario.expected:
            self.tally.unexpected[(scenario.name, response.status)] += 1
        if not scenario.keep_alive:
            connection[1].close()
            return kept
        if response.closed:
            connection[1].close()
            return None
        return connection


def rss_kb(pid: int) -> int:
    """Resident memory of one process, from /proc (Linux) or ``ps`` elsewhere."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return int(subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True).stdout)


def children_rss_kb(pid: int) -> tuple[int, int]:
    """Resident memory and number of the server's worker processes (process isolation); 0 without /proc."""
    total = count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                total += rss_kb(int(stat.parent.name))
                count += 1
        except (OSError, ValueError, IndexError):
            continue
    return total, count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(folder: Path, isolation: str | None) -> tuple[subprocess.Popen[bytes], int, Path]:
    (folder / "soak_handlers.py").write_text(HANDLERS)
    (folder / "apig.yaml").write_text(textwrap.dedent(CONFIG))
    port = free_port()
    log_path = folder / "serve.log"
    command = [sys.executable, "-m", "emulator.cli", "serve", "--config", str(folder / "apig.yaml")]
    command += ["--code-dir", str(folder), "--port", str(port), "--request-timeout", str(REQUEST_TIMEOUT)]
    command += ["--max-workers", str(MAX_WORKERS)]
    if isolation:
        command += ["--isolation", isolation]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, port, log_path
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"soak: the server did not start:\n{log_path.read_text(errors='replace')[-3000:]}")


@dataclass
class Figures:
    requests_per_phase: int
    connections: int
    isolation: str
    seconds: float = 0.0
    completed: int = 0
    rss_start_kb: int = 0
    rss_warm_kb: int = 0
    rss_n_kb: int = 0
    rss_2n_kb: int = 0
    workers_rss_n_kb: int = 0
    workers_rss_2n_kb: int = 0
    workers_n: int = 0
    workers_2n: int = 0
    unexpected: int = 0
    dropped: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def growth_kb(self) -> int:
        return self.rss_2n_kb - self.rss_n_kb


#: Seconds to wait after a phase before reading RSS: longer than the longest work a request leaves
#: running on the server (``oversleep``'s handler sleeps 1.5 s past its timeout, holding its thread and
#: buffers), so each figure is taken at rest, not with a phase's last timed-out handlers still alive.
SETTLE_S = 2.0


async def soak(port: int, pid: int, args: argparse.Namespace, figures: Figures) -> Load:
    load = Load(port, args.connections, args.seed)
    figures.rss_start_kb = rss_kb(pid)
    started = time.monotonic()
    phases = [("warm-up", args.warmup), ("N", args.requests), ("2N", args.requests)]
    for name, count in phases:
        remaining = args.max_seconds - (time.monotonic() - started)
        await asyncio.wait_for(load.phase(count), max(remaining, 0.1))
        await asyncio.sleep(SETTLE_S)
        rss = rss_kb(pid)
        if name == "warm-up":
            figures.rss_warm_kb = rss
        elif name == "N":
            figures.rss_n_kb = rss
            figures.workers_rss_n_kb, figures.workers_n = children_rss_kb(pid)
        else:
            figures.rss_2n_kb = rss
            figures.workers_rss_2n_kb, figures.workers_2n = children_rss_kb(pid)
        print(
            f"soak: {name:7} done: {load.tally.done} requests, {time.monotonic() - started:.1f} s, RSS {rss / 1024:.1f} MB",
            flush=True,
        )
    figures.seconds = time.monotonic() - started
    return load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000, help="requests per measured phase (N)")
    parser.add_argument("--warmup", type=int, default=None, help="requests before measuring (default: N/4)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent client connections")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="bound on the whole run")
    parser.add_argument("--isolation", default=None, help="serve --isolation (default: the server's own)")
    parser.add_argument("--margin-mb", type=float, default=1.5, help="allowed RSS growth from N to 2N, MB")
    parser.add_argument("--margin-pct", type=float, default=3.0, help="allowed RSS growth from N to 2N, %%")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args(argv)
    if args.warmup is None:
        args.warmup = max(args.requests // 4, args.connections)
    figures = Figures(args.requests, args.connections, args.isolation or "server default")
    with tempfile.TemporaryDirectory(prefix="apig-emu-soak-") as folder:
        process, port, log_path = start_server(Path(folder), args.isolation)
        try:
            load = asyncio.run(soak(port, process.pid, args, figures))
        except asyncio.TimeoutError:
            print(
                f"soak: INCOMPLETE: --max-seconds {args.max_seconds:g} ran out before 2N requests",
                file=sys.stderr,
            )
            return 2
        finally:
            alive = process.poll() is None
            process.terminate()
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
            server_log = log_path.read_text(errors="replace")
        if not alive:
            print(f"soak: FAILED: the server died\n{server_log[-3000:]}", file=sys.stderr)
            return 1
    tally = load.tally
    figures.completed = tally.done
    figures.unexpected = sum(tally.unexpected.values())
    figures.dropped = sum(tally.dropped.values())
    figures.statuses = {f"{name} {status}": count for (name, status), count in sorted(tally.statuses.items())}
    report(figures, tally)
    if args.json:
        print(json.dumps({**figures.__dict__, "growth_kb": figures.growth_kb}))
    allowed_kb = max(args.margin_mb * 1024, figures.rss_n_kb * args.margin_pct / 100)
    failures = []
    if figures.unexpected:
        failures.append(f"{figures.unexpected} unexpected statuses: {dict(tally.unexpected)}")
    if figures.dropped:
        failures.append(f"{figures.dropped} dropped connections: {tally.drop_reasons}")
    if figures.growth_kb > allowed_kb:
        failures.append(
            f"RSS grew {figures.growth_kb / 1024:.1f} MB from N to 2N (allowed {allowed_kb / 1024:.1f} MB)"
        )
    for failure in failures:
        print(f"soak: FAILED: {failure}", file=sys.stderr)
    if not failures:
        print("soak: OK")
    return 1 if failures else 0


def report(figures: Figures, tally: Tally) -> None:
    mb = 1024
    print(
        f"soak: {figures.completed} requests over {figures.connections} connections in {figures.seconds:.1f} s "
        f"({figures.completed / figures.seconds:.0f}/s), isolation: {figures.isolation}"
    )
    print(
        f"soak: RSS start {figures.rss_start_kb / mb:.1f} MB, after warm-up {figures.rss_warm_kb / mb:.1f} MB, "
        f"after N={figures.requests_per_phase} {figures.rss_n_kb / mb:.1f} MB, "
        f"after 2N {figures.rss_2n_kb / mb:.1f} MB (growth {figures.growth_kb / mb:+.1f} MB)"
        + (
            f"; {figures.workers_n} workers {figures.workers_rss_n_kb / mb:.1f} MB after N, "
            f"{figures.workers_2n} workers {figures.workers_rss_2n_kb / mb:.1f} MB after 2N"
            if figures.workers_rss_2n_kb
            else ""
        )
    )
    print(f"soak: unexpected statuses {figures.unexpected}, dropped connections {figures.dropped}")
    for (name, status), count in sorted(tally.statuses.items()):
        print(f"soak:   {name:22} {status}  {count}")


if __name__ == "__main__":
    sys.exit(main())
