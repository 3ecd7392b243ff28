"""A function's ``Runtime`` (``runtime:``): process isolation runs its workers with that Python where the
PATH has one that runs, and every other case is a warning that says which Python runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests
import yaml

from emulator.cli import main
from emulator.config import ConfigWarning
from emulator.runtime import interpreters
from emulator.runtime.interpreters import RUNNING
from emulator.testing import Harness
from tests.conftest import PYTESTER_ARGS, ROOT
from tests.live import start_server

pytest_plugins = ["pytester"]


def _pyenv_pythons() -> dict[str, Path]:
    """The Pythons 3.10+ pyenv has installed, by runtime name, other than the one running the tests."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found: dict[str, Path] = {}
    for folder in sorted(root.glob("3.*")):
        major_minor = ".".join(folder.name.split(".")[:2])
        executable = folder / "bin" / f"python{major_minor}"
        runtime = f"python{major_minor}"
        if executable.is_file() and runtime != RUNNING and tuple(map(int, major_minor.split("."))) >= (3, 10):
            found.setdefault(runtime, executable)
    return found


OTHERS = _pyenv_pythons()
needs_another_python = pytest.mark.skipif(not OTHERS, reason="no other Python 3.10+ installed by pyenv")
#: A Python other than the running one, and the oldest and newest of them all, running one included.
OTHER = next(iter(OTHERS), "")
OLDEST = min([*OTHERS, RUNNING], key=lambda name: int(name.split(".")[1]))
NEWEST = max([*OTHERS, RUNNING], key=lambda name: int(name.split(".")[1]))


