"""``Harness`` from a config path and a code directory, as ``apig-emu serve --config --code-dir`` takes them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from emulator.config import ConfigErrors
from emulator.testing import Harness, definitions_from_yaml, lambda_context
from tests.conftest import ISOLATIONS, LAMBDAS

#: A handler module name no other test imports: thread isolation shares ``sys.modules``.
CONFIG = """
apis:
  shop: {}
functions:
  where:
    handler: harness_config_where.handler
    triggers: [{api: shop, resource: /where, method: GET, proxy: true}]
"""

HANDLER = """
import json
import os


def handler(event, context):
    body = {"file": os.path.basename(os.path.dirname(__file__)), "root": os.environ["LAMBDA_TASK_ROOT"]}
    return {"statusCode": 200, "body": json.dumps(body)}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's project: the config in config/, the handlers' code root in src/."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "apig.yaml").write_text(textwrap.dedent(CONFIG))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "harness_config_where.py").write_text(textwrap.dedent(HANDLER))
    return tmp_path


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_a_config_file_and_a_code_dir(project: Path, isolation: str) -> None:
    with Harness(project / "config" / "apig.yaml", code_dir=project / "src", isolation=isolation) as apig:
        response = apig.get("/Prod/where")
        assert response.status == 200, response.text
        assert response.json() == {"file": "src", "root": str((project / "src").resolve())}
        assert apig.invocations[-1].function == "where"


def test_relative_paths_are_taken_from_the_working_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    with Harness("config/apig.yaml", code_dir="src") as apig:
        assert apig.get("/Prod/where").json()["root"] == str((project / "src").resolve())


def test_the_code_dir_defaults_to_the_working_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "src")
    with Harness(project / "config") as apig:  # a folder of YAML files, as --config takes
        assert apig.definitions.functions["where"].code_dir == (project / "src").resolve()


def test_a_config_that_does_not_validate_raises_validates_messages(tmp_path: Path) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(
        "apis: {shop: {}}\nfunctions:\n  f:\n    handler: m.h\n    triggers: [{api: shop, resource: /x, method: FETCH}]\n"
    )
    with pytest.raises(ConfigErrors) as caught:
        Harness(config, code_dir=tmp_path)
    assert f"{config}:5: functions.f.triggers[0].method: unknown method 'FETCH'" in str(caught.value)
    with pytest.raises(ConfigErrors, match="no such file or folder"):
        Harness(tmp_path / "missing.yaml")


def test_loaded_definitions_still_work_and_refuse_a_code_dir() -> None:
    definitions = definitions_from_yaml(CONFIG.replace("harness_config_where", "cases"), code_dir=LAMBDAS)
    with Harness(definitions) as apig:
        assert apig.definitions is definitions
    with pytest.raises(TypeError, match="code_dir applies when a config is loaded"):
        Harness(definitions, code_dir=LAMBDAS)


def test_anything_else_is_refused_by_name() -> None:
    with pytest.raises(
        TypeError, match="config must be a path to a YAML file or folder, or Definitions; got dict"
    ):
        Harness({"apis": {}})  # type: ignore[arg-type]


def test_event_helpers_share_the_rule(project: Path) -> None:
    definitions = definitions_from_yaml(CONFIG, code_dir=project / "src")
    with pytest.raises(TypeError, match="code_dir applies when a config is loaded"):
        lambda_context("where", config=definitions, code_dir=project)
    assert (
        lambda_context("where", config=project / "config", code_dir=project / "src").function_name == "where"
    )
