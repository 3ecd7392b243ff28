"""Thread isolation's concurrency: each function's ``concurrency`` bounds its share, as in process isolation.

A handler that outlives its timeout keeps its thread, which Python cannot stop: these tests pin that
it costs only its own function's slots (other functions answer 200), that its slot stays taken until
the thread really ends, that requests over the limit get process isolation's throttled answer, and
that a request whose caller gave up while it waited never starts. Handlers wait at the test's gate
(``tests/gate.py``), so "still running" is the test's doing, not a race against a sleep; the queue's
timeout only bounds how long a throttled request waits, it never decides an outcome.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from emulator.config import load_definitions
from emulator.model import Function
from emulator.runtime.invoker import Invoker
from emulator.runtime.outcomes import TooManyRequests
from emulator.runtime.process import ProcessInvoker
from emulator.runtime.result import InvocationResult
from emulator.runtime.threads import ThreadInvoker, _Call, _Share
from emulator.testing import Harness
from tests.conftest import ISOLATIONS, LAMBDAS
from tests.gate import WAIT, Gate, wait_until

CONFIG = """
apis:
  shop: {}
functions:
  stuck:
    handler: isolation.sleep
    concurrency: 2
    timeout: 1
    triggers:
      - {api: shop, resource: /stuck, method: POST, proxy: true}
  other:
    handler: cases.echo_event
    timeout: 1
    triggers:
      - {api: shop, resource: /other, method: GET, proxy: true}
  single:
    handler: isolation.sleep
    concurrency: 1
    timeout: 900
    triggers:
      - {api: shop, resource: /single, method: POST}
      - {api: shop, resource: /single-proxy, method: POST, proxy: true}
  short:
    handler: isolation.sleep
    concurrency: 1
    triggers:
      - {api: shop, resource: /short, method: POST, proxy: true}
  tagged:
    handler: isolation.tagged
    concurrency: 1
    timeout: 900
    triggers:
      - {api: shop, resource: /tagged, method: POST}
      - {api: shop, resource: /tagged-short, method: PUT, timeout_ms: 50}
"""

#: How long a request waits for a busy function before it is throttled: short, since a gate, not this
#: wait, keeps the function busy.
QUEUE_TIMEOUT = 0.2
#: ``short``'s timeout: under the config's 1 s minimum, so that it times out in a fraction of a second.
SHORT_TIMEOUT = 0.3
#: More requests than thread isolation had threads in all (64), before each function got its share.
FLOOD = 70


def make_invoker(isolation: str) -> Invoker:
    return (ThreadInvoker if isolation == "thread" else ProcessInvoker)(queue_timeout=QUEUE_TIMEOUT)


@pytest.fixture
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    """The module's ``CONFIG`` in thread isolation, or in ``request.param``'s, throttling quickly."""
    isolation = getattr(request, "param", "thread")
    config = tmp_path / "apig.yaml"
    config.write_text(CONFIG)
    definitions = load_definitions(config, code_dir=LAMBDAS)
    functions = definitions.functions
    functions["short"] = dataclasses.replace(functions["short"], timeout=SHORT_TIMEOUT)
    with Harness(definitions, invoker=make_invoker(isolation)) as harness:
        yield harness


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_a_function_stuck_past_its_timeout_cannot_starve_another(harness: Harness, gate: Gate) -> None:
    """The issue's reproduction: 70 requests whose handlers sleep past their timeout (at the shut gate)."""
    with ThreadPoolExecutor(FLOOD) as clients:
        answers = [
            clients.submit(harness.post, "/Prod/stuck", content=body(gate=gate.port)) for _ in range(FLOOD)
        ]
        statuses = sorted(answer.result().status_code for answer in answers)
    # Every request to the stuck function is answered while every handler of it that started hangs
    # on: the unrelated function has its own share, and answers at once.
    other = harness.get("/Prod/other")
    assert other.status_code == 200
    assert other.json()["resource"] == "/other"
    # Two ran into their timeout (502); the rest found both of the function's slots taken, and were
    # throttled (500) rather than started after their clients had their answer.
    assert statuses == [500] * (FLOOD - 2) + [502] * 2
    started = [invocation for invocation in harness.invocations_of("stuck") if invocation.result.timed_out]
    assert len(started) == 2


