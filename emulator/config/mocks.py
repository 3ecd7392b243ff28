"""Reading a mock's answer (``status``, ``headers``, ``body`` or ``body_file``, ``latency_ms``).

The same keys describe a ``mocks:`` entry in the definitions and the JSON (or file) given to
``serve --mock FUNCTION=...``, so both are read here, with the definitions' error reporting. Either
becomes AWS's MOCK integration (``builder.mock_method``).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import ScalarNode

from emulator.config import rules
from emulator.config.bounded_yaml import BoundedLoader, LimitExceeded, limit_error
from emulator.config.builder import MockAnswer
from emulator.config.errors import ConfigError, ConfigErrors
from emulator.config.nodes import Field, Reader, root_field
from emulator.limited_files import (
    MAX_BODY_FILE_BYTES,
    MAX_DEFINITION_BYTES,
    FileRefused,
    check_limited,
    read_limited,
)
from emulator.model import Location

MOCK_RESPONSE_KEYS = ("status", "headers", "body", "body_file", "latency_ms")
#: Long enough to pass any integration timeout (29 s), so a mock can show a page's 504.
MAX_LATENCY_MS = 60_000


def read_mock_response(
    reader: Reader, name: str, keys: dict[str, Field], base_dir: Path
) -> MockAnswer | None:
    """The mock's answer from its keys, or ``None`` after reporting what is wrong."""
    ok = True
    status = 200
    if "status" in keys:
        value = reader.integer(keys["status"], 100, 599)
        ok = value is not None
        status = value or status
    headers: list[tuple[str, str]] = []
    for header, field in (reader.entries(keys["headers"]) or {}).items() if "headers" in keys else []:
        value_text = reader.text(field)
        problem = rules.header_name_problem(header)
        if problem:
            reader.error(field, problem)
        if value_text is None or problem:
            ok = False
            continue
        headers.append((header, value_text))
    body = ""
    body_file: Path | None = None
    if "body" in keys and "body_file" in keys:
        reader.error(keys["body_file"], "give either 'body' or 'body_file', not both")
        ok = False
    elif "body" in keys:
        data = _body(reader, keys["body"])
        ok = ok and data is not None
        body = data or ""
    elif "body_file" in keys:
        path_text = reader.string(keys["body_file"])
        if path_text is not None:
            body_file = (base_dir / path_text).resolve()
            if not body_file.exists():
                reader.error(keys["body_file"], f"no such file: {body_file}")
                ok = False
            else:
                try:
                    check_limited(body_file, MAX_BODY_FILE_BYTES, "a body_file")
                except FileRefused as exc:
                    reader.error(keys["body_file"], f"{body_file}: {exc}")
                    ok = False
        else:
            ok = False
    latency = reader.integer(keys["latency_ms"], 0, MAX_LATENCY_MS) if "latency_ms" in keys else 0
    if latency is None or not ok:
        return None
    return MockAnswer(name, status, tuple(headers), body, body_file, latency)


def _body(reader: Reader, field: Field) -> str | None:
    """A string is the body as written; a mapping or list is serialised as JSON, which is what was meant."""
    node = field.node
    if isinstance(node, ScalarNode):
        return reader.text(field)
    try:
        data = SafeConstructor().construct_document(node)
    except (ConstructorError, ValueError) as exc:
        reader.error(field, f"invalid body: {exc}")
        return None
    return json.dumps(data, default=str)


def parse_mock_option(option: str, *, cwd: Path) -> tuple[str, MockAnswer]:
    """``FUNCTION=FILE_OR_JSON`` from the command line: inline JSON (``{...}``), or a JSON/YAML file's path.

    Raises ``ConfigErrors`` naming the option or the file and line, like the definitions' own errors.
    """
    name, sep, value = option.partition("=")
    name = name.strip()
    origin = Location(f"--mock {option}")
    if not sep or not name or not value.strip():
        raise ConfigErrors(
            [ConfigError(origin, "expected FUNCTION=FILE_OR_JSON, e.g. items=mocks/items.json")]
        )
    text = value.strip()
    source: str | bytes
    if text.startswith("{"):
        source, base_dir, label = text, cwd, f"--mock {name}"
    else:
        path = (cwd / text).resolve()
        try:
            source = read_limited(path, MAX_DEFINITION_BYTES, "a mock file")
        except FileRefused as exc:
            raise ConfigErrors([ConfigError(origin, f"cannot read {path}: {exc}")]) from None
        base_dir, label = path.parent, str(path)
    try:
        node = yaml.compose(source, Loader=BoundedLoader)
    except LimitExceeded as exc:
        raise ConfigErrors([limit_error(exc, label)]) from None
    except yaml.YAMLError as exc:
        raise ConfigErrors([ConfigError(Location(label), f"invalid JSON or YAML: {exc}")]) from None
    reader = Reader(label)
    response = None
    if node is None:
        reader.error(Field(ScalarNode("tag:yaml.org,2002:null", ""), "", 1), "empty mock")
    else:
        keys = reader.mapping(root_field(node), optional=MOCK_RESPONSE_KEYS)
        if keys is not None:
            response = read_mock_response(reader, name, keys, base_dir)
    if reader.errors or response is None:
        raise ConfigErrors(reader.errors)
    return name, response
