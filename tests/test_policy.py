"""IAM policy evaluation for execute-api:Invoke (``emulator/auth/policy.py``): IAM's wildcard and precedence
rules, which a Lambda authorizer's answer (and a resource policy) is read by."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.auth.policy import PolicyError, Verdict, parse_policy

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/42"


def policy(*statements: dict[str, Any]) -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)})


def allow(resource: Any, action: Any = "execute-api:Invoke") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(resource: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": resource}


@pytest.mark.parametrize(
    "resource",
    [
        ARN,
        "*",
        "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/*",
        "arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/*",
        "arn:aws:execute-api:*:*:abc123/Prod/GET/pets/*",
        "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/4?",
        ["arn:aws:execute-api:us-east-1:123456789012:other/*", ARN],
    ],
)
def test_wildcards_that_cover_the_method(resource: Any) -> None:
    assert policy(allow(resource)).evaluate(ARN) is Verdict.ALLOW


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/POST/*",
        "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets",
        "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/4",
        "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*",
    ],
    ids=["other verb", "parent path", "? is one character", "resource is case-sensitive"],
)
def test_resources_that_do_not_cover_it_are_not_allowed(resource: str) -> None:
    assert policy(allow(resource)).evaluate(ARN) is Verdict.NOT_ALLOWED


def test_an_explicit_deny_wins_over_any_allow() -> None:
    assert policy(allow("*"), deny(ARN)).evaluate(ARN) is Verdict.EXPLICIT_DENY
    assert policy(deny("*/POST/*"), allow("*")).evaluate(ARN) is Verdict.ALLOW


@pytest.mark.parametrize(
    "action", ["execute-api:*", "*", "Execute-API:invoke", ["s3:GetObject", "execute-api:Invoke"]]
)
def test_actions_match_case_insensitively_with_wildcards(action: Any) -> None:
    assert policy(allow("*", action)).evaluate(ARN) is Verdict.ALLOW


def test_another_action_allows_nothing() -> None:
    assert policy(allow("*", "execute-api:ManageConnections")).evaluate(ARN) is Verdict.NOT_ALLOWED


def test_not_resource_and_not_action_invert_the_match() -> None:
    except_posts = {"Effect": "Allow", "Action": "execute-api:Invoke", "NotResource": "*/POST/*"}
    assert policy(except_posts).evaluate(ARN) is Verdict.ALLOW
    assert policy(except_posts).evaluate(ARN.replace("/GET/", "/POST/")) is Verdict.NOT_ALLOWED
    other_actions = {"Effect": "Deny", "NotAction": "execute-api:Invoke", "Resource": "*"}
    assert policy(allow("*"), other_actions).evaluate(ARN) is Verdict.ALLOW


def test_a_single_statement_object_is_accepted() -> None:
    assert parse_policy({"Statement": allow(ARN)}).evaluate(ARN) is Verdict.ALLOW


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (None, "policyDocument must be an object, not null"),
        ({}, "policyDocument has no Statement"),
        ({"Statement": ["x"]}, "Statement[0] must be an object, not str"),
        ({"Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}, "Statement[0].Effect must be"),
        ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "Statement[0] needs exactly one of Action"),
        ({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": 3}]}, "Statement[0].Resource must be"),
        ({"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}, "Statement[0].Action must be"),
    ],
)
def test_a_malformed_policy_says_what_is_wrong(document: Any, problem: str) -> None:
    with pytest.raises(PolicyError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        parse_policy(document)
