"""Every way a handler can end Lambda's runtime is answered as Lambda answers it, in both isolations.

Lambda's Python runtime answers with an error object only what is an ``Exception``: ``sys.exit``,
``KeyboardInterrupt``, ``asyncio.CancelledError`` or a user's ``BaseException`` ends its process,
at import as in the handler, and the request gets ``Runtime.ExitError`` with the process's exit
status. Process isolation's worker ends just so; thread isolation cannot let the emulator end, so
it answers with the status the process would have had, and the server, the harness and the pytest
fixture carry on (they used to exit silently, or stop their event loop for every later test).
"""

from __future__ import annotations

import dataclasses
import json
import signal
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator.config import load_definitions
from emulator.runtime.threads import check_handlers
from emulator.testing import Harness
from emulator.validation import COMMAND_LINE, handler_errors
from tests.conftest import ISOLATIONS, LAMBDAS, PYTESTER_ARGS
from tests.live import start_server

pytest_plugins = ["pytester"]

#: Each ending, and the reason Lambda's ``Runtime.ExitError`` gives for it.
REASONS = {
    "exit-none": "Runtime exited without providing a reason",
    "exit-0": "Runtime exited without providing a reason",
    "exit-3": "Runtime exited with error: exit status 3",
    "exit-message": "Runtime exited with error: exit status 1",
    # Python ends itself with SIGINT after an uncaught KeyboardInterrupt, so that a shell sees it.
    "keyboard-interrupt": "Runtime exited with error: signal: interrupt",
    "cancelled": "Runtime exited with error: exit status 1",
    "base-exception": "Runtime exited with error: exit status 1",
}
#: What Python writes to stderr as the ending ends its process: the log's last words.
LAST_WORDS = {
    "exit-message": "giving up",
    "keyboard-interrupt": "KeyboardInterrupt",
    "cancelled": "asyncio.exceptions.CancelledError",
    "base-exception": "endings.Abort: the user's own",
}


def function_name(ending: str) -> str:
    return "import_" + ending.replace("-", "_")


CONFIG = """
apis:
  shop: {}
functions:
  ends:
    handler: endings.handler
    triggers:
      - {api: shop, resource: /ends, method: POST, proxy: true}
  ok:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: /ok, method: GET, proxy: true}
""" + "".join(
    f"""  {function_name(ending)}:
    handler: ends_at_import.handler
    environment: {{END: {ending}}}
    triggers:
      - {{api: shop, resource: /import/{ending}, method: GET, proxy: true}}
"""
    for ending in REASONS
)


@pytest.fixture(scope="module", params=ISOLATIONS)
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    config = tmp_path_factory.mktemp("endings") / "apig.yaml"
    config.write_text(CONFIG)
    with Harness(load_definitions(config, code_dir=LAMBDAS), isolation=request.param) as harness:
        yield harness


def assert_ended(harness: Harness, response: object, ending: str) -> None:
    """The request got Lambda's answer to the runtime's end, with the process's last words in its log."""
    assert getattr(response, "status_code", None) == 502
    invocation = harness.invocations[-1]
    assert invocation.error is not None
    assert invocation.error["errorType"] == "Runtime.ExitError"
    assert (
        invocation.error["errorMessage"]
        == f"RequestId: {invocation.result.aws_request_id} Error: " + (REASONS[ending])
    )
    assert f"about to end: {ending}" in invocation.result.logs
    if ending in LAST_WORDS:
        assert LAST_WORDS[ending] in invocation.result.logs


@pytest.mark.parametrize("ending", REASONS)
def test_an_ending_in_the_handler_is_the_runtimes_exit(harness: Harness, ending: str) -> None:
    assert_ended(harness, harness.post("/Prod/ends", content=json.dumps({"end": ending})), ending)
    # The emulator carries on, and so does the function (in a fresh worker under process isolation).
    assert harness.get("/Prod/ok").status_code == 200
    assert harness.post("/Prod/ends", content="{}").text == "carried on"


@pytest.mark.parametrize("ending", REASONS)
def test_an_ending_at_import_is_the_runtimes_exit_at_every_request(harness: Harness, ending: str) -> None:
    for _ in range(2):  # the import is tried again, and ends the runtime again, as on Lambda
        assert_ended(harness, harness.get(f"/Prod/import/{ending}"), ending)
    assert harness.get("/Prod/ok").status_code == 200


@pytest.mark.parametrize(
    ("ending", "status"),
    [("exit-0", "exit status 0"), ("exit-3", "exit status 3"), ("keyboard-interrupt", "signal: interrupt")],
)
def test_validate_reports_an_ending_at_import_the_same_in_both_isolations(
    tmp_path: Path, ending: str, status: str
) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(CONFIG)
    function = load_definitions(config, code_dir=LAMBDAS).functions[function_name(ending)]
    here = handler_errors([function], isolation="thread", setting=COMMAND_LINE)
    apart = handler_errors([function], isolation="process", setting=COMMAND_LINE)
    assert [str(error) for error in here] == [str(error) for error in apart]
    (error,) = here
    assert error.message == f"importing its handler ended the process ({status})"
    notes = "\n".join(error.notes)
    assert 'ends_at_import.py", line 14, in <module>' in notes  # where: the user's own frame
    assert "Lambda's runtime" in notes and "raise an Exception" in notes  # and what to do


