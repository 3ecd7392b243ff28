"""serverless.yml as data that keeps, for every value, the file and line it was written on.

Serverless reads its file as plain data and resolves ``${...}`` variables over it before reading any
setting; a value may come from another file (``${file(...)}``) or from elsewhere in the same one
(``${self:...}``). So the emulator reads the YAML nodes once into ``Item``s, each with its own file
and line, and every later step (variables, settings, events) reports a problem where it is written.

CloudFormation's functions are data to Serverless too: ``!Ref X`` or ``{Ref: X}`` is passed to
CloudFormation untouched. They are kept as ``Intrinsic`` here, so that a value the emulator would need
but cannot resolve locally is named in its message, and one it never reads costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from emulator.config.nodes import Field, Reader

Scalar = str | int | float | bool | None
_STANDARD_TAG = "tag:yaml.org,2002:"
#: YAML's short form of CloudFormation's functions, as ``!GetAtt`` -> ``Fn::GetAtt``.
_SHORT_NAMES = {"Ref": "Ref", "Condition": "Condition"}


@dataclass(frozen=True)
class Intrinsic:
    """A CloudFormation function (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``…) as written; resolved by CloudFormation."""

    name: str
    argument: Item

    def __str__(self) -> str:
        return f"{{{self.name}: {plain(self.argument)!r}}}"


@dataclass(frozen=True, eq=False)
class Item:
    """One value of the configuration and where it was written (for a mapping's value, its key's line)."""

    value: Scalar | dict[str, Item] | list[Item] | Intrinsic
    file: str
    line: int


def plain(item: Item) -> object:
    """The item as plain data (mappings, lists, scalars), for messages and for JSON schemas."""
    value = item.value
    if isinstance(value, dict):
        return {key: plain(child) for key, child in value.items()}
    if isinstance(value, list):
        return [plain(child) for child in value]
    if isinstance(value, Intrinsic):
        return {value.name: plain(value.argument)}
    return value


def intrinsic(item: Item) -> Intrinsic | None:
    """The CloudFormation function an item is, in the short form (``!Ref X``) or the long one (``{Ref: X}``)."""
    value = item.value
    if isinstance(value, Intrinsic):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Ref" or name == "Condition" or name.startswith("Fn::"):
            return Intrinsic(name, argument)
    return None


def to_item(reader: Reader, node: Node, path: str = "") -> Item:
    """The node and everything under it as items; problems (duplicate keys, bad values) go to ``reader``.

    The YAML was composed within ``bounded_yaml``'s limits, so this walk is bounded in depth and size.
    """
    line = int(node.start_mark.line) + 1
    return _item(reader, Field(node, path, line))


def _item(reader: Reader, field: Field) -> Item:
    node = field.node
    tag = str(node.tag)
    if tag.startswith("!"):
        name = tag[1:]
        inner = _untagged(node)
        return Item(
            Intrinsic(
                _SHORT_NAMES.get(name, f"Fn::{name}"), _item(reader, Field(inner, field.path, field.line))
            ),
            reader.file,
            field.line,
        )
    if isinstance(node, MappingNode):
        entries = reader.entries(field) or {}
        return Item({key: _item(reader, child) for key, child in entries.items()}, reader.file, field.line)
    if isinstance(node, SequenceNode):
        return Item([_item(reader, child) for child in reader.sequence(field) or []], reader.file, field.line)
    return Item(_scalar(reader, field), reader.file, field.line)


def _untagged(node: Node) -> Node:
    """The node under a CloudFormation tag, as the plain value the tag applies to."""
    if isinstance(node, ScalarNode):
        return ScalarNode(_STANDARD_TAG + "str", node.value, node.start_mark, node.end_mark, node.style)
    if isinstance(node, SequenceNode):
        return SequenceNode(_STANDARD_TAG + "seq", node.value, node.start_mark, node.end_mark)
    return MappingNode(_STANDARD_TAG + "map", node.value, node.start_mark, node.end_mark)


_constructor = SafeConstructor()


def _scalar(reader: Reader, field: Field) -> Scalar:
    node = field.node
    assert isinstance(node, ScalarNode)
    if node.tag == _STANDARD_TAG + "timestamp":
        return str(node.value)  # ``date: 2024-01-01`` stays the text Serverless would pass on
    try:
        value = _constructor.construct_object(node)
    except (ConstructorError, ValueError) as exc:
        reader.error(field, f"invalid value {node.value!r}: {exc}")
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, date):
        return str(node.value)
    reader.error(
        field, f"unsupported value {node.value!r} ({node.tag}); expected text, a number or a boolean"
    )
    return None


def lookup(value: Mapping[str, Item] | list[Item], key: str) -> Item | None:
    """A mapping's key, or a list's index written as digits (``${self:custom.list.0}``)."""
    if isinstance(value, list):
        return value[int(key)] if key.isdigit() and int(key) < len(value) else None
    return value.get(key)
