"""The command line as users run it: validate, routes, and serve on a real socket."""

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

from emulator.cli import main
from tests.conftest import LAMBDAS, ROOT

GOOD = """
apis:
  shop:
    stages: {Prod: {variables: {table: t}}}
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: "/items/{id}", method: GET, proxy: true, cors: true}
  broken:
    handler: broken_import.handler
    triggers:
      - {api: shop, resource: /broken, method: GET, proxy: true}
"""

BAD = """
apis:
  shop: {}
functions:
  echo:
    handler: cases.echo
    triggers:
      - {api: nope, resource: /x, method: GET}
      - {api: shop, resource: x, method: FETCH}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "apig.yaml"
    path.write_text(text)
    return path


def test_validate_reports_every_config_error_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, BAD)
    assert main(["validate", "--config", str(config), "--code-dir", str(LAMBDAS)]) == 1
    err = capsys.readouterr().err
    assert f"{config}:8: functions.echo.triggers[0].api" in err
    assert "'nope'" in err
    assert f"{config}:9: functions.echo.triggers[1].resource" in err
    assert f"{config}:9: functions.echo.triggers[1].method" in err
    assert "FETCH" in err


def test_validate_reports_handler_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, GOOD)
    assert main(["validate", "--config", str(config), "--code-dir", str(LAMBDAS)]) == 1
    err = capsys.readouterr().err
    assert "function 'broken': Runtime.ImportModuleError: Unable to import module 'broken_import'" in err
    assert "broken_import.py:1" in err


def test_validate_clean_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, GOOD.split("  broken:")[0])
    assert main(["validate", "--config", str(config), "--code-dir", str(LAMBDAS)]) == 0
    assert "no errors" in capsys.readouterr().out


def test_validate_the_bundled_example(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["validate"]) == 0


def test_routes_prints_full_urls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, GOOD)
    assert main(["routes", "--config", str(config), "--code-dir", str(LAMBDAS), "--port", "4321"]) == 0
    out = capsys.readouterr().out
    assert "GET      http://localhost:4321/Prod/items/{id}  lambda-proxy    echo" in out
    assert "OPTIONS  http://localhost:4321/Prod/items/{id}  cors-preflight" in out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_serve(*args: str, cwd: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator.cli", "serve", "--port", str(port), *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            requests.get(url + "/", timeout=0.5)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"serve did not start: {process.communicate()[0]}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    config = write(tmp_path, GOOD)
    process, url = start_serve("--config", str(config), "--code-dir", str(LAMBDAS), cwd=tmp_path)
    yield url, process
    process.terminate()
    process.wait(timeout=10)


def test_serve_answers_over_a_real_socket(served: tuple[str, subprocess.Popen[str]]) -> None:
    url, _ = served
    response = requests.get(url + "/Prod/items/7?x=1", headers={"tEsT-HEADeR": "aValUE"}, timeout=5)
    assert response.status_code == 200
    event = response.json()
    assert event["pathParameters"] == {"id": "7"}
    # The header's case survives uvicorn, which lowercases names for ASGI.
    assert event["headers"]["tEsT-HEADeR"] == "aValUE"
    assert event["headers"]["User-Agent"].startswith("python-requests/")
    assert event["headers"]["Host"] == url.removeprefix("http://")
    assert event["headers"]["X-Forwarded-Port"] == url.rsplit(":", 1)[1]
    assert event["requestContext"]["requestId"] == response.headers["x-amzn-RequestId"]
    assert "server" not in response.headers


def test_a_client_forwarded_for_header_is_appended_to_not_trusted(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    """sourceIp is the TCP peer, X-Forwarded-For gains it [reference 1.2, 1.3; AWS docs: $context.identity.sourceIp].

    uvicorn's own proxy-header handling would take the header's address for the peer's when the
    peer is 127.0.0.1, the usual local case: ``"203.0.113.9, 203.0.113.9"``.
    """
    url, _ = served
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Port": "8443"}
    event = requests.get(url + "/Prod/items/7", headers=headers, timeout=5).json()
    assert event["headers"]["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["headers"]["X-Forwarded-Port"] == url.rsplit(":", 1)[1]


def test_serve_keeps_serving_past_a_broken_handler(served: tuple[str, subprocess.Popen[str]]) -> None:
    url, process = served
    broken = requests.get(url + "/Prod/broken", timeout=5)
    assert broken.status_code == 502
    assert broken.content == b'{"message": "Internal server error"}'
    assert requests.get(url + "/Prod/items/1", timeout=5).status_code == 200
    process.terminate()
    output = process.communicate(timeout=10)[0]
    assert "GET      http://localhost:" in output
    assert "function 'broken': Runtime.ImportModuleError" in output
    assert "Runtime.ImportModuleError: Unable to import module 'broken_import'" in output


def test_serve_refuses_a_broken_config(tmp_path: Path) -> None:
    config = write(tmp_path, BAD)
    result = subprocess.run(
        [sys.executable, "-m", "emulator.cli", "serve", "--config", str(config), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "3 errors in the API definitions" in result.stderr


def test_importing_the_cli_loads_neither_the_web_stack_nor_the_gateway() -> None:
    """``validate`` and ``routes`` (and ``--help``) should not pay for Starlette, uvicorn or the request path."""
    probe = (
        "import sys, emulator.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'httpx') "
        "or m in ('emulator.gateway', 'emulator.events', 'emulator.routing', 'emulator.app')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
