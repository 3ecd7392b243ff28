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
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


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
        data = json.loads(text, object_pairs_hook=_Pairs)
    except json.JSONDecodeError as error:
        raise JsonError(error.msg, error.lineno, error.colno) from None
    except RecursionError:
        raise JsonError("nested too deeply", 1, 1) from None
    return _Builder(text).node(data)


class _Builder:
    def __init__(self, text: str) -> None:
        newlines = [found.start() for found in re.finditer("\n", text)]
        #: The line (from 0) of each string of the text, in order.
        self.lines = [bisect.bisect_right(newlines, found.start()) for found in _STRING.finditer(text)]
        self.next = 0
        self.marks: dict[int, _Mark] = {0: _Mark(0)}
        self.mark = self.marks[0]

    def advance(self) -> _Mark:
        """The mark of the next string in the text, which is the next one the walk meets."""
        line = self.lines[self.next]
        self.next += 1
        mark = self.marks.get(line)
        if mark is None:
            mark = self.marks[line] = _Mark(line)
        self.mark = mark
        return mark

    def node(self, value: object) -> Node:
        if isinstance(value, str):
            return ScalarNode(_STR, value, self.advance(), None, style='"')
        if isinstance(value, _Pairs):
            pairs: list[tuple[Node, Node]] = []
            mapping = MappingNode(_MAP, pairs, self.mark, None, flow_style=True)
            for key, item in value:
                pairs.append((ScalarNode(_STR, key, self.advance(), None, style='"'), self.node(item)))
            return mapping
        if isinstance(value, list):
            return SequenceNode(_SEQ, [self.node(item) for item in value], self.mark, None, flow_style=True)
        if value is None:
            return ScalarNode(_NULL, "null", self.mark, None)
        if isinstance(value, bool):
            return ScalarNode(_BOOL, "true" if value else "false", self.mark, None)
        return ScalarNode(_INT if isinstance(value, int) else _FLOAT, repr(value), self.mark, None)
