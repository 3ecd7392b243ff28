#!/usr/bin/env python3
"""Soak ``apig-emu serve``: many concurrent connections, good, bad and slow requests, handler timeouts,
then handlers that flood their output or end Lambda's runtime.

    python scripts/soak.py                                   # 20,000 requests a phase, 64 connections
    python scripts/soak.py --requests 800 --connections 32   # the short form CI runs (tests/test_soak.py)
    python scripts/soak.py --isolation process               # handlers in worker processes
    python scripts/soak.py --abuse 0                         # without the abuse phase

It starts the server on a free loopback port, sends a warm-up phase, then three phases of exactly
``--requests`` requests each, and reads the server's resident memory (RSS) after each phase: after
N, 2N and 3N requests. Every scenario has the statuses it may get (some the body too); the run
fails (exit 1) on any other status or body, on any connection the server dropped before answering,
or when RSS grew from N to 2N and again from 2N to 3N, each time by more than ``--margin-mb`` and
``--margin-pct`` both. A leak grows every phase alike; the C allocator's arenas (each handler thread
may get its own) settle in steps, a megabyte or two at once, long after the Python heap is flat
(tracemalloc shows it flat from the first few hundred requests): a step lands in one phase, not in
two running.

The abuse phase follows, by default, since what it guards (issue 13: output and threads bounded,
every ending answered as Lambda answers it) is as much a reliability figure as the mixed load's. Its
handlers (``ABUSE_HANDLERS``) print without end past their 1 s timeout (lines; two characters a
write; 64 KB lines, most of them after the answer, which thread isolation cannot stop and process
isolation answers by killing the worker), print 8 MB and return, leave a thread printing after
their answer, call ``sys.exit(3)``, raise ``KeyboardInterrupt``, ``asyncio.CancelledError`` or a
``BaseException`` of their own, and, under process isolation only, call ``os._exit(3)`` (in thread
isolation it would end the emulator, as it ends any Python process). Each has its proxy route (502)
and, for an error, a non-proxy one whose 200 body must be Lambda's error object (``Runtime.ExitError``,
``Sandbox.Timedout`` and the message's reason). Half of its requests go to an unrelated function and
must answer 200: the starvation check. ``--abuse-connections`` clients send it, dealt from a shuffled
deck so that every abusive request is sent however short the phase: a warm-up of at least the
inspector's 200 records, then two halves of ``--abuse`` requests each (default N/100, rounded up to
whole decks), RSS read after each. It fails when RSS grew from A to 2A by more than
``--abuse-margin-mb`` and ``--margin-pct`` both (wider than the mixed load's: each of its requests
moves megabytes through the allocator, whose resting size wanders by a few of them), or when the
server's peak RSS (``VmHWM``) over the whole run passed ``--max-rss-mb``.

``--max-seconds`` bounds the whole run (exit 2 if it runs out first); ``--keep-log FILE`` keeps the
server's log, to read what a failure was. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
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

#: The abuse phase's handlers: each floods its output or ends Lambda's runtime. The loops are bounded
#: (1.5 s, past their 1 s timeout) so that thread isolation's threads, which nothing can stop, do end.
ABUSE_HANDLERS = """
import asyncio
import os
import sys
import threading
import time

#: How long the print loops run: past their function's 1 s timeout, so they are answered mid-loop.
LOOP_S = 1.5


def chatter(event, context):
    deadline = time.monotonic() + LOOP_S
    count = 0
    while time.monotonic() < deadline:
        print("chatter: still printing, line", count)
        count += 1
    return {"statusCode": 200, "body": "too late"}


def dribble(event, context):
    # A progress counter without newlines: a write of two characters at a time, the most writes per byte.
    deadline = time.monotonic() + LOOP_S
    count = 0
    while time.monotonic() < deadline:
        print(count % 90 + 10, end="")
        count += 1
    return {"statusCode": 200, "body": "too late"}


