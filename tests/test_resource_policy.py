"""Resource policies (issue 17): each row of AWS's policy evaluation workflow, with AWS's status, body and
``x-amzn-ErrorType``.

Sources. The workflow by authorization type and tables A (same account) and B (another account): the API
Gateway developer guide, "How API Gateway resource policies affect authorization workflow"
(apigateway-authorization-flow). The refusal's body: ``{"Message":"User: anonymous is not authorized to
perform: execute-api:Invoke on resource: arn:aws:execute-api:us-west-2:********2543:vd2gh6uqw3/api/GET/"}``
for an implicit deny (observed, ASFHyP3/hyp3#2283, 2024: capital M, the account masked but for its last
four digits); for an explicit deny the same followed by `` with an explicit deny in a resource-based
policy``, with 403 and ``x-amzn-ErrorType: AccessDeniedException`` (measured on AWS in 2026 for anonymous
and signed callers: floci-io/floci's design "resource policy enforcement", R5 and R6). Older reports end
an explicit deny with `` with an explicit deny`` alone: AWS has since lengthened it.

The policy below decides by the caller's address: 127.0.0.0/8 is allowed, 10.0.0.0/8 explicitly denied,
and 192.0.2.0/24 (TEST-NET-1) is covered by no statement: neither allowed nor denied.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.auth import step
from emulator.context import RequestContext
from emulator.inspector.recorder import record_json
from emulator.testing import Harness
from tests.conftest import LAMBDAS

FN = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{}/invocations"
ECHO = FN.format("echoEvent")
POOL = "us-east-1_Policy1"
ALLOWED, DENIED, NEITHER = "127.0.0.1", "10.1.2.3", "192.0.2.7"
ALICE = "arn:aws:iam::123456789012:user/alice"
EVE = "arn:aws:iam::123456789012:user/eve"
OUTSIDER = "arn:aws:iam::999988887777:user/olga"
PARTNER = "arn:aws:iam::999988887777:user/pat"

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "local",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]}},
        },
        {
            "Sid": "office",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        },
        {
            "Sid": "eve",
            "Effect": "Deny",
            "Principal": {"AWS": EVE},
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*/GET/iam",
        },
        {
            "Sid": "partner",
            "Effect": "Allow",
            "Principal": {"AWS": PARTNER},
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/Prod/GET/iam",
        },
    ],
}

DOCUMENT = f"""
openapi: 3.0.1
info: {{title: vault, version: "1"}}
x-amazon-apigateway-policy: '{json.dumps(POLICY)}'
components:
  securitySchemes:
    tok:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: "{FN.format("tokenAuth")}"
        authorizerResultTtlInSeconds: 300
    users:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/{POOL}"]
    sigv4:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: awsSigv4
paths:
  /open:
    get:
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{ECHO}"}}
  /tok:
    get:
      security: [{{tok: []}}]
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{ECHO}"}}
  /users:
    get:
      security: [{{users: []}}]
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{ECHO}"}}
  /iam:
    get:
      security: [{{sigv4: []}}]
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{ECHO}"}}
"""


def write_project(folder: Path, *, extra: str = "") -> Path:
    (folder / "vault.yaml").write_text(DOCUMENT)
    (folder / "apig.yaml").write_text(
        textwrap.dedent(
            f"""
            apis:
              vault: {{id: a1b2c3d4e5, openapi: vault.yaml, stages: {{Prod: {{}}}}}}
            functions:
              echoEvent: {{handler: cases.echo_event}}
              tokenAuth: {{handler: authorizers.token}}
            user_pools:
              {POOL}: {{}}
            """
        )
        + extra
    )
    return folder / "apig.yaml"


@pytest.fixture
def apig(tmp_path: Path) -> Iterator[Harness]:
    with Harness(write_project(tmp_path), code_dir=LAMBDAS) as harness:
        yield harness


@pytest.fixture
def signed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stands in for the SigV4 check (``CHECKS["AWS_IAM"]``): the caller it would have verified is the
    ``X-Principal`` header, set on ``ctx.iam_principal`` as that check sets it, so that each row names its
    caller plainly. What is under test is how the resource policy combines with an IAM caller; the rows
    with real signatures are at the end."""

    async def verified(ctx: RequestContext) -> None:
        assert ctx.request is not None
        ctx.iam_principal = ctx.request.header("X-Principal")
        ctx.authorization = f"allowed by IAM: {ctx.iam_principal}"

    monkeypatch.setitem(step.CHECKS, "AWS_IAM", verified)


