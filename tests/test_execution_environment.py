"""The execution environment both isolations share (``emulator.runtime.environment``), tested directly.

Thread and process isolation exercise it through the gateway (test_isolation, test_faults, the
proxy tests); these pin its own contract with a minimal isolation of the test's: when the handler is
imported, what an invocation's result holds, and which of its steps each isolation supplies.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.model import Function
from emulator.runtime.environment import ExecutionEnvironment
from emulator.runtime.outcomes import UNHANDLED, Outcome, exited, timed_out
from emulator.runtime.result import error_payload
from emulator.runtime.threads import ThreadInvoker, _ThreadEnvironment
from emulator.runtime.worker import _ProcessEnvironment, _RequestIdFilter

_names = itertools.count()


class Recording(ExecutionEnvironment):
    """An isolation that records what the shared flow asks of it."""

    def __init__(
        self, function: Function, *, ended: Callable[[BaseException], Outcome] | None = None
    ) -> None:
        super().__init__(function, "2026/01/01/[$LATEST]stream")
        self.steps: list[Any] = []
        self.on_ended = ended

    def begin(self, aws_request_id: str, trace_id: str) -> None:
        self.steps.append(("begin", aws_request_id, trace_id))

    def output(self) -> list[str]:
        self.steps.append("output")
        return [f"output of call {len([s for s in self.steps if s == 'output'])}"]

    def ended(self, exc: SystemExit | MemoryError, aws_request_id: str) -> Outcome:
        self.steps.append(("ended", type(exc).__name__, aws_request_id))
        if self.on_ended is None:
            raise exc
        return self.on_ended(exc)


@pytest.fixture
def code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Function]]:
    """A function whose handler module has the given source, under a name no other test uses."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    modules: list[str] = []

    def make(source: str) -> Function:
        module = f"shared_env_{next(_names)}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        modules.append(module)
        return Function("fn", f"{module}.handler", tmp_path, timeout=3, memory=256)

    yield make
    for module in modules:
        sys.modules.pop(module, None)


FAR = 3600.0  # a deadline an hour away: no test here depends on how long a step takes


def test_the_first_invocation_imports_the_handler_and_reports_its_init_duration(
    code: Callable[[str], Function], tmp_path: Path
) -> None:
    imports = tmp_path / "imports"
    function = code(
        f"""
        with open({str(imports)!r}, "a") as log:
            log.write("imported\\n")

        def handler(event, context):
            return {{"echo": event}}
        """
    )
    env = Recording(function)
    assert env.handler is None
    cold = env.invoke({"n": 1}, "req-1", "Root=1-a", time.monotonic() + FAR)
    warm = env.invoke({"n": 2}, "req-2", "Root=1-b", time.monotonic() + FAR)
    assert env.handler is not None
    assert imports.read_text() == "imported\n"  # once, however many invocations follow
    assert cold.init_duration_ms is not None and cold.init_duration_ms >= 0
    assert warm.init_duration_ms is None
    assert json.loads(cold.payload) == {"echo": {"n": 1}} and json.loads(warm.payload) == {"echo": {"n": 2}}


def test_a_result_holds_the_answer_the_request_id_and_the_output(code: Callable[[str], Function]) -> None:
    function = code(
        """
        def handler(event, context):
            event.append("handler")
            return "ok"
        """
    )
    env = Recording(function)
    steps: list[Any] = []
    env.steps = steps
    result = env.invoke(steps, "req-1", "Root=1-a", time.monotonic() + FAR)
    # The isolation's own values are in place before the handler runs; its output is taken after.
    assert steps == [("begin", "req-1", "Root=1-a"), "handler", "output"]
    assert (result.payload, result.function_error, result.detail) == (b'"ok"', None, None)
    assert result.aws_request_id == "req-1"
    assert result.logs == ["output of call 1"]
    assert result.duration_ms >= 0 and not result.timed_out
    assert result.max_memory_used_mb is None  # the isolation knows memory, if anything does


def test_the_handler_gets_lambdas_context_for_this_environment(code: Callable[[str], Function]) -> None:
    function = code(
        """
        def handler(event, context):
            return {
                "name": context.function_name,
                "id": context.aws_request_id,
                "stream": context.log_stream_name,
                "group": context.log_group_name,
                "memory": context.memory_limit_in_mb,
                "arn": context.invoked_function_arn,
                "remaining": context.get_remaining_time_in_millis(),
            }
        """
    )
    env = Recording(function)
    seen = json.loads(env.invoke({}, "req-7", "t", time.monotonic() + FAR).payload)
    assert {key: seen[key] for key in ("name", "id", "stream", "group", "memory")} == {
        "name": "fn",
        "id": "req-7",
        "stream": env.stream,
        "group": "/aws/lambda/fn",
        "memory": "256",
    }
    assert seen["arn"].endswith(":function:fn")
    assert 3_000_000 < seen["remaining"] <= 3_600_000
    past = json.loads(env.invoke({}, "req-8", "t", time.monotonic() - 1).payload)
    assert past["remaining"] == 0


