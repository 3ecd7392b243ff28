"""serverless.yml's variables, parsed and resolved as Serverless v3 resolves them, every problem at its line.

The resolver is driven as the loader drives it: a file is read into items, then values are resolved
where they are read; messages are asserted whole, with file, key path and line.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from emulator.account import ACCOUNT_ID
from emulator.config.serverless.files import read_items
from emulator.config.serverless.items import Intrinsic, Item, plain
from emulator.config.serverless.report import Report
from emulator.config.serverless.syntax import Literal, Reference, SyntaxProblem, Variable, parse
from emulator.config.serverless.values import At, Values
from emulator.config.serverless.variables import Inputs, Resolver


def resolver(
    tmp_path: Path, text: str, *, stage: str | None = None, **inputs: dict[str, str]
) -> tuple[Values, Report]:
    path = tmp_path / "serverless.yml"
    path.write_text(textwrap.dedent(text))
    report = Report()
    root = read_items(path, report)
    assert root is not None, report.errors
    resolved = Resolver(root, Inputs(tmp_path, stage=stage, **inputs), report)
    return Values(resolved, report), report


def value(values: Values, address: str) -> object:
    """The setting at a dotted address, resolved all the way down, as plain data."""
    at = At(values.resolver.root, "")
    for key in address.split("."):
        entries = values.entries(at)
        assert entries is not None
        at = entries[key]
    return values.plain(at)


def shown(tmp_path: Path, report: list[object]) -> list[str]:
    return [str(item).replace(f"{tmp_path}/", "") for item in report]


# The syntax


def test_a_variable_is_parsed_into_its_sources_and_fallbacks() -> None:
    (variable,) = parse("${opt:stage, self:provider.stage, 'dev'}")
    assert isinstance(variable, Variable)
    assert variable.sources == (
        Reference("opt", None, ("stage",)),
        Reference("self", None, ("provider.stage",)),
        Literal("dev"),
    )


def test_text_around_variables_is_kept_and_a_nested_variable_is_part_of_its_address() -> None:
    before, variable, after = parse("api-${self:custom.${opt:stage}.suffix}-v1")
    assert (before, after) == ("api-", "-v1")
    assert isinstance(variable, Variable)
    (source,) = variable.sources
    assert isinstance(source, Reference) and source.address is not None
    prefix, inner, suffix = source.address
    assert (prefix, suffix) == ("custom.", ".suffix")
    assert isinstance(inner, Variable) and inner.written == "${opt:stage}"


def test_bare_fallbacks_are_numbers_booleans_and_null() -> None:
    (variable,) = parse("${env:N, 3}")
    assert isinstance(variable, Variable) and variable.sources[1] == Literal(3)
    (variable,) = parse("${env:N, 0.5}")
    assert isinstance(variable, Variable) and variable.sources[1] == Literal(0.5)
    (variable,) = parse("${env:N, true}")
    assert isinstance(variable, Variable) and variable.sources[1] == Literal(True)
    (variable,) = parse("${env:N, null}")
    assert isinstance(variable, Variable) and variable.sources[1] == Literal(None)


def test_foreign_dollar_braces_stay_as_written() -> None:
    """CloudFormation's ``${AWS::Region}`` and API Gateway's ``${stageVariables.fn}`` are someone else's."""
    assert parse("arn:${AWS::Partition}:lambda:${stageVariables.fn}") == (
        "arn:${AWS::Partition}:lambda:${stageVariables.fn}",
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("${opt:stage", "missing the closing '}' of the variable at character 1 of '${opt:stage'"),
        (
            "${opt:stage, dev}",
            "the fallback 'dev' is neither a source (like self:custom.x) nor a literal; quote a text: 'dev' "
            "at character 14 of '${opt:stage, dev}'",
        ),
        (
            "${file(./a.yml:x}",
            "missing the closing ')' of the parameters at character 17 of '${file(./a.yml:x}'",
        ),
        ("${env:A, 'x}", "missing the closing ' of a quoted text at character 10 of \"${env:A, 'x}\""),
        ("${env:A, }", "missing a fallback after ',' at character 10 of '${env:A, }'"),
    ],
)
def test_malformed_variables_say_what_and_where(text: str, problem: str) -> None:
    with pytest.raises(SyntaxProblem) as raised:
        parse(text)
    assert str(raised.value) == problem


