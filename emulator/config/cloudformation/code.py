"""Where a template's function and layer code is: a local folder, served from source with no build step.

SAM's ``CodeUri`` and ``ContentUri``, and CloudFormation's ``Code`` as ``aws cloudformation package``
takes it, name a folder relative to the template; an S3 location is what ``sam deploy`` uploaded and
cannot be read locally. Inline source (``InlineCode``, ``Code.ZipFile``) is written once to a folder
of its own as ``index.py``, as Lambda stores it, named by its content so every worker and reload finds
the same file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from emulator.config.cloudformation.properties import Properties

_S3_HINT = "point it at the folder of the code, relative to the template (as before sam build or package)"


def local_folder(props: Properties, name: str, base: Path) -> Path | None:
    """The folder a ``CodeUri``-like property names; ``None`` (reported) for S3 or a missing folder."""
    value = props.value(name)
    if value is None:
        return None
    if isinstance(value, dict) or (isinstance(value, str) and value.startswith("s3://")):
        props.error(name, f"{name} is an S3 location, which cannot be read locally", _S3_HINT)
        return None
    if not isinstance(value, str):
        props.error(name, f"{name} must be a folder's path, got {value!r}")
        return None
    folder = (base / value).resolve()
    if not folder.is_dir():
        what = "a file, not a folder" if folder.exists() else "not found"
        props.error(
            name, f"{name} '{value}' is {what} ({folder}); apig-emu serves code from its folder", _S3_HINT
        )
        return None
    return folder


def inline_source(source: Any, props: Properties, name: str) -> Path | None:
    """The folder holding inline Python source as ``index.py``."""
    if not isinstance(source, str):
        props.error(name, f"{name} must be the function's source code as a string")
        return None
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    folder = Path(tempfile.gettempdir()) / f"apig-emu-inline-{os.getuid()}" / digest
    module = folder / "index.py"
    if not module.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".index.{os.getpid()}.tmp"
        partial.write_text(source)
        partial.replace(module)
    return folder