def test_an_init_error_answers_without_a_request_id_and_the_next_invocation_imports_again(
    code: Callable[[str], Function], tmp_path: Path
) -> None:
    imports = tmp_path / "imports"
    function = code(
        f"""
        with open({str(imports)!r}, "a") as log:
            log.write("tried\\n")
        raise ValueError("no config")
        """
    )
    env = Recording(function)
    first = env.invoke({}, "req-1", "t", time.monotonic() + FAR)
    assert env.handler is None
    assert first.function_error == UNHANDLED
    error = json.loads(first.payload)
    assert (error["errorType"], error["errorMessage"], error["requestId"]) == ("ValueError", "no config", "")
    assert (first.duration_ms, first.init_duration_ms) == (0.0, None)
    assert first.logs == ["output of call 1"]  # what the import printed belongs to the invocation
    assert first.detail is not None and "ValueError: no config" in first.detail
    env.invoke({}, "req-2", "t", time.monotonic() + FAR)
    assert imports.read_text() == "tried\ntried\n"


def test_a_handlers_exception_is_the_functions_error_with_a_trace_from_its_own_code(
    code: Callable[[str], Function],
) -> None:
    function = code(
        """
        def handler(event, context):
            return helper()

        def helper():
            raise KeyError("missing")
        """
    )
    result = Recording(function).invoke({}, "req-1", "t", time.monotonic() + FAR)
    error = json.loads(result.payload)
    assert result.function_error == UNHANDLED
    assert (error["errorType"], error["requestId"]) == ("KeyError", "req-1")
    assert [line.split(", in ")[-1].split("\n")[0] for line in error["stackTrace"]] == ["handler", "helper"]
    assert result.detail is not None and result.detail.startswith("Traceback (most recent call last):")


@pytest.mark.parametrize(
    ("body", "kind"), [("raise SystemExit(3)", "SystemExit"), ("raise MemoryError()", "MemoryError")]
)
def test_an_exit_or_running_out_of_memory_is_the_isolations_to_answer(
    code: Callable[[str], Function], body: str, kind: str
) -> None:
    function = code(f"def handler(event, context):\n    {body}\n")
    answer = Outcome(b'{"answered": "by the isolation"}', UNHANDLED, "its detail")
    env = Recording(function, ended=lambda exc: answer)
    result = env.invoke({}, "req-1", "t", time.monotonic() + FAR)
    assert env.steps[1] == ("ended", kind, "req-1")
    assert (result.payload, result.function_error, result.detail) == (answer.payload, UNHANDLED, "its detail")
    assert result.logs == ["output of call 1"] and result.aws_request_id == "req-1"


def test_an_isolation_that_lets_an_exit_end_the_environment_leaves_its_output_untaken(
    code: Callable[[str], Function],
) -> None:
    """As a worker process does: it exits, and the parent reads what it wrote."""
    function = code("def handler(event, context):\n    raise SystemExit(4)\n")
    env = Recording(function)
    with pytest.raises(SystemExit) as exited_with:
        env.invoke({}, "req-1", "t", time.monotonic() + FAR)
    assert exited_with.value.code == 4
    assert "output" not in env.steps


def test_an_exit_at_import_time_is_the_isolations_to_answer_too(code: Callable[[str], Function]) -> None:
    function = code("import sys\nsys.exit(2)\n")
    env = Recording(function, ended=lambda exc: exited("req-1", 2))
    result = env.invoke({}, "req-1", "t", time.monotonic() + FAR)
    assert json.loads(result.payload)["errorType"] == "Runtime.ExitError"
    assert env.handler is None


def test_a_test_double_runs_in_the_handlers_stead_without_importing_it(
    code: Callable[[str], Function],
) -> None:
    function = code("raise ImportError('never imported')\n")
    env = Recording(function)
    result = env.invoke({"x": 1}, "req-1", "t", time.monotonic() + FAR, handler=lambda event, _: event)
    assert json.loads(result.payload) == {"x": 1}
    assert result.init_duration_ms is None and env.handler is None


