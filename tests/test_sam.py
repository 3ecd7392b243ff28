"""SAM templates served as they are: the shape of `sam init`'s hello-world, plus an explicit API with CORS,
a Cognito authorizer, a layer and Globals (``tests/fixtures/sam``), through the CLI and the harness."""

from __future__ import annotations

import json
import shutil
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator.auth.tokens import mint
from emulator.cli import main
from emulator.config import ConfigWarning, load, load_definitions
from emulator.runtime.interpreters import RUNNING
from emulator.testing import Harness
from tests.conftest import PYTESTER_ARGS

pytest_plugins = ["pytester"]

FIXTURE = Path(__file__).parent / "fixtures" / "sam"
TEMPLATE = FIXTURE / "template.yaml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err.replace(f"{FIXTURE}/", "").replace(str(TEMPLATE), "template.yaml")


@pytest.fixture
def apig() -> Iterator[Harness]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)  # asserted by the validate test
        harness = Harness(TEMPLATE)
    with harness:
        yield harness


def test_route_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "routes", "-t", str(TEMPLATE))
    assert code == 0
    assert out.splitlines()[:8] == [
        "METHOD   URL                                  INTEGRATION     FUNCTION            CORS  API",
        "GET      http://localhost:3000/v1/health      lambda-proxy    UsersFunction       yes   UsersApi (3u4ptt6zk5)",
        "OPTIONS  http://localhost:3000/v1/health      cors-preflight  -                   yes   UsersApi (3u4ptt6zk5)",
        "GET      http://localhost:3000/v1/users       lambda-proxy    UsersFunction       yes   UsersApi (3u4ptt6zk5)",
        "OPTIONS  http://localhost:3000/v1/users       cors-preflight  -                   yes   UsersApi (3u4ptt6zk5)",
        "GET      http://localhost:3000/v1/users/{id}  lambda-proxy    UsersFunction       yes   UsersApi (3u4ptt6zk5)",
        "OPTIONS  http://localhost:3000/v1/users/{id}  cors-preflight  -                   yes   UsersApi (3u4ptt6zk5)",
        "GET      http://localhost:3000/Prod/hello     lambda-proxy    HelloWorldFunction        ServerlessRestApi (3zdaiwu3nc)",
    ]
    # The Cognito authorizer is enforced now: no note says it is not.
    assert "COGNITO_USER_POOLS" not in out


def test_validate_names_what_is_not_emulated_with_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", "--template", str(TEMPLATE))
    assert code == 0
    assert "template.yaml: 2 API(s), 2 function(s), no errors" in out
    lines = err.splitlines()
    # MethodSettings' throttling is emulated now (tests/test_method_settings.py): no warning.
    assert not [line for line in lines if "MethodSettings" in line]
    assert (
        "template.yaml:110: Resources.UsersFunction.Properties.Events.Metrics.Type: HttpApi event 'Metrics' of "
        "function 'UsersFunction' is not served: apig-emu emulates REST APIs (Type: Api), not HTTP APIs"
    ) in lines
    runtime = [line for line in lines if "Runtime" in line]
    if RUNNING == "python3.12":
        assert runtime == []
    else:
        assert runtime[0].startswith(
            "template.yaml:22: Globals.Function.Runtime: function 'HelloWorldFunction' is written for "
            f"python3.12, not {RUNNING}, which runs apig-emu: "
        )


def test_found_without_flags_and_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURE)
    code, out, err = run(capsys, "routes")
    assert code == 0
    assert "apig-emu: using template.yaml, a SAM template (no --config given)" in err
    assert "/Prod/hello" in out


def test_the_hello_world_function_gets_globals_and_the_implicit_api(apig: Harness) -> None:
    answer = apig.get("/Prod/hello")
    assert answer.status_code == 200
    assert answer.json() == {
        "message": "hello world",
        "stage": "dev",  # Globals' Environment, from the parameter's default
        "table": "UsersTable",  # Ref to a resource: its logical id
        "function": "HelloWorldFunction",
        "memory": "128",
        "path": "/hello",
    }


def test_the_explicit_api_its_layer_stage_variables_and_own_environment(apig: Harness) -> None:
    assert apig.get("/v1/users/7").status_code == 401  # the DefaultAuthorizer, Cognito, wants a token
    answer = apig.get("/v1/users/7", headers={"Authorization": apig.token("alice")})
    assert answer.status_code == 200
    body = answer.json()
    claims = body.pop("claims")
    assert body == {
        "greeting": "hello 7, from the shared layer",
        "stage": "users-stage",  # the function's own variable wins over Globals'
        "stageVariable": "hello",
        "timeout_ms": True,  # Timeout: 10
    }
    # The pool created in the template (!GetAtt UsersPool.Arn) is the local issuer's.
    assert (claims["sub"], claims["token_use"]) == ("alice", "id")
    assert claims["iss"].startswith("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_")


