"""Cutting what the inspector keeps down to its sizes, saying visibly how much was left out.

A handler can print gigabytes, raise an error with a 10 MB message or return a header as long as it
likes; the inspector keeps a bounded amount of each, so that a buggy function cannot grow the
emulator without limit. What is cut is replaced by a marker such as ``…[truncated 1,234,567 bytes]``,
so nobody mistakes a cut value for the whole. Sizes are counted in UTF-8 bytes, as the marker says.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any


def marker(dropped: int) -> str:
    return f"…[truncated {dropped:,} bytes]"


def _utf8(text: str) -> bytes:
    # Handler output may hold lone surrogates (bytes it wrote that were not UTF-8); they count too.
    return text.encode("utf-8", "surrogatepass")


def _start(data: bytes, limit: int) -> int:
    """Where to cut ``data`` at most ``limit`` bytes in without splitting a character."""
    end = min(limit, len(data))
    while 0 < end < len(data) and data[end] & 0xC0 == 0x80:
        end -= 1
    return end


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogatepass")


def cut_text(text: str, limit: int) -> str:
    """``text``'s first ``limit`` bytes, then the marker; ``text`` itself when it fits."""
    if len(text) * 4 <= limit:  # no character takes more than 4 bytes: no need to encode
        return text
    data = _utf8(text)
    if len(data) <= limit:
        return text
    end = _start(data, limit)
    return _decode(data[:end]) + marker(len(data) - end)


def cut_middle(text: str, limit: int) -> str:
    """``text``'s first and last ``limit / 2`` bytes with the marker between: a traceback's end names the error."""
    if len(text) * 4 <= limit:
        return text
    data = _utf8(text)
    if len(data) <= limit:
        return text
    head = _start(data, limit // 2)
    tail = len(data) - limit // 2
    while tail < len(data) and data[tail] & 0xC0 == 0x80:
        tail += 1
    return _decode(data[:head]) + marker(tail - head) + _decode(data[tail:])


def cut_lines(lines: Sequence[str], limit: int) -> list[str]:
    """The first and last ``limit / 2`` bytes of output, each line counted with its newline.

    The start of a function's output says what it was doing, the end how it finished; what is between
    becomes one marker line. A line too long for what is left of the first half shows its start.
    """
    if sum(map(len, lines)) * 4 + len(lines) <= limit:
        return list(lines)
    half = limit // 2
    first, used = 0, 0
    while first < len(lines) and used + _size(lines[first]) <= half:
        used += _size(lines[first])
        first += 1
    if first == len(lines):
        return list(lines)
    head = list(lines[:first])
    if half - used > 1:
        head.append(cut_text(lines[first], half - used - 1))
        first += 1
    last, used = len(lines), 0
    while last > first and used + _size(lines[last - 1]) <= half:
        used += _size(lines[last - 1])
        last -= 1
    dropped = sum(_size(line) for line in lines[first:last])
    return head + ([marker(dropped)] if dropped else []) + list(lines[last:])


def _size(line: str) -> int:
    return len(_utf8(line)) + 1


def cut_value(value: Any, limit: int) -> Any:
    """A JSON value whose encoding takes at most about ``limit`` bytes: an event, an error object.

    A copy of ``value`` when it fits (a handler that timed out may still be changing its event);
    else the same structure with its strings cut at ``limit / 2`` (a proxy event's ``body``), if
    that fits; else, large for its many parts, its JSON text cut, as a string.
    """
    try:
        text = json.dumps(value, default=str)
    except (ValueError, TypeError, RecursionError, RuntimeError) as error:
        # Circular, too deeply nested, or changed by a handler still running while it was read.
        return f"(not shown: {type(error).__name__}: {cut_text(str(error), 200)})"
    if len(text) <= limit:  # ASCII: json.dumps escapes everything else
        return json.loads(text)
    try:
        shrunk = _cut_strings(value, limit // 2, _Budget(limit))
    except (_TooLarge, RecursionError, RuntimeError):
        return cut_text(text, limit)
    shrunk_text = json.dumps(shrunk, default=str)
    return shrunk if len(shrunk_text) <= limit else cut_text(text, limit)


class _TooLarge(Exception):
    """Cutting long strings will not be enough: the value is large for its many parts."""


class _Budget:
    """What is left of a limit as a value's parts are walked, so a huge one is given up on early."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise _TooLarge


def _cut_strings(value: Any, longest: int, budget: _Budget) -> Any:
    if isinstance(value, str):
        cut = cut_text(value, longest)
        budget.spend(len(cut) + 2)
        return cut
    budget.spend(4)  # at least a separator and a little of the item itself
    if isinstance(value, dict):
        return {key: _cut_strings(item, longest, budget) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cut_strings(item, longest, budget) for item in value]
    return value


def cut_headers(headers: Iterable[tuple[str, str]], limit: int, longest: int) -> list[list[str]]:
    """Header pairs up to ``limit`` bytes, each name and value cut at ``longest``; then one marker pair."""
    shown: list[list[str]] = []
    used = dropped = 0
    for name, value in headers:
        size = len(_utf8(name)) + len(_utf8(value)) + 4  # ": " and CRLF, as on the wire
        if dropped or used + min(size, 2 * longest) > limit:
            dropped += size
            continue
        shown.append([cut_text(name, longest), cut_text(value, longest)])
        used += min(size, 2 * longest)
    if dropped:
        shown.append([marker(dropped), ""])
    return shown
