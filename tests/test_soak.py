"""The soak's short form: a few seconds of mixed load on a live server, with its figures checked.

``scripts/soak.py`` with its defaults is the long form; its last figures are in the README.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

#: Slow: seconds of load on a live server.
pytestmark = pytest.mark.slow


def test_short_soak_has_no_unexpected_status_no_drop_and_flat_memory() -> None:
    command = [sys.executable, str(ROOT / "scripts" / "soak.py"), "--requests", "800", "--connections", "32"]
    command += ["--isolation", "thread", "--max-seconds", "120", "--json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-2])
    assert figures["completed"] == 800 * 2 + 200  # two measured phases after a warm-up of N/4
    assert figures["unexpected"] == 0
    assert figures["dropped"] == 0
    # Every kind of request was exercised, bad and slow ones included.
    kinds = {key.rsplit(" ", 1)[0] for key in figures["statuses"]}
    assert {"not-http", "stalled-body", "handler-timeout", "hang-up-mid-response", "too-large"} <= kinds
    assert "soak: OK" in result.stdout
