"""Process isolation: warm environments, concurrency, timeouts, crashes and init errors, as on Lambda.

One harness over worker processes serves the whole module, so most tests reuse warm workers and the
suite stays fast; tests that kill workers check that the next request gets a fresh one. Where a test
needs a request in flight, its handler waits at the test's gate (``tests/gate.py``): what ran while
it waited, and in what order, is then the test's own doing, not a race against a sleep.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import textwrap
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from emulator.config import ConfigErrors, load_definitions
from emulator.model import DEFAULT_CONCURRENCY, Function
from emulator.runtime.import_check import check_handlers
from emulator.runtime.process import ProcessInvoker
from emulator.testing import Harness
from tests.conftest import LAMBDAS
from tests.gate import WAIT, Gate, wait_until

#: Slow: worker processes, started, crashed and timed out.
pytestmark = pytest.mark.slow

CONFIG = """
apis:
  shop: {}
functions:
  warm_a:
    handler: isolation.warm
    environment: {ONLY_A: a}
    triggers:
      - {api: shop, resource: /a, method: GET}
  warm_b:
    handler: isolation.warm
    environment: {ONLY_B: b}
    triggers:
      - {api: shop, resource: /b, method: GET}
  cold:
    handler: isolation.warm
    triggers:
      - {api: shop, resource: /cold, method: GET}
  noisy:
    handler: isolation.noisy
    triggers:
      - {api: shop, resource: /noisy, method: GET}
  slow:
    handler: isolation.sleep
    concurrency: 2
    triggers:
      - {api: shop, resource: /slow, method: POST}
      - {api: shop, resource: /slow-proxy, method: POST, proxy: true}
  held:
    handler: isolation.sleep
    concurrency: 2
    timeout: 900
    triggers:
      - {api: shop, resource: /held, method: POST}
      - {api: shop, resource: /held-short, method: PUT, timeout_ms: 100}
  single:
    handler: isolation.sleep
    concurrency: 1
    timeout: 900
    triggers:
      - {api: shop, resource: /single, method: POST}
      - {api: shop, resource: /single-proxy, method: POST, proxy: true}
  exits:
    handler: isolation.exit_with
    triggers:
      - {api: shop, resource: /exit, method: GET, proxy: true}
      - {api: shop, resource: /exit-custom, method: GET}
  hard_exit:
    handler: isolation.hard_exit
    triggers:
      - {api: shop, resource: /hard-exit, method: GET, proxy: true}
  segfault:
    handler: isolation.segfault
    triggers:
      - {api: shop, resource: /segfault, method: GET, proxy: true}
  leak:
    handler: isolation.leak
    memory: 128
    triggers:
      - {api: shop, resource: /leak, method: GET, proxy: true}
  syntax:
    handler: broken_syntax.handler
    triggers:
      - {api: shop, resource: /syntax, method: GET}
  import:
    handler: broken_import.handler
    triggers:
      - {api: shop, resource: /import, method: GET, proxy: true}
