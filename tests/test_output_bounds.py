"""A handler's output is capped per invocation, in both isolations, however much it writes and when.

The caps themselves (``emulator.runtime.output``) first; then handlers that flood (``tests/lambdas/
output.py``): in-process for what reaches the log, and against a live ``apig-emu serve`` for what
the server's memory does meanwhile, read from /proc as a generous bound, never as a timing. Every
flood line is 16 KiB, so 64 of them are the 1 MiB an invocation keeps.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator.runtime.capture import start_capture, stop_capture
from emulator.runtime.output import (
    LINE_LIMIT,
    LINES_LIMIT,
    OUTPUT_LIMIT,
    Allowance,
    CappedStream,
    Collected,
    dropped_line,
    lines_of,
)
from emulator.runtime.threads import ThreadInvoker
from emulator.testing import Harness
from tests.conftest import ISOLATIONS, MakeHarness
from tests.gate import Gate, wait_until
from tests.live import LiveServer, start_server

MIB = 1024 * 1024
#: A flood's line as the handler writes it, without its newline (``tests/lambdas/output.py``).
LINE = "x" * 16383
#: What the server may reach while a handler writes hundreds of megabytes: several times its own size
#: (about 40 MB), a fraction of what it reached before output was capped.
SERVER_PEAK_MB = 300

CONFIG = """
apis:
  shop: {}
functions:
  flood:
    handler: output.flood
    timeout: 120
    triggers:
      - {api: shop, resource: /flood, method: POST, proxy: true}
  stuck:
    handler: output.flood
    timeout: 1
    triggers:
      - {api: shop, resource: /stuck, method: POST, proxy: true}
  leaky:
    handler: output.flood
    timeout: 120
    memory: 128
    triggers:
      - {api: shop, resource: /leaky, method: POST, proxy: true}
  hello:
    handler: output.hello
    triggers:
      - {api: shop, resource: /hello, method: GET, proxy: true}
