"""Reading an OpenAPI document, YAML or JSON, into nodes that keep the line of every value.

Both parsers are the fast ones: the standard library's for JSON (``json_nodes``) and libyaml for YAML,
when PyYAML has it. The pure-Python YAML parser that ``emulator.config`` uses for the definitions
takes seconds over an exported API of a few hundred paths; it still words the syntax errors, with
its hints, when libyaml finds one.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from emulator.config.bounded_yaml import MAX_DEPTH, MAX_REPEATED_CHARACTERS, MAX_REPEATED_VALUES
from emulator.config.errors import ConfigError
from emulator.config.openapi.json_nodes import JsonError, compose_json
from emulator.config.yaml_syntax import compose
from emulator.model import Location

#: API Gateway refuses larger definitions (ImportRestApi's body limit).
MAX_BYTES = 6 * 1024 * 1024


def read_bytes(path: Path, binding: Location) -> tuple[bytes | None, ConfigError | None]:
    """The document's bytes, or why it cannot be read (at ``binding``, the key that names it)."""
    try:
        return path.read_bytes(), None
    except OSError as exc:
        return None, ConfigError(binding, f"cannot read the OpenAPI document {path}: {exc.strerror or exc}")


def read_document(path: Path, data: bytes) -> tuple[Node | None, ConfigError | None]:
    """The document's root node, or the error that stops it being read."""
    if len(data) > MAX_BYTES:
        return None, ConfigError(
            Location(str(path)),
            f"the document is {len(data):,} bytes; API Gateway imports definitions of up to 6 MB",
        )
    is_json = path.suffix.lower() == ".json"
    if is_json or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            return None, ConfigError(
                Location(str(path), line=line), "invalid JSON: the file is not UTF-8 text"
            )
        try:
            return compose_json(text), None
        except JsonError as error:
            if is_json:
                where = Location(str(path), line=error.line, column=error.column)
                return None, ConfigError(where, f"invalid JSON: {error.message}")
            # Not JSON after all, but YAML's flow style may still read it.
    root, problem = _compose_yaml(data, str(path))
    if problem is None and root is None:
        problem = ConfigError(Location(str(path)), "the document is empty")
    return root, problem


def _compose_yaml(data: bytes, source: str) -> tuple[Node | None, ConfigError | None]:
    if getattr(yaml, "__with_libyaml__", False):
        try:
            root = yaml.compose(data, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            pass  # the pure-Python parser says where and why, with hints for the usual slips
        else:
            problem = _repeats_too_much(root, source) if _ANCHOR.search(data) else None
            return (root, None) if problem is None else (None, problem)
    return compose(data, source)


#: An anchor (``&name``) where YAML reads one: without any, no value can be repeated by an alias.
_ANCHOR = re.compile(rb"(?:^|[\s\[{,:-])&[^\s,\[\]{}]")


def _repeats_too_much(root: Node | None, source: str) -> ConfigError | None:
    """The limits the definitions' YAML is composed within (``bounded_yaml``), checked after libyaml.

    libyaml composes an alias as the node its anchor holds, even one inside itself, so a few hundred
    bytes can name a value no walk of the document would finish. Each node is measured once, as if
    its aliases were written out.
    """
    sizes: dict[int, tuple[int, int, int]] = {}
    pending: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)] if root is not None else []
    written = written_characters = 0
    while stack:
        node, measured_children = stack.pop()
        key = id(node)
        if key in sizes and not measured_children:
            continue
        children = _children(node)
        if not measured_children:
            if key in pending:
                return _limit(
                    source, node, "an alias is inside the value it names: a value cannot contain itself"
                )
            pending.add(key)
            written += 1
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        scalar = len(node.value) if isinstance(node, ScalarNode) else 0
        values, characters, levels = 1, scalar, 0
        for child in children:
            child_values, child_characters, child_levels = sizes[id(child)]
            values += child_values
            characters += child_characters
            levels = max(levels, child_levels)
        sizes[key] = (values, characters, levels + 1)
        written_characters += scalar
        pending.discard(key)
        if levels + 1 > MAX_DEPTH:
            return _limit(
                source,
                node,
                f"values nest deeper than {MAX_DEPTH} levels, its aliases counted as if written out",
            )
        if (
            values - written > MAX_REPEATED_VALUES
            or characters - written_characters > MAX_REPEATED_CHARACTERS
        ):
            return _limit(
                source,
                node,
                f"aliases repeat too much: a document's aliases may repeat at most {MAX_REPEATED_VALUES:,} "
                f"values and {MAX_REPEATED_CHARACTERS:,} characters of text",
            )
    return None


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def _limit(source: str, node: Node, problem: str) -> ConfigError:
    return ConfigError(Location(source, line=int(node.start_mark.line) + 1), problem)
