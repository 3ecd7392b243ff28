"""Reading serverless.yml, and the YAML or JSON files its ``${file(...)}`` variables name, into items."""

from __future__ import annotations

from pathlib import Path

from emulator.config.documents import parse
from emulator.config.nodes import Reader
from emulator.config.openapi.json_nodes import JsonError, compose_json
from emulator.config.serverless.items import Item, to_item
from emulator.config.serverless.report import Report
from emulator.limited_files import MAX_DEFINITION_BYTES, FileRefused, read_limited
from emulator.model import Location

#: What ``${file(...)}`` cannot read without running code: Serverless would run these.
SCRIPT_SUFFIXES = (".js", ".cjs", ".mjs", ".ts")


def read_items(path: Path, report: Report, *, what: str = "a definition file") -> Item | None:
    """The file's document as items (``Item(None)`` for a file of comments only); ``None`` after an error.

    Each file is a regular file within the definitions' size limit, as every definition file is.
    """
    source = str(path)
    try:
        data = read_limited(path, MAX_DEFINITION_BYTES, what)
    except FileRefused as exc:
        report.error(Location(source), str(exc))
        return None
    if path.suffix.lower() == ".json":
        try:
            root = compose_json(data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            report.error(Location(source), "invalid JSON: the file is not UTF-8 text")
            return None
        except JsonError as error:
            report.error(
                Location(source, line=error.line, column=error.column), f"invalid JSON: {error.message}"
            )
            return None
    else:
        node, problem = parse(data, source)
        if problem is not None:
            report.errors.append(problem)
            return None
        if node is None:
            return Item(None, source, 1)
        root = node
    reader = Reader(source)
    item = to_item(reader, root)
    report.errors.extend(reader.errors)
    return item


def read_text(path: Path, report: Report) -> str | None:
    """A file that is neither YAML nor JSON, which ``${file(...)}`` reads as its text."""
    try:
        return read_limited(path, MAX_DEFINITION_BYTES, "a file read by ${file(...)}").decode(
            "utf-8", "replace"
        )
    except FileRefused as exc:
        report.error(Location(str(path)), str(exc))
        return None
