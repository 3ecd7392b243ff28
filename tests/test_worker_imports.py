"""A worker imports only what an execution environment runs: every module it loads lengthens each cold
start and stays in each idle worker's memory (``scripts/bench_coldstart.py`` measures both)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

#: Modules of the gateway's side, each once found in a worker's start-up, that a worker never runs.
GATEWAY_ONLY = ("asyncio", "concurrent.futures", "socket", "ssl", "subprocess")


def worker_modules() -> set[str]:
    """What a fresh interpreter has loaded once it has imported the worker, as ``bootstrap.py`` does."""
    script = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import emulator.runtime.worker; "
        "print('\\n'.join(sys.modules))"
    )
    ran = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, check=True)
    return set(ran.stdout.split())


def test_a_worker_starts_without_the_gateways_modules() -> None:
    loaded = worker_modules()
    assert "emulator.runtime.worker" in loaded
    assert sorted(loaded.intersection(GATEWAY_ONLY)) == []
