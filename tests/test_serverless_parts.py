"""serverless.yml's smaller readers: items and their lines, handlers, authorizers, Serverless's defaults."""

from __future__ import annotations

import textwrap
from pathlib import Path

from emulator.config.lambda_uris import invocation_uri
from emulator.config.serverless.authorizers import MethodAuth, read_authorizer
from emulator.config.serverless.defaults import STATUS_CODES, claim_fields, request_templates
from emulator.config.serverless.files import read_items
from emulator.config.serverless.handlers import handler_problem, python_handler
from emulator.config.serverless.items import Item, plain
from emulator.config.serverless.report import Report
from emulator.config.serverless.values import At, Values
from emulator.config.serverless.variables import Inputs, Resolver

FUNCTIONS = {"auth": "shop-dev-auth", "hello": "shop-dev-hello"}


def read(tmp_path: Path, text: str, name: str = "serverless.yml") -> tuple[Item | None, Report]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    report = Report()
    return read_items(path, report), report


def shown(tmp_path: Path, found: list[object]) -> list[str]:
    return [str(item).replace(f"{tmp_path}/", "") for item in found]


# Items


def test_every_value_keeps_the_line_of_its_key(tmp_path: Path) -> None:
    root, report = read(tmp_path, "service: shop\nprovider:\n  name: aws\n  runtime: python3.12\n")
    assert root is not None and not report.errors
    assert isinstance(root.value, dict)
    provider = root.value["provider"]
    assert provider.line == 2
    assert isinstance(provider.value, dict)
    assert (provider.value["runtime"].value, provider.value["runtime"].line) == ("python3.12", 4)


def test_duplicate_keys_and_non_text_values_are_errors_at_their_line(tmp_path: Path) -> None:
    _, report = read(tmp_path, "a: 1\na: 2\nb: !!binary aGk=\n")
    assert shown(tmp_path, report.errors) == [
        "serverless.yml:2: a: duplicate key 'a' (first at line 1)",
        "serverless.yml:3: b: unsupported value 'aGk=' (tag:yaml.org,2002:binary); expected text, a number or "
        "a boolean",
    ]


def test_a_date_stays_the_text_it_was_written_as(tmp_path: Path) -> None:
    root, _ = read(tmp_path, "frameworkVersion: '3'\nreleased: 2024-01-31\n")
    assert root is not None
    assert plain(root) == {"frameworkVersion": "3", "released": "2024-01-31"}


def test_json_files_are_read_with_their_lines(tmp_path: Path) -> None:
    root, report = read(
        tmp_path, '{\n  "service": "shop",\n  "custom": {"a": 1}\n}\n', name="serverless.json"
    )
    assert root is not None and not report.errors
    assert isinstance(root.value, dict)
    assert root.value["custom"].line == 3
    _, report = read(tmp_path, '{"service": }', name="broken.json")
    assert shown(tmp_path, report.errors) == ["broken.json:1:13: invalid JSON: Expecting value"]


def test_a_yaml_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    root, report = read(tmp_path, "service: shop\nprovider:\n  name: aws\n runtime: python3.12\n")
    assert root is None
    (error,) = shown(tmp_path, report.errors)
    assert error.startswith("serverless.yml:4:2: invalid YAML: ")


# Handlers


def test_handlers_are_paths_to_modules_as_serverless_packages_them() -> None:
    assert python_handler("src/api/items.list_items") == "src.api.items.list_items"
    assert python_handler("./handler.hello") == "handler.hello"
    assert handler_problem("src/api/items.list_items") is None
    assert handler_problem("src/api/items") == (
        "invalid handler 'src/api/items'; expected Serverless's path/module.function, each folder, the module "
        "and the function a Python identifier, like 'src/api/items.list_items'"
    )
    assert handler_problem("src/my-api/items.list") is not None


# Authorizers


def authorizer(tmp_path: Path, text: str) -> tuple[MethodAuth | None, Report]:
    root, report = read(tmp_path, text)
    assert root is not None and not report.errors, report.errors
    values = Values(Resolver(root, Inputs(tmp_path), report), report)
    entries = values.entries(At(root, ""))
    assert entries is not None
    return read_authorizer(values, entries["authorizer"], FUNCTIONS), report


def test_an_authorizer_named_by_a_function_of_the_service_is_a_cached_token_authorizer(
    tmp_path: Path,
) -> None:
    auth, report = authorizer(tmp_path, "authorizer: auth\n")
    assert auth is not None and auth.authorizer is not None
    assert auth.authorization_type == "CUSTOM"
    found = auth.authorizer
    assert (found.name, found.type, found.function) == ("auth", "TOKEN", "auth")
    assert (found.identity_source, found.result_ttl_seconds) == ("method.request.header.Authorization", 300)
    assert not report.errors and not report.warnings


def test_an_authorizer_object_with_a_request_type_and_no_cache_needs_no_identity_source(
    tmp_path: Path,
) -> None:
    auth, _ = authorizer(tmp_path, "authorizer: {name: auth, type: request, resultTtlInSeconds: 0}\n")
    assert auth is not None and auth.authorizer is not None
    assert (auth.authorizer.type, auth.authorizer.identity_source, auth.authorizer.result_ttl_seconds) == (
        "REQUEST",
        None,
        0,
    )


