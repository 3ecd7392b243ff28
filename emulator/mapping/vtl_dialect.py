"""What AWS's Velocity prints and compares, taught to airspeed-ext where it differs.

AWS runs Apache Velocity over Java objects, and templates depend on how those print: a map from
``$input.path`` prints as Java's ``Map.toString`` (``{k=v, k2=v2}``), a JSON array from it as compact
JSON (json-smart's ``JSONArray``), a list the template built as ``[a, b]``, ``true`` in lower case
(reference A.1). A missing value equals both ``$null`` and ``""``; Java's string, list and map
methods work (``.size()``, ``.keySet()``, ``.containsKey()``, ``.put()`` returning the previous value);
``#foreach`` over a map walks its values and stops after AWS's 1,000 iterations. What airspeed-ext
already does as AWS does is kept, however odd: LocalStack recorded on AWS that ``#if($undefined)`` is
true and ``!$undefined`` false, and that a ``#macro`` call, ``#evaluate`` and ``#return`` print as
written (AWS runs none of them).

airspeed-ext reads its printing function, operator table, expressions and directives from its module
when a template is parsed or rendered, so ``install`` replaces those there, once, for every template
of the process (apig-emu is airspeed's only user in it).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from typing import Any

from airspeed import operators

from emulator.mapping.java_values import ContextMap, JsonList, OpaqueMap, equals, java_string

log = logging.getLogger("apig_emu.mapping")

#: AWS's limit on one ``#foreach`` (Velocity's ``directive.foreach.maxloops``: the loop stops there).
MAX_FOREACH_ITERATIONS = 1000


class Scope(operators.LocalNamespace):  # type: ignore[misc]
    """A template scope (a ``#foreach`` body, the template's top level) that finds its enclosing scopes'
    names without raising: airspeed's raises and catches a ``KeyError`` at every level for every name
    it does not hold itself."""

    def __missing__(self, key: str) -> Any:
        return self.parent[key]

    def find_outermost(self, key: str) -> Any:
        """The innermost scope that holds ``key`` (where ``#set`` assigns it), else ``None``."""
        if dict.__contains__(self, key):
            return self
        parent = self.parent
        return parent.find_outermost(key) if isinstance(parent, operators.LocalNamespace) else None

    def set_inherited(self, key: str, value: Any) -> None:
        """``#set``: where the name lives, else at the template's top level, as Velocity's ``#foreach`` has
        no scope of its own but its loop variable (a total summed in a loop is read after it)."""
        scope = self.find_outermost(key)
        if scope is None:
            scope = self
            while isinstance(scope.parent, operators.LocalNamespace):
                scope = scope.parent
        scope[key] = value


def _plus(left: Any, right: Any) -> Any:
    """``+`` joins text when either side is text, as Velocity does (``"Item " + $n``)."""
    if isinstance(left, str) or isinstance(right, str):
        return java_string(left) + java_string(right)
    return left + right


def _divide(left: Any, right: Any) -> Any:
    """Java's ``/``: integers truncate toward zero; division by zero is null (Velocity logs it)."""
    if right == 0:
        return None
    if isinstance(left, int) and isinstance(right, int):
        quotient = abs(left) // abs(right)
        return quotient if (left >= 0) == (right >= 0) else -quotient
    return left / right


def _modulo(left: Any, right: Any) -> Any:
    if right == 0:
        return None
    return (
        math.fmod(left, right)
        if isinstance(left, float) or isinstance(right, float)
        else int(math.fmod(left, right))
    )


def _java_replacement(replacement: str) -> str:
    """Java's ``$1`` group references in ``replaceAll``, in Python's ``\\g<1>`` form."""
    out: list[str] = []
    index = 0
    while index < len(replacement):
        char = replacement[index]
        if char == "\\" and index + 1 < len(replacement):
            out.append(replacement[index + 1].replace("\\", "\\\\"))
            index += 2
            continue
        if char == "$":
            digits = re.match(r"\d+", replacement[index + 1 :])
            if digits:
                out.append(f"\\g<{digits.group()}>")
                index += 1 + len(digits.group())
                continue
        out.append("\\\\" if char == "\\" else char)
        index += 1
    return "".join(out)


def _index_of(text: str, part: str, start: int = 0) -> int:
    return text.find(part, start)


def _put(mapping: dict[Any, Any], key: Any, value: Any) -> Any:
    previous = mapping.get(key)
    mapping[key] = value
    return previous


def _add(items: list[Any], *args: Any) -> bool | None:
    if len(args) == 2:
        items.insert(args[0], args[1])
        return None
    items.append(args[0])
    return True


def _list_remove(items: list[Any], what: Any) -> Any:
    if isinstance(what, int) and not isinstance(what, bool):
        return items.pop(what)
    if what in items:
        items.remove(what)
        return True
    return False


def _list_set(items: list[Any], index: int, value: Any) -> Any:
    previous = items[index]
    items[index] = value
    return previous


_STRING_METHODS: dict[str, Callable[..., Any]] = {
    "length": len,
    "isEmpty": lambda text: not text,
    "contains": lambda text, part: java_string(part) in text,
    "startsWith": lambda text, prefix: text.startswith(prefix),
    "endsWith": lambda text, suffix: text.endswith(suffix),
    "indexOf": _index_of,
    "lastIndexOf": lambda text, part: text.rfind(part),
    "substring": lambda text, start, end=None: text[start:end],
    "charAt": lambda text, index: text[index],
    "toLowerCase": str.lower,
    "toUpperCase": str.upper,
    "trim": str.strip,
    "equals": lambda text, other: text == other,
    "equalsIgnoreCase": lambda text, other: isinstance(other, str) and text.lower() == other.lower(),
    "matches": lambda text, pattern: re.fullmatch(pattern, text) is not None,
    "replaceAll": lambda text, pattern, replacement: re.sub(pattern, _java_replacement(replacement), text),
    "replaceFirst": lambda text, pattern, replacement: re.sub(
        pattern, _java_replacement(replacement), text, count=1
    ),
    "split": lambda text, pattern: [part for part in re.split(pattern, text)],
    "concat": lambda text, other: text + other,
    "toString": lambda text: text,
}

_LIST_METHODS: dict[str, Callable[..., Any]] = {
    "size": len,
    "isEmpty": lambda items: not items,
    "get": lambda items, index: items[index],
    "contains": lambda items, value: value in items,
    "indexOf": lambda items, value: items.index(value) if value in items else -1,
    "add": _add,
    "addAll": lambda items, more: (items.extend(more), True)[1],
    "set": _list_set,
    "remove": _list_remove,
    "toString": java_string,
}

_MAP_METHODS: dict[str, Callable[..., Any]] = {
    "size": len,
    "isEmpty": lambda mapping: not mapping,
    "get": lambda mapping, key: mapping.get(key),
    "containsKey": lambda mapping, key: key in mapping,
    "containsValue": lambda mapping, value: value in mapping.values(),
    "keySet": lambda mapping: list(mapping),
    "values": lambda mapping: list(mapping.values()),
    "entrySet": lambda mapping: [{"key": key, "value": value} for key, value in mapping.items()],
    "put": _put,
    "putAll": lambda mapping, other: mapping.update(other),
    "remove": lambda mapping, key: mapping.pop(key, None),
    "toString": java_string,
}


class ForeachDirective(operators.ForeachDirective):  # type: ignore[misc]
    """``#foreach``: a map's values (Velocity's iterator for a ``Map``), at most AWS's 1,000 iterations.

    Named as the directive it replaces: airspeed names the element in syntax errors by its class.
    """

    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        items = foreach_items(self.loop_var_name, self.value.calculate(namespace, loader))
        length = len(items)
        for count, item in enumerate(items, 1):
            self.block.evaluate(
                stream, loop_scope(namespace, self.loop_var_name, item, count, length), loader
            )


def foreach_items(loop_var_name: str, source: Any) -> list[Any]:
    """What one ``#foreach`` walks: a map's values, a list's items, nothing for null; at most AWS's 1,000.

    Shared with ``vtl_compiled``, so the compiled loop cannot drift from this one.
    """
    if source is None:
        return []
    if isinstance(source, Mapping):
        source = source.values()
    elif isinstance(source, str) or not isinstance(source, Iterable):
        raise ValueError(f"${loop_var_name} cannot iterate over {java_string(source)!r}: not a list or map")
    items = list(islice(source, MAX_FOREACH_ITERATIONS + 1))
    if len(items) > MAX_FOREACH_ITERATIONS:
        log.warning(
            "#foreach($%s) stopped after %d iterations, as API Gateway limits it",
            loop_var_name,
            MAX_FOREACH_ITERATIONS,
        )
        del items[MAX_FOREACH_ITERATIONS:]
    return items


def loop_scope(namespace: Any, loop_var_name: str, item: Any, count: int, length: int) -> Scope:
    """One iteration's scope: the loop variable, ``$velocityCount``, ``$velocityHasNext`` and ``$foreach``."""
    local = Scope(namespace)
    local["velocityCount"] = count
    local["velocityHasNext"] = count < length
    local["foreach"] = {
        "count": count,
        "index": count - 1,
        "hasNext": count < length,
        "first": count == 1,
        "last": count == length,
    }
    local[loop_var_name] = item
    return local


_general_expression = operators.Expression.calculate
_parse_value = operators.Value.parse


def _expression(self: Any, namespace: Any, loader: Any) -> Any:
    """An expression of one value, or of two and an operator, without airspeed's operator-precedence
    stacks (most conditions: ``$x``, ``$a == "b"``, ``$foreach.hasNext``)."""
    terms = self.expression
    if len(terms) == 1:
        return terms[0].calculate(namespace, loader)
    if len(terms) == 3:
        return terms[1].apply_to(terms[0].calculate(namespace, loader), terms[2].calculate(namespace, loader))
    return _general_expression(self, namespace, loader)


def _value(self: Any) -> None:
    """A value calculates as what it wraps: bound once when parsed, a call less each time it is read."""
    _parse_value(self)
    self.calculate = self.expression.calculate


def _literal(self: Any, stream: Any, namespace: Any, loader: Any) -> None:
    """A directive AWS does not run (a macro call, ``#evaluate``) is printed as written, as AWS prints it."""
    stream.write(self.my_text())


_installed = False


def install() -> None:
    """Teach airspeed-ext AWS's printing, comparisons, Java methods, directives and loop limit (once)."""
    global _installed
    if _installed:
        return
    _installed = True
    operators.value_to_string = java_string
    table = operators.BinaryOperator.OPERATORS
    table.update({"==": equals, "eq": equals, "+": _plus, "/": _divide, "%": _modulo})
    table["!="] = table["ne"] = lambda left, right: not equals(left, right)
    operators.Expression.calculate = _expression
    operators.Value.parse = _value
    operators.MacroCall.evaluate_raw = _literal
    operators.EvaluateDirective.evaluate_raw = _literal
    operators.ReturnDirective.evaluate_raw = _literal
    operators.ForeachDirective = ForeachDirective
    methods = operators.__additional_methods__
    methods[str] = {**methods.get(str, {}), **_STRING_METHODS}
    methods.update({kind: dict(_LIST_METHODS) for kind in (list, JsonList)})
    methods.update({kind: dict(_MAP_METHODS) for kind in (dict, OpaqueMap, ContextMap)})
