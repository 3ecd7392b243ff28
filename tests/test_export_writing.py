"""``export.writing``: the documents as YAML (or JSON) that any reader takes back unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from emulator.export.writing import dump, wants_json

TRICKY = [
    "'*'",
    "200",
    "yes",
    "on",
    "~",
    "null",
    "",
    "${stageVariables.fn}",
    '#[[{"price": "$5"}]]#',
    "line one\nline two\n",
    "trailing spaces   \nand a tab\t\n",
    "  leading spaces\n",
    "no final newline\nsecond",
    "unicode: caf\u00e9 \u2603",
    "key: value",
    "- a list item",
]


@pytest.mark.parametrize("text", TRICKY)
def test_strings_come_back_as_they_were(text: str) -> None:
    document = {"value": text, "list": [text], text or "empty": 1}
    assert yaml.safe_load(dump(document)) == document
    assert json.loads(dump(document, as_json=True)) == document


def test_a_template_of_several_lines_reads_as_written() -> None:
    template = '{\n  "id": "$input.params(\'id\')"\n}\n'
    assert dump({"t": template}) == 't: |\n  {\n    "id": "$input.params(\'id\')"\n  }\n'


def test_a_mapping_used_twice_is_written_twice_not_as_an_alias() -> None:
    shared = {"type": "string"}
    text = dump({"a": shared, "b": shared})
    assert "&" not in text and "*" not in text
    assert yaml.safe_load(text) == {"a": shared, "b": shared}


def test_keys_keep_their_order() -> None:
    assert dump({"openapi": "3.0.1", "info": {}, "paths": {}}).splitlines()[0] == "openapi: 3.0.1"


@pytest.mark.parametrize(
    ("output", "expected"),
    [(None, False), (Path("api.yaml"), False), (Path("api.JSON"), True), (Path("out/api.json"), True)],
)
def test_json_is_for_json_files(output: Path | None, expected: bool) -> None:
    assert wants_json(output) is expected
