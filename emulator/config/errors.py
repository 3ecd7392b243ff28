"""Errors in the API definitions, each pointing at the file, key and line to fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from emulator.model import Location

#: How far a note sits under its error, so a list of errors still reads one error per unindented line.
NOTE_INDENT = "    "


@dataclass(frozen=True)
class ConfigError:
    """One problem in the definitions; ``str()`` is what the user is shown.

    ``notes`` are lines under it: a hint at the fix, or the user's own traceback for a handler that
    fails to import.
    """

    location: Location
    message: str
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        return "\n".join([f"{self.location}: {self.message}", *(NOTE_INDENT + note for note in self.notes)])


class ConfigErrors(Exception):
    """Every problem found in one load, raised together so a single run shows all that needs fixing."""

    def __init__(self, errors: Iterable[ConfigError]) -> None:
        self.errors: list[ConfigError] = sorted(
            errors, key=lambda error: (error.location.file, error.location.line or 0)
        )
        count = len(self.errors)
        heading = f"{count} error{'' if count == 1 else 's'} in the API definitions:"
        super().__init__("\n".join([heading, *(str(error) for error in self.errors)]))
