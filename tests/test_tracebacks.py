"""A handler's traceback starts at the user's code, wherever it is shown, in both isolations; a failed
test's report shows it once."""

from __future__ import annotations

import json
import logging
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator import logs
from emulator.invocations import Invocation
from emulator.runtime.result import InvocationResult
from emulator.runtime.tracebacks import format_user_exception, is_machinery
from emulator.testing import Harness, definitions_from_yaml
from tests.conftest import ISOLATIONS, PYTESTER_ARGS
from tests.live import start_server

pytest_plugins = ["pytester"]

ORDERS = """
import json


def _first(event):
    return json.loads(event["body"])["items"][0]


def handler(event, context):
    return _first(event)


def chained(event, context):
    try:
        return {}["missing"]
    except KeyError as exc:
        raise RuntimeError("lookup failed") from exc
"""

AT_IMPORT = """
def _settings():
    raise ValueError("bad configuration")


SETTINGS = _settings()


def handler(event, context):
    return SETTINGS
"""

CONFIG = """
apis:
  shop: {}
functions:
  orders:
    handler: orders.handler
    triggers: [{api: shop, resource: /orders, method: POST, proxy: true}]
  chained:
    handler: orders.chained
    triggers: [{api: shop, resource: /chained, method: GET, proxy: true}]
  at_import:
    handler: at_import.handler
    triggers: [{api: shop, resource: /at-import, method: GET, proxy: true}]
  syntax:
    handler: bad_syntax.handler
    triggers: [{api: shop, resource: /syntax, method: GET, proxy: true}]
"""

#: What only the runtime's frames would put in a traceback.
NOT_THE_USERS = (
    "emulator/runtime",
    "emulator/",
    "threading.py",
    "concurrent/futures",
    "asyncio",
    "importlib",
)


def make_project(root: Path) -> None:
    (root / "orders.py").write_text(textwrap.dedent(ORDERS))
    (root / "at_import.py").write_text(textwrap.dedent(AT_IMPORT))
    (root / "bad_syntax.py").write_text("def handler(event, context)\n    return 1\n")


def assert_users_only(text: str) -> None:
    for fragment in NOT_THE_USERS:
        assert fragment not in text, f"{fragment!r} in:\n{text}"