def test_a_lambda_arn_of_this_service_runs_the_local_function(tmp_path: Path) -> None:
    arn = "arn:aws:lambda:eu-west-1:210987654321:function:shop-dev-auth"
    auth, report = authorizer(tmp_path, f"authorizer: {arn}\n")
    assert auth is not None and auth.authorizer is not None
    assert (auth.authorizer.name, auth.authorizer.function, auth.authorizer.uri) == (
        "auth",
        "auth",
        invocation_uri(arn),
    )
    assert not report.warnings


def test_a_lambda_arn_elsewhere_is_kept_and_warned_about(tmp_path: Path) -> None:
    arn = "arn:aws:lambda:eu-west-1:210987654321:function:billing-prod-authorize"
    auth, report = authorizer(tmp_path, f"authorizer:\n  arn: {arn}\n")
    assert auth is not None and auth.authorizer is not None
    assert (auth.authorizer.name, auth.authorizer.function) == ("authorize", None)
    assert shown(tmp_path, report.warnings) == [
        "serverless.yml:2: authorizer.arn: the authorizer's function 'billing-prod-authorize' is not one of this "
        "service's (deployed as: shop-dev-auth, shop-dev-hello); it cannot run locally"
    ]


def test_a_cognito_pool_by_arn_or_by_type_with_claims_and_scopes(tmp_path: Path) -> None:
    pool = "arn:aws:cognito-idp:eu-west-1:210987654321:userpool/eu-west-1_AbCdEf"
    auth, _ = authorizer(tmp_path, f"authorizer: {pool}\n")
    assert auth is not None and auth.authorizer is not None
    assert auth.authorization_type == "COGNITO_USER_POOLS"
    assert (auth.authorizer.type, auth.authorizer.provider_arns) == ("COGNITO_USER_POOLS", (pool,))
    auth, _ = authorizer(
        tmp_path,
        """
        authorizer:
          name: users
          type: COGNITO_USER_POOLS
          arn: !GetAtt UserPool.Arn
          claims: [email, 'custom:tenant']
          scopes: [shop/read]
        """,
    )
    assert auth is not None and auth.authorizer is not None
    assert auth.authorizer.name == "users"
    assert auth.authorizer.provider_arns == ('{"Fn::GetAtt": "UserPool.Arn"}',)
    assert (auth.claims, auth.scopes) == (("email", "custom:tenant"), ("shop/read",))


def test_iam_and_externally_defined_authorizers(tmp_path: Path) -> None:
    auth, _ = authorizer(tmp_path, "authorizer: aws_iam\n")
    assert auth == MethodAuth("AWS_IAM")
    auth, report = authorizer(tmp_path, "authorizer: {type: CUSTOM, authorizerId: {Ref: ApiAuthorizer}}\n")
    assert auth == MethodAuth("NONE")
    assert shown(tmp_path, report.warnings) == [
        "serverless.yml:1: authorizer.authorizerId: an authorizer named by authorizerId is defined outside the "
        "http events (in resources, or another stack), which apig-emu does not read; the method is served "
        "without it"
    ]


def test_an_authorizer_that_names_no_function_of_the_service_is_an_error(tmp_path: Path) -> None:
    auth, report = authorizer(tmp_path, "authorizer: auht\n")
    assert auth is None
    assert shown(tmp_path, report.errors) == [
        "serverless.yml:1: authorizer: the authorizer 'auht' is not a function of this service (did you mean "
        "'auth'?); the functions are: auth, hello\n"
        "    hint: name a function under functions:, or give the arn of one deployed elsewhere"
    ]


# Serverless's defaults


def test_the_default_request_templates_wrap_the_request_and_name_extra_claims() -> None:
    templates = request_templates(("email", "custom:tenant"))
    assert set(templates) == {"application/json", "application/x-www-form-urlencoded"}
    json_template = templates["application/json"]
    assert json_template.startswith('#set( $body = $input.json("$") )')
    for field in (
        '"method": "$context.httpMethod"',
        '"headers": $loop',
        '"requestPath": "$context.resourcePath"',
    ):
        assert field in json_template
    assert '"email": "$context.authorizer.claims.email",' in json_template
    assert '"tenant": "$context.authorizer.claims[\'custom:tenant\']",' in json_template
    assert "$util.urlDecode" in templates["application/x-www-form-urlencoded"]
    assert claim_fields(()) == ""


def test_the_default_status_codes_select_on_a_marker_in_the_error_message() -> None:
    import re

    assert STATUS_CODES["200"] == ""
    assert re.fullmatch(STATUS_CODES["404"], "[404] no item 7")
    assert not re.fullmatch(STATUS_CODES["404"], "[400] bad")
    assert re.fullmatch(STATUS_CODES["500"], "RequestId: x Process exited before completing request")
    assert re.fullmatch(STATUS_CODES["504"], "2024-01-01 Task timed out after 3.00 seconds")