"""

#: ``slow``'s timeout: shorter than the config's 1 s minimum, so that timeout tests take a fraction of a
#: second. Functions that wait at a gate (``held``, ``single``) have the longest: the gate decides.
FAST_TIMEOUT = 0.3
QUEUE_TIMEOUT = 0.2


@pytest.fixture(scope="module")
def invoker() -> ProcessInvoker:
    return ProcessInvoker(queue_timeout=QUEUE_TIMEOUT)


@pytest.fixture(scope="module")
def isolated(tmp_path_factory: pytest.TempPathFactory, invoker: ProcessInvoker) -> Iterator[Harness]:
    config = tmp_path_factory.mktemp("isolation") / "apig.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    definitions = load_definitions(config, code_dir=LAMBDAS)
    definitions.functions["slow"] = dataclasses.replace(definitions.functions["slow"], timeout=FAST_TIMEOUT)
    with Harness(definitions, invoker=invoker) as harness:
        yield harness


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def lambda_lines(caplog: pytest.LogCaptureFixture, function: str) -> list[str]:
    return [
        r.getMessage().removeprefix(function + " ")
        for r in caplog.records
        if r.name == "apig_emu.lambda" and r.getMessage().startswith(function + " ")
    ]


def test_sequential_calls_reuse_one_warm_environment(isolated: Harness) -> None:
    first = isolated.get("/Prod/a").json()
    second = isolated.get("/Prod/a").json()
    assert second["pid"] == first["pid"]
    assert second["calls"] == first["calls"] + 1


def test_environment_variables_and_processes_are_per_function(isolated: Harness) -> None:
    a = isolated.get("/Prod/a").json()
    b = isolated.get("/Prod/b").json()
    assert a["pid"] != b["pid"]
    assert a["env"]["ONLY_A"] == "a" and a["env"]["ONLY_B"] is None
    assert b["env"]["ONLY_B"] == "b" and b["env"]["ONLY_A"] is None
    assert (a["env"]["AWS_LAMBDA_FUNCTION_NAME"], b["env"]["AWS_LAMBDA_FUNCTION_NAME"]) == (
        "warm_a",
        "warm_b",
    )
    assert "[$LATEST]" in a["env"]["AWS_LAMBDA_LOG_STREAM_NAME"]


def test_first_invocation_is_a_cold_start_with_init_duration(
    isolated: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="apig_emu"):
        isolated.get("/Prod/cold")
        isolated.get("/Prod/cold")
    reports = [line for line in lambda_lines(caplog, "cold") if line.startswith("REPORT ")]
    assert len(reports) == 2
    assert "\tInit Duration: " in reports[0] and "Init Duration" not in reports[1]
    for report in reports:
        fields = report.split("\t")
        assert [field.split(":")[0] for field in fields[1:5]] == [
            "Duration",
            "Billed Duration",
            "Memory Size",
            "Max Memory Used",
        ]
        assert fields[3] == "Memory Size: 128 MB" and fields[4].endswith(" MB")


def test_every_kind_of_output_is_captured_with_its_invocation(
    isolated: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="apig_emu"):
        assert isolated.get("/Prod/noisy").json() == "ok"
    lines = lambda_lines(caplog, "noisy")
    assert lines[0].startswith("START RequestId: ") and lines[0].endswith(" Version: $LATEST")
    request_id = lines[0].split()[2]
    assert lines[1:3] == ["to stdout", "to stderr"]
    level, stamp, rid, message = lines[3].split("\t")
    assert (level, rid, message) == ("[WARNING]", request_id, "a warning")
    assert stamp.endswith("Z") and "T" in stamp
    assert lines[4] == "from the C level"
    assert lines[5] == f"END RequestId: {request_id}"
    assert lines[6].startswith(f"REPORT RequestId: {request_id}\t")
    assert len(lines) == 7


def test_concurrent_requests_run_in_parallel_environments(isolated: Harness, gate: Gate) -> None:
    with ThreadPoolExecutor(2) as pool:
        answers = [pool.submit(isolated.post, "/Prod/held", content=body(gate=gate.port)) for _ in range(2)]
        # Both arrive before the gate lets either finish: one after the other, the second never would.
        arrived = {gate.arrival().pid, gate.arrival().pid}
        gate.open()
        pids = {answer.result().json()["pid"] for answer in answers}
    assert len(pids) == 2
    assert arrived == pids


def test_a_request_in_flight_does_not_hold_up_others(isolated: Harness, gate: Gate) -> None:
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(isolated.post, "/Prod/held", content=body(gate=gate.port))
        gate.arrival()
        assert isolated.get("/Prod/a").status_code == 200
        assert not held.done()  # answered while the held request was still in its handler
        gate.open()
        assert held.result().status_code == 200


@pytest.mark.parametrize(
    ("path", "status"), [("/Prod/slow", 200), ("/Prod/slow-proxy", 502)], ids=["non-proxy", "proxy"]
)
def test_the_function_timeout_kills_its_environment(
    isolated: Harness, invoker: ProcessInvoker, gate: Gate, path: str, status: int
) -> None:
    # The gate stays shut: only the function's timeout can end this invocation.
    response = isolated.post(path, content=body(gate=gate.port))
    hung = gate.arrival().pid
    assert response.status_code == status
    if status == 200:
        error = response.json()
        assert error["errorType"] == "Sandbox.Timedout"
        assert error["errorMessage"].endswith(f"Task timed out after {FAST_TIMEOUT:.2f} seconds")
    else:
        assert response.content == b'{"message": "Internal server error"}'
    assert hung not in invoker.worker_pids("slow")
    assert isolated.post("/Prod/slow", content=body(seconds=0)).json()["pid"] != hung


def test_the_integration_timeout_is_504_while_the_function_runs_on(
    isolated: Harness, invoker: ProcessInvoker, gate: Gate, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="apig_emu"):
        response = isolated.put("/Prod/held-short", content=body(gate=gate.port))
        running = gate.arrival()
        # The gateway gave up while the function could not have finished: the gate is still shut.
        assert response.status_code == 504
        assert response.json() == {"message": "Endpoint request timed out"}
        assert isolated.get("/Prod/a").status_code == 200
        gate.open()
        # The environment is not killed: it finishes, and CloudWatch would still show the invocation.
        wait_until(lambda: any(line.startswith("REPORT ") for line in lambda_lines(caplog, "held")), "REPORT")
        assert running.pid in invoker.worker_pids("held")


@pytest.mark.parametrize(
    ("path", "error_type", "reason", "last_words"),
    [
        ("/Prod/exit", "Runtime.ExitError", "Runtime exited with error: exit status 3", "exiting now"),
        (
            "/Prod/hard-exit",
            "Runtime.ExitError",
            "Runtime exited with error: exit status 7",
            "about to leave",
        ),
        (
            "/Prod/segfault",
            "Runtime.ExitError",
            "Runtime exited with error: signal: segmentation fault",
            "Fatal Python error: Segmentation fault",
        ),
        ("/Prod/leak", "Runtime.OutOfMemory", "Runtime exited with error: signal: killed", None),
    ],
    ids=["sys.exit", "os._exit", "segfault", "memory"],
)
def test_a_crash_loses_only_its_environment(
    isolated: Harness,
    caplog: pytest.LogCaptureFixture,
    path: str,
    error_type: str,
    reason: str,
    last_words: str | None,
) -> None:
    function = {"/Prod/exit": "exits", "/Prod/hard-exit": "hard_exit"}.get(path, path.rsplit("/", 1)[1])
    with caplog.at_level(logging.INFO, logger="apig_emu"):
        response = isolated.get(path)
    assert response.status_code == 502
    assert response.content == b'{"message": "Internal server error"}'
    error = isolated.invocations[-1].error
    assert error is not None and error["errorType"] == error_type
    assert (
        error["errorMessage"]
        == f"RequestId: {isolated.invocations[-1].result.aws_request_id} Error: {reason}"
    )
    lines = lambda_lines(caplog, function)
    assert f"Status: error\tError Type: {error_type}" in lines[-1]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(function in warning and "the next request starts a fresh" in warning for warning in warnings)
    if last_words:
        assert any(last_words in line for line in lines)
    # The emulator is unharmed, and the function gets a fresh environment (which crashes again).
    assert isolated.get("/Prod/a").status_code == 200
    assert isolated.get(path).status_code == 502


def test_crash_answers_name_the_exit_status_or_signal(isolated: Harness) -> None:
    error = isolated.get("/Prod/exit-custom").json()
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"] == (
        f"RequestId: {error['requestId']} Error: Runtime exited with error: exit status 3"
    )


def test_import_and_syntax_errors_are_reported_at_the_first_invocation(
    isolated: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        syntax = isolated.get("/Prod/syntax").json()
        assert isolated.get("/Prod/import").status_code == 502
    assert syntax["errorType"] == "Runtime.UserCodeSyntaxError"
    assert syntax["errorMessage"].startswith("Syntax error in module 'broken_syntax': ")
    assert "broken_syntax.py:1" in caplog.text
    assert "Runtime.ImportModuleError: Unable to import module 'broken_import'" in caplog.text
    assert "broken_import.py:1" in caplog.text
    assert isolated.get("/Prod/a").status_code == 200


def test_handlers_are_checked_in_a_throwaway_process(tmp_path: Path) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    functions = load_definitions(config, code_dir=LAMBDAS).functions
    problems = check_handlers([functions["syntax"], functions["warm_a"], functions["import"]])
    assert set(problems) == {"syntax", "import"}
    assert problems["import"].error == (
        "Runtime.ImportModuleError: Unable to import module 'broken_import': "
        "No module named 'module_that_does_not_exist'"
    )


def test_concurrency_is_a_function_setting_with_a_small_default(tmp_path: Path) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    functions = load_definitions(config, code_dir=LAMBDAS).functions
    assert (functions["warm_a"].concurrency, functions["single"].concurrency) == (DEFAULT_CONCURRENCY, 1)
    config.write_text("functions:\n  f:\n    handler: isolation.warm\n    concurrency: 0\n")
    with pytest.raises(ConfigErrors) as errors:
        load_definitions(config, code_dir=LAMBDAS)
    assert "functions.f.concurrency: expected an integer from 1 to 1000, got 0" in str(errors.value)


def _run_with_invoker(scenario: Callable[[ProcessInvoker], Awaitable[None]]) -> None:
    async def main() -> None:
        invoker = ProcessInvoker(queue_timeout=WAIT)
        try:
            await scenario(invoker)
        finally:
            await invoker.aclose()

    asyncio.run(main())


TAGGED = Function("tagged", "isolation.tagged", LAMBDAS, timeout=900, concurrency=1)


def invoke_tagged(invoker: ProcessInvoker, **event: object) -> asyncio.Future[Any]:
    """An invocation of ``TAGGED``, started now; its future resolves to the handler's answer."""

    async def answer() -> Any:
        return json.loads((await invoker.invoke(TAGGED, event, trace_id="t")).payload)

    return asyncio.ensure_future(answer())


