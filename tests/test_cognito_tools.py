"""What surrounds the Cognito check: ``user_pools:`` and its errors, ``apig-emu token``, the ``apig_token``
fixture, and ``--auth off`` / ``auth_off:`` for frontend work."""

from __future__ import annotations

import json
import logging
import textwrap
from pathlib import Path

import jwt
import pytest

from emulator.cli import main
from emulator.config import ConfigErrors, load_definitions
from emulator.testing import Harness
from tests.conftest import LAMBDAS, PYTESTER_ARGS
from tests.test_cognito import DOCUMENT, LOCAL, REAL, Pool

pytest_plugins = ["pytester"]

CONFIG = f"""
apis:
  shop: {{openapi: api.yaml, stages: {{Prod: {{}}}}}}
functions:
  echoEvent: {{handler: cases.echo_event}}
user_pools:
  {LOCAL}: {{}}
"""


def write(folder: Path, config: str = CONFIG, document: str = DOCUMENT) -> Path:
    (folder / "api.yaml").write_text(document)
    path = folder / "apig.yaml"
    path.write_text(textwrap.dedent(config))
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_definitions(path, code_dir=LAMBDAS)
    return [str(error).replace(f"{path.parent}/", "") for error in info.value.errors]


# user_pools:


@pytest.mark.parametrize(
    ("jwks", "problem"),
    [
        (None, "JWKS file keys/pool.json: cannot read the file: No such file or directory"),
        ("{not json", "JWKS file keys/pool.json is not JSON: Expecting property name"),
        ("[]", "JWKS file keys/pool.json: expected a JSON object with 'keys'"),
        (
            '{"keys": []}',
            "JWKS file keys/pool.json: expected a JSON Web Key Set: an object whose 'keys' is a non-empty list",
        ),
        (
            '{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}',
            "JWKS file keys/pool.json: keys[0] has no 'kid'",
        ),
        (
            '{"keys": [{"kid": "k", "kty": "EC", "crv": "P-256"}]}',
            "JWKS file keys/pool.json: keys[0] ('k') is not an RSA key (kty 'EC'); Cognito signs with RSA",
        ),
        (
            '{"keys": [{"kid": "k", "kty": "RSA", "alg": "HS256", "n": "AQAB", "e": "AQAB"}]}',
            "JWKS file keys/pool.json: keys[0] ('k') is for 'HS256'; Cognito signs with RS256",
        ),
        (
            '{"keys": [{"kid": "k", "kty": "RSA", "n": 5}]}',
            "JWKS file keys/pool.json: keys[0] ('k') is not a valid RSA key",
        ),
    ],
)
def test_a_jwks_that_cannot_verify_is_an_error_at_its_line(
    tmp_path: Path, jwks: str | None, problem: str
) -> None:
    if jwks is not None:
        (tmp_path / "keys").mkdir()
        (tmp_path / "keys" / "pool.json").write_text(jwks)
    path = write(tmp_path, CONFIG + f"  {REAL}:\n    jwks: keys/pool.json\n")
    (error,) = errors_of(path)
    assert error.startswith(f"apig.yaml:9: user_pools.{REAL}.jwks: {problem}")


def test_a_pool_id_that_is_not_one_and_unknown_keys_are_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path, CONFIG + "  userpool/eu-west-1_X:\n    jwks: a.json\n  eu-west-1_Y: {jwk: a.json}\n"
    )
    assert errors_of(path) == [
        "apig.yaml:8: user_pools.userpool/eu-west-1_X: 'userpool/eu-west-1_X' is not a user pool id; expected "
        "REGION_ID, e.g. us-east-1_AbC123 (the end of the pool's ARN, "
        "arn:aws:cognito-idp:REGION:ACCOUNT:userpool/REGION_ID)",
        "apig.yaml:10: user_pools.eu-west-1_Y.jwk: unknown key 'jwk' (did you mean 'jwks'?); expected one of jwks",
    ]


def test_a_pool_no_authorizer_names_is_a_warning(tmp_path: Path) -> None:
    from emulator.config import load

    path = write(tmp_path, CONFIG + "  us-east-1_Locall: {}\n")
    loaded = load(path, code_dir=LAMBDAS)
    assert not loaded.errors
    assert [str(warning).replace(f"{tmp_path}/", "") for warning in loaded.warnings] == [
        f"apig.yaml:8: user_pools.us-east-1_Locall: user pool 'us-east-1_Locall' is named by no Cognito "
        f"authorizer (did you mean '{LOCAL}'?)"
    ]


def test_the_jwks_file_is_a_source_so_saving_it_reloads(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "pool.json").write_text(json.dumps(Pool().jwks()))
    path = write(tmp_path, CONFIG + f"  {REAL}:\n    jwks: keys/pool.json\n")
    definitions = load_definitions(path, code_dir=LAMBDAS)
    assert tmp_path / "keys" / "pool.json" in definitions.sources
    assert definitions.user_pools[REAL].jwks_path == tmp_path / "keys" / "pool.json"
    assert definitions.user_pools[LOCAL].jwks is None


