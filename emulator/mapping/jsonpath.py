"""The JSONPath API Gateway evaluates: ``$input.path``/``$input.json``, and body mappings such as
``integration.response.body.a.b`` or ``method.request.body.items[0]``.

AWS runs Jayway's JsonPath, whose answer depends on the path's shape: a *definite* path (names and
single indexes only) gives the one value it reaches, or nothing; an *indefinite* one (``..``, ``*``,
a slice, a union of indexes) gives the list of every value it reaches, possibly empty. A union of
names (``['a','b']``) gives a map of those present, as Jayway does. Filters and functions are not
supported: they are refused when the path is compiled, with the position, rather than misread.

Paths are compiled once (``compile_path``, cached) so a template that evaluates the same path on every
request parses it once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_NAME_STOPS = frozenset(".[ \t\r\n")


class JsonPathError(ValueError):
    """A path that is not JSONPath, with where in it the problem is."""

    def __init__(self, path: str, position: int, problem: str) -> None:
        self.path = path
        self.position = position
        self.problem = problem
        super().__init__(f"JSONPath {path!r}, at character {position + 1}: {problem}")


#: One step: from a node, the nodes it leads to.
Step = Callable[[Any], Iterator[Any]]


@dataclass(frozen=True)
class JsonPath:
    """A compiled path; ``find`` applies it to a parsed JSON document."""

    text: str
    steps: tuple[Step, ...]
    definite: bool

    def find(self, document: Any) -> Any:
        """The value (definite path) or the list of values (indefinite).

        A definite path that reaches nothing gives ``None``, as a JSON ``null`` does: templates print both
        empty and compare both equal to ``$null`` (reference A.1).
        """
        nodes: list[Any] = [document]
        for step in self.steps:
            nodes = [found for node in nodes for found in step(node)]
            if not nodes and self.definite:
                return None
        if self.definite:
            return nodes[0]
        return nodes


@lru_cache(maxsize=1024)
def compile_path(text: str) -> JsonPath:
    """``$.a.b``, ``$['a']``, ``$.a[0]``, ``$.a[-1]``, ``$[*]``, ``$.*``, ``$..a``, ``$[0:2]``, ``$[0,2]``.

    Raises ``JsonPathError`` naming the position of what is not understood.
    """
    return _Parser(text).parse()


def body_path(expression: str) -> JsonPath:
    """The path of a body mapping's tail: ``a.b`` in ``integration.response.body.a.b`` is ``$.a.b``."""
    if expression.startswith("$"):
        return compile_path(expression)
    if expression.startswith("["):
        return compile_path("$" + expression)
    return compile_path("$." + expression)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.definite = True

    def fail(self, problem: str, position: int | None = None) -> JsonPathError:
        return JsonPathError(self.text, self.pos if position is None else position, problem)

    def parse(self) -> JsonPath:
        text = self.text.strip()
        self.text = text
        if not text.startswith("$"):
            raise self.fail("a path starts with '$'")
        self.pos = 1
        steps: list[Step] = []
        while self.pos < len(text):
            char = text[self.pos]
            if text.startswith("..", self.pos):
                self.pos += 2
                self.definite = False
                steps.append(_deep(self._after_deep()))
            elif char == ".":
                self.pos += 1
                steps.append(self._dot_member())
            elif char == "[":
                steps.append(self._bracket())
            else:
                raise self.fail(f"unexpected {char!r}; expected '.', '..' or '['")
        return JsonPath(text, tuple(steps), self.definite)

    def _after_deep(self) -> Step:
        if self.pos >= len(self.text):
            raise self.fail("'..' must be followed by a name, '*' or '['")
        if self.text[self.pos] == "[":
            return self._bracket()
        return self._dot_member()

    def _dot_member(self) -> Step:
        start = self.pos
        if self.pos < len(self.text) and self.text[self.pos] == "*":
            self.pos += 1
            self.definite = False
            return _children
        while self.pos < len(self.text) and self.text[self.pos] not in _NAME_STOPS:
            self.pos += 1
        name = self.text[start : self.pos]
        if not name:
            raise self.fail("a name is missing after '.'", start)
        if name.endswith(")"):
            raise self.fail(f"functions such as {name!r} are not supported", start)
        return _member(name)

    def _bracket(self) -> Step:
        opened = self.pos
        self.pos += 1
        self._spaces()
        if self.pos >= len(self.text):
            raise self.fail("'[' is not closed", opened)
        char = self.text[self.pos]
        if char == "?":
            raise self.fail("filter expressions ('[?(...)]') are not supported", opened)
        if char == "*":
            self.pos += 1
            self._close(opened)
            self.definite = False
            return _children
        if char in "'\"":
            names = [self._quoted()]
            while self._comma():
                names.append(self._quoted())
            self._close(opened)
            return _member(names[0]) if len(names) == 1 else _members(tuple(names))
        return self._indexes(opened)

    def _indexes(self, opened: int) -> Step:
        end = self.text.find("]", self.pos)
        if end < 0:
            raise self.fail("'[' is not closed", opened)
        inside = self.text[self.pos : end]
        start = self.pos
        self.pos = end + 1
        if ":" in inside:
            self.definite = False
            parts = [part.strip() for part in inside.split(":")]
            if len(parts) > 3:
                raise self.fail(f"a slice has at most three parts: {inside!r}", start)
            bounds = [self._int(part, start) if part else None for part in parts]
            return _slice(slice(*bounds))
        indexes = [self._int(part.strip(), start) for part in inside.split(",")]
        if len(indexes) > 1:
            self.definite = False
            return _items(tuple(indexes))
        return _item(indexes[0])

    def _int(self, text: str, where: int) -> int:
        try:
            return int(text)
        except ValueError:
            raise self.fail(
                f"expected an index, a quoted name, '*' or a slice, not {text!r}", where
            ) from None

    def _quoted(self) -> str:
        self._spaces()
        if self.pos >= len(self.text) or self.text[self.pos] not in "'\"":
            raise self.fail("expected a quoted name")
        quote = self.text[self.pos]
        start = self.pos
        self.pos += 1
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                chars.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            self.pos += 1
            if char == quote:
                self._spaces()
                return "".join(chars)
            chars.append(char)
        raise self.fail("the quoted name is not closed", start)

    def _comma(self) -> bool:
        self._spaces()
        if self.pos < len(self.text) and self.text[self.pos] == ",":
            self.pos += 1
            return True
        return False

    def _close(self, opened: int) -> None:
        self._spaces()
        if self.pos >= len(self.text) or self.text[self.pos] != "]":
            raise self.fail("expected ']'", opened if self.pos >= len(self.text) else None)
        self.pos += 1

    def _spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1