"""


def body(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def flood_output(mib: int) -> list[str]:
    """What an invocation keeps of a flood of ``mib`` MiB and nothing else: its first MiB, then one line."""
    return [LINE] * 64 + [dropped_line((mib - 1) * MIB)]


# --- The caps -------------------------------------------------------------------------------------


def test_an_allowance_passes_what_fits_and_counts_the_rest_in_utf8_bytes() -> None:
    allowance = Allowance(10)
    assert allowance.admit("abcde") == "abcde"
    # 5 bytes left: "é" is 2 bytes, so "éé" fits and the third would be cut in two: it is not.
    assert allowance.admit("ééé!") == "éé"
    assert allowance.room == 0  # once output is dropped, all that follows is, not a later small write
    assert allowance.dropped == len("é!".encode())
    assert allowance.admit("more") == ""
    assert allowance.dropped == 3 + 4
    assert allowance.renew() == 7
    assert (allowance.room, allowance.dropped) == (10, 0)


def test_lines_are_shaped_to_cloudwatchs_limits() -> None:
    assert lines_of("one\ntwo\n") == ["one", "two"]
    long = "y" * (LINE_LIMIT + 1000)
    (cut,) = lines_of(long)
    assert cut == "y" * LINE_LIMIT + " [apig-emu: line cut at 256 KB, 1,000 more bytes dropped]"
    many = lines_of("line\n" * (LINES_LIMIT + 3))
    assert many == ["line"] * LINES_LIMIT + [dropped_line(3 * len("line\n"))]
    assert lines_of("kept", 12) == ["kept", dropped_line(12)]
    assert dropped_line(1234) == (
        "apig-emu: 1,234 bytes of output dropped (an invocation keeps the first 1 MB of its output, "
        "at most 10,000 lines: a CloudWatch Logs batch)"
    )
    assert dropped_line(5, partial=True) == (
        "apig-emu: output past the cap dropped (an invocation keeps the first 1 MB of its output, at most "
        "10,000 lines: a CloudWatch Logs batch; the environment ended before it counted how much)"
    )


def test_collected_output_keeps_the_first_megabyte_of_a_stream_and_starts_afresh() -> None:
    collected = Collected()
    for _ in range(3 * 64):
        collected.feed((LINE + "\n").encode())
    # The writer's own count of what it dropped before sending is added to what arrived over the cap.
    assert collected.take(dropped_elsewhere=5) == [LINE] * 64 + [dropped_line(2 * MIB + 5)]
    collected.feed(b"next invocation\n")
    assert collected.take() == ["next invocation"]
    collected.feed(b"x" * (OUTPUT_LIMIT + 1))
    assert collected.take(counted=False)[-1] == dropped_line(1, partial=True)


def test_a_capped_stream_writes_through_until_its_allowance_is_spent() -> None:
    target = io.StringIO()
    stream = CappedStream(target, Allowance(8), threading.Lock())  # type: ignore[arg-type]
    print("12345", file=stream)
    print("67890", file=stream)
    assert target.getvalue() == "12345\n67"
    assert stream.allowance.dropped == len("890\n")


def test_thread_isolation_holds_about_what_a_flood_of_tiny_writes_keeps() -> None:
    """A progress counter printed without newlines: each write kept as a string of its own took 25 times
    its text in the emulator's memory (30 MB for the megabyte an invocation keeps). ``tracemalloc``,
    not the clock, measures it."""
    count = 100_000  # writes of 2 bytes: 200 KB, within the cap
    tracemalloc.start()
    try:
        start_capture("tiny-writes", "tiny")
        for number in range(count):
            sys.stdout.write(f"{number % 90 + 10}")  # a string of its own, as a handler's writes are
            sys.stdout.write("")  # ``print(end="")`` too: kept as nothing
        held, _ = tracemalloc.get_traced_memory()
        lines = stop_capture()
    finally:
        tracemalloc.stop()
    assert held < 2 * MIB  # 200 KB kept, and the last writes not yet joined; 6.7 MB before
    assert lines == lines_of("".join(f"{number % 90 + 10}" for number in range(count)))


# --- What reaches the log ---------------------------------------------------------------------------


@pytest.fixture(params=ISOLATIONS)
def apig(request: pytest.FixtureRequest, make_harness: MakeHarness) -> Harness:
    return make_harness(CONFIG, isolation=request.param)


def skip_beneath_sys_stdout_in_threads(apig: Harness, how: str) -> None:
    if how == "fd" and isinstance(apig.invoker, ThreadInvoker):
        pytest.skip("in thread isolation fd 1 is the server's own: what is written there is not captured")


@pytest.mark.parametrize("how", ["print", "stderr", "fd"])
def test_a_flood_keeps_its_first_megabyte_and_says_how_much_was_dropped(apig: Harness, how: str) -> None:
    skip_beneath_sys_stdout_in_threads(apig, how)
    response = apig.post("/Prod/flood", content=body(mb=8, how=how, first="the first line"))
    assert response.status_code == 200
    logs = apig.invocations[-1].logs
    assert logs[0] == "the first line"
    kept = OUTPUT_LIMIT - len("the first line\n")
    assert logs[1:-2] == [LINE] * (kept // 16384)
    # The line the cap cut in two, then what was dropped: everything written past the first MiB.
    assert LINE.startswith(logs[-2])
    assert logs[-1] == dropped_line(8 * MIB + len("the first line\n") - OUTPUT_LIMIT)


@pytest.mark.parametrize("how", ["print", "fd"])
def test_an_unrelated_route_answers_while_a_handler_floods_and_the_flood_reaches_the_log_capped(
    apig: Harness, gate: Gate, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    """The 50 MB printer that made another route wait: the gateway logs what the cap keeps, 68 lines.

    ``fd`` writes beneath ``sys.stdout``: in process isolation that flood streams through the
    gateway's event loop, which serves the other route meanwhile.
    """
    skip_beneath_sys_stdout_in_threads(apig, how)
    with caplog.at_level(logging.INFO, logger="apig_emu"), ThreadPoolExecutor(1) as pool:
        flooding = pool.submit(
            apig.post, "/Prod/flood", content=body(mb=50, gate_at_mb=25, gate=gate.port, how=how)
        )
        gate.arrival()  # 25 MB written, 25 MB to go
        assert apig.get("/Prod/hello").status_code == 200
        assert not flooding.done()
        gate.open()
        assert flooding.result().status_code == 200
    flood = [r for r in caplog.records if r.name == "apig_emu.lambda" and r.getMessage().startswith("flood ")]
    output = [
        r.getMessage().removeprefix("flood ") for r in flood if getattr(r, "apig", {}).get("kind") == "output"
    ]
    assert output == flood_output(50)
    assert len(flood) == len(output) + 3  # START, END, REPORT: 68 records for 50 MB


def test_a_timeout_answers_with_the_output_so_far_and_what_the_handler_writes_after_is_counted(
    make_harness: MakeHarness, gate: Gate, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Thread isolation answers a timeout while the handler's thread runs on."""
    apig = make_harness(CONFIG)
    done = tmp_path / "done"
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        response = apig.post(
            "/Prod/stuck", content=body(first="before the timeout", gate=gate.port, mb=8, done=str(done))
        )
        stuck = gate.arrival()
        assert response.status_code == 502
        timed_out = apig.invocations[-1]
        assert timed_out.result.timed_out
        # What it wrote until its timeout is in the timed-out invocation's log, as on Lambda.
        assert timed_out.logs == ["before the timeout"]
        stuck.open()
        wait_until(done.exists, "the handler has written its 8 MiB")
        wait_until(lambda: "more bytes" in caplog.text, "the handler has returned")
    (late,) = [r.getMessage() for r in caplog.records if "more bytes" in r.getMessage()]
    assert late == (
        f"function 'stuck': invocation {timed_out.result.aws_request_id}, answered at its timeout, ran on "
        "and wrote 8,388,608 more bytes of output before its handler returned: dropped (thread "
        "isolation cannot stop a handler)"
    )
    assert apig.get("/Prod/hello").status_code == 200


