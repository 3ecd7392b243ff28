"""A user's package named ``emulator``, apig-emu's own import name: theirs in process isolation, as on
Lambda, and refused with a clear message in thread isolation, where it cannot be theirs."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
import requests

from emulator.cli import main
from emulator.config import load_definitions
from emulator.runtime.import_check import check_handlers
from emulator.runtime.shadowing import provided
from emulator.runtime.threads import check_handlers as check_handlers_here
from emulator.testing import Harness
from tests.conftest import PYTESTER_ARGS, ROOT
from tests.live import start_server

CONFIG = """
apis:
  shop: {}
functions:
  hello:
    handler: shop_app.handler
    triggers: [{api: shop, resource: /hello, method: GET}]
"""

APP = """
from emulator import GREETING
from emulator.helper import shout


def handler(event, context):
    return {"greeting": shout(GREETING)}
"""

EXPECTED = {"greeting": "HELLO FROM THE USER'S PACKAGE"}

pytest_plugins = ["pytester"]


def make_project(root: Path) -> Path:
    """A project whose code root has ``emulator/__init__.py``, and its config."""
    (root / "emulator").mkdir()
    (root / "emulator" / "__init__.py").write_text('GREETING = "hello from the user\'s package"\n')
    (root / "emulator" / "helper.py").write_text("def shout(text):\n    return text.upper()\n")
    (root / "shop_app.py").write_text(textwrap.dedent(APP))
    (root / "config").mkdir()
    config = root / "config" / "apig.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    return config


@pytest.fixture
def project(tmp_path: Path) -> Path:
    make_project(tmp_path)
    return tmp_path


@pytest.mark.slow
def test_process_isolation_imports_the_users_package(project: Path) -> None:
    definitions = load_definitions(project / "config" / "apig.yaml", code_dir=project)
    with Harness(definitions, isolation="process") as apig:
        response = apig.get("/Prod/hello")
        assert apig.invocations[-1].traceback is None
        assert response.json() == EXPECTED


@pytest.mark.slow
def test_process_isolation_started_from_the_project_root(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The usual way: ``apig-emu serve`` in the project, whose root is the working directory."""
    monkeypatch.chdir(project)
    definitions = load_definitions(project / "config" / "apig.yaml", code_dir=project)
    assert check_handlers(definitions.functions.values()) == {}
    with Harness(definitions, isolation="process") as apig:
        assert apig.get("/Prod/hello").json() == EXPECTED


def _assert_names_the_clash(message: str, project: Path) -> None:
    assert f"the code root {project} has a top-level package 'emulator' ({project / 'emulator'})" in message
    assert "apig-emu's own import name" in message
    assert "--isolation process" in message and "apig_isolation = process" in message
    assert "rename it" in message


def test_thread_isolation_refuses_the_handler_and_says_why(project: Path) -> None:
    definitions = load_definitions(project / "config" / "apig.yaml", code_dir=project)
    with Harness(definitions, isolation="thread") as apig:
        error = apig.get("/Prod/hello").json()
        assert error["errorType"] == "Runtime.ImportModuleError"
        assert error["errorMessage"].startswith("Unable to import module 'shop_app': ")
        _assert_names_the_clash(error["errorMessage"], project)
        # Refused before the import: the user's module never ran in the emulator's process.
        assert "shop_app" not in sys.modules
        # The report says it once: the detail, which only repeats the error, is left out.
        assert apig.report().count("has a top-level package 'emulator'") == 1


@pytest.mark.slow
def test_the_clash_is_reported_up_front_where_handlers_run_in_threads(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Thread isolation (the fixtures' default) names the clash before any request; ``validate``, which
    imports as ``serve``'s default process isolation does, finds nothing wrong, as that works."""
    config = project / "config" / "apig.yaml"
    problems = check_handlers_here(list(load_definitions(config, code_dir=project).functions.values()))
    _assert_names_the_clash(problems["hello"].error, project)
    assert main(["validate", "--config", str(config), "--code-dir", str(project)]) == 0


@pytest.mark.slow
def test_serve_in_thread_isolation_warns_at_start_and_answers_with_the_error(
    project: Path, tmp_path: Path
) -> None:
    logs = tmp_path / "serve"
    logs.mkdir()
    server = start_server(logs, CONFIG, "--code-dir", str(project), "--isolation", "thread", "--no-reload")
    try:
        answer = requests.get(server.url + "/Prod/hello", timeout=10).json()
    finally:
        server.stop()
    _assert_names_the_clash(answer["errorMessage"], project)
    lines = server.log().splitlines()
    start = lines.index("1 handler does not load; its routes answer as Lambda would, with an init error:")
    assert "functions.hello.handler: Runtime.ImportModuleError" in lines[start + 1]
    _assert_names_the_clash(lines[start + 1], project)


@pytest.mark.slow
def test_serve_in_process_isolation_answers(project: Path, tmp_path: Path) -> None:
    logs = tmp_path / "serve"
    logs.mkdir()
    server = start_server(logs, CONFIG, "--code-dir", str(project), "--no-reload")
    try:
        assert requests.get(server.url + "/Prod/hello", timeout=10).json() == EXPECTED
    finally:
        server.stop()
    assert "Error" not in server.log()


FIXTURE_TEST = """
def test_hello(apig):
    assert apig.get("/Prod/hello").json() == {"greeting": "HELLO FROM THE USER'S PACKAGE"}
"""


@pytest.mark.slow
def test_the_pytest_fixture_in_both_isolations(pytester: pytest.Pytester) -> None:
    make_project(pytester.path)
    pytester.makepyfile(test_hello=FIXTURE_TEST)
    failed = pytester.runpytest(*PYTESTER_ARGS)
    # The fixture checks handlers before the test runs, as validate would under thread isolation.
    failed.assert_outcomes(errors=1)
    report = failed.stdout.str()
    assert "functions.hello.handler: Runtime.ImportModuleError" in report
    assert "has a top-level package 'emulator'" in report and "apig_isolation = process" in report
    pytester.makefile(".ini", pytest="[pytest]\napig_isolation = process\n")
    pytester.runpytest(*PYTESTER_ARGS).assert_outcomes(passed=1)


def test_what_counts_as_providing_the_name(tmp_path: Path) -> None:
    assert provided(tmp_path, "emulator") is None
    (tmp_path / "emulator").mkdir()
    (tmp_path / "emulator" / "data.txt").write_text("not a package")
    assert provided(tmp_path, "emulator") is None
    (tmp_path / "emulator.py").write_text("")
    assert provided(tmp_path, "emulator") == tmp_path / "emulator.py"
    (tmp_path / "emulator" / "__init__.py").write_text("")
    assert provided(tmp_path, "emulator") == tmp_path / "emulator"


def test_apig_emus_own_source_tree_is_no_clash() -> None:
    """A code root that holds apig-emu's own package (its checkout, as the bundled example uses)."""
    definitions = load_definitions(ROOT / "config" / "apig.yaml", code_dir=ROOT)
    assert check_handlers_here(list(definitions.functions.values())) == {}
