"""Typed access to YAML nodes, recording an error with key path and line for every value of the wrong shape.

Reading nodes rather than ``yaml.safe_load``'s plain objects is what lets every message name a line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from emulator.config.bounded_yaml import BoundedLoader, LimitExceeded
from emulator.config.errors import HINT, ConfigError
from emulator.model import Location

_STANDARD_TAG = "tag:yaml.org,2002:"
_MERGE_TAG = _STANDARD_TAG + "merge"
_NULL_TAG = _STANDARD_TAG + "null"
#: Marks a value whose problem is already reported, so the caller does not report it again.
_REPORTED = object()
#: ``handler:app.handler``: YAML reads a colon without a space after it as part of a text.
_KEY_WITHOUT_SPACE = re.compile(r"([A-Za-z_][\w.-]*):(\S.*)")


@dataclass(frozen=True)
class Field:
    """A YAML value with the key path and line that an error about it should name.

    For a mapping's value the line is its key's: a block mapping or list starts on the next line,
    but the user looks for the key.
    """

    node: Node
    path: str
    line: int

    def child(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name


def root_field(node: Node) -> Field:
    return Field(node, "", _line(node))


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def where(location: Location) -> str:
    """``file:line`` for naming another definition inside a message."""
    return location.file if location.line is None else f"{location.file}:{location.line}"


def one_of(names: Sequence[str]) -> str:
    return ", ".join(sorted(names))


def did_you_mean(name: str, names: Sequence[str]) -> str:
    """A suggestion for a misspelt name; AWS's camelCase (``requestTemplates``) finds the snake_case key."""
    spelt = _spelling(name)
    same = [candidate for candidate in names if _spelling(candidate) == spelt]
    close = same or difflib.get_close_matches(name, names, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _spelling(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


class Reader:
    """Reads the nodes of one file and collects the errors found in it."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[ConfigError] = []
        #: The files its values name that are read once, when loading (templates, models): sources of the
        #: definitions like the file itself, so hot reload redeploys when one changes.
        self.named_files: list[Path] = []
        self._constructor = SafeConstructor()

    def location(self, field: Field) -> Location:
        return Location(self.file, field.path, field.line)

    def error(self, field: Field, message: str, hint: str | None = None) -> None:
        notes = (HINT + hint,) if hint else ()
        self.errors.append(ConfigError(self.location(field), message, notes))

    def expected(self, field: Field, what: str) -> None:
        self.error(field, f"expected {what}, got {self._describe(field.node)}", _shape_hint(field.node, what))

    # Collections

    def entries(self, field: Field) -> dict[str, Field] | None:
        """Every key of a mapping whose keys are names chosen by the user; null counts as empty."""
        node = field.node
        if self._is_null(node):
            return {}
        if not isinstance(node, MappingNode):
            self.expected(field, "a mapping")
            return None
        if not self._standard_tag(field):
            return None
        return {
            name: Field(value, field.child(name), _line(key))
            for name, (key, value) in self._pairs(field, node, set()).items()
        }

    def mapping(
        self, field: Field, *, required: Sequence[str] = (), optional: Sequence[str] = ()
    ) -> dict[str, Field] | None:
        """A mapping with a fixed set of keys; unknown keys are reported and left out."""
        entries = self.entries(field)
        if entries is None:
            return None
        allowed = (*required, *optional)
        #: Keys written without the space after their colon, whose absence is already explained.
        glued: set[str] = set()
        for name, child in list(entries.items()):
            if name not in allowed:
                key, colon, value = name.partition(":")
                if colon and key in allowed:
                    glued.add(key)
                    hint = f"a key needs a space after its colon: '{key}: {value}'"
                    self.error(child, f"unknown key '{name}'; expected one of {one_of(allowed)}", hint)
                else:
                    close = did_you_mean(name, allowed)
                    self.error(child, f"unknown key '{name}'{close}; expected one of {one_of(allowed)}")
                del entries[name]
        for name in required:
            if name not in entries and name not in glued:
                self.error(field, f"missing required key '{name}'")
        return entries

    def sequence(self, field: Field) -> list[Field] | None:
        node = field.node
        if self._is_null(node):
            return []
        if not isinstance(node, SequenceNode):
            self.expected(field, "a list")
            return None
        if not self._standard_tag(field):
            return None
        return [Field(item, f"{field.path}[{index}]", _line(item)) for index, item in enumerate(node.value)]

    def _pairs(self, field: Field, node: MappingNode, merging: set[int]) -> dict[str, tuple[Node, Node]]:
        """Key name -> (key, value), applying ``<<`` merge keys the way ``yaml.safe_load`` does."""
        merged: dict[str, tuple[Node, Node]] = {}
        explicit: dict[str, tuple[Node, Node]] = {}
        merging.add(id(node))
        for key, value in node.value:
            if key.tag == _MERGE_TAG:
                sources = value.value if isinstance(value, SequenceNode) else [value]
                # Earlier sources win, as in PyYAML.
                for source in reversed(sources):
                    if not isinstance(source, MappingNode):
                        self.error(
                            Field(source, field.path, _line(source)),
                            "a merge key '<<' takes a mapping or a list of mappings",
                        )
                    elif id(source) not in merging:
                        merged.update(self._pairs(field, source, merging))
                continue
            if not isinstance(key, ScalarNode):
                self.error(Field(key, field.path, _line(key)), "a key must be a plain name")
                continue
            name = str(key.value)
            if name in explicit:
                first = _line(explicit[name][0])
                self.error(
                    Field(key, field.child(name), _line(key)),
                    f"duplicate key '{name}' (first at line {first})",
                )
                continue
            explicit[name] = (key, value)
        merging.discard(id(node))
        return {**merged, **explicit}

    # Scalars

    def string(self, field: Field) -> str | None:
        value = self._scalar(field)
        if isinstance(value, str):
            return value
        if value is not _REPORTED:
            self.expected(field, "a string")
        return None

    def name(self, field: Field) -> str | None:
        """A scalar as written, the way keys are read, so ``stage: 2024`` matches a ``2024:`` key."""
        value = self._scalar(field)
        if value is _REPORTED:
            return None
        if value is None or not isinstance(field.node, ScalarNode):
            self.expected(field, "a name")
            return None
        return str(field.node.value)

    def text(self, field: Field) -> str | None:
        """A scalar as the string Lambda and API Gateway would hold (booleans in lower case)."""
        value = self._scalar(field)
        if value is _REPORTED:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        if value is None or not isinstance(field.node, ScalarNode):
            self.expected(field, "a string, number or boolean")
            return None
        return str(field.node.value)

    def boolean(self, field: Field, *, what: str = "true or false") -> bool | None:
        value = self._scalar(field)
        if isinstance(value, bool):
            return value
        if value is not _REPORTED:
            self.expected(field, what)
        return None

    def integer(self, field: Field, low: int, high: int | None = None) -> int | None:
        value = self._scalar(field)
        what = f"an integer from {low} to {high}" if high is not None else f"an integer of at least {low}"
        if isinstance(value, int) and not isinstance(value, bool):
            if low <= value and (high is None or value <= high):
                return value
            self.error(field, f"expected {what}, got {value}")
        elif value is not _REPORTED:
            self.expected(field, what)
        return None

    def number(self, field: Field, low: float, high: float) -> float | None:
        value = self._scalar(field)
        what = f"a number from {low:g} to {high:g}"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if low <= value <= high:
                return float(value)
            self.error(field, f"expected {what}, got {value}")
        elif value is not _REPORTED:
            self.expected(field, what)
        return None

    def strings(self, field: Field, *, comma_separated: bool = False) -> list[tuple[str, Field]] | None:
        """Strings of a list, each with its own field; optionally also ``"a, b"`` as HTTP headers write it."""
        if comma_separated and isinstance(field.node, ScalarNode) and not self._is_null(field.node):
            value = self.string(field)
            if value is None:
                return None
            return [(part.strip(), field) for part in value.split(",") if part.strip()]
        items = self.sequence(field)
        if items is None:
            return None
        result: list[tuple[str, Field]] = []
        for item in items:
            value = self.string(item)
            if value is not None:
                result.append((value, item))
        return result

    def _scalar(self, field: Field) -> object:
        """The constructed value of a scalar, the node itself for a collection, or ``_REPORTED``."""
        node = field.node
        if not isinstance(node, ScalarNode):
            return node
        if not self._standard_tag(field):
            return _REPORTED
        try:
            return self._constructor.construct_object(node)
        except (ConstructorError, ValueError) as exc:
            self.error(field, f"invalid value {node.value!r}: {exc}")
            return _REPORTED

    def _standard_tag(self, field: Field) -> bool:
        tag = field.node.tag
        if tag.startswith(_STANDARD_TAG):
            return True
        self.error(
            field,
            f"unsupported YAML tag '{tag}'; the definitions are plain YAML "
            "(CloudFormation functions such as !Ref or !Sub are not evaluated)",
        )
        return False

    def _is_null(self, node: Node) -> bool:
        return isinstance(node, ScalarNode) and node.tag == _NULL_TAG

    def _describe(self, node: Node) -> str:
        if isinstance(node, MappingNode):
            return "a mapping"
        if isinstance(node, SequenceNode):
            return "a list"
        if self._is_null(node):
            return "nothing (null)"
        if node.tag == _STANDARD_TAG + "str":
            return repr(node.value)
        return str(node.value)


def _shape_hint(node: Node, what: str) -> str | None:
    """The fix for a value of the wrong shape, when the YAML shows which slip made it so."""
    if isinstance(node, MappingNode) and node.flow_style and "mapping" not in what:
        implicit = all(
            isinstance(value, ScalarNode) and value.tag == _NULL_TAG and not value.value
            for _, value in node.value
        )
        if implicit and node.value:
            written = "{" + ", ".join(str(key.value) for key, _ in node.value) + "}"
            return f'braces make a YAML mapping; quote a value that holds them: "{written}"'
    if not isinstance(node, ScalarNode):
        return None
    if what == "a mapping" and node.style is None and (match := _KEY_WITHOUT_SPACE.fullmatch(node.value)):
        return f"a key needs a space after its colon: '{match.group(1)}: {match.group(2)}'"
    if node.style in ('"', "'"):
        # Within the limits: quoted text may be anything, even a thousand '['.
        try:
            unquoted = yaml.compose(node.value, Loader=BoundedLoader)
        except (yaml.YAMLError, LimitExceeded):
            return None
        tag = unquoted.tag if isinstance(unquoted, ScalarNode) else ""
        fits = {"bool": ("true",), "int": ("integer", "number"), "float": ("number",)}
        if any(kind in what for kind in fits.get(tag.removeprefix(_STANDARD_TAG), ())):
            return f"in quotes it is a string; write it without them: {node.value}"
    return None
