"""Where an API's resource policy is declared: the YAML's ``policy:`` (inline, JSON text or ``{file:
path}``), OpenAPI's ``x-amazon-apigateway-policy`` and CloudFormation's ``Policy``; a policy that does not
parse, or that names what apig-emu cannot evaluate, is an error at its file, key and line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from emulator.config import ConfigErrors, load_definitions
from emulator.config.serverless.service import load_serverless
from emulator.testing import Harness, definitions_from_yaml
from tests.conftest import LAMBDAS

ALLOW_LOCAL = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
        }
    ],
}


def yaml_with(policy: str) -> str:
    return textwrap.dedent(
        """
        apis:
          shop:
            stages: {Prod: {}}
            policy: POLICY
        functions:
          echo:
            handler: cases.echo_event
            triggers: [{api: shop, resource: /orders, method: GET, proxy: true}]
        """
    ).replace("POLICY", policy)


def errors(text: str) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        definitions_from_yaml(text, code_dir=LAMBDAS, source="apig.yaml")
    return [str(error) for error in info.value.errors]


def test_inline_policy_is_the_apis_policy() -> None:
    definitions = definitions_from_yaml(yaml_with(json.dumps(ALLOW_LOCAL)), code_dir=LAMBDAS)
    assert definitions.apis["shop"].policy == ALLOW_LOCAL


def test_policy_as_json_text() -> None:
    definitions = definitions_from_yaml(yaml_with(repr(json.dumps(ALLOW_LOCAL))), code_dir=LAMBDAS)
    assert definitions.apis["shop"].policy == ALLOW_LOCAL


def test_policy_from_a_file_is_enforced(tmp_path: Path) -> None:
    (tmp_path / "policy.json").write_text(json.dumps(ALLOW_LOCAL))
    (tmp_path / "apig.yaml").write_text(yaml_with("{file: policy.json}"))
    with Harness(tmp_path / "apig.yaml", code_dir=LAMBDAS) as apig:
        assert apig.get("/Prod/orders").status == 200
        assert apig.get("/Prod/orders", client_ip="192.0.2.1").status == 403


def test_a_condition_key_apig_emu_cannot_evaluate_is_an_error_at_its_line() -> None:
    bad = {
        **ALLOW_LOCAL,
        "Statement": [
            {**ALLOW_LOCAL["Statement"][0], "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
        ],
    }  # type: ignore[dict-item]
    assert errors(yaml_with(json.dumps(bad))) == [
        "apig.yaml:5: apis.shop.policy: resource policy: Statement[0].Condition.Bool.aws:SecureTransport: condition "
        "key 'aws:SecureTransport' is not one apig-emu can evaluate (aws:SourceIp, aws:PrincipalArn, "
        "aws:PrincipalAccount, aws:PrincipalType, aws:username, aws:SourceVpc, aws:SourceVpce); refused rather than "
        "ignored"
    ]


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            "'{not json'",
            "apig.yaml:5: apis.shop.policy: 1:2: the policy is not JSON: Expecting property name enclosed in double quotes",
        ),
        (
            "[1, 2]",
            "apig.yaml:5: apis.shop.policy: expected a policy document (a mapping, its JSON text, or {file: path}), got a list",
        ),
        (
            "{Statement: [{Effect: Maybe}]}",
            "apig.yaml:5: apis.shop.policy: resource policy: Statement[0].Effect must be 'Allow' or 'Deny', not 'Maybe'",
        ),
        ("{file: missing.json}", "apig.yaml:5: apis.shop.policy: no such file:"),
    ],
)
def test_bad_policies_are_named_at_their_line(policy: str, message: str) -> None:
    found = errors(yaml_with(policy))
    assert len(found) == 1 and found[0].startswith(message), found


def test_an_api_bound_to_openapi_takes_its_policy_from_the_document() -> None:
    text = """
    apis:
      shop: {openapi: shop.yaml, policy: {Statement: []}}
    """
    assert any(
        "'policy' of an api with 'openapi' comes from its document (x-amazon-apigateway-policy)" in one
        for one in errors(text)
    )


def test_openapi_policy_that_does_not_parse_is_an_error_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        textwrap.dedent(
            """
            openapi: 3.0.1
            info: {title: shop, version: "1"}
            x-amazon-apigateway-policy:
              Statement: [{Effect: Allow, Action: "execute-api:Invoke", Resource: "*"}]
            paths: {}
            """
        )
    )
    (tmp_path / "apig.yaml").write_text("apis:\n  shop: {openapi: api.yaml}\n")
    with pytest.raises(ConfigErrors) as info:
        load_definitions(tmp_path / "apig.yaml")
    assert [str(one) for one in info.value.errors] == [
        f"{tmp_path / 'api.yaml'}:4: x-amazon-apigateway-policy: x-amazon-apigateway-policy: resource policy: "
        "Statement[0] needs exactly one of Principal and NotPrincipal (a resource policy names whom it is about)"
    ]


def test_cloudformation_policy_as_json_text_is_enforced(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent(
            f"""
            Resources:
              Api:
                Type: AWS::ApiGateway::RestApi
                Properties:
                  Name: shop
                  Policy: '{json.dumps(ALLOW_LOCAL)}'
              Orders:
                Type: AWS::ApiGateway::Resource
                Properties: {{RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: orders}}
              Get:
                Type: AWS::ApiGateway::Method
                Properties:
                  RestApiId: !Ref Api
                  ResourceId: !Ref Orders
                  HttpMethod: GET
                  AuthorizationType: NONE
                  Integration: {{Type: MOCK, RequestTemplates: {{application/json: '{{"statusCode": 200}}'}},
                                IntegrationResponses: [{{StatusCode: "200"}}]}}
                  MethodResponses: [{{StatusCode: "200"}}]
              Deployment:
                Type: AWS::ApiGateway::Deployment
                DependsOn: Get
                Properties: {{RestApiId: !Ref Api, StageName: Prod}}
            """
        )
    )
    with Harness(tmp_path / "template.yaml") as apig:
        assert apig.get("/Prod/orders").status == 200
        refused = apig.get("/Prod/orders", client_ip="192.0.2.1")
        assert refused.status == 403
        assert refused.json()["Message"].startswith(
            "User: anonymous is not authorized to perform: execute-api:Invoke"
        )


def test_cloudformation_policy_that_does_not_parse_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent(
            """
            Resources:
              Api:
                Type: AWS::ApiGateway::RestApi
                Properties:
                  Name: shop
                  Policy: {Statement: [{Effect: Allow, Principal: "*", Action: "execute-api:Invoke",
                           Resource: "*", Condition: {DateLessThan: {"aws:CurrentTime": "2030-01-01"}}}]}
            """
        )
    )
    with pytest.raises(ConfigErrors) as info:
        load_definitions(tmp_path / "template.yaml")
    assert any(
        "Resources.Api.Properties.Policy: resource policy: Statement[0].Condition.DateLessThan.aws:CurrentTime: "
        "condition key 'aws:CurrentTime' is not one apig-emu can evaluate" in str(one)
        for one in info.value.errors
    ), [str(one) for one in info.value.errors]


SAM = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        ResourcePolicy:
          IpRangeWhitelist: [127.0.0.0/8]
          AwsAccountBlacklist: ["999988887777"]
          CustomStatements:
            - {Effect: Deny, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*/DELETE/*"}
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: lambdas/
      Handler: cases.echo_event
      Events:
        Get: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/orders/{id}", Method: get}}
        Delete: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/orders/{id}", Method: delete}}
        Private:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /private
            Method: any
            Auth: {ResourcePolicy: {SourceVpcWhitelist: [vpce-1a2b3c4d]}}
"""


