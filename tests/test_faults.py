"""Faults around a live ``apig-emu serve`` in process isolation: each request gets AWS's answer, the next ones succeed.

A worker killed from outside mid-request, a handler that forks or leaves threads behind, a config
rewritten while requests pour in, a log file on a full disk. Workers and the processes handlers fork
are found by pid (handlers write theirs to a marker file) and checked in /proc.
"""

from __future__ import annotations

import collections
import io
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator.logs import LogFileHandler
from emulator.model import Definitions
from emulator.reload import Reloader
from emulator.testing import Harness
from tests.conftest import LAMBDAS, ROOT
from tests.gate import wait_until
from tests.live import LiveServer, alive, start_server

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")

CONFIG = """
apis:
  shop: {}
functions:
  pid:
    handler: faults.pid
    timeout: 10
    triggers:
      - {api: shop, resource: /pid, method: POST, proxy: true}
      - {api: shop, resource: /pid-custom, method: POST}
  forks:
    handler: faults.forks
    timeout: 10
    concurrency: 1
    triggers:
      - {api: shop, resource: /fork, method: POST}
  threads:
    handler: faults.leaves_threads
    concurrency: 1
    triggers:
      - {api: shop, resource: /threads, method: POST, proxy: true}
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: /echo, method: GET, proxy: true}
  boom:
    handler: cases.boom
    triggers:
      - {api: shop, resource: /boom, method: GET, proxy: true}
"""

INTERNAL_ERROR = b'{"message": "Internal server error"}'


def read_marker(marker: Path) -> int:
    wait_until(lambda: marker.exists() and marker.read_text() != "", f"{marker.name} is written")
    return int(marker.read_text())


def post(server: LiveServer, path: str, body: dict[str, Any] | None = None) -> requests.Response:
    return requests.post(server.url + path, json=body or {}, timeout=15)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("faults"), CONFIG)
    try:
        yield live
    finally:
        live.stop()


# --- A worker killed from outside -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/Prod/pid", "/Prod/pid-custom"], ids=["proxy", "non-proxy"])
def test_a_worker_killed_from_outside_mid_request(server: LiveServer, tmp_path: Path, path: str) -> None:
    marker = tmp_path / "worker.pid"
    answers: list[requests.Response] = []
    request = threading.Thread(
        target=lambda: answers.append(post(server, path, {"seconds": 8, "marker": str(marker)}))
    )
    request.start()
    worker = read_marker(marker)
    os.kill(worker, signal.SIGKILL)
    request.join(timeout=15)
    assert answers, "no answer"
    # Answered for the death, not at the function's timeout (that would be Sandbox.Timedout).
    response = answers[0]
    if path.endswith("custom"):
        # Non-proxy: Lambda's error object, as a 200 (the method has no error mapping).
        assert response.status_code == 200
        request_id = response.json()["requestId"]
        assert response.json() == {
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed",
            "errorType": "Runtime.ExitError",
            "requestId": request_id,
            "stackTrace": [],
        }
    else:
        assert response.status_code == 502
        assert response.content == INTERNAL_ERROR
    wait_until(
        lambda: f"(worker pid {worker}) ended during the invocation: signal: killed" in server.log(), "logged"
    )
    assert "Status: error\tError Type: Runtime.ExitError" in server.log()
    fresh = post(server, path)
    assert fresh.status_code == 200 and fresh.json()["pid"] != worker


@pytest.mark.slow
def test_an_idle_worker_killed_from_outside_is_replaced(server: LiveServer) -> None:
    """The next request, sent as soon as the worker is dead, may find it not yet reaped; it used to get
    ``signal: killed``.

    The request goes once the process has stopped running: a request written while a SIGKILL is still
    on its way can be read by the worker in its last instant, which is a crash during an invocation
    (answered as one), not the loss of an idle environment.
    """
    killed = []
    with requests.Session() as session:
        for _ in range(5):
            worker = session.post(server.url + "/Prod/pid-custom", json={}, timeout=15).json()["pid"]
            os.kill(worker, signal.SIGKILL)
            killed.append(worker)
            wait_until(lambda worker=worker: not alive(worker), "the killed worker has stopped running")
            fresh = session.post(server.url + "/Prod/pid-custom", json={}, timeout=15)
            assert fresh.status_code == 200
            assert fresh.json().get("pid") not in (None, worker), fresh.text

    def logged(worker: int) -> bool:
        # Either the request found it dead and went elsewhere, or it was found dead while idle.
        log = server.log()
        retried = f"worker pid {worker} had ended (signal: killed) before it took the request; a fresh one"
        return retried in log or f"idle worker pid {worker} ended (signal: killed)" in log

    wait_until(lambda: all(logged(worker) for worker in killed), "every loss is logged")


