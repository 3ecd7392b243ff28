"""``--env-vars FILE``: SAM CLI's JSON of environment variables, through ``validate``, ``invoke``, ``serve``
and the pytest plugin, for a SAM template and for apig-emu's own YAML alike."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
import requests

from emulator.cli import main
from tests.conftest import PYTESTER_ARGS

pytest_plugins = ["pytester"]

SAM = Path(__file__).parent / "fixtures" / "sam"

#: A YAML function that reports its environment, and another that declares less.
CONFIG = """
apis:
  shop: {}
functions:
  report:
    handler: envecho.handler
    environment: {TABLE: from-config, STAGE: from-config, UNTOUCHED: kept}
    triggers:
      - {api: shop, resource: /report, method: GET, proxy: true}
  other:
    handler: envecho.handler
    environment: {STAGE: other-config}
"""

HANDLER = """
import json
import os


def handler(event, context):
    names = ("TABLE", "STAGE", "UNTOUCHED", "EXTRA")
    return {name: os.environ.get(name) for name in names}
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "apig.yaml").write_text(CONFIG)
    (tmp_path / "envecho.py").write_text(HANDLER)
    return tmp_path


def env_file(folder: Path, content: object, name: str = "env.json") -> Path:
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    return path


def invoke(capsys: pytest.CaptureFixture[str], app: Path, function: str, *args: str) -> tuple[int, str, str]:
    code = main(["invoke", function, "--config", str(app / "apig.yaml"), "--code-dir", str(app), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_parameters_apply_to_every_function_and_a_functions_entry_wins(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = env_file(
        app,
        {
            "Parameters": {"STAGE": "from-parameters", "TABLE": "table-for-all"},
            "report": {"TABLE": "t-local"},
        },
    )
    code, out, _ = invoke(capsys, app, "report", "--env-vars", str(env))
    assert code == 0
    assert json.loads(out) == {
        "TABLE": "t-local",
        "STAGE": "from-parameters",
        "UNTOUCHED": "kept",
        "EXTRA": None,
    }
    code, out, _ = invoke(capsys, app, "other", "--env-vars", str(env))
    # `other` declares no TABLE: Parameters set only what a function declares.
    assert json.loads(out) == {"TABLE": None, "STAGE": "from-parameters", "UNTOUCHED": None, "EXTRA": None}


def test_without_the_option_the_definitions_values_stand(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = invoke(capsys, app, "report")
    assert json.loads(out)["TABLE"] == "from-config"


def test_numbers_and_booleans_become_text_as_sam_cli_writes_them(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = env_file(app, {"report": {"TABLE": 12, "STAGE": True, "UNTOUCHED": 1.5}})
    _, out, _ = invoke(capsys, app, "report", "--env-vars", str(env))
    assert json.loads(out) == {"TABLE": "12", "STAGE": "true", "UNTOUCHED": "1.5", "EXTRA": None}


def test_what_sets_nothing_is_a_warning_naming_file_line_and_why(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = env_file(
        app,
        """{
  "Parameters": {"NOBODY": "x"},
  "report": {"EXTRA": "y", "TABLE": "t"},
  "reprot": {"TABLE": "z"}
}
""",
    )
    code, out, err = invoke(capsys, app, "report", "--env-vars", str(env))
    assert code == 0
    # Undeclared variables stay unset, as SAM CLI leaves them.
    assert json.loads(out)["EXTRA"] is None
    assert json.loads(out)["TABLE"] == "t"
    assert "3 warnings in the API definitions:" in err
    assert f"{env}:2: Parameters.NOBODY: --env-vars: 'NOBODY' is not set: no function declares it" in err
    assert (
        f"{env}:3: report.EXTRA: --env-vars: 'EXTRA' is not set: function 'report' does not declare it "
        "in its environment, and as in SAM CLI only the variables a function declares take a value"
    ) in err
    assert (
        f"{env}:4: reprot: --env-vars: 'reprot' names no function (did you mean 'report'?), so its "
        "variables are not set; the functions: other, report"
    ) in err


def test_warnings_are_errors_with_fail_on_warnings(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = env_file(app, {"nobody": {"A": "b"}})
    config = str(app / "apig.yaml")
    code = main(
        ["validate", "--config", config, "--code-dir", str(app), "--env-vars", str(env), "--fail-on-warnings"]
    )
    assert code == 1
    assert "'nobody' names no function" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[1, 2]", ":1: --env-vars: expected an object of functions, each an object of variables"),
        ('{"report": ["TABLE"]}', ":1: report: --env-vars: expected an object of variables and their values"),
        (
            '{\n  "Parameters": {\n    "TABLE": {"nested": 1}\n  }\n}',
            ":3: Parameters.TABLE: --env-vars: expected a string, number or boolean, got a mapping",
        ),
        ('{"report": {"TABLE": null}}', ":1: report.TABLE: --env-vars: expected a string, number or boolean"),
        ('{\n  "report": {"TABLE": "a",}\n}', ":2:27: --env-vars: not JSON: Expecting property name"),
        (
            '{"report": {"TABLE": "a", "TABLE": "b"}}',
            ":1: report.TABLE: --env-vars: duplicate key 'TABLE' (first at line 1)",
        ),
        ("", ":1:1: --env-vars: not JSON: Expecting value"),
    ],
)
def test_a_file_of_the_wrong_shape_is_an_error_naming_file_key_and_line(
    app: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    env = env_file(app, content)
    code = main(
        ["validate", "--config", str(app / "apig.yaml"), "--code-dir", str(app), "--env-vars", str(env)]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "1 error in the API definitions:" in err
    assert f"{env}{expected}" in err


def test_a_missing_or_unreadable_file_is_an_error(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = app / "nowhere.json"
    code, _, err = invoke(capsys, app, "report", "--env-vars", str(missing))
    assert code == 1
    assert f"{missing}: --env-vars: cannot read the file: No such file or directory" in err
    code, _, err = invoke(capsys, app, "report", "--env-vars", str(app))
    assert code == 1
    assert f"{app}: --env-vars: an --env-vars file must be a regular file; this is a folder" in err


def test_a_value_past_lambdas_size_limit_is_refused(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = env_file(app, {"report": {"TABLE": "x" * 5000}})
    code, _, err = invoke(capsys, app, "report", "--env-vars", str(env))
    assert code == 1
    assert f"{env}:3: report.TABLE: --env-vars: function 'report': " in err
    assert "over Lambda's limit of 4 KB" in err


def test_export_takes_no_env_vars(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Local values must not reach a template deployed to AWS."""
    with pytest.raises(SystemExit):
        main(["export", "--format", "sam", "--config", str(app / "apig.yaml"), "--env-vars", "x.json"])
    assert "unrecognized arguments: --env-vars" in capsys.readouterr().err


ENV_FOR_SAM = {
    "Parameters": {"STAGE": "stage-for-all"},
    "HelloWorldFunction": {"TABLE_NAME": "local-table"},
    "UsersFunction": {"STAGE": "users-local"},
}


@pytest.mark.slow
def test_serve_applies_the_file_to_a_sam_templates_functions(tmp_path: Path) -> None:
    from tests.test_cli import start_serve

    app = tmp_path / "app"
    shutil.copytree(SAM, app)
    env = env_file(tmp_path, ENV_FOR_SAM)
    process, url = start_serve("--env-vars", str(env), cwd=app)
    try:
        hello = requests.get(url + "/Prod/hello", timeout=10).json()
        assert (hello["stage"], hello["table"]) == ("stage-for-all", "local-table")
        users = requests.get(url + "/v1/health", timeout=10).json()
        assert users["stage"] == "users-local"
    finally:
        process.terminate()
        process.communicate(timeout=10)


PLUGIN_TESTS = """
def test_hello(apig):
    assert apig.get("/Prod/hello").json()["table"] == "local-table"


def test_users(apig):
    assert apig.get("/v1/health").json()["stage"] == "users-local"
"""


@pytest.mark.slow
@pytest.mark.parametrize("how", ["option", "ini"])
def test_the_pytest_plugin_takes_the_file(pytester: pytest.Pytester, how: str) -> None:
    for item in SAM.iterdir():
        (shutil.copytree if item.is_dir() else shutil.copy)(item, pytester.path / item.name)
    env_file(pytester.path, ENV_FOR_SAM, "locals.json")
    pytester.makepyfile(test_app=PLUGIN_TESTS)
    args = [*PYTESTER_ARGS, "-W", "ignore::emulator.config.ConfigWarning"]
    if how == "option":
        args += ["--apig-env-vars", "locals.json"]
    else:
        pytester.makeini(textwrap.dedent("[pytest]\napig_env_vars = locals.json\n"))
    pytester.runpytest(*args).assert_outcomes(passed=2)
