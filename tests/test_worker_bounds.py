"""Worker processes are bounded: idle ones retire as Lambda reclaims idle environments, and a cap on all of
them makes a cold start take an idle worker's place, wait, or be throttled, never fork without end.

Before, 50 functions kept every worker they had started (61 processes, 1.5 GB, after 200 requests from
64 clients) for as long as the emulator ran, and a function's `concurrency: 1000` meant up to 1000
processes. Counts and memory are read from /proc; orderings come from the test's gate, and the idle
time from a clock the test moves or a short configured one, never from a sleep.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator.model import Function
from emulator.runtime.outcomes import TooManyRequests
from emulator.runtime.process import ProcessInvoker
from emulator.runtime.worker_limits import DEFAULT_IDLE_TIMEOUT, default_max_workers
from tests.conftest import LAMBDAS, PYTESTER_ARGS, ROOT
from tests.gate import WAIT, Gate, wait_until
from tests.live import LiveServer, alive, start_server

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
pytest_plugins = ["pytester"]


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``: a server's workers (a handler's own children are theirs)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0  # ended meanwhile
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def eventually(condition: Callable[[], object], what: str) -> None:
    """``wait_until`` for a test running on the event loop."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.01)


# --- The cap, on a live server --------------------------------------------------------------------------

FUNCTIONS = 50
CAP = 6


def many_functions_config() -> str:
    functions = "".join(
        f"  f{n}:\n    handler: isolation.sleep\n    triggers:\n"
        f"      - {{api: shop, resource: /f{n}, method: POST}}\n"
        for n in range(FUNCTIONS)
    )
    busy = "  busy:\n    handler: isolation.sleep\n    concurrency: 1000\n"
    busy += "    triggers:\n      - {api: shop, resource: /busy, method: POST}\n"
    return "apis:\n  shop: {}\nfunctions:\n" + functions + busy


class Sampler:
    """Reads the server's worker processes and memory from /proc until stopped, keeping the peaks."""

    def __init__(self, server: LiveServer) -> None:
        self.pid = server.process.pid
        self.most_workers = 0
        self.most_rss_mb = 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def sample(self) -> None:
        workers = children(self.pid)
        self.most_workers = max(self.most_workers, len(workers))
        total = rss_mb(self.pid) + sum(rss_mb(worker) for worker in workers)
        self.most_rss_mb = max(self.most_rss_mb, total)
        self.samples += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


@pytest.mark.slow
def test_fifty_functions_under_load_never_have_more_workers_than_the_cap(tmp_path: Path) -> None:
    server = start_server(tmp_path, many_functions_config(), "--max-workers", str(CAP))
    try:
        with Sampler(server) as sampler:
            # A burst: four requests to each function and twenty to one whose concurrency is 1000, from
            # 32 clients at once. Workers at the cap are busy or just started: many requests wait, and
            # some wait longer than the queue allows and are throttled.
            paths = [f"/Prod/f{n % FUNCTIONS}" for n in range(4 * FUNCTIONS)] + ["/Prod/busy"] * 20
            with ThreadPoolExecutor(32) as clients:
                burst = list(clients.map(lambda path: post(server, path, seconds=0.05), paths))
            # Then one request to each function in turn: at the cap, each is a cold start that retires
            # the least recently used idle worker of another function, and none is throttled.
            one_by_one = [post(server, f"/Prod/f{n}") for n in range(FUNCTIONS)]
        log = server.log()
    finally:
        server.stop()
    statuses = Counter(response.status_code for response in burst)
    assert set(statuses) <= {200, 500}, statuses
    assert statuses[200] >= CAP
    for response in burst:
        if response.status_code == 500:
            # API Gateway's answer to Lambda's throttle, which the log explains.
            assert response.json() == {"message": "Internal server error"}
            assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    if statuses[500]:
        assert f"already runs its limit of {CAP} worker processes (--max-workers)" in log
    assert [response.status_code for response in one_by_one] == [200] * FUNCTIONS
    assert len({response.json()["pid"] for response in one_by_one}) == FUNCTIONS
    assert log.count("retired to make room") >= FUNCTIONS - CAP
    # Before: 61 workers and 1.5 GB after the same burst, and they stayed.
    assert sampler.samples > 10
    assert sampler.most_workers <= CAP, f"{sampler.most_workers} worker processes"
    assert sampler.most_rss_mb < 400, f"server and workers: {sampler.most_rss_mb:.0f} MB"
    assert (
        "function 'busy': concurrency 1000, but at most 6 of its requests run at once in the emulator, "
        "which runs 6 worker processes at most (--max-workers)"
    ) in log


