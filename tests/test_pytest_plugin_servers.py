"""The pytest plugin never hangs on a server a test left running.

``apig.serve()`` runs uvicorn on the session's event loop; a test that never stopped it (it forgot,
or failed first) used to leave that task running, and pytest waited for it forever at the end of the
session. The ``apig`` fixture now stops such a server at teardown and warns, naming the test.

Each run is a subprocess with a timeout: the guard against a hang is pytester's ``TimeoutExpired``,
never a timing assertion.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from tests.conftest import PYTESTER_ARGS

pytest_plugins = ["pytester"]

#: Slow: each test runs pytest in a subprocess, with servers.
pytestmark = pytest.mark.slow

#: Long enough for a slow shared machine to run a few tests; a hang lasts forever.
HANG_GUARD_S = 120

HANDLERS = """
import time


def hello(event, context):
    return {"statusCode": 200, "body": "hello"}


def stuck(event, context):
    open("stuck.started", "w").close()
    time.sleep(600)
"""

CONFIG = """
apis:
  shop: {}
functions:
  hello:
    handler: shop_handlers.hello
    triggers: [{api: shop, resource: /hello, method: GET, proxy: true}]
  stuck:
    handler: shop_handlers.stuck
    timeout: 900
    triggers: [{api: shop, resource: /stuck, method: GET, proxy: true}]
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(shop_handlers=HANDLERS)
    (pytester.path / "config").mkdir()
    (pytester.path / "config" / "apig.yaml").write_text(CONFIG)
    return pytester


def run(project: pytest.Pytester, tests: str, *args: str) -> pytest.RunResult:
    project.makepyfile(test_servers=textwrap.dedent(tests))
    return project.runpytest_subprocess(*PYTESTER_ARGS, *args, timeout=HANG_GUARD_S)


LEFT_RUNNING = """
import requests

PORTS = []


def test_forgets_to_stop(apig):
    server = apig.serve()
    PORTS.append(server.port)
    assert requests.get(server.url + "/Prod/hello", timeout=5).text == "hello"


def test_fails_before_stopping(apig):
    server = apig.serve()
    PORTS.append(server.port)
    raise RuntimeError("the test failed with its server running")


def test_stops_its_server(apig):
    with apig.serve() as server:
        assert requests.get(server.url + "/Prod/hello", timeout=5).status_code == 200


def test_the_servers_left_running_were_stopped():
    import socket

    assert len(PORTS) == 2
    for port in PORTS:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"
"""


def test_a_server_left_running_is_stopped_at_teardown_with_a_warning(project: pytest.Pytester) -> None:
    result = run(project, LEFT_RUNNING)
    result.assert_outcomes(passed=3, failed=1)
    output = result.stdout.str()
    assert "the test failed with its server running" in output
    result.stdout.fnmatch_lines(
        [
            "*test_servers.py::test_forgets_to_stop*",
            "*ApigServerLeftRunning: test_servers.py::test_forgets_to_stop started a server with apig.serve()*"
            "and did not stop it: apig-emu stopped it at teardown*",
        ]
    )
    assert "test_servers.py::test_fails_before_stopping started a server with apig.serve()" in output
    assert "test_stops_its_server started a server" not in output


def test_a_server_left_with_a_request_stuck_in_its_handler_is_stopped_too(project: pytest.Pytester) -> None:
    # The handler sleeps for 10 minutes with a 15-minute timeout: waiting for it is what hung.
    result = run(
        project,
        """
        import os
        import threading
        import time

        import requests


        def test_leaves_a_request_in_flight(apig):
            server = apig.serve()
            threading.Thread(
                target=requests.get, args=(server.url + "/Prod/stuck",), kwargs={"timeout": 900}, daemon=True
            ).start()
            while not os.path.exists("stuck.started"):
                time.sleep(0.05)
        """,
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*ApigServerLeftRunning: test_servers.py::test_leaves_a_request_in_flight*"])


def test_the_warning_can_be_made_an_error(project: pytest.Pytester) -> None:
    # ``-W error::...`` turns it into a teardown error, and still nothing hangs.
    result = run(
        project,
        """
        def test_forgets_to_stop(apig):
            apig.serve()
        """,
        "-W",
        "error::emulator.pytest_plugin.ApigServerLeftRunning",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ApigServerLeftRunning: test_servers.py::test_forgets_to_stop started*"])


def test_a_harness_closed_with_its_server_running_stops_it(project: pytest.Pytester) -> None:
    # The same for a Harness used without the plugin: close() stops what serve() started.
    project.makepyfile(
        standalone="""
        import socket
        import warnings

        from emulator.testing import Harness

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with Harness("config/apig.yaml") as apig:
                port = apig.serve().port
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, "still serving"
        print("WARNED", *[str(w.message) for w in caught if issubclass(w.category, ResourceWarning)])
        """
    )
    result = project.run(sys.executable, project.path / "standalone.py", timeout=HANG_GUARD_S)
    assert result.ret == 0, result.stderr.str()
    result.stdout.fnmatch_lines(
        ["WARNED the apig-emu server on http://127.0.0.1:* was still serving *; close() stopped it*"]
    )