# --- The server's memory ----------------------------------------------------------------------------


def peak_rss_mb(pid: int) -> int:
    """The process's peak resident memory so far (``VmHWM``), in MB."""
    match = re.search(r"^VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
    assert match is not None
    return int(match.group(1)) // 1024


def function_lines(server: LiveServer, function: str, *, reports: int = 1) -> list[str]:
    """The function's log lines, once ``reports`` invocations have ended in it: the log is written
    after the answer (in batches, off the event loop), so the client can be ahead of it."""

    def lines() -> list[str]:
        prefix = function + " "
        return [line.removeprefix(prefix) for line in server.log().splitlines() if line.startswith(prefix)]

    wait_until(lambda: sum(line.startswith("REPORT ") for line in lines()) >= reports, f"{function} ended")
    return lines()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Callable[[str], LiveServer]]:
    servers: list[LiveServer] = []

    def start(isolation: str) -> LiveServer:
        servers.append(start_server(tmp_path, CONFIG, "--isolation", isolation))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


needs_proc = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")


@needs_proc
@pytest.mark.slow
def test_thread_isolation_a_timed_out_handler_that_keeps_printing_does_not_grow_the_server(
    live: Callable[[str], LiveServer], gate: Gate, tmp_path: Path
) -> None:
    """It grew the server without limit: 36 MB to 2.6 GB in 23 s after one request."""
    server = live("thread")
    done = tmp_path / "done"
    response = requests.post(
        server.url + "/Prod/stuck",
        data=body(first="before the timeout", gate=gate.port, mb=512, done=str(done)),
        timeout=30,
    )
    stuck = gate.arrival()
    assert response.status_code == 502
    stuck.open()  # answered: now 512 MiB more
    wait_until(done.exists, "the handler has written its 512 MiB")
    assert peak_rss_mb(server.process.pid) < SERVER_PEAK_MB
    wait_until(lambda: "more bytes" in server.log(), "the handler has returned")
    assert "wrote 536,870,912 more bytes of output before its handler returned: dropped" in server.log()
    assert "before the timeout" in function_lines(server, "stuck")
    assert peak_rss_mb(server.process.pid) < SERVER_PEAK_MB


