"""The soak's short form: a few seconds of mixed load on a live server, then its abuse phase, with its
figures checked.

``scripts/soak.py`` with its defaults is the long form; its last figures are in the README.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from types import ModuleType

import pytest

from tests.conftest import ROOT

#: Slow: seconds of load on a live server.
pytestmark = pytest.mark.slow

#: The abuse phase's requests (``scripts/soak.py``'s ``ABUSES``), each with the status it must get.
ABUSIVE = {
    "chatter": 502,
    "chatter:object": 200,
    "dribble": 502,
    "dribble:object": 200,
    "flood": 502,
    "flood:object": 200,
    "burst": 200,
    "aftermath": 200,
    "exit-3": 502,
    "exit-3:object": 200,
    "interrupt": 502,
    "interrupt:object": 200,
    "abort": 502,
    "abort:object": 200,
    "cancelled": 502,
    "cancelled:object": 200,
}


WARMUP = 1600


def test_short_soak_has_no_unexpected_status_no_drop_and_flat_memory() -> None:
    command = [sys.executable, str(ROOT / "scripts" / "soak.py"), "--requests", "800", "--connections", "32"]
    # A warm-up of 2N: the Python heap is flat from the first few hundred requests (tracemalloc), but the C
    # allocator's arenas settle later, and RSS between N and 2N measures them too until they have.
    command += ["--warmup", str(WARMUP), "--isolation", "thread", "--max-seconds", "240", "--json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-2])
    abused = figures["abuse_warmup"] + 2 * figures["abuse_per_half"]
    assert abused >= 200 + 2 * len(ABUSIVE) * 2  # the warm-up fills the inspector; each half sends all
    # Three measured phases after the warm-up, then the abuse phase.
    assert figures["completed"] == 800 * 3 + WARMUP + abused
    assert figures["rss_n_kb"] and figures["rss_2n_kb"] and figures["rss_3n_kb"]
    assert figures["unexpected"] == 0
    assert figures["wrong_bodies"] == 0  # the error objects say Runtime.ExitError, Sandbox.Timedout
    assert figures["dropped"] == 0
    statuses = figures["statuses"]
    # Every kind of request was exercised, bad and slow ones included.
    kinds = {key.rsplit(" ", 1)[0] for key in statuses}
    assert {"not-http", "stalled-body", "handler-timeout", "hang-up-mid-response", "too-large"} <= kinds
    # Every abusive request, with its status; os._exit only in process isolation, where it ends a worker.
    assert all(statuses.get(f"{kind} {status}", 0) >= 2 for kind, status in ABUSIVE.items())
    assert "os-exit" not in kinds
    # Half the abuse phase went to an unrelated function meanwhile: every one answered 200.
    assert statuses["unrelated 200"] == abused // 2
    assert figures["peak_kb"] < 300 * 1024
    assert "soak: OK" in result.stdout


def soak_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("apig_emu_soak_script", ROOT / "scripts" / "soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("after_n", "after_2n", "after_3n", "growth"),
    [
        (56_000, 58_000, 57_800, -200),  # one step of the allocator, then none: flat
        (56_000, 56_100, 58_100, 100),  # the step in the last phase instead
        (56_000, 58_000, 60_000, 2_000),  # a leak: 2 MB a phase, every phase
    ],
)
def test_memory_growth_is_what_every_phase_added(
    after_n: int, after_2n: int, after_3n: int, growth: int
) -> None:
    figures = soak_script().Figures(
        800, 32, "thread", rss_n_kb=after_n, rss_2n_kb=after_2n, rss_3n_kb=after_3n
    )
    assert figures.growth_kb == growth
