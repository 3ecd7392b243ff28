"""JSON read into the YAML nodes the importer walks, each with its line, fast enough for a large document.

PyYAML reads JSON as YAML's flow style, but builds every token in Python: an API exported with a few
hundred paths took seconds, and it refuses the tabs JSON allows between tokens. Here the standard
library's C parser reads the document (keeping duplicate keys, so they can be reported), and one
regular expression finds every string in the text: the strings come in the same order as a walk of
the parsed document meets them, which gives each key and string its line. Numbers, literals and
collections take the line of the string before them, which is their key's in a mapping.
"""

from __future__ import annotations

import bisect
import json
import re

from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + kind for kind in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ = _TAG + "map", _TAG + "seq"
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


class JsonError(ValueError):
    """Where the text stops being JSON: ``line`` and ``column`` count from 1."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class _Pairs(list):  # type: ignore[type-arg]
    """An object's (key, value) pairs in order, duplicates kept; a list subclass, to tell from an array."""


class _Mark(Mark):
    """The part of PyYAML's ``Mark`` that readers use, the line (from 0), without the rest's cost."""

    def __init__(self, line: int) -> None:  # PyYAML's own takes six values, and the walk makes thousands
        self.line = line


def compose_json(text: str) -> Node:
    """The document's root node; raises ``JsonError``."""
    text = text.removeprefix("\ufeff")
    try:
        return _Builder(text).node(json.loads(text, object_pairs_hook=_Pairs))
    except json.JSONDecodeError as error:
        raise JsonError(error.msg, error.lineno, error.colno) from None
    except RecursionError:
        # Python's own stack, in the standard library's parser or in the walk after it.
        raise JsonError("nested too deeply", 1, 1) from None


class _Builder:
    """Nodes for the parsed values, in the order of the text, each string taking the next string's line.

    Nodes are made without their ``__init__`` (which PyYAML writes in Python): a large export has
    tens of thousands, and this is most of its reading time.
    """

    def __init__(self, text: str) -> None:
        newlines = [found.start() for found in re.finditer("\n", text)]
        shared: dict[int, _Mark] = {}
        marks = []
        for found in _STRING.finditer(text):
            line = bisect.bisect_right(newlines, found.start())
            mark = shared.get(line)
            if mark is None:
                mark = shared[line] = _Mark(line)
            marks.append(mark)
        self.take = iter(marks).__next__
        self.mark: Mark = marks[0] if marks else _Mark(0)

    def node(self, value: object) -> Node:
        if value.__class__ is str:
            self.mark = mark = self.take()
            return _scalar(_STR, value, mark, '"')
        if value.__class__ is _Pairs:
            pairs: list[tuple[Node, Node]] = []
            mapping = MappingNode(_MAP, pairs, self.mark, None, flow_style=True)
            for key, item in value:
                self.mark = mark = self.take()
                pairs.append((_scalar(_STR, key, mark, '"'), self.node(item)))
            return mapping
        if value.__class__ is list:
            return SequenceNode(_SEQ, [self.node(item) for item in value], self.mark, None, flow_style=True)
        if value is None:
            return _scalar(_NULL, "null", self.mark, None)
        if value.__class__ is bool:
            return _scalar(_BOOL, "true" if value else "false", self.mark, None)
        return _scalar(_INT if value.__class__ is int else _FLOAT, repr(value), self.mark, None)


_new = ScalarNode.__new__


def _scalar(tag: str, value: object, mark: Mark, style: str | None) -> ScalarNode:
    node = _new(ScalarNode)
    node.tag = tag
    node.value = value
    node.start_mark = mark
    node.end_mark = None
    node.style = style
    return node
