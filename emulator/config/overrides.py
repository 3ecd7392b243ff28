"""``--parameter-overrides``: a template's parameters set on the command line, as ``sam local start-api`` takes them.

SAM CLI accepts ``Key=Value`` and CloudFormation's ``ParameterKey=Key,ParameterValue=Value``, several
in one argument separated by spaces (quoted values may hold spaces) or in several arguments; so does this.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

_LONG_FORM = re.compile(r"ParameterKey=(?P<key>[^,]*),ParameterValue=(?P<value>.*)", re.DOTALL)


class OverrideError(ValueError):
    """An override that is neither ``Key=Value`` nor ``ParameterKey=Key,ParameterValue=Value``."""


def parse_overrides(arguments: Iterable[str]) -> dict[str, str]:
    """The parameters the arguments set, the last of two for one key winning, as in SAM CLI."""
    overrides: dict[str, str] = {}
    for argument in arguments:
        try:
            words = shlex.split(argument)
        except ValueError as exc:
            raise OverrideError(f"cannot read {argument!r}: {exc}") from None
        for word in words:
            found = _LONG_FORM.fullmatch(word)
            if found is not None:
                key, value = found["key"], found["value"]
            else:
                key, equals, value = word.partition("=")
                if not equals:
                    raise OverrideError(
                        f"{word!r} is not Key=Value (nor ParameterKey=Key,ParameterValue=Value)"
                    )
            if not key:
                raise OverrideError(f"{word!r} names no parameter")
            overrides[key] = value
    return overrides
