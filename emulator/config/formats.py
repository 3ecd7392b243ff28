"""The definition formats apig-emu reads: each recognised by its content, each loaded into the same model.

A format is one ``ConfigFormat`` entry in ``FORMATS``: how to recognise a file of it from its top-level
keys, the file names looked for when no ``--config`` is given, where its handlers' code is by default,
and its loader. The commands, the pytest plugin and the test helpers know formats only through this
registry, so a new format (serverless.yml) is one more entry and its loader, nothing else.

Content decides, not the name: a ``template.yaml`` may be a SAM or a plain CloudFormation template,
and ``--config infra/api.yml`` may be any of them. Only a file whose content says nothing (a syntax
error, a file of comments) falls back to the format whose default names match it, else to
apig-emu's own YAML, whose loader then says what is wrong.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
)

from emulator.config.loaded import Loaded, LoadOptions
from emulator.limited_files import MAX_DEFINITION_BYTES, FileRefused, read_limited

#: A top-level value as recognising reads it: a scalar's text, a list of scalars, or ``None`` for anything else.
TopValue = str | tuple[str, ...] | None


@dataclass(frozen=True)
class TopLevel:
    """What recognising a file reads of it: its path and its top-level keys with their simple values."""

    path: Path
    keys: Mapping[str, TopValue]

    def names(self, key: str) -> tuple[str, ...]:
        """A key's value as a list of names: ``Transform: X`` and ``Transform: [X, Y]`` alike."""
        value = self.keys.get(key)
        if value is None:
            return ()
        return (value,) if isinstance(value, str) else value


@dataclass(frozen=True)
class ConfigFormat:
    """One format of definitions: how it is recognised, found and loaded."""

    #: Short and stable: ``apig``, ``sam``, ``cloudformation``.
    name: str
    #: As a sentence names a file of it: "a SAM template".
    title: str
    #: Files looked for, relative to the working directory, when no ``--config`` is given; in order.
    default_paths: tuple[str, ...]
    #: Whether a file's top-level keys are this format's. Cheap: it sees no more than ``TopLevel``.
    recognises: Callable[[TopLevel], bool]
    #: Reads the file into the model through ``DefinitionsBuilder``, every error and warning with its line.
    load: Callable[[Path, LoadOptions], Loaded]
    #: Where handlers are found without ``--code-dir``, given the definitions' path.
    default_code_dir: Callable[[Path], Path]
    #: Whether an ``apig-emu.yaml`` beside a file of this format is read with it (``config/companion.py``):
    #: a format with no place for apig-emu's own settings.
    reads_companion: bool = False


def _working_directory(_: Path) -> Path:
    return Path.cwd()


def _load_apig(path: Path, options: LoadOptions) -> Loaded:
    from emulator.config.loader import load_yaml

    return load_yaml(path, code_dir=options.code_dir, mocks=options.mocks)


_APIG_KEYS = frozenset({"apis", "functions", "mocks", "integrations", "aws"})

APIG = ConfigFormat(
    name="apig",
    title="apig-emu definitions",
    default_paths=("config/apig.yaml",),
    recognises=lambda top: bool(top.keys) and set(top.keys) <= _APIG_KEYS,
    load=_load_apig,
    default_code_dir=_working_directory,
)


def _template_folder(path: Path) -> Path:
    return path.resolve().parent


def _load_template(path: Path, options: LoadOptions) -> Loaded:
    from emulator.config.cloudformation.loader import load_template

    return load_template(path, options)


#: The transform that makes a CloudFormation template a SAM template.
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"

SAM = ConfigFormat(
    name="sam",
    title="a SAM template",
    default_paths=("template.yaml", "template.yml"),
    recognises=lambda top: SAM_TRANSFORM in top.names("Transform"),
    load=_load_template,
    default_code_dir=_template_folder,
    reads_companion=True,
)
CLOUDFORMATION = ConfigFormat(
    name="cloudformation",
    title="a CloudFormation template",
    default_paths=("template.yaml", "template.yml"),
    recognises=lambda top: "Resources" in top.keys or "AWSTemplateFormatVersion" in top.keys,
    load=_load_template,
    default_code_dir=_template_folder,
    reads_companion=True,
)


def _load_serverless(path: Path, options: LoadOptions) -> Loaded:
    from emulator.config.serverless.service import load_serverless

    return load_serverless(path, code_dir=options.code_dir, mocks=options.mocks, stage=options.stage)


def _service_folder(path: Path) -> Path:
    """Serverless packages the service's folder as each function's code: handler paths start there."""
    return path.resolve().parent


#: Serverless's keys that, beside ``service``, only a service file has at its top.
_SERVERLESS_KEYS = frozenset({"provider", "functions", "plugins", "frameworkVersion", "custom", "useDotenv"})

