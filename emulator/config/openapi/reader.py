"""Reading an OpenAPI document's nodes: typed values with their lines, warnings beside errors, ``$ref``s.

The YAML definitions' reader refuses keys it does not know; an OpenAPI document is full of keys API
Gateway ignores (``summary``, ``tags``, ``example``), so this one reads only what it is asked for,
and warns about the keys of AWS's own extensions that it does not support, as AWS's import warns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import unquote

from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from emulator.config.errors import ConfigError
from emulator.config.nodes import Field, Reader, did_you_mean, one_of

EXTENSION_PREFIX = "x-amazon-apigateway-"
#: A chain of references longer than this is taken for a loop.
_MAX_REFERENCES = 32
#: Data nested deeper than this (a schema, a policy) is refused, as a loop of references would be.
MAX_DEPTH = 64
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_STR = "tag:yaml.org,2002:str"
#: What ``plain`` makes of a ``$ref``: its target, the field holding it, and the depth there.
ReferenceHook = Callable[[str, Field, int], object]


class DocumentReader(Reader):
    """A ``Reader`` over one OpenAPI document that also collects warnings and follows references."""

    def __init__(self, file: str, root: Node) -> None:
        super().__init__(file)
        self.root = root
        self.warnings: list[ConfigError] = []

    def warn(self, field: Field, message: str) -> None:
        self.warnings.append(ConfigError(self.location(field), message))

    # Fast paths: an exported document has tens of thousands of values, nearly all plain. What is not
    # (merge keys, duplicates, tags, wrong shapes) takes the checked way, with its messages.

    def entries(self, field: Field) -> dict[str, Field] | None:
        node = field.node
        if node.__class__ is MappingNode and node.tag == _MAP:
            found: dict[str, Field] = {}
            prefix = f"{field.path}." if field.path else ""
            for key, value in node.value:
                if key.__class__ is not ScalarNode or key.tag != _STR or key.value in found:
                    break
                found[key.value] = Field(value, prefix + key.value, key.start_mark.line + 1)
            else:
                return found
        return super().entries(field)

    def string(self, field: Field) -> str | None:
        node = field.node
        if node.__class__ is ScalarNode and node.tag == _STR:
            return str(node.value)
        return super().string(field)

    def keys(self, field: Field, known: Iterable[str], *, what: str) -> dict[str, Field] | None:
        """A mapping's entries; a key outside ``known`` is warned about as ignored by ``what``."""
        entries = self.entries(field)
        if entries is None:
            return None
        allowed = tuple(known)
        for name, child in list(entries.items()):
            if name not in allowed:
                close = did_you_mean(name, allowed)
                self.warn(
                    child,
                    f"{what}: '{name}'{close} is not supported and is ignored; "
                    f"the keys read are {one_of(allowed)}",
                )
                del entries[name]
        return entries

    def resolved(self, field: Field) -> Field | None:
        """The value itself, or what its ``$ref`` points to (``#/components/...``), followed to the end."""
        seen: list[str] = []
        while isinstance(field.node, MappingNode):
            reference = _reference(field.node)
            if reference is None:
                return field
            pointer, reference_line = reference
            at = Field(field.node, field.child("$ref"), reference_line)
            if pointer in seen or len(seen) >= _MAX_REFERENCES:
                self.error(at, f"circular $ref: {' -> '.join([*seen, pointer])}")
                return None
            seen.append(pointer)
            target = self.pointed(at, pointer)
            if target is None:
                return None
            field = target
        return field

    def pointed(self, at: Field, pointer: str) -> Field | None:
        """The node a JSON pointer names in this document, as a field whose path is the pointer's keys."""
        if not pointer.startswith("#/"):
            self.error(
                at,
                f"$ref '{pointer}' points outside the document; API Gateway's import resolves "
                "references within it only ('#/components/...' or '#/definitions/...')",
            )
            return None
        node = self.root
        path = ""
        line = int(node.start_mark.line) + 1
        for raw in pointer[2:].split("/"):
            key = unquote(raw).replace("~1", "/").replace("~0", "~")
            found = _child(node, key)
            if found is None:
                self.error(
                    at, f"$ref '{pointer}' points to nothing: there is no '{key}' under '{path or '#'}'"
                )
                return None
            key_node, node = found
            path = f"{path}.{key}" if path else key
            line = int(key_node.start_mark.line) + 1
        return Field(node, path, line)

    def plain(self, field: Field, reference: ReferenceHook | None = None, depth: int = 0) -> object:
        """The value as plain JSON data; a ``$ref`` mapping is handed to ``reference`` if given."""
        node = field.node
        if depth > MAX_DEPTH and isinstance(node, (MappingNode, SequenceNode)):
            self.error(field, f"nested deeper than {MAX_DEPTH} levels")
            return None
        if isinstance(node, MappingNode):
            if reference is not None and (found := _reference(node)) is not None:
                return reference(found[0], field, depth)
            entries = self.entries(field) or {}
            return {name: self.plain(child, reference, depth + 1) for name, child in entries.items()}
        if isinstance(node, SequenceNode):
            return [self.plain(item, reference, depth + 1) for item in self.sequence(field) or []]
        if node.tag == _TIMESTAMP:
            return str(node.value)  # JSON has no dates: ``example: 2024-01-01`` stays text
        if not self._standard_tag(field):
            return None
        try:
            return self._constructor.construct_object(node)
        except (ConstructorError, ValueError) as exc:
            self.error(field, f"invalid value {node.value!r}: {exc}")
            return None

    def is_null(self, field: Field) -> bool:
        return self._is_null(field.node)

    def is_boolean(self, field: Field) -> bool:
        return isinstance(field.node, ScalarNode) and field.node.tag == "tag:yaml.org,2002:bool"


def _reference(node: MappingNode) -> tuple[str, int] | None:
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value == "$ref" and isinstance(value, ScalarNode):
            return str(value.value), int(key.start_mark.line) + 1
    return None


def _child(node: Node, key: str) -> tuple[Node, Node] | None:
    if isinstance(node, MappingNode):
        for key_node, value in node.value:
            if isinstance(key_node, ScalarNode) and str(key_node.value) == key:
                return key_node, value
        return None
    if isinstance(node.value, list) and key.isdigit() and int(key) < len(node.value):
        item = node.value[int(key)]
        return item, item
    return None
