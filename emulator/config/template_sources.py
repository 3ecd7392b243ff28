"""Mapping templates and models written inline or kept in a file of their own (``{file: path}``).

A template of forty lines reads better in a ``.vtl`` file than in a YAML block, and a JSON Schema is
often shared with a frontend as a ``.json`` file. Either file is relative to the YAML file that names
it, so a config folder carries its own, and read through ``limited_files`` like every file a definition
names: a FIFO or a device is refused unread, and a file past AWS's own limit is an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode

from emulator.config.bounded_yaml import BoundedLoader, LimitExceeded
from emulator.config.nodes import Field, Reader
from emulator.limited_files import MAX_DEFINITION_BYTES, FileRefused, read_limited
from emulator.model import Location

#: API Gateway's quota on a mapping template ("Mapping template size", 300 KB, not adjustable).
MAX_TEMPLATE_BYTES = 300 * 1024
FILE_KEY = "file"


@dataclass(frozen=True)
class Template:
    """A template's text and where it starts: the YAML value, or line 1 of its file."""

    text: str
    location: Location


def read_template(reader: Reader, field: Field) -> Template | None:
    """A template: text (``null`` is AWS's empty template), or ``{file: path}``; ``None`` after an error."""
    node = field.node
    if isinstance(node, MappingNode) and not is_file_reference(node):
        reader.error(
            field,
            "a template is text, or {file: path}; this is a YAML mapping",
            "braces make a YAML mapping: quote a JSON template, '{\"statusCode\": 200}', or use a block (|)",
        )
        return None
    if isinstance(node, MappingNode):
        path = file_path(reader, field, "a template")
        if path is None:
            return None
        data = read_named_file(reader, field, path, MAX_TEMPLATE_BYTES, "a template file")
        if data is None:
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            reader.error(
                field, f"{path}: a template file must be UTF-8 text ({exc.reason} at byte {exc.start})"
            )
            return None
        return Template(text, Location(str(path), "", 1))
    if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return Template("", reader.location(field))
    if not isinstance(node, ScalarNode):
        reader.expected(field, "the template's text or {file: path}")
        return None
    written = reader.string(field)
    return None if written is None else Template(written, _text_location(reader, field))


def read_schema(reader: Reader, field: Field) -> dict[str, object] | None:
    """A model's JSON Schema: a mapping written in the YAML, or ``{file: path}`` to a JSON or YAML file."""
    node = field.node
    if not isinstance(node, MappingNode):
        reader.expected(field, "a JSON Schema (a mapping) or {file: path}")
        return None
    if is_file_reference(node):
        path = file_path(reader, field, "a model")
        if path is None:
            return None
        data = read_named_file(reader, field, path, MAX_DEFINITION_BYTES, "a model file")
        return None if data is None else _parsed_schema(reader, field, path, data)
    try:
        schema = SafeConstructor().construct_document(node)
    except (ConstructorError, ValueError) as exc:
        reader.error(field, f"invalid schema: {exc}")
        return None
    return _json_schema(reader, field, schema, "")


def is_file_reference(node: MappingNode) -> bool:
    """``{file: path}`` and nothing else: a schema's keywords never include ``file``."""
    return (
        len(node.value) == 1
        and isinstance(node.value[0][0], ScalarNode)
        and node.value[0][0].value == FILE_KEY
    )


def file_path(reader: Reader, field: Field, what: str) -> Path | None:
    keys = reader.mapping(field, required=(FILE_KEY,))
    if keys is None or FILE_KEY not in keys:
        return None
    name = reader.string(keys[FILE_KEY])
    if name is None:
        return None
    if not name.strip():
        reader.error(keys[FILE_KEY], f"expected the path of {what} file, got an empty string")
        return None
    return (Path(reader.file).parent / name).resolve()


def read_named_file(reader: Reader, field: Field, path: Path, limit: int, what: str) -> bytes | None:
    reader.named_files.append(path)
    if not path.exists():
        reader.error(field, f"no such file: {path}")
        return None
    try:
        return read_limited(path, limit, what)
    except FileRefused as exc:
        reader.error(field, f"{path}: {exc}")
        return None


def _parsed_schema(reader: Reader, field: Field, path: Path, data: bytes) -> dict[str, object] | None:
    """A ``.json`` file as JSON (its errors with line and column), anything else as YAML, which reads JSON too."""
    if path.suffix.lower() == ".json":
        try:
            schema = json.loads(data)
        except UnicodeDecodeError as exc:
            reader.error(field, f"{path}: a model file must be UTF-8 text ({exc.reason})")
            return None
        except json.JSONDecodeError as exc:
            reader.error(field, f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}")
            return None
    else:
        try:
            schema = yaml.load(data, Loader=BoundedLoader)
        except LimitExceeded as exc:
            reader.error(field, f"{path}:{exc.line}:{exc.column}: {exc.problem}")
            return None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
            reader.error(field, f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}")
            return None
    return _json_schema(reader, field, schema, f"{path}: ")


def _json_schema(reader: Reader, field: Field, schema: object, prefix: str) -> dict[str, object] | None:
    if not isinstance(schema, dict):
        reader.error(field, f"{prefix}a model's schema must be a mapping (a JSON object)")
        return None
    try:
        json.dumps(schema, allow_nan=False)
    except (TypeError, ValueError) as exc:
        reader.error(field, f"{prefix}a model's schema must be plain JSON data: {exc}")
        return None
    return schema


def _text_location(reader: Reader, field: Field) -> Location:
    """Where the template's first line is: a block scalar (``|``) starts on the line after its key."""
    node = field.node
    line = int(node.start_mark.line) + 1
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        line += 1
    return Location(reader.file, field.path, line)
