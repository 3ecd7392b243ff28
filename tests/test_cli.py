"""The command line as users run it: validate, routes, and serve on a real socket."""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import emulator
from emulator.cli import build_parser, main, version
from tests.conftest import LAMBDAS, ROOT
from tests.live import SERVE

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


@pytest.mark.slow
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


PROJECT_CONFIG = """\
apis:
  shop: {}
functions:
  items:
    handler: handlers.items.handler
    memory: 64
    triggers:
      - {api: shp, resource: /items, method: GET}
  boom:
    handler: handlers.boom.handler
  needs:
    handler: handlers.needs.handler
  lost:
    handler: elsewhere.handler
  typo:
    handler: handlers.itemz.handler
  misnamed:
    handler: handlers.items.hander
  orders:
    triggers:
      - {api: shop, resource: /orders, method: GET}
"""

HANDLERS = {
    "__init__.py": "",
    "items.py": "def handler(event, context):\n    return {}\n",
    "boom.py": 'def connect():\n    raise RuntimeError("DB_URL is not set")\n\n\nconnect()\n',
    "needs.py": "import json\nimport not_installed_anywhere  # noqa\n",
}


def make_project(root: Path) -> Path:
    """A user's project: handlers in a package, and a config whose mistakes are of every kind."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "handlers").mkdir()
    for name, text in HANDLERS.items():
        (root / "handlers" / name).write_text(text)
    config = root / "apig.yaml"
    config.write_text(PROJECT_CONFIG)
    return config


def without_carets(text: str) -> list[str]:
    """The lines, less the ``^^^`` markers Python 3.11+ adds under some traceback lines."""
    return [line for line in text.splitlines() if line.strip(" ^~")]


@pytest.mark.slow
def test_validate_reports_every_kind_of_error_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Structure, references and handler imports together, each handler error at its ``handler:`` line."""
    config = make_project(tmp_path)
    assert main(["validate", "--config", str(config), "--code-dir", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    handlers = tmp_path / "handlers"
    assert without_carets(captured.err) == [
        "8 errors in the API definitions:",
        f"{config}:6: functions.items.memory: expected an integer from 128 to 10240, got 64",
        f"{config}:8: functions.items.triggers[0].api: unknown api 'shp' (did you mean 'shop'?); "
        "the apis are: shop",
        f"{config}:10: functions.boom.handler: RuntimeError: DB_URL is not set",
        "    Traceback (most recent call last):",
        f'      File "{handlers / "boom.py"}", line 5, in <module>',
        "        connect()",
        f'      File "{handlers / "boom.py"}", line 2, in connect',
        '        raise RuntimeError("DB_URL is not set")',
        f"{config}:12: functions.needs.handler: Runtime.ImportModuleError: Unable to import module "
        "'handlers.needs': No module named 'not_installed_anywhere'",
        "    Traceback (most recent call last):",
        f'      File "{handlers / "needs.py"}", line 2, in <module>',
        "        import not_installed_anywhere  # noqa",
        f"    hint: 'not_installed_anywhere' is neither under the code root, {tmp_path}, nor installed for "
        f"the Python that runs apig-emu ({sys.executable})",
        f"{config}:14: functions.lost.handler: Runtime.ImportModuleError: Unable to import module "
        "'elsewhere': No module named 'elsewhere'",
        f"    hint: handlers are imported from the code root, {tmp_path}, which holds no elsewhere.py or "
        "elsewhere/; if your code is in another folder, name that folder with --code-dir",
        f"{config}:16: functions.typo.handler: Runtime.ImportModuleError: Unable to import module "
        "'handlers.itemz': No module named 'handlers.itemz'",
        f"    hint: the package 'handlers' ({handlers}) has no module 'itemz'; did you mean 'items'?",
        f"{config}:18: functions.misnamed.handler: Runtime.HandlerNotFound: Handler 'hander' missing on "
        "module 'handlers.items'",
        "    hint: did you mean 'handlers.items.handler'?",
        f"{config}:19: functions.orders: missing required key 'handler'",
    ]
    assert "importlib" not in captured.err
    assert "emulator" not in captured.err


@pytest.mark.slow
def test_validate_hints_at_the_code_dir_that_holds_the_handlers(tmp_path: Path) -> None:
    """Run from the folder above the project, without ``--code-dir``: the code root is one level off."""
    project = tmp_path / "shop"
    config = make_project(project)
    config.write_text("functions:\n  items:\n    handler: handlers.items.handler\n")
    result = subprocess.run(
        [sys.executable, "-m", "emulator.cli", "validate", "--config", "shop/apig.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "1 error in the API definitions:",
        "shop/apig.yaml:3: functions.items.handler: Runtime.ImportModuleError: Unable to import module "
        "'handlers.items': No module named 'handlers'",
        f"    hint: handlers are imported from the code root, {tmp_path}, which holds no handlers.py or "
        f"handlers/; {project} holds handlers/items.py: --code-dir {project}",
    ]
    fixed = subprocess.run(
        [
            sys.executable,
            "-m",
            "emulator.cli",
            "validate",
            "--config",
            "shop/apig.yaml",
            "--code-dir",
            "shop",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (fixed.returncode, fixed.stdout) == (0, "shop/apig.yaml: 0 API(s), 1 function(s), no errors\n")


@pytest.mark.slow
def test_validate_names_a_handler_from_inside_the_code_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project(tmp_path / "src")
    config.write_text("functions:\n  items:\n    handler: src.handlers.items.handler\n")
    assert main(["validate", "--config", str(config), "--code-dir", str(tmp_path / "src")]) == 1
    assert capsys.readouterr().err.splitlines()[2:] == [
        f"    hint: handlers are imported from the code root, {tmp_path / 'src'}, which holds no src.py or "
        f"src/; {tmp_path} holds src/handlers/items.py: --code-dir {tmp_path}",
        "    hint: the code root is the folder 'src' itself, so the handler is named from inside it: "
        "'handlers.items.handler'",
    ]


@pytest.mark.slow
def test_validate_clean_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, GOOD.split("  broken:")[0])
    assert main(["validate", "--config", str(config), "--code-dir", str(LAMBDAS)]) == 0
    assert "no errors" in capsys.readouterr().out


@pytest.mark.slow
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
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or slow to answer
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_serve_keeps_serving_past_a_broken_handler(served: tuple[str, subprocess.Popen[str]]) -> None:
    url, process = served
    broken = requests.get(url + "/Prod/broken", timeout=5)
    assert broken.status_code == 502
    assert broken.content == b'{"message": "Internal server error"}'
    assert requests.get(url + "/Prod/items/1", timeout=5).status_code == 200
    process.terminate()
    output = process.communicate(timeout=10)[0]
    assert "GET      http://localhost:" in output
    assert "1 handler does not load; its routes answer as Lambda would, with an init error:" in output
    assert (
        "functions.broken.handler: Runtime.ImportModuleError: Unable to import module 'broken_import'"
        in output
    )


@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_serve_warns_with_validates_lines(
    tmp_path: Path, isolation: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same text in both isolations, though one imports in a throwaway process and one in serve's."""
    config = make_project(tmp_path / "project")
    config.write_text(
        PROJECT_CONFIG.split("  orders:")[0].replace("memory: 64", "memory: 128").replace("shp", "shop")
    )
    code_dir = str(tmp_path / "project")
    assert main(["validate", "--config", str(config), "--code-dir", code_dir]) == 1
    validated = capsys.readouterr().err.splitlines()
    assert validated[0] == "5 errors in the API definitions:"
    process, _ = start_serve(
        "--config", str(config), "--code-dir", code_dir, "--isolation", isolation, "--no-reload", cwd=tmp_path
    )
    process.terminate()
    output = process.communicate(timeout=10)[0].splitlines()
    start = output.index("5 handlers do not load; their routes answer as Lambda would, with an init error:")
    assert output[start + 1 : start + len(validated)] == validated[1:]


@pytest.mark.slow
def test_importing_the_cli_loads_neither_the_web_stack_nor_the_gateway() -> None:
    """``validate`` and ``routes`` (and ``--help``) should not pay for Starlette, uvicorn or the request path."""
    probe = (
        "import sys, emulator.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'httpx') "
        "or m in ('emulator.gateway', 'emulator.events', 'emulator.routing', 'emulator.app')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser's commands; argparse has no public way to list them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def port_options() -> list[tuple[str, str]]:
    """Every (command, option) that takes a port, found by name so that a new one is checked too."""
    return [
        (name, option)
        for name, command in subcommands(build_parser()).items()
        for action in command._actions
        for option in action.option_strings
        if option.endswith("port")
    ]


def test_the_ports_are_found() -> None:
    assert {("serve", "--port"), ("serve", "--static-port"), ("routes", "--port")} <= set(port_options())


@pytest.mark.parametrize(("command", "option"), port_options())
@pytest.mark.parametrize("value", ["99999", "65536", "-1", "3000.5", "http"])
def test_a_port_outside_0_to_65535_is_an_argument_error_naming_the_option(
    command: str, option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, option, value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    # An option with a short alias too is named with it: "--debug-port/-d".
    assert re.search(rf"apig-emu {command}: error: argument {option}(/-\w)?: ", err)
    # 0 to 65535, or 1 to 65535 where 0 (any free port) means nothing, as for --debug-port.
    assert re.search(r"\b[01] to 65535", err)


def test_routes_takes_the_highest_port_and_refuses_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, GOOD)
    assert main(["routes", "--config", str(config), "--code-dir", str(LAMBDAS), "--port", "65535"]) == 0
    assert "http://localhost:65535/Prod/items/{id}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["routes", "--config", str(config), "--port", "0"])
    assert "argument --port: 0 is not a port a URL can name" in capsys.readouterr().err


def test_every_command_has_a_description_and_every_option_a_help_text() -> None:
    parser = build_parser()
    missing = []
    for name, command in [("apig-emu", parser), *subcommands(parser).items()]:
        if not (command.description or "").strip():
            missing.append(f"{name}: no description")
        for action in command._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}: no help")
    for listed in next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )._choices_actions:
        if not (listed.help or "").strip():
            missing.append(f"apig-emu --help: {listed.dest} has no summary")
    assert missing == []


@pytest.mark.parametrize("command", sorted(subcommands(build_parser())))
def test_a_commands_help_shows_its_description(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    description = subcommands(build_parser())[command].description or ""
    assert description
    # argparse rewraps it, breaking lines at spaces and hyphens.
    assert "".join(description.split()) in "".join(capsys.readouterr().out.split())


@pytest.mark.slow
def test_version_prints_the_installed_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator.cli", "--version"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    installed = importlib.metadata.version("apig-emu")
    assert result.stdout == f"apig-emu {installed} (Python {platform.python_version()})\n"
    # What an uninstalled checkout falls back on (below) is the same number.
    assert emulator.__version__ == installed


def test_version_from_a_checkout_that_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert version() == f"{emulator.__version__} (not installed)"


@pytest.mark.slow
def test_serve_on_port_0_prints_the_port_it_listens_on(tmp_path: Path) -> None:
    """The route table, the inspector's and the frontend's lines name the ports the kernel picked."""
    config = write(tmp_path, GOOD)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>the frontend</p>")
    log = tmp_path / "serve.log"
    options = ["--code-dir", str(LAMBDAS), "--port", "0", "--static", str(site), "--static-port", "0"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*SERVE, "--config", str(config), *options],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        deadline = time.monotonic() + 20
        while "Listening on" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        output = log.read_text()
        table = re.search(r"GET +http://localhost:(\d+)/Prod/items/\{id\}", output)
        assert table is not None, output
        port = int(table.group(1))
        assert port != 0
        assert f"Inspector: http://localhost:{port}/_emu/" in output
        assert f"Listening on http://127.0.0.1:{port} (Ctrl-C to stop)" in output
        frontend = re.search(r"Frontend: +http://localhost:(\d+)/", output)
        assert frontend is not None, output
        static_port = int(frontend.group(1))
        assert static_port not in (0, port)
        assert requests.get(f"http://127.0.0.1:{port}/Prod/items/7", timeout=10).json()["pathParameters"] == {
            "id": "7"
        }
        assert requests.get(f"http://127.0.0.1:{port}/_emu/", timeout=10).status_code == 200
        assert requests.get(f"http://127.0.0.1:{static_port}/", timeout=10).text == "<p>the frontend</p>"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.slow
def test_serve_on_a_port_in_use_says_so_before_printing_routes(tmp_path: Path) -> None:
    config = write(tmp_path, GOOD)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*SERVE, "--config", str(config), "--code-dir", str(LAMBDAS), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stdout == ""  # no route table for a server that never ran
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"apig-emu serve: cannot listen on 127.0.0.1:{port}: Address already in use"
    # The handler warnings indent their tracebacks; apig-emu's own would start a line.
    assert not any(line.startswith("Traceback") for line in result.stderr.splitlines())
