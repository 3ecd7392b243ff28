"""Resolved template values as YAML nodes, each with its line, for the readers that read nodes.

The OpenAPI importer reads nodes (``DocumentReader``): an inline ``DefinitionBody`` or ``Body``
reaches it as nodes made here, and so do the properties the SAM and CloudFormation readers read,
so that one reader words every error. A value a function made has the function's line.
"""

from __future__ import annotations

from typing import Any

from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from emulator.config.cloudformation.document import Lines, TemplatePath

_TAG = "tag:yaml.org,2002:"


def as_node(value: Any, path: TemplatePath, lines: Lines) -> Node:
    mark = Mark(lines.file, 0, (lines.line(path) or 1) - 1, 0, None, 0)
    if isinstance(value, dict):
        pairs: list[tuple[Node, Node]] = []
        for key, item in value.items():
            child = (*path, key)
            key_mark = Mark(lines.file, 0, (lines.line(child) or 1) - 1, 0, None, 0)
            pairs.append(
                (ScalarNode(_TAG + "str", str(key), key_mark, key_mark), as_node(item, child, lines))
            )
        return MappingNode(_TAG + "map", pairs, mark, mark)
    if isinstance(value, list):
        items = [as_node(item, (*path, index), lines) for index, item in enumerate(value)]
        return SequenceNode(_TAG + "seq", items, mark, mark)
    if value is None:
        return ScalarNode(_TAG + "null", "null", mark, mark)
    if isinstance(value, bool):
        return ScalarNode(_TAG + "bool", "true" if value else "false", mark, mark)
    if isinstance(value, int):
        return ScalarNode(_TAG + "int", str(value), mark, mark)
    if isinstance(value, float):
        return ScalarNode(_TAG + "float", repr(value), mark, mark)
    return ScalarNode(_TAG + "str", str(value), mark, mark, style='"')
