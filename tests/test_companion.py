"""``apig-emu.yaml`` beside a template: apig-emu's own settings (``iam:``, ``user_pools:``, ``api_keys:``…)
for a project whose definitions are a SAM template or a serverless.yml, read through the commands, the
harness and hot reload as a user's project would be."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests

from emulator.cli import main
from emulator.config import ConfigErrors, load
from emulator.model import Definitions
from emulator.not_executed import not_executed
from emulator.reload import Reloader
from emulator.runtime.interpreters import RUNNING
from emulator.testing import Harness
from emulator.testing.signing import SigV4Signer
from tests.conftest import LAMBDAS, PYTESTER_ARGS, ROOT
from tests.live import free_port
from tests.test_cognito import Pool

pytest_plugins = ["pytester"]

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TEMPLATE = f"""\
Transform: AWS::Serverless-2016-10-31
Resources:
  Who:
    Type: AWS::Serverless::Function
    Properties:
      Handler: cases.echo_event
      Runtime: {RUNNING}
      CodeUri: {LAMBDAS}
      Events:
        Signed: {{Type: Api, Properties: {{Path: /who, Method: get, Auth: {{Authorizer: AWS_IAM}}}}}}
        Open: {{Type: Api, Properties: {{Path: /open, Method: get}}}}
"""
IAM = f"""\
iam:
  credentials:
    - access_key_id: AKIDEXAMPLE
      secret_access_key: {SECRET}
      user_arn: arn:aws:iam::123456789012:user/alice
"""
NOT_YET = "IAM authorization (AWS_IAM): no iam: credentials are listed"


def project(tmp_path: Path, companion: str | None = IAM, template: str = TEMPLATE) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(template)
    if companion is not None:
        (tmp_path / "apig-emu.yaml").write_text(textwrap.dedent(companion))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def error_lines(path: Path) -> list[str]:
    with pytest.raises(ConfigErrors) as raised:
        Harness(path).close()
    return [str(error).replace(f"{path.parent}/", "") for error in raised.value.errors]


# A SAM template's AWS_IAM method verifies against the companion's credentials


def test_a_request_signed_as_a_companion_credential_answers_200(tmp_path: Path) -> None:
    with Harness(project(tmp_path)) as apig:
        assert not not_executed(apig.definitions)
        response = apig.get("/Prod/who", sign_as="AKIDEXAMPLE")
        assert response.status_code == 200
        identity = response.json()["requestContext"]["identity"]
        assert (identity["accessKey"], identity["userArn"]) == (
            "AKIDEXAMPLE",
            "arn:aws:iam::123456789012:user/alice",
        )
        assert apig.get("/Prod/who").status_code == 403
        assert apig.get("/Prod/open").status_code == 200


def test_routes_names_the_companion_and_drops_the_not_yet_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = project(tmp_path)
    code, out, err = run(capsys, "routes", "--config", str(template))
    assert code == 0, err
    assert NOT_YET not in out and "NOT YET" not in out
    said = [line for line in err.splitlines() if "apig-emu.yaml" in line]
    assert said == [
        f"apig-emu: also read {tmp_path / 'apig-emu.yaml'}: apig-emu's own settings for the template beside it"
    ]


def test_validate_finds_the_default_template_and_its_companion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "validate")
    assert code == 0, err
    assert "template.yaml: 1 API(s), 1 function(s), no errors" in out
    assert "apig-emu: also read apig-emu.yaml: apig-emu's own settings for the template beside it" in err


def test_without_a_companion_nothing_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = project(tmp_path, companion=None)
    code, out, err = run(capsys, "routes", "--config", str(template))
    assert code == 0, err
    assert NOT_YET in out and "apig-emu.yaml" not in err
    definitions = load(template).definitions
    assert (definitions.companion, definitions.iam, definitions.sources) == (None, {}, (template,))


def test_a_companion_beside_apig_emu_s_own_yaml_is_not_read(tmp_path: Path) -> None:
    """Only a template has no place for these settings; beside our YAML the file is just another file."""
    config = tmp_path / "apig.yaml"
    config.write_text("functions:\n  fn: {handler: cases.echo_event}\n")
    (tmp_path / "apig-emu.yaml").write_text("not: [valid\n")
    loaded = load(config, code_dir=LAMBDAS)
    assert (loaded.errors, loaded.definitions.companion) == ([], None)


def test_the_companion_s_aws_section_reaches_the_template_s_model(tmp_path: Path) -> None:
    companion = "aws:\n  endpoint_url: http://127.0.0.1:5000\n  region: eu-west-1\n"
    definitions = load(project(tmp_path, companion=companion)).definitions
    assert (definitions.aws.endpoint_url, definitions.aws.region) == ("http://127.0.0.1:5000", "eu-west-1")


STAGE_FUNCTION = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        openapi: 3.0.1
        info: {title: shop, version: "1"}
        paths:
          /orders:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}/invocations
"""


