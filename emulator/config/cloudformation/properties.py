"""A resource's properties as a reader wants them: resolved when read, typed, each error at its line.

CloudFormation converts what it is given: ``Timeout: "30"`` (what a ``Number`` parameter's ``Ref``
gives) is 30, ``ApiKeyRequired: "true"`` is true; so do these readers. A property the emulator has
no use for is warned about by name and line (``unsupported``), never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from emulator.config.cloudformation.document import TemplatePath
from emulator.config.cloudformation.intrinsics import is_intrinsic
from emulator.config.cloudformation.template import Template
from emulator.model import Location

_MISSING = object()


class Properties:
    """A mapping of a template (a resource's ``Properties``, or a mapping inside them), read key by key."""

    def __init__(
        self,
        template: Template,
        path: TemplatePath,
        raw: Mapping[str, Any],
        shared: tuple[TemplatePath, Mapping[str, Any]] | None = None,
    ) -> None:
        """``shared``: where the values ``raw`` took from elsewhere (SAM's ``Globals``) are, and those values.

        A key of ``raw`` that is one of them and not in the template at ``path`` is at the shared path.
        """
        self.template = template
        self.path = path
        self.raw = raw
        self.shared = shared

    def __contains__(self, name: str) -> bool:
        return name in self.raw

    def names(self) -> Iterable[str]:
        return self.raw.keys()

    def at(self, name: str) -> TemplatePath:
        if self.shared is not None and name in self.shared[1] and not self._written_here(name):
            return (*self.shared[0], name)
        return (*self.path, name)

    def _written_here(self, name: str) -> bool:
        written = self.template.document.at(self.path)
        return isinstance(written, dict) and name in written

    def location(self, name: str | None = None) -> Location:
        return self.template.location(self.path if name is None else self.at(name))

    def error(self, name: str | None, message: str, hint: str | None = None) -> None:
        self.template.error(self.path if name is None else self.at(name), message, hint)

    def warn(self, name: str | None, message: str) -> None:
        self.template.warn(self.path if name is None else self.at(name), message)

    def value(self, name: str, default: Any = None) -> Any:
        """The property resolved; ``default`` when absent or unresolvable (reported)."""
        raw = self.raw.get(name, _MISSING)
        if raw is _MISSING:
            return default
        return self.template.value(raw, self.at(name), default)

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.value(name, _MISSING)
        if value is _MISSING or value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        self.error(name, f"{name} must be a string, got {_shape(value)}")
        return default

    def integer(self, name: str, low: int, high: int | None = None, default: int | None = None) -> int | None:
        value = self.value(name, _MISSING)
        if value is _MISSING or value is None:
            return default
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            number = int(value)
        within = f"from {low} to {high}" if high is not None else f"of at least {low}"
        if number is None or number < low or (high is not None and number > high):
            self.error(name, f"{name} must be an integer {within}, got {value!r}")
            return default
        return number

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.value(name, _MISSING)
        if value is _MISSING or value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.error(name, f"{name} must be true or false, got {value!r}")
        return default

    def mapping(self, name: str) -> Properties | None:
        """A nested mapping, its own values resolved when read; ``None`` when absent or not a mapping."""
        raw = self.raw.get(name, _MISSING)
        if raw is _MISSING or raw is None:
            return None
        if is_intrinsic(raw):
            raw = self.template.value(raw, self.at(name))
            if raw is None:
                return None
        if not isinstance(raw, dict):
            self.error(name, f"{name} must be a mapping, got {_shape(raw)}")
            return None
        shared = None
        if self.shared is not None and isinstance(self.shared[1].get(name), dict):
            shared = ((*self.shared[0], name), self.shared[1][name])
        return Properties(self.template, self.at(name), raw, shared)

    def strings(self, name: str) -> list[str]:
        """A list of strings (or one string, as several properties accept)."""
        value = self.value(name, _MISSING)
        if value is _MISSING or value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(item, (str, int, float)) for item in value):
            return [str(item) for item in value]
        self.error(name, f"{name} must be a list of strings, got {_shape(value)}")
        return []

    def entries(self) -> Iterator[tuple[str, Properties]]:
        """Each value that is a mapping, by key (a map of named things: ``Authorizers``, ``Events``)."""
        for key in self.raw:
            found = self.mapping(key)
            if found is not None:
                yield key, found

    def unsupported(self, names: Iterable[str], why: str) -> None:
        """A warning for each of ``names`` present: read by AWS, not by the emulator (yet)."""
        for name in names:
            if name in self.raw:
                self.warn(name, f"{name} is not emulated and is ignored: {why}")


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)
