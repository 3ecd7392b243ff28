"""Loading the YAML trigger definitions into the internal model, reporting every problem at once."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from emulator.config.assemble import assemble
from emulator.config.builder import MockAnswer
from emulator.config.documents import read_documents
from emulator.config.errors import ConfigErrors
from emulator.config.nodes import Reader, root_field
from emulator.config.schema import DocumentDecls, read_document
from emulator.model import Definitions

DEFAULT_CONFIG_PATH = Path("config/apig.yaml")


def load_definitions(
    path: str | Path,
    *,
    code_dir: str | Path | None = None,
    mocks: Mapping[str, MockAnswer] | None = None,
) -> Definitions:
    """Read a definition file, or every YAML file in a folder, into one ``Definitions``.

    ``code_dir`` is where the handlers' modules are imported from (default: the current directory).
    ``mocks`` answer the named functions' methods with a fixed response instead (``serve --mock``).
    Raises ``ConfigErrors`` listing every problem rather than the first, so one run shows all fixes.
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
    definitions, assembly_errors = assemble(
        declarations, (document.file for document in documents), mocks=mocks
    )
    errors.extend(assembly_errors)
    if errors:
        raise ConfigErrors(errors)
    return definitions
