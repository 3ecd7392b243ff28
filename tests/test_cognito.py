"""Cognito user-pool authorizers verify tokens for real (reference 7.5, companion C.2): each bad token fails
closed with AWS's 401, a good one delivers its claims as AWS does.

A "real" pool here is a JWKS file and the private key a test signs with, as Cognito would; the local
pool is the built-in issuer's.
"""

from __future__ import annotations

import base64
import json
import logging
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.auth.cognito import java_date
from emulator.testing import Harness
from tests.conftest import LAMBDAS

REAL = "eu-west-1_Real123"
LOCAL = "us-east-1_Local1"
REAL_ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{REAL}"
LAMBDA = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:echoEvent/invocations"
)
KID = "real-key-1"

DOCUMENT = f"""
openapi: 3.0.1
info: {{title: shop, version: "1"}}
components:
  securitySchemes:
    real:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/{REAL}"]
    local:
      type: apiKey
      name: X-Token
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/{LOCAL}"]
        identitySource: method.request.header.X-Token
paths:
  /me:
    get:
      security: [{{real: []}}]
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{LAMBDA}"}}
  /orders:
    get:
      security: [{{real: ["orders/read", "orders/admin"]}}]
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{LAMBDA}"}}
  /local:
    get:
      security: [{{local: []}}]
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{LAMBDA}"}}
  /open:
    get:
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: "{LAMBDA}"}}
"""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Pool:
    """What Cognito holds for a pool: a private key; the test saves its JWKS and signs with it."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def jwks(self, kid: str = KID) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kid": kid,
                    "kty": "RSA",
                    "alg": "RS256",
                    "use": "sig",
                    "n": _b64(numbers.n.to_bytes(256, "big")),
                    "e": _b64(numbers.e.to_bytes(3, "big")),
                }
            ]
        }

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": "7d8ca528-4931-4254-9273-ea5ee853f271",
            "aud": "6vsd4k6q2hnd6ddtkbhqj0d4i",
            "email_verified": True,
            "event_id": "0a1b2c3d",
            "token_use": "id",
            "auth_time": now,
            "iss": REAL_ISSUER,
            "cognito:username": "alice",
            "cognito:groups": ["admin", "dev"],
            "exp": now + 3600,
            "iat": now,
            "email": "alice@example.com",
            "custom:tier": 3,
        }
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not None}

    def sign(self, claims: dict[str, Any] | None = None, *, kid: str | None = KID, **changes: Any) -> str:
        headers = {"kid": kid} if kid is not None else {}
        return jwt.encode(claims or self.claims(**changes), self.key, algorithm="RS256", headers=headers)


@pytest.fixture(scope="module")
def pool() -> Pool:
    return Pool()


@pytest.fixture
def project(tmp_path: Path, pool: Pool) -> Path:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "pool.json").write_text(json.dumps(pool.jwks()))
    (tmp_path / "api.yaml").write_text(DOCUMENT)
    (tmp_path / "apig.yaml").write_text(
        textwrap.dedent(
            f"""
            apis:
              shop: {{openapi: api.yaml, stages: {{Prod: {{}}}}}}
            functions:
              echoEvent: {{handler: cases.echo_event}}
            user_pools:
              {REAL}:
                jwks: keys/pool.json
              {LOCAL}: {{}}
            """
        )
    )
    return tmp_path


@pytest.fixture
def apig(project: Path) -> Iterator[Harness]:
    with Harness(project / "apig.yaml", code_dir=LAMBDAS) as harness:
        yield harness


def refused(apig: Harness, path: str, token: str | None, header: str = "Authorization") -> None:
    """AWS's 401 for a refused token (reference 7.5), and the function never called."""
    calls = len(apig.invocations)
    response = apig.get(path, headers={header: token} if token is not None else {})
    assert response.status == 401
    assert response.content == b'{"message":"Unauthorized"}'
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    assert response.headers["Content-Type"] == "application/json"
    assert len(apig.invocations) == calls


def authorizer_of(apig: Harness, path: str, token: str, header: str = "Authorization") -> dict[str, Any]:
    response = apig.get(path, headers={header: token})
    assert response.status == 200, response.text
    authorizer: dict[str, Any] = response.json()["requestContext"]["authorizer"]
    return authorizer