def test_an_outcome_becomes_a_result_with_what_the_isolation_measured() -> None:
    outcome = timed_out("req-9", 3.0, note=" (killed)")
    result = outcome.result(
        "req-9", duration_ms=3000.0, logs=["last words"], timed_out=True, max_memory_used_mb=64
    )
    assert (result.payload, result.function_error, result.detail) == (
        outcome.payload,
        UNHANDLED,
        "RequestId: req-9 Error: Task timed out after 3.00 seconds (killed)",
    )
    assert (result.aws_request_id, result.duration_ms, result.init_duration_ms) == ("req-9", 3000.0, None)
    assert (result.logs, result.timed_out, result.max_memory_used_mb) == (["last words"], True, 64)
    assert Outcome(b"1").result("r", duration_ms=1.0).logs == []


# --- Each isolation's own steps ------------------------------------------------------------------------


def test_thread_isolation_answers_an_exit_and_keeps_running(code: Callable[[str], Function]) -> None:
    env = _ThreadEnvironment(code("def handler(event, context):\n    return 1\n"))
    outcome = env.ended(SystemExit("bye"), "req-1")
    assert json.loads(outcome.payload) == json.loads(exited("req-1", 1).payload)
    assert outcome.detail is not None and "sys.exit('bye')" in outcome.detail
    assert json.loads(env.ended(SystemExit(), "req-2").payload)["errorMessage"].endswith(
        "Runtime exited without providing a reason"
    )
    memory = env.ended(MemoryError("no room"), "req-3")
    assert memory.payload == error_payload("MemoryError", "no room", [], "req-3")


def test_thread_isolation_answers_an_exit_while_the_handler_is_imported(
    code: Callable[[str], Function],
) -> None:
    """It used to escape to the event loop as a SystemExit; Lambda answers it as the runtime's exit."""
    function = code("import sys\nsys.exit(2)\n")
    invoker = ThreadInvoker()
    try:
        result = asyncio.run(invoker.invoke(function, {}, trace_id="t"))
    finally:
        asyncio.run(invoker.aclose())
    error = json.loads(result.payload)
    assert result.function_error == UNHANDLED
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"].endswith("Runtime exited with error: exit status 2")


def test_thread_isolation_captures_the_output_of_the_invocations_thread(
    code: Callable[[str], Function],
) -> None:
    function = code(
        """
        import logging

        def handler(event, context):
            print("printed")
            logging.getLogger("app").warning("logged")
            return None
        """
    )
    env = _ThreadEnvironment(function)
    result = env.invoke({}, "req-1", "t", time.monotonic() + FAR)
    assert result.logs[0] == "printed"
    level, _, request_id, message = result.logs[1].split("\t")
    assert (level, request_id, message) == ("[WARNING]", "req-1", "logged")
    assert env.variables["AWS_LAMBDA_LOG_STREAM_NAME"] == env.stream


def test_a_worker_process_lets_an_exit_end_it_and_retires_after_running_out_of_memory(
    code: Callable[[str], Function],
) -> None:
    env = _ProcessEnvironment(code("def handler(event, context):\n    return 1\n"), _RequestIdFilter())
    with pytest.raises(SystemExit):
        env.ended(SystemExit(3), "req-1")
    assert not env.exhausted
    outcome = env.ended(MemoryError(), "req-2")
    assert env.exhausted
    assert json.loads(outcome.payload)["errorType"] == "Runtime.OutOfMemory"
    assert outcome.detail is not None and "256 MB" in outcome.detail


def test_a_worker_process_stamps_its_log_records_and_trace_id_per_invocation(
    code: Callable[[str], Function], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "the test process's")  # restored afterwards
    stamp = _RequestIdFilter()
    env = _ProcessEnvironment(code("def handler(event, context):\n    return 1\n"), stamp)
    env.begin("req-5", "Root=1-5")
    assert (stamp.request_id, os.environ["_X_AMZN_TRACE_ID"]) == ("req-5", "Root=1-5")


def test_the_worker_imports_nothing_of_the_gateway() -> None:
    """A worker starts with every cold start: what it imports, each cold start pays for, and each idle
    worker keeps in memory (``scripts/bench_coldstart.py`` measures both)."""
    probe = "import sys, json; import emulator.runtime.worker; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True).stdout)
    third_party = ("starlette", "uvicorn", "yaml", "httptools", "uvloop", "werkzeug", "watchfiles")
    assert [m for m in loaded if m.partition(".")[0] in third_party] == []
    outside = [
        m for m in loaded if m.partition(".")[0] == "emulator" and not m.startswith("emulator.runtime.")
    ]
    assert outside == ["emulator", "emulator.account", "emulator.lambda_function", "emulator.runtime"]
    assert "emulator.runtime.threads" not in loaded and "emulator.runtime.process" not in loaded
    # The standard library's modules the gateway needs and a worker does not, each once imported there.
    gateway_only = {"asyncio", "concurrent.futures", "socket", "ssl", "subprocess", "secrets", "difflib"}
    assert sorted(gateway_only.intersection(loaded)) == []