def path_with(folder: Path, runtimes: dict[str, Path]) -> str:
    """A PATH whose first folder holds ``pythonX.Y`` for each runtime, as an activated virtualenv's would."""
    folder.mkdir(parents=True, exist_ok=True)
    for runtime, executable in runtimes.items():
        (folder / runtime).symlink_to(executable)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def fake_python(folder: Path, runtime: str, script: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / runtime
    path.write_text("#!/bin/sh\n" + textwrap.dedent(script))
    path.chmod(0o755)
    return path


# Finding the interpreter


def test_a_runtime_missing_from_the_path_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    found = interpreters.find("python3.99")
    assert (found.executable, found.problem) == (None, "no python3.99 is on the PATH")


def test_an_interpreter_that_does_not_run_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pyenv shim for a version pyenv has not activated is on the PATH, and fails."""
    shim = fake_python(
        tmp_path, "python3.99", 'echo "pyenv: python3.99: command not found" >&2\necho more >&2\nexit 127\n'
    )
    monkeypatch.setenv("PATH", str(tmp_path))
    found = interpreters.find("python3.99")
    assert found.executable is None
    assert (
        found.problem
        == f"the python3.99 on the PATH, {shim}, does not run: pyenv: python3.99: command not found"
    )


def test_an_interpreter_of_another_version_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alias = fake_python(tmp_path, "python3.99", "echo 3.12\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    found = interpreters.find("python3.99")
    assert (found.executable, found.problem) == (None, f"the python3.99 on the PATH, {alias}, is Python 3.12")


def test_the_interpreter_is_run_once_per_runtime_and_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = tmp_path / "runs"
    python = fake_python(tmp_path / "bin", "python3.99", f"echo run >> {runs}\necho 3.99\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert interpreters.find("python3.99").executable == str(python)
    assert interpreters.find("python3.99").executable == str(python)
    assert runs.read_text().splitlines() == ["run"]


def test_a_python_older_than_the_workers_support_is_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = tmp_path / "runs"
    old = fake_python(tmp_path, "python3.9", f"echo run >> {runs}\necho 3.9\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    found = interpreters.find("python3.9")
    assert (found.executable, found.fixable) == (None, False)
    assert found.problem == f"apig-emu's workers run on Python 3.10 or later, not on {old}"
    assert not runs.exists()


# The definitions

CONFIG = """
apis:
  shop: {{}}
functions:
  other:
    handler: version.handler
    runtime: {runtime}
    environment: {{EXPECTED: "{expected}"}}
    triggers:
      - {{api: shop, resource: /other, method: GET, proxy: true}}
  same:
    handler: version.handler
    environment: {{EXPECTED: "{running}"}}
    triggers:
      - {{api: shop, resource: /same, method: GET, proxy: true}}
"""

#: Refuses to import on another Python than the function's ``EXPECTED``: the import check must run it there.
HANDLER = """
import json
import os
import sys

RUNNING = "%d.%d" % sys.version_info[:2]
if RUNNING != os.environ["EXPECTED"]:
    raise ImportError(f"imported on Python {RUNNING}, not {os.environ['EXPECTED']}")


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"version": RUNNING, "executable": sys.executable})}
"""


def write_app(folder: Path, runtime: str, *, expected: str | None = None) -> Path:
    (folder / "version.py").write_text(HANDLER)
    config = folder / "apig.yaml"
    version = runtime.removeprefix("python")
    config.write_text(
        CONFIG.format(runtime=runtime, expected=expected or version, running=RUNNING.removeprefix("python"))
    )
    return config


def test_a_runtime_that_is_no_python_is_an_error_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_app(tmp_path, "nodejs20.x")
    assert main(["validate", "--config", str(config), "--code-dir", str(tmp_path)]) == 1
    assert (
        f"{config}:7: functions.other.runtime: invalid runtime 'nodejs20.x'; expected a Lambda Python runtime "
        "like python3.12"
    ) in capsys.readouterr().err


def test_without_the_runtimes_python_the_warning_says_what_runs_it_and_how_to_change_that(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_app(tmp_path, "python3.99", expected=RUNNING.removeprefix("python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["validate", "--config", str(config), "--code-dir", str(tmp_path)]) == 0
    assert (
        f"{config}:7: functions.other.runtime: function 'other' is written for python3.99, not {RUNNING}, "
        f"which runs apig-emu: it runs on {RUNNING} ({sys.executable}), as no python3.99 is on the PATH; "
        "put a python3.99 that runs on the PATH (a virtualenv made with it, activated, will do) to run its "
        "workers with it"
    ) in capsys.readouterr().err
    assert main(["validate", "--config", str(config), "--code-dir", str(tmp_path), "--fail-on-warnings"]) == 1


def test_a_templates_runtime_is_the_functions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        textwrap.dedent(
            """\
            Transform: AWS::Serverless-2016-10-31
            Globals:
              Function:
                Runtime: python3.99
            Resources:
              Hello:
                Type: AWS::Serverless::Function
                Properties: {Handler: version.handler, CodeUri: ., Environment: {Variables: {EXPECTED: "3"}}}
            """
        )
    )
    (tmp_path / "version.py").write_text("def handler(event, context):\n    return {}\n")
    assert main(["routes", "-t", str(template)]) == 0
    assert (
        f"{template}:4: Globals.Function.Runtime: function 'Hello' is written for python3.99, not {RUNNING}"
    ) in capsys.readouterr().err


def test_thread_isolation_runs_it_here_and_says_so(tmp_path: Path) -> None:
    config = write_app(tmp_path, "python3.99", expected=RUNNING.removeprefix("python"))
    with pytest.warns(ConfigWarning) as caught, Harness(config, code_dir=tmp_path) as apig:
        assert apig.get("/Prod/other").json()["version"] == RUNNING.removeprefix("python")
    message = str(caught[0].message)
    assert (
        f"function 'other' is written for python3.99, not {RUNNING}, which runs apig-emu: --isolation thread "
        f"runs every handler in apig-emu's own process, so it runs on {RUNNING} ({sys.executable}); "
        "no python3.99 is on the PATH, where --isolation process would find one"
    ) in message


def test_export_keeps_each_functions_runtime_unless_told_otherwise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_app(tmp_path, "python3.10")
    base = ["export", "--format", "sam", "--config", str(config), "--code-dir", str(tmp_path)]
    assert main(base) == 0
    resources = yaml.safe_load(capsys.readouterr().out)["Resources"]
    runtimes = {name: resource["Properties"].get("Runtime") for name, resource in resources.items()}
    assert runtimes["OtherFunction"] == "python3.10"
    assert runtimes["SameFunction"] == RUNNING
    assert main([*base, "--runtime", "python3.12"]) == 0
    resources = yaml.safe_load(capsys.readouterr().out)["Resources"]
    assert resources["OtherFunction"]["Properties"]["Runtime"] == "python3.12"


# Running it


@needs_another_python
def test_the_first_message_reaches_a_worker_of_any_version(tmp_path: Path) -> None:
    """Paths are pickled so that the oldest worker reads what the newest gateway writes, and the reverse."""
    write = (
        "import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path\n"
        "from emulator.model import Function\n"
        "from emulator.runtime import wire\n"
        "function = Function('f', 'app.handler', Path('/code'), layer_paths=(Path('/layer/python'),))\n"
        "frame = getattr(wire, sys.argv[2])\n"
        "sys.stdout.buffer.write(frame(('init', function, True)))\n"
    )
    read = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from emulator.runtime.worker import read_request\n"
        "_, function, _ = read_request(sys.stdin.buffer)\n"
        "print(type(function.code_dir).__name__, function.code_dir, *function.layer_paths)\n"
    )
    pythons = {**OTHERS, RUNNING: Path(sys.executable)}
    for writer, reader in ((NEWEST, OLDEST), (OLDEST, NEWEST)):
        message = subprocess.run(
            [pythons[writer], "-c", write, str(ROOT), "frame_init"], capture_output=True, check=True
        ).stdout
        ran = subprocess.run([pythons[reader], "-c", read, str(ROOT)], input=message, capture_output=True)
        assert ran.stdout.decode().split() == ["PosixPath", "/code", "/layer/python"], ran.stderr.decode()


@needs_another_python
def test_validate_imports_the_handler_with_the_runtimes_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_app(tmp_path, OTHER)
    monkeypatch.setenv("PATH", path_with(tmp_path / "bin", {OTHER: OTHERS[OTHER]}))
    assert main(["validate", "--config", str(config), "--code-dir", str(tmp_path)]) == 0
    assert (
        f"its workers run on {tmp_path / 'bin' / OTHER}, the {OTHER} on the PATH" in capsys.readouterr().err
    )
    # The same handler checked on the running Python refuses to import, as it would run there.
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["validate", "--config", str(config), "--code-dir", str(tmp_path)]) == 1
    assert f"imported on Python {RUNNING.removeprefix('python')}, not" in capsys.readouterr().err


@pytest.mark.slow
@needs_another_python
def test_serve_runs_the_workers_on_the_runtimes_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_app(tmp_path, OTHER)
    python = tmp_path / "bin" / OTHER
    monkeypatch.setenv("PATH", path_with(tmp_path / "bin", {OTHER: OTHERS[OTHER]}))
    server = start_server(tmp_path, config.read_text(), "--code-dir", str(tmp_path))
    try:
        other = requests.get(server.url + "/Prod/other", timeout=30).json()
        same = requests.get(server.url + "/Prod/same", timeout=30).json()
    finally:
        server.stop()
    assert other == {"version": OTHER.removeprefix("python"), "executable": str(python)}
    assert same == {"version": RUNNING.removeprefix("python"), "executable": sys.executable}
    assert f"function 'other' is written for {OTHER}, not {RUNNING}" in server.log()


@pytest.mark.slow
@needs_another_python
def test_serve_under_thread_isolation_warns_that_it_cannot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_app(tmp_path, OTHER, expected=RUNNING.removeprefix("python"))
    monkeypatch.setenv("PATH", path_with(tmp_path / "bin", {OTHER: OTHERS[OTHER]}))
    server = start_server(tmp_path, config.read_text(), "--code-dir", str(tmp_path), "--isolation", "thread")
    try:
        other = requests.get(server.url + "/Prod/other", timeout=30).json()
    finally:
        server.stop()
    assert other["version"] == RUNNING.removeprefix("python")
    assert (
        f"--isolation thread runs every handler in apig-emu's own process, so it runs on {RUNNING} "
        f"({sys.executable}); --isolation process would run its workers on {tmp_path / 'bin' / OTHER}"
    ) in server.log()


PLUGIN_TESTS = """
def test_other(apig):
    assert apig.get("/Prod/other").json()["version"] == "{version}"
"""


@pytest.mark.slow
@needs_another_python
def test_the_pytest_plugin_under_process_isolation_runs_it_there(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_app(pytester.path, OTHER)
    monkeypatch.setenv("PATH", path_with(pytester.path / "bin", {OTHER: OTHERS[OTHER]}))
    pytester.makeini("[pytest]\napig_config = apig.yaml\napig_isolation = process\n")
    pytester.makepyfile(test_app=PLUGIN_TESTS.replace("{version}", OTHER.removeprefix("python")))
    result = pytester.runpytest(*PYTESTER_ARGS, "-W", "ignore::UserWarning")
    result.assert_outcomes(passed=1)


def test_the_worker_code_imports_on_every_python_it_may_run_on() -> None:
    """The worker's own modules, on each installed Python: a syntax or API newer than 3.10 breaks them."""
    for python in [sys.executable, *OTHERS.values()]:
        ran = subprocess.run(
            [
                python,
                "-I",
                "-c",
                "import sys; sys.path.insert(0, sys.argv[1]); import emulator.runtime.worker",
                ROOT,
            ],
            capture_output=True,
            text=True,
        )
        assert ran.returncode == 0, f"{python}: {ran.stderr}"