# --- Handlers that fork or leave threads --------------------------------------------------------------


@pytest.mark.slow
def test_a_forked_child_that_lingers_does_not_disturb_the_environment(
    server: LiveServer, tmp_path: Path
) -> None:
    marker = tmp_path / "child.pid"
    first = post(server, "/Prod/fork", {"child": "linger", "marker": str(marker)})
    assert first.status_code == 200
    answer = first.json()
    assert answer["in"] == "parent"
    child = read_marker(marker)
    assert child == answer["child"] and alive(child)
    # The environment stays warm and answers from the process that forked, as on Lambda.
    for _ in range(3):
        again = post(server, "/Prod/fork", {"child": "exit"})
        assert again.status_code == 200 and again.json()["pid"] == answer["pid"]


@pytest.mark.slow
def test_a_forked_child_that_returns_from_the_handler_is_ended(server: LiveServer) -> None:
    """The naive fork: the copy came back into the runtime. It used to answer later requests itself."""
    first = post(server, "/Prod/fork", {"child": "return"})
    assert first.status_code == 200
    parent, child = first.json()["pid"], first.json()["child"]
    wait_until(lambda: not alive(child), "the copy has ended")
    for _ in range(5):
        again = post(server, "/Prod/fork", {"child": "exit"})
        assert again.status_code == 200
        assert (again.json()["pid"], again.json()["in"]) == (parent, "parent")
    assert f"apig-emu: process {child}, forked by the handler, returned from it and was ended" in server.log()


@pytest.mark.slow
def test_a_worker_that_dies_leaving_a_forked_child_is_answered_at_once(
    server: LiveServer, tmp_path: Path
) -> None:
    """The child used to hold the reply pipe open, hiding the worker's death until the function's timeout."""
    marker = tmp_path / "child.pid"
    response = post(server, "/Prod/fork", {"child": "linger", "marker": str(marker), "then_exit": 3})
    assert response.status_code == 200
    error = response.json()
    # The exit, not the function's 10 s timeout (which would answer Sandbox.Timedout), ended the wait.
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"].endswith("Error: Runtime exited with error: exit status 3")
    child = read_marker(marker)
    wait_until(lambda: not alive(child), "the child is killed with its environment")
    assert post(server, "/Prod/fork", {"child": "exit"}).status_code == 200


@pytest.mark.slow
def test_threads_a_handler_leaves_running_do_not_disturb_the_environment(server: LiveServer) -> None:
    first = post(server, "/Prod/threads").json()
    second = post(server, "/Prod/threads").json()
    assert second["pid"] == first["pid"]  # the same warm environment, its threads still running
    assert second["threads"] == first["threads"] + 2
    assert requests.get(server.url + "/Prod/echo", timeout=5).status_code == 200


@pytest.mark.slow
def test_shutdown_leaves_no_worker_and_no_forked_child(tmp_path: Path) -> None:
    """Lambda ends an environment with everything in it; so does the emulator, without waiting for threads."""
    server = start_server(tmp_path, CONFIG)
    try:
        marker = tmp_path / "child.pid"
        forked = post(server, "/Prod/fork", {"child": "linger", "marker": str(marker)}).json()
        child = read_marker(marker)
        threads = post(server, "/Prod/threads").json()
        assert alive(child) and alive(forked["pid"]) and alive(threads["pid"])
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=10) == 0  # a stop done as asked
        left = {child, forked["pid"], threads["pid"]}
        wait_until(
            lambda: not any(alive(pid) for pid in left), f"processes {sorted(left)} have ended", within=2
        )
        # A worker with threads left used to sit out its 2 s grace, then be killed and reported so.
        assert "idle worker pid" not in server.log()
    finally:
        server.stop()


