"""``serve``'s log under load: every request's lines, whole and in order, whatever reads the log.

The log is written in batches, one per event-loop turn, by ``emulator.log_writer``; these tests hold
it to what the per-line ``logging`` handler it replaced guaranteed, and to what that one could not:
a reader that does not keep up (a slow terminal, a pipe nobody reads) never holds up a request.
"""

from __future__ import annotations

import json
import signal
import subprocess
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import LAMBDAS, ROOT
from tests.lambdas.log_lines import LINES
from tests.live import SERVE, free_port, serve_on_a_terminal, start_server

#: Slow: each test starts `apig-emu serve` processes.
pytestmark = pytest.mark.slow

CONFIG = """
apis:
  shop: {}
functions:
  lines:
    handler: log_lines.three_lines
    triggers:
      - {api: shop, resource: /lines, method: GET, proxy: true}
"""

REQUESTS = 200


def answer_all(url: str, count: int = REQUESTS) -> dict[str, str]:
    """``count`` requests from as many clients at once as the function has environments (4, its default
    ``concurrency``, so that none is throttled): each answer's ``x-amzn-RequestId`` → its function's id."""

    def one(_: int) -> tuple[str, str]:
        response = requests.get(url + "/Prod/lines", timeout=30)
        assert response.status_code == 200, response.text
        return response.headers["x-amzn-RequestId"], response.text

    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(one, range(count)))


def text_blocks(log: str) -> dict[str, list[str]]:
    """Each invocation's block of text lines, START to the access line, keyed by its ``aws_request_id``."""
    lines = log.splitlines()
    blocks = {}
    for index, line in enumerate(lines):
        if line.startswith("lines START RequestId: "):
            rid = line.split()[3]
            blocks[rid] = lines[index : index + LINES + 4]
    return blocks


def assert_text_block(block: list[str], rid: str, request_id: str) -> None:
    """START, the handler's lines, END, REPORT, then the gateway's access line: whole and in this order."""
    assert block[0] == f"lines START RequestId: {rid} Version: $LATEST"
    assert block[1 : 1 + LINES] == [f"lines line {number} of {rid}" for number in range(LINES)]
    assert block[1 + LINES] == f"lines END RequestId: {rid}"
    assert block[2 + LINES].startswith(f"lines REPORT RequestId: {rid}\tDuration: ")
    method, path, status, _, access_id = block[3 + LINES].split()
    assert (method, path, status, access_id) == ("GET", "/Prod/lines", "200", request_id)


@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_concurrent_requests_each_get_all_their_lines_in_order(tmp_path: Path, isolation: str) -> None:
    server = start_server(tmp_path, CONFIG, "--isolation", isolation, "--no-reload")
    try:
        answered = answer_all(server.url)
    finally:
        server.stop()
    assert server.process.returncode == 0
    blocks = text_blocks(server.log())
    assert len(blocks) == REQUESTS
    for request_id, rid in answered.items():
        assert_text_block(blocks[rid], rid, request_id)


def test_json_lines_to_a_log_file_are_whole_and_in_order(tmp_path: Path) -> None:
    log_file = tmp_path / "emu.log"
    server = start_server(
        tmp_path, CONFIG, "--log-format", "json", "--log-file", str(log_file), "--no-reload"
    )
    try:
        answered = answer_all(server.url)
    finally:
        server.stop()
    entries = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert "GET /Prod/lines 200" not in server.log()  # the log went to the file, not to stderr
    by_rid: dict[str, list[dict[str, object]]] = {}
    for index, entry in enumerate(entries):
        if entry.get("kind") == "start":
            by_rid[str(entry["aws_request_id"])] = entries[index : index + LINES + 4]
    assert len(by_rid) == REQUESTS
    for request_id, rid in answered.items():
        block = by_rid[rid]
        assert [entry["kind"] for entry in block] == ["start", *["output"] * LINES, "end", "report", "access"]
        assert all(entry["aws_request_id"] == rid for entry in block[:-1])
        assert [entry["message"] for entry in block[1 : 1 + LINES]] == [
            f"line {number} of {rid}" for number in range(LINES)
        ]
        report, access = block[-2], block[-1]
        assert (report["logger"], report["level"], report["memory_size_mb"]) == (
            "apig_emu.lambda",
            "INFO",
            128,
        )
        assert {key: access[key] for key in ("logger", "method", "path", "status", "request_id")} == {
            "logger": "apig_emu.access",
            "method": "GET",
            "path": "/Prod/lines",
            "status": 200,
            "request_id": request_id,
        }


@pytest.fixture
def unread_stderr(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``serve`` with its stderr a pipe that nobody reads until the test says so."""
    config = tmp_path / "apig.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    port = free_port()
    process = subprocess.Popen(
        [*SERVE, "--config", str(config), "--code-dir", str(LAMBDAS), "--port", str(port), "--no-reload"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        assert process.stderr is not None
        process.stderr.close()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_log_nobody_reads_never_holds_up_requests_and_is_written_whole_at_shutdown(
    unread_stderr: tuple[subprocess.Popen[bytes], int], stop: int
) -> None:
    """A pipe takes 64 KB; the requests below log about five times that while nobody reads.

    ``logging``'s handler blocked the event loop on the full pipe: requests hung after about a
    hundred. The writer holds what the pipe cannot take (up to ``QUEUE_LIMIT`` bytes), and when the
    server is stopped it writes all of it before the process ends.
    """
    process, port = unread_stderr
    url = f"http://127.0.0.1:{port}"
    wait_for_answer(url, process)
    answered = answer_all(url, 400)
    assert process.poll() is None
    process.send_signal(stop)
    assert process.stderr is not None
    log = process.stderr.read().decode()  # from now on someone reads: to the end of the pipe
    assert process.wait(timeout=60) == (0 if stop == signal.SIGTERM else -signal.SIGINT)
    blocks = text_blocks(log)
    for request_id, rid in answered.items():
        assert_text_block(blocks[rid], rid, request_id)
    assert "dropped" not in log
    assert log.rstrip().endswith(f"Finished server process [{process.pid}]")


def wait_for_answer(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(400):
        assert process.poll() is None, "serve exited"
        try:
            requests.get(url + "/", timeout=0.5)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("serve did not start")


def test_a_terminal_gets_colours_through_the_writer_thread(tmp_path: Path) -> None:
    """stderr on a terminal: lines go through the writer thread, coloured as ``TextFormatter`` colours them."""
    config = tmp_path / "apig.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    port = free_port()
    with serve_on_a_terminal(config, port) as (process, received):
        url = f"http://127.0.0.1:{port}"
        wait_for_answer(url, process)
        answered = answer_all(url, 20)
    log = received.decode().replace("\r\n", "\n")
    for rid in answered.values():
        assert f"\x1b[36mlines\x1b[0m \x1b[2mSTART RequestId: {rid} Version: $LATEST\x1b[0m\n" in log
        assert f"\x1b[36mlines\x1b[0m line 0 of {rid}\n" in log
        assert f"\x1b[36mlines\x1b[0m \x1b[35mREPORT RequestId: {rid}\t" in log
    for request_id in answered:
        assert f"ms {request_id}\x1b[0m\n" in log
    assert log.count("\x1b[32mGET /Prod/lines 200 ") == len(answered)
