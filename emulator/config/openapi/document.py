"""Reading an OpenAPI document, YAML or JSON, into nodes that keep the line of every value.

Both parsers are the fast ones: the standard library's for JSON (``json_nodes``) and libyaml for YAML,
when PyYAML has it. The pure-Python YAML parser that ``emulator.config`` uses for the definitions
takes seconds over an exported API of a few hundred paths; it still words the syntax errors, with
its hints, when libyaml finds one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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
    bytes can name a value no walk of the document would finish. Each collection is measured once (its
    values, characters and levels as if its aliases were written out); an alias to one already measured
    adds its size without walking it again, and counts as repeated.
    """
    if not isinstance(root, (MappingNode, SequenceNode)):
        return None
    sizes: dict[int, tuple[int, int, int]] = {}
    #: The collections being measured: the path from the root to the current one.
    open_ids: set[int] = {id(root)}
    #: [node, its children, next child, values, characters, levels]
    stack: list[list[Any]] = [[root, _children(root), 0, 1, 0, 0]]
    repeated_values = repeated_characters = 0
    while stack:
        frame = stack[-1]
        node, children, index = frame[0], frame[1], frame[2]
        if index < len(children):
            frame[2] = index + 1
            child = children[index]
            if child.__class__ is ScalarNode:
                frame[3] += 1
                frame[4] += len(child.value)
                frame[5] = max(frame[5], 1)
                continue
            measured = sizes.get(id(child))
            if measured is None:
                if id(child) in open_ids:
                    return _limit(
                        source, child, "an alias is inside the value it names: a value cannot contain itself"
                    )
                open_ids.add(id(child))
                stack.append([child, _children(child), 0, 1, 0, 0])
                continue
            values, characters, levels = measured
            repeated_values += values
            repeated_characters += characters
        else:
            stack.pop()
            open_ids.discard(id(node))
            values, characters, levels = frame[3], frame[4], frame[5] + 1
            sizes[id(node)] = (values, characters, levels)
            if levels > MAX_DEPTH:
                return _limit(
                    source,
                    node,
                    f"values nest deeper than {MAX_DEPTH} levels, its aliases counted as if written out",
                )
            if not stack:
                break
        parent = stack[-1]
        parent[3] += values
        parent[4] += characters
        parent[5] = max(parent[5], levels)
        if repeated_values > MAX_REPEATED_VALUES or repeated_characters > MAX_REPEATED_CHARACTERS:
            return _limit(
                source,
                node,  # the collection holding the alias: libyaml keeps no line for an alias itself
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