# The good token, and its claims as AWS delivers them


def test_a_valid_id_token_reaches_the_function_with_every_claim_a_string(apig: Harness, pool: Pool) -> None:
    """Companion C.2: every value a string, booleans "true", numbers their digits, exp/iat Java dates."""
    claims = pool.claims()
    authorizer = authorizer_of(apig, "/Prod/me", pool.sign(claims))
    assert authorizer == {
        "claims": {
            "sub": "7d8ca528-4931-4254-9273-ea5ee853f271",
            "aud": "6vsd4k6q2hnd6ddtkbhqj0d4i",
            "email_verified": "true",
            "event_id": "0a1b2c3d",
            "token_use": "id",
            "auth_time": str(claims["auth_time"]),
            "iss": REAL_ISSUER,
            "cognito:username": "alice",
            # A decision: AWS's rendering of a list is unrecorded (companion C.2); commas, as chalice reads it.
            "cognito:groups": "admin,dev",
            "exp": java_date(claims["exp"]),
            "iat": java_date(claims["iat"]),
            "email": "alice@example.com",
            "custom:tier": "3",
        }
    }


def test_exp_and_iat_are_java_date_strings() -> None:
    """Companion C.2's recorded token: auth_time 1469814773 and iat "Fri Jul 29 17:52:53 UTC 2016", an
    hour before its exp "Fri Jul 29 18:52:53 UTC 2016"."""
    assert java_date(1469814773) == "Fri Jul 29 17:52:53 UTC 2016"
    assert java_date(1469814773 + 3600) == "Fri Jul 29 18:52:53 UTC 2016"
    assert java_date(1700038800) == "Wed Nov 15 09:00:00 UTC 2023"


def test_the_authorizer_comes_after_resource_id_in_request_context(apig: Harness, pool: Pool) -> None:
    response = apig.get("/Prod/me", headers={"Authorization": pool.sign()})
    assert list(response.json()["requestContext"])[:3] == ["resourceId", "authorizer", "resourcePath"]


def test_a_method_without_authorization_ignores_tokens(apig: Harness) -> None:
    response = apig.get("/Prod/open", headers={"Authorization": "not a token"})
    assert response.status == 200
    assert "authorizer" not in response.json()["requestContext"]


# Every bad token fails closed (reference 7.5: missing/invalid/expired -> 401)


def test_no_token_is_401(apig: Harness) -> None:
    refused(apig, "/Prod/me", None)
    refused(apig, "/Prod/me", "")


def test_a_value_that_is_not_a_jwt_is_401(apig: Harness) -> None:
    for garbage in ("abc", "a.b.c", "a.b", "....", "eyJhbGciOiJSUzI1NiJ9.e30", "e30.e30.e30"):
        refused(apig, "/Prod/me", garbage)


def test_a_tampered_payload_is_401(apig: Harness, pool: Pool) -> None:
    header, _, signature = pool.sign().split(".")
    forged = _b64(json.dumps(pool.claims(**{"cognito:groups": ["root"]})).encode())
    refused(apig, "/Prod/me", f"{header}.{forged}.{signature}")


def test_a_tampered_signature_is_401(apig: Harness, pool: Pool) -> None:
    header, payload, signature = pool.sign().split(".")
    flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
    refused(apig, "/Prod/me", f"{header}.{payload}.{flipped}")
    refused(apig, "/Prod/me", f"{header}.{payload}.")


def test_a_token_signed_by_another_key_under_the_pools_kid_is_401(apig: Harness) -> None:
    refused(apig, "/Prod/me", Pool().sign())


def test_an_expired_token_is_401(apig: Harness, pool: Pool) -> None:
    # The gateway's clock, which stands still from the harness's start: the machine's time may have
    # passed a second's boundary since, and a token expiring then would still be valid.
    now = int(apig.clock.now())
    refused(apig, "/Prod/me", pool.sign(exp=now - 1))
    # Expiry is exact: a token whose exp is now is no longer valid.
    refused(apig, "/Prod/me", pool.sign(exp=now))


def test_a_token_without_exp_or_with_a_text_exp_is_401(apig: Harness, pool: Pool) -> None:
    claims = pool.claims()
    del claims["exp"]
    refused(apig, "/Prod/me", pool.sign(claims))
    refused(apig, "/Prod/me", pool.sign(exp="9999999999"))