def flood(event, context):
    line = "f" * 65535
    deadline = time.monotonic() + LOOP_S
    while time.monotonic() < deadline:
        print(line)
    return {"statusCode": 200, "body": "too late"}


def burst(event, context):
    line = "b" * 65535
    for _ in range(128):  # 8 MB
        print(line)
    return {"statusCode": 200, "body": "burst answered"}


def aftermath(event, context):
    def write():
        for count in range(16):  # 256 KB over about 0.2 s, after the answer
            time.sleep(0.0125)
            print("aftermath", count, "a" * 16384)

    threading.Thread(target=write, daemon=True).start()
    return {"statusCode": 200, "body": "answered before its thread printed"}


def exit_3(event, context):
    sys.exit(3)


def interrupt(event, context):
    raise KeyboardInterrupt


class Abort(BaseException):
    '''The user's own, not an Exception: Lambda's runtime does not catch it.'''


def abort(event, context):
    raise Abort("soak: the user's own BaseException")


def cancelled(event, context):
    raise asyncio.CancelledError


def os_exit(event, context):
    os._exit(3)
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

#: ``serve --max-workers``: room for every environment the mixed phases' ``concurrency`` values allow
#: (184), which the machine's default would cap; the soak looks for leaks, not for the cap's throttling.
#: The abuse phase's functions add room for their own (``abuse_config``).
MAX_WORKERS = 200
#: Seconds the server gives a client to send a whole request (``serve --request-timeout``).
REQUEST_TIMEOUT = 2.0
#: Seconds the client waits for any answer before it counts the request as dropped.
CLIENT_TIMEOUT = 15.0
#: The requests the inspector keeps (``emulator.inspector.recorder``): the abuse phase's warm-up sends at
#: least as many, so that its halves are read with the inspector full of the same kind of records.
INSPECTOR_RECORDS = 200


@dataclass(frozen=True)
class Abuse:
    """A function of the abuse phase (``ABUSE_HANDLERS``), and what Lambda answers it."""

    #: Its handler; its routes are ``/abuse/<name>`` (proxy) and, for an error, ``/abuse/<name>/object``.
    handler: str
    #: Lambda's error for it (the proxy's 502; the non-proxy route's 200 body), and its message's end.
    error_type: str | None = None
    reason: str = ""
    #: Else the body it answers with.
    body: str = ""
    timeout: int = 3
    #: ``os._exit`` ends the process it runs in: the emulator itself in thread isolation, as it would end
    #: any Python program.
    process_only: bool = False

    @property
    def name(self) -> str:
        return self.handler.replace("_", "-")

    @property
    def route(self) -> str:
        return f"/abuse/{self.name}"


_TIMED_OUT = ("Sandbox.Timedout", "Task timed out after 1.00 seconds")
_EXITED = "Runtime.ExitError"
ABUSES = (
    Abuse("chatter", *_TIMED_OUT, timeout=1),
    Abuse("dribble", *_TIMED_OUT, timeout=1),
    Abuse("flood", *_TIMED_OUT, timeout=1),
    Abuse("burst", body="burst answered"),
    Abuse("aftermath", body="answered before its thread printed"),
    Abuse("exit_3", _EXITED, "Runtime exited with error: exit status 3"),
    Abuse("interrupt", _EXITED, "Runtime exited with error: signal: interrupt"),
    Abuse("abort", _EXITED, "Runtime exited with error: exit status 1"),
    Abuse("cancelled", _EXITED, "Runtime exited with error: exit status 1"),
    Abuse("os_exit", _EXITED, "Runtime exited with error: exit status 3", process_only=True),
)


def abuse_config(concurrency: int) -> str:
    """The abuse phase's functions, to follow ``CONFIG``'s."""
    lines = []
    for abuse in ABUSES:
        lines += [
            f"  {abuse.handler}:",
            f"    handler: soak_abuse.{abuse.handler}",
            f"    timeout: {abuse.timeout}",
            f"    concurrency: {concurrency}",
            "    triggers:",
            f"      - {{api: soak, resource: {abuse.route}, method: GET, proxy: true}}",
        ]
        if abuse.error_type is not None:
            lines.append(f"      - {{api: soak, resource: {abuse.route}/object, method: GET}}")
    return "\n".join(lines) + "\n"


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


