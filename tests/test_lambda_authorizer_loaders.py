"""A Lambda authorizer declared in SAM's ``Auth``, CloudFormation's ``AWS::ApiGateway::Authorizer`` and
serverless.yml's ``authorizer`` is enforced like the YAML's and OpenAPI's (tests/test_lambda_authorizers.py
has every outcome)."""

from __future__ import annotations

import shutil
import textwrap
import warnings
from pathlib import Path

from emulator.config import ConfigWarning
from emulator.testing import Harness
from tests.conftest import LAMBDAS

SAM = f"""
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {{Runtime: python3.11, CodeUri: {LAMBDAS}}}
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        DefaultAuthorizer: Tenant
        Authorizers:
          Tenant:
            FunctionArn: !GetAtt RequestAuth.Arn
            FunctionPayloadType: REQUEST
            Identity:
              Headers: [X-User]
              QueryStrings: [tenant]
              ReauthorizeEvery: 60
  RequestAuth:
    Type: AWS::Serverless::Function
    Properties: {{Handler: authorizers.request}}
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Handler: cases.echo_event
      Events:
        Items: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /items, Method: get}}}}
"""

CLOUDFORMATION = f"""
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {{Name: shop}}
  Orders:
    Type: AWS::ApiGateway::Resource
    Properties: {{RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: orders}}
  Bearer:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Name: bearer
      Type: TOKEN
      IdentitySource: method.request.header.Authorization
      AuthorizerUri: !Sub "arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{TokenAuth.Arn}}/invocations"
  GetOrders:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Orders
      HttpMethod: GET
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref Bearer
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub "arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Echo.Arn}}/invocations"
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: GetOrders
    Properties: {{RestApiId: !Ref Api, StageName: Prod}}
  TokenAuth:
    Type: AWS::Lambda::Function
    Properties: {{Runtime: python3.11, Handler: authorizers.token, Code: {LAMBDAS}, Role: arn:aws:iam::123456789012:role/x}}
  Echo:
    Type: AWS::Lambda::Function
    Properties: {{Runtime: python3.11, Handler: cases.echo_event, Code: {LAMBDAS}, Role: arn:aws:iam::123456789012:role/x}}
"""


def _harness(tmp_path: Path, text: str) -> Harness:
    template = tmp_path / "template.yaml"
    template.write_text(textwrap.dedent(text))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)
        return Harness(template)


def test_a_sam_request_authorizer_is_enforced(tmp_path: Path) -> None:
    with _harness(tmp_path, SAM) as apig:
        assert apig.get("/Prod/items", headers={"X-User": "carol"}).status == 401
        assert apig.invocations_of("RequestAuth") == []
        response = apig.get("/Prod/items?tenant=acme", headers={"X-User": "carol"})
        assert response.json()["requestContext"]["authorizer"]["principalId"] == "carol@acme"


def test_a_cloudformation_token_authorizer_is_enforced(tmp_path: Path) -> None:
    with _harness(tmp_path, CLOUDFORMATION) as apig:
        assert apig.get("/Prod/orders").status == 401
        assert apig.get("/Prod/orders", headers={"Authorization": "Bearer mallory"}).status == 403
        allowed = apig.get("/Prod/orders", headers={"Authorization": "Bearer alice"})
        assert allowed.json()["requestContext"]["authorizer"]["principalId"] == "alice"


SERVERLESS = """
service: shop
frameworkVersion: '3'
provider: {name: aws, runtime: python3.11, stage: dev}
functions:
  tokenAuth: {handler: authorizers.token}
  requestAuth: {handler: authorizers.request}
  echo:
    handler: cases.echo_event
    events:
      - http: {path: orders, method: get, authorizer: tokenAuth}
      - http:
          path: items
          method: get
          authorizer:
            name: requestAuth
            type: request
            identitySource: method.request.header.X-User, method.request.querystring.tenant
            resultTtlInSeconds: 60
"""


def test_serverless_token_and_request_authorizers_are_enforced(tmp_path: Path) -> None:
    for module in ("authorizers.py", "cases.py"):
        shutil.copy(LAMBDAS / module, tmp_path / module)
    (tmp_path / "serverless.yml").write_text(SERVERLESS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)
        apig = Harness(tmp_path / "serverless.yml")
    with apig:
        assert apig.get("/dev/orders").status == 401
        assert apig.get("/dev/orders", headers={"Authorization": "Bearer mallory"}).status == 403
        assert apig.get("/dev/orders", headers={"Authorization": "Bearer alice"}).status == 200
        assert apig.get("/dev/items?tenant=acme").status == 401
        item = apig.get("/dev/items?tenant=acme", headers={"X-User": "carol"})
        assert item.json()["requestContext"]["authorizer"]["principalId"] == "carol@acme"