def test_a_token_not_valid_yet_is_401(apig: Harness, pool: Pool) -> None:
    refused(apig, "/Prod/me", pool.sign(nbf=int(time.time()) + 600))


def test_a_token_of_another_issuer_is_401(apig: Harness, pool: Pool) -> None:
    """Signed with the pool's own key, but naming another pool (or none) as its issuer."""
    refused(apig, "/Prod/me", pool.sign(iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other1"))
    refused(apig, "/Prod/me", pool.sign(iss="https://evil.example.com/" + REAL))
    refused(apig, "/Prod/me", pool.sign(iss=REAL_ISSUER + "/"))
    claims = pool.claims()
    del claims["iss"]
    refused(apig, "/Prod/me", pool.sign(claims))


def test_alg_none_is_401(apig: Harness, pool: Pool) -> None:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": KID}).encode())
    payload = _b64(json.dumps(pool.claims()).encode())
    refused(apig, "/Prod/me", f"{header}.{payload}.")
    header = _b64(json.dumps({"alg": "None", "kid": KID}).encode())
    refused(apig, "/Prod/me", f"{header}.{payload}.")


def test_hs256_signed_with_the_public_key_is_401(apig: Harness, pool: Pool) -> None:
    """Key confusion: an HMAC "signed" with the published key, which anyone has."""
    import hmac
    from hashlib import sha256

    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KID}).encode())
    payload = _b64(json.dumps(pool.claims()).encode())
    for secret in (pool.public_pem, json.dumps(pool.jwks()["keys"][0]).encode()):
        mac = hmac.new(secret, f"{header}.{payload}".encode(), sha256).digest()
        refused(apig, "/Prod/me", f"{header}.{payload}.{_b64(mac)}")


def test_other_rsa_and_ec_algorithms_are_401(apig: Harness, pool: Pool) -> None:
    """Only RS256: a PS256 or RS512 signature by the pool's very key is still refused."""
    for algorithm in ("RS512", "PS256"):
        token = jwt.encode(pool.claims(), pool.key, algorithm=algorithm, headers={"kid": KID})
        refused(apig, "/Prod/me", token)


def test_an_unknown_kid_or_none_is_401(apig: Harness, pool: Pool) -> None:
    refused(apig, "/Prod/me", pool.sign(kid="someone-elses"))
    refused(apig, "/Prod/me", pool.sign(kid=None))
    header = _b64(json.dumps({"alg": "RS256", "kid": ["real-key-1"]}).encode())
    refused(apig, "/Prod/me", header + "." + pool.sign().split(".", 1)[1])


def test_a_local_issuer_token_is_401_on_a_pool_with_a_jwks(apig: Harness, project: Path) -> None:
    """The local issuer signs for local pools only: its key is not the real pool's."""
    from emulator.auth.local_issuer import local_issuer

    token = local_issuer(project).mint(REAL, "alice")
    refused(apig, "/Prod/me", token)


def test_a_bearer_prefix_is_401(apig: Harness, pool: Pool) -> None:
    """A decision (reference 7.5 says the raw JWT is sent; AWS's answer to a prefix is unrecorded):
    refused, so a client that works here sends what AWS surely accepts."""
    refused(apig, "/Prod/me", "Bearer " + pool.sign())


# token_use and scopes


def test_an_access_token_on_a_method_without_scopes_is_401(apig: Harness, pool: Pool) -> None:
    refused(apig, "/Prod/me", pool.sign(token_use="access", scope="orders/read"))
    claims = pool.claims()
    del claims["token_use"]
    refused(apig, "/Prod/me", pool.sign(claims))


def test_a_method_with_scopes_wants_an_access_token_with_one_of_them(apig: Harness, pool: Pool) -> None:
    refused(apig, "/Prod/orders", pool.sign())  # an ID token
    refused(apig, "/Prod/orders", pool.sign(token_use="access"))  # no scope at all
    refused(apig, "/Prod/orders", pool.sign(token_use="access", scope="orders/write profile"))
    refused(apig, "/Prod/orders", pool.sign(token_use="access", scope="orders/read/x orders"))
    access = pool.sign(token_use="access", scope="openid orders/admin", client_id="abc", aud=None)
    claims = authorizer_of(apig, "/Prod/orders", access)["claims"]
    assert (claims["token_use"], claims["scope"]) == ("access", "openid orders/admin")


