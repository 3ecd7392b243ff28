"""A parsed template turned into Python closures: airspeed's semantics without its per-node machinery.

airspeed-ext renders by walking its node tree, and each step costs layers of method calls, a
``try`` per element, attribute look-ups and, for every name, an item access then an attribute access
then a method-table look-up. A deployment's template renders on every request, so the tree is
translated once, when the template is parsed, into nested closures that do the same steps in the same
order: the same look-up (``_member``), the same operator functions (the parsed ``apply_to``), the same
printing (airspeed's ``value_to_string``, ``java_string`` once ``vtl_dialect`` is installed), the same
``#foreach`` (``vtl_dialect.foreach_items``/``loop_scope``) and ``#set`` (``Scope.set_inherited``), and
errors raised as airspeed raises them (``TemplateExecutionError`` naming the same element), so
``vtl.Template`` reports them the same way.

A node kind not translated here is evaluated by airspeed itself, inside the compiled tree (its
``evaluate``/``calculate``), so every template renders and none differently; a template using
``#stop`` or ``#define`` (which reach across the whole render) is left to airspeed entirely.
``tests/test_vtl_compiled.py`` renders every template the suite uses, and a generated corpus, both
ways and requires the same text and the same errors.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

from airspeed import operators as ops

from emulator.mapping import vtl_dialect
from emulator.mapping.java_values import java_string
from emulator.mapping.vtl_dialect import Scope, foreach_items, loop_scope

#: ``(namespace) -> value``: an expression.
Calc = Callable[[Any], Any]
#: ``(namespace, write) -> None``: a statement of a block.
Run = Callable[[Any, Callable[[str], object]], None]
#: ``(current object, template namespace) -> value``: a step of a reference (``.name``, ``.call()``, ``[i]``).
Step = Callable[[Any, Any], Any]

_LOADER = ops.NullLoader()
_Failed = ops.TemplateExecutionError


#: What reaches across the whole render: ``#stop`` (ends the output) and definitions (``#macro``, ``#define``:
#: values that later references call). Templates that name them anywhere, even in a comment, are airspeed's.
_WHOLE_RENDER = re.compile(r"#(?:macro|define|stop)\b", re.I)


class _Unsupported(Exception):
    """A template the compiled path leaves to airspeed as a whole."""


class _Writer:
    """The stream airspeed's own ``evaluate`` writes to, for a node evaluated by airspeed."""

    __slots__ = ("write",)

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write


def compile_root(template: Any) -> Callable[[Any], str] | None:
    """``render(scope) -> text`` for an airspeed ``Template`` already parsed, or ``None`` when airspeed
    must render it itself. ``scope`` is the ``vtl_dialect.Scope`` ``vtl.Template.render`` builds."""
    if not _dialect_installed() or _WHOLE_RENDER.search(template.content):
        return None
    body = template.root_element
    try:
        run = _block(body.block)
    except _Unsupported:
        return None

    def render(scope: Any) -> str:
        parts: list[str] = []
        run(scope, parts.append)
        return "".join(parts)

    return render


def _dialect_installed() -> bool:
    """The closures follow the dialect's replacements of airspeed's methods; without them, airspeed renders."""
    return (
        ops.Expression.calculate is vtl_dialect._expression
        and ops.ForeachDirective is vtl_dialect.ForeachDirective
        and ops.value_to_string is java_string
    )


# --- statements ---------------------------------------------------------------------------------------


def _block(block: Any) -> Run:
    if type(block) is not ops.Block:
        return _evaluated(block)
    runs: list[Run] = []
    pending: list[str] = []
    for child in block.children:
        kind = type(child)
        if kind is ops.Comment:
            continue
        if kind in (ops.Text, ops.FallthroughHashText):
            pending.append(child.text)
            continue
        if getattr(kind, "evaluate_raw", None) is vtl_dialect._literal:
            pending.append(child.my_text())
            continue
        if pending:
            runs.append(_text("".join(pending)))
            pending = []
        runs.append(_statement(child))
    if pending:
        runs.append(_text("".join(pending)))
    if not runs:
        return _nothing
    if len(runs) == 1:
        return runs[0]
    sequence = tuple(runs)

    def run(ns: Any, write: Callable[[str], object]) -> None:
        for step in sequence:
            step(ns, write)

    return run