# Resolving


def test_opt_stage_falls_back_to_its_default_and_takes_the_stage_asked_for(tmp_path: Path) -> None:
    text = """
    provider:
      stage: ${opt:stage, 'dev'}
    custom:
      table: items-${self:provider.stage}
    """
    values, report = resolver(tmp_path, text)
    assert value(values, "custom.table") == "items-dev"
    values, report = resolver(tmp_path, text, stage="prod")
    assert value(values, "custom.table") == "items-prod"
    assert not report.errors and not report.warnings


def test_self_env_and_sls_values(tmp_path: Path) -> None:
    values, report = resolver(
        tmp_path,
        """
        service: shop
        provider: {name: aws, stage: qa, region: eu-west-1}
        custom:
          name: ${self:service}-${sls:stage}
          secret: ${env:SHOP_SECRET}
          missing: ${env:NOT_SET, 'fallback'}
          region: ${aws:region}
          account: ${aws:accountId}
          first: ${self:custom.list.0}
          list: [a, b]
          whole: ${self:custom.list}
        """,
        environ={"SHOP_SECRET": "s3cret"},
    )
    assert value(values, "custom") == {
        "name": "shop-qa",
        "secret": "s3cret",
        "missing": "fallback",
        "region": "eu-west-1",
        "account": ACCOUNT_ID,
        "first": "a",
        "list": ["a", "b"],
        "whole": ["a", "b"],
    }
    assert not report.errors and not report.warnings


def test_a_whole_value_keeps_its_type_and_text_around_it_makes_text(tmp_path: Path) -> None:
    values, _ = resolver(
        tmp_path,
        """
        custom:
          size: 512
          debug: true
          copied: ${self:custom.size}
          flag: ${self:custom.debug}
          label: size-${self:custom.size}-${self:custom.debug}
          parsed: ${strToBool(${env:DEBUG, 'false'})}
        """,
    )
    assert value(values, "custom.copied") == 512
    assert value(values, "custom.flag") is True
    assert value(values, "custom.label") == "size-512-true"
    assert value(values, "custom.parsed") is False


def test_file_reads_yaml_json_and_text_beside_serverless_yml(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "dev.yml").write_text("table: items-dev\nnested: {limit: 5}\n")
    (tmp_path / "config" / "settings.json").write_text('{"origin": "https://example.com"}')
    (tmp_path / "schema.txt").write_text("plain text\n")
    values, report = resolver(
        tmp_path,
        """
        provider: {stage: dev}
        custom:
          env: ${file(./config/${sls:stage}.yml)}
          limit: ${file(./config/dev.yml):nested.limit}
          origin: ${file(config/settings.json):origin}
          text: ${file(./schema.txt)}
          absent: ${file(./config/prod.yml), 'none'}
        """,
    )
    assert value(values, "custom") == {
        "env": {"table": "items-dev", "nested": {"limit": 5}},
        "limit": 5,
        "origin": "https://example.com",
        "text": "plain text\n",
        "absent": "none",
    }
    assert not report.errors
    assert [path.name for path in values.resolver.files] == ["dev.yml", "settings.json", "schema.txt"]


def test_a_file_value_keeps_its_own_file_and_line_for_messages(tmp_path: Path) -> None:
    (tmp_path / "env.yml").write_text("# settings\nlimits:\n  size: big\n")
    values, report = resolver(tmp_path, "custom: ${file(./env.yml)}\n")
    entries = values.entries(At(values.resolver.root, ""))
    assert entries is not None
    custom = values.entries(entries["custom"])
    assert custom is not None
    limits = values.entries(custom["limits"])
    assert limits is not None
    assert values.integer(limits["size"], 1, 10) is None
    assert shown(tmp_path, report.errors) == [
        "env.yml:3: custom.limits.size: expected an integer from 1 to 10, got 'big'"
    ]