Check = Callable[[bytes], str | None]


def body_is(expected: str) -> Check:
    def check(body: bytes) -> str | None:
        return None if body == expected.encode() else f"body {body[:120]!r}, not {expected!r}"

    return check


def lambda_error(error_type: str, reason: str) -> Check:
    """The error object a non-proxy integration answers with: Lambda's type, and its message's end."""

    def check(body: bytes) -> str | None:
        try:
            error = json.loads(body)
            if error["errorType"] == error_type and error["errorMessage"].endswith(f" Error: {reason}"):
                return None
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
        return f"body {body[:160]!r}, not {error_type}: … {reason}"

    return check


@dataclass(frozen=True)
class Scenario:
    name: str
    weight: int
    exchange: Exchange
    #: Statuses this request may get.
    expected: frozenset[int]
    #: Sent on the worker's kept-alive connection rather than a fresh one.
    keep_alive: bool = False
    #: What is wrong with the body of a response with an expected status, if anything.
    check: Check | None = None


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


def abuse_scenarios(*, process: bool) -> list[Scenario]:
    """A request to each abusive function (its proxy route and its error object), as many to ``hello``.

    The unrelated requests are the starvation check: while the abusive functions flood, crash and hold
    their threads, another function must keep answering 200.
    """
    found: list[Scenario] = []
    for abuse in ABUSES:
        if abuse.process_only and not process:
            continue
        path = "/Prod" + abuse.route
        if abuse.error_type is None:
            found.append(
                Scenario(
                    abuse.name, 1, simple(request("GET", path)), frozenset({200}), True, body_is(abuse.body)
                )
            )
            continue
        internal = body_is('{"message": "Internal server error"}')
        found.append(Scenario(abuse.name, 1, simple(request("GET", path)), frozenset({502}), True, internal))
        error = lambda_error(abuse.error_type, abuse.reason)
        found.append(
            Scenario(
                f"{abuse.name}:object",
                1,
                simple(request("GET", path + "/object")),
                frozenset({200}),
                True,
                error,
            )
        )
    unrelated = body_is('{"path": "/hello/abuse", "q": null}')
    found.append(
        Scenario(
            "unrelated",
            len(found),
            simple(request("GET", "/Prod/hello/abuse")),
            frozenset({200}),
            True,
            unrelated,
        )
    )
    return found


@dataclass
class Tally:
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    unexpected: Counter[tuple[str, int]] = field(default_factory=Counter)
    wrong_bodies: Counter[str] = field(default_factory=Counter)
    wrong_body_examples: list[str] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    drop_reasons: list[str] = field(default_factory=list)
    #: Seconds from sending to the whole response, by scenario: reported, never a pass or fail.
    latencies: dict[str, list[float]] = field(default_factory=dict)
    done: int = 0


class Load:
    """``connections`` workers drawing scenarios until a phase's count is sent.

    Drawn from one seeded stream by weight; or ``dealt``: from a shuffled deck holding each scenario
    ``weight`` times, so that every whole deck sends each one, however short the phase.
    """

    def __init__(
        self,
        port: int,
        connections: int,
        seed: int,
        mix: list[Scenario],
        tally: Tally,
        *,
        dealt: bool = False,
    ) -> None:
        self.port = port
        self.connections = connections
        self.random = random.Random(seed)
        self.scenarios = mix
        self.weights = [s.weight for s in self.scenarios]
        self.tally = tally
        self.dealt = dealt
        self.deck: list[Scenario] = []

    @property
    def deck_size(self) -> int:
        return sum(self.weights)

    def draw(self) -> Scenario:
        if not self.dealt:
            return self.random.choices(self.scenarios, self.weights)[0]
        if not self.deck:
            self.deck = [scenario for scenario in self.scenarios for _ in range(scenario.weight)]
            self.random.shuffle(self.deck)
        return self.deck.pop()

    async def phase(self, count: int) -> None:
        remaining = [count]

        async def worker() -> None:
            kept: Connection | None = None
            while remaining[0] > 0:
                remaining[0] -= 1
                kept = await self.one(self.draw(), kept)
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
        sent = time.monotonic()
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
        self.tally.latencies.setdefault(scenario.name, []).append(time.monotonic() - sent)
        if response.status not in scenario.expected:
            self.tally.unexpected[(scenario.name, response.status)] += 1
        elif scenario.check is not None and (wrong := scenario.check(response.body)) is not None:
            self.tally.wrong_bodies[scenario.name] += 1
            if len(self.tally.wrong_body_examples) < 10:
                self.tally.wrong_body_examples.append(f"{scenario.name}: {wrong}")
        if not scenario.keep_alive:
            connection[1].close()
            return kept
        if response.closed:
            connection[1].close()
            return None
        return connection


