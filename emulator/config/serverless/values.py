"""Typed reading of serverless.yml's settings, each resolved when read and checked with its key path and line.

Unlike the emulator's own YAML, a serverless.yml holds many keys that mean nothing locally (``iam``,
``vpc``, ``package``, ``resources``): only the settings read here are resolved and checked, and where
a section is read whole (an http event), a key Serverless would not know is warned about, as
Serverless's own configuration validation warns.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from emulator.config.nodes import did_you_mean, one_of
from emulator.config.serverless.items import Intrinsic, Item, intrinsic
from emulator.config.serverless.report import Report
from emulator.config.serverless.variables import Resolver
from emulator.model import Location

#: Deeper than this, data built from variables is taken for a value that includes itself.
MAX_DEPTH = 100


@dataclass(frozen=True)
class At:
    """A value at a key path of the configuration."""

    item: Item
    path: str

    def child(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key


class Values:
    """Reads the items of one serverless.yml through its resolver; problems go to its report."""

    def __init__(self, resolver: Resolver, report: Report) -> None:
        self.resolver = resolver
        self.report = report

    def location(self, at: At) -> Location:
        return Location(at.item.file, at.path, at.item.line)

    def error(self, at: At, message: str, hint: str | None = None) -> None:
        self.report.error(self.location(at), message, hint)

    def warn(self, at: At, message: str, hint: str | None = None) -> None:
        self.report.warn(self.location(at), message, hint)

    def value(self, at: At) -> Item | None:
        """The item with its variables resolved; ``None`` when they cannot be (reported)."""
        return self.resolver.resolve(at.item, at.path)

    def is_null(self, at: At) -> bool:
        item = self.value(at)
        return item is not None and item.value is None

    # Collections

    def entries(self, at: At) -> dict[str, At] | None:
        """A mapping's entries; null is an empty mapping."""
        item = self.value(at)
        if item is None:
            return None
        if item.value is None:
            return {}
        if isinstance(item.value, dict) and intrinsic(item) is None:
            return {key: At(child, at.child(key)) for key, child in item.value.items()}
        self.expected(at, item, "a mapping")
        return None

    def keys(self, at: At, known: Iterable[str], *, what: str) -> dict[str, At] | None:
        """A mapping's entries; one Serverless would not know is warned about and left out."""
        entries = self.entries(at)
        if entries is None:
            return None
        allowed = tuple(known)
        for key, child in list(entries.items()):
            if key not in allowed:
                self.warn(
                    child,
                    f"unknown key '{key}' in {what}{did_you_mean(key, allowed)}; it is ignored "
                    f"(the keys are: {one_of(allowed)})",
                )
                del entries[key]
        return entries

    def items(self, at: At) -> list[At] | None:
        """A list's items; null is an empty list."""
        item = self.value(at)
        if item is None:
            return None
        if item.value is None:
            return []
        if isinstance(item.value, list):
            return [At(child, at.child(index)) for index, child in enumerate(item.value)]
        self.expected(at, item, "a list")
        return None

    # Scalars

    def string(self, at: At) -> str | None:
        item = self.value(at)
        if item is None:
            return None
        if isinstance(item.value, str):
            return item.value
        self.expected(at, item, "a string")
        return None

    def text(self, at: At) -> str | None:
        """A string, number or boolean as the text Lambda or API Gateway would hold (``true``, ``3``)."""
        item = self.value(at)
        if item is None:
            return None
        value = item.value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        self.expected(at, item, "a string, number or boolean")
        return None

    def boolean(self, at: At) -> bool | None:
        item = self.value(at)
        if item is None:
            return None
        if isinstance(item.value, bool):
            return item.value
        hint = None
        if isinstance(item.value, str) and item.value.lower() in ("true", "false"):
            hint = "a variable gives text; ${strToBool(...)} turns 'true' or 'false' into a boolean"
        self.expected(at, item, "true or false", hint)
        return None

    def integer(self, at: At, low: int, high: int) -> int | None:
        item = self.value(at)
        if item is None:
            return None
        value = item.value
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)  # a variable's text, as Serverless's schema coerces it
        if isinstance(value, int) and not isinstance(value, bool):
            if low <= value <= high:
                return value
            self.error(at, f"expected an integer from {low} to {high}, got {value}")
            return None
        self.expected(at, item, f"an integer from {low} to {high}")
        return None

    def number(self, at: At, low: float, high: float) -> float | None:
        item = self.value(at)
        if item is None:
            return None
        value = item.value
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = float(value)  # a variable's text, as Serverless's schema coerces it
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if low <= value <= high:
                return float(value)
            self.error(at, f"expected a number from {low:g} to {high:g}, got {value}")
            return None
        self.expected(at, item, f"a number from {low:g} to {high:g}")
        return None

    def plain(self, at: At, depth: int = 0) -> object:
        """The value and everything under it resolved, as plain data (a JSON schema, a policy)."""
        item = self.value(at)
        if item is None:
            return None
        if depth > MAX_DEPTH:
            self.error(
                at,
                f"nested deeper than {MAX_DEPTH} levels: does a value include itself through ${{self:...}}?",
            )
            return None
        value = item.value
        if isinstance(value, Intrinsic):
            return {value.name: self.plain(At(value.argument, at.path), depth + 1)}
        if isinstance(value, dict):
            return {key: self.plain(At(child, at.child(key)), depth + 1) for key, child in value.items()}
        if isinstance(value, list):
            return [self.plain(At(child, at.child(index)), depth + 1) for index, child in enumerate(value)]
        return value

    def expected(self, at: At, item: Item, what: str, hint: str | None = None) -> None:
        self.error(at, f"expected {what}, got {describe(item)}", hint)


def describe(item: Item) -> str:
    """How a message names a value of the wrong kind."""
    function = intrinsic(item)
    if function is not None:
        return f"CloudFormation's {function.name} (resolved by CloudFormation when deployed, not locally)"
    value = item.value
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)