def test_unresolvable_variables_are_errors_at_their_line(tmp_path: Path) -> None:
    values, report = resolver(
        tmp_path,
        """
        custom:
          a: ${env:NOT_SET}
          b: ${self:custom.nothing}
          c: ${file(./missing.yml):x}
          d: ${opt:stage}
          e: x-${self:custom.obj}
          obj: {k: v}
          f: ${file(./handler.js):value}
          g: ${sls:nope}
        """,
    )
    for key in "abcdefg":
        assert value(values, f"custom.{key}") is None
    assert shown(tmp_path, report.errors) == [
        "serverless.yml:3: custom.a: cannot resolve ${env:NOT_SET}: the environment has no variable NOT_SET",
        "serverless.yml:4: custom.b: cannot resolve ${self:custom.nothing}: serverless.yml has no custom.nothing",
        "serverless.yml:5: custom.c: cannot resolve ${file(./missing.yml):x}: there is no file ./missing.yml "
        "(looked for missing.yml)",
        "serverless.yml:6: custom.d: cannot resolve ${opt:stage}: no stage was given on the command line (--stage)",
        "serverless.yml:7: custom.e: ${self:custom.obj} is a mapping, which cannot be part of a text; only a "
        "value that is the variable alone may be a mapping or a list",
        "serverless.yml:9: custom.f: ${file(./handler.js)} names a script, whose exports Serverless would "
        "run it for; apig-emu runs no JavaScript\n"
        "    hint: put the values in a YAML or JSON file, or in the environment (${env:NAME})",
        "serverless.yml:10: custom.g: cannot resolve ${sls:nope}: sls:nope is not one of Serverless's values "
        "(sls:stage, sls:instanceId)",
    ]


def test_values_from_aws_use_their_fallback_with_a_warning_and_are_errors_without(tmp_path: Path) -> None:
    values, report = resolver(
        tmp_path,
        """
        custom:
          key: ${ssm:/shop/key, 'local-key'}
          url: ${cf:other-stack.Url}
        """,
    )
    assert value(values, "custom.key") == "local-key"
    assert value(values, "custom.url") is None
    assert shown(tmp_path, report.warnings) == [
        "serverless.yml:3: custom.key: ${ssm:/shop/key, 'local-key'}: ssm:/shop/key is read from AWS Systems "
        "Manager Parameter Store, which apig-emu does not call; its fallback 'local-key' is used"
    ]
    assert shown(tmp_path, report.errors) == [
        "serverless.yml:4: custom.url: cannot resolve ${cf:other-stack.Url}: cf:other-stack.Url is read from a "
        "CloudFormation stack's outputs, which apig-emu does not call\n"
        "    hint: give it a fallback for local runs, e.g. ${ssm:/path, 'local-value'}, or read it from the "
        "environment with ${env:NAME}"
    ]


def test_variables_that_refer_to_each_other_are_a_loop_not_a_hang(tmp_path: Path) -> None:
    values, report = resolver(
        tmp_path,
        """
        custom:
          a: ${self:custom.b}
          b: ${self:custom.a}
        """,
    )
    assert value(values, "custom.a") is None
    assert shown(tmp_path, report.errors)[0] == (
        "serverless.yml:3: custom.a: the variables refer to each other in a loop: custom.a -> custom.b -> custom.a\n"
        "    hint: a value may name another only if that one, in turn, does not name it back"
    )


def test_params_read_the_stage_section_then_the_default_one(tmp_path: Path) -> None:
    text = """
    params:
      prod: {domain: api.example.com}
      default: {domain: dev.example.com, tier: free}
    custom:
      domain: ${param:domain}
      tier: ${param:tier}
    """
    values, _ = resolver(tmp_path, text, stage="prod")
    assert value(values, "custom") == {"domain": "api.example.com", "tier": "free"}
    values, _ = resolver(tmp_path, text)
    assert value(values, "custom.domain") == "dev.example.com"


def test_cloudformation_functions_are_kept_as_written(tmp_path: Path) -> None:
    values, report = resolver(
        tmp_path,
        """
        custom:
          short: !GetAtt UserPool.Arn
          long: {"Fn::Sub": "arn:${AWS::Partition}:x"}
          ref: !Ref Table
        """,
    )
    root = values.resolver.root
    assert isinstance(root.value, dict)
    custom = root.value["custom"]
    assert isinstance(custom.value, dict)
    short = custom.value["short"].value
    assert isinstance(short, Intrinsic) and short.name == "Fn::GetAtt"
    assert plain(Item(short, "x", 1)) == {"Fn::GetAtt": "UserPool.Arn"}
    assert value(values, "custom.long") == {"Fn::Sub": "arn:${AWS::Partition}:x"}
    assert value(values, "custom.ref") == {"Ref": "Table"}
    assert not report.errors
