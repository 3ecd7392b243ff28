"""The pytest plugin as users meet it: a throwaway project with a handler, a YAML file and tests.

Nothing in these projects imports the plugin: the ``pytest11`` entry point loads it. The first run is
a subprocess, as a user's ``pytest`` is; the variations on configuration run in-process to stay fast
(pytester restores ``sys.modules`` and ``sys.path`` after each).
"""

from __future__ import annotations

import re
import textwrap

import pytest

from emulator.cli import main
from tests.conftest import PYTESTER_ARGS

#: Slow: runs pytest over fresh projects.
pytestmark = pytest.mark.slow

pytest_plugins = ["pytester"]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*PYTESTER_ARGS, *args)


HANDLERS = """
import json

CALLS = []


def hello(event, context):
    print(f"hello called for {event['path']}")
    CALLS.append(event["path"])
    name = (event["queryStringParameters"] or {}).get("name", "world")
    body = {"hello": name, "id": event["pathParameters"]["id"]}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def greet(event, context):
    return {"greeting": f"Hello, {event.get('name', 'world')}!", "function": context.function_name}


def crash(event, context):
    raise RuntimeError("the database is down")


def malformed(event, context):
    return {"statusCode": 200, "body": {"not": "a string"}}
"""

CONFIG = """
apis:
  shop: {}
functions:
  hello:
    handler: shop_handlers.hello
    triggers: [{api: shop, resource: "/hello/{id}", method: GET, proxy: true}]
  greet:
    handler: shop_handlers.greet
    memory: 256
    triggers: [{api: shop, resource: /greet, method: POST}]
  crash:
    handler: shop_handlers.crash
    triggers: [{api: shop, resource: /crash, method: GET, proxy: true}]
  malformed:
    handler: shop_handlers.malformed
    triggers: [{api: shop, resource: /malformed, method: GET, proxy: true}]
"""

TESTS = """
import json

import requests

import shop_handlers
from emulator.testing import json_event, lambda_context, proxy_event


def test_client_is_requests_like(apig):
    response = apig.get("/Prod/hello/7", params={"name": "Ann"})
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"hello": "Ann", "id": "7"}
    assert '"Ann"' in response.text
    assert apig.post("/Prod/greet", json={"name": "Bo"}).json()["greeting"] == "Hello, Bo!"


def test_every_invocation_is_recorded(apig):
    apig.get("/Prod/hello/7")
    apig.post("/Prod/greet", json={"name": "Bo"})
    hello, greet = apig.invocations
    assert hello.function == "hello"
    assert (hello.trigger.api, hello.trigger.resource, hello.trigger.method) == ("shop", "/hello/{id}", "GET")
    assert hello.event["pathParameters"] == {"id": "7"}
    assert hello.logs == ["hello called for /hello/7"]
    assert hello.error is None and hello.duration_ms >= 0
    assert greet.event == {"name": "Bo"}
    assert greet.context["function_name"] == "greet"
    assert greet.context["memory_limit_in_mb"] == "256"
    assert json.loads(greet.result.payload)["function"] == "greet"


def test_a_502_is_an_answer_not_a_failure(apig):
    assert apig.get("/Prod/crash").status == 502
    crash = apig.invocations[-1]
    assert crash.error["errorType"] == "RuntimeError"
    assert 'raise RuntimeError("the database is down")' in crash.traceback
    assert apig.get("/Prod/malformed").status == 502
    assert "body must be a string" in apig.invocations[-1].gateway_error


def test_override_replaces_a_handler_for_this_test(apig):
    apig.override("hello", lambda event, context: {"statusCode": 200, "body": {"oops": 1}})
    assert apig.get("/Prod/hello/1").status == 502
    with apig.override("hello", lambda event, context: {"statusCode": 418, "body": "teapot"}):
        assert apig.get("/Prod/hello/1").status == 418


def test_each_test_starts_fresh(apig):
    assert apig.invocations == []
    assert apig.get("/Prod/hello/1").status == 200


def test_module_state_stays_warm():
    assert "/hello/1" in shop_handlers.CALLS


def test_server_on_a_socket(apig_server, apig):
    assert apig_server.url.startswith("http://127.0.0.1:")
    response = requests.get(apig_server.url + "/Prod/hello/3")
    assert response.status_code == 200 and response.json()["id"] == "3"
    assert apig.invocations[-1].event["headers"]["User-Agent"].startswith("python-requests/")
    apig_server.override("hello", lambda event, context: 1 / 0)
    assert requests.get(apig_server.url + "/Prod/hello/3").status_code == 502
    assert "ZeroDivisionError" in apig_server.invocations[-1].traceback


def test_factories_for_calling_a_handler_directly():
    event = proxy_event("GET", "/Prod/hello/9", config="config/apig.yaml", query={"name": "Cy"})
    result = shop_handlers.hello(event, lambda_context("hello", config="config/apig.yaml"))
    assert json.loads(result["body"]) == {"hello": "Cy", "id": "9"}
    greeting = shop_handlers.greet(json_event("POST", "/Prod/greet", json={"name": "Di"}), lambda_context("greet"))
    assert greeting == {"greeting": "Hello, Di!", "function": "greet"}


def test_fails_on_purpose(apig):
    apig.get("/Prod/hello/5")
    apig.get("/Prod/crash")
    apig.get("/Prod/no/such/path")
    assert False, "failing on purpose"
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(shop_handlers=HANDLERS)
    (pytester.path / "config").mkdir()
    (pytester.path / "config" / "apig.yaml").write_text(CONFIG)
    return pytester


def test_the_fixtures_in_a_fresh_project(project: pytest.Pytester) -> None:
    project.makepyfile(test_shop=TESTS)
    result = project.runpytest_subprocess(*PYTESTER_ARGS)
    result.assert_outcomes(passed=8, failed=1)
    # The failed test's report shows what the gateway did, in order, with the handler's traceback.
    assert result.stdout.str().count(" apig-emu invocations ") == 1
    result.stdout.fnmatch_lines(
        [
            "*- apig-emu invocations -*",
            "[[]1] GET /Prod/hello/5 -> 200 *",
            "*GET /hello/{id} (stage Prod) -> function 'hello'*",
            "*| hello called for /hello/5",
            "[[]2] GET /Prod/crash -> 502 *",
            "*function error: RuntimeError: the database is down",
            "*Traceback (most recent call last):",
            '*raise RuntimeError("the database is down")',
            "[[]3] GET /Prod/no/such/path -> 403 *",
            "*gateway: no resource of API 'shop' matches /no/such/path (no function was invoked)",
        ]
    )


SOURCES = ("default", "ini", "option", "fixture")
WHICH_TEST = """
def test_which(apig_definitions):
    print("USING", *sorted(apig_definitions.functions))
