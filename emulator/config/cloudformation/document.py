"""Reading a CloudFormation or SAM template, YAML or JSON, into plain values and the line of each.

The short forms (``!Ref X``, ``!Sub …``, ``!GetAtt A.B``) are read by cfn-flip's loader, AWS's own
reading of them, into the long forms (``{"Ref": X}``, ``{"Fn::GetAtt": [A, B]}``), so the resolver
(``intrinsics``) sees one form. The text is first composed as the OpenAPI importer composes a
document (libyaml, the standard library's JSON parser, the alias bounds, the syntax errors' hints),
and the values are constructed from those nodes; walking both side by side gives each value's path
its line, which every error about a template names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfn_tools.yaml_loader import CfnYamlLoader
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from emulator.config.errors import ConfigError
from emulator.config.openapi.document import read_document
from emulator.limited_files import MAX_DEFINITION_BYTES, FileRefused, read_limited
from emulator.model import Location

#: A value's place in the template: keys and list indexes from the top.
TemplatePath = tuple[str | int, ...]


def dotted(path: TemplatePath) -> str:
    """``Resources.HelloFunction.Properties.Layers[0]``, as messages name a place in a template."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


@dataclass(frozen=True)
class Lines:
    """The line of every value of one template, by path; a value made by a function takes the function's."""

    file: str
    by_path: Mapping[TemplatePath, int]

    def line(self, path: TemplatePath) -> int | None:
        for end in range(len(path), -1, -1):
            found = self.by_path.get(path[:end])
            if found is not None:
                return found
        return None

    def location(self, path: TemplatePath) -> Location:
        return Location(self.file, dotted(path), self.line(path))


@dataclass(frozen=True)
class TemplateDocument:
    """A template's top-level sections as plain data (long-form intrinsics), and their lines."""

    path: Path
    data: Mapping[str, Any]
    lines: Lines

    def at(self, path: TemplatePath) -> Any:
        """The value written at ``path``, as written; ``None`` where there is none."""
        value: Any = self.data
        for step in path:
            if isinstance(value, dict) and isinstance(step, str):
                value = value.get(step)
            elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
                value = value[step]
            else:
                return None
        return value

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.data.get(name)
        return value if isinstance(value, dict) else {}


class _Constructor(CfnYamlLoader):  # type: ignore[misc]
    """cfn-flip's loader, less YAML 1.1's dates: ``AWSTemplateFormatVersion: 2010-09-09`` stays text."""


_Constructor.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def read_template(path: Path) -> tuple[TemplateDocument | None, list[ConfigError]]:
    """The template at ``path``, or the errors that stop it being read (each with its line)."""
    source = str(path)
    try:
        data = read_limited(path, MAX_DEFINITION_BYTES, "a template")
    except FileRefused as refused:
        return None, [ConfigError(Location(source), str(refused))]
    root, problem = read_document(path, data)
    if problem is not None or root is None:
        return None, [problem or ConfigError(Location(source), "the template is empty")]
    if not isinstance(root, MappingNode):
        return None, [ConfigError(Location(source, line=_line(root)), "a template is a mapping of sections")]
    try:
        value = _Constructor("").construct_document(root)
    except RecursionError:
        return None, [ConfigError(Location(source), "values nest too deeply")]
    except Exception as exc:  # cfn-flip raises bare exceptions for a tag on the wrong kind of value
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return None, [ConfigError(Location(source, line=line), f"cannot read the template: {exc}")]
    lines: dict[TemplatePath, int] = {}
    errors: list[ConfigError] = []
    plain = _walk(root, value, (), lines, errors, source)
    return TemplateDocument(path, plain, Lines(source, lines)), errors


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _walk(
    node: Node,
    value: Any,
    path: TemplatePath,
    lines: dict[TemplatePath, int],
    errors: list[ConfigError],
    file: str,
) -> Any:
    """``value`` as plain dicts, lists and scalars with string keys; the lines of its paths into ``lines``.

    A short form's node holds its argument: the constructed value is ``{LONG_FORM: argument}``, and
    the argument's paths continue under the long form's key.
    """
    lines.setdefault(path, _line(node))
    if node.tag.startswith("!") and isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        return {function: _walk_untagged(node, argument, (*path, function), lines, errors, file)}
    return _walk_untagged(node, value, path, lines, errors, file)


def _walk_untagged(
    node: Node,
    value: Any,
    path: TemplatePath,
    lines: dict[TemplatePath, int],
    errors: list[ConfigError],
    file: str,
) -> Any:
    lines.setdefault(path, _line(node))
    if isinstance(node, MappingNode) and isinstance(value, dict):
        plain: dict[str, Any] = {}
        first: dict[str, int] = {}
        constructed = {str(key): item for key, item in value.items()}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, ScalarNode) else str(key_node)
            if key in first:
                errors.append(
                    ConfigError(
                        Location(file, dotted((*path, key)), _line(key_node)),
                        f"duplicate key '{key}' (first at line {first[key]}); CloudFormation refuses a "
                        "template with duplicate keys",
                    )
                )
                continue
            first[key] = _line(key_node)
            child = (*path, key)
            lines[child] = _line(key_node)
            plain[key] = _walk(value_node, constructed.get(key), child, lines, errors, file)
        return plain
    if isinstance(node, SequenceNode) and isinstance(value, list) and len(value) == len(node.value):
        return [
            _walk(item_node, item, (*path, position), lines, errors, file)
            for position, (item_node, item) in enumerate(zip(node.value, value, strict=True))
        ]
    return value
