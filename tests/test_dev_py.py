"""``scripts/dev.py``'s way of running a command: signals go on to it, and dev.py ends as it did.

``serve`` and ``test`` replace dev.py by the command on POSIX (``tests/test_serve_shutdown.py``
stops ``dev.py serve``); ``check``, and every command on Windows, run as a child, which this tests.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tests.conftest import ROOT

#: A command that reports the signal it gets, then ends as killed by it.
CHILD = """
import signal, sys, time

def stop(signum, frame):
    print("child got", signum, flush=True)
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)

signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
time.sleep(60)
"""

#: dev.py's ``run``, loaded as a module (its ``__main__`` part, which sets up .venv, does not run).
DRIVER = f"""
import runpy, sys
dev = runpy.run_path({str(ROOT / "scripts" / "dev.py")!r})
sys.exit(dev["run"]([sys.executable, "-c", {CHILD!r}]))
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_run_forwards_the_signal_waits_and_ends_as_the_command_did(signum: int) -> None:
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert driver.stdout is not None
        assert driver.stdout.readline() == "ready\n"
        driver.send_signal(signum)  # to dev.py alone, as `kill` sends it
        out, err = driver.communicate(timeout=30)
    finally:
        driver.kill()
    assert out == f"child got {signum}\n"
    assert driver.returncode == -signum
    assert err == ""
