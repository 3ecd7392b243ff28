"""``serve --debug-port PORT``: the debugged function's worker starts under debugpy and waits for an IDE,
as ``sam local start-api -d`` does; ``--debug-function`` picks the function."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator.account import lambda_arn
from emulator.cli import main
from emulator.cli_debug import debugged
from emulator.config import load_definitions
from emulator.config.lambda_uris import invocation_uri
from emulator.model import Definitions
from emulator.runtime.debugging import DEBUG_TIMEOUT_S
from tests.conftest import LAMBDAS
from tests.live import alive, free_port, start_server
from tests.test_runtimes import OTHER, OTHERS, needs_another_python, path_with

needs_debugpy = pytest.mark.skipif(
    importlib.util.find_spec("debugpy") is None,
    reason="debugpy is not installed (pip install 'apig-emu[debug]')",
)

ONE = """
apis:
  shop: {}
functions:
  echo:
    handler: cases.echo_event
    timeout: 3
    triggers:
      - {api: shop, resource: /items, method: GET, proxy: true}
"""

TWO = """
apis:
  shop:
    stages:
      Prod: {variables: {fn: echo}}
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: /items, method: GET, proxy: true}
  other:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: /other, method: GET, proxy: true}
"""


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """``serve`` run in this process sets the log up for a server (a writer on fd 2 in the root logger's
    handlers): the tests after these must find logging as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in ("apig_emu", "uvicorn")}
    yield
    for handler in [handler for handler in root.handlers if handler not in handlers]:
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    for name, named_level in levels.items():
        logging.getLogger(name).setLevel(named_level)


def write(folder: Path, text: str) -> Path:
    path = folder / "apig.yaml"
    path.write_text(text)
    return path


def serve(capfd: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str]:
    code = main(["serve", "--config", str(config), "--code-dir", str(LAMBDAS), "--port", "0", *args])
    return code, capfd.readouterr().err


# Which function, and what is refused


