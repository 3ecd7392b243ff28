"""serverless.yml through the commands and the pytest plugin, as a serverless-offline user switches over.

``--config serverless.yml`` (or none, in the service's folder) for ``routes``, ``validate`` and
``serve``; ``custom.serverless-offline``'s port, prefix and ``noPrependStageInUrl``; a project whose
tests use the ``apig`` fixture over its serverless.yml.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator.auth.tokens import mint
from emulator.cli import main
from emulator.config import load
from emulator.config.serverless.service import load_serverless
from emulator.model import Serving
from emulator.testing import Harness
from tests.conftest import PYTESTER_ARGS, ROOT
from tests.live import free_port

FIXTURE = Path(__file__).parent / "fixtures" / "serverless"
SERVICE = FIXTURE / "serverless.yml"

pytest_plugins = ["pytester"]


def test_routes_reads_the_service_and_its_serverless_offline_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "--config", str(SERVICE)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].split() == [
        "GET",
        "http://localhost:4000/dev/hello/{name}",
        "lambda-proxy",
        "hello",
        "yes",
        "dev-shop",
        "(4r17thfs42)",
    ]
    assert main(["routes", "-t", str(SERVICE), "--port", "5000"]) == 0
    assert "http://localhost:5000/dev/status/payments" in capsys.readouterr().out


def test_routes_finds_serverless_yml_in_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(FIXTURE)
    assert main(["routes"]) == 0
    captured = capsys.readouterr()
    assert (
        "apig-emu: using serverless.yml, a Serverless Framework service (no --config given)" in captured.err
    )
    assert "http://localhost:4000/dev/orders" in captured.out


def test_stage_is_opt_stage(capsys: pytest.CaptureFixture[str]) -> None:
    """``--stage prod`` is ``${opt:stage}``: the provider's stage, the API's name, the table's URLs."""
    assert main(["routes", "--config", str(SERVICE), "--stage", "prod"]) == 0
    out = capsys.readouterr().out
    assert "http://localhost:4000/prod/orders" in out and "prod-shop" in out
    assert "/dev/" not in out


def test_export_s_stage_is_opt_stage_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--format", "openapi", "--config", str(SERVICE), "--stage", "qa"]) == 0
    out = capsys.readouterr().out
    assert "title: qa-shop" in out and "default: qa" in out


@pytest.mark.slow
def test_validate_imports_every_handler_and_names_the_plugins(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--config", str(SERVICE)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == f"{SERVICE}: 1 API(s), 3 function(s), no errors, 2 warning(s)"
    assert (
        f"{SERVICE}:8: plugins[0]: plugin 'serverless-python-requirements' is not run: apig-emu runs no Serverless "
        "plugins; it is skipped" in captured.err
    )
    assert main(["validate", "--config", str(SERVICE), "--fail-on-warnings"]) == 1


@pytest.mark.slow
def test_validate_reports_a_handler_that_does_not_import_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = tmp_path / "serverless.yml"
    service.write_text(
        textwrap.dedent(
            """
            service: broken
            provider: {name: aws, runtime: python3.12}
            functions:
              hello:
                handler: api/missing.hello
                events:
                  - http: GET hello
            """
        )
    )
    assert main(["validate", "--config", str(service)]) == 1
    err = capsys.readouterr().err
    assert f"{service}:6: functions.hello.handler: " in err
    assert "No module named 'api'" in err


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``apig-emu serve`` in the service's folder, without --config, as ``sls offline`` is run there."""
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emulator.cli",
                "serve",
                "--port",
                str(port),
                "--no-reload",
                "--isolation",
                "thread",
            ],
            cwd=FIXTURE,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT), "SHOP_GREETING": "Hi"},
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while process.poll() is None and time.monotonic() < deadline:
        try:
            requests.get(url + "/", timeout=0.5)
            break
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.05)
    try:
        yield url, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_serve_answers_the_service_end_to_end(served: tuple[str, Path]) -> None:
    url, log_path = served
    hello = requests.get(url + "/dev/hello/ada", timeout=10)
    assert hello.status_code == 200, log_path.read_text()
    assert hello.json()["message"] == "Hi, ada!"
    status = requests.get(url + "/dev/status", timeout=10)
    assert (status.status_code, status.json()["status"]) == (200, "ok")
    # private: true. The service's key has no value in serverless.yml: serve lists the one it derives.
    assert requests.get(url + "/dev/status/payments", timeout=10).status_code == 403
    listed = re.search(r"^  shop-partner +(\S+) ", log_path.read_text(), re.MULTILINE)
    assert listed is not None, log_path.read_text()
    down = requests.get(url + "/dev/status/payments", headers={"x-api-key": listed.group(1)}, timeout=10)
    assert (down.status_code, down.json()) == (503, {"message": "down for maintenance"})
    # Its Cognito authorizer: no token, AWS's 401; a token of the local issuer, minted from the same service.
    assert (
        requests.post(url + "/dev/orders", json={"item": "tea", "quantity": 1}, timeout=10).status_code == 401
    )
    token = mint(load_serverless(FIXTURE / "serverless.yml", environ={}).definitions, "alice")
    orders = requests.post(
        url + "/dev/orders", json={"item": "tea", "quantity": 1}, headers={"Authorization": token}, timeout=10
    )
    # Serverless's default request template makes the event; a Cognito authorizer sets no principalId.
    assert (orders.status_code, orders.json()) == (
        200,
        {"id": "order-1", "item": "tea", "quantity": 1, "by": ""},
    )
    log = log_path.read_text()
    assert "apig-emu: using serverless.yml, a Serverless Framework service (no --config given)" in log
    assert "GET      http://localhost:" in log and "/dev/status/payments" in log


