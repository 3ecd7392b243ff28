"""Imported documents kept between runs, so that serving an unchanged 500-path document starts at once.

Reading a large document is the slow part of a start (YAML most of all: PyYAML builds every value in
Python), and a developer restarts ``serve`` and the tests many times over one unchanged document.
What a document imports to depends only on its bytes, its path (which messages name), the api's id
(which model references hold) and the importer's code; the cache is keyed by all four, so a change to
any of them reads the document anew. It lives in ``$APIG_EMU_CACHE_DIR``, else
``$XDG_CACHE_HOME/apig-emu/openapi``, else ``~/.cache/apig-emu/openapi``; ``APIG_EMU_CACHE_DIR=off``
turns it off. A cache that cannot be read or written is ignored: it only ever saves time.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path

import emulator
from emulator.config.openapi.imported import ImportedApi
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
    entry = folder / f"{key.hexdigest()}.pickle"
    try:
        with entry.open("rb") as file:
            found = pickle.load(file)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError, ImportError):
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
            pickle.dump(imported, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)
        temporary = None
        entries = sorted(folder.glob("*.pickle"), key=lambda found: found.stat().st_mtime, reverse=True)
        for old in entries[KEPT:]:
            old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError):
        pass  # a read-only home, a full disk: the next start reads the document again
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
