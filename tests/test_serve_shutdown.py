"""``apig-emu serve`` with worker processes stops cleanly: requests in flight finish, no process remains."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.live import alive, start_server

CONFIG = """
apis:
  shop: {}
functions:
  warm_a:
    handler: isolation.warm
    triggers:
      - {api: shop, resource: /a, method: GET}
  slow:
    handler: isolation.sleep
    timeout: 5
    triggers:
      - {api: shop, resource: /slow, method: POST}
  stuck:
    handler: isolation.sleep
    timeout: 30
    triggers:
      - {api: shop, resource: /stuck, method: POST, timeout_ms: 100}
"""


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # ``pid (comm) state ppid …``; comm may hold spaces or parentheses, so split after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_shutdown_finishes_requests_in_flight_and_reaps_every_worker(tmp_path: Path, signum: int) -> None:
    server = start_server(tmp_path, CONFIG)
    try:
        assert requests.get(server.url + "/Prod/a", timeout=10).status_code == 200
        # A worker left running by an integration timeout, which shutdown must not wait for.
        assert requests.post(server.url + "/Prod/stuck", json={"seconds": 30}, timeout=10).status_code == 504
        answers: list[Any] = []
        in_flight = threading.Thread(
            target=lambda: answers.append(
                requests.post(server.url + "/Prod/slow", json={"seconds": 0.5}, timeout=10)
            )
        )
        in_flight.start()
        workers: set[int] = set()
        deadline = time.monotonic() + 10
        while len(workers) < 3:  # warm_a's, stuck's, and slow's, now busy with the request in flight
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.01)
            workers = children(server.process.pid)
        server.process.send_signal(signum)
        in_flight.join()
        assert answers[0].status_code == 200
        returncode = server.process.wait(timeout=15)
        # uvicorn re-raises the signal it caught once it has shut down.
        assert returncode in (0, -signal.SIGTERM, -signal.SIGINT, 130), server.log()
        assert not [pid for pid in workers if alive(pid)]
        assert os.getpid() not in workers
    finally:
        server.stop()
