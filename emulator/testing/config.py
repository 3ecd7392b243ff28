"""Definitions for tests: from a file or folder as ``apig-emu serve`` reads them, or from a YAML string.

Both go through the loader's own steps, so a snippet in a test is validated exactly like
``config/apig.yaml`` and a mistake in it gets the same message, file and line.
"""

from __future__ import annotations

import os
import textwrap
import warnings
from pathlib import Path

from emulator.config import ConfigError, ConfigErrors, ConfigWarning, load
from emulator.config.assemble import assemble
from emulator.config.documents import parse
from emulator.config.errors import warnings_report
from emulator.config.nodes import Reader, root_field
from emulator.config.schema import DocumentDecls, read_document
from emulator.model import Definitions

#: What a test may name its definitions by: a YAML file or folder, or definitions already loaded.
ConfigSource = str | Path | Definitions


def definitions_from_yaml(
    text: str, *, code_dir: str | Path | None = None, source: str = "<yaml>"
) -> Definitions:
    """Definitions from YAML text (dedented), e.g. a snippet inside a test; raises ``ConfigErrors``.

    ``source`` is the name error messages give the text, in place of a file name.
    """
    code_root = (Path(code_dir) if code_dir is not None else Path.cwd()).resolve()
    reader = Reader(source)
    declarations: list[DocumentDecls] = []
    root, error = parse(textwrap.dedent(text), source)
    if error is not None:
        raise ConfigErrors([error])
    if root is not None:
        declarations.append(read_document(reader, root_field(root), code_root))
    definitions, errors, found = assemble(declarations, ())
    errors = [*reader.errors, *errors]
    if errors:
        raise ConfigErrors(errors)
    _warn(found)
    return definitions


def as_definitions(
    config: ConfigSource,
    *,
    code_dir: str | Path | None = None,
    isolation: str = "thread",
    stage: str | None = None,
) -> Definitions:
    """Load ``config`` unless it is already loaded; raises ``ConfigErrors`` as ``load_definitions`` does.

    ``code_dir`` with loaded definitions is refused rather than ignored: their handlers' code root
    was fixed when they were loaded, and a caller passing one expects it to apply.
    """
    if isinstance(config, Definitions):
        if code_dir is not None:
            raise TypeError(
                "code_dir applies when a config is loaded; these definitions were loaded with their own "
                "(pass code_dir to load_definitions or definitions_from_yaml instead)"
            )
        return config
    if not isinstance(config, (str, os.PathLike)):
        raise TypeError(
            f"config must be a path to a YAML file or folder, or Definitions; got {type(config).__name__}"
        )
    loaded = load(config, code_dir=code_dir, isolation=isolation, stage=stage)
    if loaded.errors:
        raise ConfigErrors(loaded.errors)
    _warn(loaded.warnings)
    return loaded.definitions


def _warn(found: list[ConfigError]) -> None:
    """The definitions' warnings as one ``ConfigWarning``: pytest lists it, ``-W error`` makes it fail."""
    if found:
        warnings.warn(ConfigWarning(f"apig-emu: {warnings_report(found)}"), stacklevel=3)
