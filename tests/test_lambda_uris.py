"""Lambda invocation URIs: which function one names, directly or through a stage's variables, and the
URIs the builder and the exports write."""

from __future__ import annotations

import pytest

from emulator.config.lambda_uris import (
    LambdaFunction,
    Target,
    UnresolvedFunction,
    invocation_uri,
    invoked_function,
    lambda_target,
    resolve_function,
)

PREFIX = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
SUFFIX = "/invocations"


def uri(function_arn: str) -> str:
    return PREFIX + function_arn + SUFFIX


@pytest.mark.parametrize(
    ("function_arn", "name", "qualifier"),
    [
        ("arn:aws:lambda:eu-west-1:210987654321:function:getPet", "getPet", None),
        ("arn:aws:lambda:eu-west-1:210987654321:function:getPet:live", "getPet", "live"),
        ("arn:aws:lambda:eu-west-1:210987654321:function:get-pet_2:17", "get-pet_2", "17"),
        ("arn:aws:lambda:eu-west-1:210987654321:function:getPet:$LATEST", "getPet", "$LATEST"),
        ("arn:aws-cn:lambda:cn-north-1:210987654321:function:getPet", "getPet", None),
    ],
)
def test_the_function_an_arn_names_whatever_its_region_account_or_alias(
    function_arn: str, name: str, qualifier: str | None
) -> None:
    target = lambda_target(uri(function_arn))
    assert target is not None
    assert (target.function, target.qualifier, target.function_arn, target.stage_variables) == (
        name,
        qualifier,
        function_arn,
        (),
    )


def test_the_uri_the_builder_writes_names_its_function() -> None:
    built = invocation_uri("arn:aws:lambda:us-east-1:123456789012:function:items")
    assert built == (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:items/invocations"
    )
    target = lambda_target(built)
    assert target is not None and target.function == "items"


@pytest.mark.parametrize(
    ("function_arn", "function", "expected"),
    [
        ("arn:aws:lambda:eu-west-1:210987654321:function:f", None, LambdaFunction("f")),
        ("arn:aws:lambda:eu-west-1:210987654321:function:f:7", None, LambdaFunction("f", "7")),
        (
            "arn:aws:lambda:eu-west-1:210987654321:function:${stageVariables.fn}",
            None,
            LambdaFunction("${stageVariables.fn}"),
        ),
        (
            "arn:aws:lambda:eu-west-1:210987654321:function:getPet:${stageVariables.alias}",
            None,
            LambdaFunction("getPet", "${stageVariables.alias}"),
        ),
        # A stage variable for the whole ARN, or an ARN that names no function: the URI is kept as written.
        ("${stageVariables.arn}", None, None),
        ("arn:aws:lambda:eu-west-1:12:function:f", None, None),
    ],
)
def test_the_function_an_export_writes_again(
    function_arn: str, function: str | None, expected: LambdaFunction | None
) -> None:
    assert invoked_function(uri(function_arn), function) == expected


@pytest.mark.parametrize(
    ("written", "function", "expected"),
    [
        (
            "arn:aws:apigateway:us-east-1:lambda:path/2099-01-01/functions/arn:aws:lambda:us-east-1:123456789012:function:f/invocations",
            None,
            LambdaFunction("f", None, "2099-01-01"),
        ),
        # A method made in code names its local function without a URI.
        (None, "items", LambdaFunction("items")),
        (None, None, None),
        ("https://example.com/pets", None, None),
        ("arn:aws:apigateway:us-east-1:dynamodb:action/PutItem", None, None),
    ],
)
def test_what_is_invoked_without_a_lambda_uri(
    written: str | None, function: str | None, expected: LambdaFunction | None
) -> None:
    assert invoked_function(written, function) == expected


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            Target(),
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f:live/invocations",
        ),
        (
            Target("cn-north-1", "210987654321"),
            "arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/arn:aws-cn:lambda:cn-north-1:210987654321:function:f:live/invocations",
        ),
        (
            Target("us-gov-west-1", "210987654321"),
            "arn:aws-us-gov:apigateway:us-gov-west-1:lambda:path/2015-03-31/functions/arn:aws-us-gov:lambda:us-gov-west-1:210987654321:function:f:live/invocations",
        ),
    ],
)
def test_an_export_writes_the_uri_for_its_targets_account_and_partition(
    target: Target, expected: str
) -> None:
    written = target.invocation_uri(LambdaFunction("f", "live"))
    assert written == expected
    parsed = lambda_target(written)
    assert parsed is not None and (parsed.function, parsed.qualifier) == ("f", "live")


@pytest.mark.parametrize(
    "other",
    [
        "https://example.com/pets",
        "arn:aws:apigateway:us-east-1:dynamodb:action/PutItem",
        "arn:aws:apigateway:us-east-1:s3:path/bucket/{key}",
    ],
)
def test_other_uris_name_no_function(other: str) -> None:
    assert lambda_target(other) is None


def test_a_malformed_function_arn_is_refused_with_the_form_expected() -> None:
    with pytest.raises(UnresolvedFunction) as raised:
        lambda_target(uri("arn:aws:lambda:eu-west-1:12:function:getPet"))
    assert str(raised.value) == (
        "'arn:aws:lambda:eu-west-1:12:function:getPet' is not a Lambda function ARN "
        "(arn:aws:lambda:REGION:ACCOUNT:function:NAME, optionally followed by :ALIAS or :VERSION)"
    )


def test_stage_variables_stand_in_for_the_function_until_a_request_names_the_stage() -> None:
    staged = uri("arn:aws:lambda:eu-west-1:210987654321:function:${stageVariables.fn}")
    target = lambda_target(staged)
    assert target is not None and (target.function, target.stage_variables) == (None, ("fn",))
    assert resolve_function(staged, "live", {"fn": "getPet"}) == "getPet"
    # A variable may carry an alias with the name, or the whole ARN.
    assert resolve_function(staged, "live", {"fn": "getPet:blue"}) == "getPet"
    whole = uri("${stageVariables.arn}")
    assert (
        resolve_function(whole, "dev", {"arn": "arn:aws:lambda:eu-west-1:210987654321:function:dev-pets"})
        == "dev-pets"
    )


def test_a_stage_without_the_variable_or_with_a_bad_value_says_which() -> None:
    staged = uri("arn:aws:lambda:eu-west-1:210987654321:function:${stageVariables.fn}")
    with pytest.raises(UnresolvedFunction) as missing:
        resolve_function(staged, "dev", {})
    assert str(missing.value) == f"stage 'dev' has no stage variable 'fn', which the uri {staged} reads"
    with pytest.raises(UnresolvedFunction) as bad:
        resolve_function(staged, "dev", {"fn": "two words"})
    assert str(bad.value) == (
        "with the variables of stage 'dev', 'arn:aws:lambda:eu-west-1:210987654321:function:two words' is not a "
        "Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME, optionally followed by :ALIAS or "
        ":VERSION)"
    )
    with pytest.raises(UnresolvedFunction) as other:
        resolve_function("https://${stageVariables.host}/pets", "dev", {"host": "example.com"})
    assert str(other.value) == (
        "with the variables of stage 'dev' the uri becomes https://example.com/pets, which is not a Lambda "
        "invocation uri"
    )