# --- A config reload under load -----------------------------------------------------------------------

RELOAD_CONFIG = """
apis:
  shop: {{}}
functions:
  version:
    handler: faults.version
    concurrency: 8
    environment: {{VERSION: {version}}}
    triggers:
      - {{api: shop, resource: /v, method: POST, proxy: true}}
      - {{api: shop, resource: /v-custom, method: POST}}
"""


class Load:
    """Clients sending requests back to back until stopped, counting every outcome."""

    def __init__(self, server: LiveServer, clients: int) -> None:
        self.server = server
        self.stop = threading.Event()
        self.statuses: collections.Counter[int] = collections.Counter()
        self.versions: collections.Counter[str] = collections.Counter()
        self.failures: list[str] = []
        self.lock = threading.Lock()
        paths = ["/Prod/v", "/Prod/v-custom"]
        self.threads = [
            threading.Thread(target=self.run, args=(paths[n % 2], 0.2 if n < 2 else 0.0))
            for n in range(clients)
        ]

    def run(self, path: str, seconds: float) -> None:
        with requests.Session() as session:
            while not self.stop.is_set():
                try:
                    response = session.post(self.server.url + path, json={"seconds": seconds}, timeout=10)
                    body = response.json()
                except Exception as exc:  # a dropped connection, a timeout: what this test looks for
                    with self.lock:
                        self.failures.append(f"{path}: {exc!r}")
                    continue
                with self.lock:
                    self.statuses[response.status_code] += 1
                    if response.status_code == 200:
                        self.versions[body["version"]] += 1
                    else:
                        self.failures.append(f"{path}: {response.status_code} {body}")

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)


def write_atomically(path: Path, text: str) -> None:
    """As editors save: a whole new file renamed over the old, so the watcher never reads half of one."""
    draft = path.with_name(path.name + ".draft")
    draft.write_text(textwrap.dedent(text))
    os.replace(draft, path)


@pytest.mark.slow
def test_a_config_reload_under_load_drops_nothing(tmp_path: Path) -> None:
    server = start_server(tmp_path, RELOAD_CONFIG.format(version="v1"), "--reload")
    config = tmp_path / "apig.yaml"
    try:
        # Three clients and this test: at most 4 requests in flight, so the old deployment's busy
        # workers and the new one's never pass the function's 8 and no request waits for one. With more,
        # a request could wait out the 1 s queue timeout while new workers start on a busy machine, and
        # be throttled: a race against the clock, not a dropped request.
        with Load(server, clients=3) as load:
            wait_until(lambda: load.versions["v1"] >= 20, "the load is running")
            # good -> good: a new environment variable, so new workers while requests are in flight.
            write_atomically(config, RELOAD_CONFIG.format(version="v2"))
            wait_until(lambda: load.versions["v2"] >= 20, "v2 is deployed")
            # good -> broken: refused, and v2 keeps serving.
            broken = RELOAD_CONFIG.format(version="v3").replace("method: POST}", "method: FETCH}", 1)
            write_atomically(config, broken)
            wait_until(lambda: "The config was not reloaded" in server.log(), "the broken config is refused")
            for _ in range(10):
                response = post(server, "/Prod/v-custom")
                assert response.status_code == 200 and response.json()["version"] == "v2"
            assert load.versions["v3"] == 0
            # broken -> good again.
            write_atomically(config, RELOAD_CONFIG.format(version="v4"))
            wait_until(lambda: load.versions["v4"] >= 20, "v4 is deployed")
        assert load.failures == []
        assert set(load.statuses) == {200}
        assert sum(load.statuses.values()) >= 60
        assert "unknown method 'FETCH'" in server.log()
        assert server.log().count("config reloaded: a new deployment") == 2
    finally:
        server.stop()