def test_cors_preflight_as_sam_configures_it(apig: Harness) -> None:
    answer = apig.options(
        "/v1/users", headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}
    )
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert answer.headers["Access-Control-Allow-Headers"] == "Content-Type,Authorization"
    assert answer.headers["Access-Control-Max-Age"] == "600"


def test_the_model_holds_what_the_api_declares() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)
        definitions = load_definitions(TEMPLATE)
    users = definitions.apis["UsersApi"]
    assert users.binary_media_types == ("image/png",)  # Globals.Api, SAM's ~1
    assert users.stages["v1"].variables == {"greeting": "hello"}
    cognito = users.authorizers["UsersCognito"]
    assert cognito.type == "COGNITO_USER_POOLS"
    assert cognito.identity_source == "method.request.header.Authorization"
    assert cognito.provider_arns[0].startswith("arn:aws:cognito-idp:us-east-1:123456789012:userpool/")
    health = users.resources["/health"].methods["GET"]
    assert health.authorization_type == "NONE"
    user = users.resources["/users/{id}"].methods["GET"]
    assert (user.authorization_type, user.authorizer) == ("COGNITO_USER_POOLS", "UsersCognito")
    assert user.request_parameters == {"method.request.path.id": True}
    assert user.request_validator == "params-only"
    unauthorized = users.gateway_responses["UNAUTHORIZED"]
    assert unauthorized.status == 401
    assert unauthorized.headers == (("Access-Control-Allow-Origin", "'https://app.example.com'"),)
    hello = definitions.functions["HelloWorldFunction"]
    assert hello.code_dir == FIXTURE / "hello_world"
    assert definitions.functions["UsersFunction"].layer_paths == (FIXTURE / "layers" / "shared" / "python",)


def test_parameter_overrides_choose_the_condition(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "routes", "-t", str(TEMPLATE), "--parameter-overrides", "Environment=prod")
    assert code == 0
    assert "http://localhost:3000/prod/users" in out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)
        definitions = load_definitions(TEMPLATE, parameter_overrides={"Environment": "prod"})
    with Harness(definitions) as apig:
        assert apig.get("/Prod/hello").json()["stage"] == "prod"


def _copy(tmp_path: Path, template: str) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "app")
    (tmp_path / "app" / "template.yaml").write_text(template)
    return tmp_path / "app" / "template.yaml"


def _errors(path: Path) -> list[str]:
    return [str(error).replace(f"{path.parent}/", "") for error in load(path).errors]


def test_what_cannot_be_read_locally_is_an_error_with_path_and_line(tmp_path: Path) -> None:
    text = TEMPLATE.read_text()
    text = text.replace("CodeUri: hello_world/", "CodeUri: s3://bucket/hello.zip")
    text = text.replace("TABLE_NAME: !Ref UsersTable", "TABLE_NAME: !ImportValue shared-table")
    path = _copy(tmp_path, text)
    assert sorted(error.splitlines()[0] for error in _errors(path)) == [
        "template.yaml:26: Globals.Function.Environment.Variables.TABLE_NAME.Fn::ImportValue: Fn::ImportValue "
        "cannot be resolved locally: it reads another stack's exported output, which does not exist locally",
        "template.yaml:35: Resources.HelloWorldFunction.Properties.CodeUri: CodeUri is an S3 location, which "
        "cannot be read locally",
    ]


def test_an_event_naming_no_api_is_refused(tmp_path: Path) -> None:
    path = _copy(
        tmp_path,
        TEMPLATE.read_text().replace(
            "RestApiId: !Ref UsersApi\n            Path: /users\n",
            "RestApiId: !Ref UserApi\n            Path: /users\n",
        ),
    )
    errors = _errors(path)
    assert (
        "template.yaml:89: Resources.UsersFunction.Properties.Events.ListUsers.Properties.RestApiId: RestApiId "
        "names 'UserApi', which is not an AWS::Serverless::Api of the template (did you mean 'UsersApi'?)"
    ) in errors