def status_field(pid: int, name: str) -> int | None:
    """A number from ``/proc/PID/status`` (``VmRSS``, ``VmHWM`` in kB, ``Threads``); ``None`` without /proc."""
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return None


def rss_kb(pid: int) -> int:
    """Resident memory of one process, from /proc (Linux) or ``ps`` elsewhere."""
    rss = status_field(pid, "VmRSS")
    if rss is not None:
        return rss
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


def start_server(
    folder: Path, isolation: str | None, abuse_concurrency: int
) -> tuple[subprocess.Popen[bytes], int, Path]:
    (folder / "soak_handlers.py").write_text(HANDLERS)
    (folder / "soak_abuse.py").write_text(ABUSE_HANDLERS)
    (folder / "apig.yaml").write_text(textwrap.dedent(CONFIG) + abuse_config(abuse_concurrency))
    port = free_port()
    log_path = folder / "serve.log"
    command = [sys.executable, "-m", "emulator.cli", "serve", "--config", str(folder / "apig.yaml")]
    command += ["--code-dir", str(folder), "--port", str(port), "--request-timeout", str(REQUEST_TIMEOUT)]
    command += ["--max-workers", str(MAX_WORKERS + len(ABUSES) * abuse_concurrency)]
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
class Reading:
    """The server at rest after a phase: its memory, its threads, its worker processes."""

    rss_kb: int = 0
    threads: int = 0
    workers: int = 0
    workers_rss_kb: int = 0

    @classmethod
    def of(cls, pid: int) -> Reading:
        workers_rss_kb, workers = children_rss_kb(pid)
        return cls(rss_kb(pid), status_field(pid, "Threads") or 0, workers, workers_rss_kb)


@dataclass
class Figures:
    requests_per_phase: int
    connections: int
    isolation: str
    abuse_per_half: int = 0
    abuse_warmup: int = 0
    abuse_connections: int = 0
    seconds: float = 0.0
    abuse_seconds: float = 0.0
    completed: int = 0
    rss_start_kb: int = 0
    rss_warm_kb: int = 0
    rss_n_kb: int = 0
    rss_2n_kb: int = 0
    rss_3n_kb: int = 0
    workers_rss_n_kb: int = 0
    workers_rss_2n_kb: int = 0
    workers_n: int = 0
    workers_2n: int = 0
    #: After each half of the abuse phase (A and 2A).
    rss_a_kb: int = 0
    rss_2a_kb: int = 0
    threads_a: int = 0
    threads_2a: int = 0
    workers_a: int = 0
    workers_2a: int = 0
    workers_rss_a_kb: int = 0
    workers_rss_2a_kb: int = 0
    #: The server's peak RSS (``VmHWM``) before the abuse phase and over the whole run.
    peak_before_abuse_kb: int = 0
    peak_kb: int = 0
    unexpected: int = 0
    wrong_bodies: int = 0
    dropped: int = 0
    #: The server's log: its size, and its lines saying that an invocation's output was capped.
    log_mb: float = 0.0
    capped_outputs: int = 0
    late_output_warnings: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def growth_kb(self) -> int:
        """The smaller of the two phases' growth: what a leak would add to each."""
        return min(self.rss_2n_kb - self.rss_n_kb, self.rss_3n_kb - self.rss_2n_kb)

    @property
    def abuse_growth_kb(self) -> int:
        return self.rss_2a_kb - self.rss_a_kb


