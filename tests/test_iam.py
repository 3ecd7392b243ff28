"""AWS_IAM methods verify SigV4 signatures for real (companion C.4): each bad request fails closed with AWS's
403, its body and ``x-amzn-ErrorType``; a good one fills ``requestContext.identity`` as AWS fills it.

Signatures are made by botocore's signer, as a client in production makes them; the gateway's clock is
the harness's, moved by the tests, never slept on.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.config.errors import ConfigErrors
from emulator.config.iam import derived_user_id
from emulator.config.loader import load_definitions
from emulator.exchanges import Exchange
from emulator.inspector.recorder import record_json
from emulator.not_executed import not_executed
from emulator.testing import Harness
from emulator.testing.signing import SigV4Signer
from tests.conftest import LAMBDAS, MakeHarness

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CONFIG = f"""
apis:
  shop: {{}}
iam:
  credentials:
    - access_key_id: AKIDEXAMPLE
      secret_access_key: {SECRET}
      user_arn: arn:aws:iam::123456789012:user/alice
      user_id: AIDAEXAMPLEALICE
    - access_key_id: AKIDBOB
      secret_access_key: bob-secret
      user_arn: arn:aws:iam::210987654321:user/team/bob
    - access_key_id: ASIASESSION
      secret_access_key: session-secret
      user_arn: arn:aws:sts::123456789012:assumed-role/Deployer/ci-run-7
      session_token: the-session-token
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {{api: shop, resource: /orders, method: GET, proxy: true, authorizer: AWS_IAM}}
      - {{api: shop, resource: /orders, method: POST, proxy: true, authorizer: AWS_IAM}}
      - {{api: shop, resource: /open, method: GET, proxy: true}}
"""
URL = "http://localhost:3000/Prod/orders"


@pytest.fixture
def apig(make_harness: MakeHarness) -> Harness:
    return make_harness(CONFIG)


def stamp(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def refusal(response: httpx.Response) -> tuple[int, str | None, str]:
    return response.status_code, response.headers.get("x-amzn-ErrorType"), response.json()["message"]


def signed_headers(
    apig: Harness,
    key: str = "AKIDEXAMPLE",
    *,
    method: str = "GET",
    url: str = URL,
    body: bytes = b"",
    **kw: Any,
) -> dict[str, str]:
    """The headers a client signing at the gateway's time would send (``kw`` goes to the signer)."""
    credential = apig.definitions.iam[key]
    signer = SigV4Signer(
        key,
        kw.pop("secret", credential.secret_access_key),
        session_token=kw.pop("token", credential.session_token),
        now=kw.pop("now", apig.clock.now),
        **kw,
    )
    return signer.sign(method, url, {"host": "localhost:3000"}, body)


def shown(exchange: Exchange) -> dict[str, Any]:
    """What the inspector shows of an exchange."""
    return record_json(1, 0.0, exchange, replayable=False, replay_of=None)


def identity_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    identity: dict[str, Any] = response.json()["requestContext"]["identity"]
    return identity


# Accepted: requestContext.identity as AWS fills it


def test_a_signed_request_reaches_the_function_with_the_callers_identity(apig: Harness) -> None:
    """AWS's identity of an IAM user: its key, account, unique id as caller and user, and ARN (issue 17)."""
    identity = identity_of(apig.get("/Prod/orders", sign_as="AKIDEXAMPLE"))
    assert {key: identity[key] for key in ("accessKey", "accountId", "caller", "user", "userArn")} == {
        "accessKey": "AKIDEXAMPLE",
        "accountId": "123456789012",
        "caller": "AIDAEXAMPLEALICE",
        "user": "AIDAEXAMPLEALICE",
        "userArn": "arn:aws:iam::123456789012:user/alice",
    }
    assert identity["cognitoIdentityId"] is None and identity["sourceIp"] == "127.0.0.1"