def _member(name: str) -> Step:
    def step(node: Any) -> Iterator[Any]:
        if isinstance(node, Mapping) and name in node:
            yield node[name]

    return step


def _members(names: tuple[str, ...]) -> Step:
    def step(node: Any) -> Iterator[Any]:
        if isinstance(node, Mapping):
            yield {name: node[name] for name in names if name in node}

    return step


def _is_list(node: Any) -> bool:
    return isinstance(node, Sequence) and not isinstance(node, (str, bytes))


def _item(index: int) -> Step:
    def step(node: Any) -> Iterator[Any]:
        if _is_list(node) and -len(node) <= index < len(node):
            yield node[index]

    return step


def _items(indexes: tuple[int, ...]) -> Step:
    def step(node: Any) -> Iterator[Any]:
        if _is_list(node):
            for index in indexes:
                if -len(node) <= index < len(node):
                    yield node[index]

    return step


def _slice(bounds: slice) -> Step:
    def step(node: Any) -> Iterator[Any]:
        if _is_list(node):
            yield from node[bounds]

    return step


def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, Mapping):
        yield from node.values()
    elif _is_list(node):
        yield from node


def _deep(inner: Step) -> Step:
    """``..x``: ``x`` applied to the node and to every node below it, in document order."""

    def step(node: Any) -> Iterator[Any]:
        stack = [node]
        while stack:
            current = stack.pop()
            yield from inner(current)
            stack.extend(reversed(list(_children(current))))

    return step
