"""JSON documents read into nodes with the right line for every key and string, fast parser or not."""

from __future__ import annotations

import json

import pytest
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from emulator.config.openapi.json_nodes import JsonError, compose_json


def lines(node: Node, path: str = "") -> dict[str, tuple[int, str]]:
    """Every key path (and list item) with its node's line (from 1) and tag's kind."""
    found: dict[str, tuple[int, str]] = {}
    if isinstance(node, MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            found[child] = (key.start_mark.line + 1, value.tag.rsplit(":", 1)[1])
            found.update(lines(value, child))
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            child = f"{path}[{index}]"
            found[child] = (item.start_mark.line + 1, item.tag.rsplit(":", 1)[1])
            found.update(lines(item, child))
    return found


DOCUMENT = """{
  "openapi": "3.0.1",
  "info": {"title": "a \\"quoted\\" \\\\ title: with, commas", "version": "1"},
  "paths": {
\t"/pets": {
\t  "get": {"x": [1, 2.5, -3e2, true, false, null],
\t          "tags": ["a", "b"]}
\t}
  },
  "empty": {}, "none": []
}
"""


def test_each_key_and_item_has_its_line_and_the_tag_pyyaml_would_give() -> None:
    found = lines(compose_json(DOCUMENT))
    assert found == {
        "openapi": (2, "str"),
        "info": (3, "map"),
        "info.title": (3, "str"),
        "info.version": (3, "str"),
        "paths": (4, "map"),
        "paths./pets": (5, "map"),
        "paths./pets.get": (6, "map"),
        "paths./pets.get.x": (6, "seq"),
        "paths./pets.get.x[0]": (6, "int"),
        "paths./pets.get.x[1]": (6, "float"),
        "paths./pets.get.x[2]": (6, "float"),
        "paths./pets.get.x[3]": (6, "bool"),
        "paths./pets.get.x[4]": (6, "bool"),
        "paths./pets.get.x[5]": (6, "null"),
        "paths./pets.get.tags": (7, "seq"),
        "paths./pets.get.tags[0]": (7, "str"),
        "paths./pets.get.tags[1]": (7, "str"),
        "empty": (10, "map"),
        "none": (10, "seq"),
    }
    # The same values PyYAML's constructor makes of them.
    assert yaml.SafeLoader("").construct_document(compose_json(DOCUMENT)) == json.loads(DOCUMENT)


def test_duplicate_keys_are_kept_for_the_reader_to_report() -> None:
    root = compose_json('{"a": 1,\n "a": 2}')
    assert isinstance(root, MappingNode)
    assert [(key.value, key.start_mark.line) for key, _ in root.value] == [("a", 0), ("a", 1)]


def test_strings_keep_their_escapes_decoded() -> None:
    root = compose_json('["caf\\u00e9", "tab\\there", "\\ud83d\\ude00"]')
    assert isinstance(root, SequenceNode)
    assert [item.value for item in root.value if isinstance(item, ScalarNode)] == [
        "café",
        "tab\there",
        "\U0001f600",
    ]


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ('{"a": 1,\n "b" 2}', "Expecting ':' delimiter", 2, 6),
        ("[1, 2", "Expecting ',' delimiter", 1, 6),
        ("", "Expecting value", 1, 1),
        ('{"a": 1} x', "Extra data", 1, 10),
        ("[" * 100_000, "nested too deeply", 1, 1),
    ],
)
def test_what_is_not_json_says_where(text: str, message: str, line: int, column: int) -> None:
    with pytest.raises(JsonError) as raised:
        compose_json(text)
    assert (raised.value.message, raised.value.line, raised.value.column) == (message, line, column)


def test_a_document_just_within_the_parsers_depth_is_refused_by_the_walk_not_a_crash() -> None:
    for depth in (900, 980):
        try:
            compose_json("[" * depth + "]" * depth)
        except JsonError as error:
            assert error.message == "nested too deeply"
