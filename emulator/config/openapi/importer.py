"""Reading one OpenAPI 3 or Swagger 2.0 document into an api of the model, as ``ImportRestApi`` reads it.

The api's name, id and stages come from the YAML that binds the document; everything else from the
document. Its ``basePath`` (Swagger 2.0) and its servers' ``basePath`` variable (OpenAPI 3) are
ignored, as AWS's import does by default (``basepath=ignore``): the URL's first segment is the stage.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from emulator.config.nodes import Field, root_field
from emulator.config.openapi.cache import cached
from emulator.config.openapi.document import read_bytes, read_document
from emulator.config.openapi.imported import ImportedApi
from emulator.config.openapi.operations import Document, read_paths
from emulator.config.openapi.reader import DocumentReader
from emulator.config.openapi.schemas import Models, read_models
from emulator.config.openapi.security import read_schemes
from emulator.config.openapi.settings import read_settings
from emulator.config.schema import OpenApiBinding
from emulator.model import RestApi


def import_openapi(binding: OpenApiBinding, api: RestApi) -> ImportedApi:
    """``api`` with the document's settings, and its operations; errors and warnings with their lines.

    An unchanged document is not read again: its import is cached (``cache``).
    """
    data, unreadable = read_bytes(binding.path, binding.location)
    if data is None:
        return ImportedApi(api, errors=[unreadable] if unreadable is not None else [])
    with _collector_paused():
        return cached(binding.path, data, api, lambda: _import(binding.path, data, api))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection while the document (or its cached import) is read: it makes a hundred
    thousand nodes and fields, none of them garbage yet, and the collector walking them over and over
    took half the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_inline(file: str, body: Field, api: RestApi) -> ImportedApi:
    """A document written inside another file (a template's ``DefinitionBody`` or ``Body``) at ``body``.

    Its errors name the key paths under ``body``'s, in ``file``.
    """
    reader = DocumentReader(file, body.node)
    with _collector_paused():
        imported = _read(reader, body, api)
    imported.errors.extend(reader.errors)
    imported.warnings.extend(reader.warnings)
    return imported


def _import(path: Path, data: bytes, api: RestApi) -> ImportedApi:
    root, problem = read_document(path, data)
    if problem is not None or root is None:
        return ImportedApi(api, errors=[problem] if problem is not None else [])
    reader = DocumentReader(str(path), root)
    imported = _read(reader, root_field(root), api)
    imported.errors.extend(reader.errors)
    imported.warnings.extend(reader.warnings)
    return imported


def _read(reader: DocumentReader, root: Field, api: RestApi) -> ImportedApi:
    top = reader.entries(root)
    if top is None:
        return ImportedApi(api)
    swagger = _version(reader, root, top)
    if swagger is None:
        return ImportedApi(api)
    components = {} if swagger else (reader.entries(top["components"]) or {}) if "components" in top else {}
    if swagger:
        security = read_schemes(reader, top.get("securityDefinitions"), "securityDefinitions")
        models = Models(api.id, where="definitions")
        read_models(reader, top.get("definitions"), models)
    else:
        security = read_schemes(reader, components.get("securitySchemes"), "components.securitySchemes")
        models = Models(api.id)
        read_models(reader, components.get("schemas"), models)
    settings = read_settings(reader, top, top.get("servers"))
    document = Document(
        reader,
        swagger,
        security,
        top.get("security"),
        models,
        settings,
        consumes=_strings(reader, top.get("consumes")),
        produces=_strings(reader, top.get("produces")),
    )
    operations = read_paths(document, top.get("paths"))
    info = (reader.entries(top["info"]) or {}) if "info" in top else {}
    description = reader.string(info["description"]) if "description" in info else None
    settled = replace(
        api,
        binary_media_types=settings.binary_media_types,
        gateway_responses=settings.gateway_responses,
        endpoint_type=settings.endpoint_type,
        api_key_source=settings.api_key_source,
        authorizers=security.authorizers,
        models=models.models,
        request_validators=settings.request_validators,
        description=description,
        policy=settings.policy,
    )
    return ImportedApi(settled, operations, security.functions)


def _version(reader: DocumentReader, root: Field, top: dict[str, Field]) -> bool | None:
    """``True`` for Swagger 2.0, ``False`` for OpenAPI 3; ``None`` (reported) for anything else."""
    if "openapi" in top:
        version = reader.text(top["openapi"])
        if version is not None and version.startswith("3."):
            return False
        reader.error(top["openapi"], f"unsupported OpenAPI version '{version}'; expected 3.0.x or 3.1.x")
        return None
    if "swagger" in top:
        version = reader.text(top["swagger"])
        if version == "2.0":
            return True
        reader.error(top["swagger"], f"unsupported Swagger version '{version}'; expected \"2.0\"")
        return None
    reader.error(
        root,
        "not an OpenAPI document: it has neither 'openapi: 3.0.1' (OpenAPI 3) nor 'swagger: \"2.0\"' at its top",
    )
    return None


def _strings(reader: DocumentReader, field: Field | None) -> list[str]:
    return [value for value, _ in reader.strings(field) or []] if field is not None else []
