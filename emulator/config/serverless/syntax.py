"""Serverless's variable syntax: ``${source:address, fallback, ...}`` inside a string, parsed into parts.

As Serverless v3 reads it: a variable starts with ``${`` and a source type (a lower-case name followed
by ``:`` or by parameters in parentheses, ``file(./x.yml)``); an address may itself hold variables
(``${self:custom.${opt:stage}}``); the sources after the first are fallbacks, each another source
(``self:provider.stage``, ``${env:X}``) or a literal (``'dev'``, ``"dev"``, ``3``, ``true``, ``null``).
Anything else in ``${...}`` belongs to someone else and stays as written: CloudFormation's
``${AWS::Region}`` in an ``Fn::Sub``, API Gateway's ``${stageVariables.name}``.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.config.serverless.items import Scalar

_TYPE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_LITERAL_CHARS = _TYPE_CHARS | frozenset(".-")


@dataclass(frozen=True)
class Literal:
    value: Scalar


@dataclass(frozen=True)
class Reference:
    """``kind:address`` or ``kind(params):address``; ``params`` is ``None`` without parentheses."""

    kind: str
    params: tuple[Template, ...] | None
    address: Template | None


Source = Literal | Reference


@dataclass(frozen=True)
class Variable:
    sources: tuple[Source, ...]
    #: As written, ``${...}`` included, for messages.
    written: str


#: A string's parts: text as written, and variables. ``Template(())`` is the empty string.
Template = tuple["str | Variable", ...]


class SyntaxProblem(ValueError):
    """A malformed variable; ``str()`` says what and where, in a sentence that can follow a colon."""


def parse(text: str) -> Template:
    """The parts of ``text``; a text without variables is one part. Raises ``SyntaxProblem``."""
    parts, end = _Parser(text).template(0, stops="")
    assert end == len(text)
    return parts


def has_variables(text: str) -> bool:
    return "${" in text


def only_variable(template: Template) -> Variable | None:
    """The variable a whole value is, whose result keeps its type (a mapping, a number…), else ``None``."""
    if len(template) == 1 and isinstance(template[0], Variable):
        return template[0]
    return None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text

    def problem(self, message: str, at: int) -> SyntaxProblem:
        return SyntaxProblem(f"{message} at character {at + 1} of {self.text!r}")

    def template(self, start: int, *, stops: str) -> tuple[Template, int]:
        """Text and variables from ``start`` up to one of ``stops`` outside any variable (or the end)."""
        parts: list[str | Variable] = []
        text: list[str] = []
        index = start
        while index < len(self.text):
            char = self.text[index]
            if char in stops:
                break
            if self.text.startswith("${", index):
                variable, end = self.variable(index)
                if variable is None:
                    text.append(self.text[index:end])
                else:
                    if text:
                        parts.append("".join(text))
                        text = []
                    parts.append(variable)
                index = end
                continue
            text.append(char)
            index += 1
        if text:
            parts.append("".join(text))
        return tuple(parts), index

    def variable(self, start: int) -> tuple[Variable | None, int]:
        """The variable at ``start`` (``${``) and the index after it; ``None`` for a foreign ``${...}``."""
        index = start + 2
        name_end = self._name_end(index)
        if name_end == index or not self.text[index].islower() or self._at(name_end) not in (":", "("):
            return None, self._foreign_end(start)
        first, index = self.reference(index)
        sources: list[Source] = [first]
        while True:
            index = self._skip_spaces(index)
            char = self._at(index)
            if char == "}":
                return Variable(tuple(sources), self.text[start : index + 1]), index + 1
            if char != ",":
                if not char:
                    raise self.problem("missing the closing '}' of the variable", start)
                raise self.problem(f"unexpected {char!r} in the variable", index)
            source, index = self.fallback(self._skip_spaces(index + 1), start)
            sources.append(source)

    def reference(self, index: int) -> tuple[Reference, int]:
        """``kind:address`` or ``kind(params)[:address]`` at ``index``."""
        name_end = self._name_end(index)
        kind = self.text[index:name_end]
        index = name_end
        params: tuple[Template, ...] | None = None
        if self._at(index) == "(":
            params, index = self.params(index + 1)
        address: Template | None = None
        if self._at(index) == ":":
            index = self._skip_spaces(index + 1)
            if self._at(index) in ("'", '"'):
                literal, index = self.quoted(index)
                address = (literal,)
            else:
                parts, index = self.template(index, stops=",}")
                address = _stripped(parts)
        return Reference(kind, params, address), index

    def params(self, index: int) -> tuple[tuple[Template, ...], int]:
        params: list[Template] = []
        while True:
            index = self._skip_spaces(index)
            char = self._at(index)
            if char == ")":
                return tuple(params), index + 1
            if not char:
                raise self.problem("missing the closing ')' of the parameters", index)
            if char in ("'", '"'):
                literal, index = self.quoted(index)
                params.append((literal,))
            else:
                parts, index = self.template(index, stops=",)}")
                if self._at(index) == "}":
                    raise self.problem("missing the closing ')' of the parameters", index)
                params.append(_stripped(parts))
            index = self._skip_spaces(index)
            if self._at(index) == ",":
                index += 1

    def fallback(self, index: int, start: int) -> tuple[Source, int]:
        """A source after a comma: a quoted or bare literal, another source, or a nested variable."""
        char = self._at(index)
        if char in ("'", '"'):
            text, index = self.quoted(index)
            return Literal(text), index
        if self.text.startswith("${", index):
            variable, end = self.variable(index)
            if variable is None:
                raise self.problem("a fallback must be a variable or a literal", index)
            if len(variable.sources) == 1:
                return variable.sources[0], end
            raise self.problem("write a nested variable's fallbacks in the outer one", index)
        name_end = self._name_end(index)
        if name_end > index and self._at(name_end) in (":", "("):
            return self.reference(index)
        literal_end = index
        while self._at(literal_end) in _LITERAL_CHARS and self._at(literal_end):
            literal_end += 1
        word = self.text[index:literal_end]
        if not word:
            raise self.problem("missing a fallback after ','", index)
        value = _literal(word)
        if value is _NOT_LITERAL:
            raise self.problem(
                f"the fallback {word!r} is neither a source (like self:custom.x) nor a literal; "
                f"quote a text: '{word}'",
                index,
            )
        return Literal(value), literal_end  # type: ignore[arg-type]

    def quoted(self, index: int) -> tuple[str, int]:
        quote = self.text[index]
        chars: list[str] = []
        position = index + 1
        while position < len(self.text):
            char = self.text[position]
            if char == quote:
                return "".join(chars), position + 1
            if char == "\\" and quote == '"' and position + 1 < len(self.text):
                position += 1
                char = self.text[position]
            chars.append(char)
            position += 1
        raise self.problem(f"missing the closing {quote} of a quoted text", index)

    def _name_end(self, index: int) -> int:
        while self._at(index) and self._at(index) in _TYPE_CHARS:
            index += 1
        return index

    def _foreign_end(self, start: int) -> int:
        """The end of a ``${...}`` that is not Serverless's, its own nested braces included."""
        depth = 0
        index = start + 1
        while index < len(self.text):
            char = self.text[index]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    return index + 1
            index += 1
        return len(self.text)

    def _skip_spaces(self, index: int) -> int:
        while self._at(index) == " ":
            index += 1
        return index

    def _at(self, index: int) -> str:
        return self.text[index] if index < len(self.text) else ""


_NOT_LITERAL = object()


def _literal(word: str) -> object:
    if word in ("true", "false"):
        return word == "true"
    if word == "null":
        return None
    try:
        number = float(word)
    except ValueError:
        return _NOT_LITERAL
    return int(number) if number.is_integer() and "." not in word else number


def _stripped(parts: Template) -> Template:
    """An address or parameter without the spaces around it, as Serverless trims them."""
    if not parts:
        return parts
    items = list(parts)
    if isinstance(items[0], str):
        items[0] = items[0].lstrip()
    if isinstance(items[-1], str):
        items[-1] = items[-1].rstrip()
    return tuple(item for item in items if item != "")
