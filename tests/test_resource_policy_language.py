"""A resource policy's language (``auth/policy.py``, ``principal.py``, ``conditions.py``): the shorthand
``execute-api:/`` expanded as AWS expands it, ``Principal``/``NotPrincipal`` as IAM matches them, the
condition operators and keys that mean something locally, and every other one refused by name (fail
closed: a condition silently ignored would let through what AWS refuses).

Facts from IAM's documentation (IAM JSON policy elements: Principal, Condition operators, "...IfExists",
single-valued context keys, aws:PrincipalArn of a role session is the role's ARN); API Gateway's expansion
of ``execute-api:/`` from "API Gateway resource policy examples".
"""

from __future__ import annotations

from typing import Any

import pytest

from emulator.auth.policy import Facts, PolicyError, Verdict, parse_policy

PREFIX = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3"
ARN = f"{PREFIX}/Prod/GET/pets/42"
USER = "arn:aws:iam::123456789012:user/alice"
SESSION = "arn:aws:sts::123456789012:assumed-role/deployer/ci-run-7"
OTHER = "arn:aws:iam::999988887777:user/olga"


def statement(**extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
        **extra,
    }


def verdict(item: dict[str, Any], facts: Facts, arn: str = ARN) -> Verdict:
    return parse_policy({"Statement": [item]}, resource_prefix=PREFIX).decide(arn, facts).verdict


def anonymous(ip: str = "127.0.0.1") -> Facts:
    return Facts(ip)


@pytest.mark.parametrize(
    ("resource", "covered"),
    [
        ("execute-api:/*", True),
        ("execute-api:/Prod/GET/pets/*", True),
        ("execute-api:/*/POST/*", False),
        ("execute-api:/Beta/*", False),
        (f"{PREFIX}/Prod/*", True),
        ("arn:aws:execute-api:us-east-1:123456789012:other/*", False),
    ],
)
def test_shorthand_is_the_apis_own_arn(resource: str, covered: bool) -> None:
    expected = Verdict.ALLOW if covered else Verdict.NOT_ALLOWED
    assert verdict(statement(Resource=resource), anonymous()) is expected


# Principal


@pytest.mark.parametrize(
    ("principal", "caller", "covered"),
    [
        ("*", None, True),
        ({"AWS": "*"}, None, True),
        ({"AWS": USER}, None, False),
        ({"AWS": USER}, USER, True),
        ({"AWS": [OTHER, USER]}, USER, True),
        ({"AWS": "123456789012"}, USER, True),
        ({"AWS": "arn:aws:iam::123456789012:root"}, SESSION, True),
        ({"AWS": "arn:aws:iam::123456789012:root"}, OTHER, False),
        ({"AWS": "arn:aws:iam::123456789012:role/deployer"}, SESSION, True),
        ({"AWS": "arn:aws:iam::123456789012:role/ci/deployer"}, SESSION, True),
        ({"AWS": "arn:aws:iam::123456789012:role/other"}, SESSION, False),
        ({"AWS": SESSION}, SESSION, True),
        ({"Service": "lambda.amazonaws.com"}, USER, False),
    ],
)
def test_principal(principal: Any, caller: str | None, covered: bool) -> None:
    expected = Verdict.ALLOW if covered else Verdict.NOT_ALLOWED
    assert verdict(statement(Principal=principal), Facts("127.0.0.1", caller)) is expected


def test_not_principal_covers_everyone_else_the_anonymous_caller_included() -> None:
    item = {**statement(Effect="Deny"), "NotPrincipal": {"AWS": USER}}
    del item["Principal"]
    assert verdict(item, anonymous()) is Verdict.EXPLICIT_DENY
    assert verdict(item, Facts("127.0.0.1", USER)) is Verdict.NOT_ALLOWED