# serverless-offline's settings


OFFLINE = """
service: site
provider: {{name: aws, runtime: python3.12}}
custom:
  serverless-offline:
{settings}
functions:
  echo:
    handler: cases.echo_event
    events:
      - http: GET items/{{id}}
"""


def offline_harness(tmp_path: Path, settings: str) -> Harness:
    service = tmp_path / "serverless.yml"
    service.write_text(OFFLINE.format(settings=textwrap.indent(textwrap.dedent(settings), "    ")))
    loaded = load_serverless(service, code_dir=ROOT / "tests" / "lambdas", environ={})
    assert not loaded.errors, loaded.errors
    return Harness(loaded.definitions)


def test_the_prefix_comes_before_the_stage(tmp_path: Path) -> None:
    with offline_harness(tmp_path, "prefix: api/v1") as harness:
        response = harness.get("/api/v1/dev/items/7")
        assert response.status_code == 200
        event = response.json()
        assert (event["path"], event["requestContext"]["path"]) == ("/items/7", "/dev/items/7")
        missing = harness.get("/dev/items/7")
        assert (missing.status_code, missing.json()) == (403, {"message": "Missing Authentication Token"})


def test_no_prepend_stage_in_url_serves_the_stage_at_the_root(tmp_path: Path) -> None:
    with offline_harness(tmp_path, "noPrependStageInUrl: true\nprefix: api") as harness:
        response = harness.get("/api/items/7")
        assert response.status_code == 200
        event = response.json()
        assert (event["path"], event["requestContext"]["path"], event["requestContext"]["stage"]) == (
            "/items/7",
            "/items/7",
            "dev",
        )
        assert harness.get("/api/dev/items/7").status_code == 403


def test_no_stage_prefix_is_the_same_switch_as_no_prepend_stage_in_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--no-stage-prefix`` sets what ``noPrependStageInUrl`` sets: the service's prefix and port stay."""
    service = tmp_path / "serverless.yml"
    service.write_text(OFFLINE.format(settings="    httpPort: 4100\n    prefix: api"))
    lambdas = str(ROOT / "tests" / "lambdas")
    loaded = load(service, code_dir=lambdas, no_stage_prefix=True)
    assert not loaded.errors, loaded.errors
    assert loaded.definitions.serving == Serving(port=4100, path_prefix="api", stage_in_path=False)
    assert main(["routes", "--config", str(service), "--code-dir", lambdas, "--no-stage-prefix"]) == 0
    out = capsys.readouterr().out
    assert "http://localhost:4100/api/items/{id}" in out
    assert "/api/dev/items" not in out
    with Harness(service, code_dir=lambdas, stage_prefix=False) as harness:
        event = harness.get("/api/items/7").json()
        assert (event["path"], event["requestContext"]["path"], event["requestContext"]["stage"]) == (
            "/items/7",
            "/items/7",
            "dev",
        )
        assert harness.get("/api/dev/items/7").status_code == 403


def test_routes_shows_the_urls_where_they_are_served(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = tmp_path / "serverless.yml"
    settings = "    httpPort: 4100\n    prefix: api\n    noPrependStageInUrl: true\n    useDocker: true"
    service.write_text(OFFLINE.format(settings=settings))
    assert main(["routes", "--config", str(service), "--code-dir", str(ROOT / "tests" / "lambdas")]) == 0
    captured = capsys.readouterr()
    assert "http://localhost:4100/api/items/{id}" in captured.out
    assert (
        f"{service}:9: custom.serverless-offline.useDocker: custom.serverless-offline.useDocker is "
        "serverless-offline's own setting, which apig-emu does not read; it is ignored" in captured.err
    )


# The pytest plugin


PROJECT_TEST = """
def test_hello(apig):
    response = apig.get("/dev/hello/ann")
    assert response.status_code == 200
    assert response.json()["message"] == "Hello, ann!"


def test_status_patterns(apig):
    assert apig.get("/dev/status/payments").status_code == 403  # private: true
    key = apig.definitions.api_keys["shop-partner"].value
    assert apig.get("/dev/status/payments", headers={"x-api-key": key}).status_code == 503
"""


STAGED_TEST = """
def test_staged(apig):
    assert apig.get("/qa/hello/ann").json()["stage"] == "qa"
"""


@pytest.mark.slow
def test_the_plugin_takes_the_stage_from_its_option(pytester: pytest.Pytester) -> None:
    shutil.copytree(FIXTURE, pytester.path, dirs_exist_ok=True)
    pytester.makepyfile(test_staged=STAGED_TEST)
    result = pytester.runpytest(*PYTESTER_ARGS, "--apig-stage", "qa")
    result.assert_outcomes(passed=1, warnings=1)
    result = pytester.runpytest(*PYTESTER_ARGS, "-o", "apig_stage=qa")
    result.assert_outcomes(passed=1, warnings=1)


@pytest.mark.slow
def test_the_plugin_serves_the_project_s_serverless_yml(pytester: pytest.Pytester) -> None:
    shutil.copytree(FIXTURE, pytester.path, dirs_exist_ok=True)
    pytester.makepyfile(test_service=PROJECT_TEST)
    result = pytester.runpytest(*PYTESTER_ARGS)
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*ConfigWarning: apig-emu: 2 warnings in the API definitions:",
            # fnmatch reads [0] as a character class
            "*serverless.yml:8: plugins?0?: plugin 'serverless-python-requirements' is not run*",
        ]
    )