def _nothing(ns: Any, write: Callable[[str], object]) -> None:
    return None


def _text(text: str) -> Run:
    def run(ns: Any, write: Callable[[str], object]) -> None:
        write(text)

    return run


def _evaluated(node: Any) -> Run:
    """A node airspeed evaluates itself (its ``evaluate`` wraps its errors as it always does)."""

    def run(ns: Any, write: Callable[[str], object]) -> None:
        node.evaluate(_Writer(write), ns, _LOADER)

    return run


def _statement(node: Any) -> Run:
    kind = type(node)
    if kind in (ops.StopDirective, ops.DefineDefinition, ops.MacroDefinition):
        raise _Unsupported
    if kind is ops.FormalReference:
        return _reference(node)
    if kind is ops.IfDirective:
        return _if(node)
    if kind is ops.SetDirective and type(node.assignment) is ops.Assignment:
        return _set(node.assignment)
    if kind is vtl_dialect.ForeachDirective:
        return _foreach(node)
    return _evaluated(node)


def _failed(node: Any) -> Exception:
    """The error airspeed raises for an exception inside ``node``'s ``evaluate`` (called in an ``except``;
    raised ``from`` that exception, the ``__cause__`` airspeed gives it too)."""
    failure: Exception = _Failed(node, sys.exc_info())
    return failure


def _reference(node: Any) -> Run:
    """``$x``, ``$!x``, ``${x}``, ``${x|alt}``: ``FormalReference.evaluate_raw`` (always silent, as airspeed-ext
    parses it)."""
    text = node.my_text()
    replace = ops.REPLACE_FORMAL_TEXT
    to_string = ops.value_to_string
    calc = _top(node.expression) if node.expression is not None else None
    alternate = _calc(node.alternate.expression) if node.alternate is not None else None
    if calc is not None and alternate is None:
        found = calc

        def run(ns: Any, write: Callable[[str], object]) -> None:
            try:
                value = found(ns)
                if value is None:
                    return
                if value == replace:
                    value = text
                write(value if isinstance(value, str) else to_string(value))
            except _Failed:
                raise
            except Exception as error:
                raise _failed(node) from error

        return run

    def run_general(ns: Any, write: Callable[[str], object]) -> None:
        try:
            value = calc(ns) if calc is not None else None
            if value == replace:
                value = text
            elif value is None:
                if alternate is not None:
                    value = alternate(ns) or ""
                elif calc is not None:
                    value = ""
                else:
                    value = text
            write(value if isinstance(value, str) else to_string(value))
        except _Failed:
            raise
        except Exception as error:
            raise _failed(node) from error

    return run_general


def _condition(node: Any) -> Calc:
    """``Condition.calculate``: a null result is true (airspeed-ext's AWS parity), otherwise its truth."""
    if type(node) is not ops.Condition:
        return lambda ns: node.calculate(ns, _LOADER)
    expression = _calc(node.expression)
    return lambda ns: True if (result := expression(ns)) is None else bool(result)


def _if(node: Any) -> Run:
    condition = _condition(node.condition)
    block = _block(node.block)
    branches = tuple((_condition(elseif.condition), _block(elseif.block)) for elseif in node.elseifs)
    otherwise = _block(node.else_block.block) if type(node.else_block) is ops.ElseBlock else _nothing

    def run(ns: Any, write: Callable[[str], object]) -> None:
        try:
            if condition(ns):
                block(ns, write)
                return
            for test, branch in branches:
                if test(ns):
                    branch(ns, write)
                    return
            otherwise(ns, write)
        except _Failed:
            raise
        except Exception as error:
            raise _failed(node) from error

    return run


