"""``apig-emu serve`` stops cleanly: requests in flight finish, no process remains, nothing but the log is printed.

Ctrl-C (SIGINT) ends the process as interrupted by SIGINT (a shell shows 130), SIGTERM with status 0
(``emulator.stopping`` says why); either way without a traceback, directly or through ``dev.py``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ROOT
from tests.gate import WAIT, Gate
from tests.live import DEV_SERVE, LiveServer, alive, launch_server, start_server

#: Slow: starts `apig-emu serve` for every test, and stops it.
pytestmark = pytest.mark.slow

CONFIG = """
apis:
  shop: {}
functions:
  warm_a:
    handler: isolation.warm
    triggers:
      - {api: shop, resource: /a, method: GET}
  slow:
    handler: isolation.sleep
    timeout: 30
    triggers:
      - {api: shop, resource: /slow, method: POST}
  stuck:
    handler: isolation.sleep
    timeout: 30
    triggers:
      - {api: shop, resource: /stuck, method: POST, timeout_ms: 100}
"""


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # ``pid (comm) state ppid …``; comm may hold spaces or parentheses, so split after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_shutdown_finishes_requests_in_flight_and_reaps_every_worker(tmp_path: Path, signum: int) -> None:
    server = start_server(tmp_path, CONFIG)
    try:
        assert requests.get(server.url + "/Prod/a", timeout=10).status_code == 200
        # A worker left running by an integration timeout, which shutdown must not wait for.
        assert requests.post(server.url + "/Prod/stuck", json={"seconds": 30}, timeout=10).status_code == 504
        with Gate() as gate:
            answers: list[Any] = []
            in_flight = threading.Thread(target=answer, args=(server.url + "/Prod/slow", gate, answers))
            in_flight.start()
            gate.arrival()  # the request is in slow's handler, which waits for the gate
            workers = children(server.process.pid)
            assert len(workers) == 3  # warm_a's, stuck's, and slow's, busy with the request in flight
            server.process.send_signal(signum)
            wait_for(server, "Waiting for connections to close")
            gate.open()
            in_flight.join()
        assert isinstance(answers[0], requests.Response) and answers[0].status_code == 200, answers
        assert_stopped_cleanly(server, signum)
        assert not [pid for pid in workers if alive(pid)]
        assert os.getpid() not in workers
    finally:
        server.stop()


#: How ``serve`` ends after each signal, as ``subprocess`` reports it (a shell shows 130 and 0).
EXPECTED_STATUS = {signal.SIGINT: -signal.SIGINT, signal.SIGTERM: 0}


def assert_stopped_cleanly(
    server: LiveServer, signum: int, last_line: str = "Finished server process"
) -> None:
    """Ended as ``signum`` should end it, the shutdown's ``last_line`` last, and no traceback anywhere."""
    returncode = server.process.wait(timeout=40)  # the graceful shutdown allows requests 30 s
    output = server.log()
    assert returncode == EXPECTED_STATUS[signum], output
    # The whole shutdown ran, once, and nothing came after its last line.
    assert output.count(last_line) == 1, output
    assert output.rstrip().splitlines()[-1].startswith(last_line), output
    assert "Traceback" not in output, output
    assert "KeyboardInterrupt" not in output, output


ECHO = """
apis:
  shop: {}
functions:
  warm_a:
    handler: isolation.warm
    triggers:
      - {api: shop, resource: /a, method: GET}
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
@pytest.mark.parametrize("reload", ["--reload", "--no-reload"])
@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_every_way_of_serving_stops_without_a_traceback(
    tmp_path: Path, isolation: str, reload: str, signum: int
) -> None:
    server = start_server(tmp_path, ECHO, "--isolation", isolation, reload)
    try:
        assert requests.get(server.url + "/Prod/a", timeout=10).status_code == 200
        if reload == "--reload":
            assert "hot reload: watching" in server.log()
        server.process.send_signal(signum)
        assert_stopped_cleanly(server, signum)
    finally:
        server.stop()


dev_py_runs_the_checkout_venv = pytest.mark.skipif(
    Path(sys.prefix).resolve() != (ROOT / ".venv").resolve(),
    reason="dev.py serves from the checkout's .venv, and these tests run from another environment",
)


@dev_py_runs_the_checkout_venv
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_dev_py_serve_stops_as_apig_emu_does(tmp_path: Path, signum: int) -> None:
    """``kill`` reaches dev.py's process: the server stops as if run directly, and dev.py says nothing."""
    server = start_server(tmp_path, CONFIG, command=DEV_SERVE)
    try:
        assert requests.get(server.url + "/Prod/a", timeout=10).status_code == 200
        server.process.send_signal(signum)
        assert_stopped_cleanly(server, signum)
    finally:
        server.stop()


