"""Throttling from CloudFormation's and SAM's ``MethodSettings`` (and a Deployment's ``StageDescription``):
the stage's default, each method's own, and the account's limits where a setting leaves one out."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from emulator.config import ConfigWarning, load
from emulator.config.lambda_uris import Target
from emulator.export.notes import Notes
from emulator.export.sam import sam_template
from emulator.model import Throttle
from emulator.testing import Harness, definitions_from_yaml
from tests.conftest import LAMBDAS

SAM_FIXTURE = Path(__file__).parent / "fixtures" / "sam" / "template.yaml"

SAM = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  ShopApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      MethodSettings:
        - {ResourcePath: "/*", HttpMethod: "*", ThrottlingRateLimit: 1, ThrottlingBurstLimit: 2, MetricsEnabled: true}
        - {ResourcePath: "/~1items~1{id}", HttpMethod: GET, ThrottlingRateLimit: 5, ThrottlingBurstLimit: 1}
        - {ResourcePath: "/*", HttpMethod: GET, ThrottlingRateLimit: 5}
  Items:
    Type: AWS::Serverless::Function
    Properties:
      Handler: cases.echo_event
      Runtime: python3.12
      CodeUri: LAMBDAS
      Events:
        One: {Type: Api, Properties: {RestApiId: !Ref ShopApi, Path: "/items/{id}", Method: get}}
        All: {Type: Api, Properties: {RestApiId: !Ref ShopApi, Path: /items, Method: get}}
"""

CLOUDFORMATION = """
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: shop}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: items}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: NONE
      Integration: {Type: MOCK, RequestTemplates: {application/json: '{"statusCode": 200}'},
                    IntegrationResponses: [{StatusCode: "200"}]}
      MethodResponses: [{StatusCode: "200"}]
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: Get
    Properties:
      RestApiId: !Ref Api
      StageName: live
      StageDescription:
        ThrottlingRateLimit: 3
        ThrottlingBurstLimit: 1
        MethodSettings:
          - {ResourcePath: "/~1items", HttpMethod: GET, ThrottlingBurstLimit: 7}
"""


def written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text).replace("LAMBDAS", str(LAMBDAS)))
    return path


def test_sams_method_settings_are_the_stages_and_the_methods_throttles(tmp_path: Path) -> None:
    loaded = load(written(tmp_path, SAM))
    assert loaded.errors == []
    stage = loaded.definitions.apis["ShopApi"].stages["Prod"]
    assert stage.throttle == Throttle(1, 2)
    assert stage.method_throttles == {("/items/{id}", "GET"): Throttle(5, 1)}
    warnings = [str(warning) for warning in loaded.warnings]
    assert any(
        "MethodSettings[0].MetricsEnabled: MetricsEnabled is not emulated" in line for line in warnings
    )
    assert any(
        "MethodSettings[2]: a method setting applies to one method, or to all ('/*' and '*'); this one is ignored"
        in line
        for line in warnings
    )


def test_a_deployments_stage_description_throttles_with_the_account_default_for_a_missing_limit(
    tmp_path: Path,
) -> None:
    loaded = load(written(tmp_path, CLOUDFORMATION))
    assert loaded.errors == []
    stage = loaded.definitions.apis["Api"].stages["live"]
    assert stage.throttle == Throttle(3, 1)
    # AWS's account default (10,000 per second) where the setting gives only the burst.
    assert stage.method_throttles == {("/items", "GET"): Throttle(10_000, 7)}


def test_the_sam_fixtures_rate_only_setting_keeps_the_account_burst() -> None:
    stage = next(iter(load(SAM_FIXTURE).definitions.apis["UsersApi"].stages.values()))
    assert stage.throttle == Throttle(10, 5000)


