"""Thread isolation's faults: handlers that leave threads behind, or outlive their timeout.

The request that caused it gets Lambda's answer, the next requests succeed, and Ctrl-C still stops
the emulator at once (Python would otherwise wait for every such thread before exiting).
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
import requests

from tests.live import start_server

#: Slow: starts `apig-emu serve`.
pytestmark = pytest.mark.slow

CONFIG = """
apis:
  shop: {}
functions:
  leaver:
    handler: reliability.leaves_thread
    triggers:
      - {api: shop, resource: /leave, method: GET, proxy: true}
  sleeper:
    handler: reliability.sleeps
    timeout: 1
    triggers:
      - {api: shop, resource: /sleep, method: GET, proxy: true}
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: /echo, method: GET, proxy: true}
"""


def test_left_threads_neither_break_requests_nor_block_ctrl_c(tmp_path: Path) -> None:
    server = start_server(tmp_path, CONFIG, "--isolation", "thread")
    try:
        assert requests.get(server.url + "/Prod/leave", timeout=5).text == "left a thread"
        timed_out = requests.get(server.url + "/Prod/sleep", timeout=5)
        assert timed_out.status_code == 502
        for _ in range(5):
            assert requests.get(server.url + "/Prod/echo", timeout=5).status_code == 200
        server.process.send_signal(signal.SIGINT)
        try:
            # The handlers' threads run for a minute: an exit within the bound did not wait for them.
            code = server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise AssertionError("Ctrl-C waited for the handlers' threads") from None
        assert code == -signal.SIGINT  # as interrupted: a shell shows 130
        assert "handler thread(s) still running" in server.log()
        assert "left-by-handler" in server.log()
    finally:
        server.stop()