def _set(node: Any) -> Run:
    """``#set``: ``Assignment.evaluate_raw`` (the value first, then the keys, left to right)."""
    value = _calc(node.value)
    name = node.root_term
    keys = tuple(_assignment_key(term) for term in node.terms)
    if not keys:

        def assign(ns: Any, write: Callable[[str], object]) -> None:
            try:
                ns.set_inherited(name, value(ns))
            except _Failed:
                raise
            except Exception as error:
                raise _failed(node) from error

        return assign

    path, last = keys[:-1], keys[-1]

    def assign_into(ns: Any, write: Callable[[str], object]) -> None:
        try:
            result = value(ns)
            target = ns[name]
            for key in path:
                target = target[key(ns)]
            target[last(ns)] = result
        except _Failed:
            raise
        except Exception as error:
            raise _failed(node) from error

    return assign_into


def _assignment_key(term: Any) -> Calc:
    inner: Any = term.term if type(term) is ops.AssignmentTerm else None
    if type(inner) is ops.DotDictAccessTerm:
        key = inner.value
        return lambda ns: key
    if type(inner) is ops.BracketedValueTerm:
        return _calc(inner.value)
    return lambda ns: term.calculate(ns, _LOADER)


def _foreach(node: Any) -> Run:
    source = _calc(node.value)
    name = node.loop_var_name
    block = _block(node.block)

    def run(ns: Any, write: Callable[[str], object]) -> None:
        try:
            items = foreach_items(name, source(ns))
            length = len(items)
            for count, item in enumerate(items, 1):
                block(loop_scope(ns, name, item, count, length), write)
        except _Failed:
            raise
        except Exception as error:
            raise _failed(node) from error

    return run


# --- expressions --------------------------------------------------------------------------------------

_CONSTANTS = (
    ops.NullLiteral,
    ops.IntegerLiteral,
    ops.FloatingPointLiteral,
    ops.BooleanLiteral,
    ops.StringLiteral,
)


def _calc(node: Any) -> Calc:
    kind = type(node)
    if kind is ops.Value:
        return _calc(node.expression)
    if kind in _CONSTANTS:
        constant = node.value
        return lambda ns: constant
    if kind is ops.FormalReference and node.expression is not None:
        return _top(node.expression)
    if kind is ops.Expression:
        return _expression(node.expression)
    if kind is ops.ParenthesizedExpression:
        inner: Any = getattr(node.calculate, "__self__", None)
        if type(inner) is ops.Expression:
            return _expression(inner.expression)
    if kind is ops.InterpolatedStringLiteral:
        return _interpolated(node)
    if kind is ops.ArrayLiteral:
        return _array(node.values)
    if kind is ops.DictionaryLiteral:
        return _dictionary(node)
    if kind is ops.UnaryOperatorValue:
        value = _calc(node.value)
        op = node.op
        return lambda ns: False if (result := value(ns)) is None else op(result)
    if kind is ops.Range:
        return _range(node)
    return lambda ns: node.calculate(ns, _LOADER)


def _interpolated(node: Any) -> Calc:
    """``"text $x"``: its block rendered to text (its elements raise as airspeed's do, with their own
    positions inside the string)."""
    block = _block(node.block)

    def calculate(ns: Any) -> str:
        parts: list[str] = []
        block(ns, parts.append)
        return "".join(parts)

    return calculate


def _array(values: Any) -> Calc:
    if type(values) is ops._EmptyValues:
        return lambda ns: []
    if type(values) is ops.ValueList:
        items = tuple(_calc(value) for value in values.values)
        return lambda ns: [item(ns) for item in items]
    if type(values) is ops.Range:
        return _range(values)
    return lambda ns: values.calculate(ns, _LOADER)