def test_a_sam_stage_is_throttled_as_its_method_settings_say(tmp_path: Path) -> None:
    with pytest.warns(ConfigWarning, match="only throttling is emulated"):
        apig = Harness(written(tmp_path, SAM))
    with apig:
        assert [apig.get("/Prod/items").status for _ in range(3)] == [200, 200, 429]
        assert [apig.get("/Prod/items/1").status for _ in range(2)] == [200, 429]
        apig.clock.advance(1)
        assert apig.get("/Prod/items").status == 200


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("ThrottlingRateLimit: fast", "ThrottlingRateLimit must be a number, got 'fast'"),
        ("ThrottlingBurstLimit: -1", "ThrottlingBurstLimit must be an integer of at least 0, got -1"),
    ],
)
def test_a_bad_limit_is_an_error_at_its_line(tmp_path: Path, setting: str, message: str) -> None:
    text = SAM.replace("ThrottlingRateLimit: 5, ThrottlingBurstLimit: 1", setting)
    errors = [str(error) for error in load(written(tmp_path, text)).errors]
    assert errors == [f"{tmp_path / 'template.yaml'}:11: Resources.ShopApi.Properties.MethodSettings[1]."
                      f"{setting.split(':')[0]}: {message}"]  # fmt: skip


YAML = """
apis:
  shop:
    stages:
      Prod:
        throttle: {rate: 4, burst: 2}
        method_throttle:
          "GET /items/{id}": {rate: 0.5, burst: 1}
          "GET /": {rate: 9, burst: 9}
mocks:
  ok:
    status: 200
    body: '{}'
    triggers:
      - {api: shop, resource: "/items/{id}", method: GET}
      - {api: shop, resource: /, method: GET}
"""


def test_the_sam_export_writes_the_stages_throttling_as_method_settings_that_load_back(
    tmp_path: Path,
) -> None:
    definitions = definitions_from_yaml(YAML, code_dir=LAMBDAS)
    api = definitions.apis["shop"]
    template = sam_template(
        api, definitions, stage=api.stages["Prod"], target=Target(), notes=Notes(), template_dir=tmp_path
    )
    (logical_id,) = [
        key for key, value in template["Resources"].items() if value["Type"] == "AWS::Serverless::Api"
    ]
    assert template["Resources"][logical_id]["Properties"]["MethodSettings"] == [
        {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 4.0, "ThrottlingBurstLimit": 2},
        {
            "ResourcePath": "/~1items~1{id}",
            "HttpMethod": "GET",
            "ThrottlingRateLimit": 0.5,
            "ThrottlingBurstLimit": 1,
        },
        {"ResourcePath": "/", "HttpMethod": "GET", "ThrottlingRateLimit": 9.0, "ThrottlingBurstLimit": 9},
    ]
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(template))
    back = load(path).definitions.apis[logical_id].stages["Prod"]
    assert (back.throttle, back.method_throttles) == (
        api.stages["Prod"].throttle,
        api.stages["Prod"].method_throttles,
    )


PLAN = """
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: shop}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages:
        - ApiId: !Ref Api
          Stage: live
          Throttle:
            /items/GET: {RateLimit: 2, BurstLimit: 4}
            items: {RateLimit: 2, BurstLimit: 4}
      Throttle: {RateLimit: 50, BurstLimit: 100}
"""


def test_a_usage_plans_api_stage_throttle_is_read_per_method(tmp_path: Path) -> None:
    loaded = load(written(tmp_path, PLAN))
    assert [str(error).split(": ", 2)[2] for error in loaded.errors] == [
        "'items' names no method; write the resource path and the verb: '/items/GET'"
    ]
    (plan,) = loaded.definitions.usage_plans.values()
    assert plan.method_throttles == {("Api", "live", "/items", "GET"): Throttle(2, 4)}
    assert plan.throttle == Throttle(50, 100)


def test_the_sam_export_writes_a_plans_method_throttle_in_its_api_stage(tmp_path: Path) -> None:
    text = YAML.replace(
        "mocks:",
        "api_keys:\n  partner: {value: abcdefghij0123456789}\nusage_plans:\n  basic:\n    stages:\n"
        '      - {api: shop, stage: Prod, method_throttle: {"GET /items/{id}": {rate: 2, burst: 3}}}\n'
        "    keys: [partner]\nmocks:",
    )
    definitions = definitions_from_yaml(text, code_dir=LAMBDAS)
    api = definitions.apis["shop"]
    template = sam_template(
        api, definitions, stage=api.stages["Prod"], target=Target(), notes=Notes(), template_dir=tmp_path
    )
    (plan,) = [
        value for value in template["Resources"].values() if value["Type"] == "AWS::ApiGateway::UsagePlan"
    ]
    (api_stage,) = plan["Properties"]["ApiStages"]
    assert api_stage["Throttle"] == {"/items/{id}/GET": {"RateLimit": 2.0, "BurstLimit": 3}}
