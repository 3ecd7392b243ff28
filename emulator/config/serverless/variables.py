"""Resolving Serverless's variables where they are read, as Serverless v3 resolves them.

Sources read locally: ``self`` (this file), ``opt`` (``opt:stage`` is the stage asked for), ``sls:stage``
(that stage, else ``provider.stage``, else ``dev``), ``env``, ``file(...)`` (YAML, JSON or text next to
serverless.yml), ``param`` (the file's own ``params`` section), ``strToBool``, ``aws:region`` and
``aws:accountId`` (the emulator's account). ``ssm``, ``cf``, ``s3``, other ``aws:`` values and plugins'
sources live in an AWS account or in code that is not run: their fallback is used, with a warning,
and without one the variable is an error.

Values are resolved when a setting is read, not all at once: a ``${cf:...}`` under ``resources`` that
the emulator never reads costs nothing. Every problem names the variable, the key path and the line.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from emulator.account import ACCOUNT_ID, REGION
from emulator.config.serverless.files import SCRIPT_SUFFIXES, read_items, read_text
from emulator.config.serverless.items import Intrinsic, Item, lookup
from emulator.config.serverless.report import Report
from emulator.config.serverless.syntax import (
    Literal,
    Reference,
    Source,
    SyntaxProblem,
    Template,
    Variable,
    only_variable,
    parse,
)
from emulator.model import Location

DEFAULT_STAGE = "dev"
#: How many values may wait on one another (``${self:a}`` naming ``${self:b}``…) before it is taken for a loop.
MAX_DEPTH = 64
_REMOTE = {
    "ssm": "AWS Systems Manager Parameter Store",
    "cf": "a CloudFormation stack's outputs",
    "s3": "an S3 object",
    "aws": "the AWS account",
}


@dataclass(frozen=True)
class Inputs:
    """What variables read besides the files: the command line's stage and options, the environment."""

    service_dir: Path
    stage: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Found:
    item: Item


@dataclass(frozen=True)
class _Missing:
    reason: str
    #: Kept in an AWS account or in code: its fallback is worth a warning.
    remote: bool = False


class _Reported(Exception):
    """A problem already reported: the value cannot be resolved, and nothing more is said about it."""