def post(server: LiveServer, path: str, **body: object) -> requests.Response:
    return requests.post(server.url + path, json=body, timeout=WAIT)


# --- Idle workers retire, on a live server ----------------------------------------------------------------

IDLE_CONFIG = """
apis:
  shop: {}
functions:
  warm:
    handler: isolation.warm
    triggers:
      - {api: shop, resource: /warm, method: GET, proxy: false}
"""


@pytest.mark.slow
def test_an_idle_worker_is_retired_after_the_idle_timeout_and_the_next_request_starts_cold(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, IDLE_CONFIG, "--idle-timeout", "0.5")
    try:
        first = requests.get(server.url + "/Prod/warm", timeout=WAIT).json()
        wait_until(lambda: not alive(first["pid"]), "the idle worker has been retired")
        assert children(server.process.pid) == []
        second = requests.get(server.url + "/Prod/warm", timeout=WAIT).json()
        wait_until(lambda: server.log().count("REPORT RequestId") == 2, "the second REPORT is logged")
        log = server.log()
    finally:
        server.stop()
    assert second["pid"] != first["pid"] and second["calls"] == 1  # a fresh environment
    assert (
        f"function 'warm': worker pid {first['pid']} retired after 0.5 s idle, as Lambda reclaims idle "
        "execution environments; the next request starts a fresh one"
    ) in log
    reports = [line for line in log.splitlines() if "REPORT RequestId" in line]
    assert all("Init Duration" in report for report in reports)  # both were cold starts


# --- The invoker's limits, step by step -------------------------------------------------------------------


def function(name: str, **settings: Any) -> Function:
    return Function(name, "isolation.tagged", LAMBDAS, timeout=900, **settings)


def run(scenario: Callable[[ProcessInvoker], Awaitable[None]], **options: Any) -> None:
    async def main() -> None:
        invoker = ProcessInvoker(**{"queue_timeout": WAIT, **options})
        try:
            await scenario(invoker)
        finally:
            await invoker.aclose()

    asyncio.run(main())


async def invoke(invoker: ProcessInvoker, fn: Function, **event: object) -> dict[str, Any]:
    result = await invoker.invoke(fn, event, trace_id="t")
    answer: dict[str, Any] = json.loads(result.payload)
    return answer


def start(invoker: ProcessInvoker, fn: Function, **event: object) -> asyncio.Task[dict[str, Any]]:
    return asyncio.ensure_future(invoke(invoker, fn, **event))


async def let_them_ask() -> None:
    """One turn of the loop: invocations started just before have asked for an environment (see
    ``tests/test_isolation.py``), and any worker they were given has been spawned."""
    await asyncio.sleep(0)
    await asyncio.sleep(0)


A, B, C = function("a"), function("b"), function("c")


@pytest.mark.slow
def test_an_idle_worker_retires_when_its_idle_time_has_passed_and_not_before() -> None:
    """The default idle time, on a clock the test moves on."""

    async def scenario(invoker: ProcessInvoker) -> None:
        pid = (await invoke(invoker, A, tag="first"))["pid"]
        [worker] = invoker.live
        invoker.limits.retire_idle(now=worker.idle_since + DEFAULT_IDLE_TIMEOUT - 1)
        assert invoker.worker_pids("a") == [pid]
        assert (await invoke(invoker, A, tag="warm")) == {"pid": pid, "tags": ["first", "warm"]}
        invoker.limits.retire_idle(now=worker.idle_since + DEFAULT_IDLE_TIMEOUT)
        assert invoker.worker_pids("a") == []
        await eventually(lambda: not alive(pid), "the retired worker has exited")
        assert (await invoke(invoker, A, tag="cold"))["tags"] == ["cold"]

    run(scenario)