@pytest.mark.parametrize("harness", ISOLATIONS, indirect=True)
@pytest.mark.parametrize("path", ["/Prod/single", "/Prod/single-proxy"])
def test_a_request_over_the_concurrency_is_throttled_as_in_process_isolation(
    harness: Harness, gate: Gate, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    """Lambda's 429 becomes API Gateway's 500 for both integration types, whichever isolation runs it."""
    with ThreadPoolExecutor(1) as pool:
        busy = pool.submit(harness.post, path, content=body(gate=gate.port))
        gate.arrival()  # the function's one slot is taken until the gate opens
        with caplog.at_level(logging.WARNING, logger="apig_emu"):
            throttled = harness.post(path, content=body(seconds=0))
        gate.open()
        assert busy.result().status_code == 200
    assert throttled.status_code == 500
    assert throttled.content == b'{"message": "Internal server error"}'
    assert throttled.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert f"stayed busy for {QUEUE_TIMEOUT:g} s" in caplog.text
    assert "TooManyRequestsException" in caplog.text and "concurrency" in caplog.text
    assert harness.post(path, content=body(seconds=0)).status_code == 200


def test_a_timed_out_handler_keeps_its_slot_until_its_thread_ends(harness: Harness, gate: Gate) -> None:
    timed_out = harness.post("/Prod/short", content=body(gate=gate.port))
    assert timed_out.status_code == 502
    assert harness.invocations[-1].result.timed_out
    gate.arrival()  # answered, but still running: the gate is shut
    # Its thread cannot end while the gate is shut, so the function's one slot stays taken.
    assert harness.post("/Prod/short", content=body(seconds=0)).status_code == 500
    gate.open()
    # Once the thread has ended, the slot is free again.
    wait_until(lambda: harness.post("/Prod/short", content=body()).status_code == 200, "the slot was free")


def test_a_waiting_request_whose_caller_gave_up_never_starts(harness: Harness, gate: Gate) -> None:
    """A 504 (the integration's 50 ms) while waiting for the slot: the request leaves the queue for good."""
    run = uuid.uuid4().hex
    held = harness.put("/Prod/tagged-short", content=json.dumps({"tag": f"{run}-held", "gate": gate.port}))
    assert held.status_code == 504
    gate.arrival()  # the function's one slot is taken until the gate opens
    # The throttle is far off: the gateway gives up first, while the request waits for the slot.
    assert isinstance(harness.invoker, ThreadInvoker)
    harness.invoker.queue_timeout = WAIT
    gave_up = harness.put("/Prod/tagged-short", content=json.dumps({"tag": f"{run}-gave-up"}))
    assert gave_up.status_code == 504
    gate.open()
    # The next request takes the slot the held one frees; the one given up never ran before it.
    tags = harness.post("/Prod/tagged", content=json.dumps({"tag": f"{run}-next"})).json()["tags"]
    assert [tag for tag in tags if tag.startswith(run)] == [f"{run}-held", f"{run}-next"]


def test_the_queue_starts_its_oldest_live_call_and_passes_over_those_given_up() -> None:
    """``_Share`` alone, its handlers' threads stood in for by a list: what starts, and in what order."""

    async def scenario() -> tuple[list[str], BaseException | None]:
        started: list[str] = []
        function = Function("f", "isolation.warm", LAMBDAS, concurrency=1)
        share = _Share(function, lambda share, call: started.append(call.trace_id))
        names = ("first", "gave-up", "next", "last")
        calls = {name: _Call(function, None, {}, name, None) for name in names}  # type: ignore[arg-type]
        for call in calls.values():
            share.submit(call, WAIT)
        assert started == ["first"]  # the others wait for the one slot
        calls["gave-up"].future.cancel()  # its caller gave up (the gateway's 504)
        share.finished()  # "first" returned: its slot goes to the oldest call still waiting
        share.withdraw(calls["gave-up"])  # the caller's own clean-up finds it passed over already
        assert started == ["first", "next"]
        # A reload that raises the function's concurrency starts the next waiting call at once.
        share.update(dataclasses.replace(function, concurrency=3))
        assert started == ["first", "next", "last"]
        waiting = _Call(function, None, {}, "waiting", None)  # type: ignore[arg-type]
        share.update(function)
        share.submit(waiting, WAIT)
        share.shut()  # the emulator stops: a call still waiting is refused, never started
        for call in (*calls.values(), waiting):
            if call.timer is not None:
                call.timer.cancel()
        return started, waiting.future.exception()

    started, refused = asyncio.run(scenario())
    assert started == ["first", "next", "last"]
    assert isinstance(refused, TooManyRequests)


def test_a_handler_back_after_its_timeout_is_timed_out_though_its_timer_has_not_run() -> None:
    """The event loop held up past a handler's timeout, as handler threads that keep the GIL busy do.

    The soak's print loops did so for half a second: the handler's own answer reached the loop before
    its timeout's timer ran, and a handler that ran 1.5 s with a 1 s timeout answered 200. Here the
    test holds the loop itself until the handler's thread has handed over its answer, and the handler
    returns only once its remaining time is spent, so the order of the two is the test's doing.
    """

    def overrun(event: object, context: Any) -> dict[str, object]:
        while context.get_remaining_time_in_millis() > 0:
            time.sleep(0.005)
        time.sleep(0.01)  # the last millisecond too: whole milliseconds remaining are counted down
        return {"statusCode": 200, "body": "too late"}

    async def scenario() -> InvocationResult:
        loop = asyncio.get_running_loop()
        delivered = threading.Event()
        hand_over = loop.call_soon_threadsafe

        def spy(*args: Any, **kwargs: Any) -> asyncio.Handle:
            handle = hand_over(*args, **kwargs)
            delivered.set()
            return handle

        loop.call_soon_threadsafe = spy  # type: ignore[method-assign]
        invoker = ThreadInvoker()
        invoker.override("late", overrun)
        function = Function("late", "isolation.warm", LAMBDAS, timeout=SHORT_TIMEOUT)
        try:
            answer = asyncio.ensure_future(invoker.invoke(function, {}, trace_id="Root=1-00000000-late"))
            await asyncio.sleep(0)  # started: its thread runs, its timer is set
            assert delivered.wait(WAIT)  # the loop held up until the thread's answer is waiting on it
            return await answer
        finally:
            await invoker.aclose()

    result = asyncio.run(scenario())
    assert result.timed_out
    assert result.function_error == "Unhandled"
    error = json.loads(result.payload)
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith(f"Task timed out after {SHORT_TIMEOUT:.2f} seconds")