def test_an_unknown_authorizer_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path, TEMPLATE.read_text().replace("Authorizer: NONE", "Authorizer: Nope"))
    errors = _errors(path)
    assert any(
        error.startswith(
            "template.yaml:108: Resources.UsersFunction.Properties.Events.Health.Properties.Auth.Authorizer:"
        )
        and "uses authorizer 'Nope', which api 'UsersApi' does not declare (UsersCognito)" in error
        for error in errors
    ), errors


def test_definition_body_is_read_by_the_openapi_importer(tmp_path: Path) -> None:
    body = """
      DefinitionBody:
        openapi: 3.0.1
        info: {title: users, version: "1"}
        paths:
          /ping:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${UsersFunction.Arn}/invocations
          /users:
            get: {}
"""
    text = TEMPLATE.read_text().replace(
        "      Variables:\n        greeting: hello\n",
        "      Variables:\n        greeting: hello\n" + body.lstrip("\n"),
        1,
    )
    path = _copy(tmp_path, text)
    loaded = load(path)
    assert loaded.errors == []
    users = loaded.definitions.apis["UsersApi"]
    assert users.resources["/ping"].methods["GET"].integration.function == "UsersFunction"
    # The event integrates the document's /users GET, which had no integration.
    assert users.resources["/users"].methods["GET"].integration.function == "UsersFunction"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)
        harness = Harness(path)
    with harness:
        assert harness.get("/v1/ping").status_code == 200


def test_inline_code_is_served(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Inline:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Handler: index.handler\n"
        f"      Runtime: python{sys.version_info.major}.{sys.version_info.minor}\n"
        "      InlineCode: |\n"
        "        def handler(event, context):\n"
        "            return {'statusCode': 200, 'body': 'inline ' + event['path']}\n"
        "      Events:\n"
        "        Any:\n"
        "          Type: Api\n"
        '          Properties: {Path: "/{proxy+}", Method: any}\n'
    )
    with Harness(path) as apig:
        answer = apig.post("/Prod/a/b")
    assert (answer.status_code, answer.text) == (200, "inline /a/b")


def test_the_json_form_of_a_template_is_read_too(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE / "hello_world", tmp_path / "hello_world")
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "HelloWorldFunction": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "hello_world/",
                    "Handler": "app.lambda_handler",
                    "Environment": {
                        "Variables": {"STAGE": {"Fn::Sub": "${AWS::StackName}"}, "TABLE_NAME": "t"}
                    },
                    "Events": {"Hello": {"Type": "Api", "Properties": {"Path": "/hello", "Method": "GET"}}},
                },
            }
        },
    }
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template, indent=2))
    with Harness(path) as apig:
        assert apig.get("/Prod/hello").json()["stage"] == "local"


@pytest.mark.slow
def test_serve_answers_the_template_over_a_socket(tmp_path: Path) -> None:
    from tests.test_cli import start_serve

    app = _copy(tmp_path, TEMPLATE.read_text()).parent
    process, url = start_serve(cwd=app)
    try:
        hello = requests.get(url + "/Prod/hello", timeout=10)
        assert hello.status_code == 200
        assert hello.json()["function"] == "HelloWorldFunction"
        # A token of the local issuer, minted from the same template: serve verifies it with that key.
        token = mint(load_definitions(app / "template.yaml"), "alice")
        user = requests.get(url + "/v1/users/3", headers={"Authorization": token}, timeout=10)
        assert user.json()["greeting"] == "hello 3, from the shared layer"
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "apig-emu: using template.yaml, a SAM template (no --config given)" in output


PLUGIN_TESTS = """
def test_hello(apig):
    answer = apig.get("/Prod/hello")
    assert answer.status_code == 200
    assert answer.json()["table"] == "UsersTable"


def test_users_through_the_layer(apig):
    token = apig.token("alice")
    assert apig.get("/v1/users/9", headers={"Authorization": token}).json()["greeting"] == (
        "hello 9, from the shared layer"
    )
    assert [call.function for call in apig.invocations] == ["UsersFunction"]
"""


@pytest.mark.slow
def test_the_pytest_plugin_finds_and_serves_the_template(pytester: pytest.Pytester) -> None:
    for item in FIXTURE.iterdir():
        target = pytester.path / item.name
        if item.is_dir():
            shutil.copytree(item, target)
        else:
            shutil.copy(item, target)
    pytester.makepyfile(test_app=PLUGIN_TESTS)
    result = pytester.runpytest(*PYTESTER_ARGS, "-W", "ignore::emulator.config.ConfigWarning")
    result.assert_outcomes(passed=2)