# apig-emu token


def test_the_token_command_prints_a_token_serve_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path)
    code = main(
        [
            "token", "--config", str(path), "--pool", LOCAL, "--sub", "alice", "--groups", "admin,dev",
            "--claim", "email=a@b.c", "--expires-in", "30m",
        ]
    )  # fmt: skip
    out, _ = capsys.readouterr()
    assert code == 0
    token = out.strip()
    assert out.count("\n") == 1
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 1800
    assert (claims["token_use"], claims["cognito:groups"], claims["email"]) == (
        "id",
        ["admin", "dev"],
        "a@b.c",
    )
    with Harness(path, code_dir=LAMBDAS) as apig:
        answer = apig.get("/Prod/local", headers={"X-Token": token})
    assert answer.status == 200
    assert answer.json()["requestContext"]["authorizer"]["claims"]["cognito:groups"] == "admin,dev"


def test_the_token_command_makes_access_tokens_with_scopes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path)
    args = [
        "token",
        "--config",
        str(path),
        "--sub",
        "bob",
        "--pool",
        LOCAL,
        "--token-use",
        "access",
        "--scope",
        "orders/read a/b",
    ]
    assert main(args) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})
    assert (claims["token_use"], claims["scope"], claims["username"]) == ("access", "orders/read a/b", "bob")
    assert "aud" not in claims


@pytest.mark.parametrize(
    ("extra", "config", "message"),
    [
        (
            ["--pool", "nope"],
            CONFIG,
            f"apig-emu token: unknown user pool 'nope'; the pools are: {LOCAL}, {REAL}",
        ),
        (
            ["--pool", REAL],
            CONFIG,
            f"apig-emu token: user pool '{REAL}' is verified with its jwks file: only the real pool can sign "
            f"its tokens; the local issuer signs for {LOCAL}",
        ),
        (
            [],
            CONFIG.replace(f"user_pools:\n  {LOCAL}: {{}}\n", ""),
            f"apig-emu token: several user pools; name one with --pool: {REAL}, {LOCAL}",
        ),
    ],
)
def test_the_token_command_says_which_pools_it_can_sign_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], config: str, message: str
) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "pool.json").write_text(json.dumps(Pool().jwks()))
    if "user_pools" in config:
        config += f"  {REAL}:\n    jwks: keys/pool.json\n"
    path = write(tmp_path, config)
    assert main(["token", "--config", str(path), "--sub", "alice", *extra]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == message


def test_the_token_command_refuses_a_bad_duration_or_claim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path)
    for bad, message in (
        (
            ["--expires-in", "1x"],
            "argument --expires-in: expected a duration such as 1h, 30m, 90s or 2d, got '1x'",
        ),
        (
            ["--expires-in", "0"],
            "argument --expires-in: expected a duration such as 1h, 30m, 90s or 2d, got '0'",
        ),
        (["--claim", "novalue"], "argument --claim: expected NAME=VALUE, got 'novalue'"),
        (["--token-use", "refresh"], "argument --token-use: invalid choice: 'refresh'"),
    ):
        with pytest.raises(SystemExit):
            main(["token", "--config", str(path), "--sub", "a", *bad])
        assert message in capsys.readouterr().err


# The apig_token fixture

FIXTURE_TESTS = """
def test_logged_in(apig, apig_token):
    answer = apig.get("/Prod/local", headers={"X-Token": apig_token(sub="alice", groups=["admin"])})
    assert answer.status_code == 200
    claims = answer.json()["requestContext"]["authorizer"]["claims"]
    assert (claims["sub"], claims["cognito:groups"]) == ("alice", "admin")


def test_anonymous(apig):
    assert apig.get("/Prod/local").status_code == 401


def test_scoped(apig, apig_token):
    token = apig_token("carol", pool="us-east-1_Local1", scopes=["orders/read"])
    import jwt
    assert jwt.decode(token, options={"verify_signature": False})["token_use"] == "access"
"""


@pytest.mark.slow
def test_the_apig_token_fixture_logs_a_test_in_as_a_user_in_one_line(pytester: pytest.Pytester) -> None:
    # The other pool has its JWKS: the local issuer signs for one pool, which the fixture then picks.
    (pytester.path / "keys").mkdir()
    (pytester.path / "keys" / "pool.json").write_text(json.dumps(Pool().jwks()))
    write(pytester.path, CONFIG + f"  {REAL}:\n    jwks: keys/pool.json\n")
    pytester.makepyfile(
        cases="import json\n\ndef echo_event(event, context):\n    return {'statusCode': 200, 'body': json.dumps(event)}\n"
    )
    pytester.makeini("[pytest]\napig_config = apig.yaml\n")
    pytester.makepyfile(test_users=FIXTURE_TESTS)
    result = pytester.runpytest_subprocess(*PYTESTER_ARGS)
    result.assert_outcomes(passed=3)