"""


def _config_naming(function: str) -> str:
    return textwrap.dedent(f"""
        apis:
          shop: {{}}
        functions:
          {function}:
            handler: which.{function}
            triggers: [{{api: shop, resource: /{function}, method: POST}}]
        """)


@pytest.fixture
def configs(pytester: pytest.Pytester) -> pytest.Pytester:
    """One config per source, each naming its function after it."""
    pytester.makepyfile(test_which=WHICH_TEST)
    pytester.makepyfile(
        which="".join(f"def {name}(event, context):\n    return '{name}'\n\n\n" for name in SOURCES)
    )
    (pytester.path / "config").mkdir()
    for name in SOURCES:
        path = "config/apig.yaml" if name == "default" else f"{name}.yaml"
        (pytester.path / path).write_text(_config_naming(name))
    return pytester


def _used(result: pytest.RunResult) -> str:
    result.assert_outcomes(passed=1)
    (line,) = [line for line in result.outlines if "USING" in line]
    return line.split("USING ", 1)[1].strip(" .")


def test_config_comes_from_the_fixture_then_option_then_ini_then_default(configs: pytest.Pytester) -> None:
    assert _used(run(configs, "-s")) == "default"
    configs.makefile(".ini", pytest="[pytest]\napig_config = ini.yaml\n")
    assert _used(run(configs, "-s")) == "ini"
    assert _used(run(configs, "-s", "--apig-config", "option.yaml")) == "option"
    configs.makeconftest("""
        import pytest

        @pytest.fixture(scope="session")
        def apig_config():
            return "fixture.yaml"
    """)
    assert _used(run(configs, "-s", "--apig-config", "option.yaml")) == "fixture"


def test_ini_paths_are_relative_to_the_ini_file_and_code_dir_is_honoured(pytester: pytest.Pytester) -> None:
    (pytester.path / "deploy").mkdir()
    (pytester.path / "deploy" / "api.yaml").write_text(_config_naming("ini"))
    (pytester.path / "src").mkdir()
    (pytester.path / "src" / "which.py").write_text("def ini(event, context):\n    return {'from': 'src'}\n")
    pytester.makefile(".ini", pytest="[pytest]\napig_config = deploy/api.yaml\napig_code_dir = src\n")
    pytester.makepyfile("""
        def test_handler_imported_from_code_dir(apig):
            assert apig.post("/Prod/ini").json() == {"from": "src"}
    """)
    run(pytester).assert_outcomes(passed=1)


def test_a_fixture_override_in_a_subdirectory_applies_there_only(configs: pytest.Pytester) -> None:
    sub = configs.mkpydir("sub")
    (sub / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef apig_config():\n    return 'fixture.yaml'\n"
    )
    (sub / "test_sub.py").write_text(
        "def test_sub(apig_definitions):\n    assert list(apig_definitions.functions) == ['fixture']\n"
    )
    configs.makepyfile(
        test_root="def test_root(apig_definitions):\n    assert list(apig_definitions.functions) == ['default']\n"
    )
    run(configs, "test_root.py", "sub").assert_outcomes(passed=2)


def test_a_missing_config_fails_only_the_tests_that_use_it_with_validates_message(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile("""
        def test_uses_the_gateway(apig):
            pass

        def test_does_not():
            pass
    """)
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "apig-emu: 1 error in the API definitions:",
            f"{pytester.path / 'config' / 'apig.yaml'}: no such file or folder",
            "(the definitions were named by the default; name another with --apig-config, *",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert "pytest_plugin.py" not in result.stdout.str()


def test_a_broken_config_lists_every_error_with_file_and_line(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        broken="""
            apis:
              shop: {}
            functions:
              hello:
                handler: shop_handlers.hello
                triggers:
                  - {api: nope, resource: /x, method: GET}
                  - {api: shop, resource: x, method: FETCH}
        """,
    )
    pytester.makepyfile("""
        def test_one(apig):
            pass

        def test_two(apig_server):
            pass
    """)
    result = run(pytester, "--apig-config", "broken.yaml")
    result.assert_outcomes(errors=2)
    broken = pytester.path / "broken.yaml"
    result.stdout.fnmatch_lines(
        [
            "apig-emu: 4 errors in the API definitions:",
            f"{broken}:5: functions.hello.handler: Runtime.ImportModuleError: Unable to import module "
            "'shop_handlers': No module named 'shop_handlers'",
            f"    hint: handlers are imported from the code root, {pytester.path}, which holds no "
            "shop_handlers.py or shop_handlers/; if your code is in another folder, name that folder with the "
            "apig_code_dir ini option",
            f"{broken}:7: functions.hello.triggers[[]0].api: unknown api 'nope'*",
            f"{broken}:8: functions.hello.triggers[[]1].resource: *",
            f"{broken}:8: functions.hello.triggers[[]1].method: *FETCH*",
            "(the definitions were named by the --apig-config option)",
        ]
    )
    assert "Traceback" not in result.stdout.str()


RAISES_AT_IMPORT = (
    "import os\n\nTABLE = os.environ['TABLE']\n\n\ndef hello(event, context):\n    return TABLE\n"
)


def test_the_message_is_validates_text_in_both_isolations(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    """A handler that raises at import, beside an unknown api: the lines ``apig-emu validate`` prints."""
    pytester.makepyfile(shop_handlers=RAISES_AT_IMPORT)
    config = pytester.path / "config" / "apig.yaml"
    config.parent.mkdir()
    config.write_text(
        "apis: {shop: {}}\nfunctions:\n  hello:\n    handler: shop_handlers.hello\n"
        "    triggers: [{api: shopp, resource: /hello, method: GET}]\n"
    )
    pytester.makepyfile("def test_one(apig):\n    pass\n\n\ndef test_without_the_gateway():\n    pass\n")
    assert main(["validate", "--config", str(config), "--code-dir", str(pytester.path)]) == 1
    validated = capsys.readouterr().err.splitlines()
    assert validated[:3] == [
        "2 errors in the API definitions:",
        f"{config}:4: functions.hello.handler: KeyError: 'TABLE'",
        "    Traceback (most recent call last):",
    ]
    for isolation in ("thread", "process"):
        pytester.makefile(".ini", pytest=f"[pytest]\napig_isolation = {isolation}\n")
        result = run(pytester)
        result.assert_outcomes(passed=1, errors=1)
        start = result.outlines.index(f"apig-emu: {validated[0]}")
        assert result.outlines[start + 1 : start + len(validated)] == validated[1:]
        assert result.outlines[start + len(validated)] == (
            "(the definitions were named by the default; name another with --apig-config, the apig_config "
            "ini option, or by overriding the apig_config fixture)"
        )


def test_a_handler_outside_the_code_root_hints_at_apig_code_dir(pytester: pytest.Pytester) -> None:
    (pytester.path / "src").mkdir()
    (pytester.path / "src" / "shop_handlers.py").write_text(HANDLERS)
    (pytester.path / "config").mkdir()
    (pytester.path / "config" / "apig.yaml").write_text(CONFIG)
    pytester.makepyfile("def test_hello(apig):\n    assert apig.get('/Prod/hello/1').status == 200\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "apig-emu: 4 errors in the API definitions:",
            "*/config/apig.yaml:6: functions.hello.handler: Runtime.ImportModuleError: Unable to import module "
            "'shop_handlers': No module named 'shop_handlers'",
            f"    hint: handlers are imported from the code root, {pytester.path}, which holds no "
            f"shop_handlers.py or shop_handlers/; {pytester.path / 'src'} holds shop_handlers.py: "
            f"apig_code_dir = {pytester.path / 'src'}",
            "*/config/apig.yaml:9: functions.greet.handler: Runtime.ImportModuleError: *",
            "    hint: as for line 6",
        ]
    )
    pytester.makefile(".ini", pytest="[pytest]\napig_code_dir = src\n")
    run(pytester).assert_outcomes(passed=1)


def test_loaded_definitions_are_used_as_given_so_an_init_error_can_be_tested(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(shop_handlers=RAISES_AT_IMPORT)
    pytester.makeconftest(f"""
        import pytest

        from emulator.testing import definitions_from_yaml

        @pytest.fixture(scope="session")
        def apig_config():
            return definitions_from_yaml({CONFIG!r})
    """)
    pytester.makepyfile("""
        def test_the_function_answers_with_its_init_error(apig):
            response = apig.get("/Prod/hello/1")
            assert response.status == 502
            assert apig.invocations[0].error["errorType"] == "KeyError"
    """)
    run(pytester).assert_outcomes(passed=1)


def test_invalid_yaml_is_reported_with_its_line(pytester: pytest.Pytester) -> None:
    (pytester.path / "config").mkdir()
    (pytester.path / "config" / "apig.yaml").write_text("apis:\n  shop: {\nfunctions: []\n")
    pytester.makepyfile("def test_one(apig):\n    pass\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*/config/apig.yaml:*: invalid YAML: *"])


def test_isolation_is_chosen_in_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(pid_handler="import os\n\ndef pid(event, context):\n    return os.getpid()\n")
    (pytester.path / "config").mkdir()
    (pytester.path / "config" / "apig.yaml").write_text(
        "apis: {shop: {}}\nfunctions:\n  pid:\n    handler: pid_handler.pid\n"
        "    triggers: [{api: shop, resource: /pid, method: GET}]\n"
    )
    pytester.makepyfile("""
        import os

        import requests

        def test_where_handlers_run(apig, apig_server, apig_isolation, pytestconfig):
            expected = pytestconfig.getini("apig_isolation") or "thread"
            assert apig_isolation == expected
            in_process = apig.get("/Prod/pid").json()
            over_socket = requests.get(apig_server.url + "/Prod/pid", timeout=10).json()
            assert (in_process == os.getpid()) is (expected == "thread")
            assert over_socket == in_process  # one warm environment serves both
            apig.override("pid", lambda event, context: "fake")
            assert apig.get("/Prod/pid").json() == "fake"
    """)
    run(pytester).assert_outcomes(passed=1)
    pytester.makefile(".ini", pytest="[pytest]\napig_isolation = process\n")
    run(pytester).assert_outcomes(passed=1)
    pytester.makefile(".ini", pytest="[pytest]\napig_isolation = elsewhere\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["apig-emu: apig_isolation: unknown isolation 'elsewhere'; choose one of: process, thread"]
    )
    assert "Traceback" not in result.stdout.str()


def test_the_options_are_listed_in_help(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--help")
    result.stdout.fnmatch_lines(
        [
            "apig-emu: API Gateway and Lambda emulator:",
            "*--apig-config=PATH*",
            "*apig_config *",
            "*apig_isolation *",
        ]
    )


COUNTING_CONFTEST = """
import emulator.config.formats as formats

READS = []
_recognise = formats.recognise


def counting(path):
    READS.append(path)
    return _recognise(path)


formats.recognise = counting
"""

EACH_TEST_COUNTS = """
from conftest import READS


def test_{n}(apig):
    assert apig.get("/Prod/hello/{n}").status_code == 200
    print("CONFIG READ", len(READS), "TIMES")
"""


def test_the_config_file_is_read_once_per_session_not_once_per_test(project: pytest.Pytester) -> None:
    project.makeconftest(COUNTING_CONFTEST)
    project.makepyfile(test_reads="".join(EACH_TEST_COUNTS.format(n=n) for n in range(4)))
    result = project.runpytest_subprocess(*PYTESTER_ARGS, "-s")
    result.assert_outcomes(passed=4)
    counts = re.findall(r"CONFIG READ (\d+) TIMES", result.stdout.str())
    assert len(counts) == 4 and len(set(counts)) == 1, counts