def sam_project(tmp_path: Path, template: str = SAM) -> Path:
    (tmp_path / "lambdas").symlink_to(LAMBDAS)
    (tmp_path / "template.yaml").write_text(template)
    return tmp_path / "template.yaml"


def test_sam_resource_policy_compiles_as_sams_translator_writes_it(tmp_path: Path) -> None:
    """aws/serverless-application-model, samtranslator/swagger/swagger.py: per method an Allow for
    everyone and a Deny NotIpAddress the whitelist; a Deny for the blacklisted accounts; the custom
    statements as written; ANY as *, path parameters as *."""
    policy = load_definitions(sam_project(tmp_path)).apis["Api"].policy
    assert policy is not None
    statements = policy["Statement"]
    assert isinstance(statements, list)
    get = ["execute-api:/Prod/GET/orders/*"]
    assert {
        "Effect": "Deny",
        "Action": "execute-api:Invoke",
        "Resource": get,
        "Principal": {"AWS": ["999988887777"]},
    } in statements
    assert {
        "Effect": "Allow",
        "Action": "execute-api:Invoke",
        "Resource": get,
        "Principal": "*",
    } in statements
    assert {
        "Effect": "Deny",
        "Action": "execute-api:Invoke",
        "Resource": get,
        "Principal": "*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": ["127.0.0.0/8"]}},
    } in statements
    assert {
        "Effect": "Deny",
        "Action": "execute-api:Invoke",
        "Resource": ["execute-api:/Prod/*/private"],
        "Principal": "*",
        "Condition": {"StringNotEquals": {"aws:SourceVpce": ["vpce-1a2b3c4d"]}},
    } in statements
    custom = [one for one in statements if one.get("Resource") == "execute-api:/*/DELETE/*"]
    assert len(custom) == 1