def arn(path: str, verb: str = "GET") -> str:
    return f"arn:aws:execute-api:us-east-1:********9012:a1b2c3d4e5/Prod/{verb}/{path}"


def refused(response: Any, message: str) -> None:
    assert (response.status, response.content) == (
        403,
        json.dumps({"Message": message}, separators=(",", ":")).encode(),
    ), response.text
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert response.headers["Content-Type"] == "application/json"


def explicit(path: str, user: str = "anonymous") -> str:
    return (
        f"User: {user} is not authorized to perform: execute-api:Invoke on resource: {arn(path)} with an explicit "
        "deny in a resource-based policy"
    )


def implicit(path: str, user: str = "anonymous") -> str:
    return f"User: {user} is not authorized to perform: execute-api:Invoke on resource: {arn(path)}"


def shown(exchange: Any) -> Any:
    """The authorization decision as the inspector's page shows it."""
    return record_json(1, 0.0, exchange, replayable=False, replay_of=None)["authorization"]


def calls(apig: Harness) -> int:
    return len(apig.invocations_of("tokenAuth"))


def bearer(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {user}"}


# Resource policy only (a method without authorization): an explicit Allow is needed.


def test_policy_only_allow_serves(apig: Harness) -> None:
    assert apig.get("/Prod/open", client_ip=ALLOWED).status == 200
    assert apig.get("/Prod/open", client_ip="::1").status == 200


def test_policy_only_explicit_deny_is_403_with_an_explicit_deny(apig: Harness) -> None:
    refused(apig.get("/Prod/open", client_ip=DENIED), explicit("open"))
    assert apig.invocations_of("echoEvent") == []


def test_policy_only_neither_is_an_implicit_deny(apig: Harness) -> None:
    refused(apig.get("/Prod/open", client_ip=NEITHER), implicit("open"))


def test_the_event_shows_the_source_ip_the_policy_read(apig: Harness) -> None:
    response = apig.get("/Prod/open", client_ip="127.0.0.9")
    assert response.json()["requestContext"]["identity"]["sourceIp"] == "127.0.0.9"


def test_the_inspector_shows_the_decision_and_the_statement(apig: Harness) -> None:
    apig.get("/Prod/open", client_ip=ALLOWED)
    apig.get("/Prod/open", client_ip=DENIED)
    allowed, denied = (shown(exchange) for exchange in apig.exchanges)
    full = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/Prod/GET/open"
    assert (
        allowed
        == f"the resource policy allows {full} (Statement[0] (local), caller anonymous from 127.0.0.1)"
    )
    assert denied == (
        f"refused by the resource policy: {full} explicitly denied for caller anonymous from 10.1.2.3: "
        "Statement[1] (office)"
    )


# Lambda authorizer and resource policy: table A, each row a test (authorizer x resource policy).


@pytest.mark.parametrize(
    ("user", "address"),
    [("alice", ALLOWED), ("alice", NEITHER), ("stranger", ALLOWED)],
    ids=["allow-allow", "allow-neither", "neither-allow"],
)
def test_table_a_rows_that_allow(apig: Harness, user: str, address: str) -> None:
    response = apig.get("/Prod/tok", headers=bearer(user), client_ip=address)
    assert response.status == 200, response.text
    assert response.json()["requestContext"]["authorizer"]["principalId"] == user
    assert calls(apig) == 1


@pytest.mark.parametrize(
    "user", ["alice", "stranger", "mallory"], ids=["allow-deny", "neither-deny", "deny-deny"]
)
def test_table_a_resource_policy_deny_refuses_before_the_authorizer_is_called(
    apig: Harness, user: str
) -> None:
    refused(apig.get("/Prod/tok", headers=bearer(user), client_ip=DENIED), explicit("tok"))
    assert calls(apig) == 0
    assert "before the Lambda authorizer was called" in str(shown(apig.exchanges[-1]))


def test_table_a_neither_neither_is_the_authorizers_implicit_deny(apig: Harness) -> None:
    response = apig.get("/Prod/tok", headers=bearer("stranger"), client_ip=NEITHER)
    assert (response.status, response.content) == (
        403,
        b'{"Message":"User is not authorized to access this resource"}',
    )
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"


@pytest.mark.parametrize("address", [ALLOWED, NEITHER], ids=["deny-allow", "deny-neither"])
def test_table_a_authorizer_deny_wins_over_the_resource_policy(apig: Harness, address: str) -> None:
    response = apig.get("/Prod/tok", headers=bearer("mallory"), client_ip=address)
    assert (response.status, response.content) == (
        403,
        b'{"Message":"User is not authorized to access this resource with an explicit deny"}',
    )
    assert calls(apig) == 1


def test_a_cached_answer_is_combined_with_the_policy_anew(apig: Harness) -> None:
    """The authorizer's answer is cached by token; the resource policy still reads each request's address."""
    assert apig.get("/Prod/tok", headers=bearer("stranger"), client_ip=ALLOWED).status == 200
    assert apig.get("/Prod/tok", headers=bearer("stranger"), client_ip=NEITHER).status == 403
    assert calls(apig) == 1


# Cognito user pool and resource policy: the token first, then an explicit Allow is needed.


def test_cognito_valid_token_and_policy_allow_serves(apig: Harness) -> None:
    response = apig.get("/Prod/users", headers={"Authorization": apig.token("alice")}, client_ip=ALLOWED)
    assert response.status == 200
    assert response.json()["requestContext"]["authorizer"]["claims"]["sub"] == "alice"


@pytest.mark.parametrize(
    ("address", "expected"), [(DENIED, explicit), (NEITHER, implicit)], ids=["deny", "neither"]
)
def test_cognito_valid_token_without_the_policys_allow_is_refused(
    apig: Harness, address: str, expected: Any
) -> None:
    refused(
        apig.get("/Prod/users", headers={"Authorization": apig.token("alice")}, client_ip=address),
        expected("users"),
    )


def test_cognito_checks_the_token_before_the_policy(apig: Harness) -> None:
    """The guide: API Gateway first authenticates the caller through Cognito; a bad token is a 401 even from
    an address the policy denies."""
    response = apig.get("/Prod/users", headers={"Authorization": "not-a-token"}, client_ip=DENIED)
    assert (response.status, response.content) == (401, b'{"message":"Unauthorized"}')


# IAM and resource policy: table A for a caller of the API's account, table B for another account's.
# apig-emu holds no identity policies: a configured credential is a caller its own account allows.


@pytest.mark.usefixtures("signed")
def test_table_a_iam_allow_and_policy_neither_serves(apig: Harness) -> None:
    assert apig.get("/Prod/iam", headers={"X-Principal": ALICE}, client_ip=NEITHER).status == 200


@pytest.mark.usefixtures("signed")
def test_table_a_iam_allow_and_policy_allow_serves(apig: Harness) -> None:
    assert apig.get("/Prod/iam", headers={"X-Principal": ALICE}, client_ip=ALLOWED).status == 200


@pytest.mark.usefixtures("signed")
def test_table_a_iam_allow_and_policy_deny_names_the_signed_caller(apig: Harness) -> None:
    refused(apig.get("/Prod/iam", headers={"X-Principal": EVE}, client_ip=NEITHER), explicit("iam", EVE))
    refused(apig.get("/Prod/iam", headers={"X-Principal": ALICE}, client_ip=DENIED), explicit("iam", ALICE))


@pytest.mark.usefixtures("signed")
def test_table_b_another_accounts_caller_needs_the_policys_allow(apig: Harness) -> None:
    assert apig.get("/Prod/iam", headers={"X-Principal": PARTNER}, client_ip=NEITHER).status == 200
    refused(
        apig.get("/Prod/iam", headers={"X-Principal": OUTSIDER}, client_ip=NEITHER), implicit("iam", OUTSIDER)
    )
    refused(
        apig.get("/Prod/iam", headers={"X-Principal": PARTNER}, client_ip=DENIED), explicit("iam", PARTNER)
    )


@pytest.mark.usefixtures("signed")
def test_table_b_allow_by_address_covers_another_accounts_caller(apig: Harness) -> None:
    """Principal "*" covers every caller, an IAM caller of another account included."""
    assert apig.get("/Prod/iam", headers={"X-Principal": OUTSIDER}, client_ip=ALLOWED).status == 200


# --auth off skips the resource policy, and says so.


def test_auth_off_skips_the_resource_policy_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Harness(write_project(tmp_path), code_dir=LAMBDAS, auth="off") as apig:
        assert apig.get("/Prod/open", client_ip=DENIED).status == 200
        assert shown(apig.exchanges[-1]) == (
            "NOT checked: the resource policy skipped (auth off), the configured stand-in identity given"
        )
        assert apig.get("/Prod/tok", client_ip=DENIED).status == 200
    assert "authorization (CUSTOM and the resource policy) is OFF" in caplog.text


def test_client_ip_must_be_an_address(apig: Harness) -> None:
    with pytest.raises(ValueError, match="client_ip: 'nowhere' is not an IPv4 or IPv6 address"):
        apig.get("/Prod/open", client_ip="nowhere")


# The same rows with part J's real SigV4 check: requests signed by the ``iam:`` credentials.

IAM_CREDENTIALS = f"""
iam:
  credentials:
    - {{access_key_id: AKIDALICE, secret_access_key: alice-secret, user_arn: "{ALICE}"}}
    - {{access_key_id: AKIDEVE, secret_access_key: eve-secret, user_arn: "{EVE}"}}
    - {{access_key_id: AKIDOLGA, secret_access_key: olga-secret, user_arn: "{OUTSIDER}"}}
    - {{access_key_id: AKIDPAT, secret_access_key: pat-secret, user_arn: "{PARTNER}"}}
"""


@pytest.fixture
def signing(tmp_path: Path) -> Iterator[Harness]:
    with Harness(write_project(tmp_path, extra=IAM_CREDENTIALS), code_dir=LAMBDAS) as harness:
        yield harness


def test_signed_callers_meet_tables_a_and_b(signing: Harness) -> None:
    apig = signing
    assert apig.get("/Prod/iam", sign_as="AKIDALICE", client_ip=NEITHER).status == 200
    refused(apig.get("/Prod/iam", sign_as="AKIDEVE", client_ip=NEITHER), explicit("iam", EVE))
    refused(apig.get("/Prod/iam", sign_as="AKIDOLGA", client_ip=NEITHER), implicit("iam", OUTSIDER))
    assert apig.get("/Prod/iam", sign_as="AKIDPAT", client_ip=NEITHER).status == 200
    assert shown(apig.exchanges[-1]).endswith(
        "the resource policy allows arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/Prod/GET/iam "
        f"(Statement[3] (partner), caller {PARTNER} from {NEITHER})"
    )


def test_an_unsigned_request_is_refused_by_iam_before_the_policy_is_read(signing: Harness) -> None:
    response = signing.get("/Prod/iam", client_ip=ALLOWED)
    assert (response.status, response.content) == (403, b'{"message":"Missing Authentication Token"}')


def test_another_accounts_caller_is_refused_by_an_api_without_a_policy(tmp_path: Path) -> None:
    """Table B: nothing in the API's account grants a caller of another account, whose own allow does not
    suffice; a caller of the API's account needs none (table A)."""
    (tmp_path / "apig.yaml").write_text(
        textwrap.dedent(
            """
            apis:
              shop: {stages: {Prod: {}}}
            functions:
              echoEvent:
                handler: cases.echo_event
                triggers: [{api: shop, resource: /iam, method: GET, proxy: true, authorizer: AWS_IAM}]
            """
        )
        + IAM_CREDENTIALS
    )
    with Harness(tmp_path / "apig.yaml", code_dir=LAMBDAS) as apig:
        assert apig.get("/Prod/iam", sign_as="AKIDALICE").status == 200
        api_id = apig.definitions.apis["shop"].id
        message = implicit("iam", OUTSIDER).replace("a1b2c3d4e5", api_id)
        refused(apig.get("/Prod/iam", sign_as="AKIDOLGA"), message)