# The local issuer, and where the token is read from


def test_the_local_issuer_signs_for_a_local_pool_read_from_the_authorizers_header(
    apig: Harness, project: Path
) -> None:
    token = apig.token("bob", pool=LOCAL, groups=["dev"], claims={"email": "bob@example.com"})
    claims = authorizer_of(apig, "/Prod/local", token, header="X-Token")["claims"]
    assert claims["sub"] == claims["cognito:username"] == "bob"
    assert claims["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{LOCAL}"
    assert (claims["cognito:groups"], claims["email"], claims["token_use"]) == (
        "dev",
        "bob@example.com",
        "id",
    )
    # The authorizer reads its identity source, not Authorization.
    refused(apig, "/Prod/local", token)
    # A token of the local issuer minted for another pool names the wrong issuer.
    from emulator.auth.local_issuer import local_issuer

    refused(apig, "/Prod/local", local_issuer(project).mint("us-east-1_Other9", "bob"), header="X-Token")
    expired = apig.token("bob", pool=LOCAL, now=time.time() - 7200)
    refused(apig, "/Prod/local", expired, header="X-Token")


def test_the_local_issuers_key_is_made_once_readable_by_its_owner_only_and_ignored_by_git(
    apig: Harness, project: Path
) -> None:
    apig.token("bob", pool=LOCAL)
    folder = project / ".apig-emu"
    key = folder / "local-issuer-key.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    first = key.read_bytes()
    with Harness(project / "apig.yaml", code_dir=LAMBDAS) as again:
        token = again.token("bob", pool=LOCAL)
    assert key.read_bytes() == first
    assert authorizer_of(apig, "/Prod/local", token, header="X-Token")["claims"]["sub"] == "bob"


def test_harness_token_names_the_pool_when_it_cannot_choose(apig: Harness) -> None:
    with pytest.raises(ValueError, match="jwks file: only the real pool can sign its tokens"):
        apig.token("alice", pool=REAL)
    with pytest.raises(ValueError, match="unknown user pool 'nope'; the pools are: eu-west-1_Real123"):
        apig.token("alice", pool="nope")


def test_the_reason_of_a_refusal_is_logged(
    apig: Harness, pool: Pool, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="apig_emu.gateway"):
        apig.get("/Prod/me", headers={"Authorization": pool.sign(exp=1)})
    assert "GET /Prod/me -> 401: token expired at Thu Jan 01 00:00:01 UTC 1970" in caplog.text


def test_the_unauthorized_gateway_response_can_be_customised(tmp_path: Path, pool: Pool) -> None:
    document = DOCUMENT + textwrap.dedent(
        """
        x-amazon-apigateway-gateway-responses:
          UNAUTHORIZED:
            statusCode: 401
            responseParameters: {gatewayresponse.header.WWW-Authenticate: "'Bearer'"}
            responseTemplates: {application/json: '{"error":"$context.error.responseType"}'}
        """
    )
    (tmp_path / "api.yaml").write_text(document)
    (tmp_path / "apig.yaml").write_text(
        "apis: {shop: {openapi: api.yaml, stages: {Prod: {}}}}\nfunctions: {echoEvent: {handler: cases.echo_event}}\n"
    )
    with Harness(tmp_path / "apig.yaml", code_dir=LAMBDAS) as apig:
        response = apig.get("/Prod/me")
    assert (response.status, response.text) == (401, '{"error":"UNAUTHORIZED"}')
    assert response.headers["WWW-Authenticate"] == "Bearer"


# A verified token is remembered by its exact text: nothing about it may let a bad token through


def test_a_remembered_token_is_still_refused_once_expired(pool: Pool) -> None:
    from emulator.auth.cognito import CognitoVerifier, PoolKeys, public_keys
    from emulator.errors import Unauthorized

    verifier = CognitoVerifier([PoolKeys(REAL, public_keys(pool.jwks()))], "Authorization")
    token = pool.sign(iat=1_000_000, auth_time=1_000_000, exp=1_000_060)
    assert verifier.claims(token, (), 1_000_000)["sub"] == "7d8ca528-4931-4254-9273-ea5ee853f271"
    assert verifier.claims(token, (), 1_000_059.5)["token_use"] == "id"
    with pytest.raises(Unauthorized, match="token expired"):
        verifier.claims(token, (), 1_000_060)
    # Scopes are the method's: the same remembered token is checked against each method's.
    with pytest.raises(Unauthorized, match="an access token is needed"):
        verifier.claims(token, ("orders/read",), 1_000_000)


def test_a_token_expires_when_the_gateways_clock_passes_its_exp(apig: Harness) -> None:
    """The harness's clock is the gateway's: a test expires a token by moving it, never by waiting."""
    token = apig.token("bob", pool=LOCAL, expires_in=60)
    assert authorizer_of(apig, "/Prod/local", token, header="X-Token")["claims"]["sub"] == "bob"
    apig.clock.advance(59)
    assert authorizer_of(apig, "/Prod/local", token, header="X-Token")["claims"]["sub"] == "bob"
    apig.clock.advance(1)
    refused(apig, "/Prod/local", token, header="X-Token")


def test_a_remembered_token_changed_by_one_byte_is_verified_afresh(apig: Harness, pool: Pool) -> None:
    token = pool.sign()
    assert apig.get("/Prod/me", headers={"Authorization": token}).status == 200
    header, payload, signature = token.split(".")
    for changed in (
        f"{header}.{payload}.{signature[:-1]}",
        f"{header}.{payload[:-1]}.{signature}",
        token + "A",
    ):
        refused(apig, "/Prod/me", changed)
    assert apig.get("/Prod/me", headers={"Authorization": token}).status == 200


def test_an_id_token_accepted_by_one_method_is_refused_by_a_scoped_one(apig: Harness, pool: Pool) -> None:
    token = pool.sign()
    assert apig.get("/Prod/me", headers={"Authorization": token}).status == 200
    refused(apig, "/Prod/orders", token)


def test_a_handler_changing_its_claims_changes_nobody_elses(apig: Harness, pool: Pool) -> None:
    def meddle(event: dict[str, Any], context: object) -> dict[str, Any]:
        claims = event["requestContext"]["authorizer"]["claims"]
        before = dict(claims)
        claims["cognito:groups"] = "root"
        return {"statusCode": 200, "body": json.dumps(before)}

    token = pool.sign()
    with apig.override("echoEvent", meddle):
        first = apig.get("/Prod/me", headers={"Authorization": token}).json()
        second = apig.get("/Prod/me", headers={"Authorization": token}).json()
    assert first["cognito:groups"] == second["cognito:groups"] == "admin,dev"


def test_the_inspector_shows_each_requests_authorization_decision_and_why(apig: Harness, pool: Pool) -> None:
    from tests.conftest import inspector_client

    token = pool.sign()
    with inspector_client(apig) as inspector:
        inspector.get("/Prod/me", headers={"Authorization": token})
        inspector.get("/Prod/me", headers={"Authorization": pool.sign(exp=1)})
        inspector.get("/Prod/open")
        opened, expired, allowed = inspector.get("/_emu/api/invocations").json()
    assert allowed["authorization"] == (
        "allowed by the Cognito authorizer 'real': id token of '7d8ca528-4931-4254-9273-ea5ee853f271' from "
        f"{REAL_ISSUER}, signature and expiry ({java_date(jwt.decode(token, options={'verify_signature': False})['exp'])}) "
        "verified"
    )
    assert expired["authorization"] == (
        "refused by the Cognito authorizer 'real': token expired at Thu Jan 01 00:00:01 UTC 1970"
    )
    assert expired["gatewayError"]["type"] == "UNAUTHORIZED"
    assert opened["authorization"] is None


def test_auth_off_is_shown_as_not_checked(project: Path) -> None:
    from tests.conftest import inspector_client

    with (
        Harness(project / "apig.yaml", code_dir=LAMBDAS, auth="off") as apig,
        inspector_client(apig) as inspector,
    ):
        inspector.get("/Prod/me")
        (record,) = inspector.get("/_emu/api/invocations").json()
    assert record["authorization"] == (
        "NOT checked: COGNITO_USER_POOLS skipped (auth off), the configured stand-in identity given"
    )
