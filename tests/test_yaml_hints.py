"""YAML mistakes newcomers make: each gets file, line and column, and a hint only where it is recognisable."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.config import ConfigErrors, load_definitions
from emulator.testing import definitions_from_yaml

#: (what the file says, the error after ``file:``), one per recognisable mistake.
SYNTAX = {
    "a path with braces in a flow mapping": (
        "functions:\n  f:\n    handler: a.b\n    triggers: [{api: shop, resource: /users/{id}, method: GET}]\n",
        "4:45: invalid YAML: expected ',' or '}', but got '{' (while parsing a flow mapping from line 4, "
        "column 16)\n    hint: inside { } or [ ], an unquoted value cannot contain braces: YAML reads '{' "
        'as the start of a mapping; quote paths with braces, as in resource: "/users/{id}"',
    ),
    "a greedy path in a flow mapping, inside a list item": (
        "triggers:\n  - {api: shop, resource: /files/{proxy+}/x, method: ANY}\n",
        "2:34: invalid YAML: expected ',' or '}', but got '{' (while parsing a flow mapping from line 2, "
        "column 5)\n    hint: inside { } or [ ], an unquoted value cannot contain braces: YAML reads '{' "
        'as the start of a mapping; quote paths with braces, as in resource: "/files/{proxy+}/x"',
    ),
    "a path with braces in a flow list": (
        "paths: [/a/{id}, /b]\n",
        "1:12: invalid YAML: expected ',' or ']', but got '{' (while parsing a flow sequence from line 1, "
        "column 8)\n    hint: inside { } or [ ], an unquoted value cannot contain braces: YAML reads '{' "
        'as the start of a mapping; quote paths with braces, as in "/a/{id}"',
    ),
    "a tab for indentation": (
        "apis:\n\tshop: {}\n",
        "2:1: invalid YAML: found character '\\t' that cannot start any token (while scanning for the next "
        "token)\n    hint: YAML allows no tab here: indent with spaces (and quote a value that holds a tab)",
    ),
    "an unquoted star": (
        "functions:\n  f:\n    handler: a.b\n    triggers:\n      - {api: shop, resource: /a, method: GET, "
        "cors: {allow_origin: *}}\n",
        "5:70: invalid YAML: expected alphabetic or numeric character, but found '}' (while scanning an "
        "alias from line 5, column 69)\n    hint: a value that starts with '*' is an alias to YAML; for the "
        'text, quote it, as in allow_origin: "*"',
    ),
    "a star that names an alias": (
        "x:\n  allow_methods: *get\n",
        "2:18: invalid YAML: found undefined alias 'get'\n    hint: a value that starts with '*' is an alias "
        "to YAML, and no anchor '&get' is defined; for the text, quote it, as in allow_methods: \"*get\"",
    ),
    "an unquoted ampersand": (
        "x: &\n",
        "1:5: invalid YAML: expected alphabetic or numeric character, but found '\\n' (while scanning an "
        "anchor from line 1, column 4)\n    hint: a value that starts with '&' is an anchor to YAML; for the "
        'text, quote it, as in x: "&"',
    ),
    "an unquoted at sign": (
        "mocks:\n  m:\n    body: @orders.json\n",
        "3:11: invalid YAML: found character '@' that cannot start any token (while scanning for the next "
        "token)\n    hint: YAML does not let an unquoted value start with '@': quote it, as in "
        'body: "@orders.json"',
    ),
    "no space after a colon": (
        "functions:\n  f:\n    handler:a.b\n    timeout: 3\n",
        "4:12: invalid YAML: mapping values are not allowed here\n    hint: line 3 ('handler:a.b') has no "
        "space after its colon, so YAML reads it as text, not a key; write 'handler: a.b'",
    ),
    "no colon at all": (
        "apis:\n  shop\n  admin: {}\n",
        "3:8: invalid YAML: mapping values are not allowed here\n    hint: line 2 ('shop') has no colon, so "
        "YAML reads it and this line as one text; if it is a key, add the colon: 'shop:'",
    ),
    "a second colon in a value": (
        "mocks:\n  m:\n    body: note: it works  # a comment\n",
        "3:15: invalid YAML: mapping values are not allowed here\n    hint: a value with a colon and a space "
        '(or a colon at its end) in it must be quoted, as in body: "note: it works"',
    ),
    "a key indented under a key that has a value": (
        "functions:\n  f:\n    handler: a.b\n      timeout: 3\n",
        "4:14: invalid YAML: mapping values are not allowed here\n    hint: this line is indented deeper "
        "than line 3, whose key already has a value; keys of one mapping line up",
    ),
    "a list item among keys": (
        "functions:\n  f:\n    handler: a.b\n  - api: shop\n",
        "4:3: invalid YAML: expected <block end>, but found '-' (while parsing a block mapping from line 2, "
        "column 3)\n    hint: a list item ('- ') stands among the keys of a mapping; a list is the value of "
        "one key, written on the lines after it (e.g. 'triggers:' with nothing after its colon)",
    ),
    "a key that lines up with nothing": (
        "triggers:\n  - api: shop\n   resource: /a\n",
        "3:4: invalid YAML: expected <block end>, but found '<block mapping start>' (while parsing a block "
        "collection from line 2, column 3)\n    hint: line 3 is indented 3 spaces, which lines up with no "
        "line above it; indent it like the keys (or list items) it belongs with",
    ),
    "text after a closing quote": (
        'mocks:\n  m:\n    body: "Hello" world\n',
        "3:19: invalid YAML: expected <block end>, but found '<scalar>' (while parsing a block mapping from "
        "line 3, column 5)\n    hint: a value that starts with a quote ends where it closes; to keep all "
        "of it, quote the whole value, as in body: '\"Hello\" world'",
    ),
    "a block value that starts with a brace": (
        "triggers:\n  - resource: {id}/orders\n",
        "2:19: invalid YAML: expected <block end>, but found '<scalar>' (while parsing a block mapping from "
        "line 2, column 5)\n    hint: a value that starts with '{' ends where it closes; to keep all of it, "
        'quote the whole value, as in resource: "{id}/orders"',
    ),
    "a brace never closed": (
        "apis:\n  shop: {\nfunctions: {}\n",
        "4:1: invalid YAML: expected ',' or '}', but got '<stream end>' (while parsing a flow mapping from "
        "line 2, column 9)\n    hint: the '{' at line 2, column 9 is never closed",
    ),
    "a word that is neither a key nor a list item": (
        "functions:\n  - f\n  g  # a comment\n",
        "4:1: invalid YAML: could not find expected ':' (while scanning a simple key from line 3, column 3)"
        "\n    hint: line 3 ('g') is neither a key (it has no colon) nor a list item (it has no '- '); add the "
        "one it should be",
    ),
    "a quote never closed": (
        'mocks:\n  m:\n    body: "abc\n',
        "4:1: invalid YAML: found unexpected end of stream (while scanning a quoted scalar from line 3, "
        "column 11)\n    hint: the '\"' at line 3, column 11 is never closed",
    ),
}


@pytest.mark.parametrize(("text", "expected"), SYNTAX.values(), ids=SYNTAX.keys())
def test_syntax_errors_have_line_column_and_a_hint(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "apig.yaml"
    path.write_text(text)
    with pytest.raises(ConfigErrors) as info:
        load_definitions(path)
    assert str(info.value) == f"1 error in the API definitions:\n{path}:{expected}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A list, then a mapping's key: which of the two was meant is anyone's guess.
        ("- a\nb: c\n", "2:1: invalid YAML: expected <block end>, but found '?' "),
        ("a: [b, {c: d]\n", "1:13: invalid YAML: expected ',' or '}', but got ']' "),
    ],
)
def test_other_syntax_errors_have_line_and_column_and_no_guess(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "apig.yaml"
    path.write_text(text)
    with pytest.raises(ConfigErrors) as info:
        load_definitions(path)
    (error,) = info.value.errors
    assert str(error).startswith(f"{path}:{expected}")
    assert error.notes == ()


def test_bytes_that_are_not_text(tmp_path: Path) -> None:
    path = tmp_path / "apig.yaml"
    path.write_bytes(b"apis:\n  shop: {}\n  caf\xe9: {}\n")
    with pytest.raises(ConfigErrors) as info:
        load_definitions(path)
    assert str(info.value.errors[0]) == (
        f"{path}:3: invalid YAML: byte 0xe9 is not UTF-8 text (invalid continuation byte); "
        "save the file as UTF-8"
    )
    path.write_text("apis:\n  shop: {}\n  b\x07d: {}\n")
    with pytest.raises(ConfigErrors) as info:
        load_definitions(path)
    assert str(info.value.errors[0]) == (
        f"{path}:3:4: invalid YAML: the character #x0007 is not allowed "
        "(YAML files hold printable characters, tabs and line breaks only)"
    )


def test_a_snippet_in_a_test_gets_the_same_hint() -> None:
    with pytest.raises(ConfigErrors) as info:
        definitions_from_yaml(
            "triggers: [{api: shop, resource: /users/{id}, method: GET}]\n", source="snippet"
        )
    assert str(info.value.errors[0]).splitlines() == [
        "snippet:1:41: invalid YAML: expected ',' or '}', but got '{' (while parsing a flow mapping from "
        "line 1, column 12)",
        "    hint: inside { } or [ ], an unquoted value cannot contain braces: YAML reads '{' as the start of "
        'a mapping; quote paths with braces, as in resource: "/users/{id}"',
    ]


# Mistakes YAML accepts, found by the value's shape


def _errors(text: str) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        definitions_from_yaml(text, code_dir="/nowhere", source="apig.yaml")
    return [str(error) for error in info.value.errors]


def test_braces_in_a_block_value_make_a_mapping() -> None:
    assert _errors(
        "apis: {shop: {}}\nfunctions:\n  f:\n    handler: a.b\n"
        "    triggers: [{api: shop, resource: {id}, method: GET}]\n"
    ) == [
        "apig.yaml:5: functions.f.triggers[0].resource: expected a string, got a "
        'mapping\n    hint: braces make a YAML mapping; quote a value that holds them: "{id}"'
    ]


def test_a_key_without_a_space_after_its_colon() -> None:
    assert _errors(
        "apis:\n  shop:{}\nfunctions:\n  f:\n    handler: a.b\n    triggers:\n      - {api:shop, resource: /a, "
        "method: GET}\n      - api:shop\n"
    ) == [
        "apig.yaml:1: apis: expected a mapping, got 'shop:{}'\n"
        "    hint: a key needs a space after its colon: 'shop: {}'",
        "apig.yaml:7: functions.f.triggers[0].api:shop: unknown key 'api:shop'; expected one of api, "
        "api_key_required, authorizer, cors, integration, method, proxy, request_models, request_parameters, "
        "request_validator, resource, stage, timeout_ms\n    hint: a key needs a space after its colon: 'api: shop'",
        "apig.yaml:8: functions.f.triggers[1]: expected a mapping, got 'api:shop'\n"
        "    hint: a key needs a space after its colon: 'api: shop'",
    ]


def test_a_quoted_number_or_boolean_is_a_string() -> None:
    assert _errors(
        "apis: {shop: {}}\nfunctions:\n  f:\n    handler: a.b\n    timeout: '2.5'\n    memory: \"256\"\n"
        "    triggers: [{api: shop, resource: /a, method: GET, proxy: 'true', cors: 'false'}]\n"
    ) == [
        "apig.yaml:5: functions.f.timeout: expected a number from 1 to 900, got '2.5'\n"
        "    hint: in quotes it is a string; write it without them: 2.5",
        "apig.yaml:6: functions.f.memory: expected an integer from 128 to 10240, got '256'\n"
        "    hint: in quotes it is a string; write it without them: 256",
        "apig.yaml:7: functions.f.triggers[0].proxy: expected true or false, got 'true'\n"
        "    hint: in quotes it is a string; write it without them: true",
        "apig.yaml:7: functions.f.triggers[0].cors: expected true, false or a mapping, got 'false'\n"
        "    hint: in quotes it is a string; write it without them: false",
    ]


def test_no_hint_where_the_shape_says_nothing() -> None:
    assert _errors(
        "apis: {shop: {}}\nfunctions:\n  f:\n    handler: a.b\n    timeout: '3 s'\n    memory: http://x\n"
    ) == [
        "apig.yaml:5: functions.f.timeout: expected a number from 1 to 900, got '3 s'",
        "apig.yaml:6: functions.f.memory: expected an integer from 128 to 10240, got 'http://x'",
    ]
