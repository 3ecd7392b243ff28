"""Process isolation: warm environments, concurrency, timeouts, crashes and init errors, as on Lambda.

One gateway over worker processes serves the whole module, so most tests reuse warm workers and the
suite stays fast; tests that kill workers check that the next request gets a fresh one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import textwrap
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from emulator.app import create_app
from emulator.config import ConfigErrors, load_definitions
from emulator.deployment import deploy
from emulator.gateway import Gateway
from emulator.invocations import Invocation
from emulator.model import DEFAULT_CONCURRENCY, Function
from emulator.runtime.import_check import check_handlers
from emulator.runtime.process import ProcessInvoker
from emulator.testing import GatewayClient
from tests.conftest import LAMBDAS

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
      - {api: shop, resource: /slow-short, method: PUT, timeout_ms: 100}
  single:
    handler: isolation.sleep
    concurrency: 1
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

#: Shorter than the config's 1 s minimum, so that timeout tests take a fraction of a second.
FAST_TIMEOUT = 0.3
QUEUE_TIMEOUT = 0.2


@pytest.fixture(scope="module")
def invoker() -> ProcessInvoker:
    return ProcessInvoker(queue_timeout=QUEUE_TIMEOUT)


@pytest.fixture(scope="module")
def invocations() -> list[Invocation]:
    return []


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory, invoker: ProcessInvoker, invocations: list[Invocation]
) -> Iterator[GatewayClient]:
    config = tmp_path_factory.mktemp("isolation") / "apig.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    definitions = load_definitions(config, code_dir=LAMBDAS)
    for name in ("slow", "single"):
        definitions.functions[name] = dataclasses.replace(definitions.functions[name], timeout=FAST_TIMEOUT)
    gateway = Gateway(deploy(definitions), invoker=invoker)
    gateway.bus.subscribe(lambda exchange: invocations.extend(filter(None, [exchange.invocation])))
    with GatewayClient(create_app(gateway)) as gateway_client:
        yield gateway_client
        gateway_client.run(invoker.aclose)


def lambda_lines(caplog: pytest.LogCaptureFixture, function: str) -> list[str]:
    return [
        r.getMessage().removeprefix(function + " ")
        for r in caplog.records
        if r.name == "apig_emu.lambda" and r.getMessage().startswith(function + " ")
    ]


def test_sequential_calls_reuse_one_warm_environment(client: GatewayClient) -> None:
    first = client.get("/Prod/a").json()
    second = client.get("/Prod/a").json()
    assert second["pid"] == first["pid"]
    assert second["calls"] == first["calls"] + 1


def test_environment_variables_and_processes_are_per_function(client: GatewayClient) -> None:
    a = client.get("/Prod/a").json()
    b = client.get("/Prod/b").json()
    assert a["pid"] != b["pid"]
    assert a["env"]["ONLY_A"] == "a" and a["env"]["ONLY_B"] is None
    assert b["env"]["ONLY_B"] == "b" and b["env"]["ONLY_A"] is None
    assert (a["env"]["AWS_LAMBDA_FUNCTION_NAME"], b["env"]["AWS_LAMBDA_FUNCTION_NAME"]) == (
        "warm_a",
        "warm_b",
    )
    assert "[$LATEST]" in a["env"]["AWS_LAMBDA_LOG_STREAM_NAME"]


def test_first_invocation_is_a_cold_start_with_init_duration(
    client: GatewayClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="apig_emu"):
        client.get("/Prod/cold")
        client.get("/Prod/cold")
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
    client: GatewayClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="apig_emu"):
        assert client.get("/Prod/noisy").json() == "ok"
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


def test_concurrent_requests_run_in_parallel_environments(client: GatewayClient) -> None:
    with ThreadPoolExecutor(2) as pool:
        # Start both environments first: the timing below is about running, not cold starts.
        list(pool.map(lambda _: client.post("/Prod/slow", json={"seconds": 0.1}), range(2)))
        started = time.monotonic()
        responses = list(pool.map(lambda _: client.post("/Prod/slow", json={"seconds": 0.25}), range(2)))
        elapsed = time.monotonic() - started
    pids = {response.json()["pid"] for response in responses}
    assert len(pids) == 2
    assert elapsed < 0.45  # one after the other would take 0.5 s


@pytest.mark.parametrize("path", ["/Prod/single", "/Prod/single-proxy"])
def test_a_request_over_the_concurrency_waits_then_gets_the_throttled_answer(
    client: GatewayClient, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    """Lambda's 429 becomes API Gateway's 500 for both integration types [AWS-doc services-apigateway-errors]."""
    busy = threading.Thread(target=client.post, args=(path,), kwargs={"content": b'{"seconds": 0.35}'})
    busy.start()
    time.sleep(0.05)
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        started = time.monotonic()
        throttled = client.post(path, content=b'{"seconds": 0}')
        waited = time.monotonic() - started
    busy.join()
    assert throttled.status_code == 500
    assert throttled.content == b'{"message": "Internal server error"}'
    assert throttled.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert QUEUE_TIMEOUT <= waited < QUEUE_TIMEOUT + 0.3
    assert "TooManyRequestsException" in caplog.text and "concurrency" in caplog.text
    assert client.post(path, content=b'{"seconds": 0}').status_code == 200


def test_a_request_that_finds_every_environment_busy_is_served_when_one_frees_up(
    client: GatewayClient,
) -> None:
    busy = threading.Thread(target=client.post, args=("/Prod/single",), kwargs={"json": {"seconds": 0.1}})
    busy.start()
    time.sleep(0.03)
    assert client.post("/Prod/single", json={"seconds": 0}).status_code == 200
    busy.join()


@pytest.mark.parametrize(
    ("path", "status"), [("/Prod/slow", 200), ("/Prod/slow-proxy", 502)], ids=["non-proxy", "proxy"]
)
def test_the_function_timeout_kills_its_environment_and_others_are_served_meanwhile(
    client: GatewayClient, invoker: ProcessInvoker, path: str, status: int
) -> None:
    before = client.post("/Prod/slow", json={"seconds": 0}).json()["pid"]
    answers: list[Any] = []
    hung = threading.Thread(target=lambda: answers.append(client.post(path, content=b'{"seconds": 5}')))
    started = time.monotonic()
    hung.start()
    time.sleep(0.1)
    assert client.get("/Prod/a").status_code == 200
    hung.join()
    assert FAST_TIMEOUT <= time.monotonic() - started < FAST_TIMEOUT + 1
    response = answers[0]
    assert response.status_code == status
    if status == 200:
        error = response.json()
        assert error["errorType"] == "Sandbox.Timedout"
        assert error["errorMessage"].endswith(f"Task timed out after {FAST_TIMEOUT:.2f} seconds")
    else:
        assert response.content == b'{"message": "Internal server error"}'
    assert before not in invoker.worker_pids("slow")
    assert client.post("/Prod/slow", json={"seconds": 0}).json()["pid"] != before


def test_the_integration_timeout_is_504_while_the_function_runs_on(
    client: GatewayClient, invoker: ProcessInvoker, caplog: pytest.LogCaptureFixture
) -> None:
    client.post("/Prod/slow", json={"seconds": 0})
    pids = invoker.worker_pids("slow")
    with caplog.at_level(logging.INFO, logger="apig_emu"):
        started = time.monotonic()
        response = client.put("/Prod/slow-short", json={"seconds": 0.2})
        assert time.monotonic() - started < 0.2
        assert response.status_code == 504
        assert response.json() == {"message": "Endpoint request timed out"}
        assert client.get("/Prod/a").status_code == 200
        # The environment is not killed: it finishes, and CloudWatch would still show the invocation.
        time.sleep(0.2)
        assert invoker.worker_pids("slow") == pids
    assert any(line.startswith("REPORT ") for line in lambda_lines(caplog, "slow"))


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
    client: GatewayClient,
    caplog: pytest.LogCaptureFixture,
    invocations: list[Invocation],
    path: str,
    error_type: str,
    reason: str,
    last_words: str | None,
) -> None:
    function = {"/Prod/exit": "exits", "/Prod/hard-exit": "hard_exit"}.get(path, path.rsplit("/", 1)[1])
    with caplog.at_level(logging.INFO, logger="apig_emu"):
        response = client.get(path)
    assert response.status_code == 502
    assert response.content == b'{"message": "Internal server error"}'
    error = invocations[-1].error
    assert error is not None and error["errorType"] == error_type
    assert error["errorMessage"] == f"RequestId: {invocations[-1].result.aws_request_id} Error: {reason}"
    lines = lambda_lines(caplog, function)
    assert f"Status: error\tError Type: {error_type}" in lines[-1]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(function in warning and "the next request starts a fresh" in warning for warning in warnings)
    if last_words:
        assert any(last_words in line for line in lines)
    # The emulator is unharmed, and the function gets a fresh environment (which crashes again).
    assert client.get("/Prod/a").status_code == 200
    assert client.get(path).status_code == 502


def test_crash_answers_name_the_exit_status_or_signal(client: GatewayClient) -> None:
    error = client.get("/Prod/exit-custom").json()
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"] == (
        f"RequestId: {error['requestId']} Error: Runtime exited with error: exit status 3"
    )


def test_import_and_syntax_errors_are_reported_at_the_first_invocation(
    client: GatewayClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        syntax = client.get("/Prod/syntax").json()
        assert client.get("/Prod/import").status_code == 502
    assert syntax["errorType"] == "Runtime.UserCodeSyntaxError"
    assert syntax["errorMessage"].startswith("Syntax error in module 'broken_syntax': ")
    assert "broken_syntax.py:1" in caplog.text
    assert "Runtime.ImportModuleError: Unable to import module 'broken_import'" in caplog.text
    assert "broken_import.py:1" in caplog.text
    assert client.get("/Prod/a").status_code == 200


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
        invoker = ProcessInvoker(queue_timeout=5)
        try:
            await scenario(invoker)
        finally:
            await invoker.aclose()

    asyncio.run(main())


TAGGED = Function("tagged", "isolation.tagged", LAMBDAS, timeout=5, concurrency=1)


def test_waiting_requests_are_sent_first_come_first_served_and_abandoned_ones_never_run() -> None:
    """A freed environment takes the oldest waiting request; one whose caller gave up is skipped."""

    async def scenario(invoker: ProcessInvoker) -> None:
        await invoker.invoke(TAGGED, {"tag": "warm"}, trace_id="t")
        busy = asyncio.ensure_future(invoker.invoke(TAGGED, {"tag": "busy", "seconds": 0.2}, trace_id="t"))
        await asyncio.sleep(0.05)
        waiting = {
            tag: asyncio.ensure_future(invoker.invoke(TAGGED, {"tag": tag}, trace_id="t"))
            for tag in ("first", "abandoned", "second", "third")
        }
        await asyncio.sleep(0.05)
        waiting.pop("abandoned").cancel()
        results = await asyncio.gather(busy, *waiting.values())
        answers = [json.loads(result.payload) for result in results]
        assert len({answer["pid"] for answer in answers}) == 1
        assert answers[-1]["tags"] == ["warm", "busy", "first", "second", "third"]

    _run_with_invoker(scenario)


def test_a_caller_that_gives_up_during_a_cold_start_leaves_the_environment_warm() -> None:
    async def scenario(invoker: ProcessInvoker) -> None:
        abandoned = asyncio.ensure_future(invoker.invoke(TAGGED, {"tag": "abandoned"}, trace_id="t"))
        await asyncio.sleep(0)
        abandoned.cancel()
        await asyncio.sleep(0.5)
        [pid] = invoker.worker_pids("tagged")
        answer = json.loads((await invoker.invoke(TAGGED, {"tag": "next"}, trace_id="t")).payload)
        assert answer == {"pid": pid, "tags": ["next"]}

    _run_with_invoker(scenario)
