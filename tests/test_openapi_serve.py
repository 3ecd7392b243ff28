"""An imported API through ``apig-emu serve`` on a real socket, and through the pytest plugin in a project.

``serve`` prints the route table with what is not executed yet, logs the document's warnings and one
line per such note when it starts, and refuses to start on a warning under ``--fail-on-warnings``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator.auth.tokens import mint_for
from emulator.config import load_definitions
from tests.conftest import LAMBDAS, PYTESTER_ARGS, ROOT
from tests.live import LiveServer, free_port, start_server

FIXTURES = Path(__file__).parent / "fixtures" / "openapi"

pytest_plugins = ["pytester"]
#: Each test starts ``apig-emu serve`` or a pytest run.
pytestmark = pytest.mark.slow

PETS_CONFIG = f"""
apis:
  pets:
    id: k7x2m9q4pw
    openapi: {FIXTURES / "pets-export.yaml"}
    stages:
      live: {{variables: {{petFunction: getPet}}}}
      dev: {{}}
functions:
  listPets: {{handler: openapi_pets.list_pets}}
  createPet: {{handler: openapi_pets.create_pet}}
  getPet: {{handler: openapi_pets.get_pet}}
  petPhoto: {{handler: openapi_pets.pet_photo}}
"""


@pytest.fixture
def pets_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(tmp_path, PETS_CONFIG, "--no-reload", "--isolation", "thread")
    yield server
    server.stop()


def test_serve_answers_an_imported_api_and_says_what_it_does_not_execute_yet(
    pets_server: LiveServer, tmp_path: Path
) -> None:
    # Its methods are behind a Cognito authorizer: without a token, AWS's 401.
    assert requests.get(pets_server.url + "/live/pets?limit=5", timeout=5).status_code == 401
    # A token of the local issuer, minted from the same config: serve verifies it with that key.
    definitions = load_definitions(tmp_path / "apig.yaml", code_dir=LAMBDAS)
    token = {"Authorization": mint_for(definitions, "alice", scopes=["pets/read", "pets/write"])}
    listed = requests.get(pets_server.url + "/live/pets?limit=5", headers=token, timeout=5)
    assert listed.status_code == 200 and len(listed.json()["pets"]) == 2
    assert listed.json()["authorizer"]["claims"]["sub"] == "alice"
    assert requests.get(pets_server.url + "/live/pets/2", headers=token, timeout=5).json()["name"] == "Tom"
    assert requests.get(pets_server.url + "/dev/pets/2", headers=token, timeout=5).status_code == 500
    pets_server.stop()
    log = pets_server.log()
    # No method has a part left unexecuted (the NOT YET column is gone), and the resource policy is enforced.
    assert "GET      http://localhost:" in log and "NOT YET" not in log
    assert (
        "pets-export.yaml:265: x-amazon-apigateway-minimum-compression-size: "
        "x-amazon-apigateway-minimum-compression-size is not supported yet and is ignored: responses are not "
        "compressed" in log
    )
    # The stage without the variable: warned at start, and its requests answer 500 with the reason.
    assert "GET /pets/{petId} on api 'pets': stage 'dev' has no stage variable 'petFunction'" in log
    assert "GET /dev/pets/2 -> 500: AWS_PROXY integration" in log
    # Enforced now (it allows everyone), so no longer a note.
    assert "resource policy" not in log
    # Enforced now, so no longer a note: the Cognito authorizer and the photo's API key.
    assert "COGNITO_USER_POOLS" not in log and "API key required" not in log
    assert "Velocity" not in log


def test_serve_refuses_to_start_on_a_warning_under_fail_on_warnings(tmp_path: Path) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(PETS_CONFIG)
    result = subprocess.run(
        [sys.executable, "-m", "emulator.cli", "serve", "--config", str(config), "--code-dir", str(LAMBDAS),
         "--port", str(free_port()), "--fail-on-warnings", "--no-reload"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("2 errors in the API definitions:\n")
    assert (
        "(a warning, made an error by fail-on-warnings, as AWS's import with failonwarnings=true)"
        in result.stderr
    )


PROJECT_DOCUMENT = """
openapi: 3.0.1
info: {title: hello, version: "1"}
x-amazon-apigateway-minimum-compression-size: 0
paths:
  /hello/{name}:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:greet/invocations
"""
PROJECT_HANDLER = """
import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"hello": event["pathParameters"]["name"]})}
"""
PROJECT_TEST = """
def test_greets(apig):
    assert apig.get("/Prod/hello/Ann").json() == {"hello": "Ann"}
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(greet=PROJECT_HANDLER, test_greet=PROJECT_TEST)
    (pytester.path / "config").mkdir()
    (pytester.path / "config" / "hello.yaml").write_text(PROJECT_DOCUMENT)
    (pytester.path / "config" / "apig.yaml").write_text(
        textwrap.dedent(
            """
            apis:
              hello: {openapi: hello.yaml}
            functions:
              greet: {handler: greet.handler}
            """
        )
    )
    return pytester


def test_the_plugin_serves_an_imported_api_and_shows_its_warnings(project: pytest.Pytester) -> None:
    result = project.runpytest(*PYTESTER_ARGS)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*ConfigWarning: apig-emu: 1 warning in the API definitions:",
            "*hello.yaml:4: x-amazon-apigateway-minimum-compression-size: x-amazon-apigateway-minimum-compression-size "
            "is not supported yet and is ignored: responses are not compressed",
        ]
    )


@pytest.mark.parametrize("setting", [("-o", "apig_fail_on_warnings=true"), ("--apig-fail-on-warnings",)])
def test_the_plugin_fails_on_warnings_when_asked(project: pytest.Pytester, setting: tuple[str, ...]) -> None:
    result = project.runpytest(*PYTESTER_ARGS, *setting)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*apig-emu: 1 error in the API definitions:",
            "*hello.yaml:4: x-amazon-apigateway-minimum-compression-size: *",
            "*(a warning, made an error by fail-on-warnings, as AWS's import with failonwarnings=true)",
        ]
    )
