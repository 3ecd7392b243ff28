"""The request → event fuzzer, run briefly in CI; ``scripts/fuzz_request_event.py --seconds N`` runs it longer."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

#: Slow: seconds of fuzzing.
pytestmark = pytest.mark.slow


def test_fuzz_request_event_briefly() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "fuzz_request_event.py"), "--seconds", "3", "--batch", "200"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "no failure" in result.stdout