@dev_py_runs_the_checkout_venv
def test_ctrl_c_in_a_terminal_through_dev_py_stops_once_and_lets_requests_finish(tmp_path: Path) -> None:
    """A terminal's Ctrl-C signals its whole foreground group: dev.py and the server alike.

    Had dev.py forwarded its copy to a server that had its own, the server would have counted two
    Ctrl-C, the second of which stops at once, cutting the request in flight short.
    """
    server = start_server(tmp_path, CONFIG, command=DEV_SERVE, new_session=True)
    try:
        with Gate() as gate:
            answers: list[Any] = []
            in_flight = threading.Thread(target=answer, args=(server.url + "/Prod/slow", gate, answers))
            in_flight.start()
            gate.arrival()  # the request is in slow's handler, which waits for the gate
            os.killpg(server.process.pid, signal.SIGINT)
            # One Ctrl-C: the server waits for the request (two would have stopped it at once).
            wait_for(server, "Waiting for connections to close")
            gate.open()
            in_flight.join()
        assert isinstance(answers[0], requests.Response) and answers[0].status_code == 200, answers
        assert_stopped_cleanly(server, signal.SIGINT)
    finally:
        server.stop()


LONG = """
apis:
  shop: {}
functions:
  long:
    handler: isolation.sleep
    timeout: 60
    triggers:
      - {api: shop, resource: /long, method: POST}
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_second_ctrl_c_stops_at_once_without_a_traceback(tmp_path: Path) -> None:
    """The first Ctrl-C waits for the request in flight (here for 29 s); the second cuts it short."""
    server = start_server(tmp_path, LONG)
    try:
        answers: list[Any] = []
        in_flight = threading.Thread(target=answer, args=(server.url + "/Prod/long", None, answers))
        in_flight.start()
        deadline = time.monotonic() + 10
        while not (workers := children(server.process.pid)):  # long's worker, busy with the request
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.01)
        server.process.send_signal(signal.SIGINT)
        wait_for(server, "Waiting for connections to close")
        server.process.send_signal(signal.SIGINT)
        assert_stopped_cleanly(
            server,
            signal.SIGINT,
            last_line="Ctrl-C again: stopping at once; requests in flight get no answer",
        )
        in_flight.join()
        assert isinstance(answers[0], requests.ConnectionError), answers
        assert not [pid for pid in workers if alive(pid)]
    finally:
        server.stop()


SLOW_START = """
apis:
  shop: {}
functions:
  slow:
    handler: slow_import.handler
    triggers:
      - {api: shop, resource: /a, method: GET}
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_ctrl_c_while_starting_stops_without_a_traceback_or_a_leftover_process(
    tmp_path: Path, isolation: str
) -> None:
    """``serve`` imports every handler before it serves: in a throwaway process, or (thread) in its own."""
    server = launch_server(tmp_path, SLOW_START, "--isolation", isolation)
    try:
        deadline = time.monotonic() + 20
        while not (checking := children(server.process.pid)) and "slow_import: importing" not in server.log():
            assert server.process.poll() is None and time.monotonic() < deadline, server.log()
            time.sleep(0.01)
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=20) == -signal.SIGINT, server.log()
        output = server.log()
        assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
        assert "Started server process" not in output
        deadline = time.monotonic() + 10
        while [pid for pid in checking if alive(pid)]:  # the throwaway process, killed, not waited for
            assert time.monotonic() < deadline, f"the handler check {checking} outlived serve"
            time.sleep(0.01)
    finally:
        server.stop()


def answer(url: str, gate: Gate | None, answers: list[Any]) -> None:
    """POST a request whose handler waits at ``gate`` (a minute without one), keeping the response, or
    the error of a connection cut short."""
    body = {"gate": gate.port} if gate is not None else {"seconds": 60}
    try:
        answers.append(requests.post(url, json=body, timeout=WAIT + 30))
    except requests.ConnectionError as exc:
        answers.append(exc)


def wait_for(server: LiveServer, text: str) -> None:
    deadline = time.monotonic() + 10
    while text not in server.log():
        assert server.process.poll() is None and time.monotonic() < deadline, server.log()
        time.sleep(0.01)
