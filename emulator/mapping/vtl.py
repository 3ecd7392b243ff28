"""Velocity templates as API Gateway runs them: compiled once, rendered with a request's variables.

The engine is airspeed-ext (LocalStack's fork of airspeed, installed as the module ``airspeed``). It is
already quiet about null references and takes AWS's ``#set($m[$k] = v)``; ``vtl_dialect`` aligns the
rest with what AWS's Java engine prints and compares (``{k=v}`` maps, JSON lists, ``null == ""``) and
bounds ``#foreach``. A template is parsed once per text (a deployment's templates are compiled when it is
built, and a reload reuses every unchanged one); rendering never parses.

Templates that need no engine (``velocity.static_text``) never reach it: their text is the answer.
The others render through ``vtl_compiled``, airspeed's parsed tree turned into closures once when
parsed (the same semantics at a fraction of the cost per request); airspeed renders what it leaves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from emulator.velocity import static_text

_EXPECTED = re.compile(
    r"^line \d+, column \d+: expected (?P<expected>.*) in (?P<element>[a-z ]+), got: (?P<got>.*) \.\.\.$",
    re.S,
)


class TemplateSyntaxError(ValueError):
    """A template that does not parse: where (line and column inside the template) and what was expected."""

    def __init__(self, line: int, column: int, problem: str) -> None:
        self.line = line
        self.column = column
        self.problem = problem
        super().__init__(f"line {line}, column {column}: {problem}")


class TemplateRenderError(Exception):
    """A template that failed while rendering; AWS answers 500 and its execution log says why."""

    def __init__(self, line: int, problem: str) -> None:
        self.line = line
        self.problem = problem
        super().__init__(f"line {line}: {problem}")


class Template:
    """One mapping template, parsed; ``render`` is safe to call from many requests at once."""

    __slots__ = ("_failed", "_fast", "_root", "_scope", "static", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        #: The output of a template that needs no engine; ``None`` when it does.
        self.static = static_text(text)
        self._root: Any = None
        self._fast: Callable[[Any], str] | None = None
        if self.static is None:
            airspeed = _engine()
            from emulator.mapping.vtl_dialect import Scope

            self._scope = Scope
            self._failed = airspeed.TemplateExecutionError
            compiled = airspeed.Template(text)
            try:
                compiled.ensure_compiled()
            except airspeed.TemplateSyntaxError as error:
                raise TemplateSyntaxError(error.line, error.column, _problem(str(error))) from None
            self._root = compiled
            from emulator.mapping.vtl_compiled import compile_root

            self._fast = compile_root(compiled)

    def render(self, variables: Mapping[str, Any]) -> str:
        """The text for these variables (``$input``, ``$context``, ``$util``, ``$stageVariables``…)."""
        if self.static is not None:
            return self.static
        try:
            # The template's own scope, over the variables: names found without an exception each.
            if self._fast is not None:
                return self._fast(self._scope(variables))
            return str(self._root.merge(self._scope(variables)))
        except self._failed as error:
            line = self.text.count("\n", 0, error.start) + 1
            cause = error.__cause__
            problem = f"{type(cause).__name__}: {cause}" if cause is not None else str(error)
            raise TemplateRenderError(line, f"in {error.element.my_text().strip()!r}: {problem}") from None
        except RecursionError:
            raise TemplateRenderError(1, "the template nests too deeply to render") from None


def _engine() -> Any:
    """airspeed, taught AWS's dialect; imported with the first template that needs it.

    Not at start: airspeed imports ``six``, whose import hook a server without templates has no use
    for (with it, the soak's memory grew 3x faster between its phases), and an import a deployment
    does not need is start-up time.
    """
    import airspeed

    from emulator.mapping import vtl_dialect

    vtl_dialect.install()
    return airspeed


def _problem(message: str) -> str:
    """airspeed's ``expected X in Y, got: <the next 40 characters> ...`` on one line: ``Y: expected X, before
    '<the rest of that line>'``."""
    found = _EXPECTED.match(message)
    if found is None:
        return message.replace("\n", " ")
    got = found.group("got")
    line = got.split("\n", 1)[0].strip()
    if not got.strip():
        where = "but the template ends"
    elif not line:
        where = "before the end of the line"
    else:
        where = f"before {line!r}"
    return f"{found.group('element')}: expected {found.group('expected')}, {where}"


@lru_cache(maxsize=4096)
def compile_template(text: str) -> Template:
    """The compiled template for ``text``; the same object for the same text (a reload re-parses nothing
    that did not change). Raises ``TemplateSyntaxError``."""
    return Template(text)
