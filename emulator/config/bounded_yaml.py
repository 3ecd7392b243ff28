"""Parsing YAML within limits: how deep values nest, and how much aliases repeat.

PyYAML composes an alias (``*name``) as the very node its anchor (``&name``) holds, so a short file
can name a value that is enormous once walked: nine aliases of nine aliases of ... (a "billion
laughs") is a few hundred bytes, and whatever walks it (the definitions' reader, a mock body turned
into JSON) walks every repetition. Its composer also recurses once per level of nesting, so 100,000
``[`` end in a ``RecursionError``. Both are bounded here, while the document is composed, because
only then is the alias's own line known: every walk after it is then bounded too.

What an alias repeats is counted as if it were written out: every value (a scalar, list or mapping,
keys included) and every character of its scalars, the aliases inside it included.
"""

from __future__ import annotations

from collections.abc import Callable

import yaml
from yaml.events import AliasEvent, Event
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from emulator.config.errors import ConfigError
from emulator.model import Location

#: How deep values may nest, through aliases too. Definitions nest about eight levels and a JSON body
#: rarely twenty; PyYAML's composer and Python's own walks stay far from the recursion limit at 100.
MAX_DEPTH = 100
#: How many values aliases may repeat in one document: thousands of shared CORS blocks or mock items,
#: while the walks after parsing stay as cheap as for a file at the size limit.
MAX_REPEATED_VALUES = 100_000
#: How many characters of text aliases may repeat in one document: a long string repeated a million
#: times is a gigabyte of JSON body, not a definition.
MAX_REPEATED_CHARACTERS = 1_000_000


class LimitExceeded(Exception):
    """A document past one of the limits, at the value or alias that passed it."""

    def __init__(self, problem: str, event: Event) -> None:
        super().__init__(problem)
        self.problem = problem
        mark = event.start_mark
        self.line = None if mark is None else mark.line + 1
        self.column = None if mark is None else mark.column + 1


class BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses, at its line, a value nested too deep or an alias repeating too much."""

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self._depth = 0
        self._values = 0
        self._characters = 0
        #: For each node composed so far: (values, characters, levels) as if its aliases were written out.
        self._sizes: dict[int, tuple[int, int, int]] = {}

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        peek: Callable[[], Event] = self.peek_event
        event = peek()
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)  # PyYAML reports an undefined alias
            assert node is not None
            self._repeat(node, event)
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise LimitExceeded(
                f"values nest deeper than {MAX_DEPTH} levels here (a document may nest at most {MAX_DEPTH})",
                event,
            )
        node = super().compose_node(parent, index)
        self._depth -= 1
        assert node is not None
        self._sizes[id(node)] = _size(node, self._sizes)
        return node

    def _repeat(self, node: Node, event: AliasEvent) -> None:
        alias = f"the alias '*{event.anchor}'"
        size = self._sizes.get(id(node))
        if size is None:
            raise LimitExceeded(
                f"{alias} is inside the value it names (anchored at line {node.start_mark.line + 1}): "
                "a value cannot contain itself",
                event,
            )
        values, characters, levels = size
        if self._depth + levels > MAX_DEPTH:
            raise LimitExceeded(
                f"through {alias} here, values nest deeper than {MAX_DEPTH} levels (a document may nest "
                f"at most {MAX_DEPTH}, its aliases counted as if written out)",
                event,
            )
        self._values += values
        self._characters += characters
        if self._values > MAX_REPEATED_VALUES:
            raise LimitExceeded(
                f"aliases repeat too much: with {alias} here they repeat {self._values:,} values in this "
                f"document, over the limit of {MAX_REPEATED_VALUES:,}",
                event,
            )
        if self._characters > MAX_REPEATED_CHARACTERS:
            raise LimitExceeded(
                f"aliases repeat too much: with {alias} here they repeat {self._characters:,} characters "
                f"of text in this document, over the limit of {MAX_REPEATED_CHARACTERS:,}",
                event,
            )


def _size(node: Node, sizes: dict[int, tuple[int, int, int]]) -> tuple[int, int, int]:
    """(values, characters, levels) of a node whose children are all measured already."""
    if isinstance(node, ScalarNode):
        return 1, len(node.value), 1
    children: list[Node] = []
    if isinstance(node, SequenceNode):
        children = node.value
    elif isinstance(node, MappingNode):
        children = [child for pair in node.value for child in pair]
    values, characters, levels = 1, 0, 0
    for child in children:
        child_values, child_characters, child_levels = sizes[id(child)]
        values += child_values
        characters += child_characters
        levels = max(levels, child_levels)
    return values, characters, levels + 1


def limit_error(exc: LimitExceeded, source: str) -> ConfigError:
    """The error at the line and column where the document passed a limit."""
    return ConfigError(Location(source, line=exc.line, column=exc.column), exc.problem)