class Resolver:
    """Resolves items of one serverless.yml, each once; ``files`` lists the files ``${file()}`` read."""

    def __init__(self, root: Item, inputs: Inputs, report: Report) -> None:
        self.root = root
        self.inputs = inputs
        self.report = report
        self.files: list[Path] = []
        self._done: dict[int, Item] = {}
        self._failed: set[int] = set()
        #: Keeps the resolved items alive, so that the ids in ``_done`` stay theirs.
        self._kept: list[Item] = []
        #: The values being resolved, innermost last: (item id, key path), to name a loop's links.
        self._active: list[tuple[int, str]] = []
        self._read: dict[Path, Item | None] = {}
        self._stage: str | None = None
        self._instance = secrets.token_hex(4)

    def resolve(self, item: Item, path: str) -> Item | None:
        """``item`` with its own variables resolved (its children resolve when read); ``None`` once reported."""
        if not isinstance(item.value, str) or "${" not in item.value:
            return item
        key = id(item)
        if key in self._done:
            return self._done[key]
        if key in self._failed:
            return None
        location = Location(item.file, path, item.line)
        keys = [active for active, _ in self._active]
        if key in keys:
            chain = " -> ".join(where for _, where in self._active[keys.index(key) :])
            self.report.error(
                location,
                f"the variables refer to each other in a loop: {chain} -> {path or 'the document'}",
                "a value may name another only if that one, in turn, does not name it back",
            )
            self._failed.add(key)
            return None
        if len(self._active) >= MAX_DEPTH:
            self.report.error(location, f"variables nest deeper than {MAX_DEPTH} values here: {item.value}")
            self._failed.add(key)
            return None
        self._active.append((key, path or "the document"))
        try:
            result = self._evaluate(item, location)
        except _Reported:
            self._failed.add(key)
            return None
        finally:
            self._active.pop()
        self._done[key] = result
        self._kept.append(item)
        return result

    def stage(self) -> str:
        """The stage: the one asked for, else ``provider.stage``, else ``dev`` (Serverless's ``sls:stage``)."""
        if self._stage is None:
            stage = self.inputs.stage
            if stage is None:
                value = self._setting("provider.stage")
                stage = DEFAULT_STAGE if value is None else value
            self._stage = stage
        return self._stage

    def region(self) -> str:
        region = self.inputs.options.get("region") or self._setting("provider.region")
        return REGION if region is None else region

    def _setting(self, address: str) -> str | None:
        """A setting other values depend on, as text; ``None`` when absent, or wrong and reported."""
        try:
            found = self._walk(self.root, address, "serverless.yml")
        except _Reported:
            return None
        value = found.item.value if isinstance(found, _Found) else None
        return None if value is None or isinstance(value, (dict, list, Intrinsic)) else _as_text(value)

    # Evaluating a value

    def _evaluate(self, item: Item, location: Location) -> Item:
        assert isinstance(item.value, str)
        try:
            template = parse(item.value)
        except SyntaxProblem as problem:
            self.report.error(location, f"invalid variable: {problem}")
            raise _Reported from None
        whole = only_variable(template)
        if whole is not None:
            found = self._variable(whole, location)
            if isinstance(found.value, (dict, list, Intrinsic)):
                return found
            # A value put in place keeps the line it is used on: that is where a wrong type is fixed.
            return Item(found.value, item.file, item.line)
        return Item(self._text(template, location), item.file, item.line)

    def _text(self, template: Template, location: Location) -> str:
        parts: list[str] = []
        for part in template:
            if isinstance(part, str):
                parts.append(part)
                continue
            value = self._variable(part, location).value
            if value is None or isinstance(value, (dict, list, Intrinsic)):
                shown = "null" if value is None else "a list" if isinstance(value, list) else "a mapping"
                self.report.error(
                    location,
                    f"{part.written} is {shown}, which cannot be part of a text; only a value that is the "
                    "variable alone may be a mapping or a list",
                )
                raise _Reported
            parts.append(_as_text(value))
        return "".join(parts)

    def _variable(self, variable: Variable, location: Location) -> Item:
        reasons: list[str] = []
        remote = False
        for source in variable.sources:
            outcome = self._source(source, location)
            if isinstance(outcome, _Found):
                if remote:
                    self.report.warn(
                        location,
                        f"{variable.written}: {'; '.join(reasons)}; its fallback "
                        f"{_shown(outcome.item.value)} is used",
                    )
                return outcome.item
            reasons.append(outcome.reason)
            remote = remote or outcome.remote
        hint = (
            "give it a fallback for local runs, e.g. ${ssm:/path, 'local-value'}, or read it from the "
            "environment with ${env:NAME}"
            if remote
            else None
        )
        self.report.error(location, f"cannot resolve {variable.written}: {'; '.join(reasons)}", hint)
        raise _Reported

    def _source(self, source: Source, location: Location) -> _Found | _Missing:
        if isinstance(source, Literal):
            return _Found(Item(source.value, location.file, location.line or 1))
        kind = source.kind
        if kind == "file":
            return self._file(source, location)
        if kind == "strToBool":
            return self._str_to_bool(source, location)
        address = self._address(source, location)
        if kind == "self":
            return self._walk(self.root, address, "serverless.yml")
        if kind == "opt":
            return self._option(address, location)
        if kind == "env":
            value = self.inputs.environ.get(address)
            if value is None:
                return _Missing(f"the environment has no variable {address}")
            return self._found(value, location)
        if kind == "sls" and address == "stage":
            return self._found(self.stage(), location)
        if kind == "sls" and address == "instanceId":
            return self._found(self._instance, location)
        if kind == "param":
            return self._param(address)
        if kind == "aws" and address == "region":
            return self._found(self.region(), location)
        if kind == "aws" and address == "accountId":
            return self._found(ACCOUNT_ID, location)
        if kind in _REMOTE:
            return _Missing(
                f"{kind}:{address} is read from {_REMOTE[kind]}, which apig-emu does not call", True
            )
        if kind == "sls":
            return _Missing(f"sls:{address} is not one of Serverless's values (sls:stage, sls:instanceId)")
        return _Missing(
            f"'{kind}' is not one of Serverless's own variable sources (a plugin's?), which apig-emu does not read",
            True,
        )

    def _found(self, value: str | bool, location: Location) -> _Found:
        return _Found(Item(value, location.file, location.line or 1))

    def _address(self, source: Reference, location: Location) -> str:
        if source.params is not None and source.kind not in ("file", "strToBool"):
            self.report.error(location, f"the variable source '{source.kind}' takes no parameters")
            raise _Reported
        return self._text(source.address, location) if source.address else ""

    def _option(self, name: str, location: Location) -> _Found | _Missing:
        if name == "stage":
            if self.inputs.stage is None:
                return _Missing("no stage was given on the command line (--stage)")
            return self._found(self.inputs.stage, location)
        value = self.inputs.options.get(name)
        if value is None:
            return _Missing(f"no --{name} option was given")
        return self._found(value, location)

    def _param(self, name: str) -> _Found | _Missing:
        for section in (self.stage(), "default"):
            found = self._walk(self.root, f"params.{section}.{name}", "serverless.yml")
            if isinstance(found, _Found):
                return found
        return _Missing(
            f"serverless.yml has no params.{self.stage()}.{name} or params.default.{name} (parameters kept "
            "in the Serverless Dashboard are not read)"
        )

    def _str_to_bool(self, source: Reference, location: Location) -> _Found:
        value = self._text(source.params[0], location).strip() if source.params else ""
        if value not in ("true", "false"):
            self.report.error(location, f"strToBool takes 'true' or 'false', got {value!r}")
            raise _Reported
        return _Found(Item(value == "true", location.file, location.line or 1))

    def _file(self, source: Reference, location: Location) -> _Found | _Missing:
        if not source.params:
            self.report.error(location, "file() needs the path of a file: ${file(./settings.yml):key}")
            raise _Reported
        written = self._text(source.params[0], location)
        path = self.inputs.service_dir / written
        if path.suffix.lower() in SCRIPT_SUFFIXES:
            self.report.error(
                location,
                f"${{file({written})}} names a script, whose exports Serverless would run it for; apig-emu runs "
                "no JavaScript",
                "put the values in a YAML or JSON file, or in the environment (${env:NAME})",
            )
            raise _Reported
        if not path.exists():
            return _Missing(f"there is no file {written} (looked for {path})")
        root = self._read_file(path)
        if root is None:
            raise _Reported
        address = self._text(source.address, location) if source.address else ""
        return self._walk(root, address, written)

    def _read_file(self, path: Path) -> Item | None:
        resolved = path.resolve()
        if resolved not in self._read:
            if path.suffix.lower() in (".yml", ".yaml", ".json"):
                self._read[resolved] = read_items(path, self.report, what="a file read by ${file(...)}")
            else:
                text = read_text(path, self.report)
                self._read[resolved] = None if text is None else Item(text, str(path), 1)
            self.files.append(path)
        return self._read[resolved]

    def _walk(self, root: Item, address: str, document: str) -> _Found | _Missing:
        """The value at a dotted address (``custom.list.0``) in a document, each step resolved on the way."""
        current = root
        where = ""
        for key in address.split(".") if address else []:
            resolved = self.resolve(current, where)
            if resolved is None:
                raise _Reported
            value = resolved.value
            if not isinstance(value, (dict, list)):
                return _Missing(f"{document} has no {address} ({where or 'its top'} is not a mapping)")
            child = lookup(value, key)
            if child is None:
                return _Missing(f"{document} has no {address}")
            current = child
            where = f"{where}.{key}" if where else key
        resolved = self.resolve(current, where)
        if resolved is None:
            raise _Reported
        if resolved.value is None:
            return _Missing(f"{address or 'the document'} in {document} is null")
        return _Found(resolved)


def _as_text(value: str | int | float | bool) -> str:
    """A scalar as it reads inside a text, as JavaScript writes it (``true``, ``3``, ``0.5``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _shown(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float, bool)):
        return _as_text(value)
    return "null" if value is None else "value"