#: Seconds to wait after a phase before reading RSS: longer than the longest work a request leaves
#: running on the server (``oversleep``'s handler sleeps 1.5 s past its timeout, holding its thread and
#: buffers; the abuse phase's print loops run as long), so each figure is taken at rest, not with a
#: phase's last timed-out handlers still alive.
SETTLE_S = 2.0


def peak_kb(pid: int, readings: list[int]) -> int:
    """The server's peak RSS so far: ``VmHWM`` on Linux, else the largest reading."""
    return status_field(pid, "VmHWM") or max(readings)


async def soak(port: int, pid: int, args: argparse.Namespace, figures: Figures) -> Tally:
    tally = Tally()
    load = Load(port, args.connections, args.seed, scenarios(), tally)
    figures.rss_start_kb = rss_kb(pid)
    started = time.monotonic()

    async def run(load: Load, name: str, count: int) -> Reading:
        remaining = args.max_seconds - (time.monotonic() - started)
        await asyncio.wait_for(load.phase(count), max(remaining, 0.1))
        await asyncio.sleep(SETTLE_S)
        reading = Reading.of(pid)
        print(
            f"soak: {name:13} done: {tally.done} requests, {time.monotonic() - started:.1f} s, "
            f"RSS {reading.rss_kb / 1024:.1f} MB",
            flush=True,
        )
        return reading

    figures.rss_warm_kb = (await run(load, "warm-up", args.warmup)).rss_kb
    n = await run(load, "N", args.requests)
    figures.rss_n_kb, figures.workers_n, figures.workers_rss_n_kb = n.rss_kb, n.workers, n.workers_rss_kb
    twice = await run(load, "2N", args.requests)
    figures.rss_2n_kb, figures.workers_2n, figures.workers_rss_2n_kb = (
        twice.rss_kb,
        twice.workers,
        twice.workers_rss_kb,
    )
    figures.rss_3n_kb = (await run(load, "3N", args.requests)).rss_kb
    figures.seconds = time.monotonic() - started
    figures.peak_before_abuse_kb = peak_kb(
        pid, [figures.rss_warm_kb, n.rss_kb, twice.rss_kb, figures.rss_3n_kb]
    )
    if args.abuse:
        process = args.isolation in (None, "process")
        abuse = Load(
            port, args.abuse_connections, args.seed + 1, abuse_scenarios(process=process), tally, dealt=True
        )
        # Whole decks: each half sends every abusive request at least once, however small --requests is.
        figures.abuse_per_half = whole_decks(args.abuse, abuse.deck_size)
        figures.abuse_warmup = whole_decks(max(args.abuse, INSPECTOR_RECORDS), abuse.deck_size)
        abused = time.monotonic()
        await run(abuse, "abuse warm-up", figures.abuse_warmup)
        first = await run(abuse, "A", figures.abuse_per_half)
        second = await run(abuse, "2A", figures.abuse_per_half)
        figures.abuse_seconds = time.monotonic() - abused
        figures.rss_a_kb, figures.threads_a = first.rss_kb, first.threads
        figures.workers_a, figures.workers_rss_a_kb = first.workers, first.workers_rss_kb
        figures.rss_2a_kb, figures.threads_2a = second.rss_kb, second.threads
        figures.workers_2a, figures.workers_rss_2a_kb = second.workers, second.workers_rss_kb
    figures.peak_kb = peak_kb(pid, [figures.peak_before_abuse_kb, figures.rss_a_kb, figures.rss_2a_kb])
    return tally