async def let_them_ask() -> None:
    """One turn of the event loop: invocations started just before have each asked for an environment.

    Asking is synchronous in ``invoke``, so a single turn puts them in the queue in the order they were
    started; nothing here depends on how long anything takes.
    """
    await asyncio.sleep(0)


def test_a_request_that_finds_every_environment_busy_is_served_when_one_frees_up(gate: Gate) -> None:
    async def scenario(invoker: ProcessInvoker) -> None:
        busy = invoke_tagged(invoker, tag="busy", gate=gate.port)
        held = await asyncio.to_thread(gate.arrival)
        waiting = invoke_tagged(invoker, tag="waiting")
        await let_them_ask()
        assert not waiting.done()
        gate.open()
        assert await busy == {"pid": held.pid, "tags": ["busy"]}
        assert await waiting == {"pid": held.pid, "tags": ["busy", "waiting"]}

    _run_with_invoker(scenario)


def test_waiting_requests_are_sent_first_come_first_served_and_abandoned_ones_never_run(gate: Gate) -> None:
    """A freed environment takes the oldest waiting request; one whose caller gave up is skipped."""

    async def scenario(invoker: ProcessInvoker) -> None:
        await invoke_tagged(invoker, tag="warm")
        busy = invoke_tagged(invoker, tag="busy", gate=gate.port)
        await asyncio.to_thread(gate.arrival)  # the one environment is busy until the gate opens
        waiting = {tag: invoke_tagged(invoker, tag=tag) for tag in ("first", "abandoned", "second", "third")}
        await let_them_ask()
        waiting.pop("abandoned").cancel()
        gate.open()
        answers = await asyncio.gather(busy, *waiting.values())
        assert len({answer["pid"] for answer in answers}) == 1
        assert answers[-1]["tags"] == ["warm", "busy", "first", "second", "third"]

    _run_with_invoker(scenario)


def test_a_caller_that_gives_up_during_a_cold_start_leaves_the_environment_warm() -> None:
    async def scenario(invoker: ProcessInvoker) -> None:
        abandoned = invoke_tagged(invoker, tag="abandoned")
        await let_them_ask()  # the function has no environment yet: one starts for this caller
        abandoned.cancel()
        deadline = time.monotonic() + WAIT
        while not invoker.worker_pids("tagged"):
            assert time.monotonic() < deadline, "no environment was started"
            await asyncio.sleep(0.01)
        [pid] = invoker.worker_pids("tagged")
        # The environment started for the caller who left serves the next one, which is all it ran.
        assert await invoke_tagged(invoker, tag="next") == {"pid": pid, "tags": ["next"]}

    _run_with_invoker(scenario)