def test_the_account_is_the_callers_and_a_missing_user_id_is_derived_stably(
    make_harness: MakeHarness,
) -> None:
    # bob is of another account: AWS serves him only when the API's resource policy allows him too (the
    # authorization workflow's table B, tests/test_resource_policy.py).
    grant = '{policy: {Statement: [{Effect: Allow, Principal: {AWS: "210987654321"}, Action: "execute-api:Invoke", Resource: "execute-api:/*"}]}}'
    apig = make_harness(CONFIG.replace("  shop: {}", f"  shop: {grant}", 1))
    identity = identity_of(apig.get("/Prod/orders", sign_as="AKIDBOB"))
    assert identity["accountId"] == "210987654321"
    assert (
        identity["caller"] == identity["user"] == derived_user_id("arn:aws:iam::210987654321:user/team/bob")
    )
    assert identity["caller"].startswith("AIDA") and len(identity["caller"]) == 21
    assert identity["caller"].isalnum() and identity["caller"].isupper()


def test_a_role_sessions_caller_is_the_role_id_and_the_session_name(apig: Harness) -> None:
    """An assumed role's caller is ``AROA...:SESSION`` and its ARN the sts one, as AWS shows temporary
    credentials' callers (AWS's $context.identity documentation)."""
    identity = identity_of(apig.get("/Prod/orders", sign_as="ASIASESSION"))
    role_id = derived_user_id("arn:aws:sts::123456789012:assumed-role/Deployer/ci-run-7")
    assert role_id.startswith("AROA")
    assert identity["caller"] == identity["user"] == f"{role_id}:ci-run-7"
    assert identity["userArn"] == "arn:aws:sts::123456789012:assumed-role/Deployer/ci-run-7"


def test_the_body_query_and_json_content_type_are_signed_and_verified(apig: Harness) -> None:
    response = apig.post("/Prod/orders?tag=a b&tag=%2Fx&empty=", json={"item": "tea"}, sign_as="AKIDEXAMPLE")
    assert response.status_code == 200, response.text
    assert json.loads(response.json()["body"]) == {"item": "tea"}


