"""Reading an OpenAPI document, YAML or JSON, into nodes that keep the line of every value.

Both parsers are the fast ones: the standard library's for JSON (``json_nodes``) and libyaml for YAML,
when PyYAML has it. The pure-Python YAML parser that ``emulator.config`` uses for the definitions
takes seconds over an exported API of a few hundred paths; it still words the syntax errors, with
its hints, when libyaml finds one.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.nodes import Node

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
            return yaml.compose(data, Loader=yaml.CSafeLoader), None
        except yaml.YAMLError:
            pass  # the pure-Python parser says where and why, with hints for the usual slips
    return compose(data, source)