SERVERLESS = ConfigFormat(
    name="serverless",
    title="a Serverless Framework service",
    default_paths=("serverless.yml", "serverless.yaml", "serverless.json"),
    recognises=lambda top: "service" in top.keys and bool(_SERVERLESS_KEYS & set(top.keys)),
    load=_load_serverless,
    default_code_dir=_service_folder,
    reads_companion=True,
)
#: In the order files are recognised and default paths looked for: apig-emu's YAML, SAM's and
#: CloudFormation's template.yaml, then serverless.yml.
FORMATS: list[ConfigFormat] = [APIG, SAM, CLOUDFORMATION, SERVERLESS]


def register(entry: ConfigFormat) -> None:
    """Add a format after those already known (its default paths are looked for after theirs)."""
    if any(known.name == entry.name for known in FORMATS):
        raise ValueError(f"a format named {entry.name!r} is registered already")
    FORMATS.append(entry)


def default_paths() -> list[str]:
    """Every file looked for without ``--config``, in order."""
    paths: list[str] = []
    for entry in FORMATS:
        paths.extend(path for path in entry.default_paths if path not in paths)
    return paths


def find_default(directory: Path) -> Path | None:
    """The first of ``default_paths()`` that exists in ``directory``."""
    for name in default_paths():
        if (directory / name).exists():
            return Path(name) if directory == Path.cwd() else directory / name
    return None


def recognise(path: Path) -> ConfigFormat:
    """The format of the file (or folder) at ``path``, by its content; apig-emu's YAML when nothing says."""
    if path.is_dir():
        return APIG
    top = top_level(path)
    if top is not None:
        for entry in FORMATS:
            if entry.recognises(top):
                return entry
    for entry in FORMATS:
        if any(path.name == Path(default).name for default in entry.default_paths):
            return entry
    return APIG


def load(path: Path, options: LoadOptions) -> Loaded:
    """The definitions at ``path``, read by the loader of its format, then changed as the options say."""
    from emulator.config.command_line import apply_options
    from emulator.deployment import deployment_errors

    loaded = apply_options(_load_with_companion(recognise(path), path, options), options, path)
    # Definitions with errors are partial (a value left out where it was wrong): deploying them would
    # report the same mistakes again, in other words.
    refused = [] if loaded.errors else deployment_errors(loaded.definitions)
    return dataclasses.replace(loaded, errors=refused) if refused else loaded


def _load_with_companion(entry: ConfigFormat, path: Path, options: LoadOptions) -> Loaded:
    """The format's loader; with the ``apig-emu.yaml`` beside it merged in, for a format that reads one."""
    from emulator.config.companion import find_companion, load_with_companion

    companion = find_companion(path) if entry.reads_companion else None
    if companion is None:
        return entry.load(path, options)
    return load_with_companion(entry.load, path, companion, options)


def companion_of(path: Path) -> Path | None:
    """Where the ``apig-emu.yaml`` read with the definitions at ``path`` is or would be; ``None`` for a
    format that reads none (apig-emu's own YAML, a folder of it)."""
    from emulator.config.companion import companion_path

    return companion_path(path) if recognise(path).reads_companion else None


def top_level(path: Path) -> TopLevel | None:
    """The file's top-level keys and simple values; ``None`` when it cannot be read or parsed.

    The loader reports why; recognising only needs the keys, so YAML is read as events, not built.
    """
    try:
        data = read_limited(path, MAX_DEFINITION_BYTES, "a definition file")
    except FileRefused:
        return None
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except ValueError:
            return None
        if not isinstance(document, dict):
            return None
        return TopLevel(path, {str(key): _json_value(value) for key, value in document.items()})
    try:
        return TopLevel(path, _yaml_top_level(data))
    except yaml.YAMLError:
        return None


def _json_value(value: object) -> TopValue:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


def _yaml_top_level(data: bytes) -> dict[str, TopValue]:
    """The first document's top-level keys, reading parser events only (no nodes, no tags constructed)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    keys: dict[str, TopValue] = {}
    depth = 0
    key: str | None = None
    collecting: list[str] | None = None
    for event in yaml.parse(data, Loader=loader):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth == 1 and not isinstance(event, MappingStartEvent):
                return {}
            if depth == 2 and key is not None:
                keys[key] = None
                collecting = [] if isinstance(event, SequenceStartEvent) else None
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
            if depth == 1 and key is not None:
                if collecting is not None:
                    keys[key] = tuple(collecting)
                key, collecting = None, None
            elif depth == 0:
                break
        elif isinstance(event, AliasEvent):
            if depth == 1 and key is not None:
                keys[key], key = None, None
        elif isinstance(event, ScalarEvent):
            if depth == 1:
                if key is None:
                    key = event.value
                else:
                    keys[key] = event.value
                    key = None
            elif depth == 2 and collecting is not None:
                collecting.append(event.value)
    return keys
