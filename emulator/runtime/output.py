"""How much of an invocation's output is kept: a cap per invocation, as both isolations apply it.

A handler stuck in a print loop writes without end. What it writes is streamed to where the
invocation's output is collected (a list per thread in thread isolation, the gateway's end of a pipe
in process isolation) and only the first ``OUTPUT_LIMIT`` bytes are kept; the rest is counted, never
stored, and the invocation's log ends with one line saying how much was dropped. So a flooding
handler costs its own invocation its log, never the emulator its memory, and the log lines the
gateway writes for one invocation are bounded in number and size.

The limits are CloudWatch Logs' own, so that what fits here fits there: one ``PutLogEvents`` call
carries at most 1 MB of messages in at most 10,000 events, and an event is at most 256 KB.
"""

from __future__ import annotations

import threading
from typing import TextIO

from emulator.runtime.streams import WrappedStream

#: Bytes of output (UTF-8) one invocation keeps: a CloudWatch ``PutLogEvents`` batch's size. A
#: screenful is a few kilobytes, so a log that reaches this is a loop, not a message worth reading to
#: the end; and each kept line becomes a log record the gateway writes, on its event loop.
OUTPUT_LIMIT = 1024 * 1024
#: Lines one invocation keeps: a ``PutLogEvents`` batch's event count. Bounds the log records of an
#: invocation that prints a megabyte of empty lines, which ``OUTPUT_LIMIT`` alone would not.
LINES_LIMIT = 10_000
#: The longest line kept whole (bytes, UTF-8): CloudWatch Logs' largest event. Longer lines are cut.
LINE_LIMIT = 256 * 1024


def utf8_size(text: str) -> int:
    """The size ``text`` has once written, as a UTF-8 stream would write it."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _prefix(text: str, size: int) -> str:
    """The longest start of ``text`` whose UTF-8 form fits in ``size`` bytes, cut between characters."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= size:
        return text
    while size > 0 and data[size] & 0xC0 == 0x80:  # a continuation byte: inside a character
        size -= 1
    return data[:size].decode("utf-8", "surrogatepass")


class Allowance:
    """One invocation's room for output, and how much it wrote past it (UTF-8 bytes)."""

    __slots__ = ("dropped", "limit", "room")

    def __init__(self, limit: int = OUTPUT_LIMIT) -> None:
        self.limit = limit
        self.room = limit
        self.dropped = 0

    def renew(self) -> int:
        """Full room again for the next invocation; what this one dropped."""
        dropped, self.dropped, self.room = self.dropped, 0, self.limit
        return dropped

    def admit(self, text: str) -> str:
        """The part of ``text`` that fits (all of it, but for a flood); the rest is counted as dropped."""
        size = utf8_size(text)
        if size <= self.room:
            self.room -= size
            return text
        if not self.room:  # a flood, past its cap: nothing more to look at than its size
            self.dropped += size
            return ""
        kept = _prefix(text, self.room)
        self.room = 0
        self.dropped += size - utf8_size(kept)
        return kept


class Collected:
    """Output as it arrives in bytes, from a pipe: the first ``OUTPUT_LIMIT`` kept, the rest counted."""

    __slots__ = ("dropped", "parts", "room")

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.room = OUTPUT_LIMIT
        self.dropped = 0

    def feed(self, data: bytes) -> None:
        if len(data) <= self.room:
            self.parts.append(data)
            self.room -= len(data)
            return
        if self.room:
            self.parts.append(data[: self.room])
        self.dropped += len(data) - self.room
        self.room = 0

    def take(self, dropped_elsewhere: int = 0, *, counted: bool = True) -> list[str]:
        """The lines collected so far, and a fresh start for the next invocation.

        ``dropped_elsewhere``: what the writer dropped before it reached this side. ``counted``: whether
        that figure is known; an environment that ended without saying may have dropped more.
        """
        dropped = self.dropped + dropped_elsewhere
        if not self.parts and not dropped:
            return []  # the common case, for nothing
        text = b"".join(self.parts).decode("utf-8", "replace")
        self.parts, self.room, self.dropped = [], OUTPUT_LIMIT, 0
        return lines_of(text, dropped, partial=not counted and dropped > 0)


def lines_of(text: str, dropped: int = 0, *, partial: bool = False) -> list[str]:
    """The kept output, a line each, shaped to the limits; ``dropped`` bytes are said to be missing.

    ``partial``: ``dropped`` is only what this side counted (the writer ended without its count).
    """
    lines = text.splitlines()
    if len(lines) > LINES_LIMIT:
        ends = text.splitlines(keepends=True)
        dropped += sum(utf8_size(line) for line in ends[LINES_LIMIT:])
        lines = lines[:LINES_LIMIT]
    if len(text) > LINE_LIMIT // 4:  # else no line can be longer than LINE_LIMIT bytes
        lines = [_cut(line) if len(line) > LINE_LIMIT // 4 else line for line in lines]
    if dropped:
        lines.append(dropped_line(dropped, partial=partial))
    return lines


def _cut(line: str) -> str:
    size = utf8_size(line)
    if size <= LINE_LIMIT:
        return line
    return f"{_prefix(line, LINE_LIMIT)} [apig-emu: line cut at 256 KB, {size - LINE_LIMIT:,} more bytes dropped]"


def dropped_line(dropped: int, *, partial: bool = False) -> str:
    """The line that stands for what an invocation's log lost to the cap.

    ``partial``: the environment ended (killed, crashed) before it said how much it dropped itself.
    """
    rule = f"an invocation keeps the first 1 MB of its output, at most {LINES_LIMIT:,} lines: a CloudWatch Logs batch"
    if partial:
        return f"apig-emu: output past the cap dropped ({rule}; the environment ended before it counted how much)"
    return f"apig-emu: {dropped:,} bytes of output dropped ({rule})"


class CappedStream(WrappedStream):
    """A text stream that writes through what its allowance admits and counts the rest.

    For a process whose output a reader collects (a worker's stdout and stderr): a print loop stops
    costing anything once the allowance is spent, instead of filling a pipe whose reader drops it.
    Writes that bypass it (``sys.stdout.buffer``, ``os.write``, C code) reach the reader, which caps
    them too.
    """

    def __init__(self, original: TextIO, allowance: Allowance, lock: threading.Lock) -> None:
        super().__init__(original)
        self.allowance = allowance
        #: Shared with the other streams on the same allowance: threads print too.
        self.lock = lock

    def write(self, text: str) -> int:
        size = len(text) if text.isascii() else utf8_size(text)
        allowance = self.allowance
        with self.lock:
            if size <= allowance.room:  # admit's own test, inline: this runs for every print
                allowance.room -= size
                kept = text
            else:
                kept = allowance.admit(text)
        if kept:
            self.original.write(kept)
        return len(text)
