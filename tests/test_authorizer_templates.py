"""What an authorizer finds is ``$context.authorizer`` in mapping templates (issue 16's templates read
``$context`` from the request's variables, which the authorize step fills before the integration request).

A non-proxy method's request template builds the function's event from a Lambda authorizer's
``principalId`` and context, or from a Cognito token's claims, as AWS's templates do.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from emulator.testing import Harness
from tests.conftest import LAMBDAS

FN = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:{}/invocations"
)
POOL = "us-east-1_Tmpl1"
TEMPLATE_OF = {
    "custom": '{"who": "$context.authorizer.principalId", "tier": "$context.authorizer.tier"}',
    "pool": '{"who": "$context.authorizer.claims.sub", "groups": "$context.authorizer.claims[\'cognito:groups\']"}',
}


def _document() -> str:
    def method(scheme: str) -> str:
        template = TEMPLATE_OF[scheme].replace("'", "''")
        return (
            f"    post:\n      security: [{{{scheme}: []}}]\n"
            f"      responses: {{'200': {{description: ok}}}}\n"
            f"      x-amazon-apigateway-integration:\n"
            f'        type: aws\n        httpMethod: POST\n        uri: "{FN.format("echo")}"\n'
            f"        requestTemplates: {{application/json: '{template}'}}\n"
            f"        responses: {{default: {{statusCode: '200'}}}}\n"
        )

    return (
        textwrap.dedent(
            f"""\
            openapi: 3.0.1
            info: {{title: shop, version: "1"}}
            components:
              securitySchemes:
                custom:
                  type: apiKey
                  name: Authorization
                  in: header
                  x-amazon-apigateway-authtype: custom
                  x-amazon-apigateway-authorizer:
                    type: token
                    authorizerUri: "{FN.format("tokenAuth")}"
                    authorizerResultTtlInSeconds: 0
                pool:
                  type: apiKey
                  name: Authorization
                  in: header
                  x-amazon-apigateway-authtype: cognito_user_pools
                  x-amazon-apigateway-authorizer:
                    type: cognito_user_pools
                    providerARNs: ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/{POOL}"]
            paths:
            """
        )
        + "  /lambda:\n"
        + method("custom")
        + "  /cognito:\n"
        + method("pool")
    )


def _harness(tmp_path: Path) -> Harness:
    (tmp_path / "api.yaml").write_text(_document())
    (tmp_path / "apig.yaml").write_text(
        "apis:\n  shop: {openapi: api.yaml, stages: {Prod: {}}}\n"
        "functions:\n  echo: {handler: cases.echo}\n  tokenAuth: {handler: authorizers.token}\n"
        f"user_pools:\n  {POOL}: {{}}\n"
    )
    return Harness(tmp_path / "apig.yaml", code_dir=LAMBDAS)


def test_a_request_template_reads_the_lambda_authorizers_principal_and_context(tmp_path: Path) -> None:
    with _harness(tmp_path) as apig:
        answer = apig.post("/Prod/lambda", json={}, headers={"Authorization": "Bearer alice"})
        assert answer.status == 200, answer.text
        assert apig.invocations_of("echo")[-1].event == {"who": "alice", "tier": "gold"}


def test_a_request_template_reads_the_cognito_tokens_claims(tmp_path: Path) -> None:
    with _harness(tmp_path) as apig:
        token = apig.token("carol", groups=["admin"])
        answer = apig.post("/Prod/cognito", json={}, headers={"Authorization": token})
        assert answer.status == 200, answer.text
        assert apig.invocations_of("echo")[-1].event == {"who": "carol", "groups": "admin"}
        # Without a token the authorizer refuses it before the template renders or the function runs.
        assert apig.post("/Prod/cognito", json={}).status == 401
        assert len(apig.invocations_of("echo")) == 1
