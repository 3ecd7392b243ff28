"""Exposure: loopback by default, a loud warning otherwise, and no request content near a shell or eval."""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator.cli import build_parser
from emulator.server import warn_if_exposed
from tests.conftest import ROOT
from tests.live import start_server

CONFIG = """
apis:
  shop: {}
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: /echo, method: GET, proxy: true}
"""

WARNING = "!!! apig-emu is listening on"


def test_serve_defaults_to_loopback() -> None:
    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"


@pytest.mark.slow
def test_serve_binds_loopback_and_stays_quiet(tmp_path: Path) -> None:
    server = start_server(tmp_path, CONFIG, host=None)
    server.stop()
    log = server.log()
    assert f"Listening on http://127.0.0.1:{server.port} (Ctrl-C to stop)" in log
    assert WARNING not in log


@pytest.mark.slow
def test_serve_on_all_interfaces_warns_loudly(tmp_path: Path) -> None:
    server = start_server(tmp_path, CONFIG, host="0.0.0.0")
    server.stop()
    log = server.log()
    assert f"{WARNING} 0.0.0.0, reachable from other machines" in log
    # Loud: before the server starts taking requests, not buried after it.
    assert log.index(WARNING) < log.index("Listening on")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_addresses_do_not_warn(host: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        warn_if_exposed(host)
    assert WARNING not in caplog.text


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "my-laptop.local"])
def test_other_addresses_warn(host: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        warn_if_exposed(host)
    assert f"{WARNING} {host}" in caplog.text


def _python_files() -> Iterator[Path]:
    yield from sorted((ROOT / "emulator").rglob("*.py"))


#: Calls through which text could become code or a shell command.
_FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
_FORBIDDEN_ATTRIBUTES = {("os", "system"), ("os", "popen"), ("os", "execv"), ("os", "execvp")}
#: Unpickling runs code; only a process worker may do it, on what the gateway itself pickled for it.
#: The gateway side never unpickles anything a handler could have written.
_UNPICKLE = {("pickle", "load"), ("pickle", "loads")}
_MAY_UNPICKLE = {Path("emulator/runtime/worker.py")}


def _offences(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        where = f"{path.relative_to(root)}:{node.lineno}"
        func = node.func
        if isinstance(func, ast.Name) and func.id in _FORBIDDEN_CALLS:
            found.append(f"{where}: {func.id}()")
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            called = (func.value.id, func.attr)
            if called in _FORBIDDEN_ATTRIBUTES or (
                called in _UNPICKLE and path.relative_to(root) not in _MAY_UNPICKLE
            ):
                found.append(f"{where}: {func.value.id}.{func.attr}()")
        for keyword in node.keywords:
            if keyword.arg == "shell" and not (
                isinstance(keyword.value, ast.Constant) and not keyword.value.value
            ):
                found.append(f"{where}: shell=")
    return found


def test_no_request_content_can_reach_a_shell_or_eval() -> None:
    files = list(_python_files())
    assert len(files) > 20
    offences = [offence for path in files for offence in _offences(path)]
    assert offences == []


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os, subprocess\neval(x)\nos.system(x)\nsubprocess.run(x, shell=True)\npickle.loads(x)\n"
    )
    assert _offences(sample, tmp_path) == [
        "sample.py:2: eval()",
        "sample.py:3: os.system()",
        "sample.py:4: shell=",
        "sample.py:5: pickle.loads()",
    ]


PROXY_ALL = """
apis:
  shop: {}
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: "/{proxy+}", method: ANY, proxy: true}
"""


@pytest.mark.slow
def test_the_inspector_is_never_reachable_through_a_stage(tmp_path: Path) -> None:
    server = start_server(tmp_path, PROXY_ALL)
    try:
        inspector = requests.get(server.url + "/_emu/api/routes", timeout=5)
        assert inspector.status_code == 200
        assert isinstance(inspector.json(), list)  # the inspector is there, at its own path
        for method, path in [
            ("GET", "/Prod/_emu/api/routes"),
            ("GET", "/Prod/_emu/"),
            ("DELETE", "/Prod/_emu/api/invocations"),
            ("POST", "/Prod/_emu/api/invocations/1/replay"),
        ]:
            response = requests.request(method, server.url + path, timeout=5)
            assert response.status_code == 200
            event = response.json()  # the API's handler answered, with the event it was given
            assert event["path"] == path.removeprefix("/Prod")
            assert event["requestContext"]["stage"] == "Prod"
        # A stage-like spelling of the inspector's prefix is a stage lookup, and no stage has that name.
        assert requests.get(server.url + "//_emu/api/routes", timeout=5).status_code == 403
    finally:
        server.stop()