@pytest.mark.slow
def test_a_busy_worker_outlives_the_idle_time_and_retires_once_idle(gate: Gate) -> None:
    """With a short idle time and the real timer: only idle time counts, busy time does not."""

    async def scenario(invoker: ProcessInvoker) -> None:
        held = start(invoker, A, tag="held", gate=gate.port)
        busy = (await asyncio.to_thread(gate.arrival)).pid
        idle = (await invoke(invoker, B, tag="idle"))["pid"]
        # B's worker has been idle past the idle time: A's, busy as long, is still there.
        await eventually(lambda: not alive(idle), "the idle worker has been retired")
        assert invoker.worker_pids("a") == [busy] and alive(busy)
        gate.open()
        assert (await held)["pid"] == busy
        await eventually(lambda: not invoker.live, "the worker, idle at last, has been retired")
        assert not alive(busy)

    run(scenario, idle_timeout=0.2)


@pytest.mark.slow
def test_at_the_cap_a_cold_start_takes_the_place_of_the_least_recently_used_idle_worker(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario(invoker: ProcessInvoker) -> None:
        a = (await invoke(invoker, A, tag="a"))["pid"]
        b = (await invoke(invoker, B, tag="b"))["pid"]
        assert (await invoke(invoker, A, tag="a again"))["pid"] == a  # so B's is the older idle one
        c = (await invoke(invoker, C, tag="c"))["pid"]
        assert c not in (a, b)
        assert invoker.worker_pids("a") == [a] and invoker.worker_pids("b") == []
        assert not alive(b)  # reaped before C's worker was spawned
        assert len(invoker.live) == 2

    with caplog.at_level(logging.INFO, logger="apig_emu.runtime"):
        run(scenario, max_workers=2)
    assert "function 'b': idle worker pid" in caplog.text
    assert "retired to make room: the emulator runs at most 2 worker processes (--max-workers)" in caplog.text


@pytest.mark.slow
def test_at_the_cap_with_every_worker_busy_a_cold_start_waits_for_one_to_come_free(gate: Gate) -> None:
    async def scenario(invoker: ProcessInvoker) -> None:
        held = start(invoker, A, tag="held", gate=gate.port)
        busy = (await asyncio.to_thread(gate.arrival)).pid
        waiting = start(invoker, B, tag="waiting")
        await let_them_ask()
        assert not waiting.done() and invoker.worker_pids("b") == []
        gate.open()
        assert (await held)["pid"] == busy
        answer = await waiting
        assert answer["tags"] == ["waiting"] and answer["pid"] != busy
        assert invoker.worker_pids("a") == [] and not alive(busy)

    run(scenario, max_workers=1)


@pytest.mark.slow
def test_at_the_cap_a_cold_start_that_waits_too_long_is_throttled_without_a_new_process(gate: Gate) -> None:
    async def scenario(invoker: ProcessInvoker) -> None:
        held = start(invoker, A, tag="held", gate=gate.port)
        busy = (await asyncio.to_thread(gate.arrival)).pid
        with pytest.raises(TooManyRequests) as throttled:
            await invoke(invoker, B, tag="throttled")
        assert invoker.worker_pids("b") == [] and len(invoker.live) == 1
        gate.open()
        assert (await held)["pid"] == busy
        assert str(throttled.value) == (
            "Rate Exceeded: function 'b' waited 0.2 s for a new execution environment, but the emulator "
            "already runs its limit of 1 worker processes (--max-workers) and none came free"
        )

    run(scenario, max_workers=1, queue_timeout=0.2)


@pytest.mark.slow
def test_a_concurrency_over_the_cap_runs_as_many_environments_as_the_cap(gate: Gate) -> None:
    """AWS accepts `concurrency: 1000`; here each environment is a process, and the cap bounds them."""
    wide = function("wide", concurrency=1000)

    async def scenario(invoker: ProcessInvoker) -> None:
        calls = [start(invoker, wide, tag=str(n), gate=gate.port) for n in range(6)]
        arrived = {(await asyncio.to_thread(gate.arrival)).pid for _ in range(3)}
        await let_them_ask()
        assert sorted(invoker.worker_pids("wide")) == sorted(arrived)
        gate.open()  # the three that waited for a worker follow, each let through as it arrives
        for _ in range(3):
            await asyncio.to_thread(gate.arrival)
            gate.open()
        answers = [await call for call in calls]
        assert {answer["pid"] for answer in answers} == arrived

    run(scenario, max_workers=3)


# --- The settings -------------------------------------------------------------------------------------------


def test_the_default_cap_is_sized_for_the_machine() -> None:
    assert default_max_workers(cpus=2, memory_mb=8192) == 16  # a small laptop: 16 at least
    assert default_max_workers(cpus=4, memory_mb=16384) == 16
    assert default_max_workers(cpus=8, memory_mb=16384) == 32  # four per CPU, 32 at most
    assert default_max_workers(cpus=64, memory_mb=262144) == 32
    assert default_max_workers(cpus=8, memory_mb=1024) == 12  # a quarter of 1 GB at 20 MB each
    assert default_max_workers(cpus=1, memory_mb=None) == 16
    assert 1 <= default_max_workers() <= 32


def serve_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator.cli", "serve", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("option", "value", "error"),
    [
        ("--max-workers", "0", "expected a whole number of worker processes, 1 or more, got '0'"),
        ("--max-workers", "many", "expected a whole number of worker processes, 1 or more, got 'many'"),
        ("--idle-timeout", "-1", "expected seconds, 0 (never) or more, got '-1'"),
        ("--idle-timeout", "soon", "expected seconds, 0 (never) or more, got 'soon'"),
    ],
)
def test_bad_bounds_are_refused_naming_the_option(option: str, value: str, error: str) -> None:
    result = serve_cli(option, value)
    assert result.returncode == 2
    assert f"argument {option}: {error}" in result.stderr