def test_ctrl_c_while_a_handler_is_imported_still_stops_the_check(tmp_path: Path) -> None:
    """Told apart from the module's own KeyboardInterrupt, which is reported rather than obeyed."""
    (tmp_path / "presses_ctrl_c.py").write_text(
        "import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGINT)\n\n\ndef handler(e, c):\n    pass\n"
    )
    config = tmp_path / "apig.yaml"
    config.write_text(
        "functions:\n  pressed:\n    handler: presses_ctrl_c.handler\n"
        "  raised:\n    handler: ends_at_import.handler\n    environment: {END: keyboard-interrupt}\n"
    )
    loaded = load_definitions(config, code_dir=LAMBDAS).functions
    loaded["pressed"] = dataclasses.replace(loaded["pressed"], code_dir=tmp_path)
    problems = check_handlers([loaded["raised"]])
    assert problems["raised"].error == "importing its handler ended the process (signal: interrupt)"
    with pytest.raises(KeyboardInterrupt):
        check_handlers([loaded["pressed"]])
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["thread", "process"])
def test_serve_warns_of_an_ending_at_import_and_keeps_serving(tmp_path: Path, isolation: str) -> None:
    server = start_server(tmp_path, CONFIG, "--isolation", isolation)
    try:
        for ending in ("exit-0", "keyboard-interrupt"):
            response = requests.post(server.url + "/Prod/ends", json={"end": ending}, timeout=30)
            assert response.status_code == 502
            imported = requests.get(server.url + f"/Prod/import/{ending}", timeout=30)
            assert imported.status_code == 502
        assert requests.get(server.url + "/Prod/ok", timeout=30).status_code == 200
        assert server.process.poll() is None
        log = server.log()
        assert (
            "functions.import_exit_0.handler: importing its handler ended the process (exit status 0)" in log
        )
        assert "Runtime.ExitError" in log and "signal: interrupt" in log
    finally:
        server.stop()


PYTEST_PROJECT_TESTS = """
import json

import pytest

ENDINGS = ["exit-0", "exit-3", "exit-message", "keyboard-interrupt", "cancelled", "base-exception"]


@pytest.mark.parametrize("ending", ENDINGS)
def test_the_handler_ends_the_runtime(apig, ending):
    assert apig.post("/Prod/ends", content=json.dumps({"end": ending})).status == 502
    assert apig.invocations[-1].error["errorType"] == "Runtime.ExitError"


@pytest.mark.parametrize("ending", ["exit-0", "exit-message", "keyboard-interrupt"])
def test_the_import_ends_the_runtime(apig, ending):
    assert apig.get(f"/Prod/import/{ending}").status == 502
    assert apig.invocations[-1].error["errorType"] == "Runtime.ExitError"


def test_a_later_test_is_served(apig):
    assert apig.get("/Prod/ok").status == 200
"""


@pytest.mark.slow
def test_the_pytest_fixture_keeps_serving_after_each_ending(pytester: pytest.Pytester) -> None:
    """Functions that end the runtime at import are loaded as given, unchecked, to be invoked on purpose."""
    pytester.makeconftest(f"""
        import pytest

        from emulator.testing import definitions_from_yaml

        @pytest.fixture(scope="session")
        def apig_config():
            return definitions_from_yaml({CONFIG!r}, code_dir={str(LAMBDAS)!r})
    """)
    pytester.makepyfile(test_endings=PYTEST_PROJECT_TESTS)
    # In a process of its own: before, the first ending stopped the fixture's event loop for good.
    result = pytester.runpytest_subprocess(*PYTESTER_ARGS)
    result.assert_outcomes(passed=10)


@pytest.mark.slow
def test_the_pytest_fixture_reports_an_ending_at_import_as_validate_does(pytester: pytest.Pytester) -> None:
    (pytester.path / "apig.yaml").write_text(
        textwrap.dedent("""
            apis: {shop: {}}
            functions:
              exits:
                handler: ends_at_import.handler
                environment: {END: exit-0}
                triggers: [{api: shop, resource: /exits, method: GET}]
        """)
    )
    pytester.makeini(f"[pytest]\napig_config = apig.yaml\napig_code_dir = {LAMBDAS}\n")
    pytester.makepyfile("def test_one(apig):\n    pass\n\n\ndef test_without_the_gateway():\n    pass\n")
    result = pytester.runpytest(*PYTESTER_ARGS)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*functions.exits.handler: importing its handler ended the process (exit status 0)"]
    )
