"""Finding the definition files and parsing them into YAML nodes, which keep the line of every value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import Node

from emulator.config.errors import ConfigError
from emulator.config.yaml_syntax import compose
from emulator.model import Location

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Document:
    """One definition file; ``root`` is ``None`` for a file holding no YAML document (only comments)."""

    file: Path
    root: Node | None


def read_documents(path: Path) -> tuple[list[Document], list[ConfigError]]:
    """A file, or every YAML file directly in a folder, so definitions can be split per team or API."""
    if path.is_dir():
        files = sorted(child for child in path.iterdir() if child.suffix in YAML_SUFFIXES and child.is_file())
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
            data = file.read_bytes()
        except OSError as exc:
            errors.append(ConfigError(Location(str(file)), f"cannot read the file: {exc.strerror or exc}"))
            continue
        root, error = compose(data, str(file))
        if error is not None:
            errors.append(error)
        else:
            documents.append(Document(file, root))
    return documents, errors
