"""A text stream that stands in for another, changing only what ``write`` passes on.

``sys.stdout`` replacements must still look like the stream they replace to whoever inspects it
(``isatty`` for colours, ``fileno`` for subprocesses, ``encoding``, ``buffer``), or a library that
checks decides differently than it would without the emulator.
"""

from __future__ import annotations

import io
from typing import Any, TextIO


class WrappedStream(io.TextIOBase):
    """Everything but ``write`` is the original stream's."""

    def __init__(self, original: TextIO) -> None:
        self.original = original

    def flush(self) -> None:
        self.original.flush()

    def fileno(self) -> int:
        return self.original.fileno()

    def isatty(self) -> bool:
        return self.original.isatty()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.original.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self.original.errors

    def __getattr__(self, name: str) -> Any:
        """The rest of the stream's interface (``buffer``, ``reconfigure``, …) is the original's."""
        if name == "original":  # not set yet: no recursion through this method
            raise AttributeError(name)
        return getattr(self.original, name)
