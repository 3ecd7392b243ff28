"""Imported documents kept between runs, so that serving an unchanged 500-path document starts at once.

Reading a large document is the slow part of a start (YAML most of all: PyYAML builds every value in
Python), and a developer restarts ``serve`` and the tests many times over one unchanged document.
What a document imports to depends only on its bytes, its path (which messages name), the api's id
(which model references hold) and the importer's code; the cache is keyed by all four, so a change to
any of them reads the document anew. It lives in ``$APIG_EMU_CACHE_DIR``, else
``$XDG_CACHE_HOME/apig-emu/openapi``, else ``~/.cache/apig-emu/openapi``; ``APIG_EMU_CACHE_DIR=off``
turns it off. A cache that cannot be read or written is ignored: it only ever saves time.

Entries are JSON, not pickles: a handler runs as the same user and could write into the folder, and
the gateway never runs what a handler could have written (tests/test_exposure.py). Each object is
tagged with its kind, and only the model's and the importer's own classes are rebuilt.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import emulator
from emulator import model
from emulator.config.errors import ConfigError
from emulator.config.openapi.imported import FunctionReference, ImportedApi, Operation
from emulator.model import RestApi

CACHE_ENV = "APIG_EMU_CACHE_DIR"
#: The newest entries kept: a day of editing one document, without the folder growing for ever.
KEPT = 32


def cache_dir() -> Path | None:
    chosen = os.environ.get(CACHE_ENV)
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "apig-emu" / "openapi"


@cache
def _code() -> bytes:
    """What the import's result depends on in the emulator itself: the sources of the config package and
    the model, so that a changed importer never serves an entry it did not write."""
    root = Path(emulator.__file__).parent
    sources = sorted([*(root / "config").rglob("*.py"), root / "model.py", root / "account.py"])
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.read_bytes())
    return digest.digest()


def cached(path: Path, data: bytes, api: RestApi, read: Callable[[], ImportedApi]) -> ImportedApi:
    """The document ``data`` read from ``path`` into ``api``: from the cache, else by ``read`` (then cached)."""
    folder = cache_dir()
    if folder is None:
        return read()
    key = hashlib.sha256(_code() + str(path.resolve()).encode() + b"\0" + api.id.encode() + b"\0" + data)
    entry = folder / f"{key.hexdigest()}.json"
    try:
        found = _decode(json.loads(entry.read_bytes()))
    except (OSError, ValueError, TypeError, KeyError, IndexError):
        found = None
    if isinstance(found, ImportedApi):
        # The YAML's part of the api (its name, stages, where it is) may have changed; the document's has not.
        found.api = replace(found.api, name=api.name, stages=api.stages, location=api.location)
        return found
    imported = read()
    _store(folder, entry, imported)
    return imported


def _store(folder: Path, entry: Path, imported: ImportedApi) -> None:
    """Written whole or not at all (a temporary file renamed), so a reader never sees half an entry."""
    temporary: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as file:
            temporary = file.name
            file.write(json.dumps(_encode(imported), separators=(",", ":")).encode())
        os.replace(temporary, entry)
        temporary = None
        entries = sorted(folder.glob("*.json"), key=lambda found: found.stat().st_mtime, reverse=True)
        for old in entries[KEPT:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only home, a full disk: the next start reads the document again
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


#: The only classes an entry may name; anything else makes the entry unreadable, so it is read anew.
_CLASSES: dict[str, type] = {
    kind.__name__: kind
    for kind in (
        ImportedApi,
        Operation,
        FunctionReference,
        ConfigError,
        model.Location,
        model.RestApi,
        model.Stage,
        model.GatewayResponseSpec,
        model.Authorizer,
        model.Model,
        model.RequestValidator,
        model.Method,
        model.MethodResponse,
        model.Integration,
        model.IntegrationResponse,
    )
}


def _encode(value: Any) -> Any:
    """JSON data that says what each object was: ``["D", class, fields]``, ``["T", items]``, ``["M", mapping]``…"""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {field.name: _encode(getattr(value, field.name)) for field in dataclasses.fields(value)}
        return ["D", type(value).__name__, fields]
    if isinstance(value, tuple):
        return ["T", [_encode(item) for item in value]]
    if isinstance(value, list):
        return ["L", [_encode(item) for item in value]]
    if isinstance(value, Mapping):
        return ["M", [[_encode(key), _encode(item)] for key, item in value.items()]]
    if isinstance(value, Path):
        return ["P", str(value)]
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decode(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    kind, *rest = value
    if kind == "D":
        name, fields = rest
        return _CLASSES[name](**{field: _decode(item) for field, item in fields.items()})
    if kind == "T":
        return tuple(_decode(item) for item in rest[0])
    if kind == "L":
        return [_decode(item) for item in rest[0]]
    if kind == "M":
        return {_decode(key): _decode(item) for key, item in rest[0]}
    if kind == "P":
        return Path(rest[0])
    raise ValueError(f"not an entry of the cache: {kind!r}")
