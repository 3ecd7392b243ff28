"""Loading the YAML trigger definitions into the internal model, reporting every problem at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from emulator.config.assemble import assemble
from emulator.config.builder import MockAnswer
from emulator.config.documents import read_documents
from emulator.config.errors import ConfigError, ConfigErrors, settle
from emulator.config.nodes import Reader, root_field
from emulator.config.schema import DocumentDecls, read_document
from emulator.model import Definitions, Function

DEFAULT_CONFIG_PATH = Path("config/apig.yaml")


@dataclass(frozen=True)
class Loaded:
    """Everything one load found, errors or not, so ``validate`` can check handlers alongside the errors."""

    #: Partial when there are errors: what could be built.
    definitions: Definitions
    errors: list[ConfigError]
    #: Each function with a valid ``handler``, by name, even one whose other settings are wrong.
    importable: dict[str, Function]
    #: What API Gateway would accept with a warning (an OpenAPI document's unsupported extensions…).
    warnings: list[ConfigError] = dataclasses.field(default_factory=list)


def load(
    path: str | Path, *, code_dir: str | Path | None = None, mocks: Mapping[str, MockAnswer] | None = None
) -> Loaded:
    """Read a definition file, or every YAML file in a folder, collecting every problem rather than the first.

    ``code_dir`` is where the handlers' modules are imported from (default: the current directory).
    ``mocks`` answer the named functions' methods with a fixed response instead (``serve --mock``).
    """
    code_root = (Path(code_dir) if code_dir is not None else Path.cwd()).resolve()
    documents, errors = read_documents(Path(path))
    declarations: list[DocumentDecls] = []
    for document in documents:
        if document.root is None:
            continue
        reader = Reader(str(document.file))
        declarations.append(read_document(reader, root_field(document.root), code_root))
        errors.extend(reader.errors)
    definitions, assembly_errors, warnings = assemble(
        declarations, (document.file for document in documents), mocks=mocks
    )
    errors.extend(assembly_errors)
    importable: dict[str, Function] = {}
    for declaration in declarations:
        for function in declaration.functions:
            if function.importable is not None:
                # The first of two same-named functions is the one assembled, as for every other check.
                importable.setdefault(function.name, function.importable)
    return Loaded(definitions, errors, importable, warnings)


def load_definitions(
    path: str | Path,
    *,
    code_dir: str | Path | None = None,
    mocks: Mapping[str, MockAnswer] | None = None,
    fail_on_warnings: bool = False,
) -> Definitions:
    """The definitions at ``path``; raises ``ConfigErrors`` listing every problem, so one run shows all fixes.

    Warnings are left to the caller (``load`` returns them), unless ``fail_on_warnings`` makes them errors.
    """
    loaded = load(path, code_dir=code_dir, mocks=mocks)
    errors, _ = settle(loaded.errors, loaded.warnings, fail_on_warnings=fail_on_warnings)
    if errors:
        raise ConfigErrors(errors)
    return loaded.definitions