def _range(node: Any) -> Calc:
    first = _calc(node.value1)
    last = _calc(node.value2)

    def calculate(ns: Any) -> range:
        start = first(ns)
        end = last(ns)
        if end < start:
            return range(start, end - 1, -1)
        return range(start, end + 1)

    return calculate


def _dictionary(node: Any) -> Calc:
    pairs = tuple((_calc(key), _calc(value)) for key, value in node.local_data.items())

    def calculate(ns: Any) -> dict[Any, Any]:
        made = {}
        for key, value in pairs:
            made[key(ns)] = value(ns)
        return made

    return calculate


class _Pending:
    """A term not yet calculated, on the value stack of a longer expression (airspeed's ``Value``)."""

    __slots__ = ("calc",)

    def __init__(self, calc: Calc) -> None:
        self.calc = calc


def _expression(terms: list[Any]) -> Calc:
    """``vtl_dialect._expression``: one term, or two and their operator, directly; longer ones through
    airspeed's precedence stacks, replayed in its order (the right term of each step first)."""
    if len(terms) == 1:
        return _calc(terms[0])
    if len(terms) == 3:
        left = _calc(terms[0])
        apply = terms[1].apply_to
        right = _calc(terms[2])
        return lambda ns: apply(left(ns), right(ns))
    first = _Pending(_calc(terms[0]))
    rest: tuple[Any, ...] = tuple(
        term if index % 2 else _Pending(_calc(term)) for index, term in enumerate(terms[1:], 1)
    )

    def reduce(operators: list[Any], values: list[Any], ns: Any) -> None:
        right = values.pop()
        if isinstance(right, _Pending):
            right = right.calc(ns)
        left = values.pop()
        if isinstance(left, _Pending):
            left = left.calc(ns)
        values.append(operators.pop().apply_to(left, right))

    def calculate(ns: Any) -> Any:
        operators: list[Any] = []
        values: list[Any] = [first]
        index = 0
        while index < len(rest):
            if not operators or rest[index].greater_precedence_than(operators[-1]):
                operators.append(rest[index])
                values.append(rest[index + 1])
                index += 2
            else:
                reduce(operators, values, ns)
        while operators:
            reduce(operators, values, ns)
        result = values[0]
        return result.calc(ns) if isinstance(result, _Pending) else result

    return calculate


# --- references ---------------------------------------------------------------------------------------


def _top(node: Any) -> Calc:
    """A reference read from the template's scope (``VariableExpression.calculate`` with the scope as both
    the object and where arguments are read): its first name looked up in the scope, then each step
    after it (``.name``, ``.call()``, ``[i]``) on what the previous one gave, in one loop."""
    if type(node) is not ops.VariableExpression:
        return lambda ns: node.calculate(ns, _LOADER)
    first = _name_or_call(node.part, _scope_member)
    steps = tuple(_steps(node.subexpression)) if node.subexpression is not None else ()
    part = node.part
    if type(part) is ops.NameOrCall and part.parameters is None and part.index is None:
        # The usual ``$name…``: the scope look-up made here, a call less.
        name = part.name
        if not steps:
            return lambda ns: _scope_member(ns, name)
        if len(steps) == 1:
            (only,) = steps
            return lambda ns: only(_scope_member(ns, name), ns)
    if not steps:
        return lambda ns: first(ns, ns)
    if len(steps) == 1:
        (only,) = steps
        return lambda ns: only(first(ns, ns), ns)

    def calculate(ns: Any) -> Any:
        value = first(ns, ns)
        for step in steps:
            value = step(value, ns)
        return value

    return calculate