@pytest.fixture(scope="module", params=ISOLATIONS)
def apig(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    project = tmp_path_factory.mktemp(f"project-{request.param}")
    make_project(project)
    with Harness(definitions_from_yaml(CONFIG, code_dir=project), isolation=request.param) as harness:
        yield harness


def last(apig: Harness) -> tuple[Invocation, str]:
    invocation = apig.invocations[-1]
    assert invocation.traceback is not None
    return invocation, invocation.traceback


def test_a_handlers_traceback_starts_in_the_handler(apig: Harness) -> None:
    assert apig.post("/Prod/orders", json={"items": []}).status == 502
    invocation, trace = last(apig)
    code = Path(apig.definitions.functions["orders"].code_dir)
    assert trace.startswith(
        f'Traceback (most recent call last):\n  File "{code / "orders.py"}", line 10, in handler\n'
    )
    assert "line 6, in _first" in trace
    assert trace.rstrip().endswith("IndexError: list index out of range")
    assert_users_only(trace)
    # Lambda's error object agrees: its stackTrace starts at the same frame.
    stack = invocation.error["stackTrace"] if invocation.error else []
    assert stack[0].startswith(f'  File "{code / "orders.py"}", line 10, in handler')
    assert_users_only("".join(stack))


def test_a_chained_exception_keeps_its_cause(apig: Harness) -> None:
    apig.get("/Prod/chained")
    _, trace = last(apig)
    assert trace.startswith('Traceback (most recent call last):\n  File "')
    assert "KeyError: 'missing'" in trace
    assert "The above exception was the direct cause of the following exception:" in trace
    assert trace.rstrip().endswith("RuntimeError: lookup failed")
    assert_users_only(trace)


def test_an_error_at_import_starts_in_the_module(apig: Harness) -> None:
    apig.get("/Prod/at-import")
    invocation, trace = last(apig)
    code = Path(apig.definitions.functions["at_import"].code_dir)
    assert invocation.error is not None and invocation.error["errorType"] == "ValueError"
    assert trace.startswith(
        f'Traceback (most recent call last):\n  File "{code / "at_import.py"}", line 6, in <module>\n'
    )
    assert "in _settings" in trace and trace.rstrip().endswith("ValueError: bad configuration")
    assert_users_only(trace)


def test_a_syntax_error_points_at_its_line(apig: Harness) -> None:
    apig.get("/Prod/syntax")
    _, trace = last(apig)
    code = Path(apig.definitions.functions["syntax"].code_dir)
    assert trace.startswith(f'  File "{code / "bad_syntax.py"}", line 1\n    def handler(event, context)\n')
    assert "SyntaxError" in trace
    assert_users_only(trace)


def test_the_runtimes_frames_are_dropped_only_in_front() -> None:
    def user_code() -> None:
        raise KeyError("x")

    try:
        user_code()
    except KeyError as exc:
        text = format_user_exception(exc)
    # This test's own frame is not the runtime's: the traceback starts there.
    assert text.splitlines()[1].endswith("in test_the_runtimes_frames_are_dropped_only_in_front")
    assert is_machinery(logs.__file__) and is_machinery("<frozen importlib._bootstrap>")
    assert is_machinery(logging.__file__) is False and not is_machinery(__file__)


# The log: one line that says what and where, the traceback beneath it.

FAILED = InvocationResult(
    payload=json.dumps(
        {"errorMessage": "'id'", "errorType": "KeyError", "requestId": "r", "stackTrace": []}
    ).encode(),
    function_error="Unhandled",
    aws_request_id="r",
    detail='Traceback (most recent call last):\n  File "/code/items.py", line 12, in handler\n'
    "    return event[\"id\"]\nKeyError: 'id'\n",
)


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    captured: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = captured.append  # type: ignore[method-assign]
    logs.lambda_log.addHandler(handler)
    level = logs.lambda_log.level
    logs.lambda_log.setLevel(logging.INFO)
    yield captured
    logs.lambda_log.removeHandler(handler)
    logs.lambda_log.setLevel(level)


def test_an_error_is_one_line_with_the_traceback_attached(records: list[logging.LogRecord]) -> None:
    from emulator.model import Function

    logs.log_invocation(Function("items", "items.handler", Path("/code")), FAILED)
    (error,) = [record for record in records if record.apig["kind"] == "error"]  # type: ignore[attr-defined]
    assert error.getMessage() == "items KeyError: 'id' (/code/items.py:12)"
    assert error.levelno == logging.WARNING
    assert (
        logs.TextFormatter().format(error)
        == "items KeyError: 'id' (/code/items.py:12)\n" + FAILED.detail.rstrip()
    )  # type: ignore[union-attr]
    # Any formatter writes it, as it writes an exception's: serve's, basicConfig's, a user's.
    assert logging.Formatter("%(levelname)s %(message)s").format(error).endswith("KeyError: 'id'")
    entry = json.loads(logs.JsonFormatter().format(error))
    assert entry["message"] == "KeyError: 'id' (/code/items.py:12)"
    assert entry["exception"] == FAILED.detail.rstrip()  # type: ignore[union-attr]


def test_a_one_line_detail_is_its_own_summary() -> None:
    timed_out = InvocationResult(
        b"{}", "Unhandled", "r", detail="RequestId: r Error: Task timed out after 3.00 seconds"
    )
    assert logs.error_summary(timed_out) == ("RequestId: r Error: Task timed out after 3.00 seconds", None)


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["thread", "process"])
def test_serves_log_shows_the_users_traceback(tmp_path: Path, isolation: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    make_project(project)
    server = start_server(
        tmp_path, CONFIG, "--code-dir", str(project), "--isolation", isolation, "--no-reload"
    )
    try:
        assert requests.post(server.url + "/Prod/orders", json={"items": []}, timeout=10).status_code == 502
    finally:
        server.stop()
    log = server.log()
    summary = f"orders IndexError: list index out of range ({project / 'orders.py'}:6)\n"
    assert (
        summary
        + f'Traceback (most recent call last):\n  File "{project / "orders.py"}", line 10, in handler\n'
        in log
    )
    assert_users_only(log.split(summary, 1)[1].split("END RequestId")[0])


# pytest's report: the traceback under "apig-emu invocations" only.

FIXTURE_TEST = """
def test_orders(apig):
    assert apig.post("/Prod/orders", json={"items": []}).status == 200
"""


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["thread", "process"])
def test_a_failed_tests_report_shows_the_traceback_once(pytester: pytest.Pytester, isolation: str) -> None:
    make_project(pytester.path)
    (pytester.path / "config").mkdir()
    # The functions that import: the fixture refuses to start over handlers that do not.
    (pytester.path / "config" / "apig.yaml").write_text(textwrap.dedent(CONFIG).split("  at_import:")[0])
    pytester.makefile(".ini", pytest=f"[pytest]\napig_isolation = {isolation}\n")
    pytester.makepyfile(test_orders=FIXTURE_TEST)
    # In a process of its own: this module's harnesses imported modules of the same names.
    result = pytester.runpytest_subprocess(*PYTESTER_ARGS)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert out.count("Traceback (most recent call last):") == 1
    assert out.count('return json.loads(event["body"])["items"][0]') == 1
    result.stdout.fnmatch_lines(
        [
            "*- Captured log call -*",
            f"WARNING *orders IndexError: list index out of range ({pytester.path / 'orders.py'}:6)",
            "*- apig-emu invocations -*",
            "[[]1] POST /Prod/orders -> 502 *",
            "*function error: IndexError: list index out of range",
            "*Traceback (most recent call last):",
            f'*File "{pytester.path / "orders.py"}", line 10, in handler',
        ]
    )
    assert_users_only(out.split("- apig-emu invocations -")[1])