@needs_proc
@pytest.mark.slow
@pytest.mark.parametrize("how", ["print", "fd"])
def test_process_isolation_a_flood_is_answered_and_neither_the_worker_nor_the_server_holds_it(
    live: Callable[[str], LiveServer], how: str
) -> None:
    """A worker's output piled up outside its memory check: 1 GB buffered, the server at 2.08 GB, and
    the worker ended with "exit status 1". ``fd`` writes beneath ``sys.stdout``, as C code would."""
    server = live("process")
    response = requests.post(server.url + "/Prod/flood", data=body(mb=512, how=how), timeout=120)
    assert response.status_code == 200
    lines = function_lines(server, "flood")
    start = next(i for i, line in enumerate(lines) if line.startswith("START "))
    assert lines[start + 1 : start + 66] == flood_output(512)
    assert lines[start + 66].startswith("END ")
    report = lines[start + 67]
    assert "Status: error" not in report
    assert int(re.search(r"Max Memory Used: (\d+) MB", report)[1]) < 128  # type: ignore[index]
    assert peak_rss_mb(server.process.pid) < SERVER_PEAK_MB


@needs_proc
@pytest.mark.slow
def test_process_isolation_a_worker_that_runs_out_of_memory_while_printing_is_out_of_memory(
    live: Callable[[str], LiveServer],
) -> None:
    server = live("process")
    response = requests.post(server.url + "/Prod/leaky", data=body(mb=512, keep=True), timeout=120)
    assert response.status_code == 502
    lines = function_lines(server, "leaky")
    report = next(line for line in lines if line.startswith("REPORT "))
    assert "Error Type: Runtime.OutOfMemory" in report
    start = next(i for i, line in enumerate(lines) if line.startswith("START "))
    assert lines[start + 1 : start + 65] == [LINE] * 64
    # Killed by the memory watch before it could count what it dropped (the log says so), or stopped by
    # its address-space limit, when a loaded machine delays the watch, and answered with its count.
    said = lines[start + 65]
    assert said == dropped_line(1, partial=True) or re.fullmatch(
        r"apig-emu: [\d,]+ bytes of output dropped .*", said
    )
    assert peak_rss_mb(server.process.pid) < SERVER_PEAK_MB


@needs_proc
@pytest.mark.slow
@pytest.mark.parametrize("how", ["print", "fd"])
def test_process_isolation_output_written_while_idle_opens_the_next_invocations_log_capped(
    live: Callable[[str], LiveServer], tmp_path: Path, how: str
) -> None:
    """A thread the handler left running floods after its invocation was answered."""
    server = live("process")
    done = tmp_path / "done"
    with Gate() as gate:
        flood = body(mb=512, how=how, background=True, gate=gate.port, done=str(done))
        first = requests.post(server.url + "/Prod/flood", data=flood, timeout=30)
        assert first.status_code == 200
        gate.arrival().open()  # the thread writes once its invocation was answered
        wait_until(done.exists, "the thread has written its 512 MiB")
    second = requests.post(server.url + "/Prod/flood", data=body(first="the second invocation"), timeout=30)
    assert second.json()["pid"] == first.json()["pid"]  # the same environment
    lines = function_lines(server, "flood", reports=2)
    starts = [i for i, line in enumerate(lines) if line.startswith("START ")]
    assert lines[starts[0] + 1].startswith("END ")  # the first wrote nothing while it ran
    # The second's log opens with the thread's first MiB; its own line went past the cap with the rest.
    dropped = 511 * MIB + len("the second invocation\n")
    assert lines[starts[1] + 1 : starts[1] + 66] == [LINE] * 64 + [dropped_line(dropped)]
    assert lines[starts[1] + 66].startswith("END ")
    assert peak_rss_mb(server.process.pid) < SERVER_PEAK_MB