@pytest.mark.slow
def test_validate_says_when_a_functions_concurrency_passes_the_cap(tmp_path: Path) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(
        textwrap.dedent("""
            functions:
              wide:
                handler: isolation.warm
                concurrency: 1000
              narrow:
                handler: isolation.warm
                concurrency: 2
        """)
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "emulator.cli",
            "validate",
            "--config",
            str(config),
            "--code-dir",
            str(LAMBDAS),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    cap = default_max_workers()
    notes = [line for line in result.stdout.splitlines() if line.startswith("note: ")]
    assert notes == [
        f"note: function 'wide': concurrency 1000, but at most {cap} of its requests run at once in the "
        f"emulator, which runs {cap} worker processes at most (serve --max-workers; the default on this "
        "machine)"
    ]


# --- The pytest plugin --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_pytest_plugin_takes_the_worker_limit_from_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(pid_handler="import os\n\ndef pid(event, context):\n    return os.getpid()\n")
    (pytester.path / "config").mkdir()
    (pytester.path / "config" / "apig.yaml").write_text(
        textwrap.dedent("""
            apis: {shop: {}}
            functions:
              a:
                handler: pid_handler.pid
                triggers: [{api: shop, resource: /a, method: GET}]
              b:
                handler: pid_handler.pid
                triggers: [{api: shop, resource: /b, method: GET}]
        """)
    )
    pytester.makepyfile("""
        def test_one_worker_at_a_time(apig):
            a = apig.get("/Prod/a").json()
            b = apig.get("/Prod/b").json()
            assert a != b
            # a's idle worker was retired to make room for b's.
            assert apig.invoker.worker_pids("a") == []
            assert apig.invoker.worker_pids("b") == [b]
    """)
    pytester.makefile(".ini", pytest="[pytest]\napig_isolation = process\n")
    pytester.runpytest(*PYTESTER_ARGS).assert_outcomes(failed=1)  # the default keeps both warm
    pytester.makefile(".ini", pytest="[pytest]\napig_isolation = process\napig_max_workers = 1\n")
    pytester.runpytest(*PYTESTER_ARGS).assert_outcomes(passed=1)
    pytester.makefile(".ini", pytest="[pytest]\napig_isolation = process\napig_max_workers = few\n")
    result = pytester.runpytest(*PYTESTER_ARGS)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*apig_max_workers in *pytest.ini: expected a whole number of worker processes, 1 or more, got 'few'"
        ]
    )
