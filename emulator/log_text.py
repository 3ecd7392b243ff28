"""The text log made safe to print: characters that would act on a terminal are written out visibly.

A text log line carries what clients send (a path, a header a handler prints) and what handlers
write. Printed as they are, ESC and its sequences retitle the terminal, clear the screen or rewrite
the clipboard (OSC 52), BEL rings, a carriage return or backspace overwrites what the line showed,
a C1 control is an ESC sequence in one byte (CSI, OSC), a bidirectional override shows text in
another order than it reads (Trojan Source), and a line break inside a value starts a line that the
gateway never wrote. So each of them is written as Python's ``repr`` writes it, readable and in
place: ``\\x1b``, ``\\x07``, ``\\r``, ``\\x9b``, ``\\u202e``, and ``\\n`` where a value must stay on
its line.

The tab is kept: it only moves to the next tab stop of the same line, CloudWatch's REPORT line is
tab-separated, and Lambda's log format puts one between its fields. Backslashes are not doubled, so
that a Windows path or a handler's JSON reads as it was written; the JSON log, whose values are
exact (JSON escapes every control itself), is the place to tell them apart.

Most lines have nothing to escape, and a line is only searched, once, before anything is replaced:
the common case costs one ``str.isprintable`` or one regex scan.
"""

from __future__ import annotations

import re

from emulator.runtime.streams import WrappedStream

#: Every character escaped, except the line break, as ranges: C0 controls but the tab, DEL, C1
#: controls, the Arabic letter mark, the bidirectional marks, the line and paragraph separators with
#: the embeddings and overrides between them, and the isolates.
_CONTROLS = (
    (0x00, 0x08),
    (0x0B, 0x1F),
    (0x7F, 0x9F),
    (0x61C, 0x61C),
    (0x200E, 0x200F),
    (0x2028, 0x202E),
    (0x2066, 0x2069),
)


def _shown(code: int) -> str:
    """A character as ``repr`` writes it in a string."""
    if code in (0x0A, 0x0D):
        return "\\n" if code == 0x0A else "\\r"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_CLASS = "".join(f"{chr(first)}-{chr(last)}" for first, last in _CONTROLS)
_IN_TEXT = re.compile(f"[{_CLASS}]")
_IN_LINE = re.compile(f"[\n{_CLASS}]")
# ``str.translate`` replaces them in one pass in C. ``re.sub`` calls back into Python for each one,
# which makes a flood of controls two to six times slower; an invocation's whole output (1 MB) of
# them takes 0.1 to 0.2 s on a busy 2-core machine.
_TEXT_TABLE = {code: _shown(code) for first, last in _CONTROLS for code in range(first, last + 1)}
_LINE_TABLE = {**_TEXT_TABLE, 0x0A: _shown(0x0A)}


def escape_line(text: str) -> str:
    """``text`` to be printed on one line: a line break in it is escaped like any other control."""
    if text.isprintable() or _IN_LINE.search(text) is None:
        return text
    return text.translate(_LINE_TABLE)


def escape_text(text: str) -> str:
    """Text whose line breaks are its own (a traceback, a config error): only its lines are escaped."""
    if text.isprintable() or _IN_TEXT.search(text) is None:
        return text
    return text.translate(_TEXT_TABLE)


def escape_trace(trace: str, message: str | None) -> str:
    """A function's traceback, its error's own message kept on one line as in the line above it.

    The message of the exception is the part of a traceback that comes from data (``raise
    ValueError(f"bad id {item_id}")``): a line break in it would start a line of its own, beneath
    the function's error, looking like any other line of the log. Python writes it last.
    """
    if message and "\n" in message:
        at = trace.rfind(message)
        if at >= 0:
            trace = trace[:at] + escape_line(message) + trace[at + len(message) :]
    return escape_text(trace)


class PrintableStream(WrappedStream):
    """``serve``'s stdout or stderr, escaping what is printed to it as the text log is escaped.

    Besides the emulator's own lines (the route table), what reaches them in thread isolation is
    what threads a handler started print: no invocation's output, so not in the log, but handler
    output all the same (process isolation reads a worker's output, whoever writes it, into the log).
    """

    def write(self, text: str) -> int:
        self.original.write(escape_text(text))
        return len(text)