def test_a_request_signed_by_botocores_own_add_auth_verifies(
    apig: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client signing as the SDKs do, every header of the request included, not the harness's signer."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    at = datetime.datetime.fromtimestamp(apig.clock.now(), datetime.timezone.utc)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: at)
    request = AWSRequest(
        method="POST",
        url="http://localhost:3000/Prod/orders?b=2&a=1",
        data=b'{"n": 1}',
        headers={"Content-Type": "application/json", "X-Custom": "  two   spaces  ", "User-Agent": "sdk/1.0"},
    )
    SigV4Auth(Credentials("AKIDEXAMPLE", SECRET), "execute-api", "us-east-1").add_auth(request)
    assert "x-custom" in request.headers["Authorization"]
    response = apig.post("/Prod/orders?b=2&a=1", content=b'{"n": 1}', headers=dict(request.headers.items()))
    assert response.status_code == 200, response.text


def test_the_signer_works_with_requests_against_a_live_server(apig: Harness) -> None:
    requests = pytest.importorskip("requests")
    with apig.serve() as server:
        response = requests.get(f"{server.url}/Prod/orders", auth=apig.signer("AKIDEXAMPLE"), timeout=30)
        unsigned = requests.get(f"{server.url}/Prod/orders", timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["requestContext"]["identity"]["userArn"] == "arn:aws:iam::123456789012:user/alice"
    assert unsigned.status_code == 403


def test_no_method_is_noted_as_not_executed_once_credentials_are_listed(apig: Harness) -> None:
    assert not_executed(apig.definitions) == ()


def test_a_method_without_authorization_ignores_a_signature(apig: Harness) -> None:
    identity = identity_of(apig.get("/Prod/open", sign_as="AKIDEXAMPLE"))
    assert identity["userArn"] is None and identity["accessKey"] is None


def test_the_harness_refuses_an_unknown_key_to_sign_with(apig: Harness) -> None:
    with pytest.raises(KeyError, match=r"no iam credential 'AKIDEXAMPL'.*did you mean 'AKIDEXAMPLE'"):
        apig.signer("AKIDEXAMPL")


# Refused: AWS's answers (companion C.4)


def test_no_authorization_header_is_missing_authentication_token(apig: Harness) -> None:
    """C.4 / reference 4.2: an unsigned request to an AWS_IAM method."""
    response = apig.get("/Prod/orders")
    assert refusal(response) == (403, "MissingAuthenticationTokenException", "Missing Authentication Token")
    assert response.content == b'{"message":"Missing Authentication Token"}'


def test_a_bearer_token_is_an_incomplete_signature_naming_the_pair(apig: Harness) -> None:
    """C.4, observed on AWS (serverless/serverless#3205)."""
    response = apig.get("/Prod/orders", headers={"Authorization": "Bearer sometoken"})
    assert refusal(response) == (
        403,
        "IncompleteSignatureException",
        "'sometoken' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer sometoken'.",
    )


def test_missing_signature_parameters_are_each_named(apig: Harness) -> None:
    """C.4's variant list (HumanCellAtlas/data-store#328); the exact full list is UNCONFIRMED."""
    header = "AWS4-HMAC-SHA256 Foo=bar"
    response = apig.get("/Prod/orders", headers={"Authorization": header})
    assert refusal(response) == (
        403,
        "IncompleteSignatureException",
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
        "parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires "
        "existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Foo=bar",
    )


def test_another_algorithm_is_incomplete_naming_it(apig: Harness) -> None:
    """Every parameter present but the algorithm not SigV4's: the wording is UNCONFIRMED, pinned here."""
    headers = signed_headers(apig)
    headers["Authorization"] = headers["Authorization"].replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")
    status, kind, message = refusal(apig.get("/Prod/orders", headers=headers))
    assert (status, kind) == (403, "IncompleteSignatureException")
    assert message.startswith(
        "Unsupported Authorization Type: 'AWS4-HMAC-SHA512'; expected AWS4-HMAC-SHA256."
    )


def test_a_credential_without_five_parts_is_incomplete(apig: Harness) -> None:
    headers = signed_headers(apig)
    headers["Authorization"] = headers["Authorization"].replace("/us-east-1/execute-api", "/us-east-1")
    status, kind, message = refusal(apig.get("/Prod/orders", headers=headers))
    assert (status, kind) == (403, "IncompleteSignatureException")
    assert message.startswith(
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/"
    )


def test_an_unknown_access_key_is_an_unrecognized_client(apig: Harness) -> None:
    """C.4 / AWS's knowledge center: "The security token included in the request is invalid."."""
    headers = signed_headers(apig)
    headers["Authorization"] = headers["Authorization"].replace(
        "Credential=AKIDEXAMPLE/", "Credential=AKIDNOBODY/"
    )
    assert refusal(apig.get("/Prod/orders", headers=headers)) == (
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_session_credentials_need_their_token_and_only_theirs(apig: Harness) -> None:
    without = signed_headers(apig, "ASIASESSION", token=None)
    wrong = signed_headers(apig, "ASIASESSION", token="another-token")
    foreign = signed_headers(apig, "AKIDEXAMPLE", token="the-session-token")
    for headers in (without, wrong, foreign):
        assert refusal(apig.get("/Prod/orders", headers=headers))[:2] == (403, "UnrecognizedClientException")


def test_a_wrong_secret_is_an_invalid_signature_showing_the_canonical_request(apig: Harness) -> None:
    """C.4 (mhart/aws4#33, aws/aws-sdk-js#2372): execute-api's message carries the canonical request and the
    string to sign it computed."""
    headers = signed_headers(apig, secret="not-the-secret")
    status, kind, message = refusal(apig.get("/Prod/orders", headers=headers))
    amz_date = headers["X-Amz-Date"]
    canonical = f"GET\n/Prod/orders\n\nhost:localhost:3000\nx-amz-date:{amz_date}\n\nhost;x-amz-date\n{hashlib.sha256(b'').hexdigest()}"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    assert (status, kind) == (403, "InvalidSignatureException")
    assert message == (
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details.\n\n"
        f"The Canonical String for this request should have been\n'{canonical}'\n\n"
        f"The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n{amz_date}\n{amz_date[:8]}/us-east-1/"
        f"execute-api/aws4_request\n{digest}'\n"
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "/Prod/orders?x=1", b""), ("POST", "/Prod/orders", b"changed"), ("POST", "/Prod/orders", b"")],
    ids=["query-added", "body-changed", "method-changed"],
)
def test_a_request_changed_after_signing_is_an_invalid_signature(
    apig: Harness, method: str, path: str, body: bytes
) -> None:
    """Signed as ``GET /Prod/orders`` (or ``POST`` with an empty body), sent otherwise."""
    headers = signed_headers(apig, method="POST" if body else "GET")
    response = apig.request(method, path, content=body, headers=headers)
    assert refusal(response)[:2] == (403, "InvalidSignatureException")


def test_a_remembered_signature_vouches_for_its_exact_request_only_and_still_expires(apig: Harness) -> None:
    """A verified signature is remembered by everything it covers: the same request passes again; any
    change is verified anew (and refused), and the remembered one still goes stale with the clock."""
    headers = signed_headers(apig, method="POST", body=b"one")
    assert apig.post("/Prod/orders", content=b"one", headers=headers).status_code == 200
    assert apig.post("/Prod/orders", content=b"one", headers=headers).status_code == 200
    for changed in (
        apig.post("/Prod/orders", content=b"two", headers=headers),
        apig.post("/Prod/orders?x=1", content=b"one", headers=headers),
        apig.post("/Prod/orders", content=b"one", headers={**headers, "Host": "localhost:3001"}),
    ):
        assert refusal(changed)[:2] == (403, "InvalidSignatureException")
    apig.clock.advance(301)
    status, kind, message = refusal(apig.post("/Prod/orders", content=b"one", headers=headers))
    assert (status, kind) == (403, "InvalidSignatureException") and message.startswith("Signature expired")


def test_a_declared_body_hash_must_be_the_bodys(apig: Harness) -> None:
    """A signed ``X-Amz-Content-Sha256`` covers the hash, not the body: a body that differs is refused
    (S3's message; execute-api's wording is UNCONFIRMED)."""
    declared = hashlib.sha256(b"original").hexdigest()
    signer = SigV4Signer("AKIDEXAMPLE", SECRET, now=apig.clock.now)
    base = {"host": "localhost:3000", "X-Amz-Content-Sha256": declared}
    headers = {**base, **signer.sign("POST", URL, base, b"original")}
    assert apig.post("/Prod/orders", content=b"original", headers=headers).status_code == 200
    changed = apig.post("/Prod/orders", content=b"tampered", headers=headers)
    assert refusal(changed) == (
        403,
        "InvalidSignatureException",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    )


def test_a_signature_five_minutes_old_passes_and_one_older_has_expired(apig: Harness) -> None:
    """C.4: AWS's "Signature expired" message, with the gateway's time and its five minutes."""
    headers = signed_headers(apig)
    signed_at = apig.clock.now()
    apig.clock.advance(300)
    assert apig.get("/Prod/orders", headers=headers).status_code == 200
    apig.clock.advance(1)
    now = apig.clock.now()
    assert refusal(apig.get("/Prod/orders", headers=headers)) == (
        403,
        "InvalidSignatureException",
        f"Signature expired: {stamp(signed_at)} is now earlier than {stamp(now - 300)} ({stamp(now)} - 5 min.)",
    )


def test_a_signature_from_more_than_five_minutes_ahead_is_not_yet_current(apig: Harness) -> None:
    ahead = apig.clock.now() + 301
    headers = signed_headers(apig, now=lambda: ahead)
    status, kind, message = refusal(apig.get("/Prod/orders", headers=headers))
    assert (status, kind) == (403, "InvalidSignatureException")
    assert message.startswith(f"Signature not yet current: {headers['X-Amz-Date']} is still later than ")
    assert message.endswith(" + 5 min.)")


def test_a_credential_scoped_to_another_region_or_service_or_date(apig: Harness) -> None:
    """AWS's messages for a wrong scope (aws/aws-sdk-js#792 and #4545 for the region; the service and date
    messages are the SigV4 services' common wording, UNCONFIRMED on execute-api)."""
    region = signed_headers(apig, region="eu-west-1")
    assert refusal(apig.get("/Prod/orders", headers=region)) == (
        403,
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    )
    service = signed_headers(apig)
    service["Authorization"] = service["Authorization"].replace("/execute-api/", "/lambda/")
    assert refusal(apig.get("/Prod/orders", headers=service)) == (
        403,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'execute-api'. ",
    )
    dated = signed_headers(apig)
    day = dated["X-Amz-Date"][:8]
    dated["Authorization"] = dated["Authorization"].replace(f"/{day}/", "/20200101/")
    assert refusal(apig.get("/Prod/orders", headers=dated)) == (
        403,
        "InvalidSignatureException",
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        f"'20200101' != '{day}', from '{dated['X-Amz-Date']}'.",
    )


def test_an_x_amz_date_that_is_no_iso_date_is_incomplete(apig: Harness) -> None:
    headers = {**signed_headers(apig), "X-Amz-Date": "yesterday"}
    assert refusal(apig.get("/Prod/orders", headers=headers)) == (
        403,
        "IncompleteSignatureException",
        "Date must be in ISO-8601 'basic format'. Got 'yesterday'. See http://en.wikipedia.org/wiki/ISO_8601",
    )


def test_a_customised_invalid_signature_gateway_response_applies(make_harness: MakeHarness) -> None:
    """The refusals are the INVALID_SIGNATURE gateway response (its mapping to each exception is UNCONFIRMED)."""
    config = CONFIG.replace(
        "  shop: {}", "  shop:\n    gateway_responses:\n      INVALID_SIGNATURE: {status: 401}", 1
    )
    apig = make_harness(config)
    assert apig.get("/Prod/orders", headers=signed_headers(apig, secret="x")).status_code == 401


# The decision, auth off


def test_the_inspector_shows_the_decision_and_why(apig: Harness) -> None:
    apig.get("/Prod/orders", sign_as="AKIDEXAMPLE")
    apig.get("/Prod/orders", headers=signed_headers(apig, secret="x"))
    allowed, refused = (shown(exchange)["authorization"] for exchange in apig.exchanges)
    assert allowed.startswith(
        "allowed by IAM (SigV4): signed by AKIDEXAMPLE (arn:aws:iam::123456789012:user/alice)"
    )
    assert (
        refused
        == "refused by IAM (SigV4): InvalidSignatureException: signature by 'AKIDEXAMPLE' does not match"
    )


def test_auth_off_serves_unsigned_requests_as_the_first_iam_caller(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    apig = make_harness(CONFIG, auth="off")
    with caplog.at_level(logging.WARNING, logger="apig_emu.auth"):
        identity = identity_of(apig.get("/Prod/orders"))
        identity_of(apig.get("/Prod/orders"))
    assert identity["userArn"] == "arn:aws:iam::123456789012:user/alice"
    assert identity["caller"] == "AIDAEXAMPLEALICE" and identity["accessKey"] is None
    warnings = [record.getMessage() for record in caplog.records if "is OFF" in record.getMessage()]
    assert warnings == [
        "api 'shop' GET /orders: authorization (AWS_IAM) is OFF; requests get the configured stand-in identity, "
        "unchecked"
    ]
    assert shown(apig.exchanges[0])["authorization"].startswith("NOT checked: AWS_IAM skipped (auth off)")


def test_auth_off_without_iam_credentials_stands_in_a_user_named_by_principal_id(
    make_harness: MakeHarness,
) -> None:
    config = (
        "apis:\n  shop: {}\nauth_off: {principal_id: frontend-dev}\nfunctions:\n  echo:\n    handler: "
        "cases.echo_event\n    triggers:\n      - {api: shop, resource: /orders, method: GET, proxy: true, "
        "authorizer: AWS_IAM}\n"
    )
    identity = identity_of(make_harness(config, auth="off").get("/Prod/orders"))
    assert identity["userArn"] == "arn:aws:iam::123456789012:user/frontend-dev"
    assert identity["caller"] == derived_user_id("arn:aws:iam::123456789012:user/frontend-dev")


# The iam: section


def load_error(tmp_path: Path, text: str) -> str:
    (tmp_path / "apig.yaml").write_text(text)
    with pytest.raises(ConfigErrors) as raised:
        load_definitions(tmp_path / "apig.yaml", code_dir=LAMBDAS)
    return str(raised.value)


def test_a_missing_key_is_an_error_at_its_entry(tmp_path: Path) -> None:
    message = load_error(
        tmp_path,
        "iam:\n  credentials:\n    - access_key_id: AKIDEXAMPLE\n      user_arn: arn:aws:iam::123456789012:user/a\n",
    )
    assert "apig.yaml:3" in message and "iam.credentials[0]" in message
    assert "missing required key 'secret_access_key'" in message


def test_a_role_arn_is_refused_with_the_session_form_it_needs(tmp_path: Path) -> None:
    message = load_error(
        tmp_path,
        "iam:\n  credentials:\n    - access_key_id: AKIDEXAMPLE\n      secret_access_key: s\n"
        "      user_arn: arn:aws:iam::123456789012:role/Deployer\n",
    )
    assert "apig.yaml:5" in message and "iam.credentials[0].user_arn" in message
    assert (
        "'arn:aws:iam::123456789012:role/Deployer' is a role, which signs only through a session" in message
    )
    assert "arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION" in message


def test_an_arn_that_is_no_iam_caller_and_a_bad_user_id_are_errors(tmp_path: Path) -> None:
    message = load_error(
        tmp_path,
        "iam:\n  credentials:\n    - access_key_id: AKIDEXAMPLE\n      secret_access_key: s\n"
        "      user_arn: arn:aws:s3:::bucket\n"
        "    - access_key_id: AKIDOTHER\n      secret_access_key: s\n"
        "      user_arn: arn:aws:iam::123456789012:user/a\n      user_id: AROAEXAMPLE00000001\n",
    )
    assert "'arn:aws:s3:::bucket' is not an IAM user or role session ARN" in message
    assert "apig.yaml:9" in message and "'AROAEXAMPLE00000001' is not IAM's unique id of this user" in message


def test_a_duplicate_access_key_id_is_an_error_in_one_file_and_across_files(tmp_path: Path) -> None:
    entry = "    - {access_key_id: AKIDEXAMPLE, secret_access_key: s, user_arn: 'arn:aws:iam::123456789012:user/a'}\n"
    message = load_error(tmp_path, "iam:\n  credentials:\n" + entry + entry)
    assert (
        "apig.yaml:4" in message
        and "access key id 'AKIDEXAMPLE' is listed twice (first at line 3)" in message
    )
    (tmp_path / "apig.yaml").write_text("iam:\n  credentials:\n" + entry)
    (tmp_path / "more.yaml").write_text("iam:\n  credentials:\n" + entry)
    with pytest.raises(ConfigErrors, match="iam access key id 'AKIDEXAMPLE' is defined in both"):
        load_definitions(tmp_path, code_dir=LAMBDAS)


def test_an_unknown_key_and_a_bad_access_key_id_are_errors(tmp_path: Path) -> None:
    message = load_error(
        tmp_path,
        "iam:\n  credentials:\n    - access_key_id: akid-lower\n      secret_access_key: s\n"
        "      user_arn: arn:aws:iam::123456789012:user/a\n      secret_key: s\n",
    )
    assert "'akid-lower' is not an access key id" in message
    assert "unknown key 'secret_key'" in message


def test_the_secret_never_shows_in_the_definitions_repr(apig: Harness) -> None:
    assert SECRET not in repr(apig.definitions.iam)
    assert SECRET not in repr(apig.signer("AKIDEXAMPLE"))


def test_derived_user_ids_are_stable_and_of_iams_form() -> None:
    user = derived_user_id("arn:aws:iam::123456789012:user/alice")
    assert (
        user
        == derived_user_id("arn:aws:iam::123456789012:user/alice")
        != derived_user_id("arn:aws:iam::123456789012:user/bob")
    )
    assert user.startswith("AIDA") and len(user) == 21 and user.isalnum() and user.isupper()


# Presigned URLs: the signature in the query


def test_a_presigned_url_is_accepted_until_it_expires(apig: Harness) -> None:
    """SigV4's query form, signed by botocore's ``SigV4QueryAuth``; ``X-Amz-Expires`` is its lifetime (the
    wording of an expired URL's refusal on execute-api is UNCONFIRMED: the header form's is used)."""
    url = apig.signer("AKIDEXAMPLE").presign("GET", URL + "?q=a%20b", expires=60)
    signed_at = apig.clock.now()
    response = apig.get(url)
    assert response.status_code == 200, response.text
    assert response.json()["queryStringParameters"]["q"] == "a b"
    assert identity_of(response)["userArn"] == "arn:aws:iam::123456789012:user/alice"
    apig.clock.advance(61)
    now = apig.clock.now()
    assert refusal(apig.get(url)) == (
        403,
        "InvalidSignatureException",
        f"Signature expired: {stamp(signed_at)} is now earlier than {stamp(now - 60)} ({stamp(now)} - 60 sec.)",
    )


def test_a_presigned_url_changed_or_incomplete_is_refused(apig: Harness) -> None:
    url = apig.signer("AKIDEXAMPLE").presign("GET", URL + "?q=1")
    assert refusal(apig.get(url.replace("q=1", "q=2")))[:2] == (403, "InvalidSignatureException")
    assert refusal(apig.post(url))[:2] == (403, "InvalidSignatureException")
    incomplete = url.split("&X-Amz-SignedHeaders")[0]
    assert refusal(apig.get(incomplete)) == (
        403,
        "IncompleteSignatureException",
        "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', "
        "'X-Amz-Date', 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.",
    )


def test_a_presigned_url_of_session_credentials_carries_its_token(apig: Harness) -> None:
    url = apig.signer("ASIASESSION").presign("GET", URL)
    assert "X-Amz-Security-Token=the-session-token" in url
    assert identity_of(apig.get(url))["userArn"].endswith(":assumed-role/Deployer/ci-run-7")


# Other loaders


def test_a_sam_templates_aws_iam_method_is_checked(tmp_path: Path) -> None:
    """SAM's ``Auth: {Authorizer: AWS_IAM}``: a template alone lists no credentials, so only the unsigned
    answer and the unknown key are reachable."""
    path = tmp_path / "template.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Handler: cases.echo_event\n"
        "      Runtime: python3.11\n"
        f"      CodeUri: {LAMBDAS}\n"
        "      Events:\n"
        "        Who: {Type: Api, Properties: {Path: /who, Method: get, Auth: {Authorizer: AWS_IAM}}}\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        apig = Harness(path)
    with apig:
        assert [note.text for note in not_executed(apig.definitions)] == [
            "IAM authorization (AWS_IAM): no iam: credentials are listed (a template's go in an apig-emu.yaml "
            "beside it), so no signature can verify; every request answers 403"
        ]
        assert refusal(apig.get("/Prod/who"))[:2] == (403, "MissingAuthenticationTokenException")
        signer = SigV4Signer("AKIDEXAMPLE", SECRET, now=apig.clock.now)
        headers = signer.sign("GET", "http://localhost:3000/Prod/who", {"host": "localhost:3000"})
        assert refusal(apig.get("/Prod/who", headers=headers))[:2] == (403, "UnrecognizedClientException")
