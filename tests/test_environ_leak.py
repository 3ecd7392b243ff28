"""Per-request environment variables must not leak: glibc's setenv keeps every distinct value forever.

Measured in a fresh process, so the old behaviour's 11 MB would not stay in the test runner.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

#: Slow: 100,000 invocations' environments in a fresh process.
pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import os, uuid
    from emulator.runtime.threads import _function_environment

    def rss_kb():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

    def invocations(count):
        for _ in range(count):
            trace = f"Root=1-{uuid.uuid4().hex}"
            with _function_environment({"_X_AMZN_TRACE_ID": trace, "AWS_REGION": "us-east-1"}):
                assert os.environ["_X_AMZN_TRACE_ID"] == trace  # what handlers and X-Ray read
                assert os.getenv("AWS_REGION") == "us-east-1"
        assert "_X_AMZN_TRACE_ID" not in os.environ

    invocations(2_000)
    before = rss_kb()
    invocations(100_000)
    print(rss_kb() - before)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the leak is glibc's")
def test_a_unique_trace_id_per_invocation_does_not_grow_memory() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    growth_kb = int(result.stdout)
    # Through setenv this was about 11,000 KB for 100,000 invocations.
    assert growth_kb < 1500
