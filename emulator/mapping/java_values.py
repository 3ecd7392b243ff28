"""The Java values AWS's Velocity holds, as Python: how they print and compare.

AWS runs Apache Velocity over Java objects, and templates depend on how those print: a map from
``$input.path`` prints as Java's ``Map.toString`` (``{k=v, k2=v2}``), a JSON array from it as compact
JSON (json-smart's ``JSONArray``), a list the template built as ``[a, b]``, ``true`` in lower case
(reference A.1). A module of its own, without the engine: the gateway reads these values (header
mappings, ``$context``) whether or not a deployment has a template that needs Velocity.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


class JsonList(list[Any]):
    """A JSON array read from a body (``$input.path``, ``$util.parseJson``): prints as compact JSON."""

    __slots__ = ()

    def __str__(self) -> str:
        return json_text(self)


class OpaqueMap(dict[str, Any]):
    """A map of ``$context`` (``identity``, ``requestOverride``…): readable by key, printed empty as AWS prints
    ``$context.get('identity')`` (reference A.9)."""

    __slots__ = ()


class ContextMap(OpaqueMap):
    """``$context``: the keys AWS lists in its ``keySet()``, plus names that resolve without being listed."""

    __slots__ = ()

    def __missing__(self, key: str) -> Any:
        if key == "authorizer":
            return OpaqueMap()
        if key == "isCanaryRequest":
            return False
        raise KeyError(key)


def json_text(value: Any) -> str:
    """Compact JSON as json-smart writes it (no spaces, non-ASCII kept)."""
    return _ENCODER.encode(value)


#: Made once: ``json.dumps`` with options builds an encoder on every call.
_ENCODER = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, default=lambda value: java_string(value)
)


def java_string(value: Any) -> str:
    """``String.valueOf`` of the Java object AWS would hold for ``value``."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, OpaqueMap):
        return ""
    if isinstance(value, JsonList):
        return json_text(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{java_string(key)}={java_string(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple, set, frozenset, range)) or type(value).__name__ in (
        "dict_keys",
        "dict_values",
    ):
        return "[" + ", ".join(java_string(item) for item in value) + "]"
    return str(value)


def _java_double(value: float) -> str:
    """``Double.toString``: ``100.0``, ``0.5``, ``1.0E20``, ``1.5E-5``, ``NaN``, ``Infinity``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "." in text else text + ".0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{exponent + len(text) - 1}"


def equals(left: Any, right: Any) -> bool:
    """Velocity's ``==``: a missing value equals ``$null`` and ``""`` (reference A.1); values of different
    kinds compare by their printed text, as Velocity compares them (``$n == "5"``)."""
    if left is None or right is None:
        return ("" if left is None else left) == ("" if right is None else right)
    numbers = (int, float)
    if isinstance(left, numbers) and isinstance(right, numbers):
        return bool(left == right)
    if type(left) is not type(right) and (isinstance(left, str) or isinstance(right, str)):
        return java_string(left) == java_string(right)
    return bool(left == right)