def test_the_template_s_warnings_are_reported_once(tmp_path: Path) -> None:
    """A check over the whole model (a stage's functions) runs for the template and again once merged."""
    alone = load(project(tmp_path, companion=None, template=STAGE_FUNCTION)).warnings
    assert len(alone) == 1 and "stage 'Prod' answer 500" in str(alone[0])
    (tmp_path / "apig-emu.yaml").write_text(IAM)
    assert load(tmp_path / "template.yaml").warnings == alone


def test_a_template_named_apig_emu_yaml_is_not_its_own_companion(tmp_path: Path) -> None:
    template = tmp_path / "apig-emu.yaml"
    template.write_text(TEMPLATE)
    loaded = load(template)
    assert (loaded.errors, loaded.definitions.companion, sorted(loaded.definitions.functions)) == (
        [],
        None,
        ["Who"],
    )


def test_export_writes_the_merged_definitions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What is served is what is exported: the companion's usage plan joins the template's API."""
    template = project(
        tmp_path,
        companion="""\
        api_keys:
          partner: {value: abcdefghij0123456789}
        usage_plans:
          basic:
            stages: [{api: ServerlessRestApi, stage: Prod}]
            keys: [partner]
        """,
    )
    output = tmp_path / "out" / "template.json"
    output.parent.mkdir()
    code, _, err = run(
        capsys, "export", "--config", str(template), "--format", "sam", "--output", str(output)
    )
    assert code == 0, err
    assert f"also read {tmp_path / 'apig-emu.yaml'}" in err
    resources = json.loads(output.read_text())["Resources"]
    plans = [one["Properties"] for one in resources.values() if one["Type"] == "AWS::ApiGateway::UsagePlan"]
    assert [plan["UsagePlanName"] for plan in plans] == ["basic"]


# serverless.yml with a companion


SERVICE = """\
service: shop
provider: {name: aws, runtime: python3.12}
functions:
  fn:
    handler: cases.echo_event
    events:
      - http: {path: items, method: get, private: true}
      - http: {path: me, method: get, authorizer: {arn: 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Real123'}}
"""


def service(tmp_path: Path, companion: str) -> Path:
    path = tmp_path / "serverless.yml"
    path.write_text(SERVICE)
    (tmp_path / "apig-emu.yaml").write_text(textwrap.dedent(companion))
    return path


def test_a_service_s_private_method_takes_the_companion_s_api_key(tmp_path: Path) -> None:
    path = service(
        tmp_path,
        """\
        api_keys:
          partner: {value: abcdefghij0123456789}
        usage_plans:
          basic:
            stages: [{api: dev-shop, stage: dev}]
            keys: [partner]
        """,
    )
    with Harness(path, code_dir=LAMBDAS) as apig:
        assert apig.get("/dev/items").status_code == 403
        assert apig.get("/dev/items", headers={"x-api-key": "abcdefghij0123456789"}).status_code == 200


def test_a_service_s_cognito_method_verifies_against_the_companion_s_jwks(tmp_path: Path) -> None:
    pool = Pool()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "pool.json").write_text(json.dumps(pool.jwks()))
    path = service(tmp_path, "user_pools:\n  eu-west-1_Real123: {jwks: keys/pool.json}\n")
    with Harness(path, code_dir=LAMBDAS) as apig:
        assert (tmp_path / "keys" / "pool.json") in apig.definitions.sources
        response = apig.get("/dev/me", headers={"Authorization": pool.sign()})
        assert response.status_code == 200
        claims = response.json()["requestContext"]["authorizer"]["claims"]
        assert claims["cognito:username"] == "alice"
        other = Pool()
        assert apig.get("/dev/me", headers={"Authorization": other.sign()}).status_code == 401


# Errors


def test_an_error_in_the_companion_names_its_file_key_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = project(
        tmp_path,
        companion="""\
        iam:
          credentials:
            - access_key_id: AKIDEXAMPLE
              secret_access_key: s
              user_arn: alice
        """,
    )
    code, _, err = run(capsys, "validate", "--config", str(template))
    assert code == 1
    assert f"{tmp_path / 'apig-emu.yaml'}:5: iam.credentials[0].user_arn" in err


def test_a_yaml_syntax_error_in_the_companion_is_at_its_line(tmp_path: Path) -> None:
    template = project(tmp_path, companion="iam:\n  credentials: [\n")
    (line,) = error_lines(template)
    assert line.startswith("apig-emu.yaml:3")


def test_a_name_defined_in_both_is_an_error_naming_both(tmp_path: Path) -> None:
    template = project(tmp_path, companion="functions:\n  Who: {handler: cases.echo_event}\n")
    assert error_lines(template) == [
        "apig-emu.yaml:2: functions.Who: function 'Who' is defined in both template.yaml:5 and apig-emu.yaml:2"
    ]


def test_an_api_key_defined_in_both_a_service_and_its_companion(tmp_path: Path) -> None:
    path = tmp_path / "serverless.yml"
    path.write_text(
        SERVICE.replace(
            "provider: {name: aws, runtime: python3.12}",
            "provider:\n  name: aws\n  runtime: python3.12\n  apiGateway:\n    apiKeys: [partner]",
        )
    )
    (tmp_path / "apig-emu.yaml").write_text("api_keys:\n  partner: {value: abcdefghij0123456789}\n")
    with pytest.raises(ConfigErrors) as raised:
        Harness(path, code_dir=LAMBDAS).close()
    (message,) = [str(error).replace(f"{tmp_path}/", "") for error in raised.value.errors]
    assert message == (
        "apig-emu.yaml:2: api_keys.partner: api key 'partner' is defined in both serverless.yml:6 and "
        "apig-emu.yaml:2"
    )


def test_the_companion_names_the_template_s_methods_and_apis(tmp_path: Path) -> None:
    """auth_off: and a usage plan reach the template's API; a typo there is the companion's error."""
    template = project(
        tmp_path,
        companion="""\
        auth_off:
          methods: [{api: ServerlessRestApi, resource: /who, method: GET}]
        usage_plans:
          basic:
            stages: [{api: ServerlessRestAPI, stage: Prod}]
        """,
    )
    lines = error_lines(template)
    assert len(lines) == 1 and lines[0].startswith("apig-emu.yaml:5: usage_plans.basic.stages[0].api")
    assert "ServerlessRestApi" in lines[0]


def test_auth_off_in_the_companion_skips_the_template_s_iam_method(tmp_path: Path) -> None:
    template = project(
        tmp_path, companion="auth_off:\n  methods: [{api: ServerlessRestApi, resource: /who, method: GET}]\n"
    )
    with Harness(template) as apig:
        assert apig.get("/Prod/who").status_code == 200


def test_a_companion_s_mock_joins_the_template_s_api_and_its_tree(tmp_path: Path) -> None:
    """A method added beside the template's is checked against its resources as one folder's files are."""
    template = project(
        tmp_path,
        companion="""\
        mocks:
          health:
            body: {ok: true}
            triggers: [{api: ServerlessRestApi, resource: /health, method: GET}]
          clash:
            triggers: [{api: ServerlessRestApi, resource: /who, method: GET}]
        """,
    )
    (line,) = error_lines(template)
    assert line == (
        "apig-emu.yaml:6: mocks.clash.triggers[0]: GET /who on api 'ServerlessRestApi' is integrated with both "
        "function 'Who' (template.yaml:10) and mock 'clash' (apig-emu.yaml:6); a method integrates with "
        "exactly one function or mock"
    )
    (tmp_path / "apig-emu.yaml").write_text(
        IAM + "mocks:\n  health:\n    body: {ok: true}\n"
        "    triggers: [{api: ServerlessRestApi, resource: /health, method: GET}]\n"
    )
    with Harness(template) as apig:
        assert apig.get("/Prod/health").json() == {"ok": True}
        assert apig.get("/Prod/who", sign_as="AKIDEXAMPLE").status_code == 200


def test_serve_mock_goes_to_the_file_that_defines_the_function(tmp_path: Path) -> None:
    template = project(tmp_path, companion="functions:\n  extra: {handler: cases.echo_event}\n")
    from emulator.config.builder import MockAnswer

    loaded = load(template, mocks={"Who": MockAnswer(200), "extra": MockAnswer(200), "nope": MockAnswer(200)})
    assert [str(error).split(":")[0] for error in loaded.errors] == ["--mock nope=..."]
    assert sorted(loaded.definitions.functions) == []


# Hot reload


def test_hot_reload_watches_the_companion_before_and_after_it_exists(tmp_path: Path) -> None:
    template = project(tmp_path, companion=None)
    companion = tmp_path / "apig-emu.yaml"

    def reload() -> Definitions:
        loaded = load(template)
        if loaded.errors:
            raise ConfigErrors(loaded.errors)
        return loaded.definitions

    with Harness(template) as apig:
        app = apig.client.app
        reloader = Reloader(app, config=template, code_dir=tmp_path, load=reload)
        assert reloader.is_config(str(companion))
        companion.write_text(IAM)
        reloader.apply([str(companion)])
        assert list(app.state.gateway.deployment.definitions.iam) == ["AKIDEXAMPLE"]
        companion.unlink()
        reloader.apply([str(companion)])
        assert app.state.gateway.deployment.definitions.iam == {}


def test_apig_emu_s_own_yaml_does_not_watch_a_companion(tmp_path: Path) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text("functions:\n  fn: {handler: cases.echo_event}\n")
    with Harness(config, code_dir=LAMBDAS) as apig:
        reloader = Reloader(apig.client.app, config=config, code_dir=tmp_path / "code", load=lambda: None)
        assert not reloader.is_config(str(tmp_path / "apig-emu.yaml"))


# serve and the pytest plugin, in processes of their own


SERVE = (sys.executable, "-m", "emulator.cli", "serve", "--no-reload", "--isolation", "thread")


@pytest.mark.slow
def test_serve_verifies_against_the_companion_and_logs_that_it_read_it(tmp_path: Path) -> None:
    template = project(tmp_path)
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*SERVE, "--port", str(port), "--config", str(template)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)},
        )
    try:
        url = f"http://127.0.0.1:{port}/Prod/who"
        deadline = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < deadline:
            try:
                requests.get(url, timeout=0.5)
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.05)
        headers = SigV4Signer("AKIDEXAMPLE", SECRET).sign("GET", url, {"host": f"127.0.0.1:{port}"})
        response = requests.get(url, headers=headers, timeout=10)
        assert response.status_code == 200, log_path.read_text()
    finally:
        process.terminate()
        process.wait(timeout=10)
    text = log_path.read_text()
    assert text.count("also read") == 1 and str(tmp_path / "apig-emu.yaml") in text
    assert "not executed yet" not in text and "NOT YET" not in text


PLUGIN_TEST = """
def test_signed(apig):
    assert apig.get("/Prod/who", sign_as="AKIDEXAMPLE").status_code == 200
    assert apig.get("/Prod/who").status_code == 403
"""


@pytest.mark.slow
def test_the_plugin_serves_a_template_with_its_companion(pytester: pytest.Pytester) -> None:
    project(pytester.path)
    pytester.makepyfile(test_signed=PLUGIN_TEST)
    result = pytester.runpytest(*PYTESTER_ARGS)
    result.assert_outcomes(passed=1)