def test_a_change_that_cannot_be_applied_does_not_end_hot_reload(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``apply`` runs for every change the watcher sees; an exception out of it would end the watcher."""
    config = tmp_path / "apig.yaml"
    config.write_text(textwrap.dedent(RELOAD_CONFIG.format(version="v1")))

    def load() -> Definitions:
        raise RuntimeError("a bug while loading")

    with Harness(config, code_dir=LAMBDAS) as harness:
        app = harness.client.app
        reloader = Reloader(app, config=config, code_dir=LAMBDAS, load=load)
        with caplog.at_level(logging.ERROR, logger="apig_emu.reload"):
            reloader.apply([str(config)])
        assert "hot reload could not apply a change to" in caplog.text
        assert "RuntimeError: a bug while loading" in caplog.text
        assert app.state.gateway is harness.gateway


# --- A full disk under the log file -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_a_log_file_on_a_full_disk_costs_only_the_log(tmp_path: Path, isolation: str) -> None:
    """/dev/full fails every write with ENOSPC, as a full disk does."""
    server = start_server(tmp_path, CONFIG, "--log-file", "/dev/full", "--isolation", isolation)
    try:
        for _ in range(10):
            assert requests.get(server.url + "/Prod/echo", timeout=5).status_code == 200
            boom = requests.get(server.url + "/Prod/boom", timeout=5)
            assert (boom.status_code, boom.content) == (502, INTERNAL_ERROR)
            assert requests.get(server.url + "/Prod/nowhere", timeout=5).status_code == 403
        assert server.process.poll() is None
        stderr = server.log()  # the server's stdout and stderr
        assert stderr.count("apig-emu: cannot write the log to /dev/full (No space left on device)") == 1
        assert "Traceback" not in stderr and "Logging error" not in stderr
        assert "GET /Prod/echo 200" not in stderr  # the log went to the file, not to stderr
    finally:
        server.stop()
    assert server.process.returncode == 0  # a clean shutdown, not a crash


@pytest.mark.slow
def test_the_log_file_gets_the_log(tmp_path: Path) -> None:
    log_file = tmp_path / "emu.log"
    server = start_server(tmp_path, CONFIG, "--log-file", str(log_file), "--log-format", "json")
    try:
        assert requests.get(server.url + "/Prod/echo", timeout=5).status_code == 200
        # The log is written once per event-loop turn, which may end after the answer left: wait for
        # this request's access line (the start-up probe's is there already).
        wait_until(lambda: '"path": "/Prod/echo"' in log_file.read_text(), "the access line is written")
        kinds = {
            json.loads(line)["message"].split()[0]
            for line in log_file.read_text().splitlines()
            if '"kind"' in line
        }
        assert {"START", "END", "REPORT", "GET"} <= kinds
        assert "GET /Prod/echo" not in server.log()
    finally:
        server.stop()


@pytest.mark.slow
def test_a_log_file_that_cannot_be_opened_stops_serve_at_once(tmp_path: Path) -> None:
    (tmp_path / "apig.yaml").write_text(textwrap.dedent(CONFIG))
    config, log_file = tmp_path / "apig.yaml", tmp_path / "missing" / "emu.log"
    result = subprocess.run(
        [sys.executable, "-m", "emulator.cli", "serve", "--config", str(config), "--log-file", str(log_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert (
        f"apig-emu: cannot open the log file {tmp_path}/missing/emu.log: No such file or directory"
        in result.stderr
    )


def test_the_log_file_says_once_that_it_failed_and_once_that_it_works_again(tmp_path: Path) -> None:
    warnings = io.StringIO()
    handler = LogFileHandler("/dev/full", warnings=warnings)
    logger = logging.getLogger("apig_emu.test_faults")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for number in range(3):
            logger.warning("line %d", number)
        assert handler.lost == 3
        # The disk has room again: the same descriptor now leads to a file that takes writes.
        with (tmp_path / "emu.log").open("w") as file:
            os.dup2(file.fileno(), handler.fd)
        logger.warning("back")
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert warnings.getvalue().splitlines() == [
        "apig-emu: cannot write the log to /dev/full (No space left on device): requests are still answered, "
        "but log lines are lost until writing works again",
        "apig-emu: writing the log to /dev/full works again (3 line(s) lost)",
    ]
    assert (tmp_path / "emu.log").read_text() == "back\n"