@pytest.mark.parametrize(
    ("principal", "message"),
    [
        ({"AWS": "arn:aws:iam::123456789012:user/*"}, "IAM allows no wildcard inside a principal"),
        (
            {"AWS": "alice"},
            "'alice' is not an account id or an IAM user, role, root or assumed-role session ARN",
        ),
        ({"Wizard": "x"}, "unknown principal type 'Wizard'"),
        ("everyone", 'must be "*" or a mapping'),
    ],
)
def test_bad_principals_are_refused(principal: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=r"Statement\[0\]\.Principal") as error:
        parse_policy({"Statement": [statement(Principal=principal)]}, resource_prefix=PREFIX)
    assert message in str(error.value)


def test_a_resource_policy_statement_must_name_its_principal() -> None:
    item = statement()
    del item["Principal"]
    with pytest.raises(PolicyError, match=r"Statement\[0\] needs exactly one of Principal and NotPrincipal"):
        parse_policy({"Statement": [item]}, resource_prefix=PREFIX)


def test_an_authorizers_policy_needs_no_principal_and_has_no_shorthand() -> None:
    item = statement(Resource=f"{PREFIX}/*")
    del item["Principal"]
    assert parse_policy({"Statement": [item]}).evaluate(ARN) is Verdict.ALLOW
    item["Resource"] = "execute-api:/*"
    assert parse_policy({"Statement": [item]}).evaluate(ARN) is Verdict.NOT_ALLOWED


# Conditions


@pytest.mark.parametrize(
    ("condition", "ip", "holds"),
    [
        ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, "127.0.0.1", True),
        ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, "10.0.0.1", False),
        ({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.7"]}}, "192.0.2.7", True),
        ({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, "2001:db8::1", True),
        ({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, "127.0.0.1", False),
        ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, "127.0.0.1", True),
        ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, "10.9.9.9", False),
        ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, "::ffff:127.0.0.1", True),
    ],
)
def test_ip_address_conditions(condition: Any, ip: str, holds: bool) -> None:
    expected = Verdict.ALLOW if holds else Verdict.NOT_ALLOWED
    assert verdict(statement(Condition=condition), anonymous(ip)) is expected


@pytest.mark.parametrize(
    ("condition", "caller", "holds"),
    [
        ({"StringEquals": {"aws:PrincipalAccount": "123456789012"}}, USER, True),
        ({"StringEquals": {"aws:PrincipalAccount": "123456789012"}}, OTHER, False),
        # A key the request lacks: positive operators fail, negated ones hold (IAM's rule).
        ({"StringEquals": {"aws:PrincipalAccount": "123456789012"}}, None, False),
        ({"StringNotEquals": {"aws:PrincipalAccount": "123456789012"}}, None, True),
        ({"StringEqualsIfExists": {"aws:PrincipalAccount": "123456789012"}}, None, True),
        ({"StringEquals": {"aws:username": "alice"}}, USER, True),
        ({"StringEqualsIgnoreCase": {"aws:username": "ALICE"}}, USER, True),
        ({"StringEquals": {"aws:username": "alice"}}, SESSION, False),
        ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/deploy*"}}, SESSION, True),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/alice"}}, USER, True),
        ({"ArnNotEquals": {"aws:PrincipalArn": USER}}, USER, False),
        ({"ForAllValues:ArnNotEquals": {"aws:PrincipalArn": [USER]}}, None, True),
        ({"ForAnyValue:StringEquals": {"aws:PrincipalArn": [USER]}}, None, False),
        ({"StringNotLike": {"aws:PrincipalArn": "*:user/*"}}, SESSION, True),
        ({"StringEquals": {"aws:PrincipalType": "Anonymous"}}, None, True),
        ({"StringEquals": {"aws:PrincipalType": "AssumedRole"}}, SESSION, True),
        ({"Null": {"aws:PrincipalArn": "true"}}, None, True),
        ({"Null": {"aws:PrincipalArn": "false"}}, None, False),
        # Keys are case-insensitive in IAM.
        ({"StringEquals": {"AWS:PRINCIPALACCOUNT": "123456789012"}}, USER, True),
    ],
)
def test_string_and_arn_conditions(condition: Any, caller: str | None, holds: bool) -> None:
    expected = Verdict.ALLOW if holds else Verdict.NOT_ALLOWED
    assert verdict(statement(Condition=condition), Facts("127.0.0.1", caller)) is expected


