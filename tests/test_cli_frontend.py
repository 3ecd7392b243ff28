"""``serve`` for frontend developers, as run from a shell: --static, --mock and the inspector."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import LAMBDAS

#: Slow: starts `apig-emu serve`.
pytestmark = pytest.mark.slow

CONFIG = """
apis:
  shop: {}
functions:
  items:
    handler: not_written_yet.handler
    triggers:
      - {api: shop, resource: /items, method: GET, proxy: true, cors: true}
  echo:
    handler: cases.echo
    triggers:
      - {api: shop, resource: /echo, method: POST}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(url, timeout=0.5)
            return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or slow to answer
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"not serving {url}: {process.communicate()[0]}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    config = tmp_path / "apig.yaml"
    config.write_text(CONFIG)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>frontend</h1>")
    (tmp_path / "items.json").write_text('{"status": 200, "headers": {"X-Mock": "1"}, "body": {"items": []}}')
    port, static_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator.cli",
            "serve",
            "--config",
            str(config),
            "--code-dir",
            str(LAMBDAS),
            "--port",
            str(port),
            "--static",
            str(site),
            "--static-port",
            str(static_port),
            "--mock",
            "items=items.json",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    api, static = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{static_port}"
    wait_for(api + "/", process)
    wait_for(static + "/", process)
    yield api, static, process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


def test_serve_static_mock_and_inspector_together(served: tuple[str, str, subprocess.Popen[str]]) -> None:
    api, static, process = served
    # The frontend on its own origin, with client-side routes falling back to index.html.
    assert requests.get(static + "/", timeout=5).text == "<h1>frontend</h1>"
    assert requests.get(static + "/orders/7", timeout=5).text == "<h1>frontend</h1>"
    # The mocked function answers without its (missing) handler; CORS applies as to a MOCK.
    items = requests.get(api + "/Prod/items", timeout=5)
    assert items.json() == {"items": []}
    assert items.headers["X-Mock"] == "1"
    assert items.headers["Access-Control-Allow-Origin"] == "*"
    assert requests.post(api + "/Prod/echo", json={"a": 1}, timeout=5).json() == {"a": 1}
    # The inspector saw both.
    assert "apig-emu inspector" in requests.get(api + "/_emu/", timeout=5).text
    paths = [r["request"]["path"] for r in requests.get(api + "/_emu/api/invocations", timeout=5).json()]
    assert paths[:2] == ["/Prod/echo", "/Prod/items"]  # newest first; then the start-up probe of /
    process.terminate()
    output = process.communicate(timeout=10)[0]
    port = api.rsplit(":", 1)[1]
    static_port = static.rsplit(":", 1)[1]
    assert "GET      http://localhost:" in output and "mock" in output and "(items)" in output
    assert f"Inspector: http://localhost:{port}/_emu/" in output
    assert f"Frontend:  http://localhost:{static_port}/" in output
    # The mocked function's handler was never imported.
    assert "not_written_yet" not in output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--mock", "itemz={}"], "no function 'itemz' (did you mean 'items'?)"),
        (["--mock", "items={broken"], "invalid JSON or YAML"),
        (["--static", "no-such-folder"], "--static no-such-folder: no such folder"),
    ],
)
def test_serve_refuses_bad_frontend_options(tmp_path: Path, extra: list[str], message: str) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(CONFIG)
    command = [sys.executable, "-m", "emulator.cli", "serve", "--config", str(config)]
    result = subprocess.run(
        [*command, "--code-dir", str(LAMBDAS), "--port", str(free_port()), *extra],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert message in result.stderr