def _steps(node: Any) -> list[Step]:
    """``SubExpression.calculate`` flattened: ``.name…`` (a ``VariableExpression``: its name, then what follows
    it), or ``[index]`` read against the current object (as airspeed reads it), then what follows it."""
    if type(node) is not ops.SubExpression:
        return [lambda current, top: node.calculate(current, _LOADER, top)]
    expression = node.expression
    if not isinstance(expression, ops.ArrayIndex):
        if type(expression) is not ops.VariableExpression:
            return [lambda current, top: expression.calculate(current, _LOADER, top)]
        steps = [_name_or_call(expression.part, _member)]
        if expression.subexpression is not None:
            steps.extend(_steps(expression.subexpression))
        return steps
    index = _calc(expression.index) if type(expression) is ops.ArrayIndex else None

    def step(current: Any, top: Any) -> Any:
        return current[index(current) if index is not None else expression.calculate(current, _LOADER)]

    steps = [step]
    if node.subexpression:
        steps.extend(_steps(node.subexpression))
    return steps


_METHODS = ops.__additional_methods__


def _member(current: Any, name: str) -> Any:
    """``NameOrCall``'s look-up: an item, else (outside a template scope) an attribute, else a Java method
    of the value's exact class; ``None`` when none."""
    try:
        result = current[name]
    except (KeyError, TypeError, AttributeError):
        result = None
    if result is None:
        if not isinstance(current, ops.LocalNamespace):
            result = getattr(current, name, None)
        if result is None:
            methods = _METHODS.get(current.__class__)
            if methods and name in methods:
                method = methods[name]

                def _call_method(*args: Any) -> Any:
                    return method(current, *args)

                # Printed as airspeed's own (``$s.length`` without parentheses prints the function).
                _call_method.__qualname__ = "NameOrCall.calculate.<locals>._call_method"
                result = _call_method
    return result


_ABSENT = object()
_held = dict.get


def _scope_member(current: Any, name: str) -> Any:
    """``_member`` for a template scope, the usual case: only the item look-up applies (no attributes, and
    no Java methods are registered for a scope), made by walking the scopes' own maps to the variables
    (what ``Scope.__missing__`` does, without a call per level)."""
    if current.__class__ is not Scope or Scope in _METHODS:
        return _member(current, name)
    scope = current
    while True:
        value = _held(scope, name, _ABSENT)
        if value is not _ABSENT:
            return value
        scope = scope.parent
        if scope.__class__ is not Scope:
            break
    try:
        return scope[name]
    except (KeyError, TypeError, AttributeError):
        return None


def _name_or_call(node: Any, lookup: Callable[[Any, str], Any]) -> Step:
    """``NameOrCall.calculate``: look the name up, then call it with its arguments (read in the template's
    scope) or index it. Its branch for a ``#macro``/``#define`` found by name is left out: a template that
    has neither (the only ones compiled) holds no such value."""
    if type(node) is not ops.NameOrCall:
        return lambda current, top: node.calculate(current, _LOADER, top)
    name = node.name

    def fallback(current: Any, top: Any) -> Any:
        return node.calculate(current, _LOADER, top)

    if node.parameters is not None:
        values = node.parameters.values
        if type(values) is ops._EmptyValues:
            arguments: tuple[Calc, ...] = ()
        elif type(values) is ops.ValueList:
            arguments = tuple(_calc(value) for value in values.values)
        else:
            return fallback
        if len(arguments) == 1:
            (argument,) = arguments

            def call_one(current: Any, top: Any) -> Any:
                result = lookup(current, name)
                if result is None:
                    return None
                return result(argument(top))

            return call_one

        def call(current: Any, top: Any) -> Any:
            result = lookup(current, name)
            if result is None:
                return None
            return result(*[argument(top) for argument in arguments])

        return call

    if node.index is not None:
        index_node = node.index
        index = _calc(index_node.index) if type(index_node) is ops.ArrayIndex else None

        def indexed(current: Any, top: Any) -> Any:
            result = lookup(current, name)
            if result is None:
                return None
            key = index(top) if index is not None else index_node.calculate(top, _LOADER)
            if isinstance(result, list) and not isinstance(key, int):
                raise ValueError(f"expected integer for array index, got '{key!s}'")
            try:
                return result[key]
            except Exception:
                return None

        return indexed

    return lambda current, top: lookup(current, name)