def whole_decks(count: int, deck: int) -> int:
    return -(-count // deck) * deck


def read_log(log: str, figures: Figures) -> None:
    """What the log says of the caps: the invocations whose output was cut, the late writers counted."""
    figures.log_mb = len(log.encode(errors="replace")) / (1024 * 1024)
    figures.capped_outputs = len(
        re.findall(r"apig-emu: (?:[\d,]+ bytes of output|output past the cap) dropped", log)
    )
    figures.late_output_warnings = log.count("more bytes of output before its handler returned: dropped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000, help="requests per measured phase (N)")
    parser.add_argument("--warmup", type=int, default=None, help="requests before measuring (default: N/4)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent client connections")
    parser.add_argument(
        "--abuse",
        type=int,
        default=None,
        help="requests per half of the abuse phase (default: N/100, rounded up to whole rounds of its mix; "
        "0: no abuse phase)",
    )
    parser.add_argument(
        "--abuse-connections", type=int, default=8, help="concurrent client connections in the abuse phase"
    )
    parser.add_argument("--max-seconds", type=float, default=600.0, help="bound on the whole run")
    parser.add_argument("--isolation", default=None, help="serve --isolation (default: the server's own)")
    parser.add_argument(
        "--margin-mb", type=float, default=1.5, help="allowed RSS growth per phase (N to 2N, 2N to 3N), MB"
    )
    parser.add_argument(
        "--margin-pct", type=float, default=3.0, help="allowed RSS growth per phase, and from A to 2A, %%"
    )
    parser.add_argument(
        "--abuse-margin-mb",
        type=float,
        default=8.0,
        help="allowed RSS growth from A to 2A (the abuse phase), MB",
    )
    parser.add_argument(
        "--max-rss-mb",
        type=float,
        default=300.0,
        help="bound on the server's peak RSS over the whole run, MB",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    parser.add_argument("--keep-log", type=Path, default=None, help="copy the server's log to this file")
    args = parser.parse_args(argv)
    if args.warmup is None:
        args.warmup = max(args.requests // 4, args.connections)
    if args.abuse is None:
        args.abuse = args.requests // 100
    figures = Figures(args.requests, args.connections, args.isolation or "server default")
    figures.abuse_connections = args.abuse_connections if args.abuse else 0
    # Twice the connections: a timed-out handler's thread holds its slot a little longer than its request.
    abuse_concurrency = 2 * args.abuse_connections
    with tempfile.TemporaryDirectory(prefix="apig-emu-soak-") as folder:
        process, port, log_path = start_server(Path(folder), args.isolation, abuse_concurrency)
        try:
            tally = asyncio.run(soak(port, process.pid, args, figures))
        except asyncio.TimeoutError:
            print(
                f"soak: INCOMPLETE: --max-seconds {args.max_seconds:g} ran out before the last phase's end",
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
            if args.keep_log:
                shutil.copyfile(log_path, args.keep_log)
        if not alive:
            print(f"soak: FAILED: the server died\n{server_log[-3000:]}", file=sys.stderr)
            return 1
    read_log(server_log, figures)
    figures.completed = tally.done
    figures.unexpected = sum(tally.unexpected.values())
    figures.wrong_bodies = sum(tally.wrong_bodies.values())
    figures.dropped = sum(tally.dropped.values())
    figures.statuses = {f"{name} {status}": count for (name, status), count in sorted(tally.statuses.items())}
    report(figures, tally)
    if args.json:
        print(
            json.dumps(
                {
                    **figures.__dict__,
                    "growth_kb": figures.growth_kb,
                    "abuse_growth_kb": figures.abuse_growth_kb,
                }
            )
        )
    failures = []
    if figures.unexpected:
        failures.append(f"{figures.unexpected} unexpected statuses: {dict(tally.unexpected)}")
    if figures.wrong_bodies:
        failures.append(f"{figures.wrong_bodies} wrong bodies: {tally.wrong_body_examples}")
    if figures.dropped:
        failures.append(f"{figures.dropped} dropped connections: {tally.drop_reasons}")
    for what, before, after, margin_mb in [
        ("N to 2N and again to 3N", figures.rss_n_kb, figures.rss_n_kb + figures.growth_kb, args.margin_mb),
        ("A to 2A", figures.rss_a_kb, figures.rss_2a_kb, args.abuse_margin_mb),
    ]:
        allowed_kb = max(margin_mb * 1024, before * args.margin_pct / 100)
        if after - before > allowed_kb:
            failures.append(
                f"RSS grew {(after - before) / 1024:.1f} MB from {what} (allowed {allowed_kb / 1024:.1f} MB)"
            )
    if figures.peak_kb > args.max_rss_mb * 1024:
        failures.append(
            f"the server's RSS peaked at {figures.peak_kb / 1024:.1f} MB (--max-rss-mb {args.max_rss_mb:g})"
        )
    for failure in failures:
        print(f"soak: FAILED: {failure}", file=sys.stderr)
    if not failures:
        print("soak: OK")
    return 1 if failures else 0


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def report(figures: Figures, tally: Tally) -> None:
    mb = 1024
    mixed = figures.completed - figures.abuse_warmup - 2 * figures.abuse_per_half
    print(
        f"soak: {mixed} requests over {figures.connections} connections in {figures.seconds:.1f} s "
        f"({mixed / figures.seconds:.0f}/s), isolation: {figures.isolation}"
    )
    print(
        f"soak: RSS start {figures.rss_start_kb / mb:.1f} MB, after warm-up {figures.rss_warm_kb / mb:.1f} MB, "
        f"after N={figures.requests_per_phase} {figures.rss_n_kb / mb:.1f} MB, "
        f"after 2N {figures.rss_2n_kb / mb:.1f} MB, after 3N {figures.rss_3n_kb / mb:.1f} MB "
        f"(growth in both phases {figures.growth_kb / mb:+.1f} MB)"
        + (
            f"; {figures.workers_n} workers {figures.workers_rss_n_kb / mb:.1f} MB after N, "
            f"{figures.workers_2n} workers {figures.workers_rss_2n_kb / mb:.1f} MB after 2N"
            if figures.workers_rss_2n_kb
            else ""
        )
    )
    if figures.abuse_per_half:
        unrelated = tally.latencies.get("unrelated", [0.0])
        print(
            f"soak: abuse: {figures.abuse_warmup} + 2 × {figures.abuse_per_half} requests over "
            f"{figures.abuse_connections} connections "
            f"in {figures.abuse_seconds:.1f} s; RSS after A {figures.rss_a_kb / mb:.1f} MB, after 2A "
            f"{figures.rss_2a_kb / mb:.1f} MB (growth {figures.abuse_growth_kb / mb:+.1f} MB), "
            f"threads {figures.threads_a} / {figures.threads_2a}"
            + (
                f"; {figures.workers_a} workers {figures.workers_rss_a_kb / mb:.1f} MB after A, "
                f"{figures.workers_2a} workers {figures.workers_rss_2a_kb / mb:.1f} MB after 2A"
                if figures.workers_rss_2a_kb
                else ""
            )
        )
        print(
            f"soak: abuse: unrelated requests answered in {median(unrelated) * 1000:.0f} ms (median), "
            f"{max(unrelated) * 1000:.0f} ms (slowest); {figures.capped_outputs} outputs capped, "
            f"{figures.late_output_warnings} late writers counted; log {figures.log_mb:.1f} MB"
        )
    print(
        f"soak: peak RSS {figures.peak_before_abuse_kb / mb:.1f} MB before the abuse phase, "
        f"{figures.peak_kb / mb:.1f} MB over the run"
    )
    print(
        f"soak: unexpected statuses {figures.unexpected}, wrong bodies {figures.wrong_bodies}, "
        f"dropped connections {figures.dropped}"
    )
    for (name, status), count in sorted(tally.statuses.items()):
        print(f"soak:   {name:22} {status}  {count}")


if __name__ == "__main__":
    sys.exit(main())
