"""Finding the definition files and parsing them into YAML nodes, which keep the line of every value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import Node

from emulator.config.errors import ConfigError
from emulator.config.yaml_syntax import compose
from emulator.limited_files import MAX_DEFINITION_BYTES, FileRefused, read_limited, size_text
from emulator.model import Location

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Document:
    """One definition file; ``root`` is ``None`` for a file holding no YAML document (only comments)."""

    file: Path
    root: Node | None


def read_documents(path: Path) -> tuple[list[Document], list[ConfigError]]:
    """A file, or every YAML file directly in a folder, so definitions can be split per team or API.

    Each file must be a regular file within ``MAX_DEFINITION_BYTES``: ``--config`` naming a FIFO, a
    device or a huge file is an error, not a hang or a machine out of memory.
    """
    if path.is_dir():
        # A FIFO or device named *.yaml is listed, to be refused by name; a dangling link (an editor's
        # lock file) is not.
        files = sorted(
            child
            for child in path.iterdir()
            if child.suffix in YAML_SUFFIXES and child.exists() and not child.is_dir()
        )
        if not files:
            return [], [ConfigError(Location(str(path)), "no *.yaml or *.yml files in this folder")]
    elif path.exists():
        files = [path]
    else:
        return [], [ConfigError(Location(str(path)), "no such file or folder")]
    documents: list[Document] = []
    errors: list[ConfigError] = []
    for file in files:
        try:
            # Bytes, not text, so PyYAML detects a UTF-16 BOM as YAML requires.
            data = read_limited(file, MAX_DEFINITION_BYTES, "a definition file")
        except FileRefused as exc:
            errors.append(ConfigError(Location(str(file)), str(exc)))
            continue
        root, error = parse(data, str(file))
        if error is not None:
            errors.append(error)
        else:
            documents.append(Document(file, root))
    return documents, errors


def parse(data: bytes | str, source: str) -> tuple[Node | None, ConfigError | None]:
    """A definition's root node or its error; text held in memory gets the file's size limit too."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > MAX_DEFINITION_BYTES:
        return None, ConfigError(
            Location(source),
            f"a definition may be at most {size_text(MAX_DEFINITION_BYTES)}; this one is {size:,} bytes",
        )
    return compose(data, source)