def test_with_several_functions_the_one_to_debug_must_be_named(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code, err = serve(capfd, write(tmp_path, TWO), "--debug-port", str(free_port()))
    assert code == 2
    assert (
        "apig-emu serve: --debug-port: the definitions have 2 functions (echo, other); name the one to debug "
        "with --debug-function NAME"
    ) in err


def test_an_unknown_function_is_refused_with_a_suggestion(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code, err = serve(capfd, write(tmp_path, TWO), "-d", str(free_port()), "--debug-function", "ehco")
    assert code == 2
    assert (
        "--debug-function: no function 'ehco' (did you mean 'echo'?); the functions are: echo, other" in err
    )


def test_debug_function_alone_is_refused(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code, err = serve(capfd, write(tmp_path, TWO), "--debug-function", "echo")
    assert (code, err.strip()) == (2, "apig-emu serve: --debug-function needs --debug-port PORT")


def test_thread_isolation_cannot_debug_a_worker(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code, err = serve(capfd, write(tmp_path, ONE), "-d", str(free_port()), "--isolation", "thread")
    assert code == 2
    assert (
        "--debug-port starts a function's worker process under debugpy, so it needs --isolation process"
        in err
    )


@needs_debugpy
def test_a_port_in_use_is_refused(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, err = serve(capfd, write(tmp_path, ONE), "--debug-port", str(port))
    assert code == 2
    assert f"--debug-port: cannot listen on 127.0.0.1:{port}: Address already in use" in err


@pytest.mark.parametrize("port", ["0", "70000", "x"])
def test_a_port_out_of_range_is_refused(tmp_path: Path, capfd: pytest.CaptureFixture[str], port: str) -> None:
    with pytest.raises(SystemExit):
        serve(capfd, write(tmp_path, ONE), "--debug-port", port)
    assert f"expected a port number from 1 to 65535, got '{port}'" in capfd.readouterr().err


@needs_another_python
def test_a_python_without_debugpy_is_refused_naming_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The function runs on its runtime's Python, which has no debugpy (pyenv's bare interpreters)."""
    config = write(tmp_path, ONE.replace("timeout: 3", f"runtime: {OTHER}"))
    monkeypatch.setenv("PATH", path_with(tmp_path / "bin", {OTHER: OTHERS[OTHER]}))
    code, err = serve(capfd, config, "--debug-port", str(free_port()))
    python = tmp_path / "bin" / OTHER
    assert code == 2
    assert (
        f"--debug-port: {python} cannot import debugpy (ModuleNotFoundError: No module named 'debugpy'); "
        in err
    )
    assert f"install it for that Python ({python} -m pip install debugpy" in err


def test_the_debugged_function_waits_as_long_as_the_debugger_needs(tmp_path: Path) -> None:
    definitions = load_definitions(write(tmp_path, TWO), code_dir=LAMBDAS)
    ready = debugged(definitions, "echo")
    assert (ready.functions["echo"].timeout, ready.functions["echo"].concurrency) == (DEBUG_TIMEOUT_S, 1)
    assert ready.functions["other"] == definitions.functions["other"]
    resources = ready.apis["shop"].resources
    assert resources["/items"].methods["GET"].integration.timeout_ms == DEBUG_TIMEOUT_S * 1000
    assert resources["/other"].methods["GET"].integration.timeout_ms == 29_000


def test_a_function_chosen_by_a_stage_variable_waits_too(tmp_path: Path) -> None:
    definitions = load_definitions(write(tmp_path, TWO), code_dir=LAMBDAS)
    shop = definitions.apis["shop"]
    items = shop.resources["/items"]
    get = items.methods["GET"]
    by_variable = dataclasses.replace(
        get.integration, function=None, uri=invocation_uri(lambda_arn("${stageVariables.fn}"))
    )
    items = dataclasses.replace(items, methods={"GET": dataclasses.replace(get, integration=by_variable)})
    shop = dataclasses.replace(shop, resources={**shop.resources, "/items": items})
    definitions = dataclasses.replace(definitions, apis={"shop": shop})

    def timeout_ms(ready: Definitions) -> int:
        return ready.apis["shop"].resources["/items"].methods["GET"].integration.timeout_ms

    # Stage Prod's variable fn names echo.
    assert timeout_ms(debugged(definitions, "echo")) == DEBUG_TIMEOUT_S * 1000
    assert timeout_ms(debugged(definitions, "other")) == 29_000


# Attaching


class DapClient:
    """The least of the Debug Adapter Protocol an IDE speaks to attach: initialize, attach, configurationDone."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""
        self.seq = 0
        self.seen: list[tuple[str, str]] = []

    def send(self, command: str, arguments: dict[str, object]) -> None:
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command, "arguments": arguments})
        self.sock.sendall(f"Content-Length: {len(body)}\r\n\r\n{body}".encode())

    def read(self) -> dict[str, object]:
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(65536)
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
        while len(rest) < length:
            rest += self.sock.recv(65536)
        self.buffer = rest[length:]
        message: dict[str, object] = json.loads(rest[:length])
        self.seen.append((str(message["type"]), str(message.get("command") or message.get("event"))))
        return message

    def attach(self) -> None:
        self.send("initialize", {"adapterID": "apig-emu-tests", "clientID": "tests"})
        self.send("attach", {"justMyCode": False})
        while True:
            message = self.read()
            if message.get("event") == "initialized":
                self.send("configurationDone", {})
            if message.get("command") in ("attach", "configurationDone") and not message.get("success", True):
                raise AssertionError(f"the debug server refused: {message}")
            if message.get("command") == "configurationDone":
                return

    def close(self) -> None:
        self.send("disconnect", {"terminateDebuggee": False})
        self.sock.close()


def connect(port: int, timeout: float = 30.0) -> DapClient:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return DapClient(port)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wait_for(predicate: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
@needs_debugpy
def test_the_worker_waits_under_debugpy_until_an_ide_attaches(tmp_path: Path) -> None:
    port = free_port()
    server = start_server(tmp_path, ONE, "--debug-port", str(port))
    answers: list[requests.Response] = []
    first = threading.Thread(
        target=lambda: answers.append(requests.get(server.url + "/Prod/items", timeout=60))
    )
    try:
        first.start()
        waiting = re.compile(
            rf"function 'echo': worker pid (\d+) waits for a debugger on 127\.0\.0\.1:{port}"
        )
        wait_for(lambda: waiting.search(server.log()), "the worker to wait for a debugger")
        pid = int(waiting.search(server.log()).group(1))  # type: ignore[union-attr]
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert [b"--debug", f"127.0.0.1:{port}".encode()] == arguments[-3:-1]
        # Listening (the worker binds the port once started: a few tries), and holding the request until
        # a debugger attaches: no answer while only connected.
        client = connect(port)
        time.sleep(1.5)
        assert answers == [] and first.is_alive()
        client.attach()
        first.join(timeout=30)
        assert answers[0].status_code == 200
        assert answers[0].json()["path"] == "/items"
        # The same warm worker, with the debugger still attached, serves the next request.
        assert requests.get(server.url + "/Prod/items", timeout=30).status_code == 200
        first_report, second_report = server.log().split("GET /Prod/items 200")[:2]
        assert "Init Duration" in first_report and "Init Duration" not in second_report
        client.close()
    finally:
        server.stop()
        first.join(timeout=10)
    wait_for(lambda: not alive(pid), "the worker to end with the server")
