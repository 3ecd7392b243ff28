"""Thread isolation's shared environment: each invocation sees its own function's variables.

Variables stay set while a burst of invocations is pending (the cost of setting and restoring them
dwarfs a small handler's run); these tests pin what that may not change.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from emulator.runtime.lambda_context import lambda_environment
from emulator.runtime.threads import ThreadInvoker, _SharedEnvironment
from emulator.testing import definitions_from_yaml
from tests.conftest import LAMBDAS

NAMES = ("ONLY_A", "ONLY_B", "AWS_LAMBDA_FUNCTION_NAME", "_X_AMZN_TRACE_ID")

CONFIG = """
apis:
  shop: {}
functions:
  a:
    handler: isolation.warm
    environment: {ONLY_A: a}
    triggers:
      - {api: shop, resource: /a, method: GET}
  b:
    handler: isolation.warm
    environment: {ONLY_B: b}
    triggers:
      - {api: shop, resource: /b, method: GET}
  slow:
    handler: isolation.sleep
    timeout: 1
    environment: {ONLY_SLOW: s}
    triggers:
      - {api: shop, resource: /slow, method: GET}
"""


def one_at_a_time(names: list[str]) -> list[dict[str, str | None]]:
    """What each invocation sees when all are pending at once and run one after another, as a burst
    does while its functions' threads are busy (their calls queued, then answered after the others)."""
    functions = definitions_from_yaml(CONFIG, code_dir=LAMBDAS).functions
    shared = _SharedEnvironment()
    uses = [shared.expect(name, lambda_environment(functions[name], "stream")) for name in names]
    seen = []
    for i, use in enumerate(uses):
        shared.enter(use, f"Root={i}")
        seen.append({name: os.environ.get(name) for name in NAMES})
        shared.leave(use)
    for use in uses:
        shared.done(use)
    return seen


def test_a_burst_of_two_functions_one_at_a_time_never_shows_one_the_others_variables() -> None:
    names = ["a", "b", "a", "a", "b", "b", "a"]
    for name, env in zip(names, one_at_a_time(names), strict=True):
        assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
        assert (env["ONLY_A"], env["ONLY_B"]) == (("a", None) if name == "a" else (None, "b"))
    for name in ("ONLY_A", "ONLY_B", "AWS_LAMBDA_FUNCTION_NAME", "_X_AMZN_TRACE_ID"):
        assert name not in os.environ  # the burst over, the process has its own environment back


def test_the_processs_own_values_come_back_after_a_burst(monkeypatch: Any) -> None:
    monkeypatch.setenv("ONLY_A", "the process's own")
    assert [env["ONLY_A"] for env in one_at_a_time(["a", "b", "a"])] == ["a", "the process's own", "a"]
    assert os.environ["ONLY_A"] == "the process's own"


def test_a_timed_out_handler_still_running_keeps_no_one_elses_variables_visible() -> None:
    functions = definitions_from_yaml(CONFIG, code_dir=LAMBDAS).functions
    invoker = ThreadInvoker()

    async def scenario() -> list[dict[str, Any]]:
        stuck = await invoker.invoke(functions["slow"], {"seconds": 1.5}, trace_id="Root=1")
        assert stuck.timed_out  # its thread sleeps on for half a second
        a = await invoker.invoke(functions["a"], {}, trace_id="Root=2")
        b = await invoker.invoke(functions["b"], {}, trace_id="Root=3")
        return [json.loads(a.payload)["env"], json.loads(b.payload)["env"]]

    try:
        a, b = asyncio.run(scenario())
    finally:
        asyncio.run(invoker.aclose())
    assert (a["ONLY_A"], a["ONLY_B"], b["ONLY_A"], b["ONLY_B"]) == ("a", None, None, "b")