# --auth off and auth_off:

AUTH_OFF = CONFIG + textwrap.dedent(
    """
    auth_off:
      claims: {sub: frontend-dev, email: dev@example.com, email_verified: true}
      principal_id: frontend-dev
    """
)


def test_auth_off_skips_the_check_and_fills_the_configured_claims_logged_as_such(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, AUTH_OFF)
    with (
        caplog.at_level(logging.WARNING, logger="apig_emu.auth"),
        Harness(path, code_dir=LAMBDAS, auth="off") as apig,
    ):
        first = apig.get("/Prod/local")
        apig.get("/Prod/local", headers={"X-Token": "anything"})
        open_method = apig.get("/Prod/open")
    assert first.status == 200
    assert first.json()["requestContext"]["authorizer"] == {
        "claims": {"sub": "frontend-dev", "email": "dev@example.com", "email_verified": "true"}
    }
    assert "authorizer" not in open_method.json()["requestContext"]
    # Said once per method, not on every request.
    assert [record.getMessage() for record in caplog.records] == [
        "api 'shop' GET /local: authorization (COGNITO_USER_POOLS) is OFF; requests get the configured "
        "stand-in identity, unchecked"
    ]


def test_auth_on_is_the_default_and_refuses(tmp_path: Path) -> None:
    with Harness(write(tmp_path, AUTH_OFF), code_dir=LAMBDAS) as apig:
        assert apig.get("/Prod/local").status == 401
    with pytest.raises(ValueError, match="auth must be 'on' or 'off', not 'no'"):
        Harness(write(tmp_path, AUTH_OFF), code_dir=LAMBDAS, auth="no")


def test_auth_off_for_listed_methods_only(tmp_path: Path) -> None:
    config = AUTH_OFF + "  methods: [{api: shop, resource: /local, method: get}]\n"
    with Harness(write(tmp_path, config), code_dir=LAMBDAS) as apig:
        skipped = apig.get("/Prod/local")
        checked = apig.get("/Prod/me")
    assert skipped.json()["requestContext"]["authorizer"]["claims"]["sub"] == "frontend-dev"
    assert checked.status == 401


def test_an_auth_off_method_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    config = AUTH_OFF + textwrap.indent(
        "methods:\n  - {api: shop, resource: /nope, method: GET}\n  - {api: shop, resource: /local, method: FETCH}\n",
        "  ",
    )
    assert sorted(errors_of(write(tmp_path, config))) == [
        "apig.yaml:13: auth_off.methods[0]: auth_off: no method GET /nope in api 'shop'",
        "apig.yaml:14: auth_off.methods[1].method: unknown method 'FETCH'; expected one of ANY, DELETE, GET, "
        "HEAD, OPTIONS, PATCH, POST, PUT",
    ]


@pytest.mark.slow
def test_serve_auth_off_over_a_socket(tmp_path: Path) -> None:
    import requests

    from tests.test_cli import start_serve

    path = write(tmp_path, AUTH_OFF)
    process, url = start_serve(
        "--auth", "off", "--config", str(path), "--code-dir", str(LAMBDAS), cwd=tmp_path
    )
    try:
        answer = requests.get(url + "/Prod/local", timeout=10)
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert answer.status_code == 200
    assert answer.json()["requestContext"]["authorizer"]["claims"]["sub"] == "frontend-dev"
    assert "authorization (COGNITO_USER_POOLS) is OFF" in output


@pytest.mark.slow
def test_the_plugin_serves_with_auth_off_from_the_ini_and_refuses_another_value(
    pytester: pytest.Pytester,
) -> None:
    write(pytester.path, AUTH_OFF)
    pytester.makepyfile(
        cases="import json\n\ndef echo_event(event, context):\n    return {'statusCode': 200, 'body': json.dumps(event)}\n"
    )
    pytester.makepyfile(
        test_off="""
def test_off(apig):
    claims = apig.get("/Prod/local").json()["requestContext"]["authorizer"]["claims"]
    assert claims["sub"] == "frontend-dev"
"""
    )
    pytester.makeini("[pytest]\napig_config = apig.yaml\napig_auth = off\n")
    pytester.runpytest_subprocess(*PYTESTER_ARGS).assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess(*PYTESTER_ARGS, "--apig-auth", "on")
    result.assert_outcomes(failed=1)
    pytester.makeini("[pytest]\napig_config = apig.yaml\napig_auth = maybe\n")
    result = pytester.runpytest_subprocess(*PYTESTER_ARGS)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*apig-emu: apig_auth: expected on or off, got 'maybe'*"])
