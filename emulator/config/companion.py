"""``apig-emu.yaml`` beside a template: apig-emu's own settings for a project defined by a template.

A SAM or CloudFormation template, or a serverless.yml, has no place for what only apig-emu has: the
``iam:`` credentials that ``AWS_IAM`` methods verify signatures against, a Cognito pool's JWKS
(``user_pools:``), ``auth_off:``, the ``aws:`` endpoints, API keys and usage plans a template does not
declare. A file of apig-emu's YAML named ``apig-emu.yaml`` in the template's folder holds them.

It is read as one more file of a folder of apig-emu's YAML: its declarations are assembled onto the
model the template's loader built, through the same builder, so a name defined in both is an error
naming both places, and what it names (``auth_off:`` methods, a usage plan's stages) may be the
template's. Its own errors carry its file, key and line, like any file of apig-emu's YAML.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from emulator.config.assemble import assemble
from emulator.config.builder import MockAnswer
from emulator.config.errors import ConfigError
from emulator.config.loaded import Loaded, LoadOptions
from emulator.config.loader import importable_functions, read_declarations
from emulator.model import Definitions

#: The companion's name, a user-facing contract: looked for in the template's folder, nowhere else.
COMPANION_NAME = "apig-emu.yaml"


def companion_path(definitions: Path) -> Path:
    """Where the companion of a template at ``definitions`` is, whether it exists or not (hot reload
    watches for it being created)."""
    return definitions.parent / COMPANION_NAME


def find_companion(definitions: Path) -> Path | None:
    """The companion beside the template, if there is one; a folder of that name is not one."""
    path = companion_path(definitions)
    if not path.exists() or path.is_dir() or path.resolve() == definitions.resolve():
        # A template that is itself named apig-emu.yaml has no companion: it would be read twice.
        return None
    return path


def load_with_companion(
    load: Callable[[Path, LoadOptions], Loaded], path: Path, companion: Path, options: LoadOptions
) -> Loaded:
    """The template at ``path`` read by ``load``, then the companion's declarations assembled onto it.

    Handlers of functions the companion defines are found where the template's are (``--code-dir``,
    else the template's folder). ``serve --mock NAME`` goes to whichever file defines ``NAME``, so that
    each checks the names it knows; a name neither defines is reported by the template's loader.
    """
    code_root = (options.code_dir or path.parent).resolve()
    declarations, sources, errors = read_declarations(companion, code_root)
    own = {decl.name for document in declarations for decl in document.functions}
    template = load(path, dataclasses.replace(options, mocks=_mocks(options, lambda name: name not in own)))
    definitions, assembly_errors, warnings = assemble(
        declarations,
        sources,
        mocks=_mocks(options, lambda name: name in own),
        base=template.definitions,
    )
    importable = {**importable_functions(declarations), **template.importable}
    return Loaded(
        dataclasses.replace(definitions, companion=companion),
        [*template.errors, *errors, *assembly_errors],
        importable,
        _once([*template.warnings, *warnings]),
    )


def companion_note(definitions: Definitions) -> str | None:
    """The one line that says a companion was read, so that a setting the template cannot hold is traced
    to its file; ``None`` without one."""
    if definitions.companion is None:
        return None
    return f"also read {definitions.companion}: apig-emu's own settings for the template beside it"


def _mocks(options: LoadOptions, keep: Callable[[str], bool]) -> dict[str, MockAnswer]:
    return {name: answer for name, answer in options.mocks.items() if keep(name)}


def _once(warnings: list[ConfigError]) -> list[ConfigError]:
    """Each warning once: the checks over the whole model (a stage's functions) run for both loads."""
    return list(dict.fromkeys(warnings))