def test_source_vpce_is_never_present_locally() -> None:
    """The guide's private-API example (Deny unless aws:SourceVpce is the endpoint): a local request comes
    through no endpoint, so, as an internet caller on AWS, it is denied; an Allow that needs one never applies."""
    deny = statement(Effect="Deny", Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})
    allow = statement(Condition={"StringEquals": {"aws:SourceVpc": "vpc-1a2b3c4d"}})
    assert verdict(deny, anonymous()) is Verdict.EXPLICIT_DENY
    assert verdict(allow, anonymous()) is Verdict.NOT_ALLOWED


def test_all_conditions_of_a_statement_must_hold() -> None:
    item = statement(
        Condition={
            "IpAddress": {"aws:SourceIp": "127.0.0.0/8"},
            "StringEquals": {"aws:PrincipalAccount": "123456789012"},
        }
    )
    assert verdict(item, Facts("127.0.0.1", USER)) is Verdict.ALLOW
    assert verdict(item, Facts("127.0.0.1", None)) is Verdict.NOT_ALLOWED
    assert verdict(item, Facts("10.0.0.1", USER)) is Verdict.NOT_ALLOWED


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            {"StringEquals": {"aws:SecureTransport": "true"}},
            "condition key 'aws:SecureTransport' is not one apig-emu can evaluate",
        ),
        (
            {"DateGreaterThan": {"aws:SourceIp": "x"}},
            "condition operator 'DateGreaterThan' is not one apig-emu can evaluate",
        ),
        ({"Bool": {"aws:PrincipalArn": "true"}}, "condition operator 'Bool' is not one"),
        ({"IpAddress": {"aws:username": "10.0.0.0/8"}}, "IpAddress applies to aws:SourceIp only"),
        ({"StringEquals": {"aws:SourceIp": "10.0.0.1"}}, "aws:SourceIp takes IpAddress or NotIpAddress"),
        (
            {"IpAddress": {"aws:SourceIp": "10.0.0.300/8"}},
            "'10.0.0.300/8' is not an IP address or CIDR block",
        ),
        ({"Null": {"aws:PrincipalArn": "maybe"}}, 'Null takes "true" or "false"'),
        ({"IpAddress": "10.0.0.0/8"}, "must map condition keys to values"),
        # Compared as text, a policy variable would never match: a Deny would let the request through.
        ({"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::1:user/${aws:username}"}}, "a policy variable"),
    ],
)
def test_what_cannot_be_evaluated_is_refused_by_name(condition: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=r"Statement\[0\]\.Condition") as error:
        parse_policy({"Statement": [statement(Condition=condition)]}, resource_prefix=PREFIX)
    assert message in str(error.value)


def test_the_deciding_statement_is_named() -> None:
    policy = parse_policy(
        {
            "Statement": [
                statement(Sid="everyone"),
                statement(
                    Effect="Deny", Sid="office", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
                ),
            ]
        },
        resource_prefix=PREFIX,
    )
    assert policy.decide(ARN, anonymous()).which() == "Statement[0] (everyone)"
    assert policy.decide(ARN, anonymous("10.0.0.1")).which() == "Statement[1] (office)"


def test_a_resource_with_a_policy_variable_is_refused_by_name() -> None:
    item = statement(Effect="Deny", Resource="execute-api:/*/GET/users/${aws:username}")
    with pytest.raises(PolicyError, match=r"Statement\[0\]\.Resource: .* uses a policy variable"):
        parse_policy({"Statement": [item]}, resource_prefix=PREFIX)
