"""Loading definitions into the internal model, reporting every problem at once.

``load`` reads any format the registry (``formats``) recognises; ``load_yaml`` is apig-emu's own YAML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from emulator.config.assemble import assemble
from emulator.config.builder import MockAnswer
from emulator.config.documents import read_documents
from emulator.config.errors import ConfigError, ConfigErrors, settle
from emulator.config.loaded import Loaded, LoadOptions
from emulator.config.nodes import Reader, root_field
from emulator.config.schema import DocumentDecls, read_document
from emulator.model import Definitions, Function

DEFAULT_CONFIG_PATH = Path("config/apig.yaml")

__all__ = ["DEFAULT_CONFIG_PATH", "Loaded", "load", "load_definitions", "load_yaml"]


def load(
    path: str | Path,
    *,
    code_dir: str | Path | None = None,
    mocks: Mapping[str, MockAnswer] | None = None,
    parameter_overrides: Mapping[str, str] | None = None,
    env_vars: str | Path | None = None,
    isolation: str = "process",
    stage: str | None = None,
    stage_narrows: bool = True,
    no_stage_prefix: bool = False,
    aws_endpoint_url: str | None = None,
) -> Loaded:
    """Read definitions of any known format (recognised by content), collecting every problem.

    ``code_dir`` is where the handlers' modules are imported from (default: the working directory for
    apig-emu's YAML, the template's folder for a template). ``mocks`` answer the named functions'
    methods with a fixed response instead (``serve --mock``). ``parameter_overrides`` set a
    template's ``Parameters``; ``env_vars`` names SAM CLI's JSON of environment variables.
    ``isolation`` is where the handlers will run, which the warnings about runtimes depend on.
    ``stage`` is ``--stage``: serverless's ``${opt:stage}``, then only that stage of each API is kept
    (unless not ``stage_narrows``, as for ``export``).
    ``no_stage_prefix`` serves every API at the root (``--no-stage-prefix``). ``aws_endpoint_url`` is
    where AWS service integrations call (``--aws-endpoint-url``).
    """
    from emulator.config import formats

    options = LoadOptions(
        code_dir=Path(code_dir) if code_dir is not None else None,
        mocks=dict(mocks or {}),
        parameter_overrides=dict(parameter_overrides or {}),
        env_vars=Path(env_vars) if env_vars is not None else None,
        isolation=isolation,
        stage=stage,
        stage_narrows=stage_narrows,
        no_stage_prefix=no_stage_prefix,
        aws_endpoint_url=aws_endpoint_url,
    )
    return formats.load(Path(path), options)


def load_yaml(
    path: str | Path, *, code_dir: str | Path | None = None, mocks: Mapping[str, MockAnswer] | None = None
) -> Loaded:
    """Read an apig-emu definition file, or every YAML file in a folder."""
    code_root = (Path(code_dir) if code_dir is not None else Path.cwd()).resolve()
    declarations, sources, errors = read_declarations(Path(path), code_root)
    definitions, assembly_errors, warnings = assemble(declarations, sources, mocks=mocks)
    return Loaded(definitions, [*errors, *assembly_errors], importable_functions(declarations), warnings)


def read_declarations(
    path: Path, code_root: Path
) -> tuple[list[DocumentDecls], list[Path], list[ConfigError]]:
    """Every file's declarations, the files read (each named file too, for hot reload) and their errors."""
    documents, errors = read_documents(path)
    declarations: list[DocumentDecls] = []
    sources = [document.file for document in documents]
    for document in documents:
        if document.root is None:
            continue
        reader = Reader(str(document.file))
        declarations.append(read_document(reader, root_field(document.root), code_root))
        errors.extend(reader.errors)
        sources.extend(file for file in reader.named_files if file not in sources)
    return declarations, sources, errors


def importable_functions(declarations: Sequence[DocumentDecls]) -> dict[str, Function]:
    """Each function with a valid ``handler``, by name, for ``validate`` to import."""
    importable: dict[str, Function] = {}
    for declaration in declarations:
        for function in declaration.functions:
            if function.importable is not None:
                # The first of two same-named functions is the one assembled, as for every other check.
                importable.setdefault(function.name, function.importable)
    return importable


def load_definitions(
    path: str | Path,
    *,
    code_dir: str | Path | None = None,
    mocks: Mapping[str, MockAnswer] | None = None,
    parameter_overrides: Mapping[str, str] | None = None,
    env_vars: str | Path | None = None,
    stage: str | None = None,
    fail_on_warnings: bool = False,
) -> Definitions:
    """The definitions at ``path``; raises ``ConfigErrors`` listing every problem, so one run shows all fixes.

    Warnings are left to the caller (``load`` returns them), unless ``fail_on_warnings`` makes them errors.
    """
    loaded = load(
        path,
        code_dir=code_dir,
        mocks=mocks,
        parameter_overrides=parameter_overrides,
        env_vars=env_vars,
        stage=stage,
    )
    errors, _ = settle(loaded.errors, loaded.warnings, fail_on_warnings=fail_on_warnings)
    if errors:
        raise ConfigErrors(errors)
    return loaded.definitions