def test_sam_resource_policy_is_enforced(tmp_path: Path) -> None:
    with Harness(sam_project(tmp_path)) as apig:
        assert apig.get("/Prod/orders/7").status == 200
        outside = apig.get("/Prod/orders/7", client_ip="192.0.2.1")
        assert outside.status == 403
        assert outside.json()["Message"].endswith("with an explicit deny in a resource-based policy")
        # The custom statement denies every DELETE, from anywhere.
        assert apig.delete("/Prod/orders/7").status == 403
        # No local request comes through the VPC endpoint the whitelist names.
        assert apig.get("/Prod/private").status == 403


def test_sam_resource_policy_mistakes_are_errors_at_the_key(tmp_path: Path) -> None:
    bad = SAM.replace("IpRangeWhitelist:", "IpRangeAllowlist:")
    with pytest.raises(ConfigErrors) as info:
        load_definitions(sam_project(tmp_path, bad))
    assert any(
        "Resources.Api.Properties.Auth.ResourcePolicy: ResourcePolicy: unknown key 'IpRangeAllowlist'"
        in str(one)
        for one in info.value.errors
    ), [str(one) for one in info.value.errors]


def test_serverless_resource_policy_that_does_not_parse_is_an_error_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "serverless.yml").write_text(
        textwrap.dedent(
            """
            service: shop
            provider:
              name: aws
              runtime: python3.12
              apiGateway:
                resourcePolicy:
                  - {Effect: Allow, Principal: '*', Action: execute-api:Invoke, Resource: ['execute-api:/*'],
                     Condition: {IpAddress: {aws:SourceIp: [not-an-address]}}}
            functions:
              fn: {handler: cases.echo_event, events: [{http: GET items}]}
            """
        )
    )
    loaded = load_serverless(tmp_path / "serverless.yml", code_dir=LAMBDAS, environ={})
    assert [str(one).replace(f"{tmp_path}/", "") for one in loaded.errors] == [
        "serverless.yml:7: provider.apiGateway.resourcePolicy: resource policy: "
        "Statement[0].Condition.IpAddress.aws:SourceIp: 'not-an-address' is not an IP address or CIDR block "
        "('not-an-address' does not appear to be an IPv4 or IPv6 network)"
    ]
